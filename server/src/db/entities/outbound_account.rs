use sea_orm::entity::prelude::*;
use talentpost_shared::MailSecurity;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbound_account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub legal_entity_id: i64,
    pub label: String,
    pub is_system_default: bool,
    pub host: String,
    pub port: i32,
    pub security: MailSecurity,
    pub allow_plaintext: bool,
    pub accept_invalid_certs: bool,
    pub username: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub password_secret: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub signature_html: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub signature_text: Option<String>,
    pub oauth_account_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
