//! Claims on stored files in an S3 store. An object store has no atomic rename, so the
//! sweep cannot set a file aside and look again as it does on disk: a process about to
//! store a file claims its hash here first, and the sweep removes a file only while it
//! holds that hash's row with a claim older than the grace period.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000014_blob_claims"
    }
}

#[derive(DeriveIden)]
enum BlobClaim {
    Table,
    Sha256,
    ClaimedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BlobClaim::Table)
                    .col(string(BlobClaim::Sha256).primary_key())
                    .col(timestamp_with_time_zone(BlobClaim::ClaimedAt))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(BlobClaim::Table).take()).await
    }
}
