//! Errors of the plain HTTP routes, in the same JSON shape as GraphQL errors.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use talentpost_shared::ErrorCode;

use crate::error::ServiceError;

pub fn service_error_response(error: ServiceError) -> Response {
    let code = error.code();
    let status = match code {
        ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::InvalidInput | ErrorCode::QueryTooComplex => StatusCode::BAD_REQUEST,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::TooManyAttempts | ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::MailServer => StatusCode::BAD_GATEWAY,
        ErrorCode::Internal => {
            tracing::error!(error = %error, source = ?std::error::Error::source(&error), "request failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    error_response(status, code, &error.public_message(), error.field())
}

/// A response in the shape of a GraphQL error, for failures outside the executor.
pub fn error_response(status: StatusCode, code: ErrorCode, message: &str, field: Option<&str>) -> Response {
    let mut extensions = serde_json::json!({ "code": code.as_str() });
    if let Some(field) = field {
        extensions["field"] = field.into();
    }
    let body = serde_json::json!({ "data": null, "errors": [{ "message": message, "extensions": extensions }] });
    (status, axum::Json(body)).into_response()
}
