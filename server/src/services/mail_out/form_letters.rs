//! Form letters: subject and body with placeholders, optionally an HTML body, and the
//! status a candidate gets when the letter is sent (a rejection, say).

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set,
};
use talentpost_shared::{ApplicationStatus, CandidateStatus, ContactMedium, DataRetention};

use crate::auth::Principal;
use crate::db::entities::{
    application, candidate, candidate_email, contact_event, document, form_letter, inbox_item, mail_message,
    nurturing_job, organisation, outbox_message,
};
use crate::error::{ServiceError, ServiceResult, is_unique_violation};
use crate::events::DomainEvent;
use crate::ids::{ApplicationId, CandidateId, FormLetterId};
use crate::mail::sanitize::sanitize_html;
use crate::services::mail_out::messages::{self, RenderedLetter};
use crate::services::{
    candidates, optional_text, org::audit, org::organisation_settings, required_name, required_text,
};
use crate::state::AppState;

#[derive(Default)]
pub struct FormLetterInput {
    pub name: Option<String>,
    pub subject: Option<String>,
    pub body_text: Option<String>,
    /// Empty removes the HTML body.
    pub body_html: Option<String>,
    /// `Some(None)` removes the status change.
    pub sets_candidate_status: Option<Option<CandidateStatus>>,
}

pub async fn list(state: &AppState, principal: &Principal) -> ServiceResult<Vec<form_letter::Model>> {
    Ok(
        crate::db::tenancy::scoped::<form_letter::Entity>(principal.organisation_id)
            .order_by_asc(form_letter::Column::Name)
            .all(&state.db)
            .await?,
    )
}

