use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbound_folder_state")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub inbound_account_id: i64,
    pub folder: String,
    pub uid_validity: i64,
    /// Highest UID whose mail is committed; the next sync starts after it.
    pub last_uid: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
