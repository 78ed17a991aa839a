//! The transactional outbox: every mail Talentpost sends is first a row here, written in
//! the same transaction as the action that causes it. The worker claims due rows,
//! records the attempt, and only then talks to the server, so an ordinary restart never
//! sends a mail twice; a crash in the middle of a send is counted as an interrupted
//! attempt and retried once the claim's lease runs out.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use lettre::address::Envelope;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait, TryIntoModel,
};
use talentpost_shared::{EmailAddress, MailProblem, OutboxChannel, OutboxPurpose, OutboxStatus};

use crate::auth::Principal;
use crate::crypto::random_token;
use crate::db::entities::{outbound_account, outbox_message};
use crate::error::{ServiceError, ServiceResult};
use crate::events::DomainEvent;
use crate::ids::{CandidateId, OutboxMessageId};
use crate::mail::smtp::message::{OutgoingMail, build_message};
use crate::mail::smtp::{Delivered, Deliverer, SmtpFailure, SmtpSettings};
use crate::services::accounts::outbound_accounts;
use crate::services::pagination::{Page, PageRequest};
use crate::state::AppState;

/// Not yet final: what the worker still has to do something about.
pub const PENDING: [OutboxStatus; 3] = [OutboxStatus::Queued, OutboxStatus::Sending, OutboxStatus::Retrying];

/// How a mail will leave, decided when it is queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Account(i64),
    /// The built-in channel: the configured relay, else the drop folder.
    Builtin,
}

/// A mail ready to be queued: built, addressed, and tied to what caused it.
pub struct NewOutboxMail {
    pub organisation_id: i64,
    pub legal_entity_id: Option<i64>,
    pub candidate_id: Option<i64>,
    pub application_id: Option<i64>,
    pub thread_id: Option<i64>,
    pub contact_event_id: Option<i64>,
    pub created_by_user_id: Option<i64>,
    pub purpose: OutboxPurpose,
    pub route: Route,
    pub mail: OutgoingMail,
}

pub fn builtin_channel(state: &AppState) -> OutboxChannel {
    if state.config.smtp_relay_host.is_some() {
        OutboxChannel::Relay
    } else {
        OutboxChannel::DropFolder
    }
}

