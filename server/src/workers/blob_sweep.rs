//! The periodic blob sweep. With several processes on one database, the process holding
//! the `blob-sweep` lease sweeps; the lease lasts two intervals, so another process takes
//! over when the holder has been gone that long.

use std::time::Duration;

use crate::error::ServiceResult;
use crate::services::operations::sweep::{self, SWEEP_LEASE, SweepReport};
use crate::state::AppState;
use crate::workers::LoopControl;

/// After a failed round (a busy database, a full disk).
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(60);

#[derive(Clone, Default)]
pub struct BlobSweepWorker {
    control: LoopControl,
}

impl BlobSweepWorker {
    pub fn start(state: &AppState) -> Self {
        let worker = Self::default();
        if state.config.blob_sweep_interval_seconds > 0 {
            worker.control.spawn(run_loop(state.clone(), worker.clone()));
        }
        worker
    }

    /// Stops the loop and gives the lease up, so another process need not wait for it.
    pub async fn stop(&self, state: &AppState) {
        self.control.stop(Duration::from_secs(10)).await;
        if let Err(error) = crate::db::leases::release(&state.db, SWEEP_LEASE, &state.signals.instance).await {
            tracing::warn!(error = %error, "releasing the blob sweep lease failed");
        }
    }
}

/// Sweeps when this process holds (or can take) the lease; `None` when another does.
pub async fn run_once(state: &AppState) -> ServiceResult<Option<SweepReport>> {
    let interval = Duration::from_secs(state.config.blob_sweep_interval_seconds.max(1));
    let term = chrono::Duration::from_std(interval * 2).unwrap_or(chrono::Duration::hours(2));
    let now = crate::db::leases::now(&state.db).await?;
    if !crate::db::leases::acquire(&state.db, SWEEP_LEASE, &state.signals.instance, now, term).await? {
        return Ok(None);
    }
    let grace = Duration::from_secs(state.config.blob_sweep_grace_seconds);
    sweep::sweep(state, grace).await.map(Some)
}

async fn run_loop(state: AppState, worker: BlobSweepWorker) {
    let interval = Duration::from_secs(state.config.blob_sweep_interval_seconds);
    while !worker.control.is_stopping() {
        let pause = match run_once(&state).await {
            Ok(Some(report)) => {
                if report.removed > 0 || report.leftovers > 0 {
                    tracing::info!(?report, "blob sweep");
                }
                interval
            }
            Ok(None) => interval,
            Err(error) => {
                tracing::error!(error = %error, "blob sweep failed");
                RETRY_AFTER_ERROR.min(interval)
            }
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = worker.control.woken() => {}
        }
    }
}
