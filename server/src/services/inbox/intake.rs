//! The inbox's other media: the public application form a career page posts to, the
//! SMS webhook of a provider, and the job agency's applicant import. Each checks its
//! own credential, turns the delivery into an [`Arrival`] and hands it to
//! [`inbox::receive`], so every medium is matched and announced the same way.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use sha2::Sha256;
use talentpost_shared::{EmailAddress, InboxMedium};

use crate::auth::Principal;
use crate::config::WebOrigin;
use crate::crypto::random_token;
use crate::db::entities::{intake_key, job_opening, organisation};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::JobOpeningId;
use crate::services::inbox::{self, ApplicantDetails, Arrival, Received, UploadedFile};
use crate::services::{candidates::job_openings, optional_text, org::audit, org::legal_entities};
use crate::state::AppState;

/// Which public channel a key opens.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum IntakeKind {
    OnlineForm,
    Sms,
}

impl IntakeKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::OnlineForm => "online_form",
            Self::Sms => "sms",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::OnlineForm => "tpf_",
            Self::Sms => "tps_",
        }
    }
}

/// The organisation's public channels as an administrator sees them. The SMS secret is
/// never shown again after it was created.
pub struct IntakeSettings {
    pub form_key: Option<String>,
    pub sms_key: Option<String>,
    pub has_sms_secret: bool,
    /// Origins of the career sites that may frame the form; empty: any site.
    pub form_embed_origins: Vec<String>,
}

pub async fn settings(state: &AppState, principal: &Principal) -> ServiceResult<IntakeSettings> {
    principal.require_admin()?;
    let keys = crate::db::tenancy::scoped::<intake_key::Entity>(principal.organisation_id)
        .all(&state.db)
        .await?;
    let organisation = organisation::Entity::find_by_id(principal.organisation_id)
        .one(&state.db)
        .await?;
    let of = |kind: IntakeKind| keys.iter().find(|k| k.kind == kind.as_str());
    Ok(IntakeSettings {
        form_key: of(IntakeKind::OnlineForm).map(|k| k.public_key.clone()),
        sms_key: of(IntakeKind::Sms).map(|k| k.public_key.clone()),
        has_sms_secret: of(IntakeKind::Sms).is_some_and(|k| k.secret_sealed.is_some()),
        form_embed_origins: embed_origins(organisation.as_ref()),
    })
}

