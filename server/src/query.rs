//! Building PromQL from a panel's template and the viewer's filter, safely.
//!
//! Filter values never become PromQL syntax: each is quoted as an RE2 literal,
//! the alternation is escaped as a PromQL string, and the built query is parsed
//! (promql-parser) and checked to have its template's shape, with exactly the
//! matchers its `$filter` (or `$filter(a, b)`) asks for on every selector,
//! before it may be sent. Interval and constant variables fill `$name` with a
//! value checked before it gets here (a duration of the file's list, the
//! file's own text), so they cannot change a query's shape either.

use promql_parser::{
    label::{MatchOp, Matchers},
    parser::{self, Expr, VectorSelector},
    util::{escape_string, walk_expr, ExprVisitor},
};

use std::collections::BTreeMap;

/// Values one variable may hold, and how long one may be: far above real use,
/// far below what could make a query expensive.
const MAX_VALUES: usize = 64;
const MAX_VALUE_LEN: usize = 200;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FilterError {
    #[error("too many {0}= values (at most {MAX_VALUES})")]
    TooMany(String),
    #[error("a {0}= value is empty or longer than {MAX_VALUE_LEN} bytes")]
    BadLength(String),
    #[error("a {0}= value contains control characters")]
    ControlCharacters(String),
}

/// The values chosen for one variable, sorted and without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FilterValues {
    /// The variable's name: `$filter(name)` picks its matcher.
    variable: String,
    values: Vec<String>,
}

impl FilterValues {
    /// `name` is the variable's (for messages, and for `$filter(name)`).
    pub fn new(name: &str, mut values: Vec<String>) -> Result<Self, FilterError> {
        if values.len() > MAX_VALUES {
            return Err(FilterError::TooMany(name.into()));
        }
        for v in &values {
            if v.is_empty() || v.len() > MAX_VALUE_LEN {
                return Err(FilterError::BadLength(name.into()));
            }
            if v.chars().any(char::is_control) {
                return Err(FilterError::ControlCharacters(name.into()));
            }
        }
        values.sort();
        values.dedup();
        Ok(Self {
            variable: name.to_string(),
            values,
        })
    }

    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// The RE2 pattern matching exactly these values (Prometheus anchors it).
    pub fn regex(&self) -> String {
        self.values
            .iter()
            .map(|v| regex_quote(v))
            .collect::<Vec<_>>()
            .join("|")
    }
}

/// What a view is narrowed to: Prometheus label → chosen values. A label that is
/// absent (or has no values) is not narrowed. A label may be written as a
/// placeholder (`$service_label`), named when the query is built.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Filter {
    chosen: BTreeMap<String, FilterValues>,
    /// Values left out (`label!~"…"`): set by the server, never by a request
    /// (a service counted under another metric convention).
    excluded: BTreeMap<String, FilterValues>,
    /// `$name` → its text, for interval and constant variables: a duration
    /// of the variable's own list, or the file's constant (checked by whoever
    /// sets it, never free text of a request).
    words: BTreeMap<String, String>,
}

impl Filter {
    /// Adds a label's values; the caller took the label from a dashboard's
    /// variables, never from the request.
    pub fn insert(&mut self, label: &str, values: FilterValues) {
        if values.values.is_empty() {
            self.chosen.remove(label);
        } else {
            self.chosen.insert(label.to_string(), values);
        }
    }

    /// Leaves `values` of `label` out of every filtered selector.
    pub fn exclude(&mut self, label: &str, values: Vec<String>) {
        if values.is_empty() {
            return;
        }
        let mut values = values;
        values.sort();
        values.dedup();
        self.excluded.insert(
            label.to_string(),
            FilterValues {
                variable: String::new(),
                values,
            },
        );
    }

    /// Sets what `$name` stands for: a value the caller checked (one of an
    /// interval variable's durations, a constant of the file).
    pub fn set_word(&mut self, name: &str, value: String) {
        self.words.insert(name.to_string(), value);
    }

    pub fn word(&self, name: &str) -> Option<&str> {
        self.words.get(name).map(String::as_str)
    }

    pub fn get(&self, label: &str) -> Option<&FilterValues> {
        self.chosen.get(label)
    }

