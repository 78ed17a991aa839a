//! HTML from mail, made safe to show. This is the first of two fences: ammonia removes
//! scripts, event handlers and dangerous URL schemes here; the app then shows the result
//! in a sandboxed frame whose content security policy loads nothing remote unless the
//! reader asks for images.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SanitizedHtml {
    pub html: String,
    /// The mail refers to remote images or styles; the app offers "show images".
    pub has_remote_content: bool,
}

/// Presentational attributes that mail clients still rely on for layout.
const LAYOUT_ATTRIBUTES: &[&str] = &[
    "style",
    "align",
    "valign",
    "bgcolor",
    "width",
    "height",
    "border",
    "cellpadding",
    "cellspacing",
    "color",
    "face",
    "size",
    "dir",
];

pub fn sanitize_html(html: &str) -> SanitizedHtml {
    let remote = Arc::new(AtomicBool::new(false));
    let seen_remote = Arc::clone(&remote);
    let cleaned = ammonia::Builder::default()
        .add_generic_attributes(LAYOUT_ATTRIBUTES)
        .add_tags(["center", "font"])
        .add_url_schemes(["cid"])
        // Relative URLs would resolve against the app, not the sender.
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        // Links open outside the frame, never replace the message view.
        .set_tag_attribute_value("a", "target", "_blank")
        .attribute_filter(move |_element, attribute, value| {
            let lower = value.trim_start().to_ascii_lowercase();
            let remote_url = attribute != "href"
                && (lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("//"));
            let remote_css = attribute == "style" && lower.contains("url(");
            if remote_url || remote_css {
                seen_remote.store(true, Ordering::Relaxed);
            }
            Some(Cow::Borrowed(value))
        })
        .clean(html)
        .to_string();
    SanitizedHtml {
        html: cleaned,
        has_remote_content: remote.load(Ordering::Relaxed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_active_content_and_notes_remote_images() {
        let hostile = r#"<p onclick="steal()">Hi<script>alert(1)</script></p>
            <img src="x" onerror="alert(2)"><a href="javascript:alert(3)">click</a>
            <img src="https://tracker.example/pixel.gif"><a href="https://firma.de">site</a>"#;
        let clean = sanitize_html(hostile);
        for forbidden in ["script", "onclick", "onerror", "javascript:"] {
            assert!(!clean.html.contains(forbidden), "{forbidden} survived: {}", clean.html);
        }
        assert!(clean.html.contains(r#"target="_blank""#));
        assert!(clean.has_remote_content);
        assert!(!sanitize_html("<p style=\"color:red\">plain</p>").has_remote_content);
    }
}