/// Builds the message and writes it to the outbox on `db`, normally the caller's
/// transaction. Nothing is sent here; the worker is woken after the commit.
pub async fn enqueue(
    state: &AppState,
    db: &impl ConnectionTrait,
    new: NewOutboxMail,
) -> ServiceResult<outbox_message::Model> {
    let (_, raw) = build_message(&new.mail).map_err(|error| match error {
        crate::mail::smtp::message::MessageError::LineBreak { field } => {
            ServiceError::invalid(field, "must be a single line (no line breaks)")
        }
        crate::mail::smtp::message::MessageError::ContentType(name) => {
            ServiceError::invalid("attachments", format!("\"{name}\" has an invalid content type"))
        }
        crate::mail::smtp::message::MessageError::Build(message) => ServiceError::invalid("message", message),
    })?;
    if raw.len() > state.config.max_outgoing_bytes {
        return Err(ServiceError::PayloadTooLarge {
            field: "attachments".to_owned(),
            limit: state.config.max_outgoing_bytes,
        });
    }
    let now = Utc::now();
    let (channel, account_id) = match new.route {
        Route::Account(id) => (OutboxChannel::Account, Some(id)),
        Route::Builtin => (builtin_channel(state), None),
    };
    let size = i64::try_from(raw.len()).unwrap_or(i64::MAX);
    let row = outbox_message::ActiveModel {
        organisation_id: Set(new.organisation_id),
        legal_entity_id: Set(new.legal_entity_id),
        candidate_id: Set(new.candidate_id),
        application_id: Set(new.application_id),
        thread_id: Set(new.thread_id),
        contact_event_id: Set(new.contact_event_id),
        created_by_user_id: Set(new.created_by_user_id),
        purpose: Set(new.purpose.as_str().to_owned()),
        channel: Set(channel.as_str().to_owned()),
        outbound_account_id: Set(account_id),
        from_address: Set(new.mail.from.to_string()),
        from_name: Set(new.mail.from_name.clone()),
        to_address: Set(new.mail.to.to_string()),
        reply_to_address: Set(new.mail.reply_to.as_ref().map(ToString::to_string)),
        subject: Set(new.mail.subject.clone()),
        body_text: Set(new.mail.text.clone()),
        message_id: Set(new.mail.message_id.clone()),
        raw_message: Set(raw),
        size_bytes: Set(size),
        status: Set(OutboxStatus::Queued.as_str().to_owned()),
        attempts: Set(0),
        interrupted_attempts: Set(0),
        next_attempt_at: Set(now),
        expires_at: Set(now + max_age(state)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row)
}

/// Tells the worker and the subscribers; call after the queueing transaction committed.
pub fn announce(state: &AppState, message: &outbox_message::Model) {
    state.events.publish(DomainEvent::OutboxChanged {
        organisation_id: message.organisation_id,
        message_id: message.id,
        status: status_of(message),
    });
    if let Some(candidate_id) = message.candidate_id {
        state.events.publish(DomainEvent::ContactHistoryChanged {
            organisation_id: message.organisation_id,
            candidate_id,
        });
    }
    state.outbox.wake();
}

fn max_age(state: &AppState) -> Duration {
    let hours = i64::try_from(state.config.outbox_max_age_hours)
        .unwrap_or(48)
        .clamp(1, 24 * 365);
    Duration::try_hours(hours).unwrap_or(Duration::days(365))
}

pub fn status_of(message: &outbox_message::Model) -> OutboxStatus {
    OutboxStatus::parse(&message.status).unwrap_or(OutboxStatus::Failed)
}

/// The last failure of a mail, for the test report and the outbox view.
pub fn failure_of(message: &outbox_message::Model) -> Option<SmtpFailure> {
    let status = status_of(message);
    if !matches!(
        status,
        OutboxStatus::Failed | OutboxStatus::Retrying | OutboxStatus::Bounced
    ) {
        return None;
    }
    Some(SmtpFailure {
        problem: message
            .last_problem
            .as_deref()
            .and_then(MailProblem::parse)
            .unwrap_or(MailProblem::Protocol),
        message: message.last_reply.clone().unwrap_or_default(),
        reply_code: message.last_reply_code.and_then(|code| u16::try_from(code).ok()),
        reply: None,
        transient: status == OutboxStatus::Retrying,
    })
}

/// A test mail for an outgoing account, queued like every other mail.
pub async fn queue_test_mail(
    state: &AppState,
    principal: &Principal,
    account: &outbound_account::Model,
    from: &EmailAddress,
    to: &EmailAddress,
) -> ServiceResult<outbox_message::Model> {
    let now = Utc::now();
    let mail = OutgoingMail {
        from_name: Some("Talentpost".to_owned()),
        from: outbound_accounts::to_lettre(from, "from")?,
        to_name: None,
        to: outbound_accounts::to_lettre(to, "to")?,
        reply_to: None,
        subject: format!("Talentpost test mail: {}", account.label),
        text: format!(
            "This is a test mail from Talentpost, sent through the outgoing account \"{}\" ({}:{}) at {}.\n\nIf you can read this, the account works.",
            account.label,
            account.host,
            account.port,
            now.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        html: None,
        message_id: new_message_id(None, from),
        in_reply_to: None,
        references: Vec::new(),
        attachments: Vec::new(),
        date: now,
        auto_generated: true,
    };
    let message = enqueue(
        state,
        &state.db,
        NewOutboxMail {
            organisation_id: principal.organisation_id,
            legal_entity_id: Some(account.legal_entity_id),
            candidate_id: None,
            application_id: None,
            thread_id: None,
            contact_event_id: None,
            created_by_user_id: Some(principal.user_id),
            purpose: OutboxPurpose::Test,
            route: Route::Account(account.id),
            mail,
        },
    )
    .await?;
    state.events.publish(DomainEvent::OutboxChanged {
        organisation_id: message.organisation_id,
        message_id: message.id,
        status: OutboxStatus::Queued,
    });
    Ok(message)
}

/// Our Message-IDs: `tp.<thread token>.<random>@<sender's domain>`, so a reply's
/// In-Reply-To or References leads back to the thread even without the reply address.
pub fn new_message_id(thread_token: Option<&str>, sender: &EmailAddress) -> String {
    let unique = random_token("")
        .trim_start_matches('_')
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20)
        .collect::<String>();
    match thread_token {
        Some(token) => format!("tp.{token}.{unique}@{}", sender.domain()),
        None => format!("tp.{unique}@{}", sender.domain()),
    }
}

/// The thread token inside one of our Message-IDs, if it is one.
pub fn thread_token_of(message_id: &str) -> Option<&str> {
    let id = message_id.trim().trim_start_matches('<').trim_end_matches('>');
    let rest = id.strip_prefix("tp.")?;
    let (token, rest) = rest.split_once('.')?;
    rest.contains('@')
        .then_some(token)
        .filter(|token| !token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[derive(Clone, Debug, Default)]
pub struct OutboxFilter {
    pub statuses: Vec<OutboxStatus>,
    pub candidate_id: Option<CandidateId>,
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: &OutboxFilter,
    page: &PageRequest,
) -> ServiceResult<Page<outbox_message::Model>> {
    let mut query = outbox_message::Entity::find()
        .filter(outbox_message::Column::OrganisationId.eq(principal.organisation_id))
        .order_by_desc(outbox_message::Column::Id)
        .limit(page.fetch_limit());
    if !filter.statuses.is_empty() {
        query =
            query.filter(outbox_message::Column::Status.is_in(filter.statuses.iter().map(|status| status.as_str())));
    }
    if let Some(candidate_id) = filter.candidate_id {
        query = query.filter(outbox_message::Column::CandidateId.eq(candidate_id.0));
    }
    if let Some(scope) = principal.entity_scope() {
        query = query.filter(outbox_message::Column::LegalEntityId.is_in(scope.iter().copied()));
    }
    if !principal.is_admin() && principal.role != talentpost_shared::Role::CompanyAdmin {
        query = query.filter(outbox_message::Column::Purpose.ne(OutboxPurpose::Test.as_str()));
    }
    if let Some(after) = &page.after {
        query = query.filter(outbox_message::Column::Id.lt(after.single()?));
    }
    let rows = query.all(&state.db).await?;
    Ok(Page::from_rows(rows, page, |row| vec![row.id]))
}

pub async fn find(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: OutboxMessageId,
) -> ServiceResult<outbox_message::Model> {
    outbox_message::Entity::find_by_id(id.0)
        .filter(outbox_message::Column::OrganisationId.eq(principal.organisation_id))
        .one(db)
        .await?
        .filter(|message| {
            principal
                .entity_scope()
                .is_none_or(|scope| message.legal_entity_id.is_some_and(|id| scope.contains(&id)))
        })
        .ok_or_else(|| ServiceError::not_found(OutboxMessageId::LABEL, id))
}

/// "Try again now": a failed, bounced, waiting or not-sent mail is queued afresh with a
/// new retry window; the attempts so far stay counted.
pub async fn retry(
    state: &AppState,
    principal: &Principal,
    id: OutboxMessageId,
) -> ServiceResult<outbox_message::Model> {
    let message = find(&state.db, principal, id).await?;
    let status = status_of(&message);
    if OutboxChannel::parse(&message.channel) == Some(OutboxChannel::Account) && message.outbound_account_id.is_none() {
        return Err(ServiceError::conflict(
            "id",
            "the outgoing account of this mail was deleted; write the mail again",
        ));
    }
    if !status.can_retry() {
        return Err(ServiceError::conflict(
            "id",
            format!(
                "the mail is {}; only failed, waiting, cancelled or not-sent mail can be retried",
                status.as_str()
            ),
        ));
    }
    let now = Utc::now();
    let updated = outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::Status,
            Expr::value(OutboxStatus::Queued.as_str()),
        )
        .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(now))
        .col_expr(outbox_message::Column::ExpiresAt, Expr::value(now + max_age(state)))
        .col_expr(
            outbox_message::Column::FailedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(outbox_message::Column::UpdatedAt, Expr::value(now))
        .filter(outbox_message::Column::Id.eq(message.id))
        .filter(outbox_message::Column::Status.eq(status.as_str()))
        .exec(&state.db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ServiceError::conflict(
            "id",
            "the mail changed meanwhile; reload and try again",
        ));
    }
    let message = find(&state.db, principal, id).await?;
    announce(state, &message);
    Ok(message)
}

/// Stops a mail that has not gone out yet.
pub async fn cancel(
    state: &AppState,
    principal: &Principal,
    id: OutboxMessageId,
) -> ServiceResult<outbox_message::Model> {
    let message = find(&state.db, principal, id).await?;
    let status = status_of(&message);
    if !status.can_cancel() {
        return Err(ServiceError::conflict(
            "id",
            match status {
                OutboxStatus::Sending => "the mail is being sent right now and can no longer be stopped".to_owned(),
                other => format!("the mail is {} and can no longer be cancelled", other.as_str()),
            },
        ));
    }
    let updated = outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::Status,
            Expr::value(OutboxStatus::Cancelled.as_str()),
        )
        .col_expr(outbox_message::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(outbox_message::Column::Id.eq(message.id))
        .filter(outbox_message::Column::Status.is_in([OutboxStatus::Queued.as_str(), OutboxStatus::Retrying.as_str()]))
        .exec(&state.db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ServiceError::conflict(
            "id",
            "the mail is being sent right now and can no longer be stopped",
        ));
    }
    let message = find(&state.db, principal, id).await?;
    announce(state, &message);
    Ok(message)
}

