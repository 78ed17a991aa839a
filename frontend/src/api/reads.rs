//! Reads that several pages share: the lists their pickers offer, a letter's preview,
//! the candidate search. One function each, so every page asks the same way.

use super::generated as gql;
use super::{ApiError, run};

pub type LegalEntity = gql::legal_entities::LegalEntitiesLegalEntities;
pub type UserGroup = gql::fragments::UserGroupFields;
pub type JobOpening = gql::fragments::JobOpeningFields;
pub type FormLetter = gql::fragments::FormLetterFields;
pub type SavedQuery = gql::fragments::SavedCandidateQueryFields;
pub type LetterPreview = gql::preview_form_letter::PreviewFormLetterPreviewFormLetter;

pub async fn legal_entities() -> Result<Vec<LegalEntity>, ApiError> {
    Ok(run::<gql::LegalEntities>(gql::legal_entities::Variables)
        .await?
        .legal_entities)
}

pub async fn user_groups() -> Result<Vec<UserGroup>, ApiError> {
    Ok(run::<gql::UserGroups>(gql::user_groups::Variables).await?.user_groups)
}

/// The first page of job openings, for the opening pickers.
pub async fn job_opening_choices() -> Result<Vec<JobOpening>, ApiError> {
    let data = run::<gql::JobOpenings>(gql::job_openings::Variables { after: None }).await?;
    Ok(data.job_openings.edges.into_iter().map(|edge| edge.node).collect())
}

pub async fn form_letters() -> Result<Vec<FormLetter>, ApiError> {
    Ok(run::<gql::FormLetters>(gql::form_letters::Variables)
        .await?
        .form_letters)
}

pub async fn candidate_queries() -> Result<Vec<SavedQuery>, ApiError> {
    Ok(run::<gql::CandidateQueries>(gql::candidate_queries::Variables)
        .await?
        .candidate_queries)
}

/// The letter `letter_id` as the candidate would get it, about `application_id` (else
/// the candidate's newest application).
pub async fn preview_form_letter(
    letter_id: String,
    candidate_id: String,
    application_id: Option<String>,
) -> Result<LetterPreview, ApiError> {
    let variables = gql::preview_form_letter::Variables {
        id: letter_id,
        c: candidate_id,
        a: application_id,
    };
    Ok(run::<gql::PreviewFormLetter>(variables).await?.preview_form_letter)
}

/// Candidates whose name, address or phone contains `term`, for pickers (inbox,
/// nurturing); nothing for fewer than two characters, which would match half the pool.
pub async fn search_candidates(term: String, first: i64) -> Result<Vec<gql::fragments::CandidateFields>, ApiError> {
    if term.trim().chars().count() < 2 {
        return Ok(Vec::new());
    }
    let variables = gql::candidates::Variables {
        search: Some(term),
        status: None,
        pool: None,
        opening: None,
        source: None,
        first: Some(first),
        after: None,
    };
    let data = run::<gql::Candidates>(variables).await?;
    Ok(data.candidates.edges.into_iter().map(|edge| edge.node).collect())
}
