//! Keeping a connection's access token alive: refreshed shortly before it expires,
//! one refresh at a time per connection (in this process by a lock, across processes
//! by a claim on the row), a rotated refresh token stored in the same statement as the
//! access token, and a refused grant turned into "reauthorisation needed" with the
//! legal entity's admins told, once. Nothing here touches other connections.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};
use talentpost_shared::{InboundStatus, MailProblem, OauthAccountState};

use crate::db::entities::{inbound_account, oauth_account};
use crate::error::ServiceError;
use crate::events::DomainEvent;
use crate::mail::oauth::{self, IssuedTokens, OauthError};
use crate::services::accounts::oauth::clients;
use crate::state::AppState;

/// Consecutive failed refreshes (provider down, client misconfigured) after which a
/// person is asked to look, as for a refused grant.
pub const MAX_FAILED_REFRESHES: i32 = 5;
/// …and when no refresh has succeeded for this long.
const GIVE_UP_AFTER: Duration = Duration::hours(6);
/// How long a refresh claimed by one process keeps others waiting for its result; well
/// over the token request's own 30-second limit.
const REFRESH_CLAIM: StdDuration = StdDuration::from_secs(90);

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "the {provider} sign-in of {mailbox} must be renewed ({reason}); an administrator reconnects it in Talentpost"
    )]
    ReauthorizationNeeded {
        provider: &'static str,
        mailbox: String,
        reason: String,
    },
    #[error("the {provider} token of {mailbox} could not be refreshed ({reason}); Talentpost tries again")]
    Unavailable {
        provider: &'static str,
        mailbox: String,
        reason: String,
    },
    #[error("the Google or Microsoft connection of this account was removed; connect it again")]
    NotConnected,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<sea_orm::DbErr> for TokenError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Service(ServiceError::from(error))
    }
}

impl TokenError {
    /// Whether a person has to act (reconnect) before the account works again.
    pub fn needs_person(&self) -> bool {
        matches!(self, Self::ReauthorizationNeeded { .. } | Self::NotConnected)
    }
}

/// A usable access token and the mailbox it signs in as.
#[derive(Clone)]
pub struct AccessToken {
    pub mailbox: String,
    pub token: String,
    /// When to stop using it: its expiry less the refresh margin.
    pub expires_at: Option<DateTime<Utc>>,
}

/// What the accounts' status and the admins' notice say about a lapsed grant.
pub fn lapse_message(account: &oauth_account::Model, reason: &str) -> String {
    format!(
        "the {} sign-in of {} must be renewed ({reason}); an administrator reconnects it under Settings",
        provider_label(account),
        account.mailbox_address
    )
}

fn provider_label(account: &oauth_account::Model) -> &'static str {
    clients::label(account.provider)
}

/// Refreshes this long before expiry: a minute, or a quarter of a short lifetime.
fn refresh_margin(issued_at: Option<DateTime<Utc>>, expires_at: DateTime<Utc>) -> Duration {
    let lifetime = issued_at
        .map(|issued| expires_at - issued)
        .unwrap_or(Duration::hours(1));
    Ord::min(Duration::seconds(60), lifetime / 4)
}

fn fresh_enough(account: &oauth_account::Model, now: DateTime<Utc>) -> bool {
    match (account.access_token_secret.as_ref(), account.access_expires_at) {
        (Some(_), Some(expires_at)) => expires_at - refresh_margin(account.access_issued_at, expires_at) > now,
        // A provider that gives no lifetime: trust the token until a server refuses it.
        (Some(_), None) => true,
        _ => false,
    }
}

async fn load(state: &AppState, id: i64) -> Result<oauth_account::Model, TokenError> {
    crate::db::tenancy::any_organisation_by_id::<oauth_account::Entity>(id)
        .one(&state.db)
        .await?
        .ok_or(TokenError::NotConnected)
}

