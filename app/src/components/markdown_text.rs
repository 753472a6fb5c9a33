use leptos::prelude::*;

use crate::model::{Markdown, MarkdownTag, PanelData};

/// A text panel: its Markdown as ordinary elements built from the tree the
/// server parsed (never HTML: raw HTML in the file is shown as text).
#[component]
pub fn MarkdownText(#[prop(into)] data: Signal<PanelData>) -> impl IntoView {
    view! {
        <div class="markdown" data-testid="markdown">
            {move || data.with(|d| nodes(&d.view.text))}
        </div>
    }
}

fn nodes(tree: &[Markdown]) -> AnyView {
    tree.iter().map(node).collect_view().into_any()
}

fn node(n: &Markdown) -> AnyView {
    match n {
        Markdown::Text(t) => t.clone().into_any(),
        // Checked when parsed; checked again here, the last place before a page.
        Markdown::Link { href, children } if Markdown::safe_href(href) => view! {
            <a href=href.clone() rel="noopener noreferrer">
                {nodes(children)}
            </a>
        }
        .into_any(),
        Markdown::Link { children, .. } => nodes(children),
        Markdown::Element { tag, children } => {
            let inner = nodes(children);
            match tag {
                MarkdownTag::Paragraph => view! { <p>{inner}</p> }.into_any(),
                MarkdownTag::Heading => view! { <h3>{inner}</h3> }.into_any(),
                MarkdownTag::Emphasis => view! { <em>{inner}</em> }.into_any(),
                MarkdownTag::Strong => view! { <strong>{inner}</strong> }.into_any(),
                MarkdownTag::Strikethrough => view! { <del>{inner}</del> }.into_any(),
                MarkdownTag::Code => view! { <code>{inner}</code> }.into_any(),
                MarkdownTag::CodeBlock => view! {
                    <pre>
                        <code>{inner}</code>
                    </pre>
                }
                .into_any(),
                MarkdownTag::Quote => view! { <blockquote>{inner}</blockquote> }.into_any(),
                MarkdownTag::List => view! { <ul>{inner}</ul> }.into_any(),
                MarkdownTag::OrderedList => view! { <ol>{inner}</ol> }.into_any(),
                MarkdownTag::Item => view! { <li>{inner}</li> }.into_any(),
                MarkdownTag::Rule => view! { <hr /> }.into_any(),
                MarkdownTag::Break => view! { <br /> }.into_any(),
            }
        }
    }
}
