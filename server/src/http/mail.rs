//! Raw mail over plain HTTP: the forwarding intake and the .eml download.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use talentpost_shared::MailSource;

use super::documents::{ascii_fallback, percent_encode};
use super::error::service_error_response;
use super::{HttpState, authenticated, read_limited};
use crate::error::ServiceError;
use crate::ids::InboxItemId;
use crate::services::mail_in::{intake as mail_intake, stored};

/// `POST /api/mail/intake` with the raw RFC 822 message as body and an administrator's
/// API token: for a company mail server that redirects application mail by HTTP.
/// 201 for a new mail, 200 when it was already stored.
pub async fn intake(State(state): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    let principal = match authenticated(&state.app, &headers).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    let limit = mail_intake::hard_limit(&state.app);
    let Some(raw) = read_limited(body, limit).await else {
        return service_error_response(ServiceError::PayloadTooLarge {
            field: "message".to_owned(),
            limit,
        });
    };
    match mail_intake::submit(&state.app, &principal, raw, MailSource::Forwarded).await {
        Ok(ingested) => {
            let status = if ingested.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let body = serde_json::json!({
                "inboxItemId": ingested.item.id.to_string(),
                "duplicate": !ingested.created,
                "parseStatus": ingested.message.parse_status,
                "legalEntityId": ingested.item.legal_entity_id.map(|id| id.to_string()),
            });
            (status, Json(body)).into_response()
        }
        Err(error) => service_error_response(error),
    }
}

/// `GET /api/inbox/{id}/raw`: the stored mail exactly as it arrived.
pub async fn raw_download(State(state): State<HttpState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let Ok(id) = id.parse::<i64>().map(InboxItemId) else {
        return service_error_response(ServiceError::invalid("id", "not a valid inbox item id"));
    };
    let principal = match authenticated(&state.app, &headers).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    match stored::raw(&state.app, &principal, id).await {
        Ok((message, bytes)) => {
            let name = format!(
                "{}.eml",
                if message.subject.is_empty() {
                    "mail"
                } else {
                    &message.subject
                }
            );
            let name = crate::services::inbox::clean_file_name(&name);
            let disposition = format!(
                "attachment; filename=\"{}\"; filename*=UTF-8''{}",
                ascii_fallback(&name),
                percent_encode(&name)
            );
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822"));
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
            response
        }
        Err(error) => service_error_response(error),
    }
}

#[derive(serde::Deserialize)]
pub struct ViewOptions {
    /// `remote` lets the document load the mail's remote images.
    images: Option<String>,
}

/// `GET /api/inbox/{id}/view[?images=remote]`: the mail's sanitised HTML as a document
/// for the app's sandboxed frame, with its own strict policy. A frame that loads it by
/// URL (rather than `srcdoc`) is not bound by the app's policy, so the mail keeps its
/// inline styles and, when asked, its remote images, while the app allows neither.
pub async fn view(
    State(state): State<HttpState>,
    Path(id): Path<String>,
    axum::extract::Query(options): axum::extract::Query<ViewOptions>,
    headers: HeaderMap,
) -> Response {
    let Ok(id) = id.parse::<i64>().map(InboxItemId) else {
        return service_error_response(ServiceError::invalid("id", "not a valid inbox item id"));
    };
    let remote_images = match options.images.as_deref() {
        None | Some("none") => false,
        Some("remote") => true,
        Some(_) => {
            return service_error_response(ServiceError::invalid("images", "must be \"remote\" or \"none\""));
        }
    };
    let principal = match authenticated(&state.app, &headers).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    match stored::view_document(&state.app, &principal, id, remote_images).await {
        Ok(Some(document)) => {
            let mut response = axum::response::Html(document).into_response();
            let headers = response.headers_mut();
            if let Ok(policy) = HeaderValue::from_str(&stored::frame_policy(remote_images)) {
                headers.insert(header::CONTENT_SECURITY_POLICY, policy);
            }
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            response
        }
        Ok(None) => service_error_response(ServiceError::not_found("HTML body", id)),
        Err(error) => service_error_response(error),
    }
}
