//! Inbound mail accounts: the IMAP mailboxes Talentpost watches for applications.
//! Admins manage all of them, company admins those of the legal entities they administer.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use talentpost_shared::{InboundAuthMethod, InboundProtocol, InboundStatus, MailProblem, MailSecurity, OauthProvider};

use crate::auth::Principal;
use crate::db::entities::{inbound_account, inbound_folder_state};
use crate::error::{ServiceError, ServiceResult};
use crate::events::{DomainEvent, InboundCommand};
use crate::ids::{InboundAccountId, LegalEntityId, UserGroupId};
use crate::mail::imap::{ImapLogin, ImapSettings, MailError, MailFolder, connect, list_folders as imap_list_folders};
use crate::services::accounts::mail_connection::{
    self, IMAP, Protocol, StoredConnection, ValidConnection, require_mail_admin,
};
use crate::services::accounts::oauth::{clients as oauth_clients, tokens as oauth_tokens};
use crate::services::mail_in::sharing;
use crate::services::mail_in::sync::{self, SyncReport};
use crate::services::{org::audit, org::legal_entities, org::users, required_text};
use crate::state::AppState;

pub use crate::services::accounts::mail_connection::ConnectionInput;

#[derive(Clone, Default)]
pub struct AccountInput {
    pub label: Option<String>,
    pub protocol: Option<InboundProtocol>,
    /// Password (default) or OAuth; an OAuth account signs in once connected.
    pub auth_method: Option<InboundAuthMethod>,
    pub connection: ConnectionInput,
    pub folder: Option<String>,
    pub legal_entity_id: Option<LegalEntityId>,
    /// `Some(None)` removes the group: the account's mail is then visible to everyone.
    pub user_group_id: Option<Option<UserGroupId>>,
    pub active: Option<bool>,
}

pub async fn list(state: &AppState, principal: &Principal) -> ServiceResult<Vec<inbound_account::Model>> {
    require_mail_admin(principal)?;
    let mut query = crate::db::tenancy::scoped::<inbound_account::Entity>(principal.organisation_id)
        .order_by_asc(inbound_account::Column::Label)
        .order_by_asc(inbound_account::Column::Id);
    if let Some(scope) = principal.entity_scope() {
        query = query.filter(inbound_account::Column::LegalEntityId.is_in(scope.iter().copied()));
    }
    Ok(query.all(&state.db).await?)
}

pub async fn find(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: InboundAccountId,
) -> ServiceResult<inbound_account::Model> {
    require_mail_admin(principal)?;
    crate::db::tenancy::scoped_by_id::<inbound_account::Entity>(principal.organisation_id, id.0)
        .one(db)
        .await?
        .filter(|account| principal.administers(account.legal_entity_id))
        .ok_or_else(|| ServiceError::not_found(InboundAccountId::LABEL, id))
}

fn stored(account: &inbound_account::Model) -> StoredConnection<'_> {
    StoredConnection {
        host: &account.host,
        port: account.port,
        security: account.security,
        allow_plaintext: account.allow_plaintext,
        accept_invalid_certs: account.accept_invalid_certs,
        username: Some(&account.username),
        password_secret: Some(&account.password_secret),
    }
}

/// IMAP always logs in, so a validated connection has a user name and a password.
fn login_of(connection: &ValidConnection, password: Option<String>) -> ServiceResult<(String, String)> {
    match (connection.username.clone(), password) {
        (Some(username), Some(password)) => Ok((username, password)),
        (None, _) => Err(ServiceError::invalid("username", "enter the mailbox's user name")),
        (Some(_), None) => Err(ServiceError::invalid("password", "enter the mailbox's password")),
    }
}

/// An OAuth account's mailbox is named by its connection, not typed in.
const IMAP_OAUTH: Protocol = Protocol {
    login_required: false,
    ..IMAP
};

/// The provider whose sign-in an account of this type uses.
pub fn oauth_provider(protocol: InboundProtocol) -> Option<OauthProvider> {
    match protocol {
        InboundProtocol::Gmail => Some(OauthProvider::Google),
        InboundProtocol::Microsoft365 => Some(OauthProvider::Microsoft),
        InboundProtocol::Imap => None,
    }
}

fn uses_oauth(account: &inbound_account::Model) -> bool {
    Some(account.auth_method) == Some(InboundAuthMethod::Oauth)
}

