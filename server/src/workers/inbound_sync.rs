//! The inbound mail sync tasks: one per active account, each with its own connection,
//! so one failing account never holds up the others. What a task does with its
//! connection is `services::mail_in::sync`; this module starts, restarts and stops the
//! tasks as services signal (`state.signals.inbound`) and backs off after failures.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use crate::db::entities::inbound_account;
use crate::error::ServiceError;
use crate::services::accounts::inbound_accounts;
use crate::services::mail_in::sync::{self, SyncError, SyncReport};
use crate::signals::InboundCommand;
use crate::state::AppState;

struct AccountTask {
    handle: JoinHandle<()>,
    wake: Arc<Notify>,
}

/// The running sync tasks of this process, one per active account.
#[derive(Clone, Default)]
pub struct InboundWorkers {
    tasks: Arc<Mutex<HashMap<i64, AccountTask>>>,
    /// Applies the services' commands (`state.signals.inbound`) to the tasks.
    listener: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl InboundWorkers {
    /// Starts a task for every active account, then follows the services' commands.
    pub async fn start(&self, state: &AppState) -> Result<(), ServiceError> {
        if !state.config.mail_workers {
            return Ok(());
        }
        // Listening first: an account saved while the others are read is restarted by
        // its command instead of being missed.
        let commands = state.signals.inbound.listen();
        let accounts = inbound_account::Entity::find()
            .filter(inbound_account::Column::Active.eq(true))
            .all(&state.db)
            .await?;
        for account in accounts {
            self.restart(state, account.id);
        }
        let listener = tokio::spawn(self.clone().follow(state.clone(), commands));
        if let Some(previous) = self
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(listener)
        {
            previous.abort();
        }
        Ok(())
    }

    async fn follow(self, state: AppState, mut commands: mpsc::UnboundedReceiver<InboundCommand>) {
        while let Some(command) = commands.recv().await {
            match command {
                InboundCommand::Restart(account_id) => self.restart(&state, account_id),
                InboundCommand::Stop(account_id) => self.stop(account_id),
                InboundCommand::Wake(account_id) => self.wake(account_id),
            }
        }
    }

    /// (Re)starts the account's task after its settings changed; a task finds an
    /// inactive or deleted account and ends by itself.
    fn restart(&self, state: &AppState, account_id: i64) {
        let wake = Arc::new(Notify::new());
        let handle = tokio::spawn(account_loop(state.clone(), account_id, Arc::clone(&wake)));
        let previous = self.tasks_guard().insert(account_id, AccountTask { handle, wake });
        if let Some(previous) = previous {
            previous.handle.abort();
        }
    }

    fn stop(&self, account_id: i64) {
        if let Some(task) = self.tasks_guard().remove(&account_id) {
            task.handle.abort();
        }
    }

    pub fn stop_all(&self) {
        if let Some(listener) = self.listener.lock().unwrap_or_else(PoisonError::into_inner).take() {
            listener.abort();
        }
        for (_, task) in self.tasks_guard().drain() {
            task.handle.abort();
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
