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

/// A straight stroke from one point to another.
pub type Segment = (BackendCoord, BackendCoord);

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
    /// Separate straight strokes in one style (a dashed threshold line's
    /// dashes): one SVG element instead of one per dash.
    Segments {
        segments: Vec<Segment>,
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

    /// A two-point stroke drawn right after another in the same style joins
    /// it: plotters draws a dashed line as forty such strokes, and every
    /// element costs the page parsing, layout and hydration.
    fn push_stroke(&mut self, points: Vec<BackendCoord>, paint: Paint, width: u32) {
        let mut shapes = self.shapes.borrow_mut();
        if let [from, to] = points[..] {
            match shapes.last_mut() {
                Some(Shape::Segments {
                    segments,
                    paint: p,
                    width: w,
                }) if *p == paint && *w == width => {
                    segments.push((from, to));
                    return;
                }
                Some(Shape::Path {
                    points: last,
                    paint: p,
                    width: w,
                }) if last.len() == 2 && *p == paint && *w == width => {
                    let first = (last[0], last[1]);
                    *shapes.last_mut().expect("matched above") = Shape::Segments {
                        segments: vec![first, (from, to)],
                        paint,
                        width,
                    };
                    return;
                }
                _ => {}
            }
        }
        shapes.push(Shape::Path {
            points,
            paint,
            width,
        });
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
                self.push_stroke(points, style.color().into(), style.stroke_width());
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

#[cfg(test)]
mod tests {
    use plotters_backend::BackendStyle;

    use super::*;

    struct Stroke(BackendColor, u32);

    impl BackendStyle for Stroke {
        fn color(&self) -> BackendColor {
            self.0
        }
        fn stroke_width(&self) -> u32 {
            self.1
        }
    }

    const RED: BackendColor = BackendColor {
        alpha: 1.0,
        rgb: (200, 0, 0),
    };
    const BLUE: BackendColor = BackendColor {
        alpha: 1.0,
        rgb: (0, 0, 200),
    };

    #[test]
    fn dashes_in_one_style_become_one_shape_and_other_strokes_stay_apart() {
        let shapes = ShapeRecorder::record(100, 100, |mut r| {
            for k in 0..5 {
                r.draw_path([(k * 10, 50), (k * 10 + 5, 50)], &Stroke(RED, 1))
                    .unwrap();
            }
            // Another colour, another width, a longer line: each its own shape.
            r.draw_path([(0, 60), (5, 60)], &Stroke(BLUE, 1)).unwrap();
            r.draw_path([(10, 60), (15, 60)], &Stroke(BLUE, 2)).unwrap();
            r.draw_path([(0, 0), (5, 5), (9, 0)], &Stroke(BLUE, 2))
                .unwrap();
            r.draw_path([(20, 60), (25, 60)], &Stroke(BLUE, 2)).unwrap();
            true
        })
        .unwrap();
        assert_eq!(shapes.len(), 5, "{shapes:?}");
        match &shapes[0] {
            Shape::Segments {
                segments,
                paint,
                width,
            } => {
                assert_eq!(segments.len(), 5);
                assert_eq!(segments[4], ((40, 50), (45, 50)));
                assert_eq!((*paint, *width), (Paint::from(RED), 1));
            }
            other => panic!("expected the dashes joined: {other:?}"),
        }
        assert!(matches!(&shapes[1], Shape::Path { points, .. } if points.len() == 2));
        assert!(matches!(&shapes[2], Shape::Path { width: 2, .. }));
        assert!(matches!(&shapes[3], Shape::Path { points, .. } if points.len() == 3));
        // After a longer line, a stroke starts afresh rather than joining it.
        assert!(matches!(&shapes[4], Shape::Path { points, .. } if points.len() == 2));
    }
}