fn embed_origins(organisation: Option<&organisation::Model>) -> Vec<String> {
    organisation
        .and_then(|o| o.form_embed_origins.as_deref())
        .map(|list| list.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The sites that may frame the form of `key`'s organisation; empty: any site.
pub async fn form_embed_origins(state: &AppState, key: &intake_key::Model) -> ServiceResult<Vec<String>> {
    let organisation = organisation::Entity::find_by_id(key.organisation_id)
        .one(&state.db)
        .await?;
    Ok(embed_origins(organisation.as_ref()))
}

/// Limits which sites may frame the public form (its `frame-ancestors`); an empty list
/// lets any site embed it, as before the list existed.
pub async fn set_form_embed_origins(
    state: &AppState,
    principal: &Principal,
    origins: Vec<WebOrigin>,
) -> ServiceResult<IntakeSettings> {
    principal.require_admin()?;
    let mut list: Vec<&str> = origins.iter().map(WebOrigin::as_str).collect();
    list.sort_unstable();
    list.dedup();
    let stored = (!list.is_empty()).then(|| list.join("\n"));
    organisation::Entity::update_many()
        .col_expr(
            organisation::Column::FormEmbedOrigins,
            sea_orm::sea_query::Expr::value(stored),
        )
        .filter(organisation::Column::Id.eq(principal.organisation_id))
        .exec(&state.db)
        .await?;
    audit::record(
        &state.db,
        principal,
        "intake.embed_origins",
        "organisation",
        None,
        serde_json::json!({ "origins": list.len() }),
    )
    .await?;
    settings(state, principal).await
}

/// Issues a new key for the channel; the old one stops working at once. For SMS the
/// returned secret is the only time it is shown.
pub async fn rotate(
    state: &AppState,
    principal: &Principal,
    kind: IntakeKind,
) -> ServiceResult<(IntakeSettings, Option<String>)> {
    principal.require_admin()?;
    let public_key = random_token(kind.prefix());
    let secret = (kind == IntakeKind::Sms).then(|| random_token("tpss_"));
    let existing = crate::db::tenancy::scoped::<intake_key::Entity>(principal.organisation_id)
        .filter(intake_key::Column::Kind.eq(kind.as_str()))
        .one(&state.db)
        .await?;
    if let Some(existing) = existing {
        intake_key::Entity::delete_by_id(existing.id).exec(&state.db).await?;
    }
    intake_key::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        kind: Set(kind.as_str().to_owned()),
        public_key: Set(public_key),
        secret_sealed: Set(secret.as_deref().map(|s| state.secrets.encrypt(s))),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    audit::record(
        &state.db,
        principal,
        "intake.rotate",
        "intake_key",
        None,
        serde_json::json!({ "kind": kind.as_str() }),
    )
    .await?;
    Ok((settings(state, principal).await?, secret))
}

/// Switches the channel off: deliveries with its key are refused.
pub async fn disable(state: &AppState, principal: &Principal, kind: IntakeKind) -> ServiceResult<IntakeSettings> {
    principal.require_admin()?;
    intake_key::Entity::delete_many()
        .filter(intake_key::Column::OrganisationId.eq(principal.organisation_id))
        .filter(intake_key::Column::Kind.eq(kind.as_str()))
        .exec(&state.db)
        .await?;
    audit::record(
        &state.db,
        principal,
        "intake.disable",
        "intake_key",
        None,
        serde_json::json!({ "kind": kind.as_str() }),
    )
    .await?;
    settings(state, principal).await
}

async fn key_for(state: &AppState, kind: IntakeKind, public_key: &str) -> ServiceResult<intake_key::Model> {
    let what = match kind {
        IntakeKind::OnlineForm => "form key",
        IntakeKind::Sms => "SMS webhook key",
    };
    crate::db::tenancy::any_organisation::<intake_key::Entity>()
        .filter(intake_key::Column::PublicKey.eq(public_key))
        .filter(intake_key::Column::Kind.eq(kind.as_str()))
        .one(&state.db)
        .await?
        .ok_or_else(|| ServiceError::BadCredential(format!("unknown {what}; it may have been replaced by a new one")))
}

fn limit_key(state: &AppState, key: &intake_key::Model) -> ServiceResult<()> {
    state.intake_limiter.check(
        &format!("key:{}", key.id),
        state.config.intake_key_per_minute,
        Duration::from_secs(60),
    )
}

/// What the public form shows: the organisation and its open openings.
pub struct PublicForm {
    pub organisation_name: String,
    pub openings: Vec<job_opening::Model>,
    /// The sites that may frame the form; empty: any site.
    pub embed_origins: Vec<String>,
}

pub async fn public_form(state: &AppState, form_key: &str) -> ServiceResult<PublicForm> {
    let key = key_for(state, IntakeKind::OnlineForm, form_key).await?;
    let organisation = organisation::Entity::find_by_id(key.organisation_id)
        .one(&state.db)
        .await?;
    let openings = job_openings::open_in_organisation(&state.db, key.organisation_id).await?;
    Ok(PublicForm {
        embed_origins: embed_origins(organisation.as_ref()),
        organisation_name: organisation.map(|o| o.name).unwrap_or_default(),
        openings,
    })
}

/// The fields a career page posts, as text; parsed here so errors name the field.
#[derive(Default)]
pub struct PublicApplication {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub message: Option<String>,
    pub job_opening_id: Option<String>,
    pub attachments: Vec<UploadedFile>,
}

/// Lets a public form request in, before its body is read: the key must exist, and the
/// client (first, so one client cannot use up everyone's budget) and the key must be
/// within their rates.
pub async fn admit_public_form(state: &AppState, form_key: &str, client: IpAddr) -> ServiceResult<intake_key::Model> {
    let key = key_for(state, IntakeKind::OnlineForm, form_key).await?;
    state.intake_limiter.check(
        &format!("form:{}:{client}", key.id),
        state.config.public_form_per_minute,
        Duration::from_secs(60),
    )?;
    limit_key(state, &key)?;
    Ok(key)
}

/// An application through the public form, after [`admit_public_form`]: only open
/// openings can be applied for.
pub async fn submit_public(
    state: &AppState,
    key: &intake_key::Model,
    application: PublicApplication,
) -> ServiceResult<Received> {
    let person = ApplicantDetails::checked(
        &application.first_name,
        &application.last_name,
        application.phone.as_deref(),
        application.message.as_deref(),
    )?;
    let email = EmailAddress::parse(application.email.trim())
        .map_err(|error| ServiceError::invalid("email", error.to_string()))?;
    inbox::check_attachments(state, "", &application.attachments)?;
    let opening = match application
        .job_opening_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
    {
        Some(id) => {
            let id = id
                .parse::<i64>()
                .map(JobOpeningId)
                .map_err(|_| ServiceError::invalid("jobOpeningId", "not a job opening id"))?;
            let open = job_openings::open_in_organisation(&state.db, key.organisation_id).await?;
            Some(
                open.into_iter()
                    .find(|o| o.id == id.0)
                    .ok_or_else(|| ServiceError::invalid("jobOpeningId", "no open job opening with this id"))?,
            )
        }
        None => None,
    };
    let legal_entity_id = match &opening {
        Some(opening) => opening.legal_entity_id,
        None => legal_entities::main_entity(&state.db, key.organisation_id).await?.id,
    };
    let arrival = person.into_form_arrival(
        key.organisation_id,
        legal_entity_id,
        opening.as_ref(),
        email,
        application.attachments,
    );
    inbox::receive(state, arrival, None).await
}

/// How far a signed timestamp may lie from our clock; older deliveries are replays.
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;

/// An SMS webhook request as it came in.
pub struct SmsDelivery<'a> {
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SmsBody {
    /// The sender's number.
    from: String,
    /// Our number it was sent to.
    #[serde(default)]
    to: Option<String>,
    text: String,
    /// The provider's id of the message: a repeated delivery is stored once.
    message_id: String,
    #[serde(default)]
    received_at: Option<DateTime<Utc>>,
}

/// `sha256=` + hex HMAC-SHA256 over `"<timestamp>.<body>"` with the shared secret.
pub fn sms_signature(secret: &str, timestamp: &str, body: &[u8]) -> ServiceResult<String> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .map_err(|error| ServiceError::Internal(format!("HMAC key: {error}")))?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("sha256={}", hex::encode(mac.finalize().into_bytes())))
}

