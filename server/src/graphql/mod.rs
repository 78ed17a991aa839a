//! The GraphQL API, composed per domain. Resolvers read the context, call one
//! service function and convert its result; no database access happens here.

mod audit;
mod auth;
mod candidates;
mod dashboard;
mod duplicates;
mod inbound_accounts;
mod inbox;
mod intake;
mod job_openings;
mod legal_entities;
pub mod loaders;
mod mail_messages;
mod nurturing;
mod nurturing_jobs;
mod oauth;
mod organisation;
mod outbound_accounts;
mod outbox;
mod support;
mod users;

use async_graphql::{MergedObject, MergedSubscription, Schema};

use crate::state::AppState;

pub use support::{RequestAuth, SessionCookie};

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    auth::AuthQuery,
    legal_entities::LegalEntityQuery,
    users::UserQuery,
    job_openings::JobOpeningQuery,
    candidates::CandidateQuery,
    duplicates::DuplicateQuery,
    dashboard::DashboardQuery,
    inbox::InboxQuery,
    intake::IntakeQuery,
    nurturing::NurturingQuery,
    nurturing_jobs::NurturingJobQuery,
    organisation::OrganisationQuery,
    inbound_accounts::InboundAccountQuery,
    oauth::OauthQuery,
    outbound_accounts::OutboundAccountQuery,
    outbox::OutboxQuery,
    audit::AuditQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    auth::AuthMutation,
    legal_entities::LegalEntityMutation,
    users::UserMutation,
    job_openings::JobOpeningMutation,
    candidates::CandidateMutation,
    duplicates::DuplicateMutation,
    inbox::InboxMutation,
    intake::IntakeMutation,
    nurturing::NurturingMutation,
    nurturing_jobs::NurturingJobMutation,
    organisation::OrganisationMutation,
    inbound_accounts::InboundAccountMutation,
    oauth::OauthMutation,
    outbound_accounts::OutboundAccountMutation,
    outbox::OutboxMutation,
);

#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(
    inbox::InboxSubscription,
    inbound_accounts::InboundAccountSubscription,
    outbox::OutboxSubscription,
    nurturing_jobs::NurturingJobSubscription,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Limits that keep one request from occupying the server: nesting depth and the
/// summed field complexity (lists count by their page size).
pub const MAX_DEPTH: usize = 15;
pub const MAX_COMPLEXITY: usize = 5_000;

pub fn build_schema(state: Option<AppState>) -> AppSchema {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .extension(support::ErrorCodes);
    match state {
        Some(state) => builder
            .extension(support::SubscriptionCount(state.metrics.clone()))
            .data(state)
            .finish(),
        None => builder.finish(),
    }
}

/// The SDL checked in as `server/schema.graphql`; a test fails when they drift.
pub fn sdl() -> String {
    build_schema(None).sdl()
}
