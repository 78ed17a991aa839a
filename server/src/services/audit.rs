//! The audit log of administrative changes: who changed what, when.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::auth::Principal;
use crate::db::entities::audit_log;
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

pub async fn list(state: &AppState, principal: &Principal, page: &PageRequest) -> ServiceResult<Page<audit_log::Model>> {
    principal.require_admin()?;
    let mut query = audit_log::Entity::find()
        .filter(audit_log::Column::OrganisationId.eq(principal.organisation_id))
        .order_by_desc(audit_log::Column::Id)
        .limit(page.fetch_limit());
    if let Some(after) = &page.after {
        query = query.filter(audit_log::Column::Id.lt(after.single()?));
    }
    let rows = query.all(&state.db).await?;
    Ok(Page::from_rows(rows, page, |row| vec![row.id]))
}
