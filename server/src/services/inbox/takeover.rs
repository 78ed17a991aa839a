//! From inbox item to candidate: take-over (a new candidate and application from what
//! arrived), assignment to a known candidate, and the suggestions for that choice.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use talentpost_shared::{
    ContactMedium, EmailAddress, InboxMedium, InboxState, SourceMedium, SuggestionReason, matching,
};

use crate::auth::Principal;
use crate::db::entities::{application, audit_log, candidate, candidate_email, contact_event, document, inbox_item};
use crate::error::{ServiceError, ServiceResult};
use crate::events::DomainEvent;
use crate::ids::{ApplicationId, CandidateId, InboxItemId, JobOpeningId};
use crate::services::candidates::{self, CandidateInput};
use crate::services::{inbox, like_pattern, org::audit};
use crate::state::AppState;

/// Corrections to what the item says about the person; empty fields are taken from it.
#[derive(Default, Clone)]
pub struct TakeOverInput {
    /// The opening applied for; defaults to the item's own (a form for an opening),
    /// else the application is unsolicited.
    pub job_opening_id: Option<JobOpeningId>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
}

pub struct Assignment {
    pub item: inbox_item::Model,
    pub candidate: candidate::Model,
    pub application: Option<application::Model>,
    /// False when the sender was already a candidate and the item joined them.
    pub created_candidate: bool,
}

pub const MAX_BULK: usize = 200;

/// The audit action of a take-over; its entry also says what the take-over created,
/// which is what an undo removes again.
const TAKE_OVER: &str = "inbox_item.take_over";

/// How long a take-over can be undone: enough for the toast's "Undo" and a second
/// thought, short enough that nothing else has built on the new records yet.
const UNDO_WINDOW_MINUTES: i64 = 15;

/// One click: a candidate (or the known one with the sender's address) and an
/// application from the item, its files as the candidate's documents, and the item as
/// the first contact.
pub async fn take_over(
    state: &AppState,
    principal: &Principal,
    id: InboxItemId,
    input: TakeOverInput,
) -> ServiceResult<Assignment> {
    let txn = crate::db::begin_write(&state.db).await?;
    let done = take_over_in(&txn, principal, id, &input, state.clock.now()).await?;
    txn.commit().await?;
    announce(state, principal, std::slice::from_ref(&done));
    Ok(done)
}

/// Takes over several items, all or nothing. Two items from the same sender end up
/// with one candidate: the second joins the candidate the first created.
pub async fn take_over_many(
    state: &AppState,
    principal: &Principal,
    ids: &[InboxItemId],
    job_opening_id: Option<JobOpeningId>,
) -> ServiceResult<Vec<Assignment>> {
    if ids.is_empty() {
        return Err(ServiceError::invalid("ids", "select at least one item"));
    }
    if ids.len() > MAX_BULK {
        return Err(ServiceError::invalid(
            "ids",
            format!("at most {MAX_BULK} items at once"),
        ));
    }
    let input = TakeOverInput {
        job_opening_id,
        ..Default::default()
    };
    let txn = crate::db::begin_write(&state.db).await?;
    let mut done = Vec::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        let now = state.clock.now();
        let assignment = take_over_in(&txn, principal, *id, &input, now)
            .await
            .map_err(|error| match error {
                ServiceError::InvalidInput { field, message } if field != "jobOpeningId" => {
                    ServiceError::invalid(format!("ids.{index}"), format!("item {id}: {field} {message}"))
                }
                other => other,
            })?;
        done.push(assignment);
    }
    txn.commit().await?;
    announce(state, principal, &done);
    Ok(done)
}

