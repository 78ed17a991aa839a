//! The inbox's public doors besides mail: the application form of a career page, the
//! SMS provider's webhook and the job agency's import. Errors have the GraphQL shape.

use std::net::{IpAddr, SocketAddr};

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::error::service_error_response;
use super::{HttpState, authenticated, read_limited};
use crate::error::ServiceError;
use crate::services::inbox::intake::{self, PublicApplication, SmsDelivery};
use crate::services::inbox::{MAX_ATTACHMENTS, Received, UploadedFile};

/// `GET /api/public/forms/{formKey}`: a small application form to embed in a career page
/// (as an iframe, or copy its markup). It posts to the same address.
pub async fn form_page(State(state): State<HttpState>, Path(form_key): Path<String>) -> Response {
    match intake::public_form(&state.app, &form_key).await {
        Ok(form) => {
            let options: String = form
                .openings
                .iter()
                .map(|o| format!("<option value=\"{}\">{}</option>", o.id, ammonia::clean_text(&o.title)))
                .collect();
            let page = FORM_PAGE
                .replace("{organisation}", &ammonia::clean_text(&form.organisation_name))
                .replace("{options}", &options)
                .replace("{max_files}", &MAX_ATTACHMENTS.to_string());
            public_page(Html(page).into_response(), &form.embed_origins)
        }
        Err(error) => service_error_response(error),
    }
}

/// `POST /api/public/forms/{formKey}` as `multipart/form-data`: fields `firstName`,
/// `lastName`, `email`, `phone`, `message`, `jobOpeningId` and any number of `attachments`
/// files. 201 with the inbox item's id; a browser posting the form gets a thank-you page.
pub async fn submit_form(
    State(state): State<HttpState>,
    Path(form_key): Path<String>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    // Key and rates first: an unknown key or a flooding client never gets its upload read.
    let client = client_address(&headers, client, state.app.config.trust_proxy);
    let key = match intake::admit_public_form(&state.app, &form_key, client).await {
        Ok(key) => key,
        Err(error) => return public_page(service_error_response(error), &[]),
    };
    // The answer shows in the same frame as the form, so it may be framed by the same sites.
    let embed_origins = match intake::form_embed_origins(&state.app, &key).await {
        Ok(origins) => origins,
        Err(error) => return public_page(service_error_response(error), &[]),
    };
    let application = match read_form(&state, multipart).await {
        Ok(application) => application,
        Err(error) => return public_page(service_error_response(error), &embed_origins),
    };
    let response = match intake::submit_public(&state.app, &key, application).await {
        Ok(_) if wants_html => (StatusCode::CREATED, Html(THANK_YOU_PAGE)).into_response(),
        Ok(received) => created(&received),
        Err(error) => service_error_response(error),
    };
    public_page(response, &embed_origins)
}

/// The applicant's address: the socket's, or behind a trusted reverse proxy the address
/// the proxy appended last to `X-Forwarded-For` (earlier entries are the client's word).
fn client_address(headers: &HeaderMap, socket: SocketAddr, trust_proxy: bool) -> IpAddr {
    if trust_proxy
        && let Some(forwarded) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(last) = forwarded.rsplit(',').next().and_then(|ip| ip.trim().parse().ok())
    {
        return last;
    }
    socket.ip()
}

