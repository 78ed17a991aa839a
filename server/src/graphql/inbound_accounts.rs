use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Subscription};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::{Stream, StreamExt};
use talentpost_shared::{InboundAuthMethod, InboundProtocol, InboundStatus, MailProblem, MailSecurity};

use super::inbox::event_stream;
use super::support::{GqlResult, OptionalRelation, ServiceResultExt, caller, gql_id, parse_id, parse_ids};
use crate::auth::Principal;
use crate::db::entities::inbound_account;
use crate::events::DomainEvent;
use crate::ids::{InboundAccountId, LegalEntityId, UserGroupId};
use crate::mail::imap::MailFolder as ServerFolder;
use crate::services::accounts::inbound_accounts::{self as service, AccountInput, ConnectionInput};
use crate::services::mail_in::sharing;

/// A server process on this database: with several, they share the mailboxes.
#[derive(SimpleObject)]
pub struct ServerProcess {
    /// `host-pid-random`, as `InboundAccount.syncedBy` names it.
    id: String,
    host: String,
    started_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    /// Whether its heartbeat is fresh; a process that stopped or died stays listed for a day.
    alive: bool,
    /// Mailboxes (of every organisation) it syncs now.
    accounts: i32,
}

impl From<sharing::ServerProcess> for ServerProcess {
    fn from(process: sharing::ServerProcess) -> Self {
        Self {
            id: process.id,
            host: process.host,
            started_at: process.started_at,
            last_seen_at: process.last_seen_at,
            alive: process.alive,
            accounts: i32::try_from(process.accounts).unwrap_or(i32::MAX),
        }
    }
}

/// A mailbox Talentpost watches for applications. The password is write-only.
pub struct InboundAccount(inbound_account::Model);

#[Object]
impl InboundAccount {
    async fn id(&self) -> ID {
        gql_id(self.0.id)
    }
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn protocol(&self) -> InboundProtocol {
        self.0.protocol
    }
    async fn host(&self) -> &str {
        &self.0.host
    }
    async fn port(&self) -> i32 {
        self.0.port
    }
    async fn security(&self) -> MailSecurity {
        self.0.security
    }
    /// The admin confirmed that an unencrypted connection is acceptable.
    async fn allow_plaintext(&self) -> bool {
        self.0.allow_plaintext
    }
    /// Certificates are not checked: encrypted, but not protected against impostors.
    async fn accept_invalid_certs(&self) -> bool {
        self.0.accept_invalid_certs
    }
    /// The login; for OAuth accounts the connected mailbox (empty until connected).
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn auth_method(&self) -> InboundAuthMethod {
        self.0.auth_method
    }
    /// The Google or Microsoft connection this account signs in with.
    async fn oauth(&self, ctx: &Context<'_>) -> GqlResult<Option<super::oauth::OauthAccount>> {
        let Some(id) = self.0.oauth_account_id else {
            return Ok(None);
        };
        let (app, principal) = caller(ctx)?;
        crate::services::accounts::oauth::connect::find(&app.db, principal, crate::ids::OauthAccountId(id))
            .await
            .visible()
            .map(|found| found.map(super::oauth::OauthAccount))
    }
    /// The folder watched for new mail.
    async fn folder(&self) -> &str {
        &self.0.folder
    }
    async fn legal_entity_id(&self) -> ID {
        gql_id(self.0.legal_entity_id)
    }
    /// The group whose members see this account's mail; none means everyone.
    async fn user_group_id(&self) -> Option<ID> {
        self.0.user_group_id.map(gql_id)
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn status(&self) -> InboundStatus {
        self.0.status
    }
    /// Where the last failure happened, while the status is ERROR.
    async fn status_problem(&self) -> Option<MailProblem> {
        self.0.status_problem
    }
    /// The failure in words an admin can act on, while the status is ERROR.
    async fn status_detail(&self) -> Option<&str> {
        self.0.status_detail.as_deref()
    }
    /// Mails looked at in the current or last sync run.
    async fn sync_done(&self) -> i64 {
        self.0.sync_done
    }
    /// Mails the current or last sync run had to look at.
    async fn sync_total(&self) -> i64 {
        self.0.sync_total
    }
    async fn last_success_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_success_at
    }
    async fn last_error_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_error_at
    }
    /// The server process (`host-pid-random`) that syncs this mailbox now; null while
    /// none does (inactive, or being handed over between processes).
    async fn synced_by(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        super::loaders::loaders(ctx)?.synced_by(self.0.id).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(SimpleObject)]