// ---- the worker's side ----

/// Mails whose worker vanished mid-send (crash, kill) go back to the queue once the
/// lease is over. The attempt may have reached the server; it is counted as interrupted.
pub async fn release_expired_claims(state: &AppState) -> ServiceResult<u64> {
    let lease_seconds = i64::try_from(state.config.outbox_lease_seconds)
        .unwrap_or(300)
        .clamp(1, 24 * 3600);
    let lease = Duration::try_seconds(lease_seconds).unwrap_or(Duration::minutes(5));
    let now = Utc::now();
    let result = outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::Status,
            Expr::value(OutboxStatus::Retrying.as_str()),
        )
        .col_expr(outbox_message::Column::ClaimToken, Expr::value(Option::<String>::None))
        .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(now))
        .col_expr(
            outbox_message::Column::InterruptedAttempts,
            Expr::col(outbox_message::Column::InterruptedAttempts).add(1),
        )
        .col_expr(
            outbox_message::Column::LastProblem,
            Expr::value(MailProblem::Connect.as_str()),
        )
        .col_expr(
            outbox_message::Column::LastReply,
            Expr::value("the previous attempt was interrupted (the server stopped while sending); it is tried again"),
        )
        .col_expr(outbox_message::Column::UpdatedAt, Expr::value(now))
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Sending.as_str()))
        .filter(outbox_message::Column::ClaimedAt.lt(now - lease))
        .exec(&state.db)
        .await?;
    Ok(result.rows_affected)
}

