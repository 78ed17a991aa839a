//! A candidate's contact history: every mail in and out and every letter, fax, call or
//! meeting, newest first. The last-contact time is derived from it; mail that did not
//! go out (queued, failed, cancelled, bounced) is history but not contact.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use talentpost_shared::{ContactMedium, OutboxStatus};

use crate::auth::Principal;
use crate::db::entities::{application, contact_event, outbox_message};
use crate::error::{ServiceError, ServiceResult};
use crate::events::DomainEvent;
use crate::ids::{ApplicationId, CandidateId};
use crate::services::{candidates, optional_text, org::audit};
use crate::state::AppState;

/// Media a user records by hand; mail entries come from the outbox and the inbox.
pub const MANUAL_MEDIA: [ContactMedium; 6] = [
    ContactMedium::LetterOut,
    ContactMedium::FaxOut,
    ContactMedium::PhoneOut,
    ContactMedium::PhoneIn,
    ContactMedium::InPerson,
    ContactMedium::FormLetterLetter,
];

#[derive(Clone, Debug, Default)]
pub struct HistoryFilter {
    pub media: Vec<ContactMedium>,
}

/// One entry of the history, with the outgoing mail behind a mail-out entry.
pub struct HistoryEntry {
    pub event: contact_event::Model,
    pub outbox: Option<outbox_message::Model>,
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    candidate_id: CandidateId,
    filter: &HistoryFilter,
) -> ServiceResult<Vec<HistoryEntry>> {
    let candidate = candidates::find(&state.db, principal, candidate_id).await?;
    let mut query = contact_event::Entity::find()
        .filter(contact_event::Column::CandidateId.eq(candidate.id))
        .order_by_desc(contact_event::Column::OccurredAt)
        .order_by_desc(contact_event::Column::Id);
    if !filter.media.is_empty() {
        query = query.filter(contact_event::Column::Medium.is_in(filter.media.iter().map(|medium| medium.as_str())));
    }
    let events = query.all(&state.db).await?;
    let ids: Vec<i64> = events.iter().map(|event| event.id).collect();
    let mut outbox: HashMap<i64, outbox_message::Model> = if ids.is_empty() {
        HashMap::new()
    } else {
        crate::db::tenancy::scoped::<outbox_message::Entity>(principal.organisation_id)
            .filter(outbox_message::Column::ContactEventId.is_in(ids))
            .all(&state.db)
            .await?
            .into_iter()
            .filter_map(|message| message.contact_event_id.map(|id| (id, message)))
            .collect()
    };
    Ok(events
        .into_iter()
        .map(|event| HistoryEntry {
            outbox: outbox.remove(&event.id),
            event,
        })
        .collect())
}

pub struct ContactEventInput {
    pub candidate_id: CandidateId,
    pub application_id: Option<ApplicationId>,
    pub medium: ContactMedium,
    pub occurred_at: Option<DateTime<Utc>>,
    pub subject: Option<String>,
    pub note: Option<String>,
}

pub async fn add(
    state: &AppState,
    principal: &Principal,
    input: ContactEventInput,
) -> ServiceResult<contact_event::Model> {
    if !MANUAL_MEDIA.contains(&input.medium) {
        return Err(ServiceError::invalid(
            "medium",
            "mail entries are recorded when mail is sent or received; choose letter, fax, phone or in person",
        ));
    }
    let candidate = candidates::find(&state.db, principal, input.candidate_id).await?;
    let application_id = match input.application_id {
        Some(id) => Some(
            application::Entity::find_by_id(id.0)
                .filter(application::Column::CandidateId.eq(candidate.id))
                .one(&state.db)
                .await?
                .ok_or_else(|| ServiceError::invalid("applicationId", "no such application of this candidate"))?
                .id,
        ),
        None => None,
    };
    let now = state.clock.now();
    let occurred_at = input.occurred_at.unwrap_or(now);
    if occurred_at > now + chrono::Duration::minutes(5) {
        return Err(ServiceError::invalid(
            "occurredAt",
            "a contact cannot lie in the future",
        ));
    }
    let subject = optional_text("subject", input.subject.as_deref(), 500)?;
    let note = optional_text("note", input.note.as_deref(), 10_000)?;
    if subject.is_none() && note.is_none() {
        return Err(ServiceError::invalid(
            "note",
            "say in a few words what the contact was about",
        ));
    }
    let event = contact_event::ActiveModel {
        candidate_id: Set(candidate.id),
        application_id: Set(application_id),
        inbox_item_id: Set(None),
        medium: Set(input.medium),
        occurred_at: Set(crate::services::inbox::truncate_to_micros(occurred_at)),
        user_id: Set(Some(principal.user_id)),
        note: Set(note),
        subject: Set(subject),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    audit::record(
        &state.db,
        principal,
        "contact_event.create",
        "candidate",
        Some(candidate.id),
        serde_json::json!({ "medium": event.medium.as_str(), "contactEventId": event.id }),
    )
    .await?;
    state.events.publish(DomainEvent::ContactHistoryChanged {
        organisation_id: principal.organisation_id,
        candidate_id: candidate.id,
    });
    Ok(event)
}

/// The candidate's last contact: the newest entry, not counting mail that never went out.
/// The newest contact of each candidate among `candidate_ids` (mail that never went
/// out does not count), in one statement for a whole page.
pub async fn last_contacts_of(state: &AppState, candidate_ids: &[i64]) -> ServiceResult<HashMap<i64, DateTime<Utc>>> {
    let not_delivered = Query::select()
        .column(outbox_message::Column::ContactEventId)
        .from(outbox_message::Entity)
        .and_where(Expr::col(outbox_message::Column::ContactEventId).is_not_null())
        .and_where(Expr::col(outbox_message::Column::Status).ne(OutboxStatus::Sent.as_str()))
        .to_owned();
    let latest = contact_event::Entity::find()
        .select_only()
        .column(contact_event::Column::CandidateId)
        .column_as(contact_event::Column::OccurredAt.max(), "latest")
        .filter(contact_event::Column::CandidateId.is_in(candidate_ids.iter().copied()))
        .filter(Expr::col(contact_event::Column::Id).not_in_subquery(not_delivered))
        .group_by(contact_event::Column::CandidateId)
        .into_tuple::<(i64, DateTime<Utc>)>()
        .all(&state.db)
        .await?;
    Ok(latest.into_iter().collect())
}
