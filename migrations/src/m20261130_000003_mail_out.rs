//! Mail out: outgoing SMTP accounts, the sender of each legal entity, the threads our
//! mail opens, and the transactional outbox. The finished message is stored in the
//! outbox row itself, so queueing it commits together with the action that caused it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::support::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum LegalEntity {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Candidate {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CandidateEmail {
    Table,
    BouncedAt,
    BounceReason,
}

#[derive(DeriveIden)]
enum Application {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ContactEvent {
    Table,
    Id,
    Subject,
}

#[derive(DeriveIden)]
enum OutboundAccount {
    Table,
    Id,
    OrganisationId,
    LegalEntityId,
    Label,
    IsSystemDefault,
    Host,
    Port,
    Security,
    AllowPlaintext,
    AcceptInvalidCerts,
    Username,
    PasswordSecret,
    SignatureHtml,
    SignatureText,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SenderIdentity {
    Table,
    Id,
    OrganisationId,
    LegalEntityId,
    SenderAddress,
    SenderNameMode,
    SenderName,
    Channel,
    OutboundAccountId,
    ThreadReplyAddresses,
    UpdatedByUserId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MailThread {
    Table,
    Id,
    OrganisationId,
    CandidateId,
    ApplicationId,
    Token,
    Subject,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OutboxMessage {
    Table,
    Id,
    OrganisationId,
    LegalEntityId,
    CandidateId,
    ApplicationId,
    ThreadId,
    ContactEventId,
    CreatedByUserId,
    Purpose,
    Channel,
    OutboundAccountId,
    FromAddress,
    FromName,
    ToAddress,
    ReplyToAddress,
    Subject,
    BodyText,
    MessageId,
    RawMessage,
    SizeBytes,
    Status,
    Attempts,
    InterruptedAttempts,
    NextAttemptAt,
    LastAttemptAt,
    ClaimToken,
    ClaimedAt,
    LastProblem,
    LastReply,
    LastReplyCode,
    SentAt,
    FailedAt,
    BouncedAt,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};

        manager
            .create_table(
                Table::create()
                    .table(OutboundAccount::Table)
                    .col(big_pk_auto(OutboundAccount::Id))
                    .col(big_integer(OutboundAccount::OrganisationId))
                    .col(big_integer(OutboundAccount::LegalEntityId))
                    .col(string(OutboundAccount::Label))
                    .col(boolean(OutboundAccount::IsSystemDefault))
                    .col(string(OutboundAccount::Host))
                    .col(integer(OutboundAccount::Port))
                    .col(string(OutboundAccount::Security))
                    .col(boolean(OutboundAccount::AllowPlaintext))
                    .col(boolean(OutboundAccount::AcceptInvalidCerts))
                    .col(string_null(OutboundAccount::Username))
                    .col(text_null(OutboundAccount::PasswordSecret))
                    .col(text_null(OutboundAccount::SignatureHtml))
                    .col(text_null(OutboundAccount::SignatureText))
                    .col(timestamp_with_time_zone(OutboundAccount::CreatedAt))
                    .col(timestamp_with_time_zone(OutboundAccount::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_outbound_account_organisation",
                        (OutboundAccount::Table, OutboundAccount::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_outbound_account_legal_entity",
                        (OutboundAccount::Table, OutboundAccount::LegalEntityId),
                        (LegalEntity::Table, LegalEntity::Id),
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_outbound_account_organisation",
                OutboundAccount::Table,
                &["organisation_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SenderIdentity::Table)
                    .col(big_pk_auto(SenderIdentity::Id))
                    .col(big_integer(SenderIdentity::OrganisationId))
                    .col(big_integer(SenderIdentity::LegalEntityId))
                    .col(string(SenderIdentity::SenderAddress))
                    .col(string(SenderIdentity::SenderNameMode))
                    .col(string_null(SenderIdentity::SenderName))
                    .col(string(SenderIdentity::Channel))
                    .col(big_integer_null(SenderIdentity::OutboundAccountId))
                    .col(boolean(SenderIdentity::ThreadReplyAddresses))
                    .col(big_integer_null(SenderIdentity::UpdatedByUserId))
                    .col(timestamp_with_time_zone(SenderIdentity::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_sender_identity_organisation",
                        (SenderIdentity::Table, SenderIdentity::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_sender_identity_legal_entity",
                        (SenderIdentity::Table, SenderIdentity::LegalEntityId),
                        (LegalEntity::Table, LegalEntity::Id),
                        Cascade,
                    ))
                    // An account in use by a sender cannot be deleted; the service says which.
                    .foreign_key(&mut fk(
                        "fk_sender_identity_account",
                        (SenderIdentity::Table, SenderIdentity::OutboundAccountId),
                        (OutboundAccount::Table, OutboundAccount::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_sender_identity_user",
                        (SenderIdentity::Table, SenderIdentity::UpdatedByUserId),
                        (AppUser::Table, AppUser::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_sender_identity_entity", SenderIdentity::Table, &["legal_entity_id"])
                    .unique()
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MailThread::Table)
                    .col(big_pk_auto(MailThread::Id))
                    .col(big_integer(MailThread::OrganisationId))
                    .col(big_integer(MailThread::CandidateId))
                    .col(big_integer_null(MailThread::ApplicationId))
                    .col(string(MailThread::Token))
                    .col(text(MailThread::Subject))
                    .col(timestamp_with_time_zone(MailThread::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_mail_thread_organisation",
                        (MailThread::Table, MailThread::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_mail_thread_candidate",
                        (MailThread::Table, MailThread::CandidateId),
                        (Candidate::Table, Candidate::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_mail_thread_application",
                        (MailThread::Table, MailThread::ApplicationId),
                        (Application::Table, Application::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_mail_thread_token", MailThread::Table, &["token"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index("ix_mail_thread_candidate", MailThread::Table, &["candidate_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboxMessage::Table)
                    .col(big_pk_auto(OutboxMessage::Id))
                    .col(big_integer(OutboxMessage::OrganisationId))
                    .col(big_integer_null(OutboxMessage::LegalEntityId))
                    .col(big_integer_null(OutboxMessage::CandidateId))
                    .col(big_integer_null(OutboxMessage::ApplicationId))
                    .col(big_integer_null(OutboxMessage::ThreadId))
                    .col(big_integer_null(OutboxMessage::ContactEventId))
                    .col(big_integer_null(OutboxMessage::CreatedByUserId))
                    .col(string(OutboxMessage::Purpose))
                    .col(string(OutboxMessage::Channel))
                    .col(big_integer_null(OutboxMessage::OutboundAccountId))
                    .col(string(OutboxMessage::FromAddress))
                    .col(text_null(OutboxMessage::FromName))
                    .col(string(OutboxMessage::ToAddress))
                    .col(string_null(OutboxMessage::ReplyToAddress))
                    .col(text(OutboxMessage::Subject))
                    .col(text(OutboxMessage::BodyText))
                    .col(string(OutboxMessage::MessageId))
                    .col(blob(OutboxMessage::RawMessage))
                    .col(big_integer(OutboxMessage::SizeBytes))
                    .col(string(OutboxMessage::Status))
                    .col(integer(OutboxMessage::Attempts))
                    .col(integer(OutboxMessage::InterruptedAttempts))
                    .col(timestamp_with_time_zone(OutboxMessage::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(OutboxMessage::LastAttemptAt))
                    .col(string_null(OutboxMessage::ClaimToken))
                    .col(timestamp_with_time_zone_null(OutboxMessage::ClaimedAt))
                    .col(string_null(OutboxMessage::LastProblem))
                    .col(text_null(OutboxMessage::LastReply))
                    .col(integer_null(OutboxMessage::LastReplyCode))
                    .col(timestamp_with_time_zone_null(OutboxMessage::SentAt))
                    .col(timestamp_with_time_zone_null(OutboxMessage::FailedAt))
                    .col(timestamp_with_time_zone_null(OutboxMessage::BouncedAt))
                    .col(timestamp_with_time_zone(OutboxMessage::ExpiresAt))
                    .col(timestamp_with_time_zone(OutboxMessage::CreatedAt))
                    .col(timestamp_with_time_zone(OutboxMessage::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_outbox_message_organisation",
                        (OutboxMessage::Table, OutboxMessage::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_outbox_message_legal_entity",
                        (OutboxMessage::Table, OutboxMessage::LegalEntityId),
                        (LegalEntity::Table, LegalEntity::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_outbox_message_candidate",
                        (OutboxMessage::Table, OutboxMessage::CandidateId),
                        (Candidate::Table, Candidate::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_outbox_message_application",
                        (OutboxMessage::Table, OutboxMessage::ApplicationId),
                        (Application::Table, Application::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_outbox_message_thread",
                        (OutboxMessage::Table, OutboxMessage::ThreadId),
                        (MailThread::Table, MailThread::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_outbox_message_contact_event",
                        (OutboxMessage::Table, OutboxMessage::ContactEventId),
                        (ContactEvent::Table, ContactEvent::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_outbox_message_user",
                        (OutboxMessage::Table, OutboxMessage::CreatedByUserId),
                        (AppUser::Table, AppUser::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_outbox_message_account",
                        (OutboxMessage::Table, OutboxMessage::OutboundAccountId),
                        (OutboundAccount::Table, OutboundAccount::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_outbox_message_message_id", OutboxMessage::Table, &["message_id"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_outbox_message_due",
                OutboxMessage::Table,
                &["status", "next_attempt_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_outbox_message_listing",
                OutboxMessage::Table,
                &["organisation_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_outbox_message_candidate",
                OutboxMessage::Table,
                &["candidate_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_outbox_message_contact_event",
                OutboxMessage::Table,
                &["contact_event_id"],
            ))
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(ContactEvent::Table)
                    .add_column(text_null(ContactEvent::Subject))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CandidateEmail::Table)
                    .add_column(timestamp_with_time_zone_null(CandidateEmail::BouncedAt))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CandidateEmail::Table)
                    .add_column(text_null(CandidateEmail::BounceReason))
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CandidateEmail::Table)
                    .drop_column(CandidateEmail::BounceReason)
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CandidateEmail::Table)
                    .drop_column(CandidateEmail::BouncedAt)
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ContactEvent::Table)
                    .drop_column(ContactEvent::Subject)
                    .take(),
            )
            .await?;
        for table in [
            OutboxMessage::Table.into_iden(),
            MailThread::Table.into_iden(),
            SenderIdentity::Table.into_iden(),
            OutboundAccount::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
