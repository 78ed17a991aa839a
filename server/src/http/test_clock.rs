//! `POST /api/test/clock`: sets the schedule clock of a server started in test-clock
//! mode (`TALENTPOST_TEST_CLOCK`), so tests can put nurturing dispatch times and
//! birthdays where they need them. Administrators only; absent in normal operation.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::error::service_error_response;
use super::{HttpState, authenticated};
use crate::error::ServiceError;

#[derive(Deserialize)]
pub struct SetClock {
    now: String,
}

pub async fn set(State(state): State<HttpState>, headers: HeaderMap, Json(body): Json<SetClock>) -> Response {
    let principal = match authenticated(&state.app, &headers).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    if let Err(error) = principal.require_admin() {
        return service_error_response(error);
    }
    let Ok(now) = DateTime::parse_from_rfc3339(&body.now).map(|at| at.with_timezone(&Utc)) else {
        return service_error_response(ServiceError::invalid("now", "must be an RFC 3339 time"));
    };
    if !state.app.clock.set(now) {
        return service_error_response(ServiceError::Forbidden("the server does not run with a test clock"));
    }
    state.app.signals.nurturing.wake();
    Json(serde_json::json!({ "now": now.to_rfc3339() })).into_response()
}