/// Mails still waiting past their maximum age fail for good (e.g. after the worker
/// was off for days), with the last reason kept.
pub async fn fail_expired(state: &AppState) -> ServiceResult<u64> {
    let now = Utc::now();
    let expired = outbox_message::Entity::find()
        .filter(outbox_message::Column::Status.is_in([OutboxStatus::Queued.as_str(), OutboxStatus::Retrying.as_str()]))
        .filter(outbox_message::Column::ExpiresAt.lt(now))
        .all(&state.db)
        .await?;
    let mut failed = 0;
    for message in expired {
        let reason = format!(
            "not delivered within {} hours{}",
            state.config.outbox_max_age_hours,
            message
                .last_reply
                .as_deref()
                .map(|reply| format!("; last: {reply}"))
                .unwrap_or_default()
        );
        let updated = outbox_message::Entity::update_many()
            .col_expr(
                outbox_message::Column::Status,
                Expr::value(OutboxStatus::Failed.as_str()),
            )
            .col_expr(outbox_message::Column::FailedAt, Expr::value(now))
            .col_expr(outbox_message::Column::LastReply, Expr::value(reason))
            .col_expr(outbox_message::Column::UpdatedAt, Expr::value(now))
            .filter(outbox_message::Column::Id.eq(message.id))
            .filter(outbox_message::Column::Status.eq(message.status.clone()))
            .exec(&state.db)
            .await?;
        if updated.rows_affected > 0 {
            failed += 1;
            state.events.publish(DomainEvent::OutboxChanged {
                organisation_id: message.organisation_id,
                message_id: message.id,
                status: OutboxStatus::Failed,
            });
        }
    }
    Ok(failed)
}