pub struct MailFolder {
    pub name: String,
    /// False for folders that only hold other folders.
    pub selectable: bool,
}

impl From<ServerFolder> for MailFolder {
    fn from(folder: ServerFolder) -> Self {
        Self {
            name: folder.name,
            selectable: folder.selectable,
        }
    }
}

#[derive(SimpleObject)]
pub struct SyncResult {
    /// Mails stored by this run.
    pub stored: u64,
    /// Mails on the server that were already stored.
    pub already_known: u64,
    /// A sync of this account was already running; it was asked to hurry instead.
    pub already_running: bool,
    pub account: InboundAccount,
}

/// How to reach a mail server; used to fetch its folders before an account is saved.
#[derive(InputObject)]
pub struct MailConnectionInput {
    pub host: Option<String>,
    pub port: Option<i32>,
    pub security: Option<MailSecurity>,
    pub allow_plaintext: Option<bool>,
    pub accept_invalid_certs: Option<bool>,
    pub username: Option<String>,
    /// Leave out when editing a saved account to use its stored password.
    pub password: Option<String>,
}

impl From<MailConnectionInput> for ConnectionInput {
    fn from(input: MailConnectionInput) -> Self {
        Self {
            host: input.host,
            port: input.port,
            security: input.security,
            allow_plaintext: input.allow_plaintext,
            accept_invalid_certs: input.accept_invalid_certs,
            username: input.username,
            password: input.password,
        }
    }
}

/// An inbound account: the connection (port defaults to 993 with TLS, 143 otherwise;
/// security to TLS; UNENCRYPTED needs `allowPlaintext: true`; the password is
/// write-only and kept when left out on update) plus what the account is for.
#[derive(InputObject)]
pub struct InboundAccountInput {
    pub label: Option<String>,
    pub protocol: Option<InboundProtocol>,
    /// PASSWORD (default) or OAUTH (Gmail and Microsoft 365: no password; connect with
    /// `startOauthConnect` after saving; host and port default to the provider's).
    pub auth_method: Option<InboundAuthMethod>,
    #[graphql(flatten)]
    pub connection: MailConnectionInput,
    /// Default: INBOX.
    pub folder: Option<String>,
    /// Default: the main legal entity.
    pub legal_entity_id: Option<ID>,
    pub user_group_id: Option<ID>,
    /// Set true to remove the user group (the mail is then visible to everyone).
    #[graphql(default)]
    pub clear_user_group: bool,
    pub active: Option<bool>,
}

impl InboundAccountInput {
    fn into_service(self) -> GqlResult<AccountInput> {
        let legal_entity_id = self
            .legal_entity_id
            .map(|id| parse_id("legalEntityId", &id, LegalEntityId))
            .transpose()?;
        let group = self
            .user_group_id
            .map(|id| parse_id("userGroupId", &id, UserGroupId))
            .transpose()?;
        let user_group_id = match (group, self.clear_user_group) {
            (Some(group), _) => Some(Some(group)),
            (None, true) => Some(None),
            (None, false) => None,
        };
        Ok(AccountInput {
            label: self.label,
            protocol: self.protocol,
            auth_method: self.auth_method,
            connection: self.connection.into(),
            folder: self.folder,
            legal_entity_id,
            user_group_id,
            active: self.active,
        })
    }
}

#[derive(Default)]
pub struct InboundAccountQuery;

#[Object]
impl InboundAccountQuery {
    /// Accounts the caller administers (admins: all).
    async fn inbound_accounts(&self, ctx: &Context<'_>) -> GqlResult<Vec<InboundAccount>> {
        let (app, principal) = caller(ctx)?;
        Ok(service::list(app, principal)
            .await
            .gql()?
            .into_iter()
            .map(InboundAccount)
            .collect())
    }

