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
use crate::services::{mail_intake, mail_messages};

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
                "parseStatus": ingested.message.parse_status.to_ascii_uppercase(),
                "legalEntityId": ingested.item.legal_entity_id.map(|id| id.to_string()),
            });
            (status, Json(body)).into_response()
        }
        Err(error) => service_error_response(error),
    }
}

/// `GET /api/inbox/{id}/raw`: the stored mail exactly as it arrived.
pub async fn raw_download(
    State(state): State<HttpState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(id) = id.parse::<i64>().map(InboxItemId) else {
        return service_error_response(ServiceError::invalid("id", "not a valid inbox item id"));
    };
    let principal = match authenticated(&state.app, &headers).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    match mail_messages::raw(&state.app, &principal, id).await {
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
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("message/rfc822"),
            );
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox"),
            );
            response
        }
        Err(error) => service_error_response(error),
    }
}
