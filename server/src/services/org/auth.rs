//! Sessions for the app, API tokens for integrators, and turning either into a [`Principal`].

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use talentpost_shared::EmailAddress;

use crate::auth::password::{dummy_hash, verify_password};
use crate::auth::{Credential, Principal};
use crate::crypto::{random_token, token_hash};
use crate::db::entities::{api_token, app_user, session, user_group_member, user_legal_entity};
use crate::error::{ServiceError, ServiceResult};
use crate::services::org::audit;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "tp_session";
const API_TOKEN_PREFIX: &str = "tpat_";

pub struct LoginOutcome {
    pub session_token: String,
    pub max_age_seconds: i64,
    pub user: app_user::Model,
}

pub async fn login(state: &AppState, email: &str, password: &str) -> ServiceResult<LoginOutcome> {
    let email_key = EmailAddress::parse(email).map(|e| e.match_key()).ok();
    let throttle_key = email_key.clone().unwrap_or_else(|| email.trim().to_lowercase());
    state.login_throttle.begin_attempt(&throttle_key)?;
    let user = match &email_key {
        Some(key) => {
            crate::db::tenancy::any_organisation::<app_user::Entity>()
                .filter(app_user::Column::EmailKey.eq(key.as_str()))
                .one(&state.db)
                .await?
        }
        None => None,
    };
    let hash = user
        .as_ref()
        .map_or(dummy_hash(), |u| u.password_hash.as_str())
        .to_owned();
    let password = password.to_owned();
    // Argon2 takes tens of milliseconds of CPU: keep it off the async worker threads.
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ServiceError::Internal(format!("password check task: {e}")))?;
    let user = match user {
        Some(user) if verified && user.active => user,
        _ => return Err(ServiceError::InvalidCredentials),
    };
    state.login_throttle.record_success(&throttle_key);
    let session_token = random_token("");
    let max_age_seconds = state.config.session_hours * 3600;
    let now = Utc::now();
    session::ActiveModel {
        token_hash: Set(token_hash(&session_token)),
        user_id: Set(user.id),
        created_at: Set(now),
        expires_at: Set(now + Duration::seconds(max_age_seconds)),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(LoginOutcome {
        session_token,
        max_age_seconds,
        user,
    })
}

pub async fn logout(state: &AppState, principal: Option<&Principal>, session_token: &str) -> ServiceResult<()> {
    session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(token_hash(session_token)))
        .exec(&state.db)
        .await?;
    if let Some(principal) = principal {
        access_changed(state, principal.organisation_id, Some(principal.user_id));
    }
    Ok(())
}

pub fn access_changed(state: &AppState, organisation_id: i64, user_id: Option<i64>) {
    state.events.publish(crate::events::DomainEvent::AccessChanged {
        organisation_id,
        user_id,
    });
}

pub async fn principal_from_session(state: &AppState, session_token: &str) -> ServiceResult<Option<Principal>> {
    let Some(found) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash(session_token)))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    if found.expires_at <= Utc::now() {
        session::Entity::delete_by_id(found.id).exec(&state.db).await?;
        return Ok(None);
    }
    load_principal(&state.db, found.user_id, Credential::Session).await
}

pub async fn principal_from_api_token(state: &AppState, token: &str) -> ServiceResult<Option<Principal>> {
    let Some(found) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let token_id = found.id;
    let user_id = found.user_id;
    let mut active: api_token::ActiveModel = found.into();
    active.last_used_at = Set(Some(Utc::now()));
    active.update(&state.db).await?;
    load_principal(&state.db, user_id, Credential::ApiToken { token_id }).await
}

