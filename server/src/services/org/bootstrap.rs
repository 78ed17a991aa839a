//! First start: an organisation, its main legal entity and one administrator.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use talentpost_shared::{EmailAddress, Role};

use crate::auth::password::{check_new_password, hash_password};
use crate::crypto::random_token;
use crate::db::entities::{app_user, legal_entity, organisation};
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;

pub struct InitialAdmin {
    pub email: String,
    /// Set when Talentpost generated the password; it is shown once and never stored in clear.
    pub generated_password: Option<String>,
}

pub async fn ensure_initial_admin(state: &AppState) -> ServiceResult<Option<InitialAdmin>> {
    if organisation::Entity::find().count(&state.db).await? > 0 {
        return Ok(None);
    }
    let config = &state.config;
    let email = EmailAddress::parse(&config.admin_email)
        .map_err(|e| ServiceError::invalid("TALENTPOST_ADMIN_EMAIL", e.to_string()))?;
    let (password, generated) = match &config.admin_password {
        Some(password) => {
            check_new_password("TALENTPOST_ADMIN_PASSWORD", password)?;
            (password.clone(), false)
        }
        None => (random_token("").chars().take(20).collect::<String>(), true),
    };
    let password_for_hash = password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password_for_hash))
        .await
        .map_err(|e| ServiceError::Internal(format!("hashing task: {e}")))??;
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let org = organisation::ActiveModel {
        name: Set(config.organisation_name.clone()),
        data_retention: Set(talentpost_shared::DataRetention::Minimise),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    legal_entity::ActiveModel {
        organisation_id: Set(org.id),
        name: Set(config.organisation_name.clone()),
        is_main: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    app_user::ActiveModel {
        organisation_id: Set(org.id),
        email: Set(email.to_string()),
        email_key: Set(email.match_key()),
        display_name: Set("Administrator".to_owned()),
        password_hash: Set(hash),
        role: Set(Role::Admin),
        active: Set(true),
        locale: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Some(InitialAdmin {
        email: email.to_string(),
        generated_password: generated.then_some(password),
    }))
}
