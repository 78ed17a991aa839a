//! Mail handed to Talentpost directly rather than fetched: the forwarding intake
//! (an MTA pipe or the HTTP endpoint) and raw mail posted through the API.

use sea_orm::{EntityTrait, QueryOrder};
use talentpost_shared::MailSource;

use super::ingest::{self, IncomingMail, Ingested};
use crate::auth::Principal;
use crate::db::entities::organisation;
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;

/// Mail this many times larger than the parse limit is refused outright: the sender
/// gets an error (and the MTA a bounce) instead of the server holding it in memory.
pub const HARD_LIMIT_FACTOR: usize = 4;

pub fn hard_limit(state: &AppState) -> usize {
    state.config.max_mail_bytes.saturating_mul(HARD_LIMIT_FACTOR)
}

/// A raw mail from an authenticated caller (the HTTP intake). Administrators only:
/// the MTA uses an administrator's API token.
pub async fn submit(
    state: &AppState,
    principal: &Principal,
    raw: Vec<u8>,
    source: MailSource,
) -> ServiceResult<Ingested> {
    principal.require_admin()?;
    check_size(state, &raw)?;
    ingest::ingest(
        state,
        IncomingMail {
            organisation_id: principal.organisation_id,
            raw,
            source,
            account: None,
            received_at: None,
        },
    )
    .await
}

/// A raw mail from the local MTA pipe (`talentpost ingest-mail`), for this
/// installation's organisation.
pub async fn submit_from_pipe(state: &AppState, raw: Vec<u8>) -> ServiceResult<Ingested> {
    check_size(state, &raw)?;
    let organisation = organisation::Entity::find()
        .order_by_asc(organisation::Column::Id)
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            ServiceError::Internal("the database has no organisation yet; start the server once".to_owned())
        })?;
    ingest::ingest(
        state,
        IncomingMail {
            organisation_id: organisation.id,
            raw,
            source: MailSource::Forwarded,
            account: None,
            received_at: None,
        },
    )
    .await
}

fn check_size(state: &AppState, raw: &[u8]) -> ServiceResult<()> {
    if raw.is_empty() {
        return Err(ServiceError::invalid("message", "the message is empty"));
    }
    if raw.len() > hard_limit(state) {
        return Err(ServiceError::PayloadTooLarge {
            field: "message".to_owned(),
            limit: hard_limit(state),
        });
    }
    Ok(())
}