/// Reads the multipart fields; each file may be as large as an upload may be.
async fn read_form(state: &HttpState, mut multipart: Multipart) -> Result<PublicApplication, ServiceError> {
    let limit = state.app.config.max_upload_bytes;
    let mut application = PublicApplication::default();
    let broken = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ServiceError::PayloadTooLarge {
                field: "body".to_owned(),
                limit: body_limit(limit),
            }
        } else {
            ServiceError::invalid("body", format!("not a valid multipart form: {}", error.body_text()))
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "attachments" || field.file_name().is_some() {
            let index = application.attachments.len();
            if index >= MAX_ATTACHMENTS {
                return Err(ServiceError::invalid(
                    "attachments",
                    format!("at most {MAX_ATTACHMENTS} files"),
                ));
            }
            let file_name = field.file_name().unwrap_or("attachment").to_owned();
            let content_type = field.content_type().unwrap_or_default().to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                if bytes.len() + chunk.len() > limit {
                    return Err(ServiceError::PayloadTooLarge {
                        field: format!("attachments.{index}"),
                        limit,
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            // A browser sends an empty part for a file input left empty.
            if !bytes.is_empty() {
                application.attachments.push(UploadedFile {
                    file_name,
                    content_type,
                    bytes,
                });
            }
            continue;
        }
        let text = field.text().await.map_err(broken)?;
        match name.as_str() {
            "firstName" => application.first_name = text,
            "lastName" => application.last_name = text,
            "email" => application.email = text,
            "phone" => application.phone = Some(text),
            "message" => application.message = Some(text),
            "jobOpeningId" => application.job_opening_id = Some(text),
            // Unknown fields are ignored: career pages add their own (tracking, consent).
            _ => {}
        }
    }
    Ok(application)
}

/// Room for the form's files and fields in one request.
pub fn body_limit(max_upload_bytes: usize) -> usize {
    max_upload_bytes.saturating_mul(4).saturating_add(1024 * 1024)
}

/// The form may be posted to from any career page (it carries no cookies) and framed
/// by the sites the organisation listed in Settings → Public channels, or by any site
/// when it listed none.
fn public_page(mut response: Response, embed_origins: &[String]) -> Response {
    let ancestors = if embed_origins.is_empty() {
        "*".to_owned()
    } else {
        embed_origins.join(" ")
    };
    let policy = format!(
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    );
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    // The origins were parsed when saved, so they are valid header text.
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// `POST /api/intake/sms/{smsKey}`: an inbound SMS as JSON (`from`, `text`, `messageId`,
/// optional `to` and `receivedAt`), signed: `X-Talentpost-Timestamp` (Unix seconds) and
/// `X-Talentpost-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
pub async fn sms_webhook(
    State(state): State<HttpState>,
    Path(sms_key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    const LIMIT: usize = 64 * 1024;
    let Some(body) = read_limited(body, LIMIT).await else {
        return service_error_response(ServiceError::PayloadTooLarge {
            field: "body".to_owned(),
            limit: LIMIT,
        });
    };
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let delivery = SmsDelivery {
        timestamp: header_text("x-talentpost-timestamp"),
        signature: header_text("x-talentpost-signature"),
        body: &body,
    };
    match intake::receive_sms(&state.app, &sms_key, delivery).await {
        Ok(received) => created(&received),
        Err(error) => service_error_response(error),
    }
}

/// `POST /api/intake/job-agency` with an API token: applicant profiles of the Federal
/// Employment Agency in the JSON shape of `docs/job-agency-import.md`; every profile is
/// checked before any is stored.
pub async fn job_agency(State(state): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    let principal = match authenticated(&state.app, &headers).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    let limit = state.app.config.max_agency_import_bytes;
    let Some(body) = read_limited(body, limit).await else {
        return service_error_response(ServiceError::PayloadTooLarge {
            field: "body".to_owned(),
            limit,
        });
    };
    match intake::import_agency(&state.app, &principal, &body).await {
        Ok(imported) => {
            let any_new = imported.iter().any(|i| i.received.created);
            let rows: Vec<_> = imported
                .iter()
                .map(|i| {
                    serde_json::json!({
                        "reference": i.reference,
                        "inboxItemId": i.received.item.id.to_string(),
                        "duplicate": !i.received.created,
                    })
                })
                .collect();
            let status = if any_new { StatusCode::CREATED } else { StatusCode::OK };
            (status, Json(serde_json::json!({ "imported": rows }))).into_response()
        }
        Err(error) => service_error_response(error),
    }
}

/// 201 for a new item, 200 for a repeated delivery.
fn created(received: &Received) -> Response {
    let status = if received.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = serde_json::json!({ "inboxItemId": received.item.id.to_string(), "duplicate": !received.created });
    (status, Json(body)).into_response()
}

const FORM_PAGE: &str = r#"<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bewerbung – {organisation}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:36rem;margin:1.5rem auto;padding:0 1rem;color:#1f2933}
label{display:block;margin:.8rem 0 .2rem;font-weight:600}input,select,textarea{width:100%;padding:.45rem;box-sizing:border-box;font:inherit}
button{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;background:#1d4ed8;color:#fff;border:0;border-radius:4px}
small{color:#52606d}
</style></head><body>
<h1>Bewerbung bei {organisation}</h1>
<form method="post" enctype="multipart/form-data">
<label for="jobOpeningId">Stelle / Position</label>
<select id="jobOpeningId" name="jobOpeningId"><option value="">Initiativbewerbung / Unsolicited application</option>{options}</select>
<label for="firstName">Vorname / First name</label><input id="firstName" name="firstName" required maxlength="100" autocomplete="given-name">
<label for="lastName">Nachname / Last name</label><input id="lastName" name="lastName" required maxlength="100" autocomplete="family-name">
<label for="email">E-Mail</label><input id="email" name="email" type="email" required autocomplete="email">
<label for="phone">Telefon / Phone</label><input id="phone" name="phone" type="tel" maxlength="50" autocomplete="tel">
<label for="message">Nachricht / Message</label><textarea id="message" name="message" rows="6" maxlength="20000"></textarea>
<label for="attachments">Unterlagen / Documents</label><input id="attachments" name="attachments" type="file" multiple>
<small>Bis zu {max_files} Dateien / up to {max_files} files</small>
<div><button type="submit">Bewerbung senden / Send application</button></div>
</form></body></html>"#;

const THANK_YOU_PAGE: &str = r#"<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Danke / Thank you</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:1.5rem auto">
<h1>Vielen Dank für Ihre Bewerbung!</h1><p>Thank you for your application. We will be in touch.</p></body></html>"#;
