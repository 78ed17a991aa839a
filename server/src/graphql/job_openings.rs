use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use talentpost_shared::JobOpeningStatus;

use super::legal_entities::LegalEntity;
use super::loaders::loaders;
use super::support::{GqlResult, ServiceResultExt, caller, gql_id, page_request, parse_id, to_connection, to_gql};
use crate::db::entities::job_opening;
use crate::error::ServiceError;
use crate::ids::{JobOpeningId, LegalEntityId};
use crate::services::candidates::job_openings::{self as service, JobOpeningFilter, JobOpeningInput};

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct JobOpening {
    pub id: ID,
    pub title: String,
    pub location: Option<String>,
    pub status: JobOpeningStatus,
    pub legal_entity_id: ID,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    raw_entity_id: i64,
}

#[ComplexObject]
impl JobOpening {
    async fn legal_entity(&self, ctx: &Context<'_>) -> GqlResult<LegalEntity> {
        // A list of openings reads their entities in one statement (loaders.rs).
        loaders(ctx)?
            .legal_entity(self.raw_entity_id)
            .await?
            .map(LegalEntity::from)
            .ok_or_else(|| {
                to_gql(ServiceError::not_found(
                    LegalEntityId::LABEL,
                    LegalEntityId(self.raw_entity_id),
                ))
            })
    }
}

impl From<job_opening::Model> for JobOpening {
    fn from(model: job_opening::Model) -> Self {
        Self {
            id: gql_id(model.id),
            title: model.title,
            location: model.location,
            status: model.status,
            legal_entity_id: gql_id(model.legal_entity_id),
            created_at: model.created_at,
            updated_at: model.updated_at,
            raw_entity_id: model.legal_entity_id,
        }
    }
}

#[derive(InputObject)]
pub struct CreateJobOpeningInput {
    pub legal_entity_id: ID,
    pub title: String,
    pub location: Option<String>,
    pub status: Option<JobOpeningStatus>,
}

#[derive(InputObject)]
pub struct UpdateJobOpeningInput {
    pub legal_entity_id: Option<ID>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub status: Option<JobOpeningStatus>,
}

#[derive(Default)]
pub struct JobOpeningQuery;

#[Object]
impl JobOpeningQuery {
    #[graphql(complexity = "first.unwrap_or(50).clamp(0, 200) as usize * child_complexity + 1")]
    async fn job_openings(
        &self,
        ctx: &Context<'_>,
        status: Option<JobOpeningStatus>,
        legal_entity_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, JobOpening>> {
        let legal_entity_id = legal_entity_id
            .map(|id| parse_id("legalEntityId", &id, LegalEntityId))
            .transpose()?;
        let request = page_request(first, after.as_deref())?;
        let (state, principal) = caller(ctx)?;
        let page = service::list(
            state,
            principal,
            JobOpeningFilter {
                status,
                legal_entity_id,
            },
            &request,
        )
        .await
        .gql()?;
        let openings: Vec<&job_opening::Model> = page.items.iter().map(|(_, opening)| opening).collect();
        loaders(ctx)?
            .prime_job_openings(&ctx.look_ahead().field("edges").field("node"), &openings)
            .await?;
        Ok(to_connection(page, request.after.is_some(), JobOpening::from))
    }
}

#[derive(Default)]
pub struct JobOpeningMutation;

#[Object]
impl JobOpeningMutation {
    async fn create_job_opening(&self, ctx: &Context<'_>, input: CreateJobOpeningInput) -> GqlResult<JobOpening> {
        let legal_entity_id = parse_id("legalEntityId", &input.legal_entity_id, LegalEntityId)?;
        let (state, principal) = caller(ctx)?;
        let input = JobOpeningInput {
            legal_entity_id: Some(legal_entity_id),
            title: Some(input.title),
            location: input.location,
            status: input.status,
        };
        service::create(state, principal, input)
            .await
            .gql()
            .map(JobOpening::from)
    }

    async fn update_job_opening(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateJobOpeningInput,
    ) -> GqlResult<JobOpening> {
        let id = parse_id("id", &id, JobOpeningId)?;
        let legal_entity_id = input
            .legal_entity_id
            .map(|id| parse_id("legalEntityId", &id, LegalEntityId))
            .transpose()?;
        let (state, principal) = caller(ctx)?;
        let input = JobOpeningInput {
            legal_entity_id,
            title: input.title,
            location: input.location,
            status: input.status,
        };
        service::update(state, principal, id, input)
            .await
            .gql()
            .map(JobOpening::from)
    }
}
