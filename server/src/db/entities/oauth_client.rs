use sea_orm::entity::prelude::*;
use talentpost_shared::{MailSecurity, OauthProvider};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_client")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub provider: OauthProvider,
    pub client_id: String,
    /// Sealed by `SecretBox`; never leaves the service layer.
    #[sea_orm(column_type = "Text", nullable)]
    pub client_secret_secret: Option<String>,
    pub tenant: Option<String>,
    pub authorize_url: Option<String>,
    pub token_url: Option<String>,
    pub revoke_url: Option<String>,
    pub userinfo_url: Option<String>,
    pub imap_host: Option<String>,
    pub imap_port: Option<i32>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i32>,
    pub smtp_security: Option<MailSecurity>,
    pub accept_invalid_certs: bool,
    pub updated_by_user_id: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
