use sea_orm::entity::prelude::*;
use talentpost_shared::{ApplicationStatus, SourceMedium};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "application")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub candidate_id: i64,
    pub job_opening_id: Option<i64>,
    pub legal_entity_id: Option<i64>,
    pub source_medium: SourceMedium,
    pub status: ApplicationStatus,
    pub applied_at: DateTimeUtc,
    pub status_changed_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub organisation_id: Option<i64>,
    pub interview_at: Option<DateTimeUtc>,
    pub hired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
