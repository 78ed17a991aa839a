//! The OAuth callback: the provider sends the admin's browser back here with the code.
//! Success and ordinary failures (refused consent, a rejected code) go on to the app's
//! mail settings, which show the outcome; a state we did not issue gets a plain error
//! page, since there is nowhere trustworthy to send it.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::documents::percent_encode;
use super::{HttpState, authenticated};
use crate::services::oauth::connect::{self, CallbackError, CallbackParams};

pub async fn callback(State(state): State<HttpState>, Query(params): Query<CallbackParams>, headers: HeaderMap) -> Response {
    let principal = authenticated(&state.app, &headers).await.ok();
    match connect::complete(&state.app, principal.as_ref(), params).await {
        Ok(connected) => Redirect::to(&format!("{}?oauth=connected&mailbox={}", connected.app_path, percent_encode(&connected.mailbox))).into_response(),
        Err(CallbackError::Failed { app_path, message }) => {
            Redirect::to(&format!("{app_path}?oauth=failed&message={}", percent_encode(&message))).into_response()
        }
        Err(error) => {
            let status = match error {
                CallbackError::WrongUser => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            let page = format!(
                "<!doctype html><meta charset=\"utf-8\"><title>Talentpost</title><h1>The connection could not be completed</h1><p>{}</p><p><a href=\"/settings/mail\">Back to Talentpost</a></p>",
                html_escape(&error.to_string())
            );
            (status, [(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
        }
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
