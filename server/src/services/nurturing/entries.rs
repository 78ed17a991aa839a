//! A job's dispatch tab: every entry with its candidate, time, state and reasons; and
//! blocking entries, which removes their writing jobs.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use talentpost_shared::{MailProblem, NurturingEntryState, OutboxStatus};

use crate::auth::Principal;
use crate::db::entities::{candidate, nurturing_entry, outbox_message, writing_job};
use crate::error::{ServiceError, ServiceResult};
use crate::events::DomainEvent;
use crate::ids::{NurturingEntryId, NurturingJobId};
use crate::services::nurturing::jobs::{self, effective_state};
use crate::services::nurturing::recipients::{MatchReason, reasons_of};
use crate::services::pagination::{Page, PageRequest};
use crate::state::AppState;

#[derive(Default)]
pub struct EntryFilter {
    pub state: Option<NurturingEntryState>,
}

pub struct EntryView {
    pub entry: nurturing_entry::Model,
    pub state: NurturingEntryState,
    /// Why it was blocked or failed (for failed mail, the mail server's last word).
    pub problem: Option<String>,
    pub reasons: Vec<MatchReason>,
    pub candidate: Option<candidate::Model>,
}

const UNDELIVERED: [OutboxStatus; 4] = [
    OutboxStatus::Failed,
    OutboxStatus::Bounced,
    OutboxStatus::Cancelled,
    OutboxStatus::NotSent,
];

fn outbox_with(statuses: &[OutboxStatus]) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(outbox_message::Column::Id)
        .from(outbox_message::Entity)
        .and_where(Expr::col(outbox_message::Column::Status).is_in(statuses.iter().map(|s| s.as_str())))
        .to_owned()
}

/// The stored state plus, for mail that left, what the outbox says.
fn state_condition(state: NurturingEntryState) -> Condition {
    let queued = nurturing_entry::Column::State.eq(NurturingEntryState::Queued.as_str());
    match state {
        NurturingEntryState::Sent => Condition::all()
            .add(queued)
            .add(nurturing_entry::Column::OutboxMessageId.in_subquery(outbox_with(&[OutboxStatus::Sent]))),
        NurturingEntryState::Failed => Condition::any()
            .add(nurturing_entry::Column::State.eq(NurturingEntryState::Failed.as_str()))
            .add(
                Condition::all()
                    .add(queued)
                    .add(nurturing_entry::Column::OutboxMessageId.in_subquery(outbox_with(&UNDELIVERED))),
            ),
        NurturingEntryState::Queued => {
            let settled = [
                OutboxStatus::Sent,
                OutboxStatus::Failed,
                OutboxStatus::Bounced,
                OutboxStatus::Cancelled,
                OutboxStatus::NotSent,
            ];
            Condition::all()
                .add(queued)
                .add(nurturing_entry::Column::OutboxMessageId.not_in_subquery(outbox_with(&settled)))
        }
        other => Condition::all().add(nurturing_entry::Column::State.eq(other.as_str())),
    }
}

/// Entries of a job, the latest dispatch first, with their total.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    job_id: NurturingJobId,
    filter: EntryFilter,
    page: &PageRequest,
) -> ServiceResult<(Page<EntryView>, u64)> {
    let job = jobs::find(&state.db, principal, job_id).await?;
    let mut query = crate::db::tenancy::scoped::<nurturing_entry::Entity>(principal.organisation_id)
        .filter(nurturing_entry::Column::JobId.eq(job.id));
    if let Some(wanted) = filter.state {
        query = query.filter(state_condition(wanted));
    }
    let total = query.clone().count(&state.db).await?;
    // Newest run first, then in planning order; the cursor is the row's position key.
    let mut paged = query
        .order_by_desc(nurturing_entry::Column::RunId)
        .order_by_asc(nurturing_entry::Column::Id)
        .limit(page.fetch_limit());
    if let Some(after) = &page.after {
        let [run, id] = after.0.as_slice() else {
            return Err(ServiceError::invalid(
                "after",
                "the cursor does not belong to this list",
            ));
        };
        paged = paged.filter(
            Condition::any().add(nurturing_entry::Column::RunId.lt(*run)).add(
                Condition::all()
                    .add(nurturing_entry::Column::RunId.eq(*run))
                    .add(nurturing_entry::Column::Id.gt(*id)),
            ),
        );
    }
    let rows = paged.all(&state.db).await?;
    let page = Page::from_rows(rows, page, |row| vec![row.run_id, row.id]);
    let views = views(state, page.items.iter().map(|(_, entry)| entry.clone()).collect()).await?;
    let mut by_id: HashMap<i64, EntryView> = views.into_iter().map(|view| (view.entry.id, view)).collect();
    let page = Page {
        has_next_page: page.has_next_page,
        items: page
            .items
            .into_iter()
            .filter_map(|(cursor, entry)| by_id.remove(&entry.id).map(|view| (cursor, view)))
            .collect(),
    };
    Ok((page, total))
}

