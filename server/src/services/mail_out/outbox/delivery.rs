//! The worker's side of the outbox: take back lost claims, fail what is too old, claim
//! what is due, attempt it, and record the outcomes; every status change goes through
//! `transitions` and `store`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use lettre::address::Envelope;
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use talentpost_shared::{MailProblem, OutboxChannel, OutboxStatus};

use super::transitions::{self, CLAIMABLE, Outcome};
use super::{builtin_channel, facts_of, retry_policy, store};
use crate::db::entities::{outbound_account, outbox_message};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::OutboxMessageId;
use crate::mail::smtp::{Delivered, Deliverer, SmtpFailure, SmtpSettings};
use crate::services::accounts::outbound_accounts;
use crate::state::AppState;

fn claimable() -> [&'static str; 2] {
    CLAIMABLE.map(OutboxStatus::as_str)
}

/// Mails whose worker vanished mid-send (crash, kill) go back to the queue once the
/// lease is over. The attempt may have reached the server; it is counted as interrupted.
pub async fn release_expired_claims(state: &AppState) -> ServiceResult<u64> {
    let lease_seconds = i64::try_from(state.config.outbox_lease_seconds)
        .unwrap_or(300)
        .clamp(1, 24 * 3600);
    let lease = Duration::try_seconds(lease_seconds).unwrap_or(Duration::minutes(5));
    let now = Utc::now();
    let lost = crate::db::tenancy::any_organisation::<outbox_message::Entity>()
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Sending.as_str()))
        .filter(outbox_message::Column::ClaimedAt.lt(now - lease))
        .all(&state.db)
        .await?;
    let changes = lost
        .into_iter()
        .filter_map(|message| {
            let transition = transitions::on_lease_expired(message.status, now).ok()?;
            Some((message, transition))
        })
        .collect();
    Ok(store::apply_all(state, changes, now).await?.len() as u64)
}

/// Mails still waiting past their maximum age fail for good (e.g. after the worker
/// was off for days), with the last reason kept.
pub async fn fail_expired(state: &AppState) -> ServiceResult<u64> {
    let now = Utc::now();
    let policy = retry_policy(state);
    let expired = crate::db::tenancy::any_organisation::<outbox_message::Entity>()
        .filter(outbox_message::Column::Status.is_in(claimable()))
        .filter(outbox_message::Column::ExpiresAt.lt(now))
        .all(&state.db)
        .await?;
    let changes = expired
        .into_iter()
        .filter_map(|message| {
            let transition =
                transitions::on_expired(facts_of(&message), message.last_reply.as_deref(), now, &policy).ok()?;
            Some((message, transition))
        })
        .collect();
    Ok(store::apply_all(state, changes, now).await?.len() as u64)
}

/// Claims up to `limit` due mails (or the one given) for this attempt: status
/// `sending`, attempt counted, committed before anything is sent. A mail another
/// worker claimed meanwhile no longer matches and stays theirs.
pub async fn claim(state: &AppState, only: Option<i64>, limit: u64) -> ServiceResult<Vec<outbox_message::Model>> {
    let now = Utc::now();
    let mut due = crate::db::tenancy::any_organisation::<outbox_message::Entity>()
        .filter(outbox_message::Column::Status.is_in(claimable()))
        .order_by_asc(outbox_message::Column::NextAttemptAt)
        .order_by_asc(outbox_message::Column::Id)
        .limit(limit);
    due = match only {
        Some(id) => due.filter(outbox_message::Column::Id.eq(id)),
        None => due.filter(outbox_message::Column::NextAttemptAt.lte(now)),
    };
    let changes = due
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|message| {
            let transition = transitions::on_claim(message.status).ok()?;
            Some((message, transition))
        })
        .collect();
    store::apply_all(state, changes, now).await
}

