//! Google and Microsoft mailboxes through OAuth2: the organisation's client
//! registrations, the connected mailboxes with their tokens, and which inbound and
//! outgoing accounts sign in with them.

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
enum OauthClient {
    Table,
    Id,
    OrganisationId,
    /// google or microsoft
    Provider,
    ClientId,
    /// Sealed by the server's secret key.
    ClientSecretSecret,
    /// Microsoft only: the directory (tenant) id or "organizations".
    Tenant,
    /// Overrides of the provider's endpoints (sovereign clouds, tests); null = default.
    AuthorizeUrl,
    TokenUrl,
    RevokeUrl,
    UserinfoUrl,
    /// Overrides of the provider's mail servers for the accounts connected through it.
    ImapHost,
    ImapPort,
    SmtpHost,
    SmtpPort,
    SmtpSecurity,
    AcceptInvalidCerts,
    UpdatedByUserId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OauthAccount {
    Table,
    Id,
    OrganisationId,
    LegalEntityId,
    Provider,
    /// The mailbox the grant belongs to, read from the token or userinfo.
    MailboxAddress,
    /// Sealed; null once disconnected.
    RefreshTokenSecret,
    AccessTokenSecret,
    AccessIssuedAt,
    AccessExpiresAt,
    /// connected, reauthorization_needed or disconnected
    State,
    Problem,
    FailedRefreshes,
    /// A refresh in progress elsewhere (another process) until then.
    RefreshingUntil,
    LastRefreshedAt,
    ConnectedByUserId,
    ConnectedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InboundAccount {
    Table,
    /// password or oauth
    AuthMethod,
    OauthAccountId,
}

#[derive(DeriveIden)]
enum OutboundAccount {
    Table,
    OauthAccountId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table(OauthClient::Table)
                    .col(big_pk_auto(OauthClient::Id))
                    .col(big_integer(OauthClient::OrganisationId))
                    .col(string(OauthClient::Provider))
                    .col(string(OauthClient::ClientId))
                    .col(text_null(OauthClient::ClientSecretSecret))
                    .col(string_null(OauthClient::Tenant))
                    .col(string_null(OauthClient::AuthorizeUrl))
                    .col(string_null(OauthClient::TokenUrl))
                    .col(string_null(OauthClient::RevokeUrl))
                    .col(string_null(OauthClient::UserinfoUrl))
                    .col(string_null(OauthClient::ImapHost))
                    .col(integer_null(OauthClient::ImapPort))
                    .col(string_null(OauthClient::SmtpHost))
                    .col(integer_null(OauthClient::SmtpPort))
                    .col(string_null(OauthClient::SmtpSecurity))
                    .col(boolean(OauthClient::AcceptInvalidCerts).default(false))
                    .col(big_integer_null(OauthClient::UpdatedByUserId))
                    .col(timestamp_with_time_zone(OauthClient::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_oauth_client_organisation",
                        (OauthClient::Table, OauthClient::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_oauth_client_updated_by",
                        (OauthClient::Table, OauthClient::UpdatedByUserId),
                        (AppUser::Table, AppUser::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_oauth_client_provider",
                    OauthClient::Table,
                    &["organisation_id", "provider"],
                )
                .unique()
                .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthAccount::Table)
                    .col(big_pk_auto(OauthAccount::Id))
                    .col(big_integer(OauthAccount::OrganisationId))
                    .col(big_integer(OauthAccount::LegalEntityId))
                    .col(string(OauthAccount::Provider))
                    .col(string(OauthAccount::MailboxAddress))
                    .col(text_null(OauthAccount::RefreshTokenSecret))
                    .col(text_null(OauthAccount::AccessTokenSecret))
                    .col(timestamp_with_time_zone_null(OauthAccount::AccessIssuedAt))
                    .col(timestamp_with_time_zone_null(OauthAccount::AccessExpiresAt))
                    .col(string(OauthAccount::State))
                    .col(text_null(OauthAccount::Problem))
                    .col(integer(OauthAccount::FailedRefreshes).default(0))
                    .col(timestamp_with_time_zone_null(OauthAccount::RefreshingUntil))
                    .col(timestamp_with_time_zone_null(OauthAccount::LastRefreshedAt))
                    .col(big_integer_null(OauthAccount::ConnectedByUserId))
                    .col(timestamp_with_time_zone(OauthAccount::ConnectedAt))
                    .col(timestamp_with_time_zone(OauthAccount::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_oauth_account_organisation",
                        (OauthAccount::Table, OauthAccount::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_oauth_account_legal_entity",
                        (OauthAccount::Table, OauthAccount::LegalEntityId),
                        (LegalEntity::Table, LegalEntity::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_oauth_account_connected_by",
                        (OauthAccount::Table, OauthAccount::ConnectedByUserId),
                        (AppUser::Table, AppUser::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_oauth_account_organisation",
                OauthAccount::Table,
                &["organisation_id"],
            ))
            .await?;
        // SQLite cannot add a foreign key to an existing table; the OAuth service clears
        // these references itself when it deletes a connection.
        manager
            .alter_table(
                Table::alter()
                    .table(InboundAccount::Table)
                    .add_column(string(InboundAccount::AuthMethod).default("password"))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(InboundAccount::Table)
                    .add_column(big_integer_null(InboundAccount::OauthAccountId))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OutboundAccount::Table)
                    .add_column(big_integer_null(OutboundAccount::OauthAccountId))
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OutboundAccount::Table)
                    .drop_column(OutboundAccount::OauthAccountId)
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(InboundAccount::Table)
                    .drop_column(InboundAccount::OauthAccountId)
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(InboundAccount::Table)
                    .drop_column(InboundAccount::AuthMethod)
                    .take(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(OauthAccount::Table).if_exists().take())
            .await?;
        manager
            .drop_table(Table::drop().table(OauthClient::Table).if_exists().take())
            .await?;
        Ok(())
    }
}
