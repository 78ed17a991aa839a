//! The one way a mail enters Talentpost, whatever brought it (IMAP sync, forwarding
//! intake, API). It keeps the raw bytes, stores what the parser read, and creates the
//! inbox item, all idempotently: a second delivery of the same mail is a no-op.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use talentpost_shared::{ContactMedium, EmailAddress, InboxMedium, InboxState, MailSource, ParseStatus};

use super::threading::{Bounce, ThreadMatch, bounced_messages, match_reply, read_bounce};
use crate::crypto::sha256_hex;
use crate::db::entities::{candidate_email, contact_event, document, inbox_item, legal_entity, mail_message};
use crate::error::{ServiceError, ServiceResult, is_unique_violation};
use crate::events::DomainEvent;
use crate::mail::parse::{MailAddress, ParseLimits, ParsedMail, parse_guarded};
use crate::services::candidates;
use crate::services::inbox::{clean_file_name, truncate_to_micros};
use crate::services::org::legal_entities;
use crate::state::AppState;

/// Where an account's mail belongs; forwarded mail is routed by its recipients instead.
#[derive(Clone, Copy, Debug)]
pub struct AccountRoute {
    pub account_id: i64,
    pub legal_entity_id: i64,
    pub user_group_id: Option<i64>,
}

pub struct IncomingMail {
    pub organisation_id: i64,
    pub raw: Vec<u8>,
    pub source: MailSource,
    pub account: Option<AccountRoute>,
    /// When the mail reached its mailbox (IMAP INTERNALDATE); now when unknown.
    pub received_at: Option<DateTime<Utc>>,
}

#[derive(Debug)]
pub struct Ingested {
    pub item: inbox_item::Model,
    pub message: mail_message::Model,
    /// False when the mail was already known and nothing was written.
    pub created: bool,
}

/// The content part of the key that makes a second delivery a no-op. With a
/// Message-ID it is that id plus a hash of sender, subject and body (line endings and
/// trailing blanks ignored): the same mail reaching us by two routes (IMAP in CRLF, a
/// redirect pipe in LF, each adding trace headers) is one item, while a different mail
/// that reuses a Message-ID (broken mailers, copies, forgery) is never swallowed.
/// Without a Message-ID it is the hash of the whole mail. `ingest` puts the route
/// (legal entity and group) in front, so a mail sent to two companies is in both.
pub fn content_key(parsed: &ParsedMail, raw: &[u8], raw_sha256: &str) -> String {
    use sha2::Digest;
    match parsed
        .message_id
        .as_deref()
        .map(|id| id.trim().trim_matches(['<', '>']))
        .filter(|id| !id.is_empty())
    {
        Some(id) => {
            let from = parsed
                .from
                .as_ref()
                .map(|from| from.address.to_ascii_lowercase())
                .unwrap_or_default();
            let mut hasher = sha2::Sha256::new();
            hasher.update(from.as_bytes());
            hasher.update([0]);
            hasher.update(parsed.subject.as_bytes());
            hasher.update([0]);
            for piece in body_of(raw).trim_ascii_end().split(|byte| *byte == b'\r') {
                hasher.update(piece);
            }
            let body = hex::encode(hasher.finalize());
            if id.len() <= 300 {
                format!("mid:{id}:{}", &body[..32])
            } else {
                format!("midsha:{}:{}", sha256_hex(id.as_bytes()), &body[..32])
            }
        }
        None => format!("sha:{raw_sha256}"),
    }
}

fn route_key(legal_entity_id: i64, user_group_id: Option<i64>, content_key: &str) -> String {
    format!(
        "{legal_entity_id}/{}/{content_key}",
        user_group_id.map_or_else(|| "-".to_owned(), |g| g.to_string())
    )
}

/// The Message-ID as stored and looked up: without brackets, and short enough for an
/// index entry even when a hostile mail sends kilobytes of it.
fn stored_message_id(message_id: &str) -> String {
    truncate_chars(message_id.trim().trim_matches(['<', '>']), 500)
}

/// Everything after the header block (empty if there is none).
fn body_of(raw: &[u8]) -> &[u8] {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|at| at + 2);
    let start = match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => raw.len(),
    };
    &raw[start..]
}

