use sea_orm::entity::prelude::*;
use talentpost_shared::{OauthAccountState, OauthProvider};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub legal_entity_id: i64,
    pub provider: OauthProvider,
    pub mailbox_address: String,
    /// Sealed by `SecretBox`; never leaves the service layer.
    #[sea_orm(column_type = "Text", nullable)]
    pub refresh_token_secret: Option<String>,
    /// Sealed by `SecretBox`; never leaves the service layer.
    #[sea_orm(column_type = "Text", nullable)]
    pub access_token_secret: Option<String>,
    pub access_issued_at: Option<DateTimeUtc>,
    pub access_expires_at: Option<DateTimeUtc>,
    pub state: OauthAccountState,
    #[sea_orm(column_type = "Text", nullable)]
    pub problem: Option<String>,
    pub failed_refreshes: i32,
    pub refreshing_until: Option<DateTimeUtc>,
    pub last_refreshed_at: Option<DateTimeUtc>,
    /// The admins are still to be told that the grant lapsed (`lapse_notices`).
    pub lapse_notice_due: bool,
    pub connected_by_user_id: Option<i64>,
    pub connected_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
