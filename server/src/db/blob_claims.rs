//! Claims on the files of an S3 store (see the `blob_claim` migration for why).
//!
//! A process claims a hash, committed, before it looks whether the object is there and
//! writes it; the sweep removes an object only inside a transaction that holds the
//! hash's row with an old claim, and deletes the row with it. So a claim made while
//! the sweep removes the object waits for the sweep's commit and then finds the
//! object gone and writes it again; a claim made before makes the sweep keep it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::db::entities::blob_claim;

/// Claims `sha256` as stored `now`; waits while a sweep holds its row.
pub async fn claim(db: &impl ConnectionTrait, sha256: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    blob_claim::Entity::insert(blob_claim::ActiveModel {
        sha256: Set(sha256.to_owned()),
        claimed_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(blob_claim::Column::Sha256)
            .update_column(blob_claim::Column::ClaimedAt)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Inside the sweep's transaction: takes the row of `sha256` unless it was claimed at or
/// after `cutoff`. True when the object may go; the row is then held (and deleted) until
/// the transaction ends. An object nobody ever claimed (copied into the bucket by hand)
/// gets a row first, so a claim arriving meanwhile waits for this transaction too.
pub async fn take_unless_claimed_since(
    txn: &impl ConnectionTrait,
    sha256: &str,
    cutoff: DateTime<Utc>,
) -> Result<bool, DbErr> {
    blob_claim::Entity::insert(blob_claim::ActiveModel {
        sha256: Set(sha256.to_owned()),
        claimed_at: Set(DateTime::<Utc>::UNIX_EPOCH),
    })
    .on_conflict(OnConflict::column(blob_claim::Column::Sha256).do_nothing().to_owned())
    .exec_without_returning(txn)
    .await?;
    let taken = blob_claim::Entity::delete_many()
        .filter(blob_claim::Column::Sha256.eq(sha256))
        .filter(blob_claim::Column::ClaimedAt.lt(cutoff))
        .exec(txn)
        .await?;
    Ok(taken.rows_affected == 1)
}
