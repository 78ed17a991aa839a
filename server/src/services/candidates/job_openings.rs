use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde_json::json;
use talentpost_shared::JobOpeningStatus;

use crate::auth::Principal;
use crate::db::entities::{job_opening, legal_entity};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{JobOpeningId, LegalEntityId};
use crate::services::pagination::{Page, PageRequest};
use crate::services::{optional_text, org::audit, org::legal_entities, required_text};
use crate::state::AppState;

#[derive(Default)]
pub struct JobOpeningFilter {
    pub status: Option<JobOpeningStatus>,
    pub legal_entity_id: Option<LegalEntityId>,
}

pub struct JobOpeningInput {
    pub legal_entity_id: Option<LegalEntityId>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub status: Option<JobOpeningStatus>,
}

/// Ids of the legal entities whose openings the caller may see.
async fn visible_entity_ids(db: &impl ConnectionTrait, principal: &Principal) -> ServiceResult<Vec<i64>> {
    let all: Vec<i64> = crate::db::tenancy::scoped::<legal_entity::Entity>(principal.organisation_id)
        .select_only()
        .column(legal_entity::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(match principal.entity_scope() {
        Some(scope) => all.into_iter().filter(|id| scope.contains(id)).collect(),
        None => all,
    })
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: JobOpeningFilter,
    page: &PageRequest,
) -> ServiceResult<Page<job_opening::Model>> {
    let entity_ids = visible_entity_ids(&state.db, principal).await?;
    let mut query = job_opening::Entity::find()
        .filter(job_opening::Column::LegalEntityId.is_in(entity_ids))
        .order_by_desc(job_opening::Column::Id)
        .limit(page.fetch_limit());
    if let Some(status) = filter.status {
        query = query.filter(job_opening::Column::Status.eq(status.as_str()));
    }
    if let Some(entity) = filter.legal_entity_id {
        query = query.filter(job_opening::Column::LegalEntityId.eq(entity.0));
    }
    if let Some(after) = &page.after {
        query = query.filter(job_opening::Column::Id.lt(after.single()?));
    }
    let rows = query.all(&state.db).await?;
    Ok(Page::from_rows(rows, page, |row| vec![row.id]))
}

pub async fn find(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: JobOpeningId,
) -> ServiceResult<job_opening::Model> {
    let entity_ids = visible_entity_ids(db, principal).await?;
    job_opening::Entity::find_by_id(id.0)
        .filter(job_opening::Column::LegalEntityId.is_in(entity_ids))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(JobOpeningId::LABEL, id))
}

/// The openings among `ids` the caller may see, by id.
pub async fn find_many(
    db: &impl ConnectionTrait,
    principal: &Principal,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, job_opening::Model>> {
    let entity_ids = visible_entity_ids(db, principal).await?;
    Ok(job_opening::Entity::find()
        .filter(job_opening::Column::Id.is_in(ids.iter().copied()))
        .filter(job_opening::Column::LegalEntityId.is_in(entity_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|opening| (opening.id, opening))
        .collect())
}

/// Open openings of an organisation, as a public career-page form offers them.
pub async fn open_in_organisation(
    db: &impl ConnectionTrait,
    organisation_id: i64,
) -> ServiceResult<Vec<job_opening::Model>> {
    let entities = crate::db::tenancy::scoped::<legal_entity::Entity>(organisation_id)
        .select_only()
        .column(legal_entity::Column::Id)
        .into_query();
    Ok(job_opening::Entity::find()
        .filter(job_opening::Column::LegalEntityId.in_subquery(entities))
        .filter(job_opening::Column::Status.eq(JobOpeningStatus::Open.as_str()))
        .order_by_asc(job_opening::Column::Title)
        .all(db)
        .await?)
}

async fn checked_entity(state: &AppState, principal: &Principal, id: LegalEntityId) -> ServiceResult<i64> {
    let entity = legal_entities::find_in_organisation(&state.db, principal, id)
        .await
        .map_err(|_| ServiceError::invalid("legalEntityId", "no such legal entity"))?;
    if !principal.may_recruit_for(entity.id) {
        return Err(ServiceError::Forbidden("you do not work for this legal entity"));
    }
    Ok(entity.id)
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    input: JobOpeningInput,
) -> ServiceResult<job_opening::Model> {
    let entity_id = match input.legal_entity_id {
        Some(id) => checked_entity(state, principal, id).await?,
        None => {
            return Err(ServiceError::invalid(
                "legalEntityId",
                "choose the legal entity the opening belongs to",
            ));
        }
    };
    let title = required_text("title", input.title.as_deref().unwrap_or_default(), 200)?;
    let location = optional_text("location", input.location.as_deref(), 200)?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let created = job_opening::ActiveModel {
        legal_entity_id: Set(entity_id),
        title: Set(title),
        location: Set(location),
        status: Set(input.status.unwrap_or(JobOpeningStatus::Open)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        principal,
        "job_opening.create",
        "job_opening",
        Some(created.id),
        json!({ "title": created.title }),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: JobOpeningId,
    input: JobOpeningInput,
) -> ServiceResult<job_opening::Model> {
    let existing = find(&state.db, principal, id).await?;
    if !principal.may_recruit_for(existing.legal_entity_id) {
        return Err(ServiceError::Forbidden("you do not work for this legal entity"));
    }
    let mut active: job_opening::ActiveModel = existing.into();
    if let Some(entity) = input.legal_entity_id {
        active.legal_entity_id = Set(checked_entity(state, principal, entity).await?);
    }
    if let Some(title) = input.title.as_deref() {
        active.title = Set(required_text("title", title, 200)?);
    }
    if input.location.is_some() {
        active.location = Set(optional_text("location", input.location.as_deref(), 200)?);
    }
    if let Some(status) = input.status {
        active.status = Set(status);
    }
    active.updated_at = Set(Utc::now());
    let txn = crate::db::begin_write(&state.db).await?;
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        principal,
        "job_opening.update",
        "job_opening",
        Some(updated.id),
        json!({ "title": updated.title, "location": updated.location, "status": updated.status.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
