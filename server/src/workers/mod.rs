//! Background work. Every worker has a `run_once` that both its loop and the tests call.

pub mod blob_sweep;
pub mod inbound_sync;
pub mod nurturing;
pub mod outbox;
pub mod reactions;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::signals::WakeSignal;

/// The controls of a worker's background loop, shared by its clones: wake it, ask it
/// to stop, and wait (bounded) for the round in hand to finish.
#[derive(Clone, Default)]
pub struct LoopControl {
    wake: WakeSignal,
    stopping: Arc<AtomicBool>,
    handle: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl LoopControl {
    /// A loop that services wake through `wake` (a handle in the app state's signals).
    pub fn waking_on(wake: WakeSignal) -> Self {
        Self {
            wake,
            ..Self::default()
        }
    }

    /// Resolves when the loop is woken (its sleep races this).
    pub async fn woken(&self) {
        self.wake.woken().await;
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Runs the loop, replacing (and aborting) one started before.
    pub fn spawn(&self, run: impl std::future::Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(run);
        if let Some(previous) = self
            .handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(handle)
        {
            previous.abort();
        }
    }

    /// Asks the loop to stop and waits up to `drain` for it; then aborts it.
    pub async fn stop(&self, drain: Duration) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.wake();
        let handle = self.handle.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(mut handle) = handle
            && tokio::time::timeout(drain, &mut handle).await.is_err()
        {
            handle.abort();
        }
    }
}