/// How one claimed mail goes out right now.
fn deliverer_for(
    state: &AppState,
    message: &outbox_message::Model,
    account: Option<(&outbound_account::Model, SmtpSettings)>,
) -> Result<(std::sync::Arc<Deliverer>, OutboxChannel), SmtpFailure> {
    let through_account = Some(message.channel) == Some(OutboxChannel::Account);
    match (message.outbound_account_id, account) {
        (None, _) if through_account => Err(SmtpFailure::new(
            MailProblem::Protocol,
            "the outgoing account this mail was to go through was deleted; write the mail again",
        )),
        (Some(_), Some((account, settings))) => {
            // A new OAuth token means new sessions; the pooled ones signed in with the old.
            let version = (
                account.updated_at,
                settings
                    .credentials
                    .as_ref()
                    .filter(|_| settings.xoauth2)
                    .map(|(_, token)| token.clone()),
            );
            let deliverer = state.transports.for_account(account.id, version, || {
                Ok(Deliverer::smtp(settings, state.mail_tls.clone()))
            })?;
            Ok((deliverer, OutboxChannel::Account))
        }
        (Some(_), None) => Err(SmtpFailure::new(
            MailProblem::Protocol,
            "the outgoing account of this mail was deleted",
        )),
        (None, _) => {
            let channel = builtin_channel(state);
            let deliverer = state.transports.builtin(|| match &state.config.smtp_relay_host {
                Some(host) => Ok(Deliverer::smtp(
                    SmtpSettings {
                        host: host.clone(),
                        port: state.config.smtp_relay_port,
                        security: state.config.smtp_relay_security,
                        accept_invalid_certs: state.config.smtp_relay_accept_invalid_certs,
                        credentials: state
                            .config
                            .smtp_relay_username
                            .clone()
                            .zip(state.config.smtp_relay_password.clone()),
                        xoauth2: false,
                    },
                    state.mail_tls.clone(),
                )),
                None => Deliverer::drop_folder(&state.config.drop_folder()),
            })?;
            Ok((deliverer, channel))
        }
    }
}

/// A claimed mail after its attempt, before the outcome is written.
pub struct Attempted {
    message: outbox_message::Model,
    outcome: Result<(Delivered, OutboxChannel), SmtpFailure>,
}

