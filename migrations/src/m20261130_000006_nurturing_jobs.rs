//! Contact nurturing, second part: scheduled jobs, their runs and entries, and the
//! writing-job work centre.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::support::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
    /// Whether mail of nurturing jobs counts as contact for the last-contact filters.
    NurturingCountsAsContact,
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
enum Application {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CandidateQuery {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum FormLetter {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OutboxMessage {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ContactEvent {
    Table,
    Id,
    /// Written by a nurturing job (kept when the job is deleted).
    ByNurturingJob,
}

#[derive(DeriveIden)]
enum NurturingJob {
    Table,
    Id,
    OrganisationId,
    Name,
    CandidateQueryId,
    FormLetterId,
    /// Bit 0 Monday … bit 6 Sunday.
    Weekdays,
    /// Minutes after local midnight.
    DispatchMinute,
    /// IANA name, e.g. Europe/Berlin.
    TimeZone,
    LeadTimeHours,
    Enabled,
    /// Only dispatch times after this count (set when the job is made, switched on or
    /// rescheduled), so a new job does not fire for a time earlier today.
    ScheduleSince,
    /// The user the job writes as: whoever last saved or switched it on.
    OwnerUserId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NurturingRun {
    Table,
    Id,
    OrganisationId,
    JobId,
    DispatchAt,
    /// Run for a dispatch time missed while no server ran.
    CatchUp,
    State,
    PlannedAt,
    DispatchedAt,
    ClaimedBy,
    ClaimedUntil,
}

#[derive(DeriveIden)]
enum NurturingEntry {
    Table,
    Id,
    OrganisationId,
    JobId,
    RunId,
    CandidateId,
    ApplicationId,
    PlannedFor,
    State,
    /// Why the candidate matched, as JSON (`[{code, value}]`).
    Reasons,
    /// Why it was blocked or failed.
    Problem,
    BlockedByUserId,
    OutboxMessageId,
    ContactEventId,
    DoneAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WritingJob {
    Table,
    Id,
    OrganisationId,
    Kind,
    Title,
    CandidateId,
    ApplicationId,
    FormLetterId,
    NurturingJobId,
    NurturingEntryId,
    DueAt,
    Note,
    CreatedByUserId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        manager
            .alter_table(
                Table::alter()
                    .table(Organisation::Table)
                    .add_column(boolean(Organisation::NurturingCountsAsContact).default(true))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ContactEvent::Table)
                    .add_column(boolean(ContactEvent::ByNurturingJob).default(false))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NurturingJob::Table)
                    .col(big_pk_auto(NurturingJob::Id))
                    .col(big_integer(NurturingJob::OrganisationId))
                    .col(string(NurturingJob::Name))
                    .col(big_integer(NurturingJob::CandidateQueryId))
                    .col(big_integer(NurturingJob::FormLetterId))
                    .col(integer(NurturingJob::Weekdays))
                    .col(integer(NurturingJob::DispatchMinute))
                    .col(string(NurturingJob::TimeZone))
                    .col(integer(NurturingJob::LeadTimeHours))
                    .col(boolean(NurturingJob::Enabled))
                    .col(timestamp_with_time_zone(NurturingJob::ScheduleSince))
                    .col(big_integer_null(NurturingJob::OwnerUserId))
                    .col(timestamp_with_time_zone(NurturingJob::CreatedAt))
                    .col(timestamp_with_time_zone(NurturingJob::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_nurturing_job_organisation",
                        (NurturingJob::Table, NurturingJob::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_nurturing_job_query",
                        (NurturingJob::Table, NurturingJob::CandidateQueryId),
                        (CandidateQuery::Table, CandidateQuery::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_nurturing_job_letter",
                        (NurturingJob::Table, NurturingJob::FormLetterId),
                        (FormLetter::Table, FormLetter::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_nurturing_job_owner",
                        (NurturingJob::Table, NurturingJob::OwnerUserId),
                        (AppUser::Table, AppUser::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_nurturing_job_name",
                    NurturingJob::Table,
                    &["organisation_id", "name"],
                )
                .unique()
                .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NurturingRun::Table)
                    .col(big_pk_auto(NurturingRun::Id))
                    .col(big_integer(NurturingRun::OrganisationId))
                    .col(big_integer(NurturingRun::JobId))
                    .col(timestamp_with_time_zone(NurturingRun::DispatchAt))
                    .col(boolean(NurturingRun::CatchUp))
                    .col(string(NurturingRun::State))
                    .col(timestamp_with_time_zone(NurturingRun::PlannedAt))
                    .col(timestamp_with_time_zone_null(NurturingRun::DispatchedAt))
                    .col(string_null(NurturingRun::ClaimedBy))
                    .col(timestamp_with_time_zone_null(NurturingRun::ClaimedUntil))
                    .foreign_key(&mut fk(
                        "fk_nurturing_run_job",
                        (NurturingRun::Table, NurturingRun::JobId),
                        (NurturingJob::Table, NurturingJob::Id),
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        // The claim: one run per job and dispatch time, whichever process plans it first.
        manager
            .create_index(
                index("ux_nurturing_run_time", NurturingRun::Table, &["job_id", "dispatch_at"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_nurturing_run_due",
                NurturingRun::Table,
                &["state", "dispatch_at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NurturingEntry::Table)
                    .col(big_pk_auto(NurturingEntry::Id))
                    .col(big_integer(NurturingEntry::OrganisationId))
                    .col(big_integer(NurturingEntry::JobId))
                    .col(big_integer(NurturingEntry::RunId))
                    .col(big_integer(NurturingEntry::CandidateId))
                    .col(big_integer_null(NurturingEntry::ApplicationId))
                    .col(timestamp_with_time_zone(NurturingEntry::PlannedFor))
                    .col(string(NurturingEntry::State))
                    .col(text(NurturingEntry::Reasons))
                    .col(text_null(NurturingEntry::Problem))
                    .col(big_integer_null(NurturingEntry::BlockedByUserId))
                    .col(big_integer_null(NurturingEntry::OutboxMessageId))
                    .col(big_integer_null(NurturingEntry::ContactEventId))
                    .col(timestamp_with_time_zone_null(NurturingEntry::DoneAt))
                    .col(timestamp_with_time_zone(NurturingEntry::CreatedAt))
                    .col(timestamp_with_time_zone(NurturingEntry::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_nurturing_entry_run",
                        (NurturingEntry::Table, NurturingEntry::RunId),
                        (NurturingRun::Table, NurturingRun::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_nurturing_entry_candidate",
                        (NurturingEntry::Table, NurturingEntry::CandidateId),
                        (Candidate::Table, Candidate::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_nurturing_entry_application",
                        (NurturingEntry::Table, NurturingEntry::ApplicationId),
                        (Application::Table, Application::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_nurturing_entry_blocked_by",
                        (NurturingEntry::Table, NurturingEntry::BlockedByUserId),
                        (AppUser::Table, AppUser::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_nurturing_entry_outbox",
                        (NurturingEntry::Table, NurturingEntry::OutboxMessageId),
                        (OutboxMessage::Table, OutboxMessage::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_nurturing_entry_contact",
                        (NurturingEntry::Table, NurturingEntry::ContactEventId),
                        (ContactEvent::Table, ContactEvent::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        // Entries and writing jobs are planned a run (up to every candidate) at a time, so
        // they carry only the foreign keys that delete them: a job's deletion reaches its
        // entries through its runs, and their writing jobs through the entries; the
        // organisation's through its candidates. Each key is a check per inserted row.
        // A candidate is written at most once per run.
        manager
            .create_index(
                index(
                    "ux_nurturing_entry_run",
                    NurturingEntry::Table,
                    &["run_id", "candidate_id"],
                )
                .unique()
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_nurturing_entry_job",
                NurturingEntry::Table,
                &["job_id", "planned_for"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_nurturing_entry_candidate",
                NurturingEntry::Table,
                &["candidate_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WritingJob::Table)
                    .col(big_pk_auto(WritingJob::Id))
                    .col(big_integer(WritingJob::OrganisationId))
                    .col(string(WritingJob::Kind))
                    .col(string(WritingJob::Title))
                    .col(big_integer(WritingJob::CandidateId))
                    .col(big_integer_null(WritingJob::ApplicationId))
                    .col(big_integer_null(WritingJob::FormLetterId))
                    .col(big_integer_null(WritingJob::NurturingJobId))
                    .col(big_integer_null(WritingJob::NurturingEntryId))
                    .col(timestamp_with_time_zone(WritingJob::DueAt))
                    .col(text_null(WritingJob::Note))
                    .col(big_integer_null(WritingJob::CreatedByUserId))
                    .col(timestamp_with_time_zone(WritingJob::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_writing_job_candidate",
                        (WritingJob::Table, WritingJob::CandidateId),
                        (Candidate::Table, Candidate::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_writing_job_application",
                        (WritingJob::Table, WritingJob::ApplicationId),
                        (Application::Table, Application::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_writing_job_letter",
                        (WritingJob::Table, WritingJob::FormLetterId),
                        (FormLetter::Table, FormLetter::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_writing_job_entry",
                        (WritingJob::Table, WritingJob::NurturingEntryId),
                        (NurturingEntry::Table, NurturingEntry::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_writing_job_user",
                        (WritingJob::Table, WritingJob::CreatedByUserId),
                        (AppUser::Table, AppUser::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_writing_job_entry", WritingJob::Table, &["nurturing_entry_id"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_writing_job_due",
                WritingJob::Table,
                &["organisation_id", "due_at"],
            ))
            .await?;
        manager
            .create_index(index("ix_writing_job_candidate", WritingJob::Table, &["candidate_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WritingJob::Table).if_exists().take())
            .await?;
        manager
            .drop_table(Table::drop().table(NurturingEntry::Table).if_exists().take())
            .await?;
        manager
            .drop_table(Table::drop().table(NurturingRun::Table).if_exists().take())
            .await?;
        manager
            .drop_table(Table::drop().table(NurturingJob::Table).if_exists().take())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ContactEvent::Table)
                    .drop_column(ContactEvent::ByNurturingJob)
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organisation::Table)
                    .drop_column(Organisation::NurturingCountsAsContact)
                    .take(),
            )
            .await?;
        Ok(())
    }
}
