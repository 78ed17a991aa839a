//! Inbound mail accounts: the IMAP mailboxes Talentpost watches for applications.
//! Admins manage all of them, company admins those of the legal entities they administer.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};
use talentpost_shared::{InboundProtocol, InboundStatus, MailProblem, MailSecurity};

use crate::auth::Principal;
use crate::db::entities::{inbound_account, inbound_folder_state};
use crate::error::{ServiceError, ServiceResult};
use crate::events::DomainEvent;
use crate::ids::{InboundAccountId, LegalEntityId, UserGroupId};
use crate::mail::imap::{ImapSettings, MailFolder, connect, list_folders as imap_list_folders};
use crate::services::mail_connection::{self, IMAP, StoredConnection, ValidConnection, require_mail_admin};
use crate::services::{audit, legal_entities, required_text, users};
use crate::state::AppState;
use crate::workers::inbound_sync::{self, SyncReport};

pub use crate::services::mail_connection::ConnectionInput;

#[derive(Clone, Default)]
pub struct AccountInput {
    pub label: Option<String>,
    pub protocol: Option<InboundProtocol>,
    pub connection: ConnectionInput,
    pub folder: Option<String>,
    pub legal_entity_id: Option<LegalEntityId>,
    /// `Some(None)` removes the group: the account's mail is then visible to everyone.
    pub user_group_id: Option<Option<UserGroupId>>,
    pub active: Option<bool>,
}

pub async fn list(state: &AppState, principal: &Principal) -> ServiceResult<Vec<inbound_account::Model>> {
    require_mail_admin(principal)?;
    let mut query = inbound_account::Entity::find()
        .filter(inbound_account::Column::OrganisationId.eq(principal.organisation_id))
        .order_by_asc(inbound_account::Column::Label)
        .order_by_asc(inbound_account::Column::Id);
    if let Some(scope) = principal.entity_scope() {
        query = query.filter(inbound_account::Column::LegalEntityId.is_in(scope.iter().copied()));
    }
    Ok(query.all(&state.db).await?)
}

pub async fn find(db: &impl ConnectionTrait, principal: &Principal, id: InboundAccountId) -> ServiceResult<inbound_account::Model> {
    require_mail_admin(principal)?;
    inbound_account::Entity::find_by_id(id.0)
        .filter(inbound_account::Column::OrganisationId.eq(principal.organisation_id))
        .one(db)
        .await?
        .filter(|account| principal.administers(account.legal_entity_id))
        .ok_or_else(|| ServiceError::not_found(InboundAccountId::LABEL, id))
}


fn stored(account: &inbound_account::Model) -> StoredConnection<'_> {
    StoredConnection {
        host: &account.host,
        port: account.port,
        security: &account.security,
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

pub fn settings_of(state: &AppState, account: &inbound_account::Model) -> ServiceResult<ImapSettings> {
    let password = state
        .secrets
        .decrypt(&account.password_secret)
        .map_err(|_| ServiceError::Internal(format!("the password of inbound account {} cannot be decrypted", account.id)))?;
    Ok(ImapSettings {
        host: account.host.clone(),
        port: u16::try_from(account.port).unwrap_or(993),
        security: MailSecurity::parse(&account.security).unwrap_or(MailSecurity::Tls),
        accept_invalid_certs: account.accept_invalid_certs,
        username: account.username.clone(),
        password,
    })
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
        password,
    };
    let mut session = connect(&state.mail_tls, &settings).await.map_err(|error| ServiceError::MailServer {
        problem: error.problem,
        message: error.message,
    })?;
    let folders = imap_list_folders(&mut session).await.map_err(|error| ServiceError::MailServer {
        problem: error.problem,
        message: error.message,
    });
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), session.logout()).await;
    folders
}

