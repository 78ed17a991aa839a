//! The handles through which requests nudge the background work of this process
//! without knowing the workers: the workers (`crate::workers`) own their tasks and
//! listen here; services only signal. None of these carry data between processes (the
//! event bus does that).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Notify, mpsc};

/// Everything `AppState` signals with, cloned cheaply.
#[derive(Clone)]
pub struct Signals {
    pub inbound: InboundSignals,
    /// Makes the nurturing scheduler look again now (a job was saved, the test clock moved).
    pub nurturing: WakeSignal,
    /// Set once when the server shuts down: rounds in hand stop claiming new work.
    pub shutdown: ShutdownSignal,
    /// Names this process in the claims it writes (nurturing runs), so another process
    /// can tell its own claims from ours.
    pub instance: Arc<str>,
}

impl Default for Signals {
    fn default() -> Self {
        Self {
            inbound: InboundSignals::default(),
            nurturing: WakeSignal::default(),
            shutdown: ShutdownSignal::default(),
            instance: format!("{}-{:08x}", std::process::id(), rand::random::<u32>()).into(),
        }
    }
}

/// A wake-up for one background loop.
#[derive(Clone, Default)]
pub struct WakeSignal(Arc<Notify>);

impl WakeSignal {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    /// Resolves at the next `wake` (or at once if one came while nobody waited).
    pub async fn woken(&self) {
        self.0.notified().await;
    }
}

#[derive(Clone, Default)]
pub struct ShutdownSignal(Arc<AtomicBool>);

impl ShutdownSignal {
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What the inbound sync tasks are asked to do about one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboundCommand {
    /// Its settings changed (or it was created): start its task afresh.
    Restart(i64),
    /// It was deleted: end its task.
    Stop(i64),
    /// End a backoff or an IDLE early ("sync now").
    Wake(i64),
}

/// The inbound sync tasks' mailbox, and one sync lock per account so that "sync now"
/// and the account's task never sync the same folder at once.
#[derive(Clone, Default)]
pub struct InboundSignals {
    /// Set while the workers listen (`listen`); without them commands have no one to
    /// reach and are dropped: the workers start every active account when they start.
    commands: Arc<Mutex<Option<mpsc::UnboundedSender<InboundCommand>>>>,
    sync_locks: KeyedLocks,
}

impl InboundSignals {
    pub fn restart(&self, account_id: i64) {
        self.send(InboundCommand::Restart(account_id));
    }

    pub fn stop(&self, account_id: i64) {
        self.send(InboundCommand::Stop(account_id));
    }

    pub fn wake(&self, account_id: i64) {
        self.send(InboundCommand::Wake(account_id));
    }

    /// For the inbound workers: the commands from now on (replacing an earlier listener).
    pub fn listen(&self) -> mpsc::UnboundedReceiver<InboundCommand> {
        let (sender, receiver) = mpsc::unbounded_channel();
        *self.commands.lock().unwrap_or_else(PoisonError::into_inner) = Some(sender);
        receiver
    }

    pub fn sync_lock(&self, account_id: i64) -> Arc<tokio::sync::Mutex<()>> {
        self.sync_locks.lock_for(account_id)
    }

    fn send(&self, command: InboundCommand) {
        let commands = self.commands.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = commands.as_ref() {
            // A closed channel means the workers stopped: nothing left to tell.
            let _ = sender.send(command);
        }
    }
}

/// One async lock per id (an account, a connection), created on first use.
#[derive(Clone, Default)]
pub struct KeyedLocks(Arc<Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>);

impl KeyedLocks {
    pub fn lock_for(&self, id: i64) -> Arc<tokio::sync::Mutex<()>> {
        // A panic elsewhere while holding the map leaves it usable.
        let mut locks = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(id).or_default())
    }
}