/// How the account signs in right now: its password, or a fresh OAuth access token.
pub async fn settings_of(state: &AppState, account: &inbound_account::Model) -> Result<ImapSettings, MailError> {
    let login = if uses_oauth(account) {
        let Some(connection) = account.oauth_account_id else {
            return Err(MailError::new(
                MailProblem::Authorization,
                "the mailbox is not connected yet; choose \"Connect\" and sign in with Google or Microsoft",
            ));
        };
        let token = oauth_tokens::access_token(state, connection)
            .await
            .map_err(|error| MailError::new(MailProblem::Authorization, error.to_string()))?;
        ImapLogin::XOauth2 {
            access_token: token.token,
            expires_at: token.expires_at,
        }
    } else {
        let password = state.secrets.decrypt(&account.password_secret).map_err(|_| {
            MailError::new(
                MailProblem::Login,
                "the stored password cannot be read with this server's key; enter it again",
            )
        })?;
        ImapLogin::Password(password)
    };
    Ok(ImapSettings {
        host: account.host.clone(),
        port: u16::try_from(account.port).unwrap_or(993),
        security: account.security,
        accept_invalid_certs: account.accept_invalid_certs,
        username: account.username.clone(),
        login,
    })
}

/// After the IMAP server refused an OAuth token: forget it, so the next attempt refreshes.
pub async fn token_refused(state: &AppState, account: &inbound_account::Model, settings: &ImapSettings) {
    if let (Some(connection), ImapLogin::XOauth2 { access_token, .. }) = (account.oauth_account_id, &settings.login)
        && let Err(error) = oauth_tokens::discard_access_token(state, connection, access_token).await
    {
        tracing::warn!(account_id = account.id, %error, "cannot discard a refused OAuth token");
    }
}

/// "Fetch folders": connects with the given settings (saved or not) and lists the
/// server's folders. A failure is an input error naming the stage, so the form shows it.
pub async fn list_folders(
    state: &AppState,
    principal: &Principal,
    input: ConnectionInput,
    account_id: Option<InboundAccountId>,
) -> ServiceResult<Vec<MailFolder>> {
    require_mail_admin(principal)?;
    let current = match account_id {
        Some(id) => Some(find(&state.db, principal, id).await?),
        None => None,
    };
    if let Some(account) = current.as_ref().filter(|account| uses_oauth(account)) {
        let settings = settings_of(state, account)
            .await
            .map_err(|error| ServiceError::MailServer {
                problem: error.problem,
                message: error.message,
            })?;
        return folders_with(state, &settings).await;
    }
    let stored_connection = current.as_ref().map(stored);
    let connection = mail_connection::validate(&IMAP, &input, stored_connection.as_ref())?;
    if let Some(stored_connection) = &stored_connection {
        mail_connection::require_password_for_new_destination(&connection, &input, stored_connection)?;
    }
    let password = mail_connection::password_of(state, &connection, &input, stored_connection.as_ref())?;
    let (username, password) = login_of(&connection, password)?;
    let settings = ImapSettings {
        host: connection.host,
        port: connection.port,
        security: connection.security,
        accept_invalid_certs: connection.accept_invalid_certs,
        username,
        login: ImapLogin::Password(password),
    };
    folders_with(state, &settings).await
}