    /// The server processes on this database and how many mailboxes each syncs
    /// (administrators).
    async fn server_processes(&self, ctx: &Context<'_>) -> GqlResult<Vec<ServerProcess>> {
        let (app, principal) = caller(ctx)?;
        Ok(sharing::processes(app, principal)
            .await
            .gql()?
            .into_iter()
            .map(ServerProcess::from)
            .collect())
    }

    async fn inbound_account(&self, ctx: &Context<'_>, id: ID) -> GqlResult<InboundAccount> {
        let id = parse_id("id", &id, InboundAccountId)?;
        let (app, principal) = caller(ctx)?;
        service::find(&app.db, principal, id).await.gql().map(InboundAccount)
    }

    /// Connects with the given settings and lists the server's folders. Works before
    /// the account is saved; pass `accountId` to fill in what the input leaves out
    /// (such as the stored password) from a saved account.
    async fn list_mail_folders(
        &self,
        ctx: &Context<'_>,
        input: MailConnectionInput,
        account_id: Option<ID>,
    ) -> GqlResult<Vec<MailFolder>> {
        let account_id = account_id
            .map(|id| parse_id("accountId", &id, InboundAccountId))
            .transpose()?;
        let (app, principal) = caller(ctx)?;
        Ok(service::list_folders(app, principal, input.into(), account_id)
            .await
            .gql()?
            .into_iter()
            .map(MailFolder::from)
            .collect())
    }
}

#[derive(Default)]
pub struct InboundAccountMutation;

#[Object]
impl InboundAccountMutation {
    async fn create_inbound_account(&self, ctx: &Context<'_>, input: InboundAccountInput) -> GqlResult<InboundAccount> {
        let input = input.into_service()?;
        let (app, principal) = caller(ctx)?;
        service::create(app, principal, input).await.gql().map(InboundAccount)
    }

    async fn update_inbound_account(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: InboundAccountInput,
    ) -> GqlResult<InboundAccount> {
        let id = parse_id("id", &id, InboundAccountId)?;
        let input = input.into_service()?;
        let (app, principal) = caller(ctx)?;
        service::update(app, principal, id, input)
            .await
            .gql()
            .map(InboundAccount)
    }

    /// Deletes the accounts (all or none). Mail already fetched stays in the inbox.
    async fn delete_inbound_accounts(&self, ctx: &Context<'_>, ids: Vec<ID>) -> GqlResult<Vec<ID>> {
        let ids = parse_ids("ids", &ids, InboundAccountId)?;
        let (app, principal) = caller(ctx)?;
        Ok(service::delete(app, principal, &ids)
            .await
            .gql()?
            .into_iter()
            .map(|id| gql_id(id.0))
            .collect())
    }

    /// Fetches new mail now. With `since`, every mail from that date is looked at again
    /// ("fetch again since"); mail already stored is never stored twice.
    async fn sync_inbound_account(&self, ctx: &Context<'_>, id: ID, since: Option<NaiveDate>) -> GqlResult<SyncResult> {
        let id = parse_id("id", &id, InboundAccountId)?;
        let (app, principal) = caller(ctx)?;
        let (report, account) = service::sync_now(app, principal, id, since).await.gql()?;
        Ok(SyncResult {
            stored: report.stored,
            already_known: report.already_known,
            already_running: report.already_running,
            account: InboundAccount(account),
        })
    }
}

#[derive(Default)]
pub struct InboundAccountSubscription;

#[Subscription]
impl InboundAccountSubscription {
    /// Settings and sync status of the accounts the subscriber administers: each
    /// account's current state first, then every change.
    async fn inbound_account_status_changed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = InboundAccount> + use<>> {
        let (app, principal) = caller(ctx)?;
        // Subscribe before reading, so no change between the two is lost.
        let changes = event_stream(app, principal);
        let current = service::list(app, principal).await.gql()?;
        let principal: Principal = principal.clone();
        let current = futures_util::stream::iter(current.into_iter().map(InboundAccount));
        Ok(current.chain(changes.filter_map(move |event| {
            let visible = match event {
                DomainEvent::InboundAccountStatusChanged(account)
                    if account.organisation_id == principal.organisation_id
                        && principal.administers(account.legal_entity_id) =>
                {
                    Some(InboundAccount(*account))
                }
                _ => None,
            };
            async move { visible }
        })))
    }
}