/// Whether this account already stored a mail with this Message-ID and exact size:
/// after a UIDVALIDITY change or a crash, the sync skips such mail without
/// downloading it again. (The ingest's own key still guards everything else.)
pub async fn is_known_copy(
    db: &impl ConnectionTrait,
    account_id: i64,
    message_id: &str,
    raw_size: u32,
) -> ServiceResult<bool> {
    Ok(crate::db::tenancy::any_organisation::<mail_message::Entity>()
        .filter(mail_message::Column::InboundAccountId.eq(account_id))
        .filter(mail_message::Column::MessageIdHeader.eq(stored_message_id(message_id)))
        .filter(mail_message::Column::RawSize.eq(i64::from(raw_size)))
        .one(db)
        .await?
        .is_some())
}

/// What the blocking pool makes of a raw mail: parsed, hashed and its files stored.
struct Prepared {
    parsed: ParsedMail,
    raw_size: usize,
    raw_sha256: String,
    key: String,
    /// (sha256, size) of each attachment, in the order of `parsed.attachments`,
    /// whose bytes are dropped once stored.
    attachment_files: Vec<(String, usize)>,
    /// What a delivery report says about our own mail.
    bounce: Option<Bounce>,
}

/// Hashing, parsing and writing files are CPU and disk work: done together on the
/// blocking pool, off the async workers. Files first: the store is content-addressed,
/// so a failed transaction later leaves at most an unreferenced file, never a row
/// pointing at nothing.
fn prepare(blobs: &crate::storage::BlobStore, mut raw: Vec<u8>, limits: ParseLimits) -> std::io::Result<Prepared> {
    strip_mbox_separator(&mut raw);
    let mut parsed = parse_guarded(&raw, limits);
    let raw_sha256 = blobs.put_blocking(&raw)?;
    let key = content_key(&parsed, &raw, &raw_sha256);
    let bounce = read_bounce(&parsed, &raw);
    let mut attachment_files = Vec::with_capacity(parsed.attachments.len());
    for attachment in &mut parsed.attachments {
        attachment_files.push((blobs.put_blocking(&attachment.bytes)?, attachment.bytes.len()));
        attachment.bytes = Vec::new();
    }
    Ok(Prepared {
        parsed,
        raw_size: raw.len(),
        raw_sha256,
        key,
        attachment_files,
        bounce,
    })
}

pub async fn ingest(state: &AppState, incoming: IncomingMail) -> ServiceResult<Ingested> {
    let started = std::time::Instant::now();
    let source = incoming.source;
    let ingested = ingest_timed(state, incoming).await;
    state.metrics.ingest_took(started.elapsed());
    if let Ok(ingested) = &ingested
        && ingested.created
    {
        state
            .metrics
            .mail_ingested(source.as_str(), ingested.message.parse_status.as_str());
    }
    ingested
}

async fn ingest_timed(state: &AppState, incoming: IncomingMail) -> ServiceResult<Ingested> {
    let limits = ParseLimits::with_max_bytes(state.config.max_mail_bytes);
    let blobs = state.blobs.clone();
    let raw = incoming.raw;
    let Prepared {
        parsed,
        raw_size,
        raw_sha256,
        key: content,
        attachment_files,
        bounce,
    } = tokio::task::spawn_blocking(move || prepare(&blobs, raw, limits))
        .await
        .map_err(|error| {
            ServiceError::Internal(format!(
                "the mail could not be prepared ({error}); it stays at its source"
            ))
        })??;
    let organisation_id = incoming.organisation_id;
    let (legal_entity_id, user_group_id, intake_recipient) = match incoming.account {
        Some(route) => (route.legal_entity_id, route.user_group_id, None),
        None => {
            let (entity, recipient) = route_by_recipients(state, organisation_id, &parsed.delivery_recipients).await?;
            (entity, None, recipient)
        }
    };
    let key = route_key(legal_entity_id, user_group_id, &content);
    if let Some(existing) = find_existing(&state.db, organisation_id, &key).await? {
        return Ok(existing);
    }
    let stored = Stored {
        organisation_id,
        key: &key,
        raw_size,
        raw_sha256: &raw_sha256,
        attachment_files: &attachment_files,
    };
    // Auto-replies stay out of conversations; an answer of the candidate joins theirs.
    let thread = if parsed.automatic_reason.is_none() {
        match_reply(&state.db, organisation_id, &parsed).await?
    } else {
        None
    };
    let target = Target {
        thread,
        legal_entity_id,
        user_group_id,
        intake_recipient,
        account: incoming.account,
        source: incoming.source,
        received_at: incoming.received_at,
        attachments_dropped: false,
    };
    let ingested = match store(state, &parsed, &stored, &target).await {
        Err(StoreError::Rejected(error)) => {
            // The database refused what the parser produced (PostgreSQL and a byte it
            // cannot hold, say): keep the mail raw rather than fail its whole mailbox.
            tracing::warn!(%error, "a parsed mail was refused by the database; storing it raw");
            let raw_only = parsed.raw_only(format!(
                "the mail could not be stored as read ({error}); only the raw source is kept"
            ));
            store(
                state,
                &raw_only,
                &stored,
                &Target {
                    attachments_dropped: true,
                    ..target
                },
            )
            .await
            .map_err(StoreError::into_service)
        }
        other => other.map_err(StoreError::into_service),
    }?;
    // Also for a report stored before: recording it again is harmless (only sent mail
    // changes), and a failure on the first delivery must not lose it.
    if let Some(bounce) = bounce {
        record_bounce(state, organisation_id, &bounce).await?;
    }
    Ok(ingested)
}

