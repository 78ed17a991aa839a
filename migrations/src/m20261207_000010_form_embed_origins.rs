//! Which career sites may frame the organisation's public application form: the form
//! page's `frame-ancestors`. NULL keeps the old behaviour, any site.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000010_form_embed_origins"
    }
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    FormEmbedOrigins,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organisation::Table)
                    .add_column(text_null(Organisation::FormEmbedOrigins))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organisation::Table)
                    .drop_column(Organisation::FormEmbedOrigins)
                    .take(),
            )
            .await
    }
}
