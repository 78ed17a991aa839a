//! The transactional outbox: every mail Talentpost sends is first a row here, written in
//! the same transaction as the action that causes it. The worker claims due rows,
//! records the attempt, and only then talks to the server, so an ordinary restart never
//! sends a mail twice; a crash in the middle of a send is counted as an interrupted
//! attempt and retried once the claim's lease runs out.
//!
//! - `transitions`: the status machine as pure functions;
//! - `store`: the one writer of status changes and their announcement;
//! - `delivery`: the worker's side (claims, attempts, leases, expiry);
//! - here: queueing, reading, "try again", "cancel" and bounces.

mod delivery;
mod store;
pub mod transitions;

pub use delivery::{
    Attempted, accounts_for, attempt_limit, claim, deliver, fail_expired, next_due, record_outcomes,
    release_expired_claims, send_now,
};
pub use store::announce;
use transitions::{Facts, Refused, RetryPolicy};

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use talentpost_shared::{EmailAddress, MailProblem, OutboxChannel, OutboxPurpose, OutboxStatus};

use crate::auth::Principal;
use crate::crypto::random_token;
use crate::db::entities::{outbound_account, outbox_message};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{CandidateId, OutboxMessageId};
use crate::mail::smtp::SmtpFailure;
use crate::mail::smtp::message::{OutgoingMail, build_message};
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
        purpose: Set(new.purpose),
        channel: Set(channel),
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
        status: Set(OutboxStatus::Queued),
        attempts: Set(0),
        interrupted_attempts: Set(0),
        next_attempt_at: Set(now),
        expires_at: Set(now + retry_policy(state).max_age()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row)
}

pub fn retry_policy(state: &AppState) -> RetryPolicy {
    RetryPolicy::from_config(&state.config)
}

pub fn facts_of(message: &outbox_message::Model) -> Facts {
    Facts {
        status: message.status,
        attempts: message.attempts,
        expires_at: message.expires_at,
    }
}

/// The last failure of a mail, for the test report and the outbox view.
pub fn failure_of(message: &outbox_message::Model) -> Option<SmtpFailure> {
    let status = message.status;
    if !matches!(
        status,
        OutboxStatus::Failed | OutboxStatus::Retrying | OutboxStatus::Bounced
    ) {
        return None;
    }
    Some(SmtpFailure {
        problem: message.last_problem.unwrap_or(MailProblem::Protocol),
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
    announce(&state.events, &message);
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
    let mut query = crate::db::tenancy::scoped::<outbox_message::Entity>(principal.organisation_id)
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
    crate::db::tenancy::scoped_by_id::<outbox_message::Entity>(principal.organisation_id, id.0)
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
    if Some(message.channel) == Some(OutboxChannel::Account) && message.outbound_account_id.is_none() {
        return Err(ServiceError::conflict(
            "id",
            "the outgoing account of this mail was deleted; write the mail again",
        ));
    }
    let transition = transitions::on_retry(message.status, Utc::now(), &retry_policy(state)).map_err(|refused| {
        let status = match refused {
            Refused::NotRetryable(status) | Refused::Final(status) | Refused::NotApplicable(status) => status,
            Refused::Sending => OutboxStatus::Sending,
        };
        ServiceError::conflict(
            "id",
            format!(
                "the mail is {}; only failed, waiting, cancelled or not-sent mail can be retried",
                status.as_str()
            ),
        )
    })?;
    store::apply_one(state, &message, &transition)
        .await?
        .ok_or_else(|| ServiceError::conflict("id", "the mail changed meanwhile; reload and try again"))
}

/// Stops a mail that has not gone out yet.
pub async fn cancel(
    state: &AppState,
    principal: &Principal,
    id: OutboxMessageId,
) -> ServiceResult<outbox_message::Model> {
    let message = find(&state.db, principal, id).await?;
    let sending_now = || ServiceError::conflict("id", "the mail is being sent right now and can no longer be stopped");
    let transition = transitions::on_cancel(message.status).map_err(|refused| match refused {
        Refused::Sending => sending_now(),
        Refused::NotRetryable(status) | Refused::Final(status) | Refused::NotApplicable(status) => {
            ServiceError::conflict(
                "id",
                format!("the mail is {} and can no longer be cancelled", status.as_str()),
            )
        }
    })?;
    store::apply_one(state, &message, &transition)
        .await?
        .ok_or_else(sending_now)
}

/// A delivery report for mails we sent: they become bounced (only sent mail can), and
/// the candidate's address this report names is marked as failing.
pub async fn record_bounces(
    state: &AppState,
    messages: Vec<outbox_message::Model>,
    reason: &str,
) -> ServiceResult<Vec<outbox_message::Model>> {
    let changes = messages
        .into_iter()
        .filter_map(|message| {
            let transition = transitions::on_bounce(message.status, reason).ok()?;
            Some((message, transition))
        })
        .collect();
    store::apply_all(state, changes, Utc::now()).await
}

/// Mail that waited for a lapsed OAuth grant (failed or waiting with an authorisation
/// problem since `lapsed_at`) goes again once the grant is renewed: written on `db`, the
/// reconnect's transaction; the caller announces the rows after its commit.
pub async fn requeue_after_reconnect(
    state: &AppState,
    db: &impl ConnectionTrait,
    outbound_account_id: i64,
    lapsed_at: DateTime<Utc>,
) -> ServiceResult<Vec<outbox_message::Model>> {
    let waiting = crate::db::tenancy::any_organisation::<outbox_message::Entity>()
        .filter(outbox_message::Column::OutboundAccountId.eq(outbound_account_id))
        .filter(outbox_message::Column::LastProblem.eq(MailProblem::Authorization.as_str()))
        .filter(outbox_message::Column::Status.is_in([OutboxStatus::Failed.as_str(), OutboxStatus::Retrying.as_str()]))
        .filter(outbox_message::Column::UpdatedAt.gte(lapsed_at))
        .all(db)
        .await?;
    let now = Utc::now();
    let policy = retry_policy(state);
    let mut requeued = Vec::with_capacity(waiting.len());
    for message in waiting {
        if let Ok(transition) = transitions::on_retry(message.status, now, &policy)
            && let Some(row) = store::apply(db, &message, &transition, now).await?
        {
            requeued.push(row);
        }
    }
    Ok(requeued)
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