/// Marks our mail that came back undeliverable, and the address it went to.
async fn record_bounce(state: &AppState, organisation_id: i64, bounce: &Bounce) -> ServiceResult<()> {
    let reason = match (&bounce.status, &bounce.diagnostic) {
        (Some(status), Some(diagnostic)) => format!("{status}: {diagnostic}"),
        (Some(status), None) => status.clone(),
        (None, Some(diagnostic)) => diagnostic.clone(),
        (None, None) => "undeliverable".to_owned(),
    };
    let now = Utc::now();
    let messages = bounced_messages(&state.db, organisation_id, bounce).await?;
    for bounced in crate::services::mail_out::outbox::record_bounces(state, messages, &reason).await? {
        let recipient = EmailAddress::parse(&bounced.to_address).ok();
        let reported = |to: &EmailAddress| {
            bounce.failed_recipients.is_empty()
                || bounce
                    .failed_recipients
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(to.as_str()))
        };
        // Only the address of the candidate this mail went to: the same address at
        // another organisation is none of this report's business.
        if let (Some(recipient), Some(candidate_id)) = (recipient.filter(reported), bounced.candidate_id) {
            candidate_email::Entity::update_many()
                .col_expr(candidate_email::Column::BouncedAt, sea_orm::sea_query::Expr::value(now))
                .col_expr(
                    candidate_email::Column::BounceReason,
                    sea_orm::sea_query::Expr::value(reason.clone()),
                )
                .filter(candidate_email::Column::CandidateId.eq(candidate_id))
                .filter(candidate_email::Column::EmailKey.eq(recipient.match_key()))
                .exec(&state.db)
                .await?;
        }
    }
    Ok(())
}

/// What was already written and decided before the rows are inserted.
struct Stored<'a> {
    organisation_id: i64,
    key: &'a str,
    raw_size: usize,
    raw_sha256: &'a str,
    attachment_files: &'a [(String, usize)],
}

struct Target {
    /// The conversation this mail answers: it then goes to the candidate's history.
    thread: Option<ThreadMatch>,
    legal_entity_id: i64,
    user_group_id: Option<i64>,
    intake_recipient: Option<String>,
    account: Option<AccountRoute>,
    source: MailSource,
    received_at: Option<DateTime<Utc>>,
    /// The raw-only fallback lists no attachments (the raw source has them).
    attachments_dropped: bool,
}

#[derive(Debug)]
enum StoreError {
    /// The database refused the values themselves; retrying the same values is futile.
    Rejected(sea_orm::DbErr),
    Other(ServiceError),
}

impl StoreError {
    fn into_service(self) -> ServiceError {
        match self {
            Self::Rejected(error) => ServiceError::Database(error),
            Self::Other(error) => error,
        }
    }
}

impl From<sea_orm::DbErr> for StoreError {
    fn from(error: sea_orm::DbErr) -> Self {
        // A statement the server executed and refused (as opposed to a lost connection
        // or a full pool) will be refused again.
        let refused = match &error {
            sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(cause))
            | sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(cause)) => {
                matches!(cause.as_ref(), sea_orm::sqlx::Error::Database(_))
            }
            _ => false,
        };
        if refused {
            Self::Rejected(error)
        } else {
            Self::Other(error.into())
        }
    }
}

impl From<ServiceError> for StoreError {
    fn from(error: ServiceError) -> Self {
        Self::Other(error)
    }
}

