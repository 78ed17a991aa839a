//! Database connection and schema. SQLite is the embedded default, PostgreSQL the
//! production store; both run the same migrations.

pub mod blob_claims;
pub mod entities;
pub mod leases;
pub mod tenancy;

use std::time::Duration;

use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use talentpost_migrations::{MigrationStatus, Migrator, MigratorTrait};

pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite") { 8 } else { 16 })
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // Set on every pooled connection (a PRAGMA run once would reach only one).
        // WAL lets the API read while a worker writes; synchronous stays FULL, because
        // a forwarded mail is acknowledged to its MTA once committed and must survive
        // a power loss; busy_timeout turns brief lock contention into a wait.
        .map_sqlx_sqlite_opts(|sqlite| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// Starts a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`, waiting up to the busy timeout): a deferred transaction that
/// reads first and writes later fails at once with SQLITE_BUSY when another connection
/// committed in between, instead of waiting. PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Why the database keeps this process from being ready (`/readyz`).
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("the database does not answer")]
    Unreachable(#[source] DbErr),
    /// Another process (an older or newer release) changed the schema: this binary
    /// would read or write it wrongly.
    #[error("the database schema is not this release's ({0})")]
    SchemaDiffers(String),
}

/// Whether the database answers and its schema is exactly this release's migrations.
/// Reads only: it never creates or changes a table.
pub async fn readiness(db: &DatabaseConnection) -> Result<(), NotReady> {
    db.ping().await.map_err(NotReady::Unreachable)?;
    // A migration applied by another release but unknown here is an error of this call.
    let migrations = Migrator::get_migration_with_status_read_only(db)
        .await
        .map_err(|error| NotReady::SchemaDiffers(error.to_string()))?;
    let pending: Vec<&str> = migrations
        .iter()
        .filter(|migration| migration.status() == MigrationStatus::Pending)
        .map(|migration| migration.name())
        .collect();
    if pending.is_empty() {
        Ok(())
    } else {
        Err(NotReady::SchemaDiffers(format!("not applied: {}", pending.join(", "))))
    }
}
