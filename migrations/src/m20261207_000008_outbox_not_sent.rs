//! Mail the built-in channel wrote to the drop folder (no relay configured) was
//! recorded as sent. It never reached a mail server: it gets its own status, so it no
//! longer counts as a contact. `down` folds it back into "sent".

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000008_outbox_not_sent"
    }
}

#[derive(DeriveIden)]
enum OutboxMessage {
    Table,
    Status,
    Channel,
    SentAt,
    UpdatedAt,
}

fn set_status(from: &str, to: &str, sent_at: Expr) -> UpdateStatement {
    Query::update()
        .table(OutboxMessage::Table)
        .value(OutboxMessage::Status, to)
        .value(OutboxMessage::SentAt, sent_at)
        .and_where(Expr::col(OutboxMessage::Status).eq(from))
        .and_where(Expr::col(OutboxMessage::Channel).eq("drop_folder"))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A literal NULL: a bound NULL would be text, which PostgreSQL refuses for a timestamp.
        manager
            .exec_stmt(set_status("sent", "not_sent", Expr::cust("NULL")))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(set_status("not_sent", "sent", Expr::col(OutboxMessage::UpdatedAt)))
            .await
    }
}