async fn take_over_in(
    txn: &DatabaseTransaction,
    principal: &Principal,
    id: InboxItemId,
    input: &TakeOverInput,
    now: DateTime<Utc>,
) -> ServiceResult<Assignment> {
    let item = unassigned_item(txn, principal, id).await?;
    let payload: serde_json::Value = item
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    let email = match &input.email {
        Some(email) => Some(email.clone()),
        None => item
            .sender_email
            .as_deref()
            .and_then(|address| EmailAddress::parse(address).ok()),
    };
    let opening_id = input.job_opening_id.or(item.job_opening_id.map(JobOpeningId));
    let opening = candidates::opening_for_application(txn, principal, opening_id).await?;
    // Without an address (an SMS) the phone number is the sender's identity.
    let known = match (&email, &item.sender_phone) {
        (Some(email), _) => candidates::find_by_email(txn, principal.organisation_id, email).await?,
        (None, Some(phone)) => candidates::find_by_phone(txn, principal.organisation_id, phone).await?,
        (None, None) => None,
    };
    let (candidate, created_candidate) = match known {
        Some(known) => (known, false),
        None => {
            let (first_name, last_name) = names_of(&item, &payload, email.as_ref(), input);
            let birthday = payload
                .get("birthday")
                .and_then(|b| b.as_str())
                .and_then(|b| b.parse::<NaiveDate>().ok());
            let person = CandidateInput {
                first_name: Some(first_name),
                last_name: Some(last_name),
                emails: Some(email.iter().cloned().collect()),
                phone: input.phone.clone().or_else(|| item.sender_phone.clone()),
                birthday,
                ..Default::default()
            };
            (
                candidates::insert(txn, principal.organisation_id, person, now).await?,
                true,
            )
        }
    };
    let medium = item.medium;
    let application = candidates::insert_application(
        txn,
        &candidate,
        opening.as_ref(),
        SourceMedium::from(medium),
        item.received_at,
        now,
    )
    .await?;
    // What the take-over changes on the item, so that it can be undone.
    let (previous_opening, previous_match) = (item.job_opening_id, item.matched_candidate_id);
    let item = attach(txn, principal, item, &candidate, Some(&application)).await?;
    audit::record(
        txn,
        principal,
        TAKE_OVER,
        "inbox_item",
        Some(item.id),
        serde_json::json!({
            "candidateId": candidate.id,
            "applicationId": application.id,
            "createdCandidate": created_candidate,
            "previousJobOpeningId": previous_opening,
            "previousMatchedCandidateId": previous_match,
        }),
    )
    .await?;
    Ok(Assignment {
        item,
        candidate,
        application: Some(application),
        created_candidate,
    })
}