/// The outgoing accounts the claimed mails go through, loaded once per round.
pub async fn accounts_for(
    state: &AppState,
    messages: &[outbox_message::Model],
) -> ServiceResult<HashMap<i64, outbound_account::Model>> {
    let mut ids: Vec<i64> = messages
        .iter()
        .filter_map(|message| message.outbound_account_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(crate::db::tenancy::any_organisation::<outbound_account::Entity>()
        .filter(outbound_account::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|account| (account.id, account))
        .collect())
}

/// The longest one attempt may take: well under the claim's lease, so no other worker
/// takes a mail over while its attempt may still succeed.
pub fn attempt_limit(state: &AppState) -> std::time::Duration {
    let lease = std::time::Duration::from_secs(Ord::max(state.config.outbox_lease_seconds, 2));
    Ord::min(std::time::Duration::from_secs(150), lease / 2)
}

/// Talks to the server for one claimed mail; writes nothing.
pub async fn deliver(
    state: &AppState,
    message: outbox_message::Model,
    account: Option<&outbound_account::Model>,
) -> Attempted {
    let limit = attempt_limit(state);
    let mut oauth_token = None;
    let sending = async {
        let account = match account {
            Some(account) => {
                let settings = outbound_accounts::settings_of(state, account).await?;
                if settings.xoauth2 {
                    oauth_token = settings.credentials.as_ref().map(|(_, token)| token.clone());
                }
                Some((account, settings))
            }
            None => None,
        };
        let (deliverer, channel) = deliverer_for(state, &message, account)?;
        let envelope = envelope_of(&message)?;
        deliverer
            .deliver(&envelope, &message.raw_message)
            .await
            .map(|delivered| (delivered, channel))
    };
    let outcome = match tokio::time::timeout(limit, sending).await {
        // The server refused an OAuth token we took for valid (revoked early): the next
        // attempt refreshes it, so this is worth retrying.
        Ok(Err(mut failure)) if failure.problem == MailProblem::Login && oauth_token.is_some() => {
            if let (Some(connection), Some(token)) = (account.and_then(|a| a.oauth_account_id), &oauth_token)
                && let Err(error) =
                    crate::services::accounts::oauth::tokens::discard_access_token(state, connection, token).await
            {
                tracing::warn!(%error, "cannot discard a refused OAuth token");
            }
            failure.transient = true;
            Err(failure)
        }
        Ok(outcome) => outcome,
        Err(_) => Err(SmtpFailure {
            transient: true,
            ..SmtpFailure::new(
                MailProblem::Connect,
                format!("the attempt did not finish within {} seconds", limit.as_secs()),
            )
        }),
    };
    Attempted { message, outcome }
}

/// One attempt for a claimed mail, and its outcome recorded.
pub async fn attempt(state: &AppState, message: outbox_message::Model) -> ServiceResult<outbox_message::Model> {
    let accounts = accounts_for(state, std::slice::from_ref(&message)).await?;
    let account = message.outbound_account_id.and_then(|id| accounts.get(&id));
    let id = message.id;
    let attempted = deliver(state, message, account).await;
    record_outcomes(state, vec![attempted]).await?;
    crate::db::tenancy::any_organisation_by_id::<outbox_message::Entity>(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ServiceError::not_found(OutboxMessageId::LABEL, id))
}

fn envelope_of(message: &outbox_message::Model) -> Result<Envelope, SmtpFailure> {
    let from = message
        .from_address
        .parse()
        .map_err(|_| SmtpFailure::new(MailProblem::SenderRefused, "the sender address is invalid"))?;
    let to = message
        .to_address
        .parse()
        .map_err(|_| SmtpFailure::new(MailProblem::RecipientRefused, "the recipient address is invalid"))?;
    Envelope::new(Some(from), vec![to]).map_err(|error| SmtpFailure::new(MailProblem::Protocol, error.to_string()))
}

/// Writes the outcomes of a round in one transaction (one commit, not one per mail)
/// and returns the mails as they now are. Only the claim holder writes: a claim taken
/// over meanwhile (lease expired) wins.
pub async fn record_outcomes(state: &AppState, attempted: Vec<Attempted>) -> ServiceResult<Vec<outbox_message::Model>> {
    let now = Utc::now();
    let policy = retry_policy(state);
    let changes = attempted
        .into_iter()
        .filter_map(|Attempted { message, outcome }| {
            state.metrics.send_attempted(match &outcome {
                Ok((_, OutboxChannel::DropFolder)) => "not_sent",
                Ok(_) => "delivered",
                Err(failure) if failure.transient => "retrying",
                Err(_) => "failed",
            });
            let outcome = match outcome {
                Ok((delivered, channel)) => Outcome::Delivered(delivered, channel),
                Err(failure) => Outcome::Failed(failure),
            };
            let transition = transitions::on_attempt(facts_of(&message), outcome, now, &policy).ok()?;
            Some((message, transition))
        })
        .collect();
    store::apply_all(state, changes, now).await
}

/// Sends one mail at once (test mails): claimed and recorded exactly like the worker
/// does, so it cannot go out twice. If the worker claimed it first, waits for the
/// outcome of its attempt instead.
pub async fn send_now(state: &AppState, id: i64) -> ServiceResult<outbox_message::Model> {
    // Subscribe before claiming, so the worker's result cannot slip by unseen.
    let mut changes = state.events.subscribe();
    if let Some(message) = claim(state, Some(id), 1).await?.pop() {
        // Its own task: a caller that goes away does not cut the attempt off midway.
        let state = state.clone();
        return tokio::spawn(async move { attempt(&state, message).await })
            .await
            .map_err(|error| ServiceError::Internal(format!("sending outbox message {id}: {error}")))?;
    }
    let deadline = tokio::time::Instant::now() + crate::mail::smtp::SMTP_TIMEOUT * 5;
    loop {
        let current = crate::db::tenancy::any_organisation_by_id::<outbox_message::Entity>(id)
            .one(&state.db)
            .await?
            .ok_or_else(|| ServiceError::not_found(OutboxMessageId::LABEL, id))?;
        if !matches!(current.status, OutboxStatus::Queued | OutboxStatus::Sending) {
            return Ok(current);
        }
        match tokio::time::timeout_at(deadline, changes.recv()).await {
            Err(_) => return Ok(current),
            Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => return Ok(current),
            // Any change (or a lag) is reason enough to read the mail again.
            Ok(_) => {}
        }
    }
}

/// When the next waiting mail is due, so the worker can sleep until then.
pub async fn next_due(state: &AppState) -> ServiceResult<Option<DateTime<Utc>>> {
    let next = crate::db::tenancy::any_organisation::<outbox_message::Entity>()
        .select_only()
        .column(outbox_message::Column::NextAttemptAt)
        .filter(outbox_message::Column::Status.is_in([OutboxStatus::Queued.as_str(), OutboxStatus::Retrying.as_str()]))
        .order_by_asc(outbox_message::Column::NextAttemptAt)
        .limit(1)
        .into_tuple::<DateTime<Utc>>()
        .one(&state.db)
        .await?;
    Ok(next)
}