/// Inserts the inbox item, the message and its attachments in one transaction.
async fn store(
    state: &AppState,
    parsed: &ParsedMail,
    stored: &Stored<'_>,
    target: &Target,
) -> Result<Ingested, StoreError> {
    let organisation_id = stored.organisation_id;
    let sender = parsed
        .from
        .as_ref()
        .and_then(|from| EmailAddress::parse(&from.address).ok());
    let matched = match &sender {
        Some(address) => candidates::find_by_email(&state.db, organisation_id, address).await?,
        None => None,
    };
    let now = truncate_to_micros(Utc::now());
    let received_at = truncate_to_micros(target.received_at.unwrap_or(now));
    let inbox_state = match (&target.thread, &parsed.automatic_reason) {
        (Some(_), _) => InboxState::Assigned,
        (None, Some(_)) => InboxState::Automatic,
        (None, None) => InboxState::Unassigned,
    };
    let matched_candidate = target
        .thread
        .as_ref()
        .map(|thread| thread.candidate_id)
        .or(matched.map(|candidate| candidate.id));

    let txn = state
        .db
        .begin()
        .await
        .map_err(|error| StoreError::Other(error.into()))?;
    let item = inbox_item::ActiveModel {
        organisation_id: Set(organisation_id),
        legal_entity_id: Set(Some(target.legal_entity_id)),
        user_group_id: Set(target.user_group_id),
        medium: Set(InboxMedium::Email),
        state: Set(inbox_state),
        received_at: Set(received_at),
        subject: Set(truncate_chars(&parsed.subject, 500)),
        sender_name: Set(parsed
            .from
            .as_ref()
            .and_then(|from| from.name.as_deref())
            .map(|n| truncate_chars(n, 200))),
        sender_email: Set(parsed.from.as_ref().map(|from| truncate_chars(&from.address, 320))),
        sender_phone: Set(parsed
            .text_body
            .as_deref()
            .and_then(talentpost_shared::matching::phone_in_text)),
        preview: Set(Some(preview(parsed))),
        payload: Set(None),
        idempotency_key: Set(None),
        matched_candidate_id: Set(matched_candidate),
        candidate_id: Set(target.thread.as_ref().map(|thread| thread.candidate_id)),
        application_id: Set(target.thread.as_ref().and_then(|thread| thread.application_id)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let message = mail_message::ActiveModel {
        organisation_id: Set(organisation_id),
        inbox_item_id: Set(item.id),
        inbound_account_id: Set(target.account.map(|route| route.account_id)),
        source: Set(target.source),
        dedupe_key: Set(stored.key.to_owned()),
        raw_sha256: Set(stored.raw_sha256.to_owned()),
        raw_size: Set(stored.raw_size as i64),
        parse_status: Set(parsed.status),
        parse_problem: Set(parsed.problem.clone()),
        message_id_header: Set(parsed.message_id.as_deref().map(stored_message_id)),
        in_reply_to: Set(parsed.in_reply_to.clone()),
        references_header: Set(parsed.references.clone()),
        from_address: Set(parsed.from.as_ref().map(|from| truncate_chars(&from.address, 320))),
        from_name: Set(parsed.from.as_ref().and_then(|from| from.name.clone())),
        to_json: Set(address_json(&parsed.to)),
        cc_json: Set(address_json(&parsed.cc)),
        reply_to_json: Set(address_json(&parsed.reply_to)),
        subject: Set(parsed.subject.clone()),
        sent_at: Set(parsed.sent_at),
        text_body: Set(parsed.text_body.clone()),
        html_body: Set(parsed.html_body.as_ref().map(|html| html.html.clone())),
        has_remote_content: Set(parsed.html_body.as_ref().is_some_and(|html| html.has_remote_content)),
        automatic_reason: Set(parsed.automatic_reason.clone()),
        intake_recipient: Set(target.intake_recipient.clone()),
        received_at: Set(received_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let message = match message {
        Ok(message) => message,
        Err(error) if is_unique_violation(&error) => {
            // A concurrent delivery of the same mail won the race; ours rolls back.
            drop(txn);
            return find_existing(&state.db, organisation_id, stored.key)
                .await?
                .ok_or_else(|| StoreError::Other(ServiceError::Internal("a duplicate mail vanished".to_owned())));
        }
        Err(error) => return Err(error.into()),
    };
    if !target.attachments_dropped {
        for (attachment, (sha256, size)) in parsed.attachments.iter().zip(stored.attachment_files) {
            document::ActiveModel {
                organisation_id: Set(organisation_id),
                inbox_item_id: Set(Some(item.id)),
                candidate_id: Set(None),
                file_name: Set(clean_file_name(&attachment.file_name)),
                content_type: Set(attachment.content_type.chars().take(120).collect()),
                size_bytes: Set(*size as i64),
                sha256: Set(sha256.clone()),
                content_id: Set(attachment.content_id.as_deref().map(|id| truncate_chars(id, 250))),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    if let Some(thread) = &target.thread {
        contact_event::ActiveModel {
            candidate_id: Set(thread.candidate_id),
            application_id: Set(thread.application_id),
            inbox_item_id: Set(Some(item.id)),
            medium: Set(ContactMedium::MailIn),
            occurred_at: Set(received_at),
            user_id: Set(None),
            note: Set(item.preview.clone()),
            subject: Set(Some(item.subject.clone())),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await.map_err(|error| StoreError::Other(error.into()))?;
    match (&target.thread, inbox_state) {
        (Some(thread), _) => {
            tracing::debug!(
                item = item.id,
                thread = thread.thread_id,
                by = thread.by,
                "an answer joined its conversation"
            );
            state.events.publish(DomainEvent::ContactHistoryChanged {
                organisation_id,
                candidate_id: thread.candidate_id,
            });
            state.events.publish(DomainEvent::InboxChanged { organisation_id });
        }
        (None, InboxState::Automatic) => state.events.publish(DomainEvent::InboxChanged { organisation_id }),
        (None, _) => state
            .events
            .publish(DomainEvent::InboxItemAdded(Box::new(item.clone()))),
    }
    Ok(Ingested {
        item,
        message,
        created: true,
    })
}

async fn find_existing(db: &impl ConnectionTrait, organisation_id: i64, key: &str) -> ServiceResult<Option<Ingested>> {
    let Some(message) = crate::db::tenancy::scoped::<mail_message::Entity>(organisation_id)
        .filter(mail_message::Column::DedupeKey.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let item = crate::db::tenancy::scoped_by_id::<inbox_item::Entity>(organisation_id, message.inbox_item_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("mail message {} has no inbox item", message.id)))?;
    Ok(Some(Ingested {
        item,
        message,
        created: false,
    }))
}

/// The local part every legal entity's intake address starts with: `intake+<id>@<domain>`
/// (plus addressing, so one MTA alias `intake` serves all entities); plain `intake@`
/// belongs to the main entity.
pub const INTAKE_LOCAL_PART: &str = "intake";

pub fn intake_address(domain: &str, legal_entity_id: i64, is_main: bool) -> String {
    if is_main {
        format!("{INTAKE_LOCAL_PART}@{domain}")
    } else {
        format!("{INTAKE_LOCAL_PART}+{legal_entity_id}@{domain}")
    }
}

/// Finds the legal entity whose intake address the mail was delivered to. Falls back
/// to the main entity, so a mail is never refused for its routing.
async fn route_by_recipients(
    state: &AppState,
    organisation_id: i64,
    recipients: &[String],
) -> ServiceResult<(i64, Option<String>)> {
    let domain = state.config.intake_domain.to_ascii_lowercase();
    for recipient in recipients {
        let lower = recipient.to_ascii_lowercase();
        let Some((local, recipient_domain)) = lower.rsplit_once('@') else {
            continue;
        };
        if recipient_domain != domain {
            continue;
        }
        let entity_id = match local.strip_prefix(INTAKE_LOCAL_PART) {
            Some("") => None,
            Some(tag) => match tag.strip_prefix('+').and_then(|id| id.parse::<i64>().ok()) {
                Some(id) => Some(id),
                None => continue,
            },
            None => continue,
        };
        let entity = match entity_id {
            Some(id) => {
                crate::db::tenancy::scoped_by_id::<legal_entity::Entity>(organisation_id, id)
                    .one(&state.db)
                    .await?
            }
            None => None,
        };
        let entity = match entity {
            Some(entity) => entity,
            None => legal_entities::main_entity(&state.db, organisation_id).await?,
        };
        return Ok((entity.id, Some(recipient.clone())));
    }
    Ok((legal_entities::main_entity(&state.db, organisation_id).await?.id, None))
}

/// MTA pipes and mbox files put a `From sender date` line before the message; it is
/// not part of the mail (a header would be `From:`).
fn strip_mbox_separator(raw: &mut Vec<u8>) {
    if raw.starts_with(b"From ") {
        let end = raw
            .iter()
            .position(|b| *b == b'\n')
            .map_or(raw.len(), |newline| newline + 1);
        raw.drain(..end);
    }
}

fn preview(parsed: &ParsedMail) -> String {
    if parsed.status != ParseStatus::Parsed {
        return parsed.problem.clone().unwrap_or_default();
    }
    let text = parsed.text_body.as_deref().unwrap_or_default();
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate_chars(&collapsed, 300)
}

fn address_json(addresses: &[MailAddress]) -> String {
    serde_json::to_string(addresses).unwrap_or_else(|_| "[]".to_owned())
}

fn truncate_chars(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