pub async fn views(state: &AppState, entries: Vec<nurturing_entry::Model>) -> ServiceResult<Vec<EntryView>> {
    let candidate_ids: Vec<i64> = entries.iter().map(|entry| entry.candidate_id).collect();
    let outbox_ids: Vec<i64> = entries.iter().filter_map(|entry| entry.outbox_message_id).collect();
    let candidates: HashMap<i64, candidate::Model> = crate::db::tenancy::any_organisation::<candidate::Entity>()
        .filter(candidate::Column::Id.is_in(candidate_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let outbox: HashMap<i64, (OutboxStatus, Option<MailProblem>)> =
        crate::db::tenancy::any_organisation::<outbox_message::Entity>()
            .select_only()
            .columns([
                outbox_message::Column::Id,
                outbox_message::Column::Status,
                outbox_message::Column::LastProblem,
            ])
            .filter(outbox_message::Column::Id.is_in(outbox_ids))
            .into_tuple::<(i64, OutboxStatus, Option<MailProblem>)>()
            .all(&state.db)
            .await?
            .into_iter()
            .map(|(id, status, problem)| (id, (status, problem)))
            .collect();
    Ok(entries
        .into_iter()
        .map(|entry| {
            let mail = entry.outbox_message_id.and_then(|id| outbox.get(&id));
            let state = effective_state(entry.state, mail.map(|(status, _)| *status));
            let problem = match (state, mail) {
                (NurturingEntryState::Failed, Some((_, Some(problem)))) => Some(problem.as_str().to_owned()),
                _ => entry.problem.clone(),
            };
            EntryView {
                reasons: reasons_of(&entry),
                candidate: candidates.get(&entry.candidate_id).cloned(),
                state,
                problem,
                entry,
            }
        })
        .collect())
}

/// Blocks planned entries (and removes their writing jobs). An entry already written
/// cannot be blocked; the error names it and nothing changes.
pub async fn block(state: &AppState, principal: &Principal, ids: &[NurturingEntryId]) -> ServiceResult<Vec<EntryView>> {
    let entries = crate::db::tenancy::scoped::<nurturing_entry::Entity>(principal.organisation_id)
        .filter(nurturing_entry::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(&state.db)
        .await?;
    for id in ids {
        let Some(entry) = entries.iter().find(|entry| entry.id == id.0) else {
            return Err(ServiceError::not_found(NurturingEntryId::LABEL, id));
        };
        if entry.state != NurturingEntryState::Planned && entry.state != NurturingEntryState::Blocked {
            return Err(ServiceError::conflict(
                "ids",
                format!("entry {id} was already written and cannot be blocked"),
            ));
        }
    }
    let txn = crate::db::begin_write(&state.db).await?;
    block_in(
        &txn,
        principal,
        ids.iter().map(|id| id.0).collect(),
        "blocked by a recruiter",
    )
    .await?;
    txn.commit().await?;
    publish(state, principal, &entries);
    let reread = crate::db::tenancy::scoped::<nurturing_entry::Entity>(principal.organisation_id)
        .filter(nurturing_entry::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(&state.db)
        .await?;
    views(state, reread).await
}

/// Inside a transaction: planned entries become blocked by the caller, and their
/// writing jobs go. Entries no longer planned are left as they are.
pub async fn block_in(
    txn: &sea_orm::DatabaseTransaction,
    principal: &Principal,
    entry_ids: Vec<i64>,
    why: &str,
) -> ServiceResult<u64> {
    let now = chrono::Utc::now();
    let blocked = nurturing_entry::Entity::update_many()
        .col_expr(
            nurturing_entry::Column::State,
            Expr::value(NurturingEntryState::Blocked.as_str()),
        )
        .col_expr(nurturing_entry::Column::Problem, Expr::value(why))
        .col_expr(nurturing_entry::Column::BlockedByUserId, Expr::value(principal.user_id))
        .col_expr(nurturing_entry::Column::DoneAt, Expr::value(now))
        .col_expr(nurturing_entry::Column::UpdatedAt, Expr::value(now))
        .filter(nurturing_entry::Column::Id.is_in(entry_ids.iter().copied()))
        .filter(nurturing_entry::Column::OrganisationId.eq(principal.organisation_id))
        .filter(nurturing_entry::Column::State.eq(NurturingEntryState::Planned.as_str()))
        .exec(txn)
        .await?;
    writing_job::Entity::delete_many()
        .filter(writing_job::Column::NurturingEntryId.is_in(entry_ids))
        .exec(txn)
        .await?;
    Ok(blocked.rows_affected)
}

fn publish(state: &AppState, principal: &Principal, entries: &[nurturing_entry::Model]) {
    let mut jobs: Vec<i64> = entries.iter().map(|entry| entry.job_id).collect();
    jobs.sort_unstable();
    jobs.dedup();
    for job_id in jobs {
        state.events.publish(DomainEvent::NurturingChanged {
            organisation_id: principal.organisation_id,
            job_id: Some(job_id),
        });
    }
}
