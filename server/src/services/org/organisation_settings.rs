//! Settings that hold for the whole organisation.

use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use talentpost_shared::DataRetention;

use crate::auth::Principal;
use crate::db::entities::organisation;
use crate::error::{ServiceError, ServiceResult};
use crate::services::org::audit;
use crate::state::AppState;

pub async fn get(state: &AppState, principal: &Principal) -> ServiceResult<organisation::Model> {
    organisation::Entity::find_by_id(principal.organisation_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ServiceError::not_found("organisation", principal.organisation_id))
}

/// The retention rule stored for the organisation; an unknown value is read as the
/// default, which keeps less rather than more.
pub fn data_retention(organisation: &organisation::Model) -> DataRetention {
    organisation.data_retention
}

/// Administrators only; the change is audited.
pub async fn set_data_retention(
    state: &AppState,
    principal: &Principal,
    retention: DataRetention,
) -> ServiceResult<organisation::Model> {
    principal.require_admin()?;
    let existing = get(state, principal).await?;
    let before = data_retention(&existing);
    let mut active: organisation::ActiveModel = existing.into();
    active.data_retention = Set(retention);
    let updated = active.update(&state.db).await?;
    audit::record(
        &state.db,
        principal,
        "organisation.data_retention",
        "organisation",
        Some(updated.id),
        serde_json::json!({
            "from": before.as_str(),
            "to": retention.as_str(),
        }),
    )
    .await?;
    Ok(updated)
}

/// Whether mail written by nurturing jobs counts as contact for the last-contact
/// filters. Administrators only; audited.
pub async fn set_nurturing_counts_as_contact(
    state: &AppState,
    principal: &Principal,
    counts: bool,
) -> ServiceResult<organisation::Model> {
    principal.require_admin()?;
    let existing = get(state, principal).await?;
    let before = existing.nurturing_counts_as_contact;
    let mut active: organisation::ActiveModel = existing.into();
    active.nurturing_counts_as_contact = Set(counts);
    let updated = active.update(&state.db).await?;
    audit::record(
        &state.db,
        principal,
        "organisation.nurturing_counts_as_contact",
        "organisation",
        Some(updated.id),
        serde_json::json!({
            "from": before,
            "to": counts,
        }),
    )
    .await?;
    Ok(updated)
}
