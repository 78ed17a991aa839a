//! A lapsed OAuth grant owes the admins a notice: set with the lapse, cleared by the
//! one process that queues the notice, so a crash in between still sends it (on the
//! next start) and several processes send it once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000011_oauth_lapse_notice"
    }
}

#[derive(DeriveIden)]
enum OauthAccount {
    Table,
    LapseNoticeDue,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OauthAccount::Table)
                    .add_column(boolean(OauthAccount::LapseNoticeDue).default(false))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OauthAccount::Table)
                    .drop_column(OauthAccount::LapseNoticeDue)
                    .take(),
            )
            .await
    }
}
