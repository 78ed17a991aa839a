//! Dispatching a due run: each entry written through the outbox (or documented,
//! blocked, failed) in its own transaction that first moves it out of `planned`, under a
//! claim on the run, so with several processes each entry is written once.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use talentpost_shared::{NurturingEntryState, NurturingRunState};

use crate::auth::Principal;
use crate::db::entities::{candidate, form_letter, nurturing_entry, nurturing_job, nurturing_run, writing_job};
use crate::error::{ServiceError, ServiceResult};
use crate::events::DomainEvent;
use crate::ids::{ApplicationId, CandidateId, FormLetterId};
use crate::services::candidates::candidate_queries;
use crate::services::mail_out::form_letters::{self, LetterOutcome};
use crate::services::mail_out::messages;
use crate::state::AppState;

use super::planning::CATCH_UP_AFTER;
use super::recipients::{job_filter, owner_principal};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub queued: u64,
    pub documented: u64,
    pub blocked: u64,
    pub failed: u64,
}

/// Dispatches a due run if this process can claim it (a run left by a vanished process
/// is taken over once its lease ran out). Each entry is written in its own transaction
/// that first moves it out of `planned`, so no entry is written twice.
pub async fn dispatch(
    state: &AppState,
    run: &nurturing_run::Model,
    worker: &str,
) -> ServiceResult<Option<DispatchReport>> {
    if !claim(state, run.id, worker).await? {
        return Ok(None);
    }
    let mut report = DispatchReport::default();
    let Some(job) = crate::db::tenancy::scoped_by_id::<nurturing_job::Entity>(run.organisation_id, run.job_id)
        .one(&state.db)
        .await?
    else {
        return Ok(Some(report));
    };
    let prepared = async {
        let principal = owner_principal(&state.db, &job).await?;
        let filter = job_filter(state, &principal, &job).await?;
        let letter = form_letters::find(&state.db, &principal, FormLetterId(job.form_letter_id)).await?;
        ServiceResult::Ok((principal, filter, letter))
    }
    .await;
    let (principal, filter, letter) = match prepared {
        Ok(prepared) => prepared,
        // Passing trouble (a lost connection): the claim runs out and the run is retried.
        Err(error @ ServiceError::Database(_)) => return Err(error),
        Err(error) => {
            report.failed += fail_all(state, run, &error).await?;
            finish(state, run, &job).await?;
            return Ok(Some(report));
        }
    };
    // Whoever was contacted, rejected or changed since planning is checked again.
    let condition = candidate_queries::condition(
        &filter,
        job.organisation_id,
        run.dispatch_at,
        state.db.get_database_backend(),
    );
    let still_matching: HashSet<i64> = crate::db::tenancy::scoped::<candidate::Entity>(run.organisation_id)
        .select_only()
        .column(candidate::Column::Id)
        .filter(condition)
        .filter(
            candidate::Column::Id.in_subquery(
                crate::db::tenancy::scoped::<nurturing_entry::Entity>(run.organisation_id)
                    .select_only()
                    .column(nurturing_entry::Column::CandidateId)
                    .filter(nurturing_entry::Column::RunId.eq(run.id))
                    .into_query(),
            ),
        )
        .into_tuple()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let mut after = 0;
    loop {
        let batch = crate::db::tenancy::scoped::<nurturing_entry::Entity>(run.organisation_id)
            .filter(nurturing_entry::Column::RunId.eq(run.id))
            .filter(nurturing_entry::Column::State.eq(NurturingEntryState::Planned.as_str()))
            .filter(nurturing_entry::Column::Id.gt(after))
            .order_by_asc(nurturing_entry::Column::Id)
            .limit(100)
            .all(&state.db)
            .await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for entry in batch {
            if !still_matching.contains(&entry.candidate_id) {
                report.blocked += u64::from(
                    settle(
                        state,
                        &entry,
                        NurturingEntryState::Blocked,
                        Some("no longer matched the query at dispatch".to_owned()),
                    )
                    .await?,
                );
                continue;
            }
            match write_entry(state, &principal, &letter, &entry).await? {
                Some(NurturingEntryState::Queued) => report.queued += 1,
                Some(NurturingEntryState::DocumentedNotSent) => report.documented += 1,
                Some(_) => report.failed += 1,
                None => {}
            }
        }
        extend_claim(state, run.id, worker).await?;
    }
    finish(state, run, &job).await?;
    Ok(Some(report))
}