    /// The same filter with labels written as placeholders named.
    pub fn resolved(&self, placeholders: &Placeholders) -> Filter {
        let name = |label: &String| match label.strip_prefix('$') {
            Some(word) => placeholders.lookup(word).unwrap_or(label).to_string(),
            None => label.clone(),
        };
        Filter {
            chosen: self
                .chosen
                .iter()
                .map(|(l, v)| (name(l), v.clone()))
                .collect(),
            excluded: self
                .excluded
                .iter()
                .map(|(l, v)| (name(l), v.clone()))
                .collect(),
            words: self.words.clone(),
        }
    }

    /// The chosen values `$filter` (all variables) or `$filter(a, b)` (only
    /// those) stands for, and every exclusion.
    fn picked<'a>(
        &'a self,
        names: Option<&'a [String]>,
    ) -> impl Iterator<Item = (&'a String, &'a FilterValues, &'static str)> + 'a {
        self.chosen
            .iter()
            .filter(move |(_, v)| names.is_none_or(|n| n.contains(&v.variable)))
            .map(|(l, v)| (l, v, "=~"))
            .chain(self.excluded.iter().map(|(l, v)| (l, v, "!~")))
    }

    /// `label=~"…"` (and `label!~"…"`) pairs, ready to stand inside a
    /// selector's braces.
    fn matchers(&self, names: Option<&[String]>) -> String {
        self.picked(names)
            .map(|(label, values, op)| format!("{label}{op}\"{}\"", escape_string(&values.regex())))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The matchers such a placeholder must add, as the parser reports them.
    fn expected(&self, names: Option<&[String]>) -> Vec<String> {
        let mut all: Vec<String> = self
            .picked(names)
            .map(|(label, values, op)| matcher_key(label, op, &values.regex()))
            .collect();
        all.sort();
        all
    }
}

/// Quotes every RE2 metacharacter so the value matches only itself.
pub fn regex_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    for c in value.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The template itself does not parse: a bug in a dashboard, not the viewer's fault.
    #[error("query template does not parse: {0}")]
    Template(String),
    /// The built query is not what the template promised: refuse to send it.
    #[error("built query does not match its template: {0}")]
    Shape(String),
}

