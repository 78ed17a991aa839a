use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, sea_query::Expr,
};

use crate::auth::Principal;
use crate::db::entities::legal_entity;
use crate::error::{ServiceError, ServiceResult, is_unique_violation};
use crate::ids::LegalEntityId;
use crate::services::{org::audit, required_name};
use crate::state::AppState;

pub struct LegalEntityInput {
    pub name: Option<String>,
    pub is_main: Option<bool>,
}

pub async fn list(state: &AppState, principal: &Principal) -> ServiceResult<Vec<legal_entity::Model>> {
    let mut query = crate::db::tenancy::scoped::<legal_entity::Entity>(principal.organisation_id)
        .order_by_desc(legal_entity::Column::IsMain)
        .order_by_asc(legal_entity::Column::Name);
    if let Some(scope) = principal.entity_scope() {
        query = query.filter(legal_entity::Column::Id.is_in(scope.iter().copied()));
    }
    Ok(query.all(&state.db).await?)
}

/// Loads an entity of the caller's organisation; other organisations' ids are "not found".
pub async fn find_in_organisation(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: LegalEntityId,
) -> ServiceResult<legal_entity::Model> {
    crate::db::tenancy::scoped_by_id::<legal_entity::Entity>(principal.organisation_id, id.0)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(LegalEntityId::LABEL, id))
}

/// The organisation's legal entities among `ids`, by id.
pub async fn find_many_in_organisation(
    db: &impl ConnectionTrait,
    principal: &Principal,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, legal_entity::Model>> {
    Ok(
        crate::db::tenancy::scoped::<legal_entity::Entity>(principal.organisation_id)
            .filter(legal_entity::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|entity| (entity.id, entity))
            .collect(),
    )
}

pub async fn main_entity(db: &impl ConnectionTrait, organisation_id: i64) -> ServiceResult<legal_entity::Model> {
    crate::db::tenancy::scoped::<legal_entity::Entity>(organisation_id)
        .filter(legal_entity::Column::IsMain.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("organisation {organisation_id} has no main legal entity")))
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    input: LegalEntityInput,
) -> ServiceResult<legal_entity::Model> {
    principal.require_admin()?;
    let name = required_name("name", input.name.as_deref().unwrap_or_default(), 200)?;
    let is_main = input.is_main.unwrap_or(false);
    let txn = crate::db::begin_write(&state.db).await?;
    if is_main {
        clear_main(&txn, principal.organisation_id).await?;
    }
    let now = Utc::now();
    let created = legal_entity::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        name: Set(name.clone()),
        is_main: Set(is_main),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| name_conflict(e, &name))?;
    audit::record(
        &txn,
        principal,
        "legal_entity.create",
        "legal_entity",
        Some(created.id),
        serde_json::json!({"name": name, "isMain": is_main}),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: LegalEntityId,
    input: LegalEntityInput,
) -> ServiceResult<legal_entity::Model> {
    let txn = crate::db::begin_write(&state.db).await?;
    let existing = find_in_organisation(&txn, principal, id).await?;
    principal.require_administers(existing.id)?;
    let was_main = existing.is_main;
    let mut active: legal_entity::ActiveModel = existing.into();
    let mut changes = serde_json::Map::new();
    if let Some(name) = input.name.as_deref() {
        let name = required_name("name", name, 200)?;
        changes.insert("name".into(), name.clone().into());
        active.name = Set(name);
    }
    match input.is_main {
        Some(true) if !was_main => {
            // Which entity is the fallback sender for the whole organisation is an
            // organisation-wide decision.
            principal.require_admin()?;
            clear_main(&txn, principal.organisation_id).await?;
            active.is_main = Set(true);
            changes.insert("isMain".into(), true.into());
        }
        Some(false) if was_main => {
            return Err(ServiceError::conflict(
                "isMain",
                "there must always be one main legal entity: mark another entity as main instead",
            ));
        }
        _ => {}
    }
    active.updated_at = Set(Utc::now());
    let name_for_error = match &active.name {
        sea_orm::ActiveValue::Set(name) | sea_orm::ActiveValue::Unchanged(name) => name.clone(),
        sea_orm::ActiveValue::NotSet => String::new(),
    };
    let updated = active
        .update(&txn)
        .await
        .map_err(|e| name_conflict(e, &name_for_error))?;
    audit::record(
        &txn,
        principal,
        "legal_entity.update",
        "legal_entity",
        Some(updated.id),
        changes.into(),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

async fn clear_main(db: &impl ConnectionTrait, organisation_id: i64) -> ServiceResult<()> {
    legal_entity::Entity::update_many()
        .col_expr(legal_entity::Column::IsMain, Expr::value(false))
        .filter(legal_entity::Column::OrganisationId.eq(organisation_id))
        .filter(legal_entity::Column::IsMain.eq(true))
        .exec(db)
        .await?;
    Ok(())
}

fn name_conflict(error: sea_orm::DbErr, name: &str) -> ServiceError {
    if is_unique_violation(&error) {
        ServiceError::conflict("name", format!("a legal entity named \"{name}\" already exists"))
    } else {
        error.into()
    }
}