async fn folders_with(state: &AppState, settings: &ImapSettings) -> ServiceResult<Vec<MailFolder>> {
    let mut session = connect(&state.mail_tls, settings)
        .await
        .map_err(|error| ServiceError::MailServer {
            problem: error.problem,
            message: error.message,
        })?;
    let folders = imap_list_folders(&mut session)
        .await
        .map_err(|error| ServiceError::MailServer {
            problem: error.problem,
            message: error.message,
        });
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), session.logout()).await;
    folders
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    input: AccountInput,
) -> ServiceResult<inbound_account::Model> {
    require_mail_admin(principal)?;
    let label = required_text("label", input.label.as_deref().unwrap_or_default(), 100)?;
    let protocol = input.protocol.unwrap_or(InboundProtocol::Imap);
    let auth_method = input.auth_method.unwrap_or(InboundAuthMethod::Password);
    let (connection, username, password) = if auth_method == InboundAuthMethod::Oauth {
        let provider = oauth_provider(protocol).ok_or_else(|| {
            ServiceError::invalid(
                "authMethod",
                "OAuth sign-in is for Gmail and Microsoft 365 accounts; choose one of those types",
            )
        })?;
        let mut connection_input = input.connection.clone();
        if connection_input
            .host
            .as_deref()
            .is_none_or(|host| host.trim().is_empty())
        {
            // The provider's IMAP server (or the organisation's override of it).
            let settings = match oauth_clients::find(&state.db, principal.organisation_id, provider).await? {
                Some(client) => Some(oauth_clients::provider_settings(&state.secrets, &client)?),
                None => None,
            };
            let defaults = crate::mail::oauth::defaults(provider, None);
            connection_input.host = Some(
                settings
                    .as_ref()
                    .map_or(defaults.imap_host.to_owned(), |s| s.imap_host.clone()),
            );
            connection_input.port = Some(i32::from(settings.as_ref().map_or(defaults.imap_port, |s| s.imap_port)));
            if connection_input.accept_invalid_certs.is_none() {
                connection_input.accept_invalid_certs = settings.as_ref().map(|s| s.accept_invalid_certs);
            }
        }
        let connection = mail_connection::validate(&IMAP_OAUTH, &connection_input, None)?;
        if connection.security == MailSecurity::Unencrypted {
            return Err(ServiceError::invalid(
                "security",
                "tokens are never sent unencrypted: choose TLS or STARTTLS",
            ));
        }
        let username = connection.username.clone().unwrap_or_default();
        (connection, username, String::new())
    } else {
        let connection = mail_connection::validate(&IMAP, &input.connection, None)?;
        let password = mail_connection::password_of(state, &connection, &input.connection, None)?;
        let (username, password) = login_of(&connection, password)?;
        (connection, username, password)
    };
    let folder = required_text("folder", input.folder.as_deref().unwrap_or("INBOX"), 500)?;
    let legal_entity_id = match input.legal_entity_id {
        Some(id) => {
            legal_entities::find_in_organisation(&state.db, principal, id)
                .await
                .map_err(|_| ServiceError::invalid("legalEntityId", "no such legal entity"))?
                .id
        }
        None => {
            legal_entities::main_entity(&state.db, principal.organisation_id)
                .await?
                .id
        }
    };
    principal.require_administers(legal_entity_id)?;
    let user_group_id = resolve_group(state, principal, input.user_group_id.flatten()).await?;
    let now = Utc::now();
    let active = input.active.unwrap_or(true);
    let txn = crate::db::begin_write(&state.db).await?;
    let account = inbound_account::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        legal_entity_id: Set(legal_entity_id),
        user_group_id: Set(user_group_id),
        label: Set(label),
        protocol: Set(protocol),
        auth_method: Set(auth_method),
        oauth_account_id: Set(None),
        host: Set(connection.host),
        port: Set(i32::from(connection.port)),
        security: Set(connection.security),
        allow_plaintext: Set(connection.allow_plaintext),
        accept_invalid_certs: Set(connection.accept_invalid_certs),
        username: Set(username),
        password_secret: Set(state.secrets.encrypt(&password)),
        folder: Set(folder),
        active: Set(active),
        status: Set(initial_status(active)),
        status_problem: Set(None),
        status_detail: Set(None),
        sync_done: Set(0),
        sync_total: Set(0),
        last_success_at: Set(None),
        last_error_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        principal,
        "inbound_account.create",
        "inbound_account",
        Some(account.id),
        audit_details(&account),
    )
    .await?;
    txn.commit().await?;
    sharing::tell(state, account.organisation_id, account.id, InboundCommand::Restart);
    Ok(account)
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: InboundAccountId,
    input: AccountInput,
) -> ServiceResult<inbound_account::Model> {
    let current = find(&state.db, principal, id).await?;
    let oauth = input
        .auth_method
        .map_or(uses_oauth(&current), |method| method == InboundAuthMethod::Oauth);
    let protocol = input.protocol.unwrap_or(current.protocol);
    if oauth && oauth_provider(protocol).is_none() {
        return Err(ServiceError::invalid(
            "authMethod",
            "OAuth sign-in is for Gmail and Microsoft 365 accounts; choose one of those types",
        ));
    }
    let stored_connection = stored(&current);
    let connection = mail_connection::validate(
        if oauth { &IMAP_OAUTH } else { &IMAP },
        &input.connection,
        Some(&stored_connection),
    )?;
    if !oauth {
        mail_connection::require_password_for_new_destination(&connection, &input.connection, &stored_connection)?;
    }
    if oauth && connection.security == MailSecurity::Unencrypted {
        return Err(ServiceError::invalid(
            "security",
            "tokens are never sent unencrypted: choose TLS or STARTTLS",
        ));
    }
    let destination_changed = !mail_connection::same_destination(&connection, &stored_connection);
    let username = if oauth {
        connection.username.clone().unwrap_or_default()
    } else {
        login_of(&connection, Some(String::new()))?.0
    };
    let mut account: inbound_account::ActiveModel = current.clone().into();
    if let Some(label) = &input.label {
        account.label = Set(required_text("label", label, 100)?);
    }
    if let Some(protocol) = input.protocol {
        account.protocol = Set(protocol);
    }
    if let Some(method) = input.auth_method {
        account.auth_method = Set(method);
    }
    if !oauth
        && input.connection.password.as_deref().is_some_and(|p| !p.is_empty())
        && let Some(password) = mail_connection::password_of(state, &connection, &input.connection, None)?
    {
        account.password_secret = Set(state.secrets.encrypt(&password));
    }
    let connection_changed = connection.host != current.host
        || i32::from(connection.port) != current.port
        || connection.security != current.security
        || username != current.username
        || input.connection.password.as_deref().is_some_and(|p| !p.is_empty());
    account.host = Set(connection.host);
    account.port = Set(i32::from(connection.port));
    account.security = Set(connection.security);
    account.allow_plaintext = Set(connection.allow_plaintext);
    account.accept_invalid_certs = Set(connection.accept_invalid_certs);
    account.username = Set(username);
    if let Some(folder) = &input.folder {
        account.folder = Set(required_text("folder", folder, 500)?);
    }
    if let Some(entity_id) = input.legal_entity_id {
        let entity = legal_entities::find_in_organisation(&state.db, principal, entity_id)
            .await
            .map_err(|_| ServiceError::invalid("legalEntityId", "no such legal entity"))?;
        principal.require_administers(entity.id)?;
        account.legal_entity_id = Set(entity.id);
    }
    if let Some(group) = input.user_group_id {
        account.user_group_id = Set(resolve_group(state, principal, group).await?);
    }
    let active = input.active.unwrap_or(current.active);
    account.active = Set(active);
    if active != current.active || connection_changed || input.folder.as_ref().is_some_and(|f| *f != current.folder) {
        account.status = Set(initial_status(active));
        account.status_problem = Set(None);
        account.status_detail = Set(None);
    }
    account.updated_at = Set(Utc::now());
    let txn = crate::db::begin_write(&state.db).await?;
    let updated = account.update(&txn).await?;
    if let Some(connection) = updated
        .oauth_account_id
        .filter(|_| updated.legal_entity_id != current.legal_entity_id)
    {
        // The connection belongs to the account's company: its admins see and renew it.
        crate::db::entities::oauth_account::Entity::update_many()
            .col_expr(
                crate::db::entities::oauth_account::Column::LegalEntityId,
                sea_orm::sea_query::Expr::value(updated.legal_entity_id),
            )
            .filter(crate::db::entities::oauth_account::Column::Id.eq(connection))
            .exec(&txn)
            .await?;
    }
    if destination_changed || input.folder.as_ref().is_some_and(|f| *f != current.folder) {
        // Another mailbox: its UIDs say nothing about the old one's, even if its
        // UIDVALIDITY happens to be equal. Stored mail is recognised by the dedupe keys.
        inbound_folder_state::Entity::delete_many()
            .filter(inbound_folder_state::Column::InboundAccountId.eq(updated.id))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        principal,
        "inbound_account.update",
        "inbound_account",
        Some(updated.id),
        audit_details(&updated),
    )
    .await?;
    txn.commit().await?;
    state
        .events
        .publish(DomainEvent::InboundAccountStatusChanged(Box::new(updated.clone())));
    sharing::tell(state, updated.organisation_id, updated.id, InboundCommand::Restart);
    Ok(updated)
}

