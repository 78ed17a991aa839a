//! Users, their roles and legal-entity scope, and user groups.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use talentpost_shared::{EmailAddress, Role};

use crate::auth::Principal;
use crate::auth::password::{check_new_password, hash_password};
use crate::db::entities::{app_user, legal_entity, user_group, user_group_member, user_legal_entity};
use crate::error::{ServiceError, ServiceResult, is_unique_violation};
use crate::ids::{LegalEntityId, UserGroupId, UserId};
use crate::services::{org::audit, required_name, required_text};
use crate::state::AppState;

pub struct NewUser {
    pub email: EmailAddress,
    pub display_name: String,
    pub role: Role,
    pub password: String,
    pub legal_entity_ids: Vec<LegalEntityId>,
}

pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password: Option<String>,
    pub legal_entity_ids: Option<Vec<LegalEntityId>>,
}

pub async fn list(state: &AppState, principal: &Principal) -> ServiceResult<Vec<app_user::Model>> {
    principal.require_admin()?;
    Ok(
        crate::db::tenancy::scoped::<app_user::Entity>(principal.organisation_id)
            .order_by_asc(app_user::Column::DisplayName)
            .all(&state.db)
            .await?,
    )
}

/// The legal entities each of these users administers, for listing.
pub async fn administered_entities(state: &AppState, user_ids: &[i64]) -> ServiceResult<HashMap<i64, Vec<i64>>> {
    let rows = user_legal_entity::Entity::find()
        .filter(user_legal_entity::Column::UserId.is_in(user_ids.iter().copied()))
        .all(&state.db)
        .await?;
    let mut map: HashMap<i64, Vec<i64>> = HashMap::new();
    for row in rows {
        map.entry(row.user_id).or_default().push(row.legal_entity_id);
    }
    Ok(map)
}

pub async fn create(state: &AppState, principal: &Principal, input: NewUser) -> ServiceResult<app_user::Model> {
    principal.require_admin()?;
    let display_name = required_name("displayName", &input.display_name, 200)?;
    check_new_password("password", &input.password)?;
    let scope = checked_scope(&state.db, principal, input.role, &input.legal_entity_ids).await?;
    let password = input.password;
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ServiceError::Internal(format!("hashing task: {e}")))??;
    let txn = crate::db::begin_write(&state.db).await?;
    let now = Utc::now();
    let user = app_user::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        email: Set(input.email.to_string()),
        email_key: Set(input.email.match_key()),
        display_name: Set(display_name),
        password_hash: Set(password_hash),
        role: Set(input.role),
        active: Set(true),
        locale: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            ServiceError::conflict(
                "email",
                format!("a user with the e-mail address {} already exists", input.email),
            )
        } else {
            error.into()
        }
    })?;
    replace_scope(&txn, user.id, &scope).await?;
    audit::record(
        &txn,
        principal,
        "user.create",
        "user",
        Some(user.id),
        serde_json::json!({"email": user.email, "role": user.role.as_str(), "legalEntityIds": scope}),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: UserId,
    changes: UserChanges,
) -> ServiceResult<app_user::Model> {
    principal.require_admin()?;
    let txn = crate::db::begin_write(&state.db).await?;
    let existing = find(&txn, principal, id).await?;
    let current_role = existing.role;
    let new_role = changes.role.unwrap_or(current_role);
    let new_active = changes.active.unwrap_or(existing.active);
    if existing.role == Role::Admin && (new_role != Role::Admin || !new_active) {
        let other_admins = crate::db::tenancy::scoped::<app_user::Entity>(principal.organisation_id)
            .filter(app_user::Column::Role.eq(Role::Admin.as_str()))
            .filter(app_user::Column::Active.eq(true))
            .filter(app_user::Column::Id.ne(existing.id))
            .count(&txn)
            .await?;
        if other_admins == 0 {
            return Err(ServiceError::conflict(
                "role",
                "the last active administrator cannot be demoted or deactivated",
            ));
        }
    }
    let mut audit_details = serde_json::Map::new();
    let mut active: app_user::ActiveModel = existing.clone().into();
    if let Some(name) = changes.display_name.as_deref() {
        let name = required_name("displayName", name, 200)?;
        audit_details.insert("displayName".into(), name.clone().into());
        active.display_name = Set(name);
    }
    if let Some(role) = changes.role {
        audit_details.insert("role".into(), role.as_str().into());
        active.role = Set(role);
    }
    if let Some(flag) = changes.active {
        audit_details.insert("active".into(), flag.into());
        active.active = Set(flag);
    }
    let changes_password = changes.password.is_some();
    if let Some(password) = changes.password {
        check_new_password("password", &password)?;
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| ServiceError::Internal(format!("hashing task: {e}")))??;
        audit_details.insert("passwordChanged".into(), true.into());
        active.password_hash = Set(hash);
    }
    if changes.role.is_some() || changes.legal_entity_ids.is_some() {
        let requested = match &changes.legal_entity_ids {
            Some(ids) => ids.clone(),
            None => user_legal_entity::Entity::find()
                .filter(user_legal_entity::Column::UserId.eq(existing.id))
                .all(&txn)
                .await?
                .into_iter()
                .map(|row| LegalEntityId(row.legal_entity_id))
                .collect(),
        };
        let scope = checked_scope(&txn, principal, new_role, &requested).await?;
        replace_scope(&txn, existing.id, &scope).await?;
        audit_details.insert("legalEntityIds".into(), serde_json::json!(scope));
    }
    active.updated_at = Set(Utc::now());
    let updated = active.update(&txn).await?;
    if !updated.active || changes_password {
        // Deactivation and a new password take effect now, not when sessions expire.
        crate::db::entities::session::Entity::delete_many()
            .filter(crate::db::entities::session::Column::UserId.eq(updated.id))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        principal,
        "user.update",
        "user",
        Some(updated.id),
        audit_details.into(),
    )
    .await?;
    txn.commit().await?;
    crate::services::org::auth::access_changed(state, principal.organisation_id, Some(updated.id));
    Ok(updated)
}

