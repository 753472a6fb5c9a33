//! Building PromQL from a panel's template and the viewer's filter, safely.
//!
//! Filter values never become PromQL syntax: each is quoted as an RE2 literal,
//! the alternation is escaped as a PromQL string, and the built query is parsed
//! (promql-parser) and checked to have its template's shape, with exactly the
//! filter's matcher on every selector, before it may be sent.

use promql_parser::{
    label::MatchOp,
    parser::{self, Expr, VectorSelector},
    util::{escape_string, walk_expr, ExprVisitor},
};

/// The label the service filter narrows.
pub const SERVICE_LABEL: &str = "service";
/// Values a filter may hold, and how long one may be: far above real use,
/// far below what could make a query expensive.
const MAX_VALUES: usize = 64;
const MAX_VALUE_LEN: usize = 200;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FilterError {
    #[error("too many service= values (at most {MAX_VALUES})")]
    TooMany,
    #[error("a service= value is empty or longer than {MAX_VALUE_LEN} bytes")]
    BadLength,
    #[error("a service= value contains control characters")]
    ControlCharacters,
}

/// The services a view is narrowed to; empty means all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceFilter(Vec<String>);

impl ServiceFilter {
    pub fn new(values: Vec<String>) -> Result<Self, FilterError> {
        if values.len() > MAX_VALUES {
            return Err(FilterError::TooMany);
        }
        let mut values = values;
        for v in &values {
            if v.is_empty() || v.len() > MAX_VALUE_LEN {
                return Err(FilterError::BadLength);
            }
            if v.chars().any(char::is_control) {
                return Err(FilterError::ControlCharacters);
            }
        }
        values.sort();
        values.dedup();
        Ok(Self(values))
    }

    pub fn values(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The RE2 pattern matching exactly the chosen values (Prometheus anchors it).
    pub fn regex(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| {
            self.0
                .iter()
                .map(|v| regex_quote(v))
                .collect::<Vec<_>>()
                .join("|")
        })
    }

    /// `service=~"…"`, ready to stand inside a selector's braces.
    fn matcher(&self) -> String {
        match self.regex() {
            Some(re) => format!("{SERVICE_LABEL}=~\"{}\"", escape_string(&re)),
            None => String::new(),
        }
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
    #[error("panel query template does not parse: {0}")]
    Template(String),
    /// The built query is not what the template promised: refuse to send it.
    #[error("built query does not match its template: {0}")]
    Shape(String),
}

/// Fills a template's `$filter` (inside selector braces) and `$rate_interval`.
pub fn build(
    template: &str,
    rate_interval: &str,
    filter: &ServiceFilter,
) -> Result<String, QueryError> {
    let fill = |matcher: &str| {
        template
            .replace("$filter", matcher)
            .replace("$rate_interval", rate_interval)
    };
    let bare = parser::parse(&fill("")).map_err(QueryError::Template)?;
    let query = fill(&filter.matcher());
    let built = parser::parse(&query).map_err(|e| QueryError::Shape(e.to_string()))?;

    let (bare_selectors, _) = selectors(&bare);
    let (built_selectors, regexes) = selectors(&built);
    if bare_selectors != built_selectors {
        return Err(QueryError::Shape(
            "selectors differ from the template's".into(),
        ));
    }
    let expected = filter.regex();
    let templated = template.matches("$filter").count();
    match expected {
        None if !regexes.is_empty() => {
            return Err(QueryError::Shape("unexpected service matcher".into()))
        }
        Some(re) if regexes.len() != templated || regexes.iter().any(|r| *r != re) => {
            return Err(QueryError::Shape("service matcher altered".into()))
        }
        _ => {}
    }
    Ok(query)
}

/// Metric names of the query's selectors, and the values of its `service=~` matchers.
fn selectors(expr: &Expr) -> (Vec<String>, Vec<String>) {
    struct Collect(Vec<String>, Vec<String>);
    impl Collect {
        fn selector(&mut self, vs: &VectorSelector) {
            self.0.push(vs.name.clone().unwrap_or_default());
            for m in &vs.matchers.matchers {
                if m.name == SERVICE_LABEL && matches!(m.op, MatchOp::Re(_)) {
                    self.1.push(m.value.clone());
                }
            }
        }
    }
    impl ExprVisitor for Collect {
        type Error = ();
        fn pre_visit(&mut self, expr: &Expr) -> Result<bool, ()> {
            match expr {
                Expr::VectorSelector(vs) => self.selector(vs),
                // A matrix selector holds its vector selector: count it once.
                Expr::MatrixSelector(ms) => {
                    self.selector(&ms.vs);
                    return Ok(false);
                }
                _ => {}
            }
            Ok(true)
        }
    }
    let mut c = Collect(Vec::new(), Vec::new());
    let _ = walk_expr(&mut c, expr);
    (c.0, c.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "sum by (service) (rate(http_requests_total{$filter}[$rate_interval]))";

    fn filter(values: &[&str]) -> ServiceFilter {
        ServiceFilter::new(values.iter().map(|v| v.to_string()).collect()).unwrap()
    }

    #[test]
    fn no_filter_leaves_the_selector_open() {
        let q = build(TEMPLATE, "60s", &ServiceFilter::default()).unwrap();
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
        let q = build(TEMPLATE, "60s", &f).unwrap();
        // Parsed back, the matcher's pattern is exactly the quoted alternation…
        let (_, regexes) = selectors(&parser::parse(&q).unwrap());
        assert_eq!(regexes, vec![f.regex().unwrap()]);
        // …which, as RE2 anchored, matches each value and nothing wider.
        let re = regex_lite_anchor(&f.regex().unwrap());
        for v in hostile {
            assert!(re.is_match(v), "{v:?} must match itself");
        }
        for wider in ["anything", "API-GATEWAY", "ab", "", "x"] {
            assert!(!re.is_match(wider), "{wider:?} must not match");
        }
        assert!(!q.contains("or vector(1) or {"), "no break-out: {q}");
    }

    /// Anchored like Prometheus does, using the regex engine promql-parser itself uses.
    fn regex_lite_anchor(pattern: &str) -> regex::Regex {
        regex::Regex::new(&format!("^(?:{pattern})$")).unwrap()
    }

    #[test]
    fn bad_values_are_refused() {
        assert_eq!(
            ServiceFilter::new(vec!["a\nb".into()]),
            Err(FilterError::ControlCharacters)
        );
        assert_eq!(
            ServiceFilter::new(vec!["\0".into()]),
            Err(FilterError::ControlCharacters)
        );
        assert_eq!(
            ServiceFilter::new(vec!["".into()]),
            Err(FilterError::BadLength)
        );
        assert_eq!(
            ServiceFilter::new(vec!["x".repeat(201)]),
            Err(FilterError::BadLength)
        );
        assert_eq!(
            ServiceFilter::new(vec!["a".into(); 65]),
            Err(FilterError::TooMany)
        );
    }

    #[test]
    fn a_broken_template_is_a_template_error() {
        assert!(matches!(
            build("sum(rate(x{$filter}[1m])", "60s", &ServiceFilter::default()),
            Err(QueryError::Template(_))
        ));
    }
}
