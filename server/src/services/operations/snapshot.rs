//! The installation's state as `/metrics` reports it, read from the database and the
//! file store at each scrape (every process reports the same, which a dashboard sums or
//! takes one of; the event counters are per process).

use chrono::Utc;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QuerySelect};
use talentpost_shared::OutboxStatus;

use crate::db::entities::{inbound_account, nurturing_entry, outbox_message};
use crate::db::tenancy::any_organisation;
use crate::error::{ServiceError, ServiceResult};
use crate::metrics::Snapshot;
use crate::state::AppState;

/// How long the file store's size may be old: counting means listing every file.
const BLOB_STATS_FRESH: std::time::Duration = std::time::Duration::from_secs(60);

pub async fn read(state: &AppState) -> ServiceResult<Snapshot> {
    let now = Utc::now();
    let inbound_accounts: Vec<(String, i64)> = any_organisation::<inbound_account::Entity>()
        .select_only()
        .column(inbound_account::Column::Status)
        .column_as(Expr::expr(Func::count(Expr::col(inbound_account::Column::Id))), "n")
        .group_by(inbound_account::Column::Status)
        .into_tuple()
        .all(&state.db)
        .await?;
    let active: Vec<(i64, i64, i64, Option<chrono::DateTime<Utc>>)> = any_organisation::<inbound_account::Entity>()
        .select_only()
        .column(inbound_account::Column::Id)
        .column(inbound_account::Column::SyncTotal)
        .column(inbound_account::Column::SyncDone)
        .column(inbound_account::Column::LastSuccessAt)
        .filter(inbound_account::Column::Active.eq(true))
        .into_tuple()
        .all(&state.db)
        .await?;
    let inbound_sync = active
        .into_iter()
        .map(|(id, total, done, last_success)| {
            let age = last_success.map(|at| (now - at).num_milliseconds().max(0) as f64 / 1000.0);
            (id, (total - done).max(0), age)
        })
        .collect();
    let outbox: Vec<(String, i64)> = any_organisation::<outbox_message::Entity>()
        .select_only()
        .column(outbox_message::Column::Status)
        .column_as(Expr::expr(Func::count(Expr::col(outbox_message::Column::Id))), "n")
        .group_by(outbox_message::Column::Status)
        .into_tuple()
        .all(&state.db)
        .await?;
    let oldest_queued: Option<chrono::DateTime<Utc>> = any_organisation::<outbox_message::Entity>()
        .select_only()
        .column_as(
            Expr::expr(Func::min(Expr::col(outbox_message::Column::CreatedAt))),
            "oldest",
        )
        .filter(outbox_message::Column::Status.is_in([OutboxStatus::Queued, OutboxStatus::Retrying]))
        .into_tuple::<Option<chrono::DateTime<Utc>>>()
        .one(&state.db)
        .await?
        .flatten();
    let nurturing_entries: Vec<(String, i64)> = any_organisation::<nurturing_entry::Entity>()
        .select_only()
        .column(nurturing_entry::Column::State)
        .column_as(Expr::expr(Func::count(Expr::col(nurturing_entry::Column::Id))), "n")
        .group_by(nurturing_entry::Column::State)
        .into_tuple()
        .all(&state.db)
        .await?;
    let (pool_in_use, pool_idle) = pool_connections(&state.db);
    let (blob_files, blob_bytes) = match state.metrics.blob_stats_within(BLOB_STATS_FRESH) {
        Some(stats) => stats,
        None => {
            let blobs = state.blobs.clone();
            let files = tokio::task::spawn_blocking(move || blobs.list_blocking())
                .await
                .map_err(|error| ServiceError::Internal(format!("file store task: {error}")))??;
            let files_count = i64::try_from(files.len()).unwrap_or(i64::MAX);
            let bytes = i64::try_from(files.iter().map(|file| file.size).sum::<u64>()).unwrap_or(i64::MAX);
            state.metrics.blob_stats_counted(files_count, bytes);
            (files_count, bytes)
        }
    };
    Ok(Snapshot {
        inbound_accounts,
        inbound_sync,
        outbox,
        oldest_queued_seconds: oldest_queued.map_or(0.0, |at| (now - at).num_milliseconds().max(0) as f64 / 1000.0),
        nurturing_entries,
        pool_in_use,
        pool_idle,
        blob_files,
        blob_bytes,
    })
}

/// (in use, idle) connections of this process's pool.
fn pool_connections(db: &DatabaseConnection) -> (i64, i64) {
    let (size, idle) = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    let idle = i64::try_from(idle).unwrap_or(i64::MAX);
    (i64::from(size) - idle, idle)
}
