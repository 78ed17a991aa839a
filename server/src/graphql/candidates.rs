use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use talentpost_shared::{ApplicationStatus, CandidateStatus, DuplicateStatus, SourceMedium};

use super::duplicates::DuplicateSet;
use super::inbox::Document;
use super::job_openings::JobOpening;
use super::loaders::loaders;
use super::support::{
    GqlResult, ServiceResultExt, caller, gql_id, page_request, parse_email, parse_id, state, to_connection,
};
use crate::db::entities::{application, candidate};
use crate::ids::{ApplicationId, CandidateId, JobOpeningId};
use crate::services::candidates::{self as service, CandidateFilter, CandidateInput};

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Candidate {
    pub id: ID,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub in_talent_pool: bool,
    /// The day the candidate joined the talent pool.
    pub pool_joined_on: Option<NaiveDate>,
    pub status: CandidateStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    raw_id: i64,
}

#[ComplexObject]
impl Candidate {
    async fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// The newest contact in the candidate's history (mail that never went out does
    /// not count).
    async fn last_contact_at(&self, ctx: &Context<'_>) -> GqlResult<Option<DateTime<Utc>>> {
        loaders(ctx)?.last_contact(self.raw_id).await
    }

    async fn emails(&self, ctx: &Context<'_>) -> GqlResult<Vec<String>> {
        loaders(ctx)?.candidate_emails(self.raw_id).await
    }

    async fn applications(&self, ctx: &Context<'_>) -> GqlResult<Vec<Application>> {
        let state = state(ctx)?;
        Ok(service::applications_of(state, self.raw_id)
            .await
            .gql()?
            .into_iter()
            .map(Application)
            .collect())
    }

    /// Files of the candidate: attachments of taken-over mail and forms, newest last.
    async fn documents(&self, ctx: &Context<'_>) -> GqlResult<Vec<Document>> {
        let state = state(ctx)?;
        Ok(service::documents_of(state, self.raw_id)
            .await
            .gql()?
            .into_iter()
            .map(Document::from)
            .collect())
    }

    /// Open and confirmed duplicate sets the candidate belongs to.
    async fn duplicate_sets(&self, ctx: &Context<'_>) -> GqlResult<Vec<DuplicateSet>> {
        let (state, principal) = caller(ctx)?;
        let sets = crate::services::candidates::duplicates::sets(
            &state.db,
            principal.organisation_id,
            Some(CandidateId(self.raw_id)),
        )
        .await
        .gql()?;
        Ok(sets
            .into_iter()
            .filter(|set| set.status != DuplicateStatus::Dismissed)
            .map(DuplicateSet::from)
            .collect())
    }
}

impl From<candidate::Model> for Candidate {
    fn from(model: candidate::Model) -> Self {
        Self {
            id: gql_id(model.id),
            first_name: model.first_name,
            last_name: model.last_name,
            phone: model.phone,
            birthday: model.birthday,
            in_talent_pool: model.in_talent_pool,
            pool_joined_on: model.pool_joined_on,
            status: model.status,
            created_at: model.created_at,
            updated_at: model.updated_at,
            raw_id: model.id,
        }
    }
}

pub struct Application(pub application::Model);

#[Object]
impl Application {
    async fn id(&self) -> ID {
        gql_id(self.0.id)
    }
    async fn status(&self) -> ApplicationStatus {
        self.0.status
    }
    async fn source_medium(&self) -> SourceMedium {
        self.0.source_medium
    }
    async fn applied_at(&self) -> DateTime<Utc> {
        self.0.applied_at
    }
    async fn status_changed_at(&self) -> DateTime<Utc> {
        self.0.status_changed_at
    }
    /// When the application first reached the interview stage.
    async fn interview_at(&self) -> Option<DateTime<Utc>> {
        self.0.interview_at
    }
    async fn hired_at(&self) -> Option<DateTime<Utc>> {
        self.0.hired_at
    }
    /// The opening applied for; empty for an unsolicited application.
    async fn job_opening(&self, ctx: &Context<'_>) -> GqlResult<Option<JobOpening>> {
        let Some(id) = self.0.job_opening_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.job_opening(id).await?.map(JobOpening::from))
    }
}

#[derive(InputObject)]
pub struct CreateCandidateInput {
    pub first_name: String,
    pub last_name: String,
    #[graphql(default)]
    pub emails: Vec<String>,
    pub phone: Option<String>,
    pub birthday: Option<NaiveDate>,
    #[graphql(default)]
    pub in_talent_pool: bool,
    pub status: Option<CandidateStatus>,
}

