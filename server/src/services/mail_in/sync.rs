//! Syncing one inbound account's IMAP folder into the inbox: a single pass ("sync now",
//! "fetch again since") and the long watch (IDLE or polling) that the account's
//! background task keeps up (`crate::workers::inbound_sync` owns the tasks).
//!
//! Loss-free by construction: the highest UID is advanced only after the mails below it
//! are committed, a UIDVALIDITY change resets it to zero, and the ingest dedupe keys
//! (Message-ID, else content hash) turn every re-fetch into a no-op.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use futures_util::{StreamExt, TryStreamExt};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use talentpost_shared::{MailProblem, MailSource};
use tokio::sync::Notify;

use crate::db::entities::{inbound_account, inbound_folder_state};
use crate::error::ServiceError;
use crate::events::InboundCommand;
use crate::mail::imap::{self, HeaderInfo, ImapSession, MailError};
use crate::services::accounts::inbound_accounts::{self, StatusChange};
use crate::services::mail_in::ingest::{self, AccountRoute, IncomingMail};
use crate::state::AppState;

/// Header fetches cover this many UIDs; bodies are fetched in smaller groups.
const HEADER_BATCH: usize = 200;
const BODY_BATCH_MAILS: usize = 25;
const BODY_BATCH_BYTES: u64 = 8 * 1024 * 1024;
const INGEST_IN_FLIGHT: usize = 4;
/// How long "fetch again since" waits for a running sync of the same account.
const SINCE_LOCK_WAIT: Duration = Duration::from_secs(300);
/// The shortest an OAuth session is kept before signing in with a fresh token.
const MIN_OAUTH_SESSION: Duration = Duration::from_secs(2);
/// IDLE is re-issued well before the 29 minutes after which servers may drop it.
const MAX_IDLE: Duration = Duration::from_secs(25 * 60);

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl SyncError {
    pub fn status(&self) -> StatusChange {
        match self {
            Self::Mail(error) => StatusChange::Failed {
                problem: error.problem,
                message: error.message.clone(),
            },
            Self::Service(error) => StatusChange::Failed {
                problem: MailProblem::Protocol,
                message: format!(
                    "fetched mail could not be stored ({}); the server log has details",
                    error.public_message()
                ),
            },
        }
    }
}

impl From<SyncError> for ServiceError {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::Mail(error) => ServiceError::MailServer {
                problem: error.problem,
                message: error.message,
            },
            SyncError::Service(error) => error,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Mails newly stored by this run.
    pub stored: u64,
    /// Mails seen on the server that were already stored.
    pub already_known: u64,
    /// Another sync of this account was running; this one did nothing.
    pub already_running: bool,
}

/// Tells the account's task, in whichever process runs it.
async fn tell_the_worker(state: &AppState, account_id: i64, command: InboundCommand) -> Result<(), ServiceError> {
    // The worker's own lookup: the account's organisation names the command.
    let account = crate::db::tenancy::any_organisation_by_id::<inbound_account::Entity>(account_id)
        .one(&state.db)
        .await?;
    if let Some(account) = account {
        super::sharing::tell(state, account.organisation_id, account_id, command);
    }
    Ok(())
}

