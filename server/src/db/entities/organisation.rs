use sea_orm::entity::prelude::*;
use talentpost_shared::DataRetention;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub data_retention: DataRetention,
    pub created_at: DateTimeUtc,
    pub nurturing_counts_as_contact: bool,
    /// Origins that may frame the public form, one per line; NULL: any site.
    pub form_embed_origins: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