pub async fn find(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: FormLetterId,
) -> ServiceResult<form_letter::Model> {
    crate::db::tenancy::scoped_by_id::<form_letter::Entity>(principal.organisation_id, id.0)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(FormLetterId::LABEL, id))
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    input: FormLetterInput,
) -> ServiceResult<form_letter::Model> {
    let name = required_name("name", input.name.as_deref().unwrap_or_default(), 200)?;
    let subject = required_text("subject", input.subject.as_deref().unwrap_or_default(), 500)?;
    let body_text = required_text("bodyText", input.body_text.as_deref().unwrap_or_default(), 100_000)?;
    let body_html = clean_html(input.body_html.as_deref())?;
    check_placeholders(&subject, &body_text, body_html.as_deref())?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let created = form_letter::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        name: Set(name),
        subject: Set(subject),
        body_text: Set(body_text),
        body_html: Set(body_html),
        sets_candidate_status: Set(input.sets_candidate_status.flatten()),
        created_by_user_id: Set(Some(principal.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(name_taken)?;
    audit::record(
        &txn,
        principal,
        "form_letter.create",
        "form_letter",
        Some(created.id),
        serde_json::json!({ "name": created.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: FormLetterId,
    input: FormLetterInput,
) -> ServiceResult<form_letter::Model> {
    let existing = find(&state.db, principal, id).await?;
    let subject = match input.subject.as_deref() {
        Some(subject) => required_text("subject", subject, 500)?,
        None => existing.subject.clone(),
    };
    let body_text = match input.body_text.as_deref() {
        Some(body) => required_text("bodyText", body, 100_000)?,
        None => existing.body_text.clone(),
    };
    let body_html = match input.body_html.as_deref() {
        Some(html) => clean_html(Some(html))?,
        None => existing.body_html.clone(),
    };
    check_placeholders(&subject, &body_text, body_html.as_deref())?;
    let mut active: form_letter::ActiveModel = existing.into();
    if let Some(name) = input.name.as_deref() {
        active.name = Set(required_name("name", name, 200)?);
    }
    if let Some(status) = input.sets_candidate_status {
        active.sets_candidate_status = Set(status);
    }
    active.subject = Set(subject);
    active.body_text = Set(body_text);
    active.body_html = Set(body_html);
    active.updated_at = Set(Utc::now());
    let txn = crate::db::begin_write(&state.db).await?;
    let updated = active.update(&txn).await.map_err(name_taken)?;
    audit::record(
        &txn,
        principal,
        "form_letter.update",
        "form_letter",
        Some(updated.id),
        serde_json::json!({ "name": updated.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete(state: &AppState, principal: &Principal, id: FormLetterId) -> ServiceResult<()> {
    let existing = find(&state.db, principal, id).await?;
    crate::services::nurturing::jobs::refuse_if_used(&state.db, nurturing_job::Column::FormLetterId, existing.id)
        .await?;
    let txn = crate::db::begin_write(&state.db).await?;
    form_letter::Entity::delete_by_id(existing.id).exec(&txn).await?;
    audit::record(
        &txn,
        principal,
        "form_letter.delete",
        "form_letter",
        Some(existing.id),
        serde_json::json!({ "name": existing.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The letter as the candidate would receive it, about the given application or their
/// newest one.
pub async fn preview(
    state: &AppState,
    principal: &Principal,
    id: FormLetterId,
    candidate_id: CandidateId,
    application_id: Option<ApplicationId>,
) -> ServiceResult<(RenderedLetter, Option<String>)> {
    let letter = find(&state.db, principal, id).await?;
    // Without a chosen application, the newest one: what a letter is usually about.
    let application_id = match application_id {
        Some(id) => Some(id),
        None => candidates::applications_of(state, candidate_id.0)
            .await?
            .first()
            .map(|a| ApplicationId(a.id)),
    };
    let context = messages::letter_context(state, principal, candidate_id, application_id, None).await?;
    let rendered = messages::render_letter(
        &context.values,
        &letter.subject,
        &letter.body_text,
        letter.body_html.as_deref(),
    )?;
    Ok((rendered, context.recipient.ok().map(|address| address.to_string())))
}

/// How a form letter reached the candidate.
pub enum LetterOutcome {
    /// Queued in the outbox.
    Mailed(Box<outbox_message::Model>),
    /// No working address: recorded in the history as a letter to send by post.
    Documented(contact_event::Model),
}

/// Sends the letter to one candidate (about the given application), records it in the
/// history and applies the letter's status, all in one transaction.
pub async fn send(
    state: &AppState,
    principal: &Principal,
    id: FormLetterId,
    candidate_id: CandidateId,
    application_id: Option<ApplicationId>,
) -> ServiceResult<(LetterOutcome, candidate::Model)> {
    let letter = find(&state.db, principal, id).await?;
    let context = messages::letter_context(state, principal, candidate_id, application_id, None).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    let (outcome, candidate) = write_in(state, &txn, principal, &letter, &context, false).await?;
    let mailed = matches!(outcome, LetterOutcome::Mailed(_));
    audit::record(
        &txn,
        principal,
        "form_letter.send",
        "candidate",
        Some(candidate.id),
        serde_json::json!({ "formLetterId": letter.id, "name": letter.name, "mailed": mailed }),
    )
    .await?;
    txn.commit().await?;
    announce(state, principal, &outcome, &candidate);
    Ok((outcome, candidate))
}

/// Tells the outbox worker and the candidate's open views, after the commit.
pub fn announce(state: &AppState, principal: &Principal, outcome: &LetterOutcome, candidate: &candidate::Model) {
    if let LetterOutcome::Mailed(message) = outcome {
        crate::services::mail_out::outbox::announce(&state.events, message);
    }
    state.events.publish(DomainEvent::ContactHistoryChanged {
        organisation_id: principal.organisation_id,
        candidate_id: candidate.id,
    });
}

/// Writes the letter inside the caller's transaction: mails it (or documents it when
/// there is no working address), records it in the history and applies its status.
/// `by_nurturing_job` marks the contact as written by a job.
pub async fn write_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    principal: &Principal,
    letter: &form_letter::Model,
    context: &messages::LetterContext,
    by_nurturing_job: bool,
) -> ServiceResult<(LetterOutcome, candidate::Model)> {
    let rendered = messages::render_letter(
        &context.values,
        &letter.subject,
        &letter.body_text,
        letter.body_html.as_deref(),
    )?;
    let outcome = if context.recipient.is_ok() {
        let message = messages::deliver(
            state,
            txn,
            principal,
            context,
            rendered,
            ContactMedium::FormLetterMail,
            Vec::new(),
            None,
        )
        .await?;
        if by_nurturing_job && let Some(event_id) = message.contact_event_id {
            contact_event::Entity::update_many()
                .col_expr(contact_event::Column::ByNurturingJob, Expr::value(true))
                .filter(contact_event::Column::Id.eq(event_id))
                .exec(txn)
                .await?;
        }
        LetterOutcome::Mailed(Box::new(message))
    } else {
        let now = Utc::now();
        LetterOutcome::Documented(
            contact_event::ActiveModel {
                candidate_id: Set(context.candidate.id),
                application_id: Set(context.application.as_ref().map(|a| a.id)),
                inbox_item_id: Set(None),
                medium: Set(ContactMedium::FormLetterLetter),
                occurred_at: Set(now),
                user_id: Set(Some(principal.user_id)),
                note: Set(Some(rendered.text.chars().take(280).collect())),
                subject: Set(Some(rendered.subject.clone())),
                created_at: Set(now),
                by_nurturing_job: Set(by_nurturing_job),
                ..Default::default()
            }
            .insert(txn)
            .await?,
        )
    };
    let status = letter.sets_candidate_status;
    let candidate = match status {
        Some(status) => apply_status(state, txn, principal, context, status, letter).await?,
        None => context.candidate.clone(),
    };
    Ok((outcome, candidate))
}

/// The letter's status for the candidate. A rejection also rejects the application,
/// takes the candidate out of the pool and, where the organisation keeps minimal data,
/// reduces them to what statistics need.
async fn apply_status(
    state: &AppState,
    txn: &DatabaseTransaction,
    principal: &Principal,
    context: &messages::LetterContext,
    status: CandidateStatus,
    letter: &form_letter::Model,
) -> ServiceResult<candidate::Model> {
    let mut active: candidate::ActiveModel = context.candidate.clone().into();
    active.status = Set(status);
    active.updated_at = Set(Utc::now());
    if status == CandidateStatus::Rejected {
        active.in_talent_pool = Set(false);
        active.pool_joined_on = Set(None);
    }
    let updated = active.update(txn).await?;
    if status != CandidateStatus::Rejected {
        return Ok(updated);
    }
    if let Some(application) = &context.application {
        let mut application: application::ActiveModel = application.clone().into();
        application.status = Set(ApplicationStatus::Rejected);
        application.status_changed_at = Set(Utc::now());
        application.hired_at = Set(None);
        application.update(txn).await?;
    }
    let organisation = organisation::Entity::find_by_id(principal.organisation_id)
        .one(txn)
        .await?;
    let minimised = organisation.as_ref().map(organisation_settings::data_retention) != Some(DataRetention::Keep);
    let updated = if minimised {
        minimise(state, txn, updated).await?
    } else {
        updated
    };
    audit::record(
        txn,
        principal,
        "candidate.rejected_by_form_letter",
        "candidate",
        Some(updated.id),
        serde_json::json!({
            "formLetter": letter.name,
            "minimised": minimised,
        }),
    )
    .await?;
    Ok(updated)
}

/// Keeps what statistics need (the candidate's name, applications with source, status and
/// dates, the dates and media of contacts) and drops documents, free text and contact
/// details. The raw mails are replaced by a stub, since they hold everything the rest
/// drops. Stored files stay in the content-addressed store only while something else
/// refers to them: the blob sweep deletes the others.
pub async fn minimise(
    state: &AppState,
    txn: &DatabaseTransaction,
    candidate: candidate::Model,
) -> ServiceResult<candidate::Model> {
    let id = candidate.id;
    let stub = state.blobs.put_within(txn, MINIMISED_RAW_MAIL).await?;
    candidate_email::Entity::delete_many()
        .filter(candidate_email::Column::CandidateId.eq(id))
        .exec(txn)
        .await?;
    // Hers, and those of her mails not taken over as her documents (still the item's).
    document::Entity::delete_many()
        .filter(
            Condition::any()
                .add(document::Column::CandidateId.eq(id))
                .add(document::Column::InboxItemId.in_subquery(items_of(id))),
        )
        .exec(txn)
        .await?;
    contact_event::Entity::update_many()
        .col_expr(contact_event::Column::Note, Expr::value(Option::<String>::None))
        .col_expr(contact_event::Column::Subject, Expr::value(Option::<String>::None))
        .filter(contact_event::Column::CandidateId.eq(id))
        .exec(txn)
        .await?;
    mail_message::Entity::update_many()
        .col_expr(mail_message::Column::TextBody, Expr::value(Option::<String>::None))
        .col_expr(mail_message::Column::HtmlBody, Expr::value(Option::<String>::None))
        // The size stays the original's: the sync recognises a mail it already has by its
        // Message-ID and size, and must not download a minimised candidate's mail again.
        .col_expr(mail_message::Column::RawSha256, Expr::value(stub))
        .filter(mail_message::Column::InboxItemId.in_subquery(items_of(id)))
        .exec(txn)
        .await?;
    inbox_item::Entity::update_many()
        .col_expr(inbox_item::Column::Preview, Expr::value(Option::<String>::None))
        .col_expr(inbox_item::Column::Payload, Expr::value(Option::<String>::None))
        .col_expr(inbox_item::Column::SenderEmail, Expr::value(Option::<String>::None))
        .col_expr(inbox_item::Column::SenderPhone, Expr::value(Option::<String>::None))
        .filter(inbox_item::Column::CandidateId.eq(id))
        .exec(txn)
        .await?;
    let mut active: candidate::ActiveModel = candidate.into();
    active.phone = Set(None);
    active.birthday = Set(None);
    let reduced = active.update(txn).await?;
    candidates::refresh_keys(txn, reduced).await
}

/// The ids of a candidate's inbox items, as a subquery.
fn items_of(candidate_id: i64) -> sea_orm::sea_query::SelectStatement {
    crate::db::tenancy::any_organisation::<inbox_item::Entity>()
        .select_only()
        .column(inbox_item::Column::Id)
        .filter(inbox_item::Column::CandidateId.eq(candidate_id))
        .into_query()
}

/// What a minimised candidate's mails keep of their raw form (a valid mail, so the raw
/// download and the parser still work): a note that the content was removed.
const MINIMISED_RAW_MAIL: &[u8] = b"Subject: =?utf-8?q?Entfernt_/_Removed?=\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
Diese E-Mail wurde bei der Datenminimierung entfernt.\r\n\
This mail was removed when the candidate's data was minimised.\r\n";

fn clean_html(html: Option<&str>) -> ServiceResult<Option<String>> {
    Ok(optional_text("bodyHtml", html, 200_000)?.map(|html| sanitize_html(&html).html))
}

/// A typo in a placeholder is found when the letter is saved, not when a job sends it:
/// the letter is rendered once with every placeholder filled.
fn check_placeholders(subject: &str, text: &str, html: Option<&str>) -> ServiceResult<()> {
    // Every placeholder the compose path offers, each filled with its own name.
    let mut groups = serde_json::Map::new();
    for name in messages::PLACEHOLDERS {
        if let Some((group, field)) = name.split_once('.') {
            let entry = groups
                .entry(group)
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if let Some(fields) = entry.as_object_mut() {
                fields.insert(field.to_owned(), serde_json::Value::String((*name).to_owned()));
            }
        }
    }
    let sample = minijinja::Value::from_serialize(&groups);
    messages::render_letter(&sample, subject, text, html)
        .map(|_| ())
        .map_err(|error| match error {
            ServiceError::InvalidInput { field, message } if field == "body" => ServiceError::InvalidInput {
                field: "bodyText".to_owned(),
                message,
            },
            other => other,
        })
}

fn name_taken(error: sea_orm::DbErr) -> ServiceError {
    if is_unique_violation(&error) {
        ServiceError::conflict("name", "a form letter with this name exists already")
    } else {
        error.into()
    }
}