/// Undoes a take-over: the item is unassigned again, its application and contact are
/// removed, its files leave the candidate, and a candidate the take-over created is
/// deleted if nothing else has been recorded for them. Only who took it over (or an
/// administrator), within 15 minutes, and only while the application is untouched.
pub async fn undo_take_over(
    state: &AppState,
    principal: &Principal,
    id: InboxItemId,
) -> ServiceResult<inbox_item::Model> {
    let txn = crate::db::begin_write(&state.db).await?;
    let item = inbox::find(&txn, principal, id).await?;
    let entry = crate::db::tenancy::scoped::<audit_log::Entity>(principal.organisation_id)
        .filter(audit_log::Column::Action.eq(TAKE_OVER))
        .filter(audit_log::Column::SubjectId.eq(item.id))
        .order_by_desc(audit_log::Column::Id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::conflict("id", "this item was not taken over"))?;
    if entry.actor_user_id != Some(principal.user_id) && !principal.is_admin() {
        return Err(ServiceError::Forbidden(
            "only who took the item over, or an administrator, can undo it",
        ));
    }
    if Utc::now().signed_duration_since(entry.created_at) > chrono::Duration::minutes(UNDO_WINDOW_MINUTES) {
        return Err(ServiceError::conflict(
            "id",
            format!("a take-over can be undone for {UNDO_WINDOW_MINUTES} minutes"),
        ));
    }
    let details: serde_json::Value = serde_json::from_str(&entry.details).unwrap_or_default();
    let number = |key: &str| details.get(key).and_then(serde_json::Value::as_i64);
    let (Some(candidate_id), Some(application_id)) = (number("candidateId"), number("applicationId")) else {
        return Err(ServiceError::conflict("id", "this take-over cannot be undone"));
    };
    if item.state != InboxState::Assigned
        || item.candidate_id != Some(candidate_id)
        || item.application_id != Some(application_id)
    {
        return Err(ServiceError::conflict(
            "id",
            "the item has changed since it was taken over",
        ));
    }
    let application = application::Entity::find_by_id(application_id).one(&txn).await?;
    let others_on_application = contact_event::Entity::find()
        .filter(contact_event::Column::ApplicationId.eq(application_id))
        .filter(contact_event::Column::InboxItemId.ne(item.id))
        .count(&txn)
        .await?
        + crate::db::tenancy::scoped::<inbox_item::Entity>(principal.organisation_id)
            .filter(inbox_item::Column::ApplicationId.eq(application_id))
            .filter(inbox_item::Column::Id.ne(item.id))
            .count(&txn)
            .await?;
    if application
        .as_ref()
        .is_some_and(|a| a.status != talentpost_shared::ApplicationStatus::New)
        || others_on_application > 0
    {
        return Err(ServiceError::conflict(
            "id",
            "the application has moved on since; change it in the candidate file",
        ));
    }

    contact_event::Entity::delete_many()
        .filter(contact_event::Column::InboxItemId.eq(item.id))
        .exec(&txn)
        .await?;
    document::Entity::update_many()
        .col_expr(document::Column::CandidateId, Expr::value(Option::<i64>::None))
        .filter(document::Column::InboxItemId.eq(item.id))
        .exec(&txn)
        .await?;
    let created_candidate = details
        .get("createdCandidate")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let mut active: inbox_item::ActiveModel = item.into();
    active.state = Set(InboxState::Unassigned);
    active.candidate_id = Set(None);
    active.application_id = Set(None);
    active.job_opening_id = Set(number("previousJobOpeningId"));
    active.matched_candidate_id =
        Set(number("previousMatchedCandidateId").or((!created_candidate).then_some(candidate_id)));
    let item = active.update(&txn).await?;
    application::Entity::delete_by_id(application_id).exec(&txn).await?;
    let mut deleted_candidate = false;
    if created_candidate && nothing_recorded_for(&txn, candidate_id).await? {
        candidate_email::Entity::delete_many()
            .filter(candidate_email::Column::CandidateId.eq(candidate_id))
            .exec(&txn)
            .await?;
        candidate::Entity::delete_by_id(candidate_id).exec(&txn).await?;
        deleted_candidate = true;
    }
    audit::record(
        &txn,
        principal,
        "inbox_item.undo_take_over",
        "inbox_item",
        Some(item.id),
        serde_json::json!({ "candidateId": candidate_id, "applicationId": application_id, "deletedCandidate": deleted_candidate }),
    )
    .await?;
    txn.commit().await?;
    state.events.publish(DomainEvent::InboxChanged {
        organisation_id: principal.organisation_id,
    });
    state.events.publish(DomainEvent::ContactHistoryChanged {
        organisation_id: principal.organisation_id,
        candidate_id,
    });
    Ok(item)
}

/// True when a candidate has no application, contact, document or inbox item left.
async fn nothing_recorded_for(txn: &DatabaseTransaction, candidate_id: i64) -> ServiceResult<bool> {
    let applications = application::Entity::find()
        .filter(application::Column::CandidateId.eq(candidate_id))
        .count(txn)
        .await?;
    let contacts = contact_event::Entity::find()
        .filter(contact_event::Column::CandidateId.eq(candidate_id))
        .count(txn)
        .await?;
    let documents = crate::db::tenancy::any_organisation::<document::Entity>()
        .filter(document::Column::CandidateId.eq(candidate_id))
        .count(txn)
        .await?;
    let items = crate::db::tenancy::any_organisation::<inbox_item::Entity>()
        .filter(
            Condition::any()
                .add(inbox_item::Column::CandidateId.eq(candidate_id))
                .add(inbox_item::Column::MatchedCandidateId.eq(candidate_id)),
        )
        .count(txn)
        .await?;
    Ok(applications + contacts + documents + items == 0)
}

