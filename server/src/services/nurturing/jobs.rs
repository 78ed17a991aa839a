//! Creating, changing, copying and deleting nurturing jobs, and their list with counts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use talentpost_shared::{NurturingEntryState, NurturingRunState, OutboxStatus, Weekday};

use crate::auth::Principal;
use crate::db::entities::{
    candidate_query, form_letter, nurturing_entry, nurturing_job, nurturing_run, outbox_message,
};
use crate::error::{ServiceError, ServiceResult, is_unique_violation};
use crate::events::DomainEvent;
use crate::ids::{CandidateQueryId, FormLetterId, NurturingJobId};
use crate::services::nurturing::schedule::Schedule;
use crate::services::{candidates::candidate_queries, mail_out::form_letters, org::audit, required_name};
use crate::state::AppState;

/// Longest lead time: a month ahead.
pub const MAX_LEAD_TIME_HOURS: i32 = 24 * 31;
/// What a new job plans ahead when the input does not say: a working day to look.
pub const DEFAULT_LEAD_TIME_HOURS: i32 = 24;

#[derive(Default)]
pub struct JobInput {
    pub name: Option<String>,
    pub candidate_query_id: Option<CandidateQueryId>,
    pub form_letter_id: Option<FormLetterId>,
    pub weekdays: Option<Vec<Weekday>>,
    pub dispatch_time: Option<String>,
    pub time_zone: Option<String>,
    pub lead_time_hours: Option<i32>,
    pub enabled: Option<bool>,
}

/// A job with what the list shows about it.
pub struct JobView {
    pub job: nurturing_job::Model,
    pub query_name: String,
    pub letter_name: String,
    pub next_dispatch_at: Option<DateTime<Utc>>,
    pub last_dispatch_at: Option<DateTime<Utc>>,
    pub counts: HashMap<NurturingEntryState, u64>,
}

impl JobView {
    pub fn schedule(&self) -> Schedule {
        schedule_of(&self.job)
    }

    pub fn count(&self, state: NurturingEntryState) -> u64 {
        self.counts.get(&state).copied().unwrap_or(0)
    }
}

pub fn schedule_of(job: &nurturing_job::Model) -> Schedule {
    Schedule::stored(job.weekdays, job.dispatch_minute, &job.time_zone)
}

pub async fn find(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: NurturingJobId,
) -> ServiceResult<nurturing_job::Model> {
    crate::db::tenancy::scoped_by_id::<nurturing_job::Entity>(principal.organisation_id, id.0)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(NurturingJobId::LABEL, id))
}

pub async fn list(state: &AppState, principal: &Principal) -> ServiceResult<Vec<JobView>> {
    let jobs = crate::db::tenancy::scoped::<nurturing_job::Entity>(principal.organisation_id)
        .order_by_asc(nurturing_job::Column::Name)
        .all(&state.db)
        .await?;
    views(state, principal.organisation_id, jobs).await
}

pub async fn view(state: &AppState, principal: &Principal, id: NurturingJobId) -> ServiceResult<JobView> {
    let job = find(&state.db, principal, id).await?;
    views(state, principal.organisation_id, vec![job])
        .await?
        .pop()
        .ok_or_else(|| ServiceError::not_found(NurturingJobId::LABEL, id))
}

async fn views(state: &AppState, organisation_id: i64, jobs: Vec<nurturing_job::Model>) -> ServiceResult<Vec<JobView>> {
    let queries: HashMap<i64, String> = crate::db::tenancy::scoped::<candidate_query::Entity>(organisation_id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|query| (query.id, query.name))
        .collect();
    let letters: HashMap<i64, String> = crate::db::tenancy::scoped::<form_letter::Entity>(organisation_id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|letter| (letter.id, letter.name))
        .collect();
    let mut counts = entry_counts(&state.db, organisation_id).await?;
    let last_dispatches: HashMap<i64, Option<DateTime<Utc>>> =
        crate::db::tenancy::scoped::<nurturing_run::Entity>(organisation_id)
            .select_only()
            .column(nurturing_run::Column::JobId)
            .column_as(nurturing_run::Column::DispatchedAt.max(), "last")
            .group_by(nurturing_run::Column::JobId)
            .into_tuple::<(i64, Option<DateTime<Utc>>)>()
            .all(&state.db)
            .await?
            .into_iter()
            .collect();
    let now = state.clock.now();
    Ok(jobs
        .into_iter()
        .map(|job| JobView {
            query_name: queries.get(&job.candidate_query_id).cloned().unwrap_or_default(),
            letter_name: letters.get(&job.form_letter_id).cloned().unwrap_or_default(),
            next_dispatch_at: if job.enabled {
                schedule_of(&job).next_after(Ord::max(now, job.schedule_since))
            } else {
                None
            },
            last_dispatch_at: last_dispatches.get(&job.id).copied().flatten(),
            counts: counts.remove(&job.id).unwrap_or_default(),
            job,
        })
        .collect())
}

