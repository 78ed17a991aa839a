//! Database connection and schema. SQLite is the embedded default, PostgreSQL the
//! production store; both run the same migrations.

pub mod entities;

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use talentpost_migrations::{Migrator, MigratorTrait};

pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite") { 8 } else { 16 })
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // Set on every pooled connection (a PRAGMA run once would reach only one).
        // WAL lets the API read while a worker writes; NORMAL syncs at checkpoints,
        // which in WAL mode keeps the database consistent through crashes and costs
        // only the last transactions on power loss (mail is then fetched again);
        // busy_timeout turns brief lock contention into a wait instead of an error.
        .map_sqlx_sqlite_opts(|sqlite| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}