/// The placeholders a template may use besides `$filter`.
#[derive(Debug, Clone, Default)]
pub struct Placeholders {
    /// `$rate_interval`: a `rate()` window fitted to the step.
    pub rate_interval: String,
    /// `$range`: the whole window, for summaries over the range.
    pub range: String,
    /// `$range_seconds`: the same as a number (Grafana's `$__range_s`).
    pub range_seconds: String,
    /// `$step_ms`: the step between points in milliseconds (Grafana's
    /// `$__interval_ms`).
    pub step_ms: String,
    /// Names that depend on what Prometheus holds (`$service_label`, the
    /// HTTP convention's metrics and labels), from `conventions`.
    pub names: Vec<(&'static str, String)>,
}

impl Placeholders {
    /// What `$word` stands for, if it is a placeholder.
    pub fn lookup(&self, word: &str) -> Option<&str> {
        match word {
            "rate_interval" => Some(&self.rate_interval),
            "range" => Some(&self.range),
            "range_seconds" => Some(&self.range_seconds),
            "step_ms" => Some(&self.step_ms),
            _ => self
                .names
                .iter()
                .find(|(name, _)| *name == word)
                .map(|(_, value)| value.as_str()),
        }
    }
}

/// The placeholders templates may use besides those of `conventions` and
/// the dashboard's interval and constant variables; anything else starting
/// with `$` is refused when a dashboard loads.
pub const PLACEHOLDERS: &[&str] = &[
    "$filter",
    "$rate_interval",
    "$range",
    "$range_seconds",
    "$step_ms",
];

/// The template with every `$word` placeholder replaced in one pass, `$filter`
/// by `filter`: what is put in is never read again, so a filter value that
/// looks like a placeholder stays a value. `$1` and `${1}` (label_replace's
/// group references) and unknown words are left as they are.
pub fn fill(template: &str, placeholders: &Placeholders, filter: &str) -> String {
    fill_with(template, placeholders, &BTreeMap::new(), &mut |_| {
        filter.to_string()
    })
}

/// What a `$filter` placeholder names: every variable (`None`), or those
/// listed in `$filter(a, b)`.
type Picked = Option<Vec<String>>;

/// [`fill`] with variables' words (`$interval`), and `$filter` or
/// `$filter(a, b)` replaced by what `filter` makes of the variables named.
fn fill_with(
    template: &str,
    placeholders: &Placeholders,
    words: &BTreeMap<String, String>,
    filter: &mut dyn FnMut(Picked) -> String,
) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let word = &after[..len];
        let mut tail = &after[len..];
        match (word, placeholders.lookup(word)) {
            ("filter", _) => {
                let named = tail
                    .strip_prefix('(')
                    .and_then(|t| t.find(')').map(|end| (&t[..end], &t[end + 1..])));
                match named {
                    Some((list, after_list)) => {
                        tail = after_list;
                        let names = list
                            .split(',')
                            .map(|n| n.trim().to_string())
                            .filter(|n| !n.is_empty())
                            .collect();
                        out.push_str(&filter(Some(names)));
                    }
                    None => out.push_str(&filter(None)),
                }
            }
            (_, Some(value)) => out.push_str(value),
            _ => match words.get(word) {
                Some(value) => out.push_str(value),
                None => {
                    out.push('$');
                    out.push_str(word);
                }
            },
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The variables each `$filter` placeholder of a template names, in order
/// (`None`: every one). For checking a file's templates.
pub fn filter_placeholders(template: &str) -> Vec<Picked> {
    let mut found = Vec::new();
    fill_with(
        template,
        &Placeholders::default(),
        &BTreeMap::new(),
        &mut |names| {
            found.push(names);
            String::new()
        },
    );
    found
}

/// The label a marker matcher has: one per `$filter` placeholder, so the
/// check knows which selector asked for which variables.
const MARKER: &str = "__vantage_filter__";

/// Fills a template's placeholders and its `$filter`s (inside selector
/// braces, last), and checks the result before anyone may send it.
pub fn build(
    template: &str,
    placeholders: &Placeholders,
    filter: &Filter,
) -> Result<String, QueryError> {
    let fill =
        |f: &mut dyn FnMut(Picked) -> String| fill_with(template, placeholders, &filter.words, f);
    let bare = parser::parse(&fill(&mut |_| String::new())).map_err(QueryError::Template)?;
    let query = fill(&mut |names| filter.matchers(names.as_deref()));
    let built = parser::parse(&query).map_err(|e| QueryError::Shape(e.to_string()))?;
    // Each placeholder as a marker matcher: where it stands, and what it names.
    let mut picks = Vec::new();
    let marked = fill(&mut |names| {
        picks.push(names);
        format!("{MARKER}=\"{}\"", picks.len() - 1)
    });
    let marked = parser::parse(&marked).map_err(|_| {
        QueryError::Template("$filter must stand inside a selector's braces".into())
    })?;
    let expected: Vec<Vec<String>> = picks
        .iter()
        .map(|names| filter.expected(names.as_deref()))
        .collect();
    same_shape(&bare, &built, &marked, &expected)?;
    Ok(query)
}

/// Whether `built` is `bare` (the template filled without a filter) with
/// the filter's matchers added and nothing else: the same expression once
/// every selector's matchers are set aside (functions, operators, offsets,
/// `@`, ranges, subquery steps), and every selector keeping its metric and
/// its own matchers and gaining exactly the matchers its placeholder asks
/// for (`marked` tells which placeholder stands in which selector:
/// `expected[k]` is what the k-th adds), or none where it has none. So an
/// escaping bug could not widen or reshape a query unnoticed.
fn same_shape(
    bare: &Expr,
    built: &Expr,
    marked: &Expr,
    expected: &[Vec<String>],
) -> Result<(), QueryError> {
    if without_matchers(bare.clone()) != without_matchers(built.clone()) {
        return Err(QueryError::Shape(
            "the expression differs from the template's".into(),
        ));
    }
    let bare = selectors(bare);
    let built = selectors(built);
    let marked = selectors(marked);
    if bare.len() != built.len() || bare.len() != marked.len() {
        return Err(QueryError::Shape(
            "selectors differ from the template's".into(),
        ));
    }
    for ((b, q), m) in bare.iter().zip(&built).zip(&marked) {
        if b.name != q.name {
            return Err(QueryError::Shape(
                "selectors differ from the template's".into(),
            ));
        }
        let mut added = q.matchers.clone();
        for matcher in &b.matchers {
            match added.iter().position(|a| a == matcher) {
                Some(i) => {
                    added.remove(i);
                }
                None => return Err(QueryError::Shape("a template matcher was altered".into())),
            }
        }
        added.sort();
        let wanted = match m.marker {
            Some(k) => expected.get(k).map(Vec::as_slice).unwrap_or_default(),
            None => &[],
        };
        if added != wanted {
            return Err(QueryError::Shape("filter matchers altered".into()));
        }
    }
    Ok(())
}

/// `expr` with every selector's matchers taken away (its metric name kept).
fn without_matchers(mut expr: Expr) -> Expr {
    fn strip(expr: &mut Expr) {
        match expr {
            Expr::Aggregate(a) => {
                strip(&mut a.expr);
                if let Some(param) = a.param.as_deref_mut() {
                    strip(param);
                }
            }
            Expr::Unary(u) => strip(&mut u.expr),
            Expr::Binary(b) => {
                strip(&mut b.lhs);
                strip(&mut b.rhs);
            }
            Expr::Paren(p) => strip(&mut p.expr),
            Expr::Subquery(s) => strip(&mut s.expr),
            Expr::VectorSelector(v) => v.matchers = Matchers::empty(),
            Expr::MatrixSelector(m) => m.vs.matchers = Matchers::empty(),
            Expr::Call(c) => c.args.args.iter_mut().for_each(|a| strip(a)),
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
        }
    }
    strip(&mut expr);
    expr
}

/// The metric names a built query selects, sorted, without repeats.
pub fn metric_names(query: &str) -> Vec<String> {
    let Ok(expr) = parser::parse(query) else {
        return Vec::new();
    };
    let mut names: Vec<String> = selectors(&expr)
        .into_iter()
        .map(|s| s.name)
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn matcher_key(name: &str, op: &str, value: &str) -> String {
    format!("{name}{op}{value:?}")
}

struct Selector {
    name: String,
    matchers: Vec<String>,
    /// Which `$filter` placeholder stands in it (marked queries only).
    marker: Option<usize>,
}

/// Every selector of the query with its matchers, in order.
fn selectors(expr: &Expr) -> Vec<Selector> {
    struct Collect(Vec<Selector>);
    impl Collect {
        fn selector(&mut self, vs: &VectorSelector) {
            let marker = vs
                .matchers
                .matchers
                .iter()
                .find(|m| m.name == MARKER)
                .and_then(|m| m.value.parse().ok());
            let matchers = vs
                .matchers
                .matchers
                .iter()
                .filter(|m| m.name != MARKER)
                .map(|m| {
                    let op = match &m.op {
                        MatchOp::Equal => "=",
                        MatchOp::NotEqual => "!=",
                        MatchOp::Re(_) => "=~",
                        MatchOp::NotRe(_) => "!~",
                    };
                    matcher_key(&m.name, op, &m.value)
                })
                .collect();
            self.0.push(Selector {
                name: vs.name.clone().unwrap_or_default(),
                matchers,
                marker,
            });
        }
    }
    impl ExprVisitor for Collect {
        type Error = ();
        fn pre_visit(&mut self, expr: &Expr) -> Result<bool, ()> {
            match expr {
                Expr::VectorSelector(vs) => self.selector(vs),
                // A matrix selector holds its vector selector (not walked on its
                // own). Returning false here would end the whole walk.
                Expr::MatrixSelector(ms) => self.selector(&ms.vs),
                _ => {}
            }
            Ok(true)
        }
    }
    let mut c = Collect(Vec::new());
    let _ = walk_expr(&mut c, expr);
    c.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "sum by (service) (rate(http_requests_total{$filter}[$rate_interval]))";

    fn placeholders() -> Placeholders {
        Placeholders {
            rate_interval: "60s".into(),
            range: "3600s".into(),
            range_seconds: "3600".into(),
            step_ms: "15000".into(),
            names: vec![("service_label", "job".into())],
        }
    }

    fn filter(values: &[&str]) -> Filter {
        let mut f = Filter::default();
        f.insert(
            "service",
            FilterValues::new("service", values.iter().map(|v| v.to_string()).collect()).unwrap(),
        );
        f
    }

    fn regexes(query: &str, label: &str) -> Vec<String> {
        selectors(&parser::parse(query).unwrap())
            .into_iter()
            .flat_map(|s| s.matchers)
            .filter(|m| m.starts_with(&format!("{label}=~")))
            .collect()
    }

    #[test]
    fn a_filter_that_reshaped_the_query_would_be_refused() {
        // What an escaping bug could make of `rate(up{$filter}[5m])`: each
        // keeps the template's selectors and adds the filter's matcher, so
        // only the whole expression tells them apart.
        let f = filter(&["a"]);
        let matcher = f.matchers(None);
        let bare = parser::parse("rate(up[5m])").unwrap();
        let marked = parser::parse(&format!("rate(up{{{MARKER}=\"0\"}}[5m])")).unwrap();
        let expected = vec![f.expected(None)];
        let good = parser::parse(&format!("rate(up{{{matcher}}}[5m])")).unwrap();
        super::same_shape(&bare, &good, &marked, &expected).unwrap();
        for widened in [
            format!("rate(up{{{matcher}}}[5m] offset 1h)"),
            format!("rate(up{{{matcher}}}[5m] @ 100)"),
            format!("rate(up{{{matcher}}}[1h])"),
            format!("rate(up{{{matcher}}}[5m]) * 0"),
            format!("irate(up{{{matcher}}}[5m])"),
            format!("-rate(up{{{matcher}}}[5m])"),
            format!("rate(up{{{matcher}}}[5m:1m])"),
        ] {
            let built = parser::parse(&widened).unwrap();
            assert!(
                super::same_shape(&bare, &built, &marked, &expected).is_err(),
                "{widened} passed as its template"
            );
        }
    }

    #[test]
    fn no_filter_leaves_the_selector_open() {
        let q = build(TEMPLATE, &placeholders(), &Filter::default()).unwrap();
        assert_eq!(q, "sum by (service) (rate(http_requests_total{}[60s]))");
    }

    #[test]
    fn hostile_values_stay_literal_values() {
        let hostile = [
            "api-gateway",
            "a\"} or vector(1) or {x=\"",
            "C:\\temp",
            "x\\\"}",
            ".*",
            "a|b",
            "(?i)API-GATEWAY",
            "}",
            "<script>alert(1)</script>",
            "ünïcødé",
        ];
        let f = filter(&hostile);
        let q = build(TEMPLATE, &placeholders(), &f).unwrap();
        // Parsed back, the matcher's pattern is exactly the quoted alternation…
        let re = f.get("service").unwrap().regex();
        assert_eq!(
            regexes(&q, "service"),
            vec![matcher_key("service", "=~", &re)]
        );
        // …which, as RE2 anchored, matches each value and nothing wider.
        let anchored = regex::Regex::new(&format!("^(?:{re})$")).unwrap();
        for v in hostile {
            assert!(anchored.is_match(v), "{v:?} must match itself");
        }
        for wider in ["anything", "API-GATEWAY", "ab", "", "x"] {
            assert!(!anchored.is_match(wider), "{wider:?} must not match");
        }
        assert!(!q.contains("or vector(1) or {"), "no break-out: {q}");
    }

    #[test]
    fn several_variables_and_template_matchers_keep_their_places() {
        let mut f = filter(&["a", "b"]);
        f.insert(
            "endpoint",
            FilterValues::new("endpoint", vec!["/api/orders".into()]).unwrap(),
        );
        let template = r#"sum(rate(http_requests_total{status=~"5..",$filter}[$range])) / sum(rate(http_requests_total{$filter}[$range]))"#;
        let q = build(template, &placeholders(), &f).unwrap();
        assert_eq!(regexes(&q, "service").len(), 2);
        assert_eq!(regexes(&q, "endpoint").len(), 2);
        assert_eq!(regexes(&q, "status").len(), 1);
        assert!(q.contains("[3600s]"));
    }

    #[test]
    fn bad_values_are_refused() {
        let new = |v: Vec<String>| FilterValues::new("service", v);
        assert_eq!(
            new(vec!["a\nb".into()]),
            Err(FilterError::ControlCharacters("service".into()))
        );
        assert_eq!(
            new(vec!["\0".into()]),
            Err(FilterError::ControlCharacters("service".into()))
        );
        assert_eq!(
            new(vec!["".into()]),
            Err(FilterError::BadLength("service".into()))
        );
        assert_eq!(
            new(vec!["x".repeat(201)]),
            Err(FilterError::BadLength("service".into()))
        );
        assert_eq!(
            new(vec!["a".into(); 65]),
            Err(FilterError::TooMany("service".into()))
        );
    }

    #[test]
    fn a_broken_template_is_a_template_error() {
        assert!(matches!(
            build(
                "sum(rate(x{$filter}[1m])",
                &placeholders(),
                &Filter::default()
            ),
            Err(QueryError::Template(_))
        ));
    }

    #[test]
    fn a_filter_value_that_looks_like_a_placeholder_stays_a_value() {
        let f = filter(&["$range", "$rate_interval", "$filter"]);
        let q = build(TEMPLATE, &placeholders(), &f).unwrap();
        assert!(!q.contains("3600s"), "not expanded again: {q}");
        let re = f.get("service").unwrap().regex();
        assert_eq!(
            regexes(&q, "service"),
            vec![matcher_key("service", "=~", &re)]
        );
    }

    #[test]
    fn placeholder_labels_and_exclusions_are_named_when_built() {
        let mut f = Filter::default();
        f.insert(
            "$service_label",
            FilterValues::new("service", vec!["shop".into()]).unwrap(),
        );
        f.exclude("$service_label", vec!["both".into(), "a.b".into()]);
        let ph = placeholders();
        let template = "sum by ($service_label) (rate(x_total{$filter}[$rate_interval]))";
        let q = build(template, &ph, &f.resolved(&ph)).unwrap();
        assert_eq!(
            q,
            r#"sum by (job) (rate(x_total{job=~"shop",job!~"a\\.b|both"}[60s]))"#
        );
    }

    #[test]
    fn a_filter_naming_variables_adds_only_theirs() {
        let mut f = filter(&["a"]);
        f.insert(
            "instance",
            FilterValues::new("node", vec!["h:9100".into()]).unwrap(),
        );
        let template = "x{$filter(node)} / y{mode=\"idle\",$filter( service , node )} + z{$filter}";
        let q = build(template, &placeholders(), &f).unwrap();
        assert_eq!(
            q,
            r#"x{instance=~"h:9100"} / y{mode="idle",instance=~"h:9100",service=~"a"} + z{instance=~"h:9100",service=~"a"}"#
        );
        // A variable nobody chose adds nothing; the placeholder stays valid.
        let q = build("x{a=\"b\",$filter(other)}", &placeholders(), &f).unwrap();
        assert_eq!(q, r#"x{a="b",}"#);
        assert_eq!(
            filter_placeholders(template),
            vec![
                Some(vec!["node".to_string()]),
                Some(vec!["service".to_string(), "node".to_string()]),
                None
            ]
        );
        // Outside a selector's braces it is refused, chosen or not.
        for filter in [Filter::default(), f.clone()] {
            assert!(build("sum(x) $filter(node)", &placeholders(), &filter).is_err());
        }
    }

    #[test]
    fn words_fill_their_placeholders_and_a_filter_value_never_does() {
        let mut f = filter(&["$interval"]);
        f.set_word("interval", "5m".into());
        let q = build(
            "rate(x{$filter}[$interval]) > $interval_missing",
            &placeholders(),
            &f,
        );
        // An unknown word stays itself, and PromQL refuses it.
        assert!(q.is_err());
        let q = build("rate(x{$filter}[$interval])", &placeholders(), &f).unwrap();
        assert_eq!(q, r#"rate(x{service=~"\\$interval"}[5m])"#);
    }
}
