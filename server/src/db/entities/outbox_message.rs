use sea_orm::entity::prelude::*;
use talentpost_shared::{MailProblem, OutboxChannel, OutboxPurpose, OutboxStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_message")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub legal_entity_id: Option<i64>,
    pub candidate_id: Option<i64>,
    pub application_id: Option<i64>,
    pub thread_id: Option<i64>,
    pub contact_event_id: Option<i64>,
    pub created_by_user_id: Option<i64>,
    pub purpose: OutboxPurpose,
    pub channel: OutboxChannel,
    pub outbound_account_id: Option<i64>,
    pub from_address: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub from_name: Option<String>,
    pub to_address: String,
    pub reply_to_address: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body_text: String,
    pub message_id: String,
    #[sea_orm(column_type = "Blob")]
    pub raw_message: Vec<u8>,
    pub size_bytes: i64,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub interrupted_attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub claim_token: Option<String>,
    pub claimed_at: Option<DateTimeUtc>,
    pub last_problem: Option<MailProblem>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_reply: Option<String>,
    pub last_reply_code: Option<i32>,
    pub sent_at: Option<DateTimeUtc>,
    pub failed_at: Option<DateTimeUtc>,
    pub bounced_at: Option<DateTimeUtc>,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
