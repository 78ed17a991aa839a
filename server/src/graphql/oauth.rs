use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use talentpost_shared::{MailSecurity, OauthAccountState, OauthProvider, OauthPurpose};

use super::support::{GqlResult, ServiceResultExt, caller, gql_id, parse_id};
use crate::db::entities::{oauth_account, oauth_client};
use crate::ids::OauthAccountId;
use crate::services::accounts::oauth::clients::{self, OauthClientInput as ServiceInput};
use crate::services::accounts::oauth::connect;

/// An organisation's app registration at Google or Microsoft. The secret is write-only.
pub struct OauthClient(oauth_client::Model);

#[Object]
impl OauthClient {
    async fn provider(&self) -> OauthProvider {
        self.0.provider
    }
    async fn client_id(&self) -> &str {
        &self.0.client_id
    }
    /// Whether a secret is stored; the secret itself is never returned.
    async fn has_client_secret(&self) -> bool {
        self.0.client_secret_secret.is_some()
    }
    /// Microsoft: the directory (tenant); empty means any work or school account.
    async fn tenant(&self) -> Option<&str> {
        self.0.tenant.as_deref()
    }
    /// Overrides of the provider's endpoints; empty means the provider's own.
    async fn authorize_url(&self) -> Option<&str> {
        self.0.authorize_url.as_deref()
    }
    async fn token_url(&self) -> Option<&str> {
        self.0.token_url.as_deref()
    }
    async fn revoke_url(&self) -> Option<&str> {
        self.0.revoke_url.as_deref()
    }
    async fn userinfo_url(&self) -> Option<&str> {
        self.0.userinfo_url.as_deref()
    }
    /// Overrides of the provider's mail servers for mailboxes connected through it.
    async fn imap_host(&self) -> Option<&str> {
        self.0.imap_host.as_deref()
    }
    async fn imap_port(&self) -> Option<i32> {
        self.0.imap_port
    }
    async fn smtp_host(&self) -> Option<&str> {
        self.0.smtp_host.as_deref()
    }
    async fn smtp_port(&self) -> Option<i32> {
        self.0.smtp_port
    }
    async fn smtp_security(&self) -> Option<MailSecurity> {
        self.0.smtp_security
    }
    async fn accept_invalid_certs(&self) -> bool {
        self.0.accept_invalid_certs
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A connected Google or Microsoft mailbox. Its tokens never leave the server.
pub struct OauthAccount(pub oauth_account::Model);

#[Object]
impl OauthAccount {
    async fn id(&self) -> ID {
        gql_id(self.0.id)
    }
    async fn provider(&self) -> OauthProvider {
        self.0.provider
    }
    /// The mailbox signed in to, as the provider reported it.
    async fn mailbox_address(&self) -> &str {
        &self.0.mailbox_address
    }
    async fn legal_entity_id(&self) -> ID {
        gql_id(self.0.legal_entity_id)
    }
    async fn state(&self) -> OauthAccountState {
        self.0.state
    }
    /// Why reauthorisation is needed, or the last failed refresh.
    async fn problem(&self) -> Option<&str> {
        self.0.problem.as_deref()
    }
    /// Refreshes that failed in a row (provider unreachable); reset by a success.
    async fn failed_refreshes(&self) -> i32 {
        self.0.failed_refreshes
    }
    async fn access_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.access_expires_at
    }
    async fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_refreshed_at
    }
    async fn connected_at(&self) -> DateTime<Utc> {
        self.0.connected_at
    }
}

/// A registration's settings; left-out fields keep their value, empty texts and port 0
/// return to the provider's default.
#[derive(InputObject, Default)]
pub struct OauthClientInput {
    pub client_id: Option<String>,
    /// Write-only; leave out to keep the stored secret.
    pub client_secret: Option<String>,
    pub tenant: Option<String>,
    pub authorize_url: Option<String>,
    pub token_url: Option<String>,
    pub revoke_url: Option<String>,
    pub userinfo_url: Option<String>,
    pub imap_host: Option<String>,
    pub imap_port: Option<i32>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i32>,
    pub smtp_security: Option<MailSecurity>,
    pub accept_invalid_certs: Option<bool>,
}

