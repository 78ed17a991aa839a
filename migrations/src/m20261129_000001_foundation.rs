//! The foundation: organisation, legal entities, users and access, job openings,
//! candidates with applications, the inbox, contact history, documents, audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
    Name,
    DataRetention,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LegalEntity {
    Table,
    Id,
    OrganisationId,
    Name,
    IsMain,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
    OrganisationId,
    Email,
    EmailKey,
    DisplayName,
    PasswordHash,
    Role,
    Active,
    Locale,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserLegalEntity {
    Table,
    UserId,
    LegalEntityId,
}

#[derive(DeriveIden)]
enum UserGroup {
    Table,
    Id,
    OrganisationId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserGroupMember {
    Table,
    UserGroupId,
    UserId,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    TokenHash,
    UserId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    TokenPrefix,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum JobOpening {
    Table,
    Id,
    LegalEntityId,
    Title,
    Location,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Candidate {
    Table,
    Id,
    OrganisationId,
    FirstName,
    LastName,
    Phone,
    Birthday,
    InTalentPool,
    PoolJoinedOn,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CandidateEmail {
    Table,
    Id,
    CandidateId,
    Email,
    EmailKey,
    Position,
}

#[derive(DeriveIden)]
enum Application {
    Table,
    Id,
    CandidateId,
    JobOpeningId,
    LegalEntityId,
    SourceMedium,
    Status,
    AppliedAt,
    StatusChangedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InboxItem {
    Table,
    Id,
    OrganisationId,
    LegalEntityId,
    UserGroupId,
    Medium,
    State,
    ReceivedAt,
    Subject,
    SenderName,
    SenderEmail,
    SenderPhone,
    Preview,
    Payload,
    IdempotencyKey,
    MatchedCandidateId,
    CandidateId,
    ApplicationId,
    JobOpeningId,
    DeletedAt,
    DeletedByUserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Document {
    Table,
    Id,
    OrganisationId,
    InboxItemId,
    CandidateId,
    FileName,
    ContentType,
    SizeBytes,
    Sha256,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ContactEvent {
    Table,
    Id,
    CandidateId,
    ApplicationId,
    InboxItemId,
    Medium,
    OccurredAt,
    UserId,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    OrganisationId,
    ActorUserId,
    Action,
    SubjectType,
    SubjectId,
    Details,
    CreatedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .take()
}

fn index(name: &str, table: impl IntoIden, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create().name(name).table(table).take();
    for column in columns {
        statement.col(Alias::new(*column));
    }
    statement
}

/// Tables in creation order; `down` drops them in reverse.
const TABLES: [&str; 15] = [
    "organisation",
    "legal_entity",
    "app_user",
    "user_legal_entity",
    "user_group",
    "user_group_member",
    "session",
    "api_token",
    "job_opening",
    "candidate",
    "candidate_email",
    "application",
    "inbox_item",
    "document",
    "contact_event",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};

        manager
            .create_table(
                Table::create()
                    .table(Organisation::Table)
                    .col(big_pk_auto(Organisation::Id))
                    .col(string(Organisation::Name))
                    .col(string(Organisation::DataRetention).default("minimise"))
                    .col(timestamp_with_time_zone(Organisation::CreatedAt))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LegalEntity::Table)
                    .col(big_pk_auto(LegalEntity::Id))
                    .col(big_integer(LegalEntity::OrganisationId))
                    .col(string(LegalEntity::Name))
                    .col(boolean(LegalEntity::IsMain).default(false))
                    .col(timestamp_with_time_zone(LegalEntity::CreatedAt))
                    .col(timestamp_with_time_zone(LegalEntity::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_legal_entity_organisation",
                        (LegalEntity::Table, LegalEntity::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_legal_entity_name", LegalEntity::Table, &["organisation_id", "name"])
                    .unique()
                    .take(),
            )
            .await?;
        // At most one main entity per organisation, enforced by the database so two
        // concurrent updates cannot both win. Same syntax on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_legal_entity_one_main ON legal_entity (organisation_id) WHERE is_main",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AppUser::Table)
                    .col(big_pk_auto(AppUser::Id))
                    .col(big_integer(AppUser::OrganisationId))
                    .col(string(AppUser::Email))
                    .col(string_uniq(AppUser::EmailKey))
                    .col(string(AppUser::DisplayName))
                    .col(string(AppUser::PasswordHash))
                    .col(string(AppUser::Role))
                    .col(boolean(AppUser::Active).default(true))
                    .col(string_null(AppUser::Locale))
                    .col(timestamp_with_time_zone(AppUser::CreatedAt))
                    .col(timestamp_with_time_zone(AppUser::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_app_user_organisation",
                        (AppUser::Table, AppUser::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserLegalEntity::Table)
                    .col(big_integer(UserLegalEntity::UserId))
                    .col(big_integer(UserLegalEntity::LegalEntityId))
                    .primary_key(
                        Index::create()
                            .col(UserLegalEntity::UserId)
                            .col(UserLegalEntity::LegalEntityId),
                    )
                    .foreign_key(&mut fk(
                        "fk_user_legal_entity_user",
                        (UserLegalEntity::Table, UserLegalEntity::UserId),
                        (AppUser::Table, AppUser::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_user_legal_entity_entity",
                        (UserLegalEntity::Table, UserLegalEntity::LegalEntityId),
                        (LegalEntity::Table, LegalEntity::Id),
                        Cascade,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserGroup::Table)
                    .col(big_pk_auto(UserGroup::Id))
                    .col(big_integer(UserGroup::OrganisationId))
                    .col(string(UserGroup::Name))
                    .col(timestamp_with_time_zone(UserGroup::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_user_group_organisation",
                        (UserGroup::Table, UserGroup::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_user_group_name", UserGroup::Table, &["organisation_id", "name"])
                    .unique()
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserGroupMember::Table)
                    .col(big_integer(UserGroupMember::UserGroupId))
                    .col(big_integer(UserGroupMember::UserId))
                    .primary_key(
                        Index::create()
                            .col(UserGroupMember::UserGroupId)
                            .col(UserGroupMember::UserId),
                    )
                    .foreign_key(&mut fk(
                        "fk_user_group_member_group",
                        (UserGroupMember::Table, UserGroupMember::UserGroupId),
                        (UserGroup::Table, UserGroup::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_user_group_member_user",
                        (UserGroupMember::Table, UserGroupMember::UserId),
                        (AppUser::Table, AppUser::Id),
                        Cascade,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Session::Table)
                    .col(big_pk_auto(Session::Id))
                    .col(string_uniq(Session::TokenHash))
                    .col(big_integer(Session::UserId))
                    .col(timestamp_with_time_zone(Session::CreatedAt))
                    .col(timestamp_with_time_zone(Session::ExpiresAt))
                    .foreign_key(&mut fk(
                        "fk_session_user",
                        (Session::Table, Session::UserId),
                        (AppUser::Table, AppUser::Id),
                        Cascade,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiToken::Table)
                    .col(big_pk_auto(ApiToken::Id))
                    .col(big_integer(ApiToken::UserId))
                    .col(string(ApiToken::Name))
                    .col(string_uniq(ApiToken::TokenHash))
                    .col(string(ApiToken::TokenPrefix))
                    .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                    .foreign_key(&mut fk(
                        "fk_api_token_user",
                        (ApiToken::Table, ApiToken::UserId),
                        (AppUser::Table, AppUser::Id),
                        Cascade,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JobOpening::Table)
                    .col(big_pk_auto(JobOpening::Id))
                    .col(big_integer(JobOpening::LegalEntityId))
                    .col(string(JobOpening::Title))
                    .col(string_null(JobOpening::Location))
                    .col(string(JobOpening::Status))
                    .col(timestamp_with_time_zone(JobOpening::CreatedAt))
                    .col(timestamp_with_time_zone(JobOpening::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_job_opening_legal_entity",
                        (JobOpening::Table, JobOpening::LegalEntityId),
                        (LegalEntity::Table, LegalEntity::Id),
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_job_opening_entity",
                JobOpening::Table,
                &["legal_entity_id", "status"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Candidate::Table)
                    .col(big_pk_auto(Candidate::Id))
                    .col(big_integer(Candidate::OrganisationId))
                    .col(string(Candidate::FirstName))
                    .col(string(Candidate::LastName))
                    .col(string_null(Candidate::Phone))
                    .col(date_null(Candidate::Birthday))
                    .col(boolean(Candidate::InTalentPool).default(false))
                    .col(date_null(Candidate::PoolJoinedOn))
                    .col(string(Candidate::Status))
                    .col(timestamp_with_time_zone(Candidate::CreatedAt))
                    .col(timestamp_with_time_zone(Candidate::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_candidate_organisation",
                        (Candidate::Table, Candidate::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_candidate_name",
                Candidate::Table,
                &["organisation_id", "last_name", "first_name"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CandidateEmail::Table)
                    .col(big_pk_auto(CandidateEmail::Id))
                    .col(big_integer(CandidateEmail::CandidateId))
                    .col(string(CandidateEmail::Email))
                    .col(string(CandidateEmail::EmailKey))
                    .col(integer(CandidateEmail::Position))
                    .foreign_key(&mut fk(
                        "fk_candidate_email_candidate",
                        (CandidateEmail::Table, CandidateEmail::CandidateId),
                        (Candidate::Table, Candidate::Id),
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_candidate_email",
                    CandidateEmail::Table,
                    &["candidate_id", "email_key"],
                )
                .unique()
                .take(),
            )
            .await?;
        manager
            .create_index(index("ix_candidate_email_key", CandidateEmail::Table, &["email_key"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Application::Table)
                    .col(big_pk_auto(Application::Id))
                    .col(big_integer(Application::CandidateId))
                    .col(big_integer_null(Application::JobOpeningId))
                    .col(big_integer_null(Application::LegalEntityId))
                    .col(string(Application::SourceMedium))
                    .col(string(Application::Status))
                    .col(timestamp_with_time_zone(Application::AppliedAt))
                    .col(timestamp_with_time_zone(Application::StatusChangedAt))
                    .col(timestamp_with_time_zone(Application::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_application_candidate",
                        (Application::Table, Application::CandidateId),
                        (Candidate::Table, Candidate::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_application_job_opening",
                        (Application::Table, Application::JobOpeningId),
                        (JobOpening::Table, JobOpening::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_application_legal_entity",
                        (Application::Table, Application::LegalEntityId),
                        (LegalEntity::Table, LegalEntity::Id),
                        Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("ix_application_candidate", Application::Table, &["candidate_id"]))
            .await?;
        manager
            .create_index(index(
                "ix_application_job_opening",
                Application::Table,
                &["job_opening_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(InboxItem::Table)
                    .col(big_pk_auto(InboxItem::Id))
                    .col(big_integer(InboxItem::OrganisationId))
                    .col(big_integer_null(InboxItem::LegalEntityId))
                    .col(big_integer_null(InboxItem::UserGroupId))
                    .col(string(InboxItem::Medium))
                    .col(string(InboxItem::State))
                    .col(timestamp_with_time_zone(InboxItem::ReceivedAt))
                    .col(string(InboxItem::Subject))
                    .col(string_null(InboxItem::SenderName))
                    .col(string_null(InboxItem::SenderEmail))
                    .col(string_null(InboxItem::SenderPhone))
                    .col(text_null(InboxItem::Preview))
                    .col(text_null(InboxItem::Payload))
                    .col(string_null(InboxItem::IdempotencyKey))
                    .col(big_integer_null(InboxItem::MatchedCandidateId))
                    .col(big_integer_null(InboxItem::CandidateId))
                    .col(big_integer_null(InboxItem::ApplicationId))
                    .col(big_integer_null(InboxItem::JobOpeningId))
                    .col(timestamp_with_time_zone_null(InboxItem::DeletedAt))
                    .col(big_integer_null(InboxItem::DeletedByUserId))
                    .col(timestamp_with_time_zone(InboxItem::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_inbox_item_organisation",
                        (InboxItem::Table, InboxItem::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_inbox_item_legal_entity",
                        (InboxItem::Table, InboxItem::LegalEntityId),
                        (LegalEntity::Table, LegalEntity::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_inbox_item_user_group",
                        (InboxItem::Table, InboxItem::UserGroupId),
                        (UserGroup::Table, UserGroup::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_inbox_item_matched_candidate",
                        (InboxItem::Table, InboxItem::MatchedCandidateId),
                        (Candidate::Table, Candidate::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_inbox_item_candidate",
                        (InboxItem::Table, InboxItem::CandidateId),
                        (Candidate::Table, Candidate::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_inbox_item_application",
                        (InboxItem::Table, InboxItem::ApplicationId),
                        (Application::Table, Application::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_inbox_item_job_opening",
                        (InboxItem::Table, InboxItem::JobOpeningId),
                        (JobOpening::Table, JobOpening::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_inbox_item_listing",
                InboxItem::Table,
                &["organisation_id", "state", "medium", "received_at"],
            ))
            .await?;
        manager
            .create_index(
                index(
                    "ux_inbox_item_idempotency",
                    InboxItem::Table,
                    &["organisation_id", "idempotency_key"],
                )
                .unique()
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Document::Table)
                    .col(big_pk_auto(Document::Id))
                    .col(big_integer(Document::OrganisationId))
                    .col(big_integer_null(Document::InboxItemId))
                    .col(big_integer_null(Document::CandidateId))
                    .col(string(Document::FileName))
                    .col(string(Document::ContentType))
                    .col(big_integer(Document::SizeBytes))
                    .col(string(Document::Sha256))
                    .col(timestamp_with_time_zone(Document::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_document_organisation",
                        (Document::Table, Document::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_document_inbox_item",
                        (Document::Table, Document::InboxItemId),
                        (InboxItem::Table, InboxItem::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_document_candidate",
                        (Document::Table, Document::CandidateId),
                        (Candidate::Table, Candidate::Id),
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("ix_document_inbox_item", Document::Table, &["inbox_item_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContactEvent::Table)
                    .col(big_pk_auto(ContactEvent::Id))
                    .col(big_integer(ContactEvent::CandidateId))
                    .col(big_integer_null(ContactEvent::ApplicationId))
                    .col(big_integer_null(ContactEvent::InboxItemId))
                    .col(string(ContactEvent::Medium))
                    .col(timestamp_with_time_zone(ContactEvent::OccurredAt))
                    .col(big_integer_null(ContactEvent::UserId))
                    .col(text_null(ContactEvent::Note))
                    .col(timestamp_with_time_zone(ContactEvent::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_contact_event_candidate",
                        (ContactEvent::Table, ContactEvent::CandidateId),
                        (Candidate::Table, Candidate::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_contact_event_application",
                        (ContactEvent::Table, ContactEvent::ApplicationId),
                        (Application::Table, Application::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_contact_event_inbox_item",
                        (ContactEvent::Table, ContactEvent::InboxItemId),
                        (InboxItem::Table, InboxItem::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_contact_event_user",
                        (ContactEvent::Table, ContactEvent::UserId),
                        (AppUser::Table, AppUser::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_contact_event_candidate",
                ContactEvent::Table,
                &["candidate_id", "occurred_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(big_integer(AuditLog::OrganisationId))
                    .col(big_integer_null(AuditLog::ActorUserId))
                    .col(string(AuditLog::Action))
                    .col(string(AuditLog::SubjectType))
                    .col(big_integer_null(AuditLog::SubjectId))
                    .col(text(AuditLog::Details))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_audit_log_organisation",
                        (AuditLog::Table, AuditLog::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_audit_log_actor",
                        (AuditLog::Table, AuditLog::ActorUserId),
                        (AppUser::Table, AppUser::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_audit_log_created",
                AuditLog::Table,
                &["organisation_id", "created_at"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).if_exists().take())
            .await?;
        for table in TABLES.iter().rev() {
            manager
                .drop_table(Table::drop().table(Alias::new(*table)).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