pub async fn find(db: &impl ConnectionTrait, principal: &Principal, id: UserId) -> ServiceResult<app_user::Model> {
    crate::db::tenancy::scoped_by_id::<app_user::Entity>(principal.organisation_id, id.0)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(UserId::LABEL, id))
}

/// Company admins need at least one entity; other roles carry none.
async fn checked_scope(
    db: &impl ConnectionTrait,
    principal: &Principal,
    role: Role,
    requested: &[LegalEntityId],
) -> ServiceResult<Vec<i64>> {
    if role != Role::CompanyAdmin {
        return Ok(Vec::new());
    }
    if requested.is_empty() {
        return Err(ServiceError::invalid(
            "legalEntityIds",
            "a company admin needs at least one legal entity",
        ));
    }
    let mut ids: Vec<i64> = requested.iter().map(|id| id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let found = crate::db::tenancy::scoped::<legal_entity::Entity>(principal.organisation_id)
        .filter(legal_entity::Column::Id.is_in(ids.iter().copied()))
        .count(db)
        .await?;
    if found != ids.len() as u64 {
        return Err(ServiceError::invalid(
            "legalEntityIds",
            "contains a legal entity that does not exist",
        ));
    }
    Ok(ids)
}

async fn replace_scope(db: &impl ConnectionTrait, user_id: i64, entity_ids: &[i64]) -> ServiceResult<()> {
    user_legal_entity::Entity::delete_many()
        .filter(user_legal_entity::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if !entity_ids.is_empty() {
        user_legal_entity::Entity::insert_many(entity_ids.iter().map(|&legal_entity_id| {
            user_legal_entity::ActiveModel {
                user_id: Set(user_id),
                legal_entity_id: Set(legal_entity_id),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

pub async fn list_groups(state: &AppState, principal: &Principal) -> ServiceResult<Vec<user_group::Model>> {
    let mut query = crate::db::tenancy::scoped::<user_group::Entity>(principal.organisation_id)
        .order_by_asc(user_group::Column::Name);
    if !principal.is_admin() {
        query = query.filter(user_group::Column::Id.is_in(principal.group_ids.iter().copied()));
    }
    Ok(query.all(&state.db).await?)
}

pub async fn group_members(state: &AppState, group_ids: &[i64]) -> ServiceResult<HashMap<i64, Vec<app_user::Model>>> {
    let memberships = user_group_member::Entity::find()
        .filter(user_group_member::Column::UserGroupId.is_in(group_ids.iter().copied()))
        .all(&state.db)
        .await?;
    let users: HashMap<i64, app_user::Model> = crate::db::tenancy::any_organisation::<app_user::Entity>()
        .filter(app_user::Column::Id.is_in(memberships.iter().map(|m| m.user_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut map: HashMap<i64, Vec<app_user::Model>> = HashMap::new();
    for membership in memberships {
        if let Some(user) = users.get(&membership.user_id) {
            map.entry(membership.user_group_id).or_default().push(user.clone());
        }
    }
    Ok(map)
}

pub async fn create_group(state: &AppState, principal: &Principal, name: &str) -> ServiceResult<user_group::Model> {
    principal.require_admin()?;
    let name = required_text("name", name, 200)?;
    let txn = crate::db::begin_write(&state.db).await?;
    let group = user_group::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        name: Set(name.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            ServiceError::conflict("name", format!("a user group named \"{name}\" already exists"))
        } else {
            error.into()
        }
    })?;
    audit::record(
        &txn,
        principal,
        "user_group.create",
        "user_group",
        Some(group.id),
        serde_json::json!({"name": name}),
    )
    .await?;
    txn.commit().await?;
    Ok(group)
}

pub async fn find_group(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: UserGroupId,
) -> ServiceResult<user_group::Model> {
    crate::db::tenancy::scoped_by_id::<user_group::Entity>(principal.organisation_id, id.0)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(UserGroupId::LABEL, id))
}

pub async fn set_group_members(
    state: &AppState,
    principal: &Principal,
    group_id: UserGroupId,
    user_ids: &[UserId],
) -> ServiceResult<user_group::Model> {
    principal.require_admin()?;
    let txn = crate::db::begin_write(&state.db).await?;
    let group = find_group(&txn, principal, group_id).await?;
    let mut ids: Vec<i64> = user_ids.iter().map(|id| id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let known = crate::db::tenancy::scoped::<app_user::Entity>(principal.organisation_id)
        .filter(app_user::Column::Id.is_in(ids.iter().copied()))
        .count(&txn)
        .await?;
    if known != ids.len() as u64 {
        return Err(ServiceError::invalid("userIds", "contains a user that does not exist"));
    }
    user_group_member::Entity::delete_many()
        .filter(user_group_member::Column::UserGroupId.eq(group.id))
        .exec(&txn)
        .await?;
    if !ids.is_empty() {
        user_group_member::Entity::insert_many(ids.iter().map(|&user_id| user_group_member::ActiveModel {
            user_group_id: Set(group.id),
            user_id: Set(user_id),
        }))
        .exec(&txn)
        .await?;
    }
    audit::record(
        &txn,
        principal,
        "user_group.set_members",
        "user_group",
        Some(group.id),
        serde_json::json!({"userIds": ids}),
    )
    .await?;
    txn.commit().await?;
    // Former and new members alike see different inbox items now.
    crate::services::org::auth::access_changed(state, principal.organisation_id, None);
    Ok(group)
}
