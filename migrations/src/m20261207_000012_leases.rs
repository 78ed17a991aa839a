//! Named leases: work that one process of several should do at a time (the blob sweep
//! now, each mailbox's sync next) is owned by whoever holds the lease, until it runs out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000012_leases"
    }
}

#[derive(DeriveIden)]
enum Lease {
    Table,
    Name,
    Owner,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Lease::Table)
                    .col(string(Lease::Name).primary_key())
                    .col(string(Lease::Owner))
                    .col(timestamp_with_time_zone(Lease::ExpiresAt))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Lease::Table).take()).await
    }
}
