use async_graphql::{Context, Object, SimpleObject};
use talentpost_shared::DataRetention;

use super::support::{GqlResult, ServiceResultExt, caller};
use crate::db::entities::organisation;
use crate::services::org::organisation_settings as service;

#[derive(SimpleObject)]
pub struct OrganisationSettings {
    pub name: String,
    /// What happens to a candidate's data when a form letter finally rejects them.
    pub data_retention: DataRetention,
    /// Whether mail of nurturing jobs counts as contact for the last-contact filters
    /// (default true: a "not forgotten" mail resets the clock).
    pub nurturing_counts_as_contact: bool,
}

impl From<organisation::Model> for OrganisationSettings {
    fn from(model: organisation::Model) -> Self {
        Self {
            data_retention: service::data_retention(&model),
            nurturing_counts_as_contact: model.nurturing_counts_as_contact,
            name: model.name,
        }
    }
}

#[derive(Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    async fn organisation_settings(&self, ctx: &Context<'_>) -> GqlResult<OrganisationSettings> {
        let (state, principal) = caller(ctx)?;
        service::get(state, principal)
            .await
            .gql()
            .map(OrganisationSettings::from)
    }
}

#[derive(Default)]
pub struct OrganisationMutation;

#[Object]
impl OrganisationMutation {
    /// Administrators only.
    async fn set_data_retention(
        &self,
        ctx: &Context<'_>,
        data_retention: DataRetention,
    ) -> GqlResult<OrganisationSettings> {
        let (state, principal) = caller(ctx)?;
        service::set_data_retention(state, principal, data_retention)
            .await
            .gql()
            .map(OrganisationSettings::from)
    }

    /// Administrators only.
    async fn set_nurturing_counts_as_contact(
        &self,
        ctx: &Context<'_>,
        counts: bool,
    ) -> GqlResult<OrganisationSettings> {
        let (state, principal) = caller(ctx)?;
        service::set_nurturing_counts_as_contact(state, principal, counts)
            .await
            .gql()
            .map(OrganisationSettings::from)
    }
}