/// Deletes the accounts, all or nothing. Mail already fetched stays in the inbox.
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    ids: &[InboundAccountId],
) -> ServiceResult<Vec<InboundAccountId>> {
    if ids.is_empty() {
        return Err(ServiceError::invalid("ids", "select at least one account"));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let mut revoke = Vec::new();
    for id in ids {
        let account = find(&txn, principal, *id).await?;
        inbound_account::Entity::delete_by_id(account.id).exec(&txn).await?;
        // Its tokens go with it: nothing else signs in with this connection.
        if let Some(connection) = account.oauth_account_id {
            revoke
                .extend(crate::services::accounts::oauth::connect::delete_with_account(state, &txn, connection).await?);
        }
        audit::record(
            &txn,
            principal,
            "inbound_account.delete",
            "inbound_account",
            Some(account.id),
            audit_details(&account),
        )
        .await?;
    }
    txn.commit().await?;
    crate::services::accounts::oauth::connect::revoke_deleted(state, revoke).await;
    for id in ids {
        sharing::tell(state, principal.organisation_id, id.0, InboundCommand::Stop);
    }
    Ok(ids.to_vec())
}

async fn resolve_group(
    state: &AppState,
    principal: &Principal,
    group: Option<UserGroupId>,
) -> ServiceResult<Option<i64>> {
    match group {
        Some(id) => Ok(Some(
            users::find_group(&state.db, principal, id)
                .await
                .map_err(|_| ServiceError::invalid("userGroupId", "no such user group"))?
                .id,
        )),
        None => Ok(None),
    }
}

fn initial_status(active: bool) -> InboundStatus {
    if active {
        InboundStatus::Pending
    } else {
        InboundStatus::Disabled
    }
}

fn audit_details(account: &inbound_account::Model) -> serde_json::Value {
    // Never the password, not even sealed.
    serde_json::json!({
        "label": account.label,
        "host": account.host,
        "port": account.port,
        "security": account.security.as_str(),
        "username": account.username,
        "authMethod": account.auth_method.as_str(),
        "folder": account.folder,
        "legalEntityId": account.legal_entity_id,
        "userGroupId": account.user_group_id,
        "active": account.active,
    })
}

/// "Sync now": one run on a fresh connection, reported to the caller. A worker in
/// backoff is woken too, so a fixed account recovers at once.
pub async fn sync_now(
    state: &AppState,
    principal: &Principal,
    id: InboundAccountId,
    since: Option<chrono::NaiveDate>,
) -> ServiceResult<(SyncReport, inbound_account::Model)> {
    let account = find(&state.db, principal, id).await?;
    if let Some(since) = since
        && since > Utc::now().date_naive()
    {
        return Err(ServiceError::invalid("since", "the date lies in the future"));
    }
    let report = sync::sync_account(state, account.id, since)
        .await
        .map_err(ServiceError::from)?;
    sharing::tell(state, account.organisation_id, account.id, InboundCommand::Wake);
    Ok((report, find(&state.db, principal, id).await?))
}

/// A change of what an account's sync is doing, written by the worker.
#[derive(Clone, Debug)]
pub enum StatusChange {
    Connected,
    Syncing { done: i64, total: i64 },
    Idle,
    Failed { problem: MailProblem, message: String },
}

pub async fn record_status(
    state: &AppState,
    account_id: i64,
    change: StatusChange,
) -> ServiceResult<Option<inbound_account::Model>> {
    let Some(current) = crate::db::tenancy::any_organisation_by_id::<inbound_account::Entity>(account_id)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let now: DateTime<Utc> = Utc::now();
    let mut account: inbound_account::ActiveModel = current.into();
    match change {
        StatusChange::Connected => {
            account.status = Set(InboundStatus::Connected);
            account.status_problem = Set(None);
            account.status_detail = Set(None);
        }
        StatusChange::Syncing { done, total } => {
            account.status = Set(InboundStatus::Syncing);
            account.sync_done = Set(done);
            account.sync_total = Set(total);
        }
        StatusChange::Idle => {
            account.status = Set(InboundStatus::Idle);
            account.status_problem = Set(None);
            account.status_detail = Set(None);
            account.last_success_at = Set(Some(now));
        }
        StatusChange::Failed { problem, message } => {
            account.status = Set(InboundStatus::Error);
            account.status_problem = Set(Some(problem));
            account.status_detail = Set(Some(message));
            account.last_error_at = Set(Some(now));
        }
    }
    let updated = account.update(&state.db).await?;
    state
        .events
        .publish(DomainEvent::InboundAccountStatusChanged(Box::new(updated.clone())));
    Ok(Some(updated))
}
