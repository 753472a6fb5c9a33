//! A text panel's Markdown, parsed into the tree pages show ([`Markdown`]).
//!
//! pulldown-cmark does the parsing (CommonMark, with strikethrough). What it
//! reports as raw HTML becomes text; images become their alt text; a link
//! whose address a browser could run (`javascript:`, `data:`) becomes its
//! text. Deep nesting is flattened past a depth, so a hostile file cannot
//! make the page (or its hydration) recurse without end.

use app::model::{Markdown, MarkdownTag};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// How deep elements nest before their children join their parent.
const MAX_DEPTH: usize = 12;
/// The longest text a panel holds (characters of Markdown).
pub const MAX_LEN: usize = 20_000;

/// One open element: what it becomes when it closes, or `None` for one
/// Vantage does not show (its children join the parent).
struct Open {
    kind: Option<Kind>,
    children: Vec<Markdown>,
}

enum Kind {
    Tag(MarkdownTag),
    Link(String),
}

pub fn parse(text: &str) -> Vec<Markdown> {
    let mut stack = vec![Open {
        kind: None,
        children: Vec::new(),
    }];
    let push = |stack: &mut Vec<Open>, node: Markdown| {
        if let Some(top) = stack.last_mut() {
            match (top.children.last_mut(), node) {
                // Adjacent text is one node (the parser splits it at will).
                (Some(Markdown::Text(prev)), Markdown::Text(t)) => prev.push_str(&t),
                (_, node) => top.children.push(node),
            }
        }
    };
    for event in Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(tag) => {
                let kind = kind_of(tag).filter(|_| stack.len() <= MAX_DEPTH);
                stack.push(Open {
                    kind,
                    children: Vec::new(),
                });
            }
            Event::End(end) => {
                // The root is never closed by an event.
                if stack.len() < 2 {
                    continue;
                }
                let Some(open) = stack.pop() else { continue };
                match open.kind {
                    Some(Kind::Tag(tag)) => push(
                        &mut stack,
                        Markdown::Element {
                            tag,
                            children: open.children,
                        },
                    ),
                    Some(Kind::Link(href)) => push(
                        &mut stack,
                        Markdown::Link {
                            href,
                            children: open.children,
                        },
                    ),
                    None => {
                        let block_end = matches!(
                            end,
                            TagEnd::Paragraph | TagEnd::TableRow | TagEnd::TableHead
                        );
                        for child in open.children {
                            push(&mut stack, child);
                        }
                        if block_end {
                            push(&mut stack, Markdown::Text(" ".into()));
                        }
                    }
                }
            }
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t)
                if matches!(event_kind(&stack), Some(MarkdownTag::CodeBlock)) =>
            {
                push(&mut stack, Markdown::Text(t.to_string()))
            }
            Event::Code(t) => push(
                &mut stack,
                Markdown::Element {
                    tag: MarkdownTag::Code,
                    children: vec![Markdown::Text(t.to_string())],
                },
            ),
            Event::Text(t)
            | Event::Html(t)
            | Event::InlineHtml(t)
            | Event::InlineMath(t)
            | Event::DisplayMath(t)
            | Event::FootnoteReference(t) => push(&mut stack, Markdown::Text(t.to_string())),
            Event::SoftBreak => push(&mut stack, Markdown::Text(" ".into())),
            Event::HardBreak => push(
                &mut stack,
                Markdown::Element {
                    tag: MarkdownTag::Break,
                    children: Vec::new(),
                },
            ),
            Event::Rule => push(
                &mut stack,
                Markdown::Element {
                    tag: MarkdownTag::Rule,
                    children: Vec::new(),
                },
            ),
            Event::TaskListMarker(done) => push(
                &mut stack,
                Markdown::Text(if done { "☑ " } else { "☐ " }.into()),
            ),
        }
    }
    // Unclosed elements (there are none in a parser's events) join the root.
    while stack.len() > 1 {
        if let Some(open) = stack.pop() {
            for child in open.children {
                push(&mut stack, child);
            }
        }
    }
    stack.pop().map(|root| root.children).unwrap_or_default()
}