impl From<OauthClientInput> for ServiceInput {
    fn from(input: OauthClientInput) -> Self {
        Self {
            client_id: input.client_id,
            client_secret: input.client_secret,
            tenant: input.tenant,
            authorize_url: input.authorize_url,
            token_url: input.token_url,
            revoke_url: input.revoke_url,
            userinfo_url: input.userinfo_url,
            imap_host: input.imap_host,
            imap_port: input.imap_port,
            smtp_host: input.smtp_host,
            smtp_port: input.smtp_port,
            smtp_security: input.smtp_security,
            accept_invalid_certs: input.accept_invalid_certs,
        }
    }
}

#[derive(SimpleObject)]
pub struct OauthConnected {
    /// The mailbox signed in to.
    pub mailbox: String,
    /// The app page the connection was started from (mail accounts or outgoing mail).
    pub app_path: String,
}

#[derive(SimpleObject)]
pub struct OauthConnectStart {
    /// Send the admin's browser here; the provider returns it to the app's callback page
    /// (`oauthRedirectUri`), which finishes with `completeOauthConnect`.
    pub url: String,
}

#[derive(Default)]
pub struct OauthQuery;

#[Object]
impl OauthQuery {
    async fn oauth_clients(&self, ctx: &Context<'_>) -> GqlResult<Vec<OauthClient>> {
        let (app, principal) = caller(ctx)?;
        Ok(clients::list(app, principal)
            .await
            .gql()?
            .into_iter()
            .map(OauthClient)
            .collect())
    }

    /// The redirect URI to register at Google and Microsoft.
    async fn oauth_redirect_uri(&self, ctx: &Context<'_>) -> GqlResult<String> {
        let (app, _) = caller(ctx)?;
        Ok(connect::callback_url(app))
    }

    /// Connected mailboxes of the legal entities the caller administers.
    async fn oauth_accounts(&self, ctx: &Context<'_>) -> GqlResult<Vec<OauthAccount>> {
        let (app, principal) = caller(ctx)?;
        Ok(connect::list(app, principal)
            .await
            .gql()?
            .into_iter()
            .map(OauthAccount)
            .collect())
    }
}

#[derive(Default)]
pub struct OauthMutation;

#[Object]
impl OauthMutation {
    /// Registers (or changes) the organisation's OAuth client at a provider. Admins only.
    async fn set_oauth_client(
        &self,
        ctx: &Context<'_>,
        provider: OauthProvider,
        input: OauthClientInput,
    ) -> GqlResult<OauthClient> {
        let (app, principal) = caller(ctx)?;
        clients::set(app, principal, provider, input.into())
            .await
            .gql()
            .map(OauthClient)
    }

    /// Starts connecting a mailbox: for an inbound account of type GMAIL or MICROSOFT365
    /// (`targetId` = its id) or for a legal entity's sender (`targetId` = the entity).
    /// Also reconnects: the account keeps its settings and sync position.
    async fn start_oauth_connect(
        &self,
        ctx: &Context<'_>,
        provider: OauthProvider,
        purpose: OauthPurpose,
        target_id: ID,
    ) -> GqlResult<OauthConnectStart> {
        let target_id = parse_id("targetId", &target_id, |id| id)?;
        let (app, principal) = caller(ctx)?;
        connect::start(app, principal, provider, purpose, target_id)
            .await
            .gql()
            .map(|url| OauthConnectStart { url })
    }

    /// Finishes a connection with what the provider appended to the redirect URI
    /// (`code` and `state`, or `error`). Only the admin who started it can finish it; a
    /// state Talentpost did not issue, or older than 10 minutes, is refused (`state`).
    async fn complete_oauth_connect(
        &self,
        ctx: &Context<'_>,
        state: Option<String>,
        code: Option<String>,
        error: Option<String>,
        error_description: Option<String>,
    ) -> GqlResult<OauthConnected> {
        let (app, principal) = caller(ctx)?;
        let params = connect::CallbackParams {
            code,
            state,
            error,
            error_description,
        };
        connect::complete(app, principal, params)
            .await
            .gql()
            .map(|connected| OauthConnected {
                mailbox: connected.mailbox,
                app_path: connected.app_path.to_owned(),
            })
    }

    /// Deletes the connection's tokens (revoking them at the provider where it offers
    /// that). The accounts using it stop until connected again.
    async fn disconnect_oauth(&self, ctx: &Context<'_>, account_id: ID) -> GqlResult<OauthAccount> {
        let id = parse_id("accountId", &account_id, OauthAccountId)?;
        let (app, principal) = caller(ctx)?;
        connect::disconnect(app, principal, id).await.gql().map(OauthAccount)
    }
}