/// Claims up to `limit` due mails (or the one given) for this attempt: status
/// `sending`, attempt counted, committed before anything is sent.
pub async fn claim(state: &AppState, only: Option<i64>, limit: u64) -> ServiceResult<Vec<outbox_message::Model>> {
    let now = Utc::now();
    let due = [OutboxStatus::Queued.as_str(), OutboxStatus::Retrying.as_str()];
    let mut candidates = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::Id)
        .filter(outbox_message::Column::Status.is_in(due))
        .order_by_asc(outbox_message::Column::NextAttemptAt)
        .order_by_asc(outbox_message::Column::Id)
        .limit(limit);
    candidates = match only {
        Some(id) => candidates.filter(outbox_message::Column::Id.eq(id)),
        None => candidates.filter(outbox_message::Column::NextAttemptAt.lte(now)),
    };
    let ids: Vec<i64> = candidates.into_tuple::<i64>().all(&state.db).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let token = random_token("claim");
    // One statement: a row another worker claimed meanwhile no longer matches the
    // status filter and stays theirs.
    outbox_message::Entity::update_many()
        .col_expr(
            outbox_message::Column::Status,
            Expr::value(OutboxStatus::Sending.as_str()),
        )
        .col_expr(outbox_message::Column::ClaimToken, Expr::value(token.clone()))
        .col_expr(outbox_message::Column::ClaimedAt, Expr::value(now))
        .col_expr(outbox_message::Column::LastAttemptAt, Expr::value(now))
        .col_expr(
            outbox_message::Column::Attempts,
            Expr::col(outbox_message::Column::Attempts).add(1),
        )
        .col_expr(outbox_message::Column::UpdatedAt, Expr::value(now))
        .filter(outbox_message::Column::Id.is_in(ids))
        .filter(outbox_message::Column::Status.is_in(due))
        .exec(&state.db)
        .await?;
    let claimed = outbox_message::Entity::find()
        .filter(outbox_message::Column::ClaimToken.eq(token))
        .filter(outbox_message::Column::Status.eq(OutboxStatus::Sending.as_str()))
        .order_by_asc(outbox_message::Column::Id)
        .all(&state.db)
        .await?;
    for message in &claimed {
        state.events.publish(DomainEvent::OutboxChanged {
            organisation_id: message.organisation_id,
            message_id: message.id,
            status: OutboxStatus::Sending,
        });
    }
    Ok(claimed)
}