/// One sync of one account on a fresh connection, as "sync now" and the worker's
/// `run_once` use it.
/// `since` re-reads every mail from that date (known mail is still skipped).
pub async fn sync_account(
    state: &AppState,
    account_id: i64,
    since: Option<NaiveDate>,
) -> Result<SyncReport, SyncError> {
    // While another process syncs the mailbox, that process does what is asked (hurry,
    // or read again from a date), so the mailbox never has a second session here.
    if super::sharing::synced_elsewhere(state, account_id).await? {
        let command = since.map_or(InboundCommand::Wake, InboundCommand::FetchSince);
        tell_the_worker(state, account_id, command).await?;
        return Ok(SyncReport {
            already_running: true,
            ..SyncReport::default()
        });
    }
    let lock = state.signals.inbound.sync_lock(account_id);
    let _guard = match (lock.try_lock(), since) {
        (Ok(guard), _) => guard,
        // "Sync now" while the worker syncs: hurry the worker, nothing to add.
        (Err(_), None) => {
            tell_the_worker(state, account_id, InboundCommand::Wake).await?;
            return Ok(SyncReport {
                already_running: true,
                ..SyncReport::default()
            });
        }
        // "Fetch again since" asks for more than the worker does: wait for it.
        (Err(_), Some(_)) => match tokio::time::timeout(SINCE_LOCK_WAIT, lock.lock()).await {
            Ok(guard) => guard,
            Err(_) => {
                return Ok(SyncReport {
                    already_running: true,
                    ..SyncReport::default()
                });
            }
        },
    };
    // The id comes from "sync now" (its account already read through `scoped` for the
    // caller) or from the account's own task, which serves whatever organisation owns it.
    let Some(account) = crate::db::tenancy::any_organisation_by_id::<inbound_account::Entity>(account_id)
        .one(&state.db)
        .await
        .map_err(ServiceError::from)?
    else {
        return Ok(SyncReport::default());
    };
    let result = async {
        let settings = inbound_accounts::settings_of(state, &account).await?;
        let mut session = match imap::connect(&state.mail_tls, &settings).await {
            Ok(session) => session,
            Err(error) => {
                if error.problem == MailProblem::Login {
                    inbound_accounts::token_refused(state, &account, &settings).await;
                }
                return Err(error.into());
            }
        };
        let report = sync_folder(state, &account, &mut session, since).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
        report
    }
    .await;
    if let Err(error) = &result {
        inbound_accounts::record_status(state, account_id, error.status()).await?;
    }
    result
}

/// Connects and keeps the account in sync until something fails; returns the failure,
/// or `None` when the session ended because its OAuth token is about to expire
/// (providers end sessions whose token expired, so it is renewed before that).
pub async fn watch(
    state: &AppState,
    account: &inbound_account::Model,
    wake: &Notify,
    failures: &mut u32,
) -> Option<SyncError> {
    let settings = match inbound_accounts::settings_of(state, account).await {
        Ok(settings) => settings,
        Err(error) => return Some(error.into()),
    };
    let mut session = match imap::connect(&state.mail_tls, &settings).await {
        Ok(session) => session,
        Err(error) => {
            if error.problem == MailProblem::Login {
                inbound_accounts::token_refused(state, account, &settings).await;
            }
            return Some(error.into());
        }
    };
    if let Err(error) = inbound_accounts::record_status(state, account.id, StatusChange::Connected).await {
        return Some(error.into());
    }
    let idle = match imap::supports_idle(&mut session).await {
        Ok(idle) => idle,
        Err(error) => return Some(error.into()),
    };
    let session_ends = match &settings.login {
        // At least a few seconds, so a provider issuing near-expired tokens cannot make
        // this loop sign in again and again without pause.
        imap::ImapLogin::XOauth2 {
            expires_at: Some(expires_at),
            ..
        } => Some(
            tokio::time::Instant::now()
                + (*expires_at - Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .max(MIN_OAUTH_SESSION),
        ),
        _ => None,
    };
    let poll = Duration::from_secs(state.config.mail_poll_seconds.max(1)).min(MAX_IDLE);
    let lock = state.signals.inbound.sync_lock(account.id);
    loop {
        let synced = {
            let _guard = lock.lock().await;
            sync_folder(state, account, &mut session, None).await
        };
        if let Err(error) = synced {
            return Some(error);
        }
        *failures = 0;
        let now = tokio::time::Instant::now();
        if session_ends.is_some_and(|end| end <= now) {
            let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
            return None;
        }
        let wait = session_ends.map_or(poll, |end| poll.min(end - now));
        if idle {
            session = match idle_until_change(session, wait, wake).await {
                Ok(session) => session,
                Err(error) => return Some(error.into()),
            };
        } else {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = wake.notified() => {}
            }
        }
    }
}

/// Waits in IDLE until the server reports a change, the poll interval passes or the
/// task is woken, then leaves IDLE and hands the session back.
async fn idle_until_change(session: ImapSession, poll: Duration, wake: &Notify) -> Result<ImapSession, MailError> {
    let mut handle = session.idle();
    imap::timed("IDLE", handle.init())
        .await?
        .map_err(|error| MailError::imap("IDLE", error))?;
    {
        let (wait, interrupt) = handle.wait_with_timeout(poll);
        tokio::pin!(wait);
        let mut interrupt = Some(interrupt);
        let outcome = tokio::select! {
            outcome = &mut wait => outcome,
            _ = tokio::time::sleep(poll) => { interrupt.take(); wait.await }
            _ = wake.notified() => { interrupt.take(); wait.await }
        };
        outcome.map_err(|error| MailError::imap("IDLE", error))?;
    }
    imap::timed("DONE", handle.done())
        .await?
        .map_err(|error| MailError::imap("IDLE DONE", error))
}