fn event_kind(stack: &[Open]) -> Option<MarkdownTag> {
    stack.iter().rev().find_map(|o| match o.kind {
        Some(Kind::Tag(t)) => Some(t),
        _ => None,
    })
}

fn kind_of(tag: Tag<'_>) -> Option<Kind> {
    let tag = match tag {
        Tag::Paragraph => MarkdownTag::Paragraph,
        Tag::Heading { .. } => MarkdownTag::Heading,
        Tag::BlockQuote(_) => MarkdownTag::Quote,
        Tag::CodeBlock(_) => MarkdownTag::CodeBlock,
        Tag::List(Some(_)) => MarkdownTag::OrderedList,
        Tag::List(None) => MarkdownTag::List,
        Tag::Item => MarkdownTag::Item,
        Tag::Emphasis => MarkdownTag::Emphasis,
        Tag::Strong => MarkdownTag::Strong,
        Tag::Strikethrough => MarkdownTag::Strikethrough,
        Tag::Link { dest_url, .. } => {
            return Markdown::safe_href(&dest_url).then(|| Kind::Link(dest_url.to_string()));
        }
        // Images (their alt text stays), tables, footnotes, HTML blocks,
        // metadata: their text, in the parent.
        _ => return None,
    };
    Some(Kind::Tag(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Markdown {
        Markdown::Text(s.into())
    }

    fn el(tag: MarkdownTag, children: Vec<Markdown>) -> Markdown {
        Markdown::Element { tag, children }
    }

    #[test]
    fn common_markdown_becomes_its_elements() {
        let tree = parse(
            "# Title\n\nSome *very* **bold** `code` [docs](https://x.example/d).\n\n- one\n- two\n",
        );
        assert_eq!(tree[0], el(MarkdownTag::Heading, vec![text("Title")]));
        assert_eq!(
            tree[1],
            el(
                MarkdownTag::Paragraph,
                vec![
                    text("Some "),
                    el(MarkdownTag::Emphasis, vec![text("very")]),
                    text(" "),
                    el(MarkdownTag::Strong, vec![text("bold")]),
                    text(" "),
                    el(MarkdownTag::Code, vec![text("code")]),
                    text(" "),
                    Markdown::Link {
                        href: "https://x.example/d".into(),
                        children: vec![text("docs")]
                    },
                    text("."),
                ]
            )
        );
        assert_eq!(
            tree[2],
            el(
                MarkdownTag::List,
                vec![
                    el(MarkdownTag::Item, vec![text("one")]),
                    el(MarkdownTag::Item, vec![text("two")])
                ]
            )
        );
    }

    #[test]
    fn raw_html_and_script_links_stay_text() {
        let tree = parse(
            "<script>alert(1)</script>\n\nHi <img src=x onerror=alert(1)> [x](javascript:alert(1)) ![alt](https://x/i.png)",
        );
        let json = serde_json::to_string(&tree).unwrap();
        assert!(!json.contains("\"link\""), "{json}");
        let lines = Markdown::plain_lines(&tree).join("\n");
        assert!(lines.contains("<script>alert(1)</script>"), "{lines}");
        assert!(lines.contains("<img src=x onerror=alert(1)>"), "{lines}");
        assert!(lines.contains("x alt"), "{lines}");
    }

    #[test]
    fn deep_nesting_is_flattened() {
        let deep = format!("{}deep", "> ".repeat(500));
        let tree = parse(&deep);
        fn depth(nodes: &[Markdown]) -> usize {
            nodes
                .iter()
                .map(|n| match n {
                    Markdown::Text(_) => 0,
                    Markdown::Element { children, .. } | Markdown::Link { children, .. } => {
                        1 + depth(children)
                    }
                })
                .max()
                .unwrap_or(0)
        }
        assert!(depth(&tree) <= MAX_DEPTH, "{}", depth(&tree));
        assert_eq!(Markdown::plain_lines(&tree), vec!["deep".to_string()]);
    }
}
