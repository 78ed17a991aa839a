//! The server processes on one database, with their heartbeats: processes share the
//! mailboxes among those alive (each syncs about its fair share, by lease), and admins
//! see which process syncs which mailbox.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000013_server_processes"
    }
}

#[derive(DeriveIden)]
enum ServerProcess {
    Table,
    Id,
    Host,
    StartedAt,
    LastSeenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServerProcess::Table)
                    .col(string(ServerProcess::Id).primary_key())
                    .col(string(ServerProcess::Host))
                    .col(timestamp_with_time_zone(ServerProcess::StartedAt))
                    .col(timestamp_with_time_zone(ServerProcess::LastSeenAt))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServerProcess::Table).take())
            .await
    }
}
