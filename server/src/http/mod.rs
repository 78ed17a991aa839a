//! HTTP surface: GraphQL over POST and WebSocket, file downloads, health, and the web app.

mod documents;
mod error;
mod graphql;
mod intake;
mod mail;
mod metrics;
mod security;
mod test_clock;
mod web_app;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Principal;
use crate::error::ServiceError;
use crate::graphql::AppSchema;
use crate::services::org::auth as auth_service;
use crate::state::AppState;

#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: AppSchema,
    pub origins: security::TrustedOrigins,
}

pub use metrics::router as metrics_router;

pub fn router(app: AppState, schema: AppSchema) -> Router {
    let (web_app, page_policy) = web_app::router(app.config.web_dir.as_deref());
    let form_body_limit = intake::body_limit(app.config.max_upload_bytes);
    let test_clock = app.clock.is_settable();
    let counted = app.metrics.clone();
    let origins = security::TrustedOrigins::new(&app.public_url, &app.config.allowed_origins.0);
    let state = HttpState { app, schema, origins };
    let public_form = Router::new()
        .route(
            "/api/public/forms/{key}",
            get(intake::form_page).post(intake::submit_form),
        )
        .layer(axum::extract::DefaultBodyLimit::max(form_body_limit));
    let mut routes = Router::new().merge(public_form);
    if test_clock {
        routes = routes.route("/api/test/clock", post(test_clock::set));
    }
    routes
        .route("/api/intake/sms/{key}", post(intake::sms_webhook))
        .route("/api/intake/job-agency", post(intake::job_agency))
        .route("/graphql", get(graphql::graphiql).post(graphql::execute))
        .route("/graphql/ws", get(graphql::websocket))
        .route("/api/documents/{id}", get(documents::download))
        .route("/api/inbox/{id}/raw", get(mail::raw_download))
        .route("/api/inbox/{id}/view", get(mail::view))
        .route("/api/mail/intake", post(mail::intake))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::with_token))
        .route_layer(axum::middleware::from_fn(no_store))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::same_origin_for_cookies,
        ))
        .fallback_service(web_app)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(counted, metrics::track))
        .layer(axum::middleware::from_fn_with_state(
            page_policy,
            security::page_headers,
        ))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(TraceLayer::new_for_http())
}

async fn healthz() -> &'static str {
    "ok"
}

/// How long `/readyz` waits for each check: a probe must answer even when the
/// database hangs.
const READINESS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Readiness for a load balancer or an orchestrator: 200 only when the database answers
/// with this release's schema and the blob store takes files; otherwise 503 naming the
/// check that failed. The causes (with paths) go to the log, not to the unauthenticated
/// answer. `/healthz` stays the liveness check.
async fn readyz(State(state): State<HttpState>) -> impl IntoResponse {
    let database = match tokio::time::timeout(READINESS_TIMEOUT, crate::db::readiness(&state.app.db)).await {
        Ok(Ok(())) => None,
        Ok(Err(error)) => {
            tracing::warn!(error = %crate::error::chain(&error), "not ready: database");
            Some(error.to_string())
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer within {READINESS_TIMEOUT:?}");
            Some("the database does not answer".to_owned())
        }
    };
    let blobs = match tokio::time::timeout(READINESS_TIMEOUT, state.app.blobs.check_writable()).await {
        Ok(Ok(())) => None,
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: the blob store cannot be written");
            Some("the file store cannot be written".to_owned())
        }
        Err(_) => {
            tracing::warn!("not ready: the blob store did not answer within {READINESS_TIMEOUT:?}");
            Some("the file store does not answer".to_owned())
        }
    };
    let ready = database.is_none() && blobs.is_none();
    let check = |problem: Option<String>| problem.unwrap_or_else(|| "ok".to_owned());
    let status = if ready {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not ready" },
        "checks": { "database": check(database), "blobs": check(blobs) },
    });
    (status, axum::Json(body))
}

/// API answers are never cached: they hold personal data and change all the time.
async fn no_store(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Reads the session cookie value from a `Cookie` header.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == crate::services::org::auth::SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

pub fn authorization(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The caller from the session cookie or bearer token, or the error response to send.
pub async fn authenticated(app: &AppState, headers: &axum::http::HeaderMap) -> Result<Principal, Response> {
    let cookie = session_cookie(headers);
    match auth_service::authenticate(app, cookie.as_deref(), authorization(headers).as_deref()).await {
        Ok(Some(principal)) => Ok(principal),
        Ok(None) => Err(error::service_error_response(ServiceError::Unauthenticated)),
        Err(error) => Err(error::service_error_response(error)),
    }
}

/// How much of an oversized body is still read (and thrown away) before answering 413.
/// Answering while the client is still sending makes the server close the connection,
/// and many clients then report a broken connection instead of our clear error.
const MAX_DISCARDED_BODY: usize = 16 * 1024 * 1024;

/// The body if it fits in `limit`; `None` when it is larger. Up to 16 MiB past the
/// limit are still read, so the client receives the 413 instead of a reset connection.
pub async fn read_limited(body: Body, limit: usize) -> Option<Vec<u8>> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.ok()?;
        seen = seen.saturating_add(chunk.len());
        if seen <= limit {
            bytes.extend_from_slice(&chunk);
        } else if seen > limit.saturating_add(MAX_DISCARDED_BODY) {
            return None;
        }
    }
    (seen <= limit).then_some(bytes)
}
