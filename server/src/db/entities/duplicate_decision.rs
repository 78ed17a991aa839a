use sea_orm::entity::prelude::*;
use talentpost_shared::DuplicateStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "duplicate_decision")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub low_candidate_id: i64,
    pub high_candidate_id: i64,
    pub decision: DuplicateStatus,
    pub decided_by_user_id: Option<i64>,
    pub decided_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
