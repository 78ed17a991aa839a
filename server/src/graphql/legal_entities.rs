use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::support::{GqlResult, ServiceResultExt, caller, gql_id, parse_id};
use crate::db::entities::legal_entity;
use crate::ids::LegalEntityId;
use crate::services::org::legal_entities::{self as service, LegalEntityInput};

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct LegalEntity {
    pub id: ID,
    pub name: String,
    /// The main entity is the fallback sender for entities without their own.
    pub is_main: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[async_graphql::ComplexObject]
impl LegalEntity {
    /// The address this company's mail server redirects application mail to (or pipes
    /// to `talentpost ingest-mail`); mail delivered there lands in this entity's inbox.
    async fn intake_address(&self, ctx: &async_graphql::Context<'_>) -> super::support::GqlResult<String> {
        let state = super::support::state(ctx)?;
        let id = self.id.parse::<i64>().unwrap_or_default();
        Ok(crate::services::mail_in::ingest::intake_address(
            &state.config.intake_domain,
            id,
            self.is_main,
        ))
    }
}

impl From<legal_entity::Model> for LegalEntity {
    fn from(model: legal_entity::Model) -> Self {
        Self {
            id: gql_id(model.id),
            name: model.name,
            is_main: model.is_main,
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }
}

#[derive(InputObject)]
pub struct CreateLegalEntityInput {
    pub name: String,
    #[graphql(default)]
    pub is_main: bool,
}

#[derive(InputObject)]
pub struct UpdateLegalEntityInput {
    pub name: Option<String>,
    pub is_main: Option<bool>,
}

#[derive(Default)]
pub struct LegalEntityQuery;

#[Object]
impl LegalEntityQuery {
    /// Legal entities (companies) of the organisation; company admins see the ones they administer.
    async fn legal_entities(&self, ctx: &Context<'_>) -> GqlResult<Vec<LegalEntity>> {
        let (state, principal) = caller(ctx)?;
        Ok(service::list(state, principal)
            .await
            .gql()?
            .into_iter()
            .map(LegalEntity::from)
            .collect())
    }
}

#[derive(Default)]
pub struct LegalEntityMutation;

#[Object]
impl LegalEntityMutation {
    async fn create_legal_entity(&self, ctx: &Context<'_>, input: CreateLegalEntityInput) -> GqlResult<LegalEntity> {
        let (state, principal) = caller(ctx)?;
        let input = LegalEntityInput {
            name: Some(input.name),
            is_main: Some(input.is_main),
        };
        service::create(state, principal, input)
            .await
            .gql()
            .map(LegalEntity::from)
    }

    async fn update_legal_entity(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateLegalEntityInput,
    ) -> GqlResult<LegalEntity> {
        let id = parse_id("id", &id, LegalEntityId)?;
        let (state, principal) = caller(ctx)?;
        let input = LegalEntityInput {
            name: input.name,
            is_main: input.is_main,
        };
        service::update(state, principal, id, input)
            .await
            .gql()
            .map(LegalEntity::from)
    }
}