pub async fn receive_sms(state: &AppState, sms_key: &str, delivery: SmsDelivery<'_>) -> ServiceResult<Received> {
    let key = key_for(state, IntakeKind::Sms, sms_key).await?;
    limit_key(state, &key)?;
    let sealed = key
        .secret_sealed
        .as_deref()
        .ok_or_else(|| ServiceError::BadCredential("no SMS secret is set up".to_owned()))?;
    let secret = state
        .secrets
        .decrypt(sealed)
        .map_err(|error| ServiceError::Internal(format!("SMS secret: {error}")))?;
    let timestamp = delivery
        .timestamp
        .ok_or_else(|| ServiceError::BadCredential("the X-Talentpost-Timestamp header is missing".to_owned()))?;
    let signed_at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| ServiceError::BadCredential("X-Talentpost-Timestamp is not Unix seconds".to_owned()))?;
    if (Utc::now().timestamp() - signed_at).abs() > SIGNATURE_TOLERANCE_SECONDS {
        return Err(ServiceError::BadCredential(format!(
            "the timestamp is more than {SIGNATURE_TOLERANCE_SECONDS} seconds away from the server's clock"
        )));
    }
    let given = delivery
        .signature
        .ok_or_else(|| ServiceError::BadCredential("the X-Talentpost-Signature header is missing".to_owned()))?;
    let expected = sms_signature(&secret, timestamp.trim(), delivery.body)?;
    if !constant_time_eq(given.trim().as_bytes(), expected.as_bytes()) {
        return Err(ServiceError::BadCredential(
            "the signature does not match the body and the shared secret".to_owned(),
        ));
    }
    let body: SmsBody = serde_json::from_slice(delivery.body)
        .map_err(|error| ServiceError::invalid("body", format!("not a valid SMS delivery: {error}")))?;
    let from = optional_text("from", Some(&body.from), 50)?
        .ok_or_else(|| ServiceError::invalid("from", "must not be empty"))?;
    if from.chars().filter(char::is_ascii_digit).count() < 5 {
        return Err(ServiceError::invalid("from", "is not a phone number"));
    }
    let text = optional_text("text", Some(&body.text), 2_000)?
        .ok_or_else(|| ServiceError::invalid("text", "must not be empty"))?;
    let message_id = optional_text("messageId", Some(&body.message_id), 200)?
        .ok_or_else(|| ServiceError::invalid("messageId", "must not be empty"))?;
    let main = legal_entities::main_entity(&state.db, key.organisation_id).await?;
    let arrival = Arrival {
        organisation_id: key.organisation_id,
        legal_entity_id: main.id,
        user_group_id: None,
        medium: InboxMedium::Sms,
        subject: text.chars().take(80).collect(),
        sender_name: None,
        sender_email: None,
        sender_phone: Some(from.clone()),
        preview: Some(text.chars().take(300).collect()),
        payload: serde_json::json!({ "from": from, "to": body.to, "text": text, "messageId": message_id }),
        idempotency_key: Some(format!("sms:{message_id}")),
        job_opening_id: None,
        received_at: body.received_at.unwrap_or_else(Utc::now),
        attachments: Vec::new(),
    };
    inbox::receive(state, arrival, None).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The job agency's import: applicant profiles as the documented JSON shape
