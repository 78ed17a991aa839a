use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::support::{GqlResult, ServiceResultExt, caller, gql_id, page_request, parse_id, to_connection};
use crate::services::org::audit::{self as audit_service, AuditFilter};

#[derive(SimpleObject)]
pub struct AuditEntry {
    pub id: ID,
    /// The user who made the change (the token's owner for an API token).
    pub actor_id: Option<ID>,
    pub actor_name: Option<String>,
    /// Set when the change came through an API token.
    pub api_token_id: Option<ID>,
    pub api_token_name: Option<String>,
    /// What happened, e.g. `inbox_item.delete`, `candidate.update`.
    pub action: String,
    /// The kind of record: `candidate`, `inbox_item`, `application`, `job_opening`, …
    pub subject_type: String,
    pub subject_id: Option<ID>,
    /// What changed, as JSON. Secrets are never recorded.
    pub details: String,
    pub created_at: DateTime<Utc>,
}

#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    /// Only entries of this user (including their API tokens).
    pub user_id: Option<ID>,
    /// Only entries about this kind of record (`subjectType`).
    pub kind: Option<String>,
    /// From this instant on (included).
    pub from: Option<DateTime<Utc>>,
    /// Up to this instant (excluded).
    pub to: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Who did what, newest first. Administrators only.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditLogFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, AuditEntry>> {
        let (state, principal) = caller(ctx)?;
        let request = page_request(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = AuditFilter {
            user_id: filter
                .user_id
                .as_ref()
                .map(|id| parse_id("filter.userId", id, |id| id))
                .transpose()?,
            kind: filter.kind.filter(|kind| !kind.is_empty()),
            from: filter.from,
            to: filter.to,
        };
        let page = audit_service::list(state, principal, filter, &request).await.gql()?;
        Ok(to_connection(page, request.after.is_some(), |row| AuditEntry {
            id: gql_id(row.entry.id),
            actor_id: row.entry.actor_user_id.map(gql_id),
            actor_name: row.actor_name,
            api_token_id: row.entry.actor_api_token_id.map(gql_id),
            api_token_name: row.api_token_name,
            action: row.entry.action,
            subject_type: row.entry.subject_type,
            subject_id: row.entry.subject_id.map(gql_id),
            details: row.entry.details,
            created_at: row.entry.created_at,
        }))
    }
}
