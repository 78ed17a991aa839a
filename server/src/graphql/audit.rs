use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::support::{GqlResult, ServiceResultExt, caller, gql_id, page_request, to_connection};
use crate::services::audit as audit_service;

#[derive(SimpleObject)]
pub struct AuditEntry {
    pub id: ID,
    pub actor_id: Option<ID>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<ID>,
    /// What changed, as JSON. Secrets are never recorded.
    pub details: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Administrative changes, newest first. Administrators only.
    async fn audit_log(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> GqlResult<Connection<String, AuditEntry>> {
        let (state, principal) = caller(ctx)?;
        let request = page_request(first, after.as_deref())?;
        let page = audit_service::list(state, principal, &request).await.gql()?;
        Ok(to_connection(page, request.after.is_some(), |row| AuditEntry {
            id: gql_id(row.id),
            actor_id: row.actor_user_id.map(gql_id),
            action: row.action,
            subject_type: row.subject_type,
            subject_id: row.subject_id.map(gql_id),
            details: row.details,
            created_at: row.created_at,
        }))
    }
}
