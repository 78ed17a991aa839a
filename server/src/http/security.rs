//! What browsers are told and checked for: the content security policy and frame
//! headers of every page, and the origin check of cookie-authenticated requests and
//! WebSockets (defence in depth beside the SameSite=Strict session cookie, which does
//! not stop a sibling subdomain).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};
use talentpost_shared::ErrorCode;

use super::error::error_response;
use super::{HttpState, session_cookie};
use crate::config::WebOrigin;

/// The origins whose pages may use a session: the server's own public address and
/// those an operator added (`TALENTPOST_ALLOWED_ORIGINS`). A request is also accepted
/// when its `Origin` names the very host it was sent to (`Host`), so the default
/// set-up works under `localhost` as well as `127.0.0.1` without configuration.
#[derive(Clone, Debug)]
pub struct TrustedOrigins {
    origins: Vec<WebOrigin>,
}

impl TrustedOrigins {
    pub fn new(public_url: &str, allowed: &[WebOrigin]) -> Self {
        let mut origins: Vec<WebOrigin> = allowed.to_vec();
        if let Ok(own) = WebOrigin::parse(public_url) {
            origins.push(own);
        }
        Self { origins }
    }

    /// True when the request carries no `Origin` (scripts, same-origin GETs) or one we trust.
    pub fn permit(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Some(origin) = origin.to_str().ok().and_then(|o| WebOrigin::parse(o).ok()) else {
            // `Origin: null` (sandboxed frames, file://) is never one of ours.
            return false;
        };
        if self.origins.contains(&origin) {
            return true;
        }
        headers
            .get(header::HOST)
            .and_then(|host| host.to_str().ok())
            .is_some_and(|host| origin.is_host(host))
    }
}

/// Cookie-authenticated changes from a page of another origin are refused before they
/// reach a handler. Requests without the cookie (bearer tokens, public forms) pass.
pub async fn same_origin_for_cookies(State(state): State<HttpState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && session_cookie(request.headers()).is_some() && !state.origins.permit(request.headers()) {
        return foreign_origin(request.headers());
    }
    next.run(request).await
}

pub fn foreign_origin(headers: &HeaderMap) -> Response {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("null");
    tracing::warn!(origin, "refused a request from a foreign origin");
    error_response(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        "requests from pages of another origin are not accepted; add the origin to the server's allowed origins if it is yours",
        None,
    )
}

/// The policy of the app's pages. Scripts come only from this server, plus the inline
/// loader trunk writes into index.html, allowed by its hash rather than by
/// 'unsafe-inline'; 'wasm-unsafe-eval' lets the browser compile the app's wasm.
///
/// It follows index.html: a new build copied into the web folder while the server runs
/// brings a new loader, whose hash is taken on the next request (a stale hash would
/// leave browsers with the splash and nothing else).
#[derive(Clone, Debug)]
pub struct PagePolicy {
    /// index.html in TALENTPOST_WEB_DIR, or `None` for the app built into the binary,
    /// whose policy never changes.
    index: Option<Arc<PathBuf>>,
    current: Arc<RwLock<Option<(SystemTime, HeaderValue)>>>,
}

impl PagePolicy {
    pub fn for_web_dir(web_dir: &Path) -> Self {
        Self {
            index: Some(Arc::new(web_dir.join("index.html"))),
            current: Arc::new(RwLock::new(None)),
        }
    }

    /// The policy of a page that cannot change while the server runs.
    pub fn fixed(index_html: &str) -> Self {
        Self {
            index: None,
            current: Arc::new(RwLock::new(Some((
                SystemTime::UNIX_EPOCH,
                policy_for_index(index_html),
            )))),
        }
    }

    /// The policy as of the current index.html. Only a page (HTML) looks at the file
    /// again; API answers and assets reuse what the last page saw, so they cost no
    /// file-system call.
    fn header(&self, page: bool) -> HeaderValue {
        if (!page || self.index.is_none())
            && let Ok(current) = self.current.read()
            && let Some((_, value)) = current.as_ref()
        {
            return value.clone();
        }
        let Some(index) = self.index.as_deref() else {
            return policy_for_index("");
        };
        let Ok(modified) = std::fs::metadata(index).and_then(|meta| meta.modified()) else {
            return policy_for_index("");
        };
        if let Ok(current) = self.current.read()
            && let Some((seen, value)) = current.as_ref()
            && *seen == modified
        {
            return value.clone();
        }
        let value = policy_for_index(&std::fs::read_to_string(index).unwrap_or_default());
        if let Ok(mut current) = self.current.write() {
            *current = Some((modified, value.clone()));
        }
        value
    }
}

/// The app's policy for the page `index_html`, with the hashes of its inline scripts.
fn policy_for_index(index_html: &str) -> HeaderValue {
    let hashes: String = inline_scripts(index_html)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
        })
        .collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
         form-action 'self'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

/// Every response that does not set its own policy (the mail view and the public form
/// do) gets the app's, and may not be framed.
pub async fn page_headers(State(policy): State<PagePolicy>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if !response.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        let page = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/html"));
        let value = policy.header(page);
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

/// The bodies of `<script>` elements without `src`, exactly as a browser hashes them.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || {
        loop {
            let start = rest.find("<script")?;
            let after_tag = &rest[start..];
            let open_end = after_tag.find('>')?;
            let open_tag = &after_tag[..open_end];
            let body_and_rest = &after_tag[open_end + 1..];
            let close = body_and_rest.find("</script>")?;
            let body = &body_and_rest[..close];
            rest = &body_and_rest[close + "</script>".len()..];
            if !open_tag.contains(" src=") {
                return Some(body);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_only_inline_scripts() {
        let html = "<head><script src=\"/a.js\"></script>\n<script type=\"module\">init()</script></head>";
        let scripts: Vec<_> = inline_scripts(html).collect();
        assert_eq!(scripts, vec!["init()"]);
        let policy = policy_for_index(html);
        let value = policy.to_str().unwrap();
        // sha256("init()"), as `openssl dgst -sha256 -binary | base64` gives it.
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"init()"));
        assert!(value.contains(&format!("'sha256-{expected}'")), "{value}");
        assert!(value.contains("frame-ancestors 'none'"));
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn trusts_own_allowed_and_same_host_origins_only() {
        let allowed = vec![WebOrigin::parse("https://careers.example").unwrap()];
        let origins = TrustedOrigins::new("https://talentpost.example/", &allowed);
        assert!(origins.permit(&headers(&[])));
        assert!(origins.permit(&headers(&[("origin", "https://talentpost.example")])));
        assert!(origins.permit(&headers(&[("origin", "https://careers.example")])));
        assert!(origins.permit(&headers(&[
            ("origin", "http://localhost:8080"),
            ("host", "localhost:8080")
        ])));
        assert!(!origins.permit(&headers(&[
            ("origin", "https://evil.talentpost.example"),
            ("host", "talentpost.example")
        ])));
        assert!(!origins.permit(&headers(&[("origin", "null")])));
        assert!(!origins.permit(&headers(&[("origin", "http://talentpost.example")])));
    }
}
