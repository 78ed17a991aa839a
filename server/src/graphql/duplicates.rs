use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use talentpost_shared::{DuplicateReason, DuplicateStatus};

use super::candidates::Candidate;
use super::support::{GqlResult, ServiceResultExt, caller, page_request, parse_id, parse_ids, to_connection};
use crate::ids::CandidateId;
use crate::services::candidates::duplicates::{self as service, DuplicateFilter, MergeCounts};

/// Candidates sharing an e-mail address, a phone number, or name and birthday.
#[derive(SimpleObject)]
pub struct DuplicateSet {
    /// Identifies the set by what its members share; pass it to confirm or dismiss.
    pub id: ID,
    pub reason: DuplicateReason,
    pub status: DuplicateStatus,
    pub members: Vec<Candidate>,
}

impl From<service::DuplicateSet> for DuplicateSet {
    fn from(set: service::DuplicateSet) -> Self {
        Self {
            id: ID(set.key),
            reason: set.reason,
            status: set.status,
            members: set.members.into_iter().map(Candidate::from).collect(),
        }
    }
}

#[derive(InputObject, Default)]
pub struct DuplicateSetFilter {
    /// Only sets this candidate belongs to.
    pub candidate_id: Option<ID>,
    /// Default OPEN.
    pub status: Option<DuplicateStatus>,
}

/// The kept candidate and what moved onto it.
#[derive(SimpleObject)]
pub struct MergeResult {
    pub candidate: Candidate,
    pub moved_applications: u64,
    pub moved_documents: u64,
    pub moved_contact_events: u64,
    /// Addresses the kept candidate did not have yet.
    pub moved_emails: u64,
    pub moved_inbox_items: u64,
}

#[derive(Default)]
pub struct DuplicateQuery;

#[Object]
impl DuplicateQuery {
    #[graphql(complexity = "first.unwrap_or(50).clamp(0, 200) as usize * child_complexity + 1")]
    async fn duplicate_sets(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: DuplicateSetFilter,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, DuplicateSet>> {
        let request = page_request(first, after.as_deref())?;
        let candidate_id = filter
            .candidate_id
            .map(|id| parse_id("filter.candidateId", &id, CandidateId))
            .transpose()?;
        let (state, principal) = caller(ctx)?;
        let filter = DuplicateFilter {
            candidate_id,
            status: filter.status,
        };
        let page = service::list(state, principal, filter, &request).await.gql()?;
        Ok(to_connection(page, request.after.is_some(), DuplicateSet::from))
    }
}

#[derive(Default)]
pub struct DuplicateMutation;

#[Object]
impl DuplicateMutation {
    /// Folds the source candidates into the target, keeping every application, document,
    /// contact event and address; the sources are deleted.
    async fn merge_candidates(&self, ctx: &Context<'_>, target_id: ID, source_ids: Vec<ID>) -> GqlResult<MergeResult> {
        let target_id = parse_id("targetId", &target_id, CandidateId)?;
        let source_ids = parse_ids("sourceIds", &source_ids, CandidateId)?;
        let (state, principal) = caller(ctx)?;
        let (candidate, counts) = service::merge(state, principal, target_id, &source_ids).await.gql()?;
        let MergeCounts {
            applications,
            documents,
            contact_events,
            emails,
            inbox_items,
        } = counts;
        Ok(MergeResult {
            candidate: Candidate::from(candidate),
            moved_applications: applications,
            moved_documents: documents,
            moved_contact_events: contact_events,
            moved_emails: emails,
            moved_inbox_items: inbox_items,
        })
    }

    /// The members are different people; the set is no longer shown.
    async fn dismiss_duplicate(&self, ctx: &Context<'_>, set_id: ID) -> GqlResult<DuplicateSet> {
        let (state, principal) = caller(ctx)?;
        service::decide(state, principal, &set_id, DuplicateStatus::Dismissed)
            .await
            .gql()
            .map(DuplicateSet::from)
    }

    /// The members are the same person but stay apart for now; they are mailed only once.
    async fn confirm_duplicate(&self, ctx: &Context<'_>, set_id: ID) -> GqlResult<DuplicateSet> {
        let (state, principal) = caller(ctx)?;
        service::decide(state, principal, &set_id, DuplicateStatus::Confirmed)
            .await
            .gql()
            .map(DuplicateSet::from)
    }
}