/// Joins the item to a known candidate, optionally to one of their applications. A mail
/// from an address the candidate did not have adds it, so their next mail matches.
pub async fn assign(
    state: &AppState,
    principal: &Principal,
    id: InboxItemId,
    candidate_id: CandidateId,
    application_id: Option<ApplicationId>,
) -> ServiceResult<Assignment> {
    let txn = crate::db::begin_write(&state.db).await?;
    let item = unassigned_item(&txn, principal, id).await?;
    let candidate = candidates::find(&txn, principal, candidate_id)
        .await
        .map_err(|_| ServiceError::invalid("candidateId", "no such candidate"))?;
    let application = match application_id {
        Some(application_id) => Some(
            application::Entity::find_by_id(application_id.0)
                .filter(application::Column::CandidateId.eq(candidate.id))
                .one(&txn)
                .await?
                .ok_or_else(|| ServiceError::invalid("applicationId", "not an application of this candidate"))?,
        ),
        None => None,
    };
    if let Some(entity) = application.as_ref().and_then(|a| a.legal_entity_id)
        && !principal.may_recruit_for(entity)
    {
        return Err(ServiceError::Forbidden("you do not recruit for this legal entity"));
    }
    let candidate = match item
        .sender_email
        .as_deref()
        .and_then(|address| EmailAddress::parse(address).ok())
    {
        Some(email) if candidates::add_email(&txn, candidate.id, &email).await? => {
            candidates::refresh_keys(&txn, candidate).await?
        }
        _ => candidate,
    };
    let item = attach(&txn, principal, item, &candidate, application.as_ref()).await?;
    audit::record(
        &txn,
        principal,
        "inbox_item.assign",
        "inbox_item",
        Some(item.id),
        serde_json::json!({ "candidateId": candidate.id, "applicationId": application.as_ref().map(|a| a.id) }),
    )
    .await?;
    txn.commit().await?;
    let done = Assignment {
        item,
        candidate,
        application,
        created_candidate: false,
    };
    announce(state, principal, std::slice::from_ref(&done));
    Ok(done)
}

/// The item, claimed for this transaction: of two recruiters taking over the same item
/// at once, the second finds it assigned (the conditional update waits for the first).
async fn unassigned_item(
    txn: &DatabaseTransaction,
    principal: &Principal,
    id: InboxItemId,
) -> ServiceResult<inbox_item::Model> {
    let item = inbox::find(txn, principal, id).await?;
    let claimed = inbox_item::Entity::update_many()
        .col_expr(inbox_item::Column::State, Expr::value(InboxState::Assigned.as_str()))
        .filter(inbox_item::Column::Id.eq(item.id))
        .filter(inbox_item::Column::State.eq(InboxState::Unassigned.as_str()))
        .exec(txn)
        .await?;
    if claimed.rows_affected == 0 {
        let now = inbox::find(txn, principal, id).await?;
        return Err(ServiceError::conflict(
            "id",
            format!("inbox item {id} is {} already, not unassigned", now.state),
        ));
    }
    Ok(item)
}