/// How one claimed mail goes out right now.
fn deliverer_for(
    state: &AppState,
    message: &outbox_message::Model,
    account: Option<(&outbound_account::Model, SmtpSettings)>,
) -> Result<(std::sync::Arc<Deliverer>, OutboxChannel), SmtpFailure> {
    let through_account = OutboxChannel::parse(&message.channel) == Some(OutboxChannel::Account);
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
    Ok(outbound_account::Entity::find()
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
    outbox_message::Entity::find_by_id(id)
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

/// Doubling waits from the configured first retry up to the maximum, never past the
/// mail's maximum age.
pub fn next_retry(state: &AppState, attempts: i32, now: DateTime<Utc>) -> DateTime<Utc> {
    let base = Ord::max(state.config.outbox_retry_seconds, 1);
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let wait = Ord::min(
        base.saturating_mul(2u64.saturating_pow(exponent)),
        Ord::max(state.config.outbox_retry_max_seconds, base),
    );
    let wait = Ord::min(i64::try_from(wait).unwrap_or(i64::MAX), 365 * 24 * 3600);
    now + Duration::try_seconds(wait).unwrap_or(Duration::days(365))
}

/// Writes the outcomes of a round in one transaction (one commit, not one per mail)
/// and returns the mails as they now are. Only the claim holder writes: a claim taken
/// over meanwhile (lease expired) wins.
pub async fn record_outcomes(state: &AppState, attempted: Vec<Attempted>) -> ServiceResult<Vec<outbox_message::Model>> {
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let mut recorded = Vec::with_capacity(attempted.len());
    for Attempted { message, outcome } in attempted {
        let row = outcome_row(state, &message, outcome, now);
        let updated = outbox_message::Entity::update_many()
            .set(row.clone())
            .filter(outbox_message::Column::Id.eq(message.id))
            .filter(outbox_message::Column::ClaimToken.eq(message.claim_token.clone().unwrap_or_default()))
            .exec(&txn)
            .await?;
        if updated.rows_affected > 0 {
            recorded.push(row.try_into_model()?);
        }
    }
    txn.commit().await?;
    for message in &recorded {
        announce_status(state, message);
    }
    Ok(recorded)
}

fn outcome_row(
    state: &AppState,
    message: &outbox_message::Model,
    outcome: Result<(Delivered, OutboxChannel), SmtpFailure>,
    now: DateTime<Utc>,
) -> outbox_message::ActiveModel {
    let mut row: outbox_message::ActiveModel = message.clone().into();
    row.claim_token = Set(None);
    row.updated_at = Set(now);
    match outcome {
        Ok((delivered, channel)) => {
            row.channel = Set(channel.as_str().to_owned());
            row.last_problem = Set(None);
            row.last_reply_code = Set(None);
            match delivered {
                Delivered::Accepted { reply } => {
                    row.status = Set(OutboxStatus::Sent.as_str().to_owned());
                    row.sent_at = Set(Some(now));
                    row.last_reply = Set(Some(reply));
                }
                // A file in the drop folder reaches nobody: say so, never "sent".
                Delivered::Dropped { file } => {
                    row.status = Set(OutboxStatus::NotSent.as_str().to_owned());
                    row.last_reply = Set(Some(format!(
                        "not sent, no relay configured: written to the drop folder as {file}"
                    )));
                }
            }
        }
        Err(failure) => {
            let retry_at = next_retry(state, message.attempts, now);
            let give_up = !failure.transient || retry_at > message.expires_at;
            row.last_problem = Set(Some(failure.problem.as_str().to_owned()));
            row.last_reply_code = Set(failure.reply_code.map(i32::from));
            if give_up {
                row.status = Set(OutboxStatus::Failed.as_str().to_owned());
                row.failed_at = Set(Some(now));
                row.last_reply = Set(Some(if failure.transient {
                    format!(
                        "gave up after {} attempts in {} hours: {}",
                        message.attempts, state.config.outbox_max_age_hours, failure.message
                    )
                } else {
                    failure.message
                }));
            } else {
                row.status = Set(OutboxStatus::Retrying.as_str().to_owned());
                row.next_attempt_at = Set(retry_at);
                row.last_reply = Set(Some(failure.message));
            }
        }
    }
    row
}

fn announce_status(state: &AppState, message: &outbox_message::Model) {
    state.events.publish(DomainEvent::OutboxChanged {
        organisation_id: message.organisation_id,
        message_id: message.id,
        status: status_of(message),
    });
    if let Some(candidate_id) = message.candidate_id {
        state.events.publish(DomainEvent::ContactHistoryChanged {
            organisation_id: message.organisation_id,
            candidate_id,
        });
    }
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
        let current = outbox_message::Entity::find_by_id(id)
            .one(&state.db)
            .await?
            .ok_or_else(|| ServiceError::not_found(OutboxMessageId::LABEL, id))?;
        if !matches!(status_of(&current), OutboxStatus::Queued | OutboxStatus::Sending) {
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
    let next = outbox_message::Entity::find()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_tokens_are_read_back_from_our_message_ids_only() {
        let sender = EmailAddress::parse("jobs@example.test").unwrap();
        let id = new_message_id(Some("abc123"), &sender);
        assert_eq!(thread_token_of(&id), Some("abc123"));
        assert_eq!(thread_token_of(&format!("<{id}>")), Some("abc123"));
        assert_eq!(thread_token_of("<CAF=x@mail.gmail.com>"), None);
        assert_eq!(thread_token_of("tp.@x"), None);
        assert_eq!(thread_token_of(&new_message_id(None, &sender)), None);
    }
}
