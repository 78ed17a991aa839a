//! Named leases in the database: work that one process of several does at a time. A
//! lease is held until it runs out; its holder renews it while working, and another
//! process takes it over once it has run out (its holder died or hangs).
//!
//! Times come from the database's clock (`now`), so processes on machines whose clocks
//! drift apart still agree on when a lease runs out.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter,
    Statement,
};

use crate::db::entities::lease;

/// The database's time: PostgreSQL's clock, shared by every process on it. SQLite serves
/// one process, whose own clock is the only one.
pub async fn now(db: &impl ConnectionTrait) -> Result<DateTime<Utc>, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(Utc::now());
    }
    let row = db
        .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, "SELECT now() AS now"))
        .await?
        .ok_or_else(|| DbErr::Custom("the database told no time".to_owned()))?;
    row.try_get::<DateTime<Utc>>("", "now")
}

/// Takes the lease `name` for `owner` for `term`, or renews it when `owner` holds it;
/// `now` is the database's time (`now`). True when `owner` holds it now; false when
/// another process does.
pub async fn acquire(
    db: &impl ConnectionTrait,
    name: &str,
    owner: &str,
    now: DateTime<Utc>,
    term: Duration,
) -> Result<bool, DbErr> {
    // One conditional update: renew our own, or take over one that has run out.
    let taken = lease::Entity::update_many()
        .col_expr(lease::Column::Owner, Expr::value(owner))
        .col_expr(lease::Column::ExpiresAt, Expr::value(now + term))
        .filter(lease::Column::Name.eq(name))
        .filter(
            Condition::any()
                .add(lease::Column::Owner.eq(owner))
                .add(lease::Column::ExpiresAt.lt(now)),
        )
        .exec(db)
        .await?;
    if taken.rows_affected == 1 {
        return Ok(true);
    }
    // No row yet (or a live one of another owner): the first insert wins.
    let inserted = lease::Entity::insert(lease::ActiveModel {
        name: Set(name.to_owned()),
        owner: Set(owner.to_owned()),
        expires_at: Set(now + term),
    })
    .on_conflict(OnConflict::column(lease::Column::Name).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}

/// Gives the lease up, so another process need not wait for it to run out.
pub async fn release(db: &impl ConnectionTrait, name: &str, owner: &str) -> Result<(), DbErr> {
    lease::Entity::delete_many()
        .filter(lease::Column::Name.eq(name))
        .filter(lease::Column::Owner.eq(owner))
        .exec(db)
        .await?;
    Ok(())
}

/// The leases whose names start with `prefix`, held or run out.
pub async fn with_prefix(db: &impl ConnectionTrait, prefix: &str) -> Result<Vec<lease::Model>, DbErr> {
    lease::Entity::find()
        .filter(lease::Column::Name.starts_with(prefix))
        .all(db)
        .await
}

/// The lease `name` as it stands (held or run out), if any.
pub async fn get(db: &impl ConnectionTrait, name: &str) -> Result<Option<lease::Model>, DbErr> {
    lease::Entity::find_by_id(name.to_owned()).one(db).await
}

/// Gives up every lease of `owner` whose name starts with `prefix` (shutdown).
pub async fn release_all(db: &impl ConnectionTrait, prefix: &str, owner: &str) -> Result<(), DbErr> {
    lease::Entity::delete_many()
        .filter(lease::Column::Name.starts_with(prefix))
        .filter(lease::Column::Owner.eq(owner))
        .exec(db)
        .await?;
    Ok(())
}