/// The files become the candidate's documents, the item their contact, and the item
/// leaves the unassigned view.
async fn attach(
    txn: &DatabaseTransaction,
    principal: &Principal,
    item: inbox_item::Model,
    candidate: &candidate::Model,
    application: Option<&application::Model>,
) -> ServiceResult<inbox_item::Model> {
    document::Entity::update_many()
        .col_expr(document::Column::CandidateId, Expr::value(candidate.id))
        .filter(document::Column::InboxItemId.eq(item.id))
        .exec(txn)
        .await?;
    let medium = item.medium;
    let note = match medium {
        InboxMedium::Email => item.preview.clone(),
        _ => item
            .payload
            .as_deref()
            .and_then(message_of)
            .or_else(|| item.preview.clone()),
    };
    contact_event::ActiveModel {
        candidate_id: Set(candidate.id),
        application_id: Set(application.map(|a| a.id)),
        inbox_item_id: Set(Some(item.id)),
        medium: Set(ContactMedium::from(medium)),
        occurred_at: Set(item.received_at),
        user_id: Set(Some(principal.user_id)),
        note: Set(note),
        subject: Set(Some(item.subject.clone()).filter(|s| !s.is_empty())),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let mut active: inbox_item::ActiveModel = item.into();
    active.state = Set(InboxState::Assigned);
    active.candidate_id = Set(Some(candidate.id));
    active.matched_candidate_id = Set(Some(candidate.id));
    active.application_id = Set(application.map(|a| a.id));
    if let Some(application) = application {
        active.job_opening_id = Set(application.job_opening_id);
    }
    Ok(active.update(txn).await?)
}

fn message_of(payload: &str) -> Option<String> {
    let payload: serde_json::Value = serde_json::from_str(payload).ok()?;
    payload
        .get("message")
        .or_else(|| payload.get("text"))?
        .as_str()
        .map(str::to_owned)
}

fn announce(state: &AppState, principal: &Principal, done: &[Assignment]) {
    let organisation_id = principal.organisation_id;
    state.events.publish(DomainEvent::InboxChanged { organisation_id });
    let mut candidates: Vec<i64> = done.iter().map(|d| d.candidate.id).collect();
    candidates.sort_unstable();
    candidates.dedup();
    for candidate_id in candidates {
        state.events.publish(DomainEvent::ContactHistoryChanged {
            organisation_id,
            candidate_id,
        });
    }
}

/// First and last name: what the recruiter typed, else what the channel delivered
/// (form fields), else the sender's display name, else the address ("max.mustermann@").
fn names_of(
    item: &inbox_item::Model,
    payload: &serde_json::Value,
    email: Option<&EmailAddress>,
    input: &TakeOverInput,
) -> (String, String) {
    let field = |name: &str| payload.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let (mut first, mut last) = match (field("firstName"), field("lastName")) {
        (Some(first), Some(last)) => (first, last),
        _ => item
            .sender_name
            .as_deref()
            .map(matching::split_display_name)
            .unwrap_or_default(),
    };
    if first.is_empty()
        && let Some(email) = email
    {
        let (from_first, from_last) = names_from_address(email);
        if !from_first.is_empty() && (last.is_empty() || last.eq_ignore_ascii_case(&from_last)) {
            (first, last) = (from_first, from_last);
        }
    }
    (
        input.first_name.clone().unwrap_or(first),
        input.last_name.clone().unwrap_or(last),
    )
}

/// "max.mustermann@…" → ("Max", "Mustermann"); addresses without two name parts give nothing.
fn names_from_address(email: &EmailAddress) -> (String, String) {
    let parts: Vec<String> = email
        .local_part()
        .split(['.', '_', '-'])
        .filter(|part| part.len() > 1 && part.chars().all(char::is_alphabetic))
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect())
                .unwrap_or_default()
        })
        .collect();
    match parts.as_slice() {
        [first, last] => (first.clone(), last.clone()),
        _ => (String::new(), String::new()),
    }
}

pub struct Suggestion {
    pub candidate: candidate::Model,
    pub reasons: Vec<SuggestionReason>,
    /// Jaro-Winkler similarity of the names, 0 to 1.
    pub name_similarity: f64,
}

/// Names at least this similar are suggested.
pub const NAME_THRESHOLD: f64 = 0.88;
const MAX_SUGGESTIONS: usize = 10;
/// How many name candidates are scored; a very common name is not scanned entirely.
const NAME_PROBE_LIMIT: u64 = 500;

