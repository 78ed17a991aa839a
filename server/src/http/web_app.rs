//! The web app's files: built into the binary (the app as `frontend/dist` held when the
//! server was compiled, with the brotli and gzip copies the build leaves beside each
//! asset), or read from `TALENTPOST_WEB_DIR` when that is set (development, where the app
//! is rebuilt while the server runs).
//!
//! Client routes (/inbox, /settings/users …) are the app's, so unknown paths get
//! index.html; a missing file (a name with an extension, e.g. /favicon.ico) is a 404.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::services::{ServeDir, ServeFile};

use super::security::PagePolicy;

/// The app as built when the server was compiled. `allow_missing`: a server built before
/// the app (API tests, `cargo build` alone) has none, and says so at start and to browsers.
#[derive(rust_embed::Embed)]
#[folder = "../frontend/dist/"]
#[allow_missing = true]
struct BuiltIn;

/// Where the app's files come from, and the page policy that goes with them.
pub fn router(web_dir: Option<&Path>) -> (Router, PagePolicy) {
    let (router, policy) = match web_dir {
        Some(dir) => {
            if dir.join("index.html").is_file() {
                tracing::info!(web_dir = %dir.display(), "serving the web app from TALENTPOST_WEB_DIR");
            } else {
                // Served per request, so an app built while the server runs is picked up.
                tracing::warn!(
                    web_dir = %dir.display(),
                    "the web app is not installed: no index.html in TALENTPOST_WEB_DIR; browsers get a page \
                     saying so until it is built there"
                );
            }
            (from_dir(dir.to_path_buf()), PagePolicy::for_web_dir(dir))
        }
        None => match BuiltIn::get("index.html") {
            Some(index) => {
                tracing::info!("serving the web app built into this binary");
                let policy = PagePolicy::fixed(&String::from_utf8_lossy(&index.data));
                (Router::new().fallback(built_in), policy)
            }
            None => {
                tracing::warn!(
                    "this binary was built without the web app (frontend/dist was empty when it was compiled); \
                     browsers get a page saying so. Build with scripts/run, or set TALENTPOST_WEB_DIR to a built app"
                );
                (Router::new().fallback(not_installed_unless_file), PagePolicy::fixed(""))
            }
        },
    };
    (router.layer(axum::middleware::from_fn(cache_policy)), policy)
}

fn from_dir(web_dir: PathBuf) -> Router {
    let index = ServeFile::new(web_dir.join("index.html"));
    let files = ServeDir::new(&web_dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(tower::service_fn(move |request: Request| {
            let mut index = index.clone();
            async move {
                if looks_like_a_file(request.uri().path()) {
                    return Ok(StatusCode::NOT_FOUND.into_response());
                }
                let response = tower::Service::call(&mut index, request).await?;
                if response.status() == StatusCode::NOT_FOUND {
                    return Ok(app_not_installed());
                }
                Ok::<_, std::convert::Infallible>(response.map(Body::new))
            }
        }));
    Router::new().fallback_service(files)
}

async fn not_installed_unless_file(request: Request) -> Response {
    if looks_like_a_file(request.uri().path()) {
        StatusCode::NOT_FOUND.into_response()
    } else {
        app_not_installed()
    }
}

/// A file of the built-in app, in the best encoding the browser accepts, with an ETag
/// so a reload costs a 304.
async fn built_in(request: Request) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = request.uri().path().trim_start_matches('/');
    let name = match path {
        "" => "index.html",
        path if BuiltIn::get(path).is_some() => path,
        path if looks_like_a_file(path) => return StatusCode::NOT_FOUND.into_response(),
        _ => "index.html",
    };
    let accepted = accepted_encodings(request.headers());
    let (encoding, file) = [("br", "br"), ("gzip", "gz")]
        .into_iter()
        .filter(|(encoding, _)| accepted.contains(encoding))
        .find_map(|(encoding, suffix)| BuiltIn::get(&format!("{name}.{suffix}")).map(|file| (Some(encoding), file)))
        .or_else(|| BuiltIn::get(name).map(|file| (None, file)))
        .unzip();
    let (Some(encoding), Some(file)) = (encoding, file) else {
        return app_not_installed();
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let content_type = mime_guess::from_path(name).first_or_octet_stream();
    if let Ok(value) = HeaderValue::from_str(content_type.as_ref()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    if request.method() == Method::HEAD {
        return (headers, Body::empty()).into_response();
    }
    (headers, Body::from(file.data)).into_response()
}

/// The content codings of `Accept-Encoding` the client takes (q > 0).
fn accepted_encodings(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().filter(|coding| !coding.is_empty())?;
            let refused = parts
                .filter_map(|param| param.strip_prefix("q="))
                .any(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0));
            (!refused).then_some(coding)
        })
        .collect()
}

/// What a browser gets when the server has no built web app to serve: a plain page for
/// whoever opens it (a recruiter must not see paths or settings; the log names them).
fn app_not_installed() -> Response {
    let page = "<!doctype html>\n<html lang=\"de\"><head><meta charset=\"utf-8\">\
        <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
        <title>Talentpost</title></head><body><main>\
        <h1>Talentpost</h1>\
        <p>Der Server läuft, aber die Web-App ist auf ihm nicht installiert. \
        Ihre Administration findet die Einzelheiten im Server-Protokoll.</p>\
        <p lang=\"en\">The server is running, but its web app is not installed. \
        Your administrator finds the details in the server log.</p>\
        </main></body></html>\n";
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

/// A last path segment with a dot names a file, not a client route.
fn looks_like_a_file(path: &str) -> bool {
    path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

/// Files whose names carry trunk's content hash (`style-5bd665743f771018.css`) never
/// change: cached for a year. Everything else of the app (index.html, the client
/// routes) is revalidated on every load, so a new release is picked up at once.
async fn cache_policy(request: Request, next: axum::middleware::Next) -> Response {
    let immutable = is_hashed_asset(request.uri().path());
    let mut response = next.run(request).await;
    let value = if immutable && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

fn is_hashed_asset(path: &str) -> bool {
    let Some(name) = path.rsplit('/').next() else {
        return false;
    };
    let stem = name.split('.').next().unwrap_or(name);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_trunk_hashed_names_are_immutable() {
        assert!(is_hashed_asset("/talentpost-frontend-93e09b3111493fc9_bg.wasm"));
        assert!(is_hashed_asset("/talentpost-frontend-93e09b3111493fc9.js"));
        assert!(is_hashed_asset("/style-5bd665743f771018.css"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/inbox"));
        assert!(!is_hashed_asset("/favicon-abc.svg"));
        assert!(looks_like_a_file("/favicon.ico") && !looks_like_a_file("/candidates/12") && !looks_like_a_file("/"));
    }

    #[test]
    fn encodings_refused_with_q_zero_are_not_offered() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br;q=0, deflate;q=0.5"),
        );
        assert_eq!(accepted_encodings(&headers), vec!["gzip", "deflate"]);
    }
}