#[derive(InputObject)]
pub struct UpdateCandidateInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Replaces all addresses when given.
    pub emails: Option<Vec<String>>,
    pub phone: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub in_talent_pool: Option<bool>,
    pub status: Option<CandidateStatus>,
}

fn parse_emails(emails: &[String]) -> GqlResult<Vec<talentpost_shared::EmailAddress>> {
    emails
        .iter()
        .enumerate()
        .map(|(index, email)| parse_email(&format!("emails.{index}"), email))
        .collect()
}

#[derive(Default)]
pub struct CandidateQuery;

// GraphQL arguments are flat by design; each filter is one argument.
#[allow(clippy::too_many_arguments)]
#[Object]
impl CandidateQuery {
    #[graphql(complexity = "first.unwrap_or(50).clamp(0, 200) as usize * child_complexity + 1")]
    async fn candidates(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        status: Option<CandidateStatus>,
        in_talent_pool: Option<bool>,
        #[graphql(desc = "Candidates with an application for this opening.")] job_opening_id: Option<ID>,
        #[graphql(desc = "Candidates with an application from this source.")] source: Option<SourceMedium>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, Candidate>> {
        let request = page_request(first, after.as_deref())?;
        let job_opening_id = job_opening_id
            .map(|id| parse_id("jobOpeningId", &id, JobOpeningId))
            .transpose()?;
        let (state, principal) = caller(ctx)?;
        let filter = CandidateFilter {
            search,
            status,
            in_talent_pool,
            job_opening_id,
            source,
        };
        let page = service::list(state, principal, filter, &request).await.gql()?;
        let ids: Vec<i64> = page.items.iter().map(|(_, candidate)| candidate.id).collect();
        loaders(ctx)?
            .prime_candidates(&ctx.look_ahead().field("edges").field("node"), &ids)
            .await?;
        Ok(to_connection(page, request.after.is_some(), Candidate::from))
    }

    async fn candidate(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Candidate> {
        let id = parse_id("id", &id, CandidateId)?;
        let (state, principal) = caller(ctx)?;
        service::find(&state.db, principal, id).await.gql().map(Candidate::from)
    }
}

#[derive(Default)]
pub struct CandidateMutation;

#[Object]
impl CandidateMutation {
    async fn create_candidate(&self, ctx: &Context<'_>, input: CreateCandidateInput) -> GqlResult<Candidate> {
        let emails = parse_emails(&input.emails)?;
        let (state, principal) = caller(ctx)?;
        let input = CandidateInput {
            first_name: Some(input.first_name),
            last_name: Some(input.last_name),
            emails: Some(emails),
            phone: input.phone,
            birthday: input.birthday,
            in_talent_pool: Some(input.in_talent_pool),
            status: input.status,
        };
        service::create(state, principal, input)
            .await
            .gql()
            .map(Candidate::from)
    }

    /// Links the candidate to a job opening (or records an unsolicited application).
    /// Mail about the application goes out from the opening's legal entity.
    async fn create_application(
        &self,
        ctx: &Context<'_>,
        candidate_id: ID,
        job_opening_id: Option<ID>,
        source_medium: Option<SourceMedium>,
    ) -> GqlResult<Application> {
        let candidate_id = parse_id("candidateId", &candidate_id, CandidateId)?;
        let job_opening_id = job_opening_id
            .map(|id| parse_id("jobOpeningId", &id, JobOpeningId))
            .transpose()?;
        let (state, principal) = caller(ctx)?;
        service::add_application(state, principal, candidate_id, job_opening_id, source_medium)
            .await
            .gql()
            .map(Application)
    }

    /// Moves an application along: NEW → IN_PROCESS → INTERVIEW → HIRED or REJECTED.
    async fn set_application_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: ApplicationStatus,
    ) -> GqlResult<Application> {
        let id = parse_id("id", &id, ApplicationId)?;
        let (state, principal) = caller(ctx)?;
        service::set_application_status(state, principal, id, status)
            .await
            .gql()
            .map(Application)
    }

    async fn update_candidate(&self, ctx: &Context<'_>, id: ID, input: UpdateCandidateInput) -> GqlResult<Candidate> {
        let id = parse_id("id", &id, CandidateId)?;
        let emails = input.emails.as_deref().map(parse_emails).transpose()?;
        let (state, principal) = caller(ctx)?;
        let input = CandidateInput {
            first_name: input.first_name,
            last_name: input.last_name,
            emails,
            phone: input.phone,
            birthday: input.birthday,
            in_talent_pool: input.in_talent_pool,
            status: input.status,
        };
        service::update(state, principal, id, input)
            .await
            .gql()
            .map(Candidate::from)
    }
}
