//! `GET /metrics`: on the main port behind TALENTPOST_METRICS_TOKEN (Bearer), or open on
//! the separate TALENTPOST_METRICS_BIND address. Also the middleware that times every
//! HTTP request.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::HttpState;
use crate::crypto::sha256_hex;
use crate::metrics::Metrics;
use crate::state::AppState;

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// /metrics on the main port: only with the configured token; without one configured,
/// the main port has no metrics at all.
pub async fn with_token(State(state): State<HttpState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.app.config.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    // Compared as hashes, so the time taken says nothing about the token.
    let matches = given.is_some_and(|given| sha256_hex(given.as_bytes()) == sha256_hex(expected.as_bytes()));
    if !matches {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
            "metrics need the token set in TALENTPOST_METRICS_TOKEN\n",
        )
            .into_response();
    }
    render(&state.app).await
}

/// The router of the separate metrics address: /metrics and nothing else.
pub fn router(app: AppState) -> Router {
    Router::new().route("/metrics", get(open)).with_state(app)
}

async fn open(State(app): State<AppState>) -> Response {
    render(&app).await
}

async fn render(app: &AppState) -> Response {
    match crate::services::operations::snapshot::read(app).await {
        Ok(snapshot) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            app.metrics.render(&snapshot),
        )
            .into_response(),
        Err(error) => {
            // A failed scrape is what tells the monitoring something is wrong.
            tracing::warn!(error = %crate::error::chain(&error), "reading the state for /metrics failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Times each request, labelled by its route template (the web app's files and client
/// routes share one label) and status class.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(web app)".to_owned(), |path| path.as_str().to_owned());
    let method = match *request.method() {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "other",
    };
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.http_request(method, &route, response.status().as_u16(), started.elapsed());
    response
}