fn usable_token(state: &AppState, account: &oauth_account::Model) -> Result<AccessToken, TokenError> {
    let sealed = account.access_token_secret.as_deref().unwrap_or_default();
    let token = state
        .secrets
        .decrypt(sealed)
        .map_err(|_| TokenError::ReauthorizationNeeded {
            provider: provider_label(account),
            mailbox: account.mailbox_address.clone(),
            reason: "the stored token cannot be read with this server's key".to_owned(),
        })?;
    let expires_at = account
        .access_expires_at
        .map(|at| at - refresh_margin(account.access_issued_at, at));
    Ok(AccessToken {
        mailbox: account.mailbox_address.clone(),
        token,
        expires_at,
    })
}

/// After failed refreshes, the wait before the provider is asked again (5 s doubling
/// up to 10 minutes), so that many users of a connection during an outage do not
/// hammer the provider or use up the failures that call for a person.
fn refresh_backoff(failures: i32) -> Duration {
    let exponent = u32::try_from(failures.clamp(1, 8) - 1).unwrap_or(0);
    Ord::min(Duration::seconds(5 * 2i64.pow(exponent)), Duration::minutes(10))
}

/// The access token to sign in with, refreshed first if it is about to expire.
pub async fn access_token(state: &AppState, oauth_account_id: i64) -> Result<AccessToken, TokenError> {
    let lock = state.oauth_refresh.lock_for(oauth_account_id);
    let _refreshing = lock.lock().await;
    let deadline = tokio::time::Instant::now() + REFRESH_CLAIM;
    loop {
        let account = load(state, oauth_account_id).await?;
        match Some(account.state) {
            Some(OauthAccountState::Connected) => {}
            Some(OauthAccountState::ReauthorizationNeeded) => {
                return Err(TokenError::ReauthorizationNeeded {
                    provider: provider_label(&account),
                    mailbox: account.mailbox_address.clone(),
                    reason: account
                        .problem
                        .clone()
                        .unwrap_or_else(|| "the provider refused the stored sign-in".to_owned()),
                });
            }
            _ => return Err(TokenError::NotConnected),
        }
        let now = Utc::now();
        if fresh_enough(&account, now) {
            return usable_token(state, &account);
        }
        if account.failed_refreshes > 0 && account.updated_at + refresh_backoff(account.failed_refreshes) > now {
            return Err(TokenError::Unavailable {
                provider: provider_label(&account),
                mailbox: account.mailbox_address.clone(),
                reason: account
                    .problem
                    .clone()
                    .unwrap_or_else(|| "the last refresh failed".to_owned()),
            });
        }
        // Claim, re-read, refresh and store in a task of its own: a caller that is
        // cancelled (a timeout, a restarted worker) must neither leave the claim behind
        // nor drop a refresh whose rotated token is not stored yet.
        let task_state = state.clone();
        let outcome = tokio::spawn(async move { claim_and_refresh(&task_state, oauth_account_id, now).await })
            .await
            .map_err(|error| {
                TokenError::Service(ServiceError::Internal(format!(
                    "the token refresh task failed: {error}"
                )))
            })?;
        if let Some(token) = outcome? {
            return Ok(token);
        }
        // Another process refreshes this connection right now: its result lands in the
        // row, so wait for the claim to end and read it.
        if tokio::time::Instant::now() >= deadline {
            return Err(TokenError::Unavailable {
                provider: provider_label(&account),
                mailbox: account.mailbox_address,
                reason: "another server process did not finish refreshing in time".to_owned(),
            });
        }
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
}

/// Marks the token as spent after a mail server refused it, so the next use refreshes
/// (a provider may revoke tokens before their stated expiry). Only if it is still the
/// stored one: a token refreshed meanwhile stays.
pub async fn discard_access_token(
    state: &AppState,
    oauth_account_id: i64,
    refused_token: &str,
) -> Result<(), TokenError> {
    let account = load(state, oauth_account_id).await?;
    let Some(sealed) = &account.access_token_secret else {
        return Ok(());
    };
    if state.secrets.decrypt(sealed).ok().as_deref() != Some(refused_token) {
        return Ok(());
    }
    oauth_account::Entity::update_many()
        .col_expr(
            oauth_account::Column::AccessExpiresAt,
            Expr::value(Some(Utc::now() - Duration::seconds(1))),
        )
        .filter(oauth_account::Column::Id.eq(oauth_account_id))
        .filter(oauth_account::Column::AccessTokenSecret.eq(sealed.clone()))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// `None` when another process holds the claim.
async fn claim_and_refresh(
    state: &AppState,
    oauth_account_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<AccessToken>, TokenError> {
    let Some(claim) = claim_refresh(state, oauth_account_id, now).await? else {
        return Ok(None);
    };
    // Re-read under the claim: another process may have stored a new (rotated) token
    // between the caller's read and the claim.
    let claimed = match load(state, oauth_account_id).await {
        Ok(claimed) => claimed,
        Err(error) => {
            release_claim(state, oauth_account_id, claim).await?;
            return Err(error);
        }
    };
    if fresh_enough(&claimed, Utc::now()) {
        release_claim(state, claimed.id, claim).await?;
        return usable_token(state, &claimed).map(Some);
    }
    refresh_claimed(state, claimed, claim).await.map(Some)
}

/// Claims the refresh; the claim's expiry (to the microsecond) is also its mark, which
/// every write of the refresh checks, so a refresh that lost its claim writes nothing.
async fn claim_refresh(state: &AppState, id: i64, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, TokenError> {
    let until = now + Duration::from_std(REFRESH_CLAIM).unwrap_or(Duration::seconds(45));
    let claimed = oauth_account::Entity::update_many()
        .col_expr(oauth_account::Column::RefreshingUntil, Expr::value(Some(until)))
        .filter(oauth_account::Column::Id.eq(id))
        .filter(oauth_account::Column::State.eq(OauthAccountState::Connected.as_str()))
        .filter(
            Condition::any()
                .add(oauth_account::Column::RefreshingUntil.is_null())
                .add(oauth_account::Column::RefreshingUntil.lt(now)),
        )
        .exec(&state.db)
        .await?;
    Ok((claimed.rows_affected == 1).then_some(until))
}

async fn release_claim(state: &AppState, id: i64, claim: DateTime<Utc>) -> Result<(), TokenError> {
    oauth_account::Entity::update_many()
        .col_expr(
            oauth_account::Column::RefreshingUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(oauth_account::Column::Id.eq(id))
        .filter(oauth_account::Column::RefreshingUntil.eq(claim))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Only the holder of the claim on a still connected row writes.
fn holding(claim: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(oauth_account::Column::RefreshingUntil.eq(claim))
        .add(oauth_account::Column::State.eq(OauthAccountState::Connected.as_str()))
}

async fn refresh_claimed(
    state: &AppState,
    account: oauth_account::Model,
    claim: DateTime<Utc>,
) -> Result<AccessToken, TokenError> {
    let provider = provider_label(&account);
    let refresh_token = match account
        .refresh_token_secret
        .as_deref()
        .map(|sealed| state.secrets.decrypt(sealed))
    {
        Some(Ok(token)) => token,
        Some(Err(_)) | None => {
            let reason = "no usable refresh token is stored".to_owned();
            mark_reauthorization_needed(state, &account, &reason, Some(claim)).await?;
            return Err(TokenError::ReauthorizationNeeded {
                provider,
                mailbox: account.mailbox_address,
                reason,
            });
        }
    };
    let outcome = match Some(account.provider) {
        Some(kind) => match clients::settings_for(state, account.organisation_id, kind).await {
            Ok(settings) => match oauth::http_client() {
                Ok(http) => oauth::refresh(&http, &settings, &refresh_token).await,
                Err(error) => Err(error),
            },
            Err(error) => Err(OauthError::Configuration(error.public_message())),
        },
        None => Err(OauthError::Configuration("unknown provider".to_owned())),
    };
    match outcome {
        Ok(issued) => store_refreshed(state, &account, &issued, claim).await,
        Err(OauthError::InvalidGrant(reason)) => {
            mark_reauthorization_needed(state, &account, &reason, Some(claim)).await?;
            Err(TokenError::ReauthorizationNeeded {
                provider,
                mailbox: account.mailbox_address,
                reason,
            })
        }
        Err(error) => {
            let reason = error.to_string();
            let failures = account.failed_refreshes + 1;
            // A person is asked only when it has lasted: several failures, spaced by the
            // back-off, and no success for hours. A short outage passes by itself.
            let failing_since = account.last_refreshed_at.unwrap_or(account.connected_at);
            if failures >= MAX_FAILED_REFRESHES && Utc::now() - failing_since > GIVE_UP_AFTER {
                let reason = format!("{failures} refreshes in a row failed, the last: {reason}");
                mark_reauthorization_needed(state, &account, &reason, Some(claim)).await?;
                return Err(TokenError::ReauthorizationNeeded {
                    provider,
                    mailbox: account.mailbox_address,
                    reason,
                });
            }
            oauth_account::Entity::update_many()
                .col_expr(oauth_account::Column::FailedRefreshes, Expr::value(failures))
                .col_expr(oauth_account::Column::Problem, Expr::value(Some(reason.clone())))
                .col_expr(
                    oauth_account::Column::RefreshingUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(oauth_account::Column::UpdatedAt, Expr::value(Utc::now()))
                .filter(oauth_account::Column::Id.eq(account.id))
                .filter(holding(claim))
                .exec(&state.db)
                .await?;
            tracing::warn!(oauth_account_id = account.id, %reason, "OAuth token refresh failed");
            Err(TokenError::Unavailable {
                provider,
                mailbox: account.mailbox_address,
                reason,
            })
        }
    }
}

/// Access token, its times and a rotated refresh token in one statement: a crash
/// between them would leave a refresh token the provider has already retired.
async fn store_refreshed(
    state: &AppState,
    account: &oauth_account::Model,
    issued: &IssuedTokens,
    claim: DateTime<Utc>,
) -> Result<AccessToken, TokenError> {
    let now = Utc::now();
    let expires_at = issued
        .expires_in
        .and_then(|lifetime| Duration::from_std(lifetime).ok())
        .map(|lifetime| now + lifetime);
    let mut update = oauth_account::Entity::update_many()
        .col_expr(
            oauth_account::Column::AccessTokenSecret,
            Expr::value(Some(state.secrets.encrypt(&issued.access_token))),
        )
        .col_expr(oauth_account::Column::AccessIssuedAt, Expr::value(Some(now)))
        .col_expr(oauth_account::Column::AccessExpiresAt, Expr::value(expires_at))
        .col_expr(oauth_account::Column::FailedRefreshes, Expr::value(0))
        .col_expr(oauth_account::Column::Problem, Expr::value(Option::<String>::None))
        .col_expr(
            oauth_account::Column::RefreshingUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(oauth_account::Column::LastRefreshedAt, Expr::value(Some(now)))
        .col_expr(oauth_account::Column::UpdatedAt, Expr::value(now));
    if let Some(rotated) = &issued.refresh_token {
        update = update.col_expr(
            oauth_account::Column::RefreshTokenSecret,
            Expr::value(Some(state.secrets.encrypt(rotated))),
        );
    }
    let stored = update
        .filter(oauth_account::Column::Id.eq(account.id))
        .filter(holding(claim))
        .exec(&state.db)
        .await?;
    if stored.rows_affected == 0 {
        // Disconnected or reconnected meanwhile (or the claim lapsed): what is stored
        // now wins, and the caller gets that.
        let now_stored = load(state, account.id).await?;
        if Some(now_stored.state) == Some(OauthAccountState::Connected) && fresh_enough(&now_stored, Utc::now()) {
            return usable_token(state, &now_stored);
        }
        return Err(TokenError::Unavailable {
            provider: provider_label(account),
            mailbox: account.mailbox_address.clone(),
            reason: "the refresh was overtaken by a change of the connection".to_owned(),
        });
    }
    Ok(AccessToken {
        mailbox: account.mailbox_address.clone(),
        token: issued.access_token.clone(),
        expires_at: expires_at.map(|at| at - refresh_margin(Some(now), at)),
    })
}

/// Sets the connection to "reauthorisation needed" and the accounts using it to an error
/// naming it, and marks the admins' notice as due, all once: only the transition from
/// "connected" does anything.
/// `claim`: the refresh claim the caller holds, if it came from a refresh.
pub async fn mark_reauthorization_needed(
    state: &AppState,
    account: &oauth_account::Model,
    reason: &str,
    claim: Option<DateTime<Utc>>,
) -> Result<(), TokenError> {
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let mut update = oauth_account::Entity::update_many()
        .col_expr(
            oauth_account::Column::State,
            Expr::value(OauthAccountState::ReauthorizationNeeded.as_str()),
        )
        .col_expr(oauth_account::Column::Problem, Expr::value(Some(reason.to_owned())))
        .col_expr(
            oauth_account::Column::AccessTokenSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            oauth_account::Column::RefreshingUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        // The admins are told by `lapse_notices`, reacting to the change event below.
        .col_expr(oauth_account::Column::LapseNoticeDue, Expr::value(true))
        .col_expr(oauth_account::Column::UpdatedAt, Expr::value(now))
        .filter(oauth_account::Column::Id.eq(account.id))
        .filter(oauth_account::Column::State.eq(OauthAccountState::Connected.as_str()));
    if let Some(claim) = claim {
        // A reconnect meanwhile has replaced the refused grant: nothing to report.
        update = update.filter(oauth_account::Column::RefreshingUntil.eq(claim));
    }
    let changed = update.exec(&txn).await?;
    if changed.rows_affected == 0 {
        txn.commit().await?;
        return Ok(());
    }
    let message = lapse_message(account, reason);
    inbound_account::Entity::update_many()
        .col_expr(
            inbound_account::Column::Status,
            Expr::value(InboundStatus::Error.as_str()),
        )
        .col_expr(
            inbound_account::Column::StatusProblem,
            Expr::value(Some(MailProblem::Authorization.as_str())),
        )
        .col_expr(
            inbound_account::Column::StatusDetail,
            Expr::value(Some(message.clone())),
        )
        .col_expr(inbound_account::Column::LastErrorAt, Expr::value(Some(now)))
        .filter(inbound_account::Column::OauthAccountId.eq(account.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    tracing::warn!(oauth_account_id = account.id, mailbox = %account.mailbox_address, %reason, "OAuth connection needs reauthorisation");
    let inbound = crate::db::tenancy::any_organisation::<inbound_account::Entity>()
        .filter(inbound_account::Column::OauthAccountId.eq(account.id))
        .all(&state.db)
        .await?;
    for inbound in inbound {
        state
            .events
            .publish(DomainEvent::InboundAccountStatusChanged(Box::new(inbound)));
    }
    state.events.publish(DomainEvent::OauthAccountChanged {
        organisation_id: account.organisation_id,
        oauth_account_id: account.id,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_margin_is_a_minute_or_a_quarter_of_short_lifetimes() {
        let now = Utc::now();
        assert_eq!(
            refresh_margin(Some(now), now + Duration::hours(1)),
            Duration::seconds(60)
        );
        assert_eq!(
            refresh_margin(Some(now), now + Duration::seconds(8)),
            Duration::seconds(2)
        );
    }
}