/// (`docs/job-agency-import.md`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AgencyImport {
    applicants: Vec<AgencyApplicant>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AgencyApplicant {
    /// The agency's id of the profile (Bewerber-/Vermittlungsvorschlags-Nr.).
    reference: String,
    first_name: String,
    last_name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    birthday: Option<String>,
    /// Our opening the profile was proposed for.
    #[serde(default)]
    job_opening_id: Option<String>,
    /// The agency's number of the job offer, kept for the recruiter.
    #[serde(default)]
    job_offer_reference: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    attachments: Vec<AgencyAttachment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AgencyAttachment {
    file_name: String,
    #[serde(default)]
    content_type: Option<String>,
    content_base64: String,
}

pub struct Imported {
    pub reference: String,
    pub received: Received,
}

pub const MAX_AGENCY_APPLICANTS: usize = 500;

/// Checks every profile first and stores nothing if one is bad; the error names it
/// (`applicants.3.email`). A profile delivered again (same reference) is stored once.
pub async fn import_agency(state: &AppState, principal: &Principal, body: &[u8]) -> ServiceResult<Vec<Imported>> {
    let import: AgencyImport = serde_json::from_slice(body)
        .map_err(|error| ServiceError::invalid("body", format!("not a valid job-agency import: {error}")))?;
    if import.applicants.is_empty() {
        return Err(ServiceError::invalid("applicants", "contains no applicant"));
    }
    if import.applicants.len() > MAX_AGENCY_APPLICANTS {
        return Err(ServiceError::invalid(
            "applicants",
            format!("at most {MAX_AGENCY_APPLICANTS} per request"),
        ));
    }
    let main = legal_entities::main_entity(&state.db, principal.organisation_id).await?;
    let mut arrivals = Vec::with_capacity(import.applicants.len());
    for (index, applicant) in import.applicants.into_iter().enumerate() {
        let at = |field: &str| format!("applicants.{index}.{field}");
        let renamed = |error: ServiceError| match error {
            ServiceError::InvalidInput { field, message } => ServiceError::InvalidInput {
                field: at(&field),
                message,
            },
            other => other,
        };
        let reference = optional_text("reference", Some(&applicant.reference), 100)
            .map_err(renamed)?
            .ok_or_else(|| ServiceError::invalid(at("reference"), "must not be empty"))?;
        let person = ApplicantDetails::checked(
            &applicant.first_name,
            &applicant.last_name,
            applicant.phone.as_deref(),
            applicant.message.as_deref(),
        )
        .map_err(renamed)?;
        let email = match applicant.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(email) => Some(
                EmailAddress::parse(email).map_err(|error| ServiceError::invalid(at("email"), error.to_string()))?,
            ),
            None => None,
        };
        let birthday = match applicant.birthday.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
            Some(day) => Some(
                day.parse::<NaiveDate>()
                    .map_err(|_| ServiceError::invalid(at("birthday"), "must be a date like 1990-04-30"))?,
            ),
            None => None,
        };
        let opening = match applicant.job_opening_id.as_deref() {
            Some(id) => {
                let id = id
                    .parse::<i64>()
                    .map(JobOpeningId)
                    .map_err(|_| ServiceError::invalid(at("jobOpeningId"), "not a job opening id"))?;
                Some(
                    job_openings::find(&state.db, principal, id)
                        .await
                        .map_err(|_| ServiceError::invalid(at("jobOpeningId"), "no such job opening"))?,
                )
            }
            None => None,
        };
        let mut files = Vec::with_capacity(applicant.attachments.len());
        for (file_index, file) in applicant.attachments.into_iter().enumerate() {
            // Base64 is 4/3 of the bytes; refuse before decoding anything huge.
            if file.content_base64.len() / 4 * 3 > state.config.max_upload_bytes + 3 {
                return Err(ServiceError::PayloadTooLarge {
                    field: at(&format!("attachments.{file_index}")),
                    limit: state.config.max_upload_bytes,
                });
            }
            let bytes = STANDARD.decode(file.content_base64.trim()).map_err(|_| {
                ServiceError::invalid(
                    at(&format!("attachments.{file_index}.contentBase64")),
                    "is not valid Base64",
                )
            })?;
            files.push(UploadedFile {
                file_name: file.file_name,
                content_type: file.content_type.unwrap_or_default(),
                bytes,
            });
        }
        inbox::check_attachments(state, &format!("applicants.{index}"), &files)?;
        let legal_entity_id = opening.as_ref().map_or(main.id, |o| o.legal_entity_id);
        let subject = match (&opening, &applicant.job_offer_reference) {
            (Some(opening), _) => opening.title.clone(),
            (None, Some(offer)) => format!("Stellenangebot {offer}"),
            (None, None) => String::new(),
        };
        let payload = serde_json::json!({
            "firstName": person.first_name,
            "lastName": person.last_name,
            "email": email.as_ref().map(ToString::to_string),
            "phone": person.phone,
            "birthday": birthday.map(|b| b.to_string()),
            "message": person.message,
            "reference": reference,
            "jobOfferReference": applicant.job_offer_reference,
        });
        arrivals.push((
            reference.clone(),
            Arrival {
                organisation_id: principal.organisation_id,
                legal_entity_id,
                user_group_id: None,
                medium: InboxMedium::JobAgency,
                subject,
                sender_name: Some(format!("{} {}", person.first_name, person.last_name)),
                sender_email: email,
                sender_phone: person.phone.clone(),
                preview: person.message.as_deref().map(|m| m.chars().take(300).collect()),
                payload,
                idempotency_key: Some(format!("job_agency:{reference}")),
                job_opening_id: opening.as_ref().map(|o| o.id),
                received_at: Utc::now(),
                attachments: files,
            },
        ));
    }
    let mut imported = Vec::with_capacity(arrivals.len());
    for (reference, arrival) in arrivals {
        imported.push(Imported {
            reference,
            received: inbox::receive(state, arrival, Some(principal)).await?,
        });
    }
    Ok(imported)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_cover_timestamp_and_body() {
        let sign = |secret: &str, timestamp: &str| sms_signature(secret, timestamp, b"{}").unwrap();
        let signature = sign("secret", "1700000000");
        assert!(signature.starts_with("sha256="));
        assert_ne!(signature, sign("secret", "1700000001"));
        assert_ne!(signature, sign("other", "1700000000"));
        assert!(constant_time_eq(
            signature.as_bytes(),
            sign("secret", "1700000000").as_bytes()
        ));
    }
}
