use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::support::{GqlResult, ServiceResultExt, SessionCookie, caller, gql_id, parse_id, principal, state};
use super::users::User;
use crate::db::entities::api_token;
use crate::ids::ApiTokenId;
use crate::services::org::auth::{self as auth_service, SESSION_COOKIE};

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> GqlResult<User> {
        let (state, principal) = caller(ctx)?;
        auth_service::current_user(state, principal).await.gql().map(User)
    }

    /// API tokens: your own, or every token of the organisation for administrators.
    async fn api_tokens(&self, ctx: &Context<'_>) -> GqlResult<Vec<ApiToken>> {
        let (state, principal) = caller(ctx)?;
        let tokens = auth_service::list_api_tokens(state, principal).await.gql()?;
        Ok(tokens.into_iter().map(ApiToken::from).collect())
    }
}

#[derive(InputObject)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

#[derive(SimpleObject)]
pub struct ApiToken {
    pub id: ID,
    pub name: String,
    /// The first characters of the token, to recognise it; the token itself is never shown again.
    pub prefix: String,
    pub owner_id: ID,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_token::Model> for ApiToken {
    fn from(model: api_token::Model) -> Self {
        Self {
            id: gql_id(model.id),
            name: model.name,
            prefix: model.token_prefix,
            owner_id: gql_id(model.user_id),
            created_at: model.created_at,
            last_used_at: model.last_used_at,
            revoked_at: model.revoked_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct CreatedApiToken {
    /// The secret, shown exactly once. Send it as `Authorization: Bearer <token>`.
    pub token: String,
    pub api_token: ApiToken,
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Signs in and sets the HttpOnly session cookie used by the web app.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> GqlResult<User> {
        let state = state(ctx)?;
        let outcome = auth_service::login(state, &input.email, &input.password).await.gql()?;
        let secure = if state.config.secure_cookies { "; Secure" } else { "" };
        ctx.append_http_header(
            "Set-Cookie",
            format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
                outcome.session_token, outcome.max_age_seconds
            ),
        );
        Ok(User(outcome.user))
    }

    /// Ends the current session and clears its cookie.
    async fn logout(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        let state = state(ctx)?;
        if let Some(SessionCookie(Some(token))) = ctx.data_opt::<SessionCookie>() {
            auth_service::logout(state, principal(ctx).ok(), token).await.gql()?;
        }
        ctx.append_http_header(
            "Set-Cookie",
            format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        );
        Ok(true)
    }

    /// Creates an API token for scripts. The token acts with your role and scope.
    async fn create_api_token(&self, ctx: &Context<'_>, name: String) -> GqlResult<CreatedApiToken> {
        let (state, principal) = caller(ctx)?;
        let created = auth_service::create_api_token(state, principal, &name).await.gql()?;
        Ok(CreatedApiToken {
            token: created.token,
            api_token: created.record.into(),
        })
    }

    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> GqlResult<ApiToken> {
        let id = parse_id("id", &id, ApiTokenId)?;
        let state = state(ctx)?;
        let principal = principal(ctx)?;
        auth_service::revoke_api_token(state, principal, id.0)
            .await
            .gql()
            .map(ApiToken::from)
    }
}
