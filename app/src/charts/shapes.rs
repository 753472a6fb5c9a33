use std::{cell::RefCell, rc::Rc};

use plotters_backend::{
    text_anchor::{HPos, VPos},
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontTransform,
};

/// A colour with its opacity, as plotters gives it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Paint {
    pub rgb: (u8, u8, u8),
    pub alpha: f64,
}

impl From<BackendColor> for Paint {
    fn from(c: BackendColor) -> Self {
        Paint {
            rgb: c.rgb,
            alpha: c.alpha,
        }
    }
}

impl Paint {
    /// The CSS colour: a theme variable for marker colours, else `rgb()`.
    pub fn css(&self) -> String {
        match super::palette::css_var(self.rgb) {
            Some(var) => var.to_string(),
            None => format!("rgb({},{},{})", self.rgb.0, self.rgb.1, self.rgb.2),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Baseline {
    Top,
    Middle,
    Bottom,
}

/// One drawing primitive, in pixels of the chart's own coordinate space.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Line {
        from: BackendCoord,
        to: BackendCoord,
        paint: Paint,
        width: u32,
    },
    Rect {
        from: BackendCoord,
        to: BackendCoord,
        paint: Paint,
        fill: bool,
    },
    Path {
        points: Vec<BackendCoord>,
        paint: Paint,
        width: u32,
    },
    Polygon {
        points: Vec<BackendCoord>,
        paint: Paint,
    },
    Circle {
        center: BackendCoord,
        radius: u32,
        paint: Paint,
        fill: bool,
    },
    Text {
        text: String,
        at: BackendCoord,
        size: f64,
        paint: Paint,
        anchor: Anchor,
        baseline: Baseline,
        /// Degrees clockwise.
        rotate: i32,
    },
}

/// A plotters backend that remembers what was drawn instead of rasterising it.
pub struct ShapeRecorder {
    size: (u32, u32),
    shapes: Rc<RefCell<Vec<Shape>>>,
}

#[derive(Debug, thiserror::Error)]
#[error("chart recorder error")]
pub struct RecorderError;

type DrawResult = Result<(), DrawingErrorKind<RecorderError>>;

impl ShapeRecorder {
    /// Runs `draw` on a fresh recorder and returns what it drew, or `None` if
    /// `draw` reports failure. (plotters keeps the backend it is given, so the
    /// shapes are shared with the recorder rather than taken back from it.)
    pub fn record(
        width: u32,
        height: u32,
        draw: impl FnOnce(ShapeRecorder) -> bool,
    ) -> Option<Vec<Shape>> {
        let shapes = Rc::new(RefCell::new(Vec::new()));
        let recorder = ShapeRecorder {
            size: (width, height),
            shapes: Rc::clone(&shapes),
        };
        if !draw(recorder) {
            return None;
        }
        let taken = std::mem::take(&mut *shapes.borrow_mut());
        Some(taken)
    }

    fn push(&mut self, shape: Shape) {
        self.shapes.borrow_mut().push(shape);
    }

    /// Text width as the layout assumes it: the same arithmetic on server and
    /// browser, so both lay a chart out identically (no font files needed).
    pub fn text_width(text: &str, size: f64) -> u32 {
        let ems: f64 = text
            .chars()
            .map(|c| match c {
                'i' | 'l' | 'j' | '.' | ',' | ':' | '\'' | '|' | '!' => 0.3,
                'm' | 'w' | 'M' | 'W' => 0.85,
                c if c.is_ascii_uppercase() => 0.65,
                c if c.is_ascii_digit() => 0.56,
                _ => 0.52,
            })
            .sum();
        (ems * size).ceil() as u32
    }
}

impl DrawingBackend for ShapeRecorder {
    type ErrorType = RecorderError;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> DrawResult {
        Ok(())
    }

    fn present(&mut self) -> DrawResult {
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> DrawResult {
        if color.alpha > 0.0 {
            self.push(Shape::Rect {
                from: point,
                to: (point.0 + 1, point.1 + 1),
                paint: color.into(),
                fill: true,
            });
        }
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> DrawResult {
        if style.color().alpha > 0.0 {
            self.push(Shape::Line {
                from,
                to,
                paint: style.color().into(),
                width: style.stroke_width(),
            });
        }
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> DrawResult {
        if style.color().alpha > 0.0 {
            self.push(Shape::Rect {
                from: upper_left,
                to: bottom_right,
                paint: style.color().into(),
                fill,
            });
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> DrawResult {
        if style.color().alpha > 0.0 {
            let points: Vec<_> = path.into_iter().collect();
            if points.len() > 1 {
                self.push(Shape::Path {
                    points,
                    paint: style.color().into(),
                    width: style.stroke_width(),
                });
            }
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> DrawResult {
        if style.color().alpha > 0.0 {
            self.push(Shape::Circle {
                center,
                radius,
                paint: style.color().into(),
                fill,
            });
        }
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> DrawResult {
        if style.color().alpha > 0.0 {
            self.push(Shape::Polygon {
                points: vert.into_iter().collect(),
                paint: style.color().into(),
            });
        }
        Ok(())
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> DrawResult {
        let anchor = style.anchor();
        self.push(Shape::Text {
            text: text.to_string(),
            at: pos,
            size: style.size(),
            paint: style.color().into(),
            anchor: match anchor.h_pos {
                HPos::Left => Anchor::Start,
                HPos::Center => Anchor::Middle,
                HPos::Right => Anchor::End,
            },
            baseline: match anchor.v_pos {
                VPos::Top => Baseline::Top,
                VPos::Center => Baseline::Middle,
                VPos::Bottom => Baseline::Bottom,
            },
            rotate: match style.transform() {
                FontTransform::Rotate90 => 90,
                FontTransform::Rotate180 => 180,
                FontTransform::Rotate270 => 270,
                _ => 0,
            },
        });
        Ok(())
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let size = style.size();
        Ok((Self::text_width(text, size), size.ceil() as u32))
    }
}