async fn claim(state: &AppState, run_id: i64, worker: &str) -> ServiceResult<bool> {
    let real_now = Utc::now();
    let claimed = nurturing_run::Entity::update_many()
        .col_expr(
            nurturing_run::Column::State,
            Expr::value(NurturingRunState::Dispatching.as_str()),
        )
        .col_expr(nurturing_run::Column::ClaimedBy, Expr::value(worker))
        .col_expr(
            nurturing_run::Column::ClaimedUntil,
            Expr::value(real_now + lease(state)),
        )
        .filter(nurturing_run::Column::Id.eq(run_id))
        .filter(
            Condition::any()
                .add(nurturing_run::Column::State.eq(NurturingRunState::Planned.as_str()))
                .add(
                    Condition::all()
                        .add(nurturing_run::Column::State.eq(NurturingRunState::Dispatching.as_str()))
                        .add(nurturing_run::Column::ClaimedUntil.lt(real_now)),
                ),
        )
        .exec(&state.db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

async fn extend_claim(state: &AppState, run_id: i64, worker: &str) -> ServiceResult<()> {
    nurturing_run::Entity::update_many()
        .col_expr(
            nurturing_run::Column::ClaimedUntil,
            Expr::value(Utc::now() + lease(state)),
        )
        .filter(nurturing_run::Column::Id.eq(run_id))
        .filter(nurturing_run::Column::ClaimedBy.eq(worker))
        .exec(&state.db)
        .await?;
    Ok(())
}

fn lease(state: &AppState) -> Duration {
    Duration::seconds(i64::try_from(state.config.nurturing_lease_seconds).unwrap_or(300))
}

async fn finish(state: &AppState, run: &nurturing_run::Model, job: &nurturing_job::Model) -> ServiceResult<()> {
    nurturing_run::Entity::update_many()
        .col_expr(
            nurturing_run::Column::State,
            Expr::value(NurturingRunState::Done.as_str()),
        )
        .col_expr(nurturing_run::Column::DispatchedAt, Expr::value(state.clock.now()))
        .col_expr(
            nurturing_run::Column::CatchUp,
            Expr::value(run.catch_up || state.clock.now() - run.dispatch_at > CATCH_UP_AFTER),
        )
        .col_expr(
            nurturing_run::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(nurturing_run::Column::Id.eq(run.id))
        .exec(&state.db)
        .await?;
    state.events.publish(DomainEvent::NurturingChanged {
        organisation_id: job.organisation_id,
        job_id: Some(job.id),
    });
    Ok(())
}

/// Writes one entry. `None` when another process got to it first.
async fn write_entry(
    state: &AppState,
    principal: &Principal,
    letter: &form_letter::Model,
    entry: &nurturing_entry::Model,
) -> ServiceResult<Option<NurturingEntryState>> {
    let context = messages::letter_context(
        state,
        principal,
        CandidateId(entry.candidate_id),
        entry.application_id.map(ApplicationId),
        None,
    )
    .await;
    let written = match context {
        Ok(context) => {
            let txn = crate::db::begin_write(&state.db).await?;
            let taken = nurturing_entry::Entity::update_many()
                .col_expr(
                    nurturing_entry::Column::State,
                    Expr::value(NurturingEntryState::Queued.as_str()),
                )
                .filter(nurturing_entry::Column::Id.eq(entry.id))
                .filter(nurturing_entry::Column::State.eq(NurturingEntryState::Planned.as_str()))
                .exec(&txn)
                .await?;
            if taken.rows_affected != 1 {
                return Ok(None);
            }
            match form_letters::write_in(state, &txn, principal, letter, &context, true).await {
                Ok((outcome, candidate)) => {
                    let (state_after, outbox_id, event_id) = match &outcome {
                        LetterOutcome::Mailed(message) => {
                            (NurturingEntryState::Queued, Some(message.id), message.contact_event_id)
                        }
                        LetterOutcome::Documented(event) => {
                            (NurturingEntryState::DocumentedNotSent, None, Some(event.id))
                        }
                    };
                    let now = Utc::now();
                    nurturing_entry::Entity::update_many()
                        .col_expr(nurturing_entry::Column::State, Expr::value(state_after.as_str()))
                        .col_expr(nurturing_entry::Column::OutboxMessageId, Expr::value(outbox_id))
                        .col_expr(nurturing_entry::Column::ContactEventId, Expr::value(event_id))
                        .col_expr(nurturing_entry::Column::DoneAt, Expr::value(now))
                        .col_expr(nurturing_entry::Column::UpdatedAt, Expr::value(now))
                        .filter(nurturing_entry::Column::Id.eq(entry.id))
                        .exec(&txn)
                        .await?;
                    writing_job::Entity::delete_many()
                        .filter(writing_job::Column::NurturingEntryId.eq(entry.id))
                        .exec(&txn)
                        .await?;
                    txn.commit().await?;
                    form_letters::announce(state, principal, &outcome, &candidate);
                    Ok(state_after)
                }
                Err(error) => {
                    txn.rollback().await?;
                    Err(error)
                }
            }
        }
        Err(error) => Err(error),
    };
    match written {
        Ok(state_after) => Ok(Some(state_after)),
        Err(ServiceError::Database(error)) => Err(ServiceError::Database(error)),
        // The letter cannot be written for this candidate (no sender, a placeholder
        // without a value, no right to the entity): the entry says why.
        Err(error) => {
            tracing::warn!(entry = entry.id, error = %error, "a nurturing entry could not be written");
            Ok(
                settle(state, entry, NurturingEntryState::Failed, Some(error.to_string()))
                    .await?
                    .then_some(NurturingEntryState::Failed),
            )
        }
    }
}

/// Moves a planned entry to a final state without writing (blocked, failed) and drops
/// its writing job. False when it was no longer planned.
pub async fn settle(
    state: &AppState,
    entry: &nurturing_entry::Model,
    to: NurturingEntryState,
    problem: Option<String>,
) -> ServiceResult<bool> {
    let txn = crate::db::begin_write(&state.db).await?;
    let now = Utc::now();
    let moved = nurturing_entry::Entity::update_many()
        .col_expr(nurturing_entry::Column::State, Expr::value(to.as_str()))
        .col_expr(nurturing_entry::Column::Problem, Expr::value(problem))
        .col_expr(nurturing_entry::Column::DoneAt, Expr::value(now))
        .col_expr(nurturing_entry::Column::UpdatedAt, Expr::value(now))
        .filter(nurturing_entry::Column::Id.eq(entry.id))
        .filter(nurturing_entry::Column::State.eq(NurturingEntryState::Planned.as_str()))
        .exec(&txn)
        .await?;
    writing_job::Entity::delete_many()
        .filter(writing_job::Column::NurturingEntryId.eq(entry.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(moved.rows_affected == 1)
}

async fn fail_all(state: &AppState, run: &nurturing_run::Model, error: &ServiceError) -> ServiceResult<u64> {
    tracing::warn!(run = run.id, error = %error, "a nurturing run could not be dispatched");
    let txn = crate::db::begin_write(&state.db).await?;
    let now = Utc::now();
    let failed = nurturing_entry::Entity::update_many()
        .col_expr(
            nurturing_entry::Column::State,
            Expr::value(NurturingEntryState::Failed.as_str()),
        )
        .col_expr(nurturing_entry::Column::Problem, Expr::value(error.to_string()))
        .col_expr(nurturing_entry::Column::DoneAt, Expr::value(now))
        .col_expr(nurturing_entry::Column::UpdatedAt, Expr::value(now))
        .filter(nurturing_entry::Column::RunId.eq(run.id))
        .filter(nurturing_entry::Column::State.eq(NurturingEntryState::Planned.as_str()))
        .exec(&txn)
        .await?;
    let entries = crate::db::tenancy::scoped::<nurturing_entry::Entity>(run.organisation_id)
        .select_only()
        .column(nurturing_entry::Column::Id)
        .filter(nurturing_entry::Column::RunId.eq(run.id))
        .into_query();
    writing_job::Entity::delete_many()
        .filter(writing_job::Column::NurturingEntryId.in_subquery(entries))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(failed.rows_affected)
}