/// Entries per job and state, with the outbox's word on mail that left.
async fn entry_counts(
    db: &impl ConnectionTrait,
    organisation_id: i64,
) -> ServiceResult<HashMap<i64, HashMap<NurturingEntryState, u64>>> {
    let statement = Query::select()
        .column((nurturing_entry::Entity, nurturing_entry::Column::JobId))
        .column((nurturing_entry::Entity, nurturing_entry::Column::State))
        .expr_as(
            Expr::col((outbox_message::Entity, outbox_message::Column::Status)),
            Alias::new("outbox_status"),
        )
        .expr_as(
            Func::count(Expr::col((nurturing_entry::Entity, nurturing_entry::Column::Id))),
            Alias::new("entries"),
        )
        .from(nurturing_entry::Entity)
        .left_join(
            outbox_message::Entity,
            Expr::col((outbox_message::Entity, outbox_message::Column::Id))
                .equals((nurturing_entry::Entity, nurturing_entry::Column::OutboxMessageId)),
        )
        .and_where(Expr::col((nurturing_entry::Entity, nurturing_entry::Column::OrganisationId)).eq(organisation_id))
        .group_by_col((nurturing_entry::Entity, nurturing_entry::Column::JobId))
        .group_by_col((nurturing_entry::Entity, nurturing_entry::Column::State))
        .group_by_col((outbox_message::Entity, outbox_message::Column::Status))
        .to_owned();
    let rows = db.query_all(&statement).await?;
    let mut counts: HashMap<i64, HashMap<NurturingEntryState, u64>> = HashMap::new();
    for row in rows {
        let job: i64 = row.try_get("", "job_id")?;
        let stored: NurturingEntryState = row.try_get("", "state")?;
        let outbox: Option<OutboxStatus> = row.try_get("", "outbox_status")?;
        let entries: i64 = row.try_get("", "entries")?;
        let state = effective_state(stored, outbox);
        *counts.entry(job).or_default().entry(state).or_default() += u64::try_from(entries).unwrap_or(0);
    }
    Ok(counts)
}

/// An entry handed to the outbox is as far as its mail got.
pub fn effective_state(stored: NurturingEntryState, outbox: Option<OutboxStatus>) -> NurturingEntryState {
    match (stored, outbox) {
        (NurturingEntryState::Queued, Some(OutboxStatus::Sent)) => NurturingEntryState::Sent,
        (
            NurturingEntryState::Queued,
            Some(OutboxStatus::Failed | OutboxStatus::Bounced | OutboxStatus::Cancelled | OutboxStatus::NotSent),
        ) => NurturingEntryState::Failed,
        (state, _) => state,
    }
}

fn lead_time(hours: i32) -> ServiceResult<i32> {
    if (0..=MAX_LEAD_TIME_HOURS).contains(&hours) {
        Ok(hours)
    } else {
        Err(ServiceError::invalid(
            "leadTimeHours",
            format!("must be between 0 and {MAX_LEAD_TIME_HOURS} hours"),
        ))
    }
}

async fn check_query(db: &impl ConnectionTrait, principal: &Principal, id: CandidateQueryId) -> ServiceResult<i64> {
    candidate_queries::find(db, principal, id)
        .await
        .map(|query| query.id)
        .map_err(|_| ServiceError::invalid("candidateQueryId", "no such candidate query"))
}