/// Candidates the item may belong to: same address first, then similar names, then the
/// same phone number.
pub async fn suggestions(state: &AppState, principal: &Principal, id: InboxItemId) -> ServiceResult<Vec<Suggestion>> {
    let item = inbox::find(&state.db, principal, id).await?;
    let organisation_id = principal.organisation_id;
    let mut found: HashMap<i64, (candidate::Model, Vec<SuggestionReason>)> = HashMap::new();

    if let Some(email) = item
        .sender_email
        .as_deref()
        .and_then(|address| EmailAddress::parse(address).ok())
    {
        let ids: Vec<i64> = candidate_email::Entity::find()
            .filter(candidate_email::Column::EmailKey.eq(email.match_key()))
            .select_only()
            .column(candidate_email::Column::CandidateId)
            .into_tuple()
            .all(&state.db)
            .await?;
        for row in in_organisation(&state.db, organisation_id, candidate::Column::Id.is_in(ids)).await? {
            found
                .entry(row.id)
                .or_insert_with(|| (row, Vec::new()))
                .1
                .push(SuggestionReason::Email);
        }
    }

    let payload: serde_json::Value = item
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    let (first, last) = names_of(
        &item,
        &payload,
        item.sender_email
            .as_deref()
            .and_then(|a| EmailAddress::parse(a).ok())
            .as_ref(),
        &TakeOverInput::default(),
    );
    let name = matching::name_key(&first, &last);
    let last_key = matching::name_key("", &last);
    let first_key = matching::name_key(&first, "");
    if last_key.chars().count() >= 2 {
        // Narrow 100,000 candidates to a few with a related name (the same last name, the
        // same first name, or a last name starting alike, for "Vogt" and "Voigt"); the
        // similarity then ranks them.
        let stem: String = last_key.chars().take(3).collect();
        let mut related = Condition::any()
            .add(candidate::Column::NameKey.like(like_pattern("%{}%", &last_key)))
            .add(candidate::Column::NameKey.like(like_pattern("% {}%", &stem)));
        if !first_key.is_empty() {
            related = related.add(candidate::Column::NameKey.like(like_pattern("{} %", &first_key)));
        }
        // The exact name first (indexed), so a common name's probe cannot crowd it out.
        let mut probe =
            in_organisation(&state.db, organisation_id, candidate::Column::NameKey.eq(name.clone())).await?;
        probe.extend(
            crate::db::tenancy::scoped::<candidate::Entity>(organisation_id)
                .filter(related)
                .limit(NAME_PROBE_LIMIT)
                .all(&state.db)
                .await?,
        );
        for row in probe {
            if matching::name_similarity(&name, &row.name_key) >= NAME_THRESHOLD {
                let reasons = &mut found.entry(row.id).or_insert_with(|| (row, Vec::new())).1;
                if !reasons.contains(&SuggestionReason::Name) {
                    reasons.push(SuggestionReason::Name);
                }
            }
        }
    }

    if let Some(key) = item.sender_phone.as_deref().and_then(matching::phone_key) {
        let rows = in_organisation(&state.db, organisation_id, candidate::Column::PhoneKey.eq(key)).await?;
        for row in rows {
            found
                .entry(row.id)
                .or_insert_with(|| (row, Vec::new()))
                .1
                .push(SuggestionReason::Phone);
        }
    }

    let mut suggestions: Vec<Suggestion> = found
        .into_values()
        .map(|(candidate, reasons)| Suggestion {
            name_similarity: matching::name_similarity(&name, &candidate.name_key),
            candidate,
            reasons,
        })
        .collect();
    suggestions.sort_by(|a, b| {
        let rank = |s: &Suggestion| {
            (
                s.reasons.contains(&SuggestionReason::Email),
                s.reasons.contains(&SuggestionReason::Name),
            )
        };
        rank(b)
            .cmp(&rank(a))
            .then(b.name_similarity.total_cmp(&a.name_similarity))
            .then(
                b.reasons
                    .contains(&SuggestionReason::Phone)
                    .cmp(&a.reasons.contains(&SuggestionReason::Phone)),
            )
            .then(b.candidate.id.cmp(&a.candidate.id))
    });
    suggestions.truncate(MAX_SUGGESTIONS);
    Ok(suggestions)
}

async fn in_organisation(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    condition: impl sea_orm::sea_query::IntoCondition,
) -> ServiceResult<Vec<candidate::Model>> {
    Ok(crate::db::tenancy::scoped::<candidate::Entity>(organisation_id)
        .filter(condition)
        .limit(50)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_an_address_with_two_parts() {
        let email = EmailAddress::parse("max.mustermann@example.org").unwrap();
        assert_eq!(names_from_address(&email), ("Max".to_owned(), "Mustermann".to_owned()));
        let email = EmailAddress::parse("jobs@example.org").unwrap();
        assert_eq!(names_from_address(&email), (String::new(), String::new()));
    }
}
