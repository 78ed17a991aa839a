use sea_orm::entity::prelude::*;
use talentpost_shared::ContactMedium;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub candidate_id: i64,
    pub application_id: Option<i64>,
    pub inbox_item_id: Option<i64>,
    pub medium: ContactMedium,
    pub occurred_at: DateTimeUtc,
    pub user_id: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub subject: Option<String>,
    pub by_nurturing_job: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
