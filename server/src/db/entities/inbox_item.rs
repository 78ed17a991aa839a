use sea_orm::entity::prelude::*;
use talentpost_shared::{InboxMedium, InboxState};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbox_item")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub legal_entity_id: Option<i64>,
    pub user_group_id: Option<i64>,
    pub medium: InboxMedium,
    pub state: InboxState,
    pub received_at: DateTimeUtc,
    pub subject: String,
    pub sender_name: Option<String>,
    pub sender_email: Option<String>,
    pub sender_phone: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub preview: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub payload: Option<String>,
    pub idempotency_key: Option<String>,
    pub matched_candidate_id: Option<i64>,
    pub candidate_id: Option<i64>,
    pub application_id: Option<i64>,
    pub job_opening_id: Option<i64>,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
