//! The candidate file: normalised keys for search, matching and duplicate sets,
//! recruiters' verdicts on duplicate sets, interview and hire dates for the dashboard,
//! and the keys with which career pages and SMS providers deliver to the inbox.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use talentpost_shared::matching;

use crate::support::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisation {
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
    OrganisationId,
    FirstName,
    LastName,
    Phone,
    SearchText,
    NameKey,
    PhoneKey,
}

#[derive(DeriveIden)]
enum CandidateEmail {
    Table,
    CandidateId,
    Email,
    Position,
}

#[derive(DeriveIden)]
enum Application {
    Table,
    CandidateId,
    OrganisationId,
    Status,
    StatusChangedAt,
    InterviewAt,
    HiredAt,
}

#[derive(DeriveIden)]
enum DuplicateDecision {
    Table,
    Id,
    OrganisationId,
    /// The pair is stored with the smaller id first, so each pair has one row.
    LowCandidateId,
    HighCandidateId,
    Decision,
    DecidedByUserId,
    DecidedAt,
}

#[derive(DeriveIden)]
enum IntakeKey {
    Table,
    Id,
    OrganisationId,
    Kind,
    PublicKey,
    SecretSealed,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};

        for column in [
            ColumnDef::new(Candidate::SearchText)
                .text()
                .not_null()
                .default("")
                .take(),
            ColumnDef::new(Candidate::NameKey).text().not_null().default("").take(),
            ColumnDef::new(Candidate::PhoneKey).text().null().take(),
        ] {
            manager
                .alter_table(Table::alter().table(Candidate::Table).add_column(column).take())
                .await?;
        }
        backfill_candidate_keys(manager).await?;
        manager
            .create_index(index(
                "ix_candidate_phone_key",
                Candidate::Table,
                &["organisation_id", "phone_key"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_candidate_name_key",
                Candidate::Table,
                &["organisation_id", "name_key", "birthday"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_candidate_status",
                Candidate::Table,
                &["organisation_id", "status"],
            ))
            .await?;
        // The list reads newest first within the organisation and stops after a page;
        // without this, SQLite picks another organisation index and sorts every row.
        manager
            .create_index(index(
                "ix_candidate_listing",
                Candidate::Table,
                &["organisation_id", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_candidate_created",
                Candidate::Table,
                &["organisation_id", "created_at"],
            ))
            .await?;

        // Denormalised from the candidate so the dashboard reads applications of one
        // organisation and period from one index, without a join per row.
        for column in [
            ColumnDef::new(Application::OrganisationId).big_integer().null().take(),
            ColumnDef::new(Application::InterviewAt)
                .timestamp_with_time_zone()
                .null()
                .take(),
            ColumnDef::new(Application::HiredAt)
                .timestamp_with_time_zone()
                .null()
                .take(),
        ] {
            manager
                .alter_table(Table::alter().table(Application::Table).add_column(column).take())
                .await?;
        }
        manager
            .execute(
                Query::update()
                    .table(Application::Table)
                    .value(
                        Application::OrganisationId,
                        SimpleExpr::SubQuery(
                            None,
                            Box::new(
                                Query::select()
                                    .column((Candidate::Table, Candidate::OrganisationId))
                                    .from(Candidate::Table)
                                    .and_where(
                                        Expr::col((Candidate::Table, Candidate::Id))
                                            .equals((Application::Table, Application::CandidateId)),
                                    )
                                    .take()
                                    .into_sub_query_statement(),
                            ),
                        ),
                    )
                    .take(),
            )
            .await?;
        manager
            .execute(
                Query::update()
                    .table(Application::Table)
                    .value(Application::HiredAt, Expr::col(Application::StatusChangedAt))
                    .and_where(Expr::col(Application::Status).eq("hired"))
                    .take(),
            )
            .await?;
        manager
            .execute(
                Query::update()
                    .table(Application::Table)
                    .value(Application::InterviewAt, Expr::col(Application::StatusChangedAt))
                    .and_where(Expr::col(Application::Status).eq("interview"))
                    .take(),
            )
            .await?;
        // Covers the dashboard's grouped query, which then never reads the table.
        manager
            .create_index(index(
                "ix_application_dashboard",
                Application::Table,
                &[
                    "organisation_id",
                    "applied_at",
                    "source_medium",
                    "interview_at",
                    "hired_at",
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DuplicateDecision::Table)
                    .col(big_pk_auto(DuplicateDecision::Id))
                    .col(big_integer(DuplicateDecision::OrganisationId))
                    .col(big_integer(DuplicateDecision::LowCandidateId))
                    .col(big_integer(DuplicateDecision::HighCandidateId))
                    .col(string(DuplicateDecision::Decision))
                    .col(big_integer_null(DuplicateDecision::DecidedByUserId))
                    .col(timestamp_with_time_zone(DuplicateDecision::DecidedAt))
                    .foreign_key(&mut fk(
                        "fk_duplicate_decision_organisation",
                        (DuplicateDecision::Table, DuplicateDecision::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_duplicate_decision_low",
                        (DuplicateDecision::Table, DuplicateDecision::LowCandidateId),
                        (Candidate::Table, Candidate::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_duplicate_decision_high",
                        (DuplicateDecision::Table, DuplicateDecision::HighCandidateId),
                        (Candidate::Table, Candidate::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_duplicate_decision_user",
                        (DuplicateDecision::Table, DuplicateDecision::DecidedByUserId),
                        (AppUser::Table, AppUser::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_duplicate_decision_pair",
                    DuplicateDecision::Table,
                    &["low_candidate_id", "high_candidate_id"],
                )
                .unique()
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_duplicate_decision_high",
                DuplicateDecision::Table,
                &["high_candidate_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IntakeKey::Table)
                    .col(big_pk_auto(IntakeKey::Id))
                    .col(big_integer(IntakeKey::OrganisationId))
                    .col(string(IntakeKey::Kind))
                    .col(string(IntakeKey::PublicKey))
                    .col(text_null(IntakeKey::SecretSealed))
                    .col(timestamp_with_time_zone(IntakeKey::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_intake_key_organisation",
                        (IntakeKey::Table, IntakeKey::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_intake_key_public", IntakeKey::Table, &["public_key"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_intake_key_kind", IntakeKey::Table, &["organisation_id", "kind"])
                    .unique()
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IntakeKey::Table).if_exists().take())
            .await?;
        manager
            .drop_table(Table::drop().table(DuplicateDecision::Table).if_exists().take())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_application_dashboard")
                    .table(Application::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Application::HiredAt,
            Application::InterviewAt,
            Application::OrganisationId,
        ] {
            manager
                .alter_table(Table::alter().table(Application::Table).drop_column(column).take())
                .await?;
        }
        for name in [
            "ix_candidate_created",
            "ix_candidate_listing",
            "ix_candidate_status",
            "ix_candidate_name_key",
            "ix_candidate_phone_key",
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Candidate::Table).to_owned())
                .await?;
        }
        for column in [Candidate::PhoneKey, Candidate::NameKey, Candidate::SearchText] {
            manager
                .alter_table(Table::alter().table(Candidate::Table).drop_column(column).take())
                .await?;
        }
        Ok(())
    }
}

/// Computes the keys of candidates that existed before this migration, in Rust, so they
/// are the same as the server computes (SQL `lower()` differs between the databases).
async fn backfill_candidate_keys(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let candidates = db
        .query_all(
            &Query::select()
                .columns([
                    Candidate::Id,
                    Candidate::FirstName,
                    Candidate::LastName,
                    Candidate::Phone,
                ])
                .from(Candidate::Table)
                .take(),
        )
        .await?;
    for row in candidates {
        let id: i64 = row.try_get("", "id")?;
        let first_name: String = row.try_get("", "first_name")?;
        let last_name: String = row.try_get("", "last_name")?;
        let phone: Option<String> = row.try_get("", "phone")?;
        let emails = db
            .query_all(
                &Query::select()
                    .column(CandidateEmail::Email)
                    .from(CandidateEmail::Table)
                    .and_where(Expr::col(CandidateEmail::CandidateId).eq(id))
                    .order_by(CandidateEmail::Position, Order::Asc)
                    .take(),
            )
            .await?
            .into_iter()
            .map(|row| row.try_get::<String>("", "email"))
            .collect::<Result<Vec<_>, _>>()?;
        db.execute(
            &Query::update()
                .table(Candidate::Table)
                .value(
                    Candidate::SearchText,
                    matching::search_text(&first_name, &last_name, &emails, phone.as_deref()),
                )
                .value(Candidate::NameKey, matching::name_key(&first_name, &last_name))
                .value(Candidate::PhoneKey, phone.as_deref().and_then(matching::phone_key))
                .and_where(Expr::col(Candidate::Id).eq(id))
                .take(),
        )
        .await?;
    }
    Ok(())
}
