//! Contact nurturing: saved candidate queries and form letters.

use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use talentpost_shared::CandidateStatus;
use talentpost_shared::nurturing::CandidateQueryFilter;

use super::candidates::Candidate;
use super::outbox::OutboxMessage;
use super::support::{GqlResult, ServiceResultExt, caller, gql_id, page_request, parse_id, to_connection};
use crate::db::entities::{candidate_query, form_letter};
use crate::ids::{ApplicationId, CandidateId, CandidateQueryId, FormLetterId};
use crate::services::candidates::candidate_queries;
use crate::services::mail_out::form_letters::{self, FormLetterInput as ServiceLetterInput};
use crate::services::mail_out::messages::PLACEHOLDERS;

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct SavedCandidateQuery {
    pub id: ID,
    pub name: String,
    pub filter: CandidateQueryFilter,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[ComplexObject]
impl SavedCandidateQuery {
    /// How many candidates match right now.
    async fn hit_count(&self, ctx: &Context<'_>) -> GqlResult<u64> {
        let (state, principal) = caller(ctx)?;
        let page = page_request(Some(1), None)?;
        Ok(candidate_queries::run(state, principal, &self.filter, &page)
            .await
            .gql()?
            .1)
    }
}

impl From<candidate_query::Model> for SavedCandidateQuery {
    fn from(model: candidate_query::Model) -> Self {
        Self {
            filter: candidate_queries::filter_of(&model),
            id: gql_id(model.id),
            name: model.name,
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }
}

/// The current hits of a query.
#[derive(SimpleObject)]
pub struct CandidateQueryHits {
    pub total_count: u64,
    pub candidates: Connection<String, Candidate>,
}

#[derive(SimpleObject)]
pub struct FormLetter {
    pub id: ID,
    pub name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    /// The status the candidate gets when the letter is sent.
    pub sets_candidate_status: Option<CandidateStatus>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<form_letter::Model> for FormLetter {
    fn from(model: form_letter::Model) -> Self {
        Self {
            id: gql_id(model.id),
            sets_candidate_status: model.sets_candidate_status,
            name: model.name,
            subject: model.subject,
            body_text: model.body_text,
            body_html: model.body_html,
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }
}

#[derive(InputObject)]
pub struct FormLetterInput {
    pub name: Option<String>,
    pub subject: Option<String>,
    pub body_text: Option<String>,
    /// Sanitised when saved; an empty text removes it.
    pub body_html: Option<String>,
    pub sets_candidate_status: Option<CandidateStatus>,
    /// Removes the status change (with `setsCandidateStatus` left out).
    #[graphql(default)]
    pub clear_candidate_status: bool,
}

impl From<FormLetterInput> for ServiceLetterInput {
    fn from(input: FormLetterInput) -> Self {
        Self {
            name: input.name,
            subject: input.subject,
            body_text: input.body_text,
            body_html: input.body_html,
            sets_candidate_status: match (input.sets_candidate_status, input.clear_candidate_status) {
                (Some(status), _) => Some(Some(status)),
                (None, true) => Some(None),
                (None, false) => None,
            },
        }
    }
}

/// A form letter as one candidate would get it.
#[derive(SimpleObject)]
pub struct FormLetterPreview {
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    /// The address it would go to; empty when the candidate has none that works.
    pub to: Option<String>,
}

#[derive(Default)]
pub struct NurturingQuery;

#[Object]
impl NurturingQuery {
    async fn candidate_queries(&self, ctx: &Context<'_>) -> GqlResult<Vec<SavedCandidateQuery>> {
        let (state, principal) = caller(ctx)?;
        Ok(candidate_queries::list(state, principal)
            .await
            .gql()?
            .into_iter()
            .map(SavedCandidateQuery::from)
            .collect())
    }

    /// The current hits of a saved query (or, with `filter`, of filters being edited).
    #[graphql(complexity = "first.unwrap_or(50).clamp(0, 200) as usize * child_complexity + 1")]
    async fn run_candidate_query(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        filter: Option<CandidateQueryFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<CandidateQueryHits> {
        let request = page_request(first, after.as_deref())?;
        let (state, principal) = caller(ctx)?;
        let filter = match (id, filter) {
            (_, Some(filter)) => filter,
            (Some(id), None) => {
                let id = parse_id("id", &id, CandidateQueryId)?;
                candidate_queries::filter_of(&candidate_queries::find(&state.db, principal, id).await.gql()?)
            }
            (None, None) => CandidateQueryFilter::default(),
        };
        let (page, total_count) = candidate_queries::run(state, principal, &filter, &request)
            .await
            .gql()?;
        Ok(CandidateQueryHits {
            total_count,
            candidates: to_connection(page, request.after.is_some(), Candidate::from),
        })
    }

    async fn form_letters(&self, ctx: &Context<'_>) -> GqlResult<Vec<FormLetter>> {
        let (state, principal) = caller(ctx)?;
        Ok(form_letters::list(state, principal)
            .await
            .gql()?
            .into_iter()
            .map(FormLetter::from)
            .collect())
    }

    /// The placeholders subjects and bodies may use.
    async fn form_letter_placeholders(&self) -> Vec<&'static str> {
        PLACEHOLDERS.to_vec()
    }

    /// About the given application, else the candidate's newest.
    async fn preview_form_letter(
        &self,
        ctx: &Context<'_>,
        id: ID,
        candidate_id: ID,
        application_id: Option<ID>,
    ) -> GqlResult<FormLetterPreview> {
        let id = parse_id("id", &id, FormLetterId)?;
        let candidate_id = parse_id("candidateId", &candidate_id, CandidateId)?;
        let application_id = application_id
            .map(|id| parse_id("applicationId", &id, ApplicationId))
            .transpose()?;
        let (state, principal) = caller(ctx)?;
        let (letter, to) = form_letters::preview(state, principal, id, candidate_id, application_id)
            .await
            .gql()?;
        Ok(FormLetterPreview {
            subject: letter.subject,
            body_text: letter.text,
            body_html: letter.html,
            to,
        })
    }
}

/// What sending a form letter did.
#[derive(SimpleObject)]
pub struct FormLetterSent {
    /// The mail in the outbox; null when the candidate has no working address.
    pub outbox_message: Option<OutboxMessage>,
    /// True when the letter was only recorded in the history, to be sent by post.
    pub documented_only: bool,
    /// The candidate afterwards (status, and minimised data after a rejection).
    pub candidate: Candidate,
}

#[derive(Default)]
pub struct NurturingMutation;

#[Object]
impl NurturingMutation {
    async fn create_candidate_query(
        &self,
        ctx: &Context<'_>,
        name: String,
        filter: CandidateQueryFilter,
    ) -> GqlResult<SavedCandidateQuery> {
        let (state, principal) = caller(ctx)?;
        candidate_queries::create(state, principal, &name, filter)
            .await
            .gql()
            .map(SavedCandidateQuery::from)
    }

    async fn update_candidate_query(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: Option<String>,
        filter: Option<CandidateQueryFilter>,
    ) -> GqlResult<SavedCandidateQuery> {
        let id = parse_id("id", &id, CandidateQueryId)?;
        let (state, principal) = caller(ctx)?;
        candidate_queries::update(state, principal, id, name.as_deref(), filter)
            .await
            .gql()
            .map(SavedCandidateQuery::from)
    }

    async fn delete_candidate_query(&self, ctx: &Context<'_>, id: ID) -> GqlResult<bool> {
        let id = parse_id("id", &id, CandidateQueryId)?;
        let (state, principal) = caller(ctx)?;
        candidate_queries::delete(state, principal, id)
            .await
            .gql()
            .map(|()| true)
    }

    async fn create_form_letter(&self, ctx: &Context<'_>, input: FormLetterInput) -> GqlResult<FormLetter> {
        let (state, principal) = caller(ctx)?;
        form_letters::create(state, principal, input.into())
            .await
            .gql()
            .map(FormLetter::from)
    }

    async fn update_form_letter(&self, ctx: &Context<'_>, id: ID, input: FormLetterInput) -> GqlResult<FormLetter> {
        let id = parse_id("id", &id, FormLetterId)?;
        let (state, principal) = caller(ctx)?;
        form_letters::update(state, principal, id, input.into())
            .await
            .gql()
            .map(FormLetter::from)
    }

    /// Sends the letter to one candidate about an application, and applies the letter's
    /// status (a rejection also rejects that application and, where the organisation
    /// keeps minimal data, reduces the candidate to it).
    async fn send_form_letter(
        &self,
        ctx: &Context<'_>,
        id: ID,
        candidate_id: ID,
        application_id: Option<ID>,
    ) -> GqlResult<FormLetterSent> {
        let id = parse_id("id", &id, FormLetterId)?;
        let candidate_id = parse_id("candidateId", &candidate_id, CandidateId)?;
        let application_id = application_id
            .map(|id| parse_id("applicationId", &id, ApplicationId))
            .transpose()?;
        let (state, principal) = caller(ctx)?;
        let (outcome, candidate) = form_letters::send(state, principal, id, candidate_id, application_id)
            .await
            .gql()?;
        let (outbox_message, documented_only) = match outcome {
            form_letters::LetterOutcome::Mailed(message) => (Some(OutboxMessage::from(*message)), false),
            form_letters::LetterOutcome::Documented(_) => (None, true),
        };
        Ok(FormLetterSent {
            outbox_message,
            documented_only,
            candidate: Candidate::from(candidate),
        })
    }

    async fn delete_form_letter(&self, ctx: &Context<'_>, id: ID) -> GqlResult<bool> {
        let id = parse_id("id", &id, FormLetterId)?;
        let (state, principal) = caller(ctx)?;
        form_letters::delete(state, principal, id).await.gql().map(|()| true)
    }
}
