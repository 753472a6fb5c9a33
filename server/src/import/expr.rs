//! A Grafana target's PromQL as a Vantage query template.
//!
//! Grafana's built-ins become Vantage's placeholders (`$__rate_interval` is
//! `$rate_interval`, `$__range` is `$range`); a matcher whose whole value is
//! a picker variable (`job=~"$job"`) becomes the selector's `$filter`, so the
//! viewer's choice reaches Prometheus escaped as every filter does; any other
//! use of a variable is fixed to the value the dashboard was saved with, and
//! said so. What cannot be expressed (`$__range_s`, a variable nobody
//! defined) is refused with the reason.

use std::collections::{BTreeMap, BTreeSet};

use promql_parser::util::escape_string;
use regex::{Captures, Regex};

/// What the importer made of a dashboard's variables.
#[derive(Debug, Default)]
pub struct Variables {
    /// Label variables (query, custom, text box): Grafana's name → the
    /// label they narrow and the Vantage variable's name.
    pub pickers: BTreeMap<String, Picked>,
    /// Interval variables: Grafana's name → the Vantage variable's (its
    /// `$name` stays a placeholder where it stands outside strings).
    pub words: BTreeMap<String, String>,
    /// Every variable's saved value, as a fixed use would write it.
    pub saved: BTreeMap<String, String>,
    /// Variables whose fixed value is no change (constants).
    pub quiet: BTreeSet<String>,
}

/// A label variable as the importer made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Picked {
    pub label: String,
    pub name: String,
}

/// A template and what changed on the way.
#[derive(Debug, PartialEq)]
pub struct Translated {
    pub expr: String,
    pub changes: Vec<String>,
}

fn reference() -> &'static Regex {
    static R: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    // ${name}, ${name:format}, [[name]], [[name:format]]; not label_replace's ${1}.
    R.get_or_init(|| {
        Regex::new(r"\$\{([A-Za-z_]\w*)(?::(\w+))?\}|\[\[([A-Za-z_]\w*)(?::(\w+))?\]\]").unwrap()
    })
}

fn plain_reference() -> &'static Regex {
    static R: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| Regex::new(r"\$([A-Za-z_]\w*)").unwrap())
}

fn picker_matcher() -> &'static Regex {
    static R: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r#"^([A-Za-z_]\w*)\s*(=~|=)\s*(?:"\$([A-Za-z_]\w*)"|'\$([A-Za-z_]\w*)')$"#)
            .unwrap()
    })
}

/// Grafana's built-ins Vantage has a placeholder for.
const BUILT_INS: &[(&str, &str)] = &[
    ("__rate_interval", "$rate_interval"),
    ("__interval", "$rate_interval"),
    ("__range", "$range"),
    ("__range_s", "$range_seconds"),
    ("__interval_ms", "$step_ms"),
];

/// Vantage's own placeholders, left as they are.
const OURS: &[&str] = &[
    "filter",
    "rate_interval",
    "range",
    "range_seconds",
    "step_ms",
];

pub fn translate(expr: &str, variables: &Variables) -> Result<Translated, String> {
    let mut changes = Vec::new();
    // One spelling for every reference: $name.
    let expr = reference().replace_all(expr, |c: &Captures| {
        let name = c.get(1).or(c.get(3)).map_or("", |m| m.as_str());
        if let Some(format) = c.get(2).or(c.get(4)) {
            if !matches!(format.as_str(), "regex" | "pipe" | "raw") {
                changes.push(format!(
                    "${{{name}:{}}}: the {0} format is not kept",
                    format.as_str()
                ));
            }
        }
        format!("${name}")
    });
    let expr = with_filters(&expr, variables);
    let strings = string_contents(&expr);
    let mut refused = None;
    let expr = plain_reference().replace_all(&expr, |c: &Captures| {
        let name = &c[1];
        if OURS.contains(&name) {
            return c[0].to_string();
        }
        if let Some((_, ours)) = BUILT_INS.iter().find(|(b, _)| *b == name) {
            if name == "__interval" {
                changes.push(
                    "$__interval became $rate_interval (twice the step, at least a minute)".into(),
                );
            }
            return ours.to_string();
        }
        if name.starts_with("__") {
            refused.get_or_insert_with(|| format!("${name} has no counterpart in Vantage"));
            return c[0].to_string();
        }
        let at = c.get(0).map_or(0, |m| m.start());
        let quote = strings.iter().find(|(r, _)| r.contains(&at)).map(|(_, q)| *q);
        if let (Some(ours), None) = (variables.words.get(name), quote) {
            return format!("${ours}");
        }
        let Some(value) = variables.saved.get(name) else {
            refused
                .get_or_insert_with(|| format!("${name} is not one of the dashboard's variables"));
            return c[0].to_string();
        };
        // A fixed value is text of the file, yet it never changes the
        // query's shape: inside a string it is escaped as string content;
        // outside one it must be one token (a number, a duration, a name).
        let fixed = if quote == Some('"') {
            escape_string(value)
        } else if quote.is_some() {
            // Single quotes and backticks: only what needs no escaping there.
            if value.contains(['\'', '`', '\\']) || value.chars().any(char::is_control) {
                refused.get_or_insert_with(|| {
                    format!("${name}'s saved value {value:?} cannot stand in that string")
                });
                return c[0].to_string();
            }
            value.clone()
        } else if is_token(value) {
            value.clone()
        } else {
            refused.get_or_insert_with(|| {
                format!("${name}'s saved value {value:?} stands outside a string and is not a number, duration or name")
            });
            return c[0].to_string();
        };
        if !variables.quiet.contains(name) {
            let change = format!("${name} is fixed to {value:?} here (not a matcher of its own)");
            if !changes.contains(&change) {
                changes.push(change);
            }
        }
        fixed
    });
    match refused {
        Some(reason) => Err(reason),
        None => Ok(Translated {
            expr: expr.into_owned(),
            changes,
        }),
    }
}

