//! The writing-job work centre: letters someone has to write, manual ones ("send the
//! invitation") and those a nurturing job plans ahead of its dispatch. Deleting the
//! writing job of a nurturing entry blocks the entry, so it is not sent.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use talentpost_shared::WritingJobKind;

use crate::auth::Principal;
use crate::db::entities::{application, candidate, writing_job};
use crate::error::{ServiceError, ServiceResult};
use crate::events::DomainEvent;
use crate::ids::{ApplicationId, CandidateId, FormLetterId, NurturingJobId, WritingJobId};
use crate::services::nurturing::entries;
use crate::services::pagination::{Page, PageRequest};
use crate::services::{candidates, mail_out::form_letters, optional_text};
use crate::state::AppState;

#[derive(Default)]
pub struct WritingJobFilter {
    pub kind: Option<WritingJobKind>,
    pub nurturing_job_id: Option<NurturingJobId>,
    pub candidate_id: Option<CandidateId>,
    /// Only those due by then.
    pub due_by: Option<DateTime<Utc>>,
}

pub struct NewWritingJob {
    pub kind: WritingJobKind,
    pub candidate_id: CandidateId,
    pub application_id: Option<ApplicationId>,
    pub form_letter_id: Option<FormLetterId>,
    pub title: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

pub struct WritingJobView {
    pub job: writing_job::Model,
    pub candidate: Option<candidate::Model>,
}

fn condition(principal: &Principal, filter: &WritingJobFilter) -> Condition {
    let mut all = Condition::all().add(writing_job::Column::OrganisationId.eq(principal.organisation_id));
    if let Some(kind) = filter.kind {
        all = all.add(writing_job::Column::Kind.eq(kind.as_str()));
    }
    if let Some(job) = filter.nurturing_job_id {
        all = all.add(writing_job::Column::NurturingJobId.eq(job.0));
    }
    if let Some(candidate) = filter.candidate_id {
        all = all.add(writing_job::Column::CandidateId.eq(candidate.0));
    }
    if let Some(due_by) = filter.due_by {
        all = all.add(writing_job::Column::DueAt.lte(due_by));
    }
    all
}

/// Due first; the cursor is (due time in microseconds, id).
pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: WritingJobFilter,
    page: &PageRequest,
) -> ServiceResult<(Page<WritingJobView>, u64)> {
    let condition = condition(principal, &filter);
    let total = crate::db::tenancy::scoped::<writing_job::Entity>(principal.organisation_id)
        .filter(condition.clone())
        .count(&state.db)
        .await?;
    let mut query = crate::db::tenancy::scoped::<writing_job::Entity>(principal.organisation_id)
        .filter(condition)
        .order_by_asc(writing_job::Column::DueAt)
        .order_by_asc(writing_job::Column::Id)
        .limit(page.fetch_limit());
    if let Some(after) = &page.after {
        let [due, id] = after.0.as_slice() else {
            return Err(ServiceError::invalid(
                "after",
                "the cursor does not belong to this list",
            ));
        };
        let due = DateTime::<Utc>::from_timestamp_micros(*due)
            .ok_or_else(|| ServiceError::invalid("after", "not a valid cursor"))?;
        query = query.filter(
            Condition::any().add(writing_job::Column::DueAt.gt(due)).add(
                Condition::all()
                    .add(writing_job::Column::DueAt.eq(due))
                    .add(writing_job::Column::Id.gt(*id)),
            ),
        );
    }
    let rows = query.all(&state.db).await?;
    let page = Page::from_rows(rows, page, |row| vec![row.due_at.timestamp_micros(), row.id]);
    let ids: Vec<i64> = page.items.iter().map(|(_, job)| job.candidate_id).collect();
    let people: HashMap<i64, candidate::Model> =
        crate::db::tenancy::scoped::<candidate::Entity>(principal.organisation_id)
            .filter(candidate::Column::Id.is_in(ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
    Ok((
        page.map(|job| WritingJobView {
            candidate: people.get(&job.candidate_id).cloned(),
            job,
        }),
        total,
    ))
}

/// Writing jobs due by `at`, for the dashboard.
pub async fn due_count(db: &impl ConnectionTrait, principal: &Principal, at: DateTime<Utc>) -> ServiceResult<u64> {
    let filter = WritingJobFilter {
        due_by: Some(at),
        ..Default::default()
    };
    Ok(
        crate::db::tenancy::scoped::<writing_job::Entity>(principal.organisation_id)
            .filter(condition(principal, &filter))
            .count(db)
            .await?,
    )
}

pub async fn create(state: &AppState, principal: &Principal, input: NewWritingJob) -> ServiceResult<WritingJobView> {
    if input.kind == WritingJobKind::Nurturing {
        return Err(ServiceError::invalid(
            "kind",
            "nurturing writing jobs are planned by nurturing jobs",
        ));
    }
    let candidate = candidates::find(&state.db, principal, input.candidate_id)
        .await
        .map_err(|_| ServiceError::invalid("candidateId", "no such candidate"))?;
    if let Some(application) = input.application_id {
        application::Entity::find_by_id(application.0)
            .filter(application::Column::CandidateId.eq(candidate.id))
            .one(&state.db)
            .await?
            .ok_or_else(|| ServiceError::invalid("applicationId", "no such application of this candidate"))?;
    }
    let letter = match input.form_letter_id {
        Some(id) => Some(
            form_letters::find(&state.db, principal, id)
                .await
                .map_err(|_| ServiceError::invalid("formLetterId", "no such form letter"))?,
        ),
        None => None,
    };
    let title = match optional_text("title", input.title.as_deref(), 200)? {
        Some(title) => title,
        None => letter.as_ref().map(|letter| letter.name.clone()).unwrap_or_default(),
    };
    let now = Utc::now();
    let created = writing_job::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        kind: Set(input.kind),
        title: Set(title),
        candidate_id: Set(candidate.id),
        application_id: Set(input.application_id.map(|id| id.0)),
        form_letter_id: Set(letter.map(|letter| letter.id)),
        due_at: Set(input.due_at.unwrap_or(now)),
        note: Set(optional_text("note", input.note.as_deref(), 4_000)?),
        created_by_user_id: Set(Some(principal.user_id)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    state.events.publish(DomainEvent::NurturingChanged {
        organisation_id: principal.organisation_id,
        job_id: None,
    });
    Ok(WritingJobView {
        job: created,
        candidate: Some(candidate),
    })
}

/// Deletes writing jobs; for those of nurturing entries the entry is blocked. Ids of
/// other organisations or already gone are named in the error and nothing changes.
pub async fn delete(state: &AppState, principal: &Principal, ids: &[WritingJobId]) -> ServiceResult<u64> {
    let found = crate::db::tenancy::scoped::<writing_job::Entity>(principal.organisation_id)
        .filter(writing_job::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(&state.db)
        .await?;
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|job| job.id == id.0)) {
        return Err(ServiceError::not_found(WritingJobId::LABEL, missing));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    // Entries first, in the order dispatch takes its locks (entry, then writing job).
    let entry_ids: Vec<i64> = found.iter().filter_map(|job| job.nurturing_entry_id).collect();
    if !entry_ids.is_empty() {
        let wanted = entry_ids.len() as u64;
        if entries::block_in(&txn, principal, entry_ids, "writing job deleted in the work centre").await? < wanted {
            return Err(ServiceError::conflict(
                "ids",
                "a nurturing entry of these writing jobs was written meanwhile",
            ));
        }
    }
    // The entries' writing jobs went with the block; the manual ones go here.
    writing_job::Entity::delete_many()
        .filter(writing_job::Column::Id.is_in(found.iter().map(|job| job.id)))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    let mut jobs: Vec<Option<i64>> = found.iter().map(|job| job.nurturing_job_id).collect();
    jobs.sort_unstable();
    jobs.dedup();
    for job_id in jobs {
        state.events.publish(DomainEvent::NurturingChanged {
            organisation_id: principal.organisation_id,
            job_id,
        });
    }
    Ok(found.len() as u64)
}
