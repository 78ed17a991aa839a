//! The inbound mail sync tasks: one per account this process syncs, each with its own
//! connection, so one failing account never holds up the others. What a task does with
//! its connection is `services::mail_in::sync`; which accounts this process syncs (with
//! several processes on one database, each its share, by lease) is decided by
//! `services::mail_in::sharing`. This module starts and stops the tasks accordingly,
//! follows the account commands the event bus brings from any process, and backs off
//! after failures.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::EntityTrait;
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;

use crate::db::entities::inbound_account;
use crate::error::ServiceError;
use crate::events::{DomainEvent, InboundCommand};
use crate::services::accounts::inbound_accounts;
use crate::services::mail_in::sharing;
use crate::services::mail_in::sync::{self, SyncError, SyncReport};
use crate::state::AppState;

struct AccountTask {
    handle: JoinHandle<()>,
    wake: Arc<Notify>,
    /// The account's `updated_at` when the task started (`None`: restarted on a command,
    /// taken from the next round).
    version: Option<DateTime<Utc>>,
}

/// How long a stopped task may take to drop its connection before its lease goes.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// The sync tasks of this process, one per account it holds.
#[derive(Clone, Default)]
pub struct InboundWorkers {
    tasks: Arc<Mutex<HashMap<i64, AccountTask>>>,
    /// Shares the accounts with the other processes and follows the account commands.
    coordinator: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl InboundWorkers {
    /// Takes this process's share of the active accounts, then keeps it: renewing,
    /// rebalancing as processes come and go, and following the account commands.
    pub async fn start(&self, state: &AppState) -> Result<(), ServiceError> {
        if !state.config.mail_workers {
            return Ok(());
        }
        // Listening first: an account saved during the first round is not missed.
        let events = state.events.subscribe();
        self.run_once(state).await?;
        let coordinator = tokio::spawn(self.clone().coordinate(state.clone(), events));
        if let Some(previous) = self
            .coordinator
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(coordinator)
        {
            previous.abort();
        }
        Ok(())
    }

    /// One round of sharing: start the accounts newly ours, stop (then give up) those
    /// that are not ours any more, restart those whose settings changed.
    pub async fn run_once(&self, state: &AppState) -> Result<sharing::Assignment, ServiceError> {
        let running: BTreeSet<i64> = self.tasks_guard().keys().copied().collect();
        let assignment = sharing::rebalance(state, &running).await?;
        // Stopped and finished first: the lease goes only once this process's
        // connection is closed.
        self.stop_and_wait(&assignment.stop).await;
        sharing::release(state, &assignment.stop).await?;
        for account in &assignment.start {
            self.restart(state, *account, assignment.versions.get(account).copied());
        }
        let outdated: Vec<(i64, Option<DateTime<Utc>>)> = {
            let mut tasks = self.tasks_guard();
            let mut outdated = Vec::new();
            for (account, task) in tasks.iter_mut() {
                let current = assignment.versions.get(account).copied();
                match task.version {
                    // Restarted on a command just now: it read the settings as they are.
                    None => task.version = current,
                    Some(started_with) if current.is_some_and(|current| current != started_with) => {
                        outdated.push((*account, current));
                    }
                    Some(_) => {}
                }
            }
            outdated
        };
        for (account, version) in outdated {
            self.restart(state, account, version);
        }
        if !assignment.start.is_empty() || !assignment.stop.is_empty() {
            tracing::info!(
                started = ?assignment.start,
                stopped = ?assignment.stop,
                "mailboxes of this process changed"
            );
        }
        Ok(assignment)
    }

    async fn coordinate(self, state: AppState, mut events: broadcast::Receiver<DomainEvent>) {
        let term = sharing::lease_term(&state).to_std().unwrap_or(Duration::from_secs(30));
        let tick = term / 3;
        let mut next_round = tokio::time::Instant::now() + tick;
        let mut renewed = tokio::time::Instant::now();
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(next_round) => {
                    // Bounded: a round that hangs must not outlive the leases it renews.
                    match tokio::time::timeout(tick, self.run_once(&state)).await {
                        Ok(Ok(_)) => renewed = tokio::time::Instant::now(),
                        Ok(Err(error)) => tracing::error!(%error, "sharing the mailboxes failed; trying again"),
                        Err(_) => tracing::error!("a round of sharing the mailboxes took too long; trying again"),
                    }
                    // Leases not renewed for two thirds of their term may go to another
                    // process soon: this one lets go of the mailboxes first.
                    if renewed.elapsed() > term * 2 / 3 {
                        let ours: Vec<i64> = self.tasks_guard().keys().copied().collect();
                        if !ours.is_empty() {
                            tracing::warn!(accounts = ?ours, "mailbox leases could not be renewed; stopping their sync");
                            self.stop_and_wait(&ours).await;
                        }
                    }
                    next_round = tokio::time::Instant::now() + tick;
                }
                event = events.recv() => match event {
                    Ok(DomainEvent::InboundAccountCommand { account_id, command, .. }) => {
                        let ours = self.tasks_guard().contains_key(&account_id);
                        match command {
                            // The next round records the settings' new version.
                            InboundCommand::Restart if ours => self.restart(&state, account_id, None),
                            // A new or reactivated account: whoever is under their share takes it.
                            InboundCommand::Restart => next_round = tokio::time::Instant::now(),
                            InboundCommand::Stop if ours => {
                                self.stop_and_wait(&[account_id]).await;
                                if let Err(error) = sharing::release(&state, &[account_id]).await {
                                    tracing::warn!(%error, account_id, "giving up a deleted mailbox failed");
                                }
                            }
                            InboundCommand::Wake => self.wake(account_id),
                            InboundCommand::FetchSince(since) if ours => {
                                let state = state.clone();
                                tokio::spawn(async move {
                                    if let Err(error) = sync::sync_account(&state, account_id, Some(since)).await {
                                        tracing::warn!(account_id, %error, "reading the mailbox again failed");
                                    }
                                });
                            }
                            InboundCommand::Stop | InboundCommand::FetchSince(_) => {}
                        }
                    }
                    Ok(_) => {}
                    // Commands may have been missed: every task of ours starts afresh.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let ours: Vec<i64> = self.tasks_guard().keys().copied().collect();
                        for account_id in ours {
                            self.restart(&state, account_id, None);
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }

    /// (Re)starts the account's task after its settings changed; a task finds an
    /// inactive or deleted account and ends by itself.
    fn restart(&self, state: &AppState, account_id: i64, version: Option<DateTime<Utc>>) {
        let wake = Arc::new(Notify::new());
        let handle = tokio::spawn(account_loop(state.clone(), account_id, Arc::clone(&wake)));
        let previous = self
            .tasks_guard()
            .insert(account_id, AccountTask { handle, wake, version });
        if let Some(previous) = previous {
            previous.handle.abort();
        }
    }

    /// Stops the accounts' tasks and waits (bounded) until they have dropped their
    /// connections.
    async fn stop_and_wait(&self, accounts: &[i64]) {
        let stopped: Vec<AccountTask> = {
            let mut tasks = self.tasks_guard();
            accounts.iter().filter_map(|account| tasks.remove(account)).collect()
        };
        for task in stopped {
            task.handle.abort();
            // An aborted task drops its connection when it is polled once more.
            let _ = tokio::time::timeout(STOP_WAIT, task.handle).await;
        }
    }

    /// Stops every task and gives their mailboxes up at once, so the other processes
    /// take them over without waiting for the leases to run out.
    pub async fn stop_all(&self, state: &AppState) {
        let coordinator = self.coordinator.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(coordinator) = coordinator {
            coordinator.abort();
            // A round in hand may still start a task; it is stopped below.
            let _ = tokio::time::timeout(STOP_WAIT, coordinator).await;
        }
        let ours: Vec<i64> = self.tasks_guard().keys().copied().collect();
        self.stop_and_wait(&ours).await;
        if state.config.mail_workers
            && let Err(error) = sharing::leave(state).await
        {
            tracing::warn!(%error, "giving up the mailboxes at shutdown failed; others take them over later");
        }
    }

    /// Ends a backoff or an IDLE early, e.g. after "sync now".
    fn wake(&self, account_id: i64) {
        if let Some(task) = self.tasks_guard().get(&account_id) {
            task.wake.notify_one();
        }
    }

    fn tasks_guard(&self) -> std::sync::MutexGuard<'_, HashMap<i64, AccountTask>> {
        // A panic elsewhere while holding the lock leaves a usable map.
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One sync of one account on a fresh connection (what "sync now" runs).
pub async fn run_once(state: &AppState, account_id: i64, since: Option<NaiveDate>) -> Result<SyncReport, SyncError> {
    sync::sync_account(state, account_id, since).await
}

async fn account_loop(state: AppState, account_id: i64, wake: Arc<Notify>) {
    let mut failures: u32 = 0;
    loop {
        let account = match inbound_account::Entity::find_by_id(account_id).one(&state.db).await {
            Ok(Some(account)) if account.active => account,
            Ok(_) => return,
            Err(error) => {
                tracing::error!(account_id, %error, "cannot load inbound account");
                failures += 1;
                backoff(&state, &wake, failures).await;
                continue;
            }
        };
        let Some(error) = sync::watch(&state, &account, &wake, &mut failures).await else {
            // The OAuth token's lifetime ended the session; sign in again with a fresh one.
            continue;
        };
        tracing::warn!(account_id, %error, "inbound sync failed");
        if let Err(status_error) = inbound_accounts::record_status(&state, account_id, error.status()).await {
            tracing::error!(account_id, error = %status_error, "cannot record inbound account status");
        }
        failures += 1;
        backoff(&state, &wake, failures).await;
    }
}

async fn backoff(state: &AppState, wake: &Notify, failures: u32) {
    let longest = Duration::from_secs(state.config.mail_retry_max_seconds.max(1));
    let delay = Duration::from_secs(1u64 << failures.min(9)).min(longest);
    tokio::select! {
        _ = tokio::time::sleep(delay) => {}
        _ = wake.notified() => {}
    }
}