async fn check_letter(db: &impl ConnectionTrait, principal: &Principal, id: FormLetterId) -> ServiceResult<i64> {
    form_letters::find(db, principal, id)
        .await
        .map(|letter| letter.id)
        .map_err(|_| ServiceError::invalid("formLetterId", "no such form letter"))
}

pub async fn create(state: &AppState, principal: &Principal, input: JobInput) -> ServiceResult<nurturing_job::Model> {
    let name = required_name("name", input.name.as_deref().unwrap_or_default(), 200)?;
    let query = check_query(
        &state.db,
        principal,
        input
            .candidate_query_id
            .ok_or_else(|| ServiceError::invalid("candidateQueryId", "choose a candidate query"))?,
    )
    .await?;
    let letter = check_letter(
        &state.db,
        principal,
        input
            .form_letter_id
            .ok_or_else(|| ServiceError::invalid("formLetterId", "choose a form letter"))?,
    )
    .await?;
    let schedule = Schedule::parse(
        input.weekdays.as_deref().unwrap_or_default(),
        input.dispatch_time.as_deref().unwrap_or_default(),
        input.time_zone.as_deref().unwrap_or("Europe/Berlin"),
    )?;
    let lead = lead_time(input.lead_time_hours.unwrap_or(DEFAULT_LEAD_TIME_HOURS))?;
    let now = state.clock.now();
    let created = nurturing_job::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        name: Set(name),
        candidate_query_id: Set(query),
        form_letter_id: Set(letter),
        weekdays: Set(schedule.weekday_mask()),
        dispatch_minute: Set(schedule.minute_of_day()),
        time_zone: Set(schedule.zone_name().to_owned()),
        lead_time_hours: Set(lead),
        // Off until switched on: nothing is written by a job nobody looked at.
        enabled: Set(input.enabled.unwrap_or(false)),
        schedule_since: Set(now),
        owner_user_id: Set(Some(principal.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await
    .map_err(name_taken)?;
    audit::record(
        &state.db,
        principal,
        "nurturing_job.created",
        "nurturing_job",
        Some(created.id),
        serde_json::json!({"name": created.name}),
    )
    .await?;
    changed(state, &created);
    Ok(created)
}

/// A change of what or when a job writes drops its runs that were planned but not yet
/// sent; they are planned again with the new settings. The editor becomes the job's owner.
pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: NurturingJobId,
    input: JobInput,
) -> ServiceResult<nurturing_job::Model> {
    let existing = find(&state.db, principal, id).await?;
    let current = schedule_of(&existing);
    let mut active: nurturing_job::ActiveModel = existing.clone().into();
    if let Some(name) = input.name.as_deref() {
        active.name = Set(required_name("name", name, 200)?);
    }
    if let Some(query) = input.candidate_query_id {
        active.candidate_query_id = Set(check_query(&state.db, principal, query).await?);
    }
    if let Some(letter) = input.form_letter_id {
        active.form_letter_id = Set(check_letter(&state.db, principal, letter).await?);
    }
    let schedule = Schedule::parse(
        input
            .weekdays
            .as_deref()
            .unwrap_or(&Weekday::from_mask(existing.weekdays)),
        input.dispatch_time.as_deref().unwrap_or(&current.dispatch_time()),
        input.time_zone.as_deref().unwrap_or(current.zone_name()),
    )?;
    active.weekdays = Set(schedule.weekday_mask());
    active.dispatch_minute = Set(schedule.minute_of_day());
    active.time_zone = Set(schedule.zone_name().to_owned());
    if let Some(hours) = input.lead_time_hours {
        active.lead_time_hours = Set(lead_time(hours)?);
    }
    if let Some(enabled) = input.enabled {
        active.enabled = Set(enabled);
    }
    let now = state.clock.now();
    let switched_on = input.enabled == Some(true) && !existing.enabled;
    let replan = schedule != current
        || input
            .candidate_query_id
            .is_some_and(|query| query.0 != existing.candidate_query_id)
        || input
            .form_letter_id
            .is_some_and(|letter| letter.0 != existing.form_letter_id)
        || input.enabled.is_some_and(|enabled| enabled != existing.enabled);
    if switched_on || schedule != current {
        // Only dispatch times from now on count: no catch-up for the time before.
        active.schedule_since = Set(now);
    }
    active.owner_user_id = Set(Some(principal.user_id));
    active.updated_at = Set(now);
    let txn = crate::db::begin_write(&state.db).await?;
    // The job row first: a planning in progress holds it, so its run is committed (and
    // dropped here) or it sees the change and plans nothing.
    let updated = active.update(&txn).await.map_err(name_taken)?;
    if replan {
        nurturing_run::Entity::delete_many()
            .filter(nurturing_run::Column::JobId.eq(existing.id))
            .filter(nurturing_run::Column::State.eq(NurturingRunState::Planned.as_str()))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        principal,
        "nurturing_job.updated",
        "nurturing_job",
        Some(updated.id),
        serde_json::json!({
            "name": updated.name,
            "enabled": updated.enabled,
        }),
    )
    .await?;
    txn.commit().await?;
    changed(state, &updated);
    Ok(updated)
}

/// A copy is switched off and named "<name> (copy)", "<name> (copy 2)", ….
pub async fn copy(state: &AppState, principal: &Principal, id: NurturingJobId) -> ServiceResult<nurturing_job::Model> {
    let original = find(&state.db, principal, id).await?;
    let taken: Vec<String> = crate::db::tenancy::scoped::<nurturing_job::Entity>(principal.organisation_id)
        .select_only()
        .column(nurturing_job::Column::Name)
        .into_tuple()
        .all(&state.db)
        .await?;
    let name = (1..)
        .map(|n| {
            if n == 1 {
                format!("{} (copy)", original.name)
            } else {
                format!("{} (copy {n})", original.name)
            }
        })
        .find(|name| !taken.contains(name))
        .unwrap_or_default();
    let now = state.clock.now();
    // Everything of the original but its identity, name, owner and switch.
    let mut copy = nurturing_job::ActiveModel::from(original.clone()).reset_all();
    copy.id = NotSet;
    copy.name = Set(name);
    copy.enabled = Set(false);
    copy.schedule_since = Set(now);
    copy.owner_user_id = Set(Some(principal.user_id));
    copy.created_at = Set(now);
    copy.updated_at = Set(now);
    let copied = copy.insert(&state.db).await.map_err(name_taken)?;
    audit::record(
        &state.db,
        principal,
        "nurturing_job.copied",
        "nurturing_job",
        Some(copied.id),
        serde_json::json!({"from": original.id}),
    )
    .await?;
    changed(state, &copied);
    Ok(copied)
}

/// Deletes the job with its runs, entries and writing jobs. What it sent stays in the
/// candidates' histories and the outbox.
pub async fn delete(state: &AppState, principal: &Principal, id: NurturingJobId) -> ServiceResult<()> {
    let existing = find(&state.db, principal, id).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    nurturing_job::Entity::delete_by_id(existing.id).exec(&txn).await?;
    audit::record(
        &txn,
        principal,
        "nurturing_job.deleted",
        "nurturing_job",
        Some(existing.id),
        serde_json::json!({"name": existing.name}),
    )
    .await?;
    txn.commit().await?;
    changed(state, &existing);
    Ok(())
}

/// A query or letter that a job uses cannot be deleted; the error names the jobs.
pub async fn refuse_if_used(db: &impl ConnectionTrait, column: nurturing_job::Column, id: i64) -> ServiceResult<()> {
    let users: Vec<String> = crate::db::tenancy::any_organisation::<nurturing_job::Entity>()
        .select_only()
        .column(nurturing_job::Column::Name)
        .filter(column.eq(id))
        .order_by_asc(nurturing_job::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    if users.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::conflict(
            "id",
            format!("used by the nurturing job(s) {}", users.join(", ")),
        ))
    }
}

fn changed(state: &AppState, job: &nurturing_job::Model) {
    state.events.publish(DomainEvent::NurturingChanged {
        organisation_id: job.organisation_id,
        job_id: Some(job.id),
    });
    state.signals.nurturing.wake();
}

fn name_taken(error: sea_orm::DbErr) -> ServiceError {
    if is_unique_violation(&error) {
        ServiceError::conflict("name", "a nurturing job with this name exists already")
    } else {
        error.into()
    }
}
