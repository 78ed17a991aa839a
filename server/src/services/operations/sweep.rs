//! The blob sweep: deletes stored files nothing in the database refers to any more (a
//! minimised candidate's CV, the raw mails of deleted items), so a deletion in the
//! database reaches the disk too. A file shared with a live record stays.
//!
//! Safe against a concurrent ingest: an ingest stores its files before it commits the
//! rows that refer to them, so a file stored (or stored again, which refreshes it)
//! within the grace period is left alone even when nothing refers to it yet.

use std::time::{Duration, SystemTime};

use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use crate::storage::Removal;

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Files in the store when the sweep began.
    pub stored: usize,
    /// Files something in the database refers to.
    pub referenced: usize,
    pub removed: usize,
    pub removed_bytes: u64,
    /// Unreferenced, but stored within the grace period (an ingest may be on its way).
    pub kept_recent: usize,
    /// Stored again while the sweep ran: kept.
    pub stored_again: usize,
    /// Pieces of crashed writes removed (and files an interrupted sweep had set aside,
    /// put back).
    pub leftovers: usize,
}

/// Lease name: one process of several sweeps.
pub const SWEEP_LEASE: &str = "blob-sweep";

pub async fn sweep(state: &AppState, grace: Duration) -> ServiceResult<SweepReport> {
    // The cutoff comes from before the references are read: rows committed after that
    // read belong to an ingest that stored its files less than `grace` before it.
    let cutoff = SystemTime::now().checked_sub(grace).unwrap_or(SystemTime::UNIX_EPOCH);
    let references = super::verify::stored_file_references(&state.db).await?;
    let blobs = state.blobs.clone();
    tokio::task::spawn_blocking(move || {
        let files = blobs.list_blocking()?;
        let mut report = SweepReport {
            stored: files.len(),
            ..SweepReport::default()
        };
        for file in files {
            if references.contains_key(&file.sha256) {
                report.referenced += 1;
            } else if file.stored_at > cutoff {
                report.kept_recent += 1;
            } else {
                match blobs.remove_unless_stored_since(&file.sha256, cutoff)? {
                    Removal::Removed { bytes } => {
                        report.removed += 1;
                        report.removed_bytes += bytes;
                    }
                    Removal::StoredAgain => report.stored_again += 1,
                    Removal::Gone => {}
                }
            }
        }
        report.leftovers = blobs.remove_leftovers_before(cutoff)?;
        Ok::<_, std::io::Error>(report)
    })
    .await
    .map_err(|error| ServiceError::Internal(format!("sweep task: {error}")))?
    .map_err(ServiceError::from)
}
