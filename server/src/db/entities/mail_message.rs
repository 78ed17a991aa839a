use sea_orm::entity::prelude::*;
use talentpost_shared::{MailSource, ParseStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_message")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub inbox_item_id: i64,
    pub inbound_account_id: Option<i64>,
    pub source: MailSource,
    pub dedupe_key: String,
    pub raw_sha256: String,
    pub raw_size: i64,
    pub parse_status: ParseStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub parse_problem: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub message_id_header: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub in_reply_to: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub references_header: Option<String>,
    pub from_address: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub from_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub to_json: String,
    #[sea_orm(column_type = "Text")]
    pub cc_json: String,
    #[sea_orm(column_type = "Text")]
    pub reply_to_json: String,
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    pub sent_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub text_body: Option<String>,
    /// Already sanitised; safe to place in the sandboxed frame.
    #[sea_orm(column_type = "Text", nullable)]
    pub html_body: Option<String>,
    pub has_remote_content: bool,
    pub automatic_reason: Option<String>,
    pub intake_recipient: Option<String>,
    pub received_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
