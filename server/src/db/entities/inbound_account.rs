use sea_orm::entity::prelude::*;
use talentpost_shared::{InboundAuthMethod, InboundProtocol, InboundStatus, MailProblem, MailSecurity};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbound_account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub legal_entity_id: i64,
    pub user_group_id: Option<i64>,
    pub label: String,
    pub protocol: InboundProtocol,
    pub host: String,
    pub port: i32,
    pub security: MailSecurity,
    pub allow_plaintext: bool,
    pub accept_invalid_certs: bool,
    pub username: String,
    /// Sealed by `SecretBox`; never leaves the service layer.
    #[sea_orm(column_type = "Text")]
    pub password_secret: String,
    pub folder: String,
    pub auth_method: InboundAuthMethod,
    pub oauth_account_id: Option<i64>,
    pub active: bool,
    pub status: InboundStatus,
    pub status_problem: Option<MailProblem>,
    #[sea_orm(column_type = "Text", nullable)]
    pub status_detail: Option<String>,
    pub sync_done: i64,
    pub sync_total: i64,
    pub last_success_at: Option<DateTimeUtc>,
    pub last_error_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
