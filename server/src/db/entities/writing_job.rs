use sea_orm::entity::prelude::*;
use talentpost_shared::WritingJobKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "writing_job")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub kind: WritingJobKind,
    pub title: String,
    pub candidate_id: i64,
    pub application_id: Option<i64>,
    pub form_letter_id: Option<i64>,
    pub nurturing_job_id: Option<i64>,
    pub nurturing_entry_id: Option<i64>,
    pub due_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub created_by_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
