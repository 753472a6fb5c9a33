//! A text panel's Markdown as a tree of the few elements a page may show.
//!
//! The server parses the file's Markdown (a CommonMark parser, raw HTML off:
//! it stays text) into this tree; pages build ordinary view nodes from it, so
//! nothing of a dashboard file is ever parsed as HTML by a browser, and links
//! keep only addresses a browser cannot run (`http`, `https`, `mailto`, or a
//! path of this site).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Markdown {
    Text(String),
    Element {
        tag: MarkdownTag,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        children: Vec<Markdown>,
    },
    Link {
        href: String,
        children: Vec<Markdown>,
    },
}

/// The elements a text panel may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkdownTag {
    Paragraph,
    /// Levels 1–6 are all shown one size below the panel's title.
    Heading,
    Emphasis,
    Strong,
    Strikethrough,
    Code,
    CodeBlock,
    Quote,
    List,
    OrderedList,
    Item,
    Rule,
    Break,
}

impl Markdown {
    /// Whether an address may be a link's: nothing a browser would run.
    pub fn safe_href(href: &str) -> bool {
        let lower = href.trim().to_ascii_lowercase();
        ["http://", "https://", "mailto:"]
            .iter()
            .any(|scheme| lower.starts_with(scheme))
            || (lower.starts_with('/') && !lower.starts_with("//"))
            || lower.starts_with('#')
    }

    /// The text of a tree, a line per block: what an image of the panel shows.
    pub fn plain_lines(tree: &[Markdown]) -> Vec<String> {
        fn walk(node: &Markdown, line: &mut String, lines: &mut Vec<String>) {
            match node {
                Markdown::Text(t) => line.push_str(t),
                Markdown::Link { children, .. } => {
                    children.iter().for_each(|c| walk(c, line, lines))
                }
                Markdown::Element { tag, children } => {
                    let block = matches!(
                        tag,
                        MarkdownTag::Paragraph
                            | MarkdownTag::Heading
                            | MarkdownTag::CodeBlock
                            | MarkdownTag::Item
                            | MarkdownTag::Rule
                            | MarkdownTag::Break
                    );
                    if *tag == MarkdownTag::Item {
                        line.push_str("• ");
                    }
                    children.iter().for_each(|c| walk(c, line, lines));
                    if block && !line.trim().is_empty() {
                        for l in line.lines() {
                            lines.push(l.trim_end().to_string());
                        }
                        line.clear();
                    }
                }
            }
        }
        let mut lines = Vec::new();
        let mut line = String::new();
        for node in tree {
            walk(node, &mut line, &mut lines);
        }
        if !line.trim().is_empty() {
            lines.push(line.trim_end().to_string());
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_addresses_a_browser_cannot_run_are_links() {
        for ok in [
            "https://a.example/x",
            "http://a",
            "mailto:x@y",
            "/d/system",
            "#top",
        ] {
            assert!(Markdown::safe_href(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,x",
            "//evil.example",
            "vbscript:x",
        ] {
            assert!(!Markdown::safe_href(bad), "{bad}");
        }
    }
}
