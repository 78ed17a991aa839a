use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "nurturing_job")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    pub candidate_query_id: i64,
    pub form_letter_id: i64,
    pub weekdays: i32,
    pub dispatch_minute: i32,
    pub time_zone: String,
    pub lead_time_hours: i32,
    pub enabled: bool,
    pub schedule_since: DateTimeUtc,
    pub owner_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
