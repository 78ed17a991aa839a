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
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    if url.starts_with("sqlite") {
        // WAL lets the API read while a worker writes; busy_timeout turns brief lock
        // contention into a wait instead of an error.
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;")
            .await?;
    }
    Migrator::up(&db, None).await?;
    Ok(db)
}
