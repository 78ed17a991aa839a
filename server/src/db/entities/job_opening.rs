use sea_orm::entity::prelude::*;
use talentpost_shared::JobOpeningStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_opening")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub legal_entity_id: i64,
    pub title: String,
    pub location: Option<String>,
    pub status: JobOpeningStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
