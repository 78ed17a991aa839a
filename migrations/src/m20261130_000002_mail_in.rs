//! Mail in: inbound IMAP accounts with their per-folder sync state, and the parsed
//! mail messages behind inbox items. Attachments stay documents of the inbox item;
//! `content_id` lets the message view resolve inline images without loading anything remote.

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
enum UserGroup {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum InboxItem {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Document {
    Table,
    ContentId,
}

#[derive(DeriveIden)]
enum InboundAccount {
    Table,
    Id,
    OrganisationId,
    LegalEntityId,
    UserGroupId,
    Label,
    Protocol,
    Host,
    Port,
    Security,
    AllowPlaintext,
    AcceptInvalidCerts,
    Username,
    PasswordSecret,
    Folder,
    Active,
    Status,
    StatusProblem,
    StatusDetail,
    SyncDone,
    SyncTotal,
    LastSuccessAt,
    LastErrorAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InboundFolderState {
    Table,
    Id,
    InboundAccountId,
    Folder,
    UidValidity,
    LastUid,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MailMessage {
    Table,
    Id,
    OrganisationId,
    InboxItemId,
    InboundAccountId,
    Source,
    DedupeKey,
    RawSha256,
    RawSize,
    ParseStatus,
    ParseProblem,
    MessageIdHeader,
    InReplyTo,
    ReferencesHeader,
    FromAddress,
    FromName,
    ToJson,
    CcJson,
    ReplyToJson,
    Subject,
    SentAt,
    TextBody,
    HtmlBody,
    HasRemoteContent,
    AutomaticReason,
    IntakeRecipient,
    ReceivedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};

        manager
            .create_table(
                Table::create()
                    .table(InboundAccount::Table)
                    .col(big_pk_auto(InboundAccount::Id))
                    .col(big_integer(InboundAccount::OrganisationId))
                    .col(big_integer(InboundAccount::LegalEntityId))
                    .col(big_integer_null(InboundAccount::UserGroupId))
                    .col(string(InboundAccount::Label))
                    .col(string(InboundAccount::Protocol))
                    .col(string(InboundAccount::Host))
                    .col(integer(InboundAccount::Port))
                    .col(string(InboundAccount::Security))
                    .col(boolean(InboundAccount::AllowPlaintext))
                    .col(boolean(InboundAccount::AcceptInvalidCerts))
                    .col(string(InboundAccount::Username))
                    .col(text(InboundAccount::PasswordSecret))
                    .col(string(InboundAccount::Folder))
                    .col(boolean(InboundAccount::Active))
                    .col(string(InboundAccount::Status))
                    .col(string_null(InboundAccount::StatusProblem))
                    .col(text_null(InboundAccount::StatusDetail))
                    .col(big_integer(InboundAccount::SyncDone))
                    .col(big_integer(InboundAccount::SyncTotal))
                    .col(timestamp_with_time_zone_null(InboundAccount::LastSuccessAt))
                    .col(timestamp_with_time_zone_null(InboundAccount::LastErrorAt))
                    .col(timestamp_with_time_zone(InboundAccount::CreatedAt))
                    .col(timestamp_with_time_zone(InboundAccount::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_inbound_account_organisation",
                        (InboundAccount::Table, InboundAccount::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_inbound_account_legal_entity",
                        (InboundAccount::Table, InboundAccount::LegalEntityId),
                        (LegalEntity::Table, LegalEntity::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_inbound_account_user_group",
                        (InboundAccount::Table, InboundAccount::UserGroupId),
                        (UserGroup::Table, UserGroup::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_inbound_account_organisation",
                InboundAccount::Table,
                &["organisation_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(InboundFolderState::Table)
                    .col(big_pk_auto(InboundFolderState::Id))
                    .col(big_integer(InboundFolderState::InboundAccountId))
                    .col(string(InboundFolderState::Folder))
                    .col(big_integer(InboundFolderState::UidValidity))
                    .col(big_integer(InboundFolderState::LastUid))
                    .col(timestamp_with_time_zone(InboundFolderState::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_inbound_folder_state_account",
                        (InboundFolderState::Table, InboundFolderState::InboundAccountId),
                        (InboundAccount::Table, InboundAccount::Id),
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_inbound_folder_state",
                    InboundFolderState::Table,
                    &["inbound_account_id", "folder"],
                )
                .unique()
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MailMessage::Table)
                    .col(big_pk_auto(MailMessage::Id))
                    .col(big_integer(MailMessage::OrganisationId))
                    .col(big_integer(MailMessage::InboxItemId))
                    .col(big_integer_null(MailMessage::InboundAccountId))
                    .col(string(MailMessage::Source))
                    .col(string(MailMessage::DedupeKey))
                    .col(string(MailMessage::RawSha256))
                    .col(big_integer(MailMessage::RawSize))
                    .col(string(MailMessage::ParseStatus))
                    .col(text_null(MailMessage::ParseProblem))
                    .col(text_null(MailMessage::MessageIdHeader))
                    .col(text_null(MailMessage::InReplyTo))
                    .col(text_null(MailMessage::ReferencesHeader))
                    .col(string_null(MailMessage::FromAddress))
                    .col(text_null(MailMessage::FromName))
                    .col(text(MailMessage::ToJson))
                    .col(text(MailMessage::CcJson))
                    .col(text(MailMessage::ReplyToJson))
                    .col(text(MailMessage::Subject))
                    .col(timestamp_with_time_zone_null(MailMessage::SentAt))
                    .col(text_null(MailMessage::TextBody))
                    .col(text_null(MailMessage::HtmlBody))
                    .col(boolean(MailMessage::HasRemoteContent))
                    .col(string_null(MailMessage::AutomaticReason))
                    .col(string_null(MailMessage::IntakeRecipient))
                    .col(timestamp_with_time_zone(MailMessage::ReceivedAt))
                    .col(timestamp_with_time_zone(MailMessage::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_mail_message_organisation",
                        (MailMessage::Table, MailMessage::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_mail_message_inbox_item",
                        (MailMessage::Table, MailMessage::InboxItemId),
                        (InboxItem::Table, InboxItem::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_mail_message_inbound_account",
                        (MailMessage::Table, MailMessage::InboundAccountId),
                        (InboundAccount::Table, InboundAccount::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_mail_message_dedupe",
                    MailMessage::Table,
                    &["organisation_id", "dedupe_key"],
                )
                .unique()
                .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_mail_message_inbox_item", MailMessage::Table, &["inbox_item_id"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            // The sync's "already stored?" check: this account, this Message-ID.
            .create_index(index(
                "ix_mail_message_account_message_id",
                MailMessage::Table,
                &["inbound_account_id", "message_id_header"],
            ))
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Document::Table)
                    .add_column(string_null(Document::ContentId))
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Document::Table)
                    .drop_column(Document::ContentId)
                    .take(),
            )
            .await?;
        for table in [
            MailMessage::Table.into_iden(),
            InboundFolderState::Table.into_iden(),
            InboundAccount::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
