//! The one writer of outbox status changes, and their one announcer. A change is
//! written only if the row is still as it was read (same status, same claim): whoever
//! changed it first wins, and the other side learns it from `None`.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TryIntoModel};

use super::transitions::Transition;
use crate::crypto::random_token;
use crate::db::entities::outbox_message;
use crate::error::ServiceResult;
use crate::events::{DomainEvent, EventBus};
use crate::state::AppState;

/// Writes one transition on `db` (the caller's transaction or the pool); the caller
/// announces the returned row once it is committed.
pub async fn apply(
    db: &impl ConnectionTrait,
    message: &outbox_message::Model,
    transition: &Transition,
    now: DateTime<Utc>,
) -> ServiceResult<Option<outbox_message::Model>> {
    let mut row: outbox_message::ActiveModel = message.clone().into();
    row.status = Set(transition.status());
    row.updated_at = Set(now);
    match transition {
        Transition::Claim => {
            row.claim_token = Set(Some(random_token("claim")));
            row.claimed_at = Set(Some(now));
            row.last_attempt_at = Set(Some(now));
            row.attempts = Set(message.attempts.saturating_add(1));
        }
        Transition::Sent { reply, channel } => {
            row.claim_token = Set(None);
            row.channel = Set(*channel);
            row.sent_at = Set(Some(now));
            row.last_reply = Set(Some(reply.clone()));
            row.last_problem = Set(None);
            row.last_reply_code = Set(None);
        }
        Transition::NotSent { reply, channel } => {
            row.claim_token = Set(None);
            row.channel = Set(*channel);
            row.last_reply = Set(Some(reply.clone()));
            row.last_problem = Set(None);
            row.last_reply_code = Set(None);
        }
        Transition::Retry {
            at,
            problem,
            reply_code,
            reply,
            interrupted,
        } => {
            row.claim_token = Set(None);
            row.next_attempt_at = Set(*at);
            row.last_problem = Set(Some(*problem));
            row.last_reply_code = Set(reply_code.map(i32::from));
            row.last_reply = Set(Some(reply.clone()));
            if *interrupted {
                row.interrupted_attempts = Set(message.interrupted_attempts.saturating_add(1));
            }
        }
        Transition::Fail { problem, reply } => {
            row.claim_token = Set(None);
            row.failed_at = Set(Some(now));
            row.last_reply = Set(Some(reply.clone()));
            if let Some((problem, reply_code)) = problem {
                row.last_problem = Set(Some(*problem));
                row.last_reply_code = Set(reply_code.map(i32::from));
            }
        }
        Transition::Requeue { expires_at } => {
            row.next_attempt_at = Set(now);
            row.expires_at = Set(*expires_at);
            row.failed_at = Set(None);
        }
        Transition::Cancel => {}
        Transition::Bounce { reply } => {
            row.bounced_at = Set(Some(now));
            row.last_reply = Set(Some(reply.clone()));
        }
    }
    let updated = outbox_message::Entity::update_many()
        .set(row.clone())
        .filter(outbox_message::Column::Id.eq(message.id))
        .filter(outbox_message::Column::Status.eq(message.status))
        .filter(match &message.claim_token {
            Some(token) => outbox_message::Column::ClaimToken.eq(token.clone()),
            None => outbox_message::Column::ClaimToken.is_null(),
        })
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(None);
    }
    Ok(Some(row.try_into_model()?))
}

/// Writes several transitions in one commit (one per mail, not one per change) and
/// announces those that took effect.
pub async fn apply_all(
    state: &AppState,
    changes: Vec<(outbox_message::Model, Transition)>,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<outbox_message::Model>> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let mut written = Vec::with_capacity(changes.len());
    for (message, transition) in &changes {
        if let Some(row) = apply(&txn, message, transition, now).await? {
            written.push(row);
        }
    }
    txn.commit().await?;
    for row in &written {
        announce(&state.events, row);
    }
    Ok(written)
}

/// Writes one transition on its own and announces it if it took effect.
pub async fn apply_one(
    state: &AppState,
    message: &outbox_message::Model,
    transition: &Transition,
) -> ServiceResult<Option<outbox_message::Model>> {
    let written = apply(&state.db, message, transition, chrono::Utc::now()).await?;
    if let Some(row) = &written {
        announce(&state.events, row);
    }
    Ok(written)
}

/// Tells the subscribers (and through them the outbox worker, here or in another
/// process) what a mail now is; call after the change committed.
pub fn announce(events: &EventBus, message: &outbox_message::Model) {
    events.publish(DomainEvent::OutboxChanged {
        organisation_id: message.organisation_id,
        message_id: message.id,
        status: message.status,
    });
    if let Some(candidate_id) = message.candidate_id {
        events.publish(DomainEvent::ContactHistoryChanged {
            organisation_id: message.organisation_id,
            candidate_id,
        });
    }
}
