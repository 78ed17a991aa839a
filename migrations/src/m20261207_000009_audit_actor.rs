//! The audit log answers "who did what": the API token an entry was made with (next
//! to its user), and indexes for the log's filters by user and by kind of record.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::support::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000009_audit_actor"
    }
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    ActorApiTokenId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign key: SQLite cannot add one to an existing table, and tokens are
        // revoked, never deleted, so the id keeps naming its token.
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .add_column(big_integer_null(AuditLog::ActorApiTokenId))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_audit_log_actor",
                AuditLog::Table,
                &["organisation_id", "actor_user_id", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_audit_log_subject",
                AuditLog::Table,
                &["organisation_id", "subject_type", "id"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_audit_log_subject")
                    .table(AuditLog::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_audit_log_actor")
                    .table(AuditLog::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .drop_column(AuditLog::ActorApiTokenId)
                    .take(),
            )
            .await?;
        Ok(())
    }
}
