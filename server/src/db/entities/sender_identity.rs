use sea_orm::entity::prelude::*;
use talentpost_shared::{SenderChannel, SenderNameMode};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sender_identity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub legal_entity_id: i64,
    pub sender_address: String,
    pub sender_name_mode: SenderNameMode,
    pub sender_name: Option<String>,
    pub channel: SenderChannel,
    pub outbound_account_id: Option<i64>,
    pub thread_reply_addresses: bool,
    pub updated_by_user_id: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