/// Text (a title, a legend) with the variables' saved values in place of
/// their references; "every value" reads as "all".
pub fn fixed_text(text: &str, variables: &Variables) -> String {
    let text = reference().replace_all(text, |c: &Captures| {
        format!("${}", c.get(1).or(c.get(3)).map_or("", |m| m.as_str()))
    });
    plain_reference()
        .replace_all(&text, |c: &Captures| match variables.saved.get(&c[1]) {
            Some(v) if v == ".*" => "all".to_string(),
            Some(v) => v.clone(),
            None => c[0].to_string(),
        })
        .into_owned()
}

/// One token of PromQL: a number, a duration or a name.
fn is_token(value: &str) -> bool {
    static R: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(?:[0-9]+(?:\.[0-9]+)?|(?:[0-9]+[smhdwy])+|[A-Za-z_:][\w:]*)$").unwrap()
    })
    .is_match(value)
}

/// The byte ranges inside string literals (between their quotes), each
/// with its quote.
fn string_contents(text: &str) -> Vec<(std::ops::Range<usize>, char)> {
    let mut out = Vec::new();
    let mut quote: Option<(char, usize)> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match quote {
            Some((q, start)) => match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                _ if c == q => {
                    out.push((start..i, q));
                    quote = None;
                }
                _ => {}
            },
            None if matches!(c, '"' | '\'' | '`') => quote = Some((c, i + 1)),
            None => {}
        }
    }
    out
}

