use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::error::service_error_response;
use super::{HttpState, authenticated};
use crate::error::ServiceError;
use crate::ids::DocumentId;
use crate::services::inbox;

pub async fn download(State(state): State<HttpState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let Ok(id) = id.parse::<i64>().map(DocumentId) else {
        return service_error_response(ServiceError::invalid("id", "not a valid document id"));
    };
    let principal = match authenticated(&state.app, &headers).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    match inbox::download(&state.app, &principal, id).await {
        Ok((doc, bytes)) => {
            let disposition = format!(
                "attachment; filename=\"{}\"; filename*=UTF-8''{}",
                ascii_fallback(&doc.file_name),
                percent_encode(&doc.file_name)
            );
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(&doc.content_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            );
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            // Uploaded files are untrusted: never render them as a page of our origin.
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
            response
        }
        Err(error) => service_error_response(error),
    }
}

pub(super) fn ascii_fallback(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// RFC 5987 encoding for the `filename*` parameter.
pub(super) fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