/// Brings the account's folder up to date. The caller holds the account's sync lock.
async fn sync_folder(
    state: &AppState,
    account: &inbound_account::Model,
    session: &mut ImapSession,
    since: Option<NaiveDate>,
) -> Result<SyncReport, SyncError> {
    let folder = imap::examine(session, &account.folder).await?;
    let (mut last_uid, rescan) = folder_position(state, account, folder.uid_validity).await?;
    let uids = match since {
        Some(date) => imap::uids_since(session, date).await?,
        None => imap::uids_after(session, last_uid).await?,
    };
    let mut report = SyncReport::default();
    let total = uids.len() as i64;
    if total > 0 {
        inbound_accounts::record_status(state, account.id, StatusChange::Syncing { done: 0, total }).await?;
    }
    let route = AccountRoute {
        account_id: account.id,
        legal_entity_id: account.legal_entity_id,
        user_group_id: account.user_group_id,
    };
    // Skipping by Message-ID and size saves downloading a whole folder again after a
    // UIDVALIDITY change or for "fetch again since"; new mail is always downloaded and
    // judged by the full dedupe key.
    let skip_known_copies = rescan || since.is_some();
    let mut done = 0i64;
    for chunk in uids.chunks(HEADER_BATCH) {
        let headers = imap::fetch_headers(session, chunk).await?;
        let mut needed: Vec<&HeaderInfo> = Vec::with_capacity(headers.len());
        for header in &headers {
            let known = match (&header.message_id, header.size, skip_known_copies) {
                (Some(id), Some(size), true) => ingest::is_known_copy(&state.db, account.id, id, size).await?,
                _ => false,
            };
            if known {
                report.already_known += 1;
            } else {
                needed.push(header);
            }
        }
        let mut received: Vec<u32> = Vec::with_capacity(needed.len());
        for (group, bytes) in body_groups(&needed) {
            let outcome = fetch_and_ingest(state, account, route, session, &group, bytes).await?;
            report.stored += outcome.stored;
            received.extend(outcome.received);
        }
        done += chunk.len() as i64;
        // UIDs missing from the header answer were expunged meanwhile; a UID whose body
        // did not come back must not be passed: the position stops just below it.
        let missing = needed
            .iter()
            .map(|header| header.uid)
            .filter(|uid| !received.contains(uid))
            .min();
        if since.is_none() {
            let reached = match missing {
                Some(uid) => uid.saturating_sub(1),
                None => chunk.iter().copied().max().unwrap_or(last_uid),
            };
            if reached > last_uid {
                last_uid = reached;
                save_position(state, account.id, &account.folder, folder.uid_validity, last_uid).await?;
            }
        }
        if let Some(uid) = missing {
            return Err(MailError::new(
                MailProblem::Protocol,
                format!("the server did not send the mail with UID {uid}; it is asked for again on the next sync"),
            )
            .into());
        }
        inbound_accounts::record_status(state, account.id, StatusChange::Syncing { done, total }).await?;
    }
    inbound_accounts::record_status(state, account.id, StatusChange::Idle).await?;
    Ok(report)
}

/// UIDs to fetch together, with the bytes they amount to.
fn body_groups(needed: &[&HeaderInfo]) -> Vec<(Vec<u32>, u64)> {
    let mut groups = Vec::new();
    let mut current: Vec<u32> = Vec::new();
    let mut bytes = 0u64;
    for header in needed {
        let size = u64::from(header.size.unwrap_or(0));
        if !current.is_empty() && (current.len() >= BODY_BATCH_MAILS || bytes + size > BODY_BATCH_BYTES) {
            groups.push((std::mem::take(&mut current), bytes));
            bytes = 0;
        }
        current.push(header.uid);
        bytes += size;
    }
    if !current.is_empty() {
        groups.push((current, bytes));
    }
    groups
}

struct GroupOutcome {
    stored: u64,
    /// UIDs whose mail arrived and is stored (or was already).
    received: Vec<u32>,
}

