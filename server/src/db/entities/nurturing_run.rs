use sea_orm::entity::prelude::*;
use talentpost_shared::NurturingRunState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "nurturing_run")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub job_id: i64,
    pub dispatch_at: DateTimeUtc,
    pub catch_up: bool,
    pub state: NurturingRunState,
    pub planned_at: DateTimeUtc,
    pub dispatched_at: Option<DateTimeUtc>,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
