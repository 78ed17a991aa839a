//! Planning a run: its recipients, as of the dispatch time, stored as entries ahead of
//! it (with writing jobs while it is still ahead). Claimed in the database, so with
//! several server processes on one PostgreSQL each run is planned once.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QuerySelect, Set};
use talentpost_shared::{NurturingEntryState, NurturingRunState, WritingJobKind};

use crate::db::entities::{form_letter, nurturing_entry, nurturing_job, nurturing_run, writing_job};
use crate::error::{ServiceError, ServiceResult, is_unique_violation};
use crate::events::DomainEvent;
use crate::state::AppState;

use super::recipients::{job_filter, owner_principal, recipients};

/// Rows per insert statement (SQLite allows 32,766 bound values; an entry has 13).
const INSERT_CHUNK: usize = 1_000;
/// A run counts as a catch-up when it is dispatched this much after its time.
pub(super) const CATCH_UP_AFTER: Duration = Duration::minutes(5);

/// Plans the run of `job` at `dispatch_at`: inserts the run (the claim: one per job and
/// time), its entries and, for a run still ahead, their writing jobs, in one
/// transaction. `None` when another process planned it first.
pub async fn plan(
    state: &AppState,
    job: &nurturing_job::Model,
    dispatch_at: DateTime<Utc>,
) -> ServiceResult<Option<(nurturing_run::Model, u64)>> {
    let already = crate::db::tenancy::scoped::<nurturing_run::Entity>(job.organisation_id)
        .filter(nurturing_run::Column::JobId.eq(job.id))
        .filter(nurturing_run::Column::DispatchAt.eq(dispatch_at))
        .one(&state.db)
        .await?;
    if already.is_some() {
        return Ok(None);
    }
    let principal = owner_principal(&state.db, job).await?;
    let filter = job_filter(state, &principal, job).await?;
    let planned = recipients(state, job.organisation_id, &filter, dispatch_at).await?;
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let run = nurturing_run::ActiveModel {
        organisation_id: Set(job.organisation_id),
        job_id: Set(job.id),
        dispatch_at: Set(dispatch_at),
        catch_up: Set(now - dispatch_at > CATCH_UP_AFTER),
        state: Set(NurturingRunState::Planned),
        planned_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let run = match run {
        Ok(run) => run,
        Err(error) if is_unique_violation(&error) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    // The job as it is now, locked against a concurrent edit (PostgreSQL; on SQLite the
    // insert above already made this the only writer): a job changed or switched off
    // while its recipients were worked out is planned again, with its new settings.
    let current = crate::db::tenancy::scoped_by_id::<nurturing_job::Entity>(job.organisation_id, job.id)
        .lock_exclusive()
        .one(&txn)
        .await?;
    if current.is_none_or(|current| !current.enabled || current.updated_at != job.updated_at) {
        return Ok(None);
    }
    let count = planned.len() as u64;
    for chunk in planned.chunks(INSERT_CHUNK) {
        let rows = chunk.iter().map(|recipient| nurturing_entry::ActiveModel {
            organisation_id: Set(job.organisation_id),
            job_id: Set(job.id),
            run_id: Set(run.id),
            candidate_id: Set(recipient.candidate_id),
            application_id: Set(recipient.application_id),
            planned_for: Set(dispatch_at),
            state: Set(NurturingEntryState::Planned),
            reasons: Set(serde_json::to_string(&recipient.reasons).unwrap_or_else(|_| "[]".to_owned())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        nurturing_entry::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    if dispatch_at > now && count > 0 {
        // A run still ahead shows its recipients in the work centre, one writing job each.
        let letter = crate::db::tenancy::scoped_by_id::<form_letter::Entity>(job.organisation_id, job.form_letter_id)
            .one(&txn)
            .await?;
        let title = letter.map(|letter| letter.name).unwrap_or_else(|| job.name.clone());
        let entries = Query::select()
            .column(nurturing_entry::Column::OrganisationId)
            .expr(Expr::val(WritingJobKind::Nurturing.as_str()))
            .expr(Expr::val(title))
            .column(nurturing_entry::Column::CandidateId)
            .column(nurturing_entry::Column::ApplicationId)
            .expr(Expr::val(job.form_letter_id))
            .column(nurturing_entry::Column::JobId)
            .column(nurturing_entry::Column::Id)
            .column(nurturing_entry::Column::PlannedFor)
            .expr(Expr::val(now))
            .from(nurturing_entry::Entity)
            .and_where(Expr::col(nurturing_entry::Column::RunId).eq(run.id))
            .to_owned();
        let insert = Query::insert()
            .into_table(writing_job::Entity)
            .columns([
                writing_job::Column::OrganisationId,
                writing_job::Column::Kind,
                writing_job::Column::Title,
                writing_job::Column::CandidateId,
                writing_job::Column::ApplicationId,
                writing_job::Column::FormLetterId,
                writing_job::Column::NurturingJobId,
                writing_job::Column::NurturingEntryId,
                writing_job::Column::DueAt,
                writing_job::Column::CreatedAt,
            ])
            .select_from(entries)
            .map_err(|error| ServiceError::Internal(error.to_string()))?
            .to_owned();
        txn.execute(&insert).await?;
    }
    txn.commit().await?;
    state.events.publish(DomainEvent::NurturingChanged {
        organisation_id: job.organisation_id,
        job_id: Some(job.id),
    });
    Ok(Some((run, count)))
}
