//! The audit log: who changed what, when, and with which credential. Administrative
//! changes and recruiters' changes to records (inbox, candidates, applications,
//! openings, form letters, queries, nurturing) are recorded in the same transaction as
//! the change.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::auth::{Credential, Principal};
use crate::db::entities::{api_token, app_user, audit_log};
use crate::error::ServiceResult;
use crate::services::pagination::{Page, PageRequest};
use crate::state::AppState;

pub async fn record(
    db: &impl ConnectionTrait,
    principal: &Principal,
    action: &str,
    subject_type: &str,
    subject_id: Option<i64>,
    details: serde_json::Value,
) -> ServiceResult<()> {
    audit_log::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        actor_user_id: Set(Some(principal.user_id)),
        actor_api_token_id: Set(match principal.credential {
            Credential::ApiToken { token_id } => Some(token_id),
            Credential::Session => None,
        }),
        action: Set(action.to_owned()),
        subject_type: Set(subject_type.to_owned()),
        subject_id: Set(subject_id),
        details: Set(details.to_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Which entries to list; every part is optional.
#[derive(Default)]
pub struct AuditFilter {
    pub user_id: Option<i64>,
    /// The kind of record (`candidate`, `inbox_item`, …).
    pub kind: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// An entry with the names of who made it.
pub struct AuditView {
    pub entry: audit_log::Model,
    pub actor_name: Option<String>,
    pub api_token_name: Option<String>,
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: AuditFilter,
    page: &PageRequest,
) -> ServiceResult<Page<AuditView>> {
    principal.require_admin()?;
    let mut query = crate::db::tenancy::scoped::<audit_log::Entity>(principal.organisation_id)
        .order_by_desc(audit_log::Column::Id)
        .limit(page.fetch_limit());
    if let Some(after) = &page.after {
        query = query.filter(audit_log::Column::Id.lt(after.single()?));
    }
    if let Some(user_id) = filter.user_id {
        query = query.filter(audit_log::Column::ActorUserId.eq(user_id));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(audit_log::Column::SubjectType.eq(kind));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_log::Column::CreatedAt.lt(to));
    }
    let rows = query.all(&state.db).await?;
    // One read each for the page's users and tokens, not one per entry.
    let user_ids: Vec<i64> = rows.iter().filter_map(|row| row.actor_user_id).collect();
    let token_ids: Vec<i64> = rows.iter().filter_map(|row| row.actor_api_token_id).collect();
    let users: HashMap<i64, String> = crate::db::tenancy::scoped::<app_user::Entity>(principal.organisation_id)
        .filter(app_user::Column::Id.is_in(user_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|user| (user.id, user.display_name))
        .collect();
    let tokens: HashMap<i64, String> = if token_ids.is_empty() {
        HashMap::new()
    } else {
        api_token::Entity::find()
            .filter(api_token::Column::Id.is_in(token_ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect()
    };
    Ok(Page::from_rows(rows, page, |row| vec![row.id]).map(|entry| AuditView {
        actor_name: entry.actor_user_id.and_then(|id| users.get(&id).cloned()),
        api_token_name: entry.actor_api_token_id.and_then(|id| tokens.get(&id).cloned()),
        entry,
    }))
}