pub async fn create(state: &AppState, principal: &Principal, input: AccountInput) -> ServiceResult<inbound_account::Model> {
    require_mail_admin(principal)?;
    let label = required_text("label", input.label.as_deref().unwrap_or_default(), 100)?;
    let connection = mail_connection::validate(&IMAP, &input.connection, None)?;
    let password = mail_connection::password_of(state, &connection, &input.connection, None)?;
    let (username, password) = login_of(&connection, password)?;
    let folder = required_text("folder", input.folder.as_deref().unwrap_or("INBOX"), 500)?;
    let legal_entity_id = match input.legal_entity_id {
        Some(id) => {
            legal_entities::find_in_organisation(&state.db, principal, id)
                .await
                .map_err(|_| ServiceError::invalid("legalEntityId", "no such legal entity"))?
                .id
        }
        None => legal_entities::main_entity(&state.db, principal.organisation_id).await?.id,
    };
    principal.require_administers(legal_entity_id)?;
    let user_group_id = resolve_group(state, principal, input.user_group_id.flatten()).await?;
    let now = Utc::now();
    let active = input.active.unwrap_or(true);
    let txn = state.db.begin().await?;
    let account = inbound_account::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        legal_entity_id: Set(legal_entity_id),
        user_group_id: Set(user_group_id),
        label: Set(label),
        protocol: Set(input.protocol.unwrap_or(InboundProtocol::Imap).as_str().to_owned()),
        host: Set(connection.host),
        port: Set(i32::from(connection.port)),
        security: Set(connection.security.as_str().to_owned()),
        allow_plaintext: Set(connection.allow_plaintext),
        accept_invalid_certs: Set(connection.accept_invalid_certs),
        username: Set(username),
        password_secret: Set(state.secrets.encrypt(&password)),
        folder: Set(folder),
        active: Set(active),
        status: Set(initial_status(active).as_str().to_owned()),
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
    audit::record(&txn, principal, "inbound_account.create", "inbound_account", Some(account.id), audit_details(&account)).await?;
    txn.commit().await?;
    state.inbound.restart(state, account.id);
    Ok(account)
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: InboundAccountId,
    input: AccountInput,
) -> ServiceResult<inbound_account::Model> {
    let current = find(&state.db, principal, id).await?;
    let stored_connection = stored(&current);
    let connection = mail_connection::validate(&IMAP, &input.connection, Some(&stored_connection))?;
    mail_connection::require_password_for_new_destination(&connection, &input.connection, &stored_connection)?;
    let destination_changed = !mail_connection::same_destination(&connection, &stored_connection);
    let username = login_of(&connection, Some(String::new()))?.0;
    let mut account: inbound_account::ActiveModel = current.clone().into();
    if let Some(label) = &input.label {
        account.label = Set(required_text("label", label, 100)?);
    }
    if let Some(protocol) = input.protocol {
        account.protocol = Set(protocol.as_str().to_owned());
    }
    if input.connection.password.as_deref().is_some_and(|p| !p.is_empty())
        && let Some(password) = mail_connection::password_of(state, &connection, &input.connection, None)?
    {
        account.password_secret = Set(state.secrets.encrypt(&password));
    }
    let connection_changed = connection.host != current.host
        || i32::from(connection.port) != current.port
        || connection.security.as_str() != current.security
        || username != current.username
        || input.connection.password.as_deref().is_some_and(|p| !p.is_empty());
    account.host = Set(connection.host);
    account.port = Set(i32::from(connection.port));
    account.security = Set(connection.security.as_str().to_owned());
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
        account.status = Set(initial_status(active).as_str().to_owned());
        account.status_problem = Set(None);
        account.status_detail = Set(None);
    }
    account.updated_at = Set(Utc::now());
    let txn = state.db.begin().await?;
    let updated = account.update(&txn).await?;
    if destination_changed || input.folder.as_ref().is_some_and(|f| *f != current.folder) {
        // Another mailbox: its UIDs say nothing about the old one's, even if its
        // UIDVALIDITY happens to be equal. Stored mail is recognised by the dedupe keys.
        inbound_folder_state::Entity::delete_many()
            .filter(inbound_folder_state::Column::InboundAccountId.eq(updated.id))
            .exec(&txn)
            .await?;
    }
    audit::record(&txn, principal, "inbound_account.update", "inbound_account", Some(updated.id), audit_details(&updated)).await?;
    txn.commit().await?;
    state.events.publish(DomainEvent::InboundAccountStatusChanged(Box::new(updated.clone())));
    state.inbound.restart(state, updated.id);
    Ok(updated)
}

/// Deletes the accounts, all or nothing. Mail already fetched stays in the inbox.
pub async fn delete(state: &AppState, principal: &Principal, ids: &[InboundAccountId]) -> ServiceResult<Vec<InboundAccountId>> {
    if ids.is_empty() {
        return Err(ServiceError::invalid("ids", "select at least one account"));
    }
    let txn = state.db.begin().await?;
    for id in ids {
        let account = find(&txn, principal, *id).await?;
        inbound_account::Entity::delete_by_id(account.id).exec(&txn).await?;
        audit::record(&txn, principal, "inbound_account.delete", "inbound_account", Some(account.id), audit_details(&account)).await?;
    }
    txn.commit().await?;
    for id in ids {
        state.inbound.stop(id.0);
    }
    Ok(ids.to_vec())
}

async fn resolve_group(state: &AppState, principal: &Principal, group: Option<UserGroupId>) -> ServiceResult<Option<i64>> {
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
    if active { InboundStatus::Pending } else { InboundStatus::Disabled }
}

fn audit_details(account: &inbound_account::Model) -> serde_json::Value {
    // Never the password, not even sealed.
    serde_json::json!({
        "label": account.label,
        "host": account.host,
        "port": account.port,
        "security": account.security,
        "username": account.username,
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
    let report = inbound_sync::run_once(state, account.id, since).await.map_err(ServiceError::from)?;
    state.inbound.wake(account.id);
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

pub async fn record_status(state: &AppState, account_id: i64, change: StatusChange) -> ServiceResult<Option<inbound_account::Model>> {
    let Some(current) = inbound_account::Entity::find_by_id(account_id).one(&state.db).await? else {
        return Ok(None);
    };
    let now: DateTime<Utc> = Utc::now();
    let mut account: inbound_account::ActiveModel = current.into();
    match change {
        StatusChange::Connected => {
            account.status = Set(InboundStatus::Connected.as_str().to_owned());
            account.status_problem = Set(None);
            account.status_detail = Set(None);
        }
        StatusChange::Syncing { done, total } => {
            account.status = Set(InboundStatus::Syncing.as_str().to_owned());
            account.sync_done = Set(done);
            account.sync_total = Set(total);
        }
        StatusChange::Idle => {
            account.status = Set(InboundStatus::Idle.as_str().to_owned());
            account.status_problem = Set(None);
            account.status_detail = Set(None);
            account.last_success_at = Set(Some(now));
        }
        StatusChange::Failed { problem, message } => {
            account.status = Set(InboundStatus::Error.as_str().to_owned());
            account.status_problem = Set(Some(problem.as_str().to_owned()));
            account.status_detail = Set(Some(message));
            account.last_error_at = Set(Some(now));
        }
    }
    let updated = account.update(&state.db).await?;
    state.events.publish(DomainEvent::InboundAccountStatusChanged(Box::new(updated.clone())));
    Ok(Some(updated))
}