/// Resolves whatever the client sent: a session cookie value or an `Authorization` header.
pub async fn authenticate(
    state: &AppState,
    session_token: Option<&str>,
    authorization: Option<&str>,
) -> ServiceResult<Option<Principal>> {
    if let Some(header) = authorization {
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .ok_or(ServiceError::Unauthenticated)?;
        return match principal_from_api_token(state, token).await? {
            Some(principal) => Ok(Some(principal)),
            // A wrong token is an error, not anonymity: scripts should fail loudly.
            None => Err(ServiceError::Unauthenticated),
        };
    }
    match session_token {
        Some(token) => principal_from_session(state, token).await,
        None => Ok(None),
    }
}

pub async fn load_principal(
    db: &impl ConnectionTrait,
    user_id: i64,
    credential: Credential,
) -> ServiceResult<Option<Principal>> {
    let Some(user) = crate::db::tenancy::any_organisation_by_id::<app_user::Entity>(user_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if !user.active {
        return Ok(None);
    }
    let role = user.role;
    let administered_entities = user_legal_entity::Entity::find()
        .filter(user_legal_entity::Column::UserId.eq(user.id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.legal_entity_id)
        .collect();
    let group_ids = user_group_member::Entity::find()
        .filter(user_group_member::Column::UserId.eq(user.id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.user_group_id)
        .collect();
    Ok(Some(Principal {
        user_id: user.id,
        organisation_id: user.organisation_id,
        role,
        administered_entities,
        group_ids,
        credential,
    }))
}

pub async fn current_user(state: &AppState, principal: &Principal) -> ServiceResult<app_user::Model> {
    crate::db::tenancy::any_organisation_by_id::<app_user::Entity>(principal.user_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::Unauthenticated)
}

pub struct CreatedApiToken {
    pub token: String,
    pub record: api_token::Model,
}

pub async fn create_api_token(state: &AppState, principal: &Principal, name: &str) -> ServiceResult<CreatedApiToken> {
    if matches!(principal.credential, Credential::ApiToken { .. }) {
        // A leaked token must not be able to mint more tokens that outlive its revocation.
        return Err(ServiceError::Forbidden(
            "API tokens can only be created from a signed-in session",
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::invalid(
            "name",
            "give the token a name of 1 to 100 characters",
        ));
    }
    let token = random_token(API_TOKEN_PREFIX);
    let record = api_token::ActiveModel {
        user_id: Set(principal.user_id),
        name: Set(name.to_owned()),
        token_hash: Set(token_hash(&token)),
        token_prefix: Set(token.chars().take(API_TOKEN_PREFIX.len() + 6).collect()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    audit::record(
        &state.db,
        principal,
        "api_token.create",
        "api_token",
        Some(record.id),
        serde_json::json!({"name": name}),
    )
    .await?;
    Ok(CreatedApiToken { token, record })
}

pub async fn list_api_tokens(state: &AppState, principal: &Principal) -> ServiceResult<Vec<api_token::Model>> {
    let mut query = api_token::Entity::find().order_by_desc(api_token::Column::Id);
    if !principal.is_admin() {
        query = query.filter(api_token::Column::UserId.eq(principal.user_id));
    } else {
        let users = crate::db::tenancy::scoped::<app_user::Entity>(principal.organisation_id)
            .all(&state.db)
            .await?
            .into_iter()
            .map(|u| u.id);
        query = query.filter(api_token::Column::UserId.is_in(users));
    }
    Ok(query.all(&state.db).await?)
}

pub async fn revoke_api_token(
    state: &AppState,
    principal: &Principal,
    token_id: i64,
) -> ServiceResult<api_token::Model> {
    let token = list_api_tokens(state, principal)
        .await?
        .into_iter()
        .find(|t| t.id == token_id)
        .ok_or_else(|| ServiceError::not_found("API token", token_id))?;
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let mut active: api_token::ActiveModel = token.into();
    active.revoked_at = Set(Some(Utc::now()));
    let token = active.update(&state.db).await?;
    access_changed(state, principal.organisation_id, Some(token.user_id));
    audit::record(
        &state.db,
        principal,
        "api_token.revoke",
        "api_token",
        Some(token.id),
        serde_json::json!({"name": token.name}),
    )
    .await?;
    Ok(token)
}
