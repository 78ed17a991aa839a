//! The handles through which requests nudge the background work of this process
//! without knowing the workers: the workers (`crate::workers`) own their tasks and
//! listen here; services only signal. None of these carry data between processes (the
//! event bus does that).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

/// Everything `AppState` signals with, cloned cheaply.
#[derive(Clone)]
pub struct Signals {
    pub inbound: InboundSignals,
    /// Makes the nurturing scheduler look again now (a job was saved, the test clock moved).
    pub nurturing: WakeSignal,
    /// Set once when the server shuts down: rounds in hand stop claiming new work.
    pub shutdown: ShutdownSignal,
    /// Names this process (`host-pid-random`) in the claims and leases it writes, so
    /// another process can tell its own from ours, and an admin can tell the processes
    /// apart.
    pub instance: Arc<str>,
}

impl Default for Signals {
    fn default() -> Self {
        Self {
            inbound: InboundSignals::default(),
            nurturing: WakeSignal::default(),
            shutdown: ShutdownSignal::default(),
            // 64 random bits: in containers the pid (1) and the host name can repeat.
            instance: format!("{}-{}-{:016x}", host_name(), std::process::id(), rand::random::<u64>()).into(),
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

/// One sync lock per inbound account, so that "sync now" and the account's task in this
/// process never sync the same folder at once. (What the sync of an account should do
/// travels as `DomainEvent::InboundAccountCommand`, to whichever process syncs it.)
#[derive(Clone, Default)]
pub struct InboundSignals {
    sync_locks: KeyedLocks,
}

impl InboundSignals {
    pub fn sync_lock(&self, account_id: i64) -> Arc<tokio::sync::Mutex<()>> {
        self.sync_locks.lock_for(account_id)
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

/// This machine's name, as the kernel knows it (what `hostname` prints).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}