async fn fetch_and_ingest(
    state: &AppState,
    account: &inbound_account::Model,
    route: AccountRoute,
    session: &mut ImapSession,
    uids: &[u32],
    bytes: u64,
) -> Result<GroupOutcome, SyncError> {
    // A large mail over a slow line must not time out forever: allow 128 KiB/s on top.
    let limit = imap::COMMAND_TIMEOUT + Duration::from_secs(bytes / (128 * 1024));
    // The group is bounded (BODY_BATCH_*), so holding it in memory is too.
    let mut mails = Vec::with_capacity(uids.len());
    let mut received = Vec::with_capacity(uids.len());
    {
        let mut stream = imap::timed(
            "UID FETCH",
            session.uid_fetch(imap::uid_set(uids), "(UID INTERNALDATE BODY.PEEK[])"),
        )
        .await?
        .map_err(|error| MailError::imap("UID FETCH", error))?;
        loop {
            let next = imap::timed_within("UID FETCH", limit, stream.try_next())
                .await?
                .map_err(|error| MailError::imap("UID FETCH", error))?;
            let Some(fetch) = next else { break };
            let (Some(uid), Some(body)) = (fetch.uid, fetch.body()) else {
                continue;
            };
            received.push(uid);
            mails.push(IncomingMail {
                organisation_id: account.organisation_id,
                raw: body.to_vec(),
                source: MailSource::Imap,
                account: Some(route),
                received_at: fetch.internal_date().map(|date| date.with_timezone(&Utc)),
            });
        }
    }
    // Parsing runs on the blocking pool, so a few mails in flight use every core.
    let outcomes: Vec<_> = futures_util::stream::iter(mails.into_iter().map(|mail| ingest::ingest(state, mail)))
        .buffer_unordered(INGEST_IN_FLIGHT)
        .collect()
        .await;
    let mut stored = 0;
    for outcome in outcomes {
        if outcome?.created {
            stored += 1;
        }
    }
    Ok(GroupOutcome { stored, received })
}

/// The highest committed UID for this folder, or 0 when the folder is new or its
/// UIDVALIDITY changed (then every mail is looked at again; known ones are skipped).
/// The position and whether the folder is being rescanned (its UIDVALIDITY changed).
async fn folder_position(
    state: &AppState,
    account: &inbound_account::Model,
    uid_validity: u32,
) -> Result<(u32, bool), ServiceError> {
    let stored = inbound_folder_state::Entity::find()
        .filter(inbound_folder_state::Column::InboundAccountId.eq(account.id))
        .filter(inbound_folder_state::Column::Folder.eq(&account.folder))
        .one(&state.db)
        .await?;
    match stored {
        // Without UIDVALIDITY (0) a stored position means nothing: look at everything;
        // the dedupe keys keep that free of duplicates.
        Some(position) if uid_validity != 0 && position.uid_validity == i64::from(uid_validity) => {
            Ok((u32::try_from(position.last_uid).unwrap_or(0), false))
        }
        Some(position) => {
            tracing::warn!(
                account_id = account.id,
                folder = %account.folder,
                old = position.uid_validity,
                new = uid_validity,
                "UIDVALIDITY changed; rescanning the folder"
            );
            save_position(state, account.id, &account.folder, uid_validity, 0).await?;
            Ok((0, true))
        }
        None => Ok((0, false)),
    }
}

async fn save_position(
    state: &AppState,
    account_id: i64,
    folder: &str,
    uid_validity: u32,
    last_uid: u32,
) -> Result<(), ServiceError> {
    let existing = inbound_folder_state::Entity::find()
        .filter(inbound_folder_state::Column::InboundAccountId.eq(account_id))
        .filter(inbound_folder_state::Column::Folder.eq(folder))
        .one(&state.db)
        .await?;
    let now = Utc::now();
    match existing {
        Some(row) => {
            let mut row: inbound_folder_state::ActiveModel = row.into();
            row.uid_validity = Set(i64::from(uid_validity));
            row.last_uid = Set(i64::from(last_uid));
            row.updated_at = Set(now);
            row.update(&state.db).await?;
        }
        None => {
            inbound_folder_state::ActiveModel {
                inbound_account_id: Set(account_id),
                folder: Set(folder.to_owned()),
                uid_validity: Set(i64::from(uid_validity)),
                last_uid: Set(i64::from(last_uid)),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&state.db)
            .await?;
        }
    }
    Ok(())
}
