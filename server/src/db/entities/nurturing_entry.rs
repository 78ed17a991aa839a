use sea_orm::entity::prelude::*;
use talentpost_shared::NurturingEntryState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "nurturing_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub job_id: i64,
    pub run_id: i64,
    pub candidate_id: i64,
    pub application_id: Option<i64>,
    pub planned_for: DateTimeUtc,
    pub state: NurturingEntryState,
    #[sea_orm(column_type = "Text")]
    pub reasons: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub problem: Option<String>,
    pub blocked_by_user_id: Option<i64>,
    pub outbox_message_id: Option<i64>,
    pub contact_event_id: Option<i64>,
    pub done_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