/// Each selector's matchers that a label variable fills are taken out and
/// the selector gets `$filter(those variables)` (after its other matchers)
/// instead, so each selector is narrowed by the variables it named.
fn with_filters(expr: &str, variables: &Variables) -> String {
    let mut out = String::with_capacity(expr.len() + 16);
    let mut rest = expr;
    while let Some((before, inside, after)) = next_braces(rest) {
        out.push_str(before);
        let mut kept = Vec::new();
        let mut filtered: Vec<&str> = Vec::new();
        for matcher in split_outside_strings(inside, ',') {
            let trimmed = matcher.trim();
            let picked = picker_matcher().captures(trimmed).and_then(|c| {
                variables
                    .pickers
                    .get(c.get(3).or(c.get(4)).map_or("", |m| m.as_str()))
                    .filter(|p| p.label == c[1])
                    .map(|p| p.name.as_str())
            });
            match picked {
                Some(name) if !filtered.contains(&name) => filtered.push(name),
                Some(_) => {}
                None if !trimmed.is_empty() => kept.push(trimmed.to_string()),
                None => {}
            }
        }
        if !filtered.is_empty() {
            kept.push(format!("$filter({})", filtered.join(", ")));
            out.push('{');
            out.push_str(&kept.join(", "));
            out.push('}');
        } else {
            out.push('{');
            out.push_str(inside);
            out.push('}');
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The text before the next `{` outside a string, what stands between it and
/// its `}`, and the text after.
fn next_braces(text: &str) -> Option<(&str, &str, &str)> {
    let mut open = None;
    for (i, c) in outside_strings(text) {
        match c {
            '{' if open.is_none() => open = Some(i),
            '}' => {
                if let Some(start) = open {
                    return Some((&text[..start], &text[start + 1..i], &text[i + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

/// `text` split at `sep` where it stands outside strings.
fn split_outside_strings(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in outside_strings(text) {
        if c == sep {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The characters of `text` that stand outside its string literals.
fn outside_strings(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let strings = string_contents(text);
    text.char_indices()
        .filter(move |(i, _)| !strings.iter().any(|(r, _)| r.contains(i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variables() -> Variables {
        Variables {
            pickers: [("job", "job"), ("osd", "ceph_daemon")]
                .into_iter()
                .map(|(a, b)| {
                    (
                        a.to_string(),
                        Picked {
                            label: b.to_string(),
                            name: a.to_string(),
                        },
                    )
                })
                .collect(),
            words: [("iv".to_string(), "iv".to_string())].into(),
            saved: [
                ("job", ".*"),
                ("osd", ".*"),
                ("topk", "15"),
                ("hosts", "a|b"),
                ("iv", "5m"),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
            quiet: BTreeSet::new(),
        }
    }

    fn ok(expr: &str) -> Translated {
        translate(expr, &variables()).unwrap()
    }

    #[test]
    fn picker_matchers_become_the_selectors_filter() {
        let t = ok(r#"rate(ceph_osd_op_w{job=~"$job", ceph_daemon=~"$osd"}[$__rate_interval])"#);
        assert_eq!(
            t.expr,
            "rate(ceph_osd_op_w{$filter(job, osd)}[$rate_interval])"
        );
        assert!(t.changes.is_empty(), "{:?}", t.changes);
        let t = ok(r#"sum(up{mode="idle",job="${job}"}) by (job)"#);
        assert_eq!(t.expr, r#"sum(up{mode="idle", $filter(job)}) by (job)"#);
        let t = ok(r#"up{job=~"[[job]]"} + on() ceph_health_status"#);
        assert_eq!(t.expr, "up{$filter(job)} + on() ceph_health_status");
        let t = ok(r#"rate(x{a="$iv"}[$iv])"#);
        assert_eq!(t.expr, r#"rate(x{a=""}[$iv])"#.replace("\"\"", "\"5m\""));
    }

    #[test]
    fn a_picker_on_another_label_or_inside_a_pattern_is_fixed() {
        let t = ok(r#"node_load1{instance=~"$job([\\.:].*)?"}"#);
        assert_eq!(t.expr, r#"node_load1{instance=~".*([\\.:].*)?"}"#);
        assert_eq!(t.changes.len(), 1, "{:?}", t.changes);
        let t = ok(r#"up{instance=~"$job"}"#);
        assert_eq!(t.expr, r#"up{instance=~".*"}"#);
    }

    #[test]
    fn other_variables_are_fixed_to_their_saved_values() {
        let t = ok(r#"topk($topk, rate(x{job=~"$job"}[$__range]))"#);
        assert_eq!(t.expr, "topk(15, rate(x{$filter(job)}[$range]))");
        assert_eq!(
            t.changes,
            vec![r#"$topk is fixed to "15" here (not a matcher of its own)"#]
        );
    }

    #[test]
    fn a_saved_value_never_changes_the_querys_shape() {
        let mut vars = variables();
        vars.saved
            .insert("evil".into(), r#"a"} or vector(1) or up{x=""#.into());
        let t = translate(r#"up{job=~"$evil"}"#, &vars).unwrap();
        assert_eq!(t.expr, r#"up{job=~"a\"} or vector(1) or up{x=\""}"#);
        assert!(promql_parser::parser::parse(&t.expr).is_ok(), "{}", t.expr);
        // Outside a string only a number, a duration or a name may stand.
        assert!(translate("topk($evil, up)", &vars).is_err());
        vars.saved.insert("evil".into(), "1) or vector(1".into());
        assert!(translate("topk($evil, up)", &vars).is_err());
        vars.saved.insert("evil".into(), "it's".into());
        assert!(translate("up{job=~'$evil'}", &vars).is_err());
        vars.saved.insert("w".into(), "5m".into());
        assert_eq!(
            translate("rate(up[$w])", &vars).unwrap().expr,
            "rate(up[5m])"
        );
    }

    #[test]
    fn text_takes_the_saved_values_in_every_spelling() {
        assert_eq!(
            fixed_text("top $topk of ${job} [[hosts]] $nobody", &variables()),
            "top 15 of all a|b $nobody"
        );
    }

    #[test]
    fn braces_inside_strings_and_label_replace_groups_are_left_alone() {
        let e = r#"label_replace(up{job=~"$job"}, "x", "${1}", "instance", "(a{2})")"#;
        assert_eq!(
            ok(e).expr,
            r#"label_replace(up{$filter(job)}, "x", "${1}", "instance", "(a{2})")"#
        );
    }

    #[test]
    fn what_vantage_cannot_express_is_refused_with_the_reason() {
        assert_eq!(
            translate("x / $__since", &variables()),
            Err("$__since has no counterpart in Vantage".into())
        );
        assert_eq!(ok("x / $__range_s").expr, "x / $range_seconds");
        assert_eq!(ok("x * $__interval_ms").expr, "x * $step_ms");
        assert_eq!(
            translate(r#"up{a="$nobody"}"#, &variables()),
            Err("$nobody is not one of the dashboard's variables".into())
        );
        let t = ok("rate(x[$__interval])");
        assert_eq!(t.expr, "rate(x[$rate_interval])");
        assert_eq!(t.changes.len(), 1);
    }
}
