use crate::graphql::loaders::Loaders;
use async_graphql::http::MultipartOptions;
use async_graphql::{BatchResponse, Data};
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::body::Body;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use talentpost_shared::ErrorCode;

use super::error::{error_response, service_error_response};
use super::{HttpState, authorization, read_limited, session_cookie};
use crate::graphql::{RequestAuth, SessionCookie};
use crate::services::org::auth as auth_service;

/// Plain JSON queries are small; only multipart requests carry files.
const MAX_JSON_BODY: usize = 1024 * 1024;
const MAX_FILES: usize = 20;
/// A multipart request may carry a few files of the maximum size, not twenty.
const MAX_UPLOAD_BODY_FACTOR: usize = 3;

/// GraphiQL, served from this server's own copy (no CDN). Its policy differs from the
/// app's in two places GraphiQL needs: its editor injects `<style>` elements, and its
/// stylesheet carries fonts as `data:` URLs. Scripts stay limited to this server.
pub async fn graphiql() -> Response {
    const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    let mut response = Html(include_str!("graphiql.html")).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

pub async fn execute(State(state): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_multipart = content_type.as_deref().is_some_and(|t| t.starts_with("multipart/"));

    // Who is calling is known from the headers alone; deciding it first means an
    // anonymous client can never make the server buffer an upload.
    let cookie = session_cookie(&headers);
    let principal =
        match auth_service::authenticate(&state.app, cookie.as_deref(), authorization(&headers).as_deref()).await {
            Ok(principal) => principal,
            Err(error) => return service_error_response(error),
        };
    if is_multipart && principal.is_none() {
        return service_error_response(crate::error::ServiceError::Unauthenticated);
    }
    let limit = if is_multipart {
        state.app.config.max_upload_bytes.saturating_mul(MAX_UPLOAD_BODY_FACTOR) + MAX_JSON_BODY
    } else {
        MAX_JSON_BODY
    };
    let bytes = match read_limited(body, limit).await {
        Some(bytes) => bytes,
        None => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                &format!("the request body is larger than {limit} bytes"),
                None,
            );
        }
    };
    let options = MultipartOptions::default()
        .max_file_size(state.app.config.max_upload_bytes)
        .max_num_files(MAX_FILES);
    let request = match async_graphql::http::receive_batch_body(content_type, bytes.as_slice(), options).await {
        // Batches would run their operations concurrently, beside the per-operation
        // limits and the login throttle; no client of ours needs them.
        Ok(async_graphql::BatchRequest::Single(request)) => request,
        Ok(async_graphql::BatchRequest::Batch(_)) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidInput,
                "batched requests are not supported; send one operation per request",
                None,
            );
        }
        Err(error) => {
            let (status, code) = match error {
                async_graphql::ParseRequestError::PayloadTooLarge => {
                    (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
                }
                _ => (StatusCode::BAD_REQUEST, ErrorCode::InvalidInput),
            };
            return error_response(status, code, &format!("the request could not be read: {error}"), None);
        }
    };

    let mut request = request.data(SessionCookie(cookie));
    if let Some(principal) = &principal {
        request = request.data(Loaders::for_request(&state.app, principal));
    }
    // Names as clients send them, counted only for signed-in callers: anyone else could
    // fill the metrics' name slots.
    let operation = request.operation_name.clone().filter(|_| principal.is_some());
    let request = request.data(RequestAuth(principal));
    let started = std::time::Instant::now();
    let response = state.schema.execute(request).await;
    state
        .app
        .metrics
        .graphql_request(operation.as_deref(), started.elapsed());
    GraphQLResponse::from(BatchResponse::Single(response)).into_response()
}

/// graphql-transport-ws (and the older graphql-ws). The browser sends the session
/// cookie with the upgrade; scripts put `{"authorization": "Bearer …"}` into
/// `connection_init`. Without either the connection is refused at init.
pub async fn websocket(
    State(state): State<HttpState>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    // Browsers always send `Origin` with a WebSocket; a page of another site must not
    // ride on the session cookie (SameSite does not cover sibling subdomains).
    if !state.origins.permit(&headers) {
        return super::security::foreign_origin(&headers);
    }
    let cookie = session_cookie(&headers);
    let app = state.app.clone();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, state.schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let token = payload
                        .get("authorization")
                        .or_else(|| payload.get("Authorization"))
                        .and_then(|v| v.as_str())
                        .map(str::to_owned);
                    let principal = auth_service::authenticate(&app, cookie.as_deref(), token.as_deref())
                        .await
                        .ok()
                        .flatten()
                        .ok_or_else(|| {
                            async_graphql::Error::new("not signed in: send a session cookie or an authorization token")
                        })?;
                    let mut data = Data::default();
                    data.insert(Loaders::for_connection(&app, &principal));
                    data.insert(RequestAuth(Some(principal)));
                    Ok(data)
                })
                .serve()
        })
}
