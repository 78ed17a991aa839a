//! Contact nurturing, first part: saved candidate queries and form letters.

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
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CandidateQuery {
    Table,
    Id,
    OrganisationId,
    Name,
    /// The filters as JSON (`CandidateQueryFilter`).
    Filter,
    CreatedByUserId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FormLetter {
    Table,
    Id,
    OrganisationId,
    Name,
    Subject,
    BodyText,
    /// Sanitised when saved; optional, the text body always exists.
    BodyHtml,
    /// The status a candidate gets when the letter is sent (e.g. rejected).
    SetsCandidateStatus,
    CreatedByUserId,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table(CandidateQuery::Table)
                    .col(big_pk_auto(CandidateQuery::Id))
                    .col(big_integer(CandidateQuery::OrganisationId))
                    .col(string(CandidateQuery::Name))
                    .col(text(CandidateQuery::Filter))
                    .col(big_integer_null(CandidateQuery::CreatedByUserId))
                    .col(timestamp_with_time_zone(CandidateQuery::CreatedAt))
                    .col(timestamp_with_time_zone(CandidateQuery::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_candidate_query_organisation",
                        (CandidateQuery::Table, CandidateQuery::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_candidate_query_user",
                        (CandidateQuery::Table, CandidateQuery::CreatedByUserId),
                        (AppUser::Table, AppUser::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_candidate_query_name",
                    CandidateQuery::Table,
                    &["organisation_id", "name"],
                )
                .unique()
                .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FormLetter::Table)
                    .col(big_pk_auto(FormLetter::Id))
                    .col(big_integer(FormLetter::OrganisationId))
                    .col(string(FormLetter::Name))
                    .col(text(FormLetter::Subject))
                    .col(text(FormLetter::BodyText))
                    .col(text_null(FormLetter::BodyHtml))
                    .col(string_null(FormLetter::SetsCandidateStatus))
                    .col(big_integer_null(FormLetter::CreatedByUserId))
                    .col(timestamp_with_time_zone(FormLetter::CreatedAt))
                    .col(timestamp_with_time_zone(FormLetter::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_form_letter_organisation",
                        (FormLetter::Table, FormLetter::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_form_letter_user",
                        (FormLetter::Table, FormLetter::CreatedByUserId),
                        (AppUser::Table, AppUser::Id),
                        SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_form_letter_name", FormLetter::Table, &["organisation_id", "name"])
                    .unique()
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FormLetter::Table).if_exists().take())
            .await?;
        manager
            .drop_table(Table::drop().table(CandidateQuery::Table).if_exists().take())
            .await?;
        Ok(())
    }
}
