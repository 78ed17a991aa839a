//! Plumbing shared by the domain modules: caller and state from the context, id
//! parsing at the boundary, error conversion and connection building.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest};
use async_graphql::{Context, ErrorExtensions, ID, OutputType, Response, ServerError};
use talentpost_shared::{EmailAddress, ErrorCode};

use crate::auth::Principal;
use crate::error::ServiceError;
use crate::services::pagination::{Page, PageRequest};
use crate::state::AppState;

/// The caller of this request or WebSocket connection, if authenticated.
#[derive(Clone)]
pub struct RequestAuth(pub Option<Principal>);

/// The raw session cookie value, needed by `logout` to end exactly this session.
#[derive(Clone)]
pub struct SessionCookie(pub Option<String>);

pub type GqlResult<T> = Result<T, async_graphql::Error>;

pub fn to_gql(error: ServiceError) -> async_graphql::Error {
    let code = error.code();
    if code == ErrorCode::Internal {
        // The one place internal failures are logged, with their whole chain.
        tracing::error!(error = %crate::error::chain(&error), "request failed");
    }
    let field = error.field().map(str::to_owned);
    let problem = match &error {
        ServiceError::MailServer { problem, .. } => Some(problem.as_str().to_ascii_uppercase()),
        _ => None,
    };
    async_graphql::Error::new(error.public_message()).extend_with(|_, ext| {
        ext.set("code", code.as_str());
        if let Some(problem) = &problem {
            ext.set("problem", problem.as_str());
        }
        if let Some(field) = &field {
            ext.set("field", field.as_str());
        }
    })
}

pub trait ServiceResultExt<T> {
    fn gql(self) -> GqlResult<T>;
}

impl<T> ServiceResultExt<T> for Result<T, ServiceError> {
    fn gql(self) -> GqlResult<T> {
        self.map_err(to_gql)
    }
}

/// A related record the caller may not see (or that is gone) reads as `null`; any
/// other failure (the database, say) is an error, not a silent `null`.
pub trait OptionalRelation<T> {
    fn visible(self) -> GqlResult<Option<T>>;
}

impl<T> OptionalRelation<T> for Result<T, ServiceError> {
    fn visible(self) -> GqlResult<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(ServiceError::NotFound { .. } | ServiceError::Forbidden(_)) => Ok(None),
            Err(error) => Err(to_gql(error)),
        }
    }
}

pub fn state<'a>(ctx: &Context<'a>) -> GqlResult<&'a AppState> {
    ctx.data::<AppState>()
        .map_err(|_| to_gql(ServiceError::Internal("schema built without state".into())))
}

pub fn principal<'a>(ctx: &Context<'a>) -> GqlResult<&'a Principal> {
    match ctx.data_opt::<RequestAuth>() {
        Some(RequestAuth(Some(principal))) => Ok(principal),
        _ => Err(to_gql(ServiceError::Unauthenticated)),
    }
}

/// State and caller together: what nearly every resolver needs first.
pub fn caller<'a>(ctx: &Context<'a>) -> GqlResult<(&'a AppState, &'a Principal)> {
    Ok((state(ctx)?, principal(ctx)?))
}

pub fn parse_id<T>(field: &str, id: &ID, make: impl Fn(i64) -> T) -> GqlResult<T> {
    id.parse::<i64>().ok().filter(|n| *n > 0).map(make).ok_or_else(|| {
        to_gql(ServiceError::invalid(
            field,
            format!("\"{}\" is not a valid id", id.as_str()),
        ))
    })
}

pub fn parse_ids<T>(field: &str, ids: &[ID], make: impl Fn(i64) -> T + Copy) -> GqlResult<Vec<T>> {
    ids.iter().map(|id| parse_id(field, id, make)).collect()
}

pub fn parse_email(field: &str, text: &str) -> GqlResult<EmailAddress> {
    EmailAddress::parse(text).map_err(|error| to_gql(ServiceError::invalid(field, error.to_string())))
}

pub fn page_request(first: Option<i32>, after: Option<&str>) -> GqlResult<PageRequest> {
    PageRequest::parse(first, after).gql()
}

pub fn to_connection<T, U: OutputType>(
    page: Page<T>,
    had_cursor: bool,
    convert: impl Fn(T) -> U,
) -> Connection<String, U> {
    let mut connection = Connection::new(had_cursor, page.has_next_page);
    connection.edges.extend(
        page.items
            .into_iter()
            .map(|(cursor, item)| Edge::new(cursor.encode(), convert(item))),
    );
    connection
}

pub fn gql_id(id: i64) -> ID {
    ID(id.to_string())
}

/// Gives errors produced by async-graphql itself (parse, validation, limits) a code
/// from the shared enum, so every error a client sees carries `extensions.code`.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            add_default_code(error);
        }
        response
    }
}

/// Counts open subscriptions for `/metrics`: each subscription's stream carries a guard
/// that counts it down when the stream ends or its client goes away.
pub struct SubscriptionCount(pub Arc<crate::metrics::Metrics>);

impl ExtensionFactory for SubscriptionCount {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SubscriptionCountExtension(self.0.clone()))
    }
}

struct SubscriptionCountExtension(Arc<crate::metrics::Metrics>);

impl Extension for SubscriptionCountExtension {
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: futures_util::stream::BoxStream<'s, Response>,
        next: async_graphql::extensions::NextSubscribe<'_>,
    ) -> futures_util::stream::BoxStream<'s, Response> {
        use futures_util::StreamExt;
        let open = self.0.subscription_opened();
        next.run(ctx, stream)
            .map(move |response| {
                let _counted_while_open = &open;
                response
            })
            .boxed()
    }
}

fn add_default_code(error: &mut ServerError) {
    let has_code = error.extensions.as_ref().is_some_and(|ext| ext.get("code").is_some());
    if has_code {
        return;
    }
    let message = error.message.to_lowercase();
    let code = if message.contains("nested too deep") || message.contains("too complex") {
        ErrorCode::QueryTooComplex
    } else {
        ErrorCode::InvalidInput
    };
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
}

#[cfg(test)]
mod relation_tests {
    use super::*;

    #[test]
    fn a_hidden_relation_is_null_and_a_failure_is_an_error() {
        assert_eq!(Ok::<_, ServiceError>(7).visible().ok(), Some(Some(7)));
        assert_eq!(
            Err::<i32, _>(ServiceError::not_found("candidate", 7)).visible().ok(),
            Some(None)
        );
        assert_eq!(
            Err::<i32, _>(ServiceError::Forbidden("not yours")).visible().ok(),
            Some(None)
        );
        assert!(
            Err::<i32, _>(ServiceError::Internal("database gone".into()))
                .visible()
                .is_err()
        );
    }
}
