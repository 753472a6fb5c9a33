//! A panel's data as CSV (RFC 4180): `series,time,value` for series (time in
//! ISO 8601 UTC), or the table's own columns.

use app::model::PanelData;
use chrono::{DateTime, Utc};

pub fn of(data: &PanelData) -> String {
    let mut out = String::new();
    if !data.rows.is_empty() {
        let mut header = vec![field("key")];
        header.extend(data.view.columns.iter().map(|c| field(&c.title)));
        line(&mut out, &header);
        for row in &data.rows {
            let mut cells = vec![field(&row.key)];
            cells.extend(row.values.iter().map(number));
            line(&mut out, &cells);
        }
        return out;
    }
    line(&mut out, &["series".into(), "time".into(), "value".into()]);
    for series in &data.series {
        for point in &series.points {
            let (t, v) = (point.0, point.1);
            let time = DateTime::<Utc>::from_timestamp(t, 0)
                .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default();
            line(&mut out, &[field(&series.name), time, number(&v)]);
        }
    }
    out
}

fn line(out: &mut String, cells: &[String]) {
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

fn number(v: &Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// Quoted when it must be; text a spreadsheet would take for a formula
/// (`=`, `+`, `-`, `@` first) gets a leading `'`, so a label cannot run one.
fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("api"), "api");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(number(&Some(f64::NAN)), "");
        assert_eq!(number(&Some(1.5)), "1.5");
    }
}
