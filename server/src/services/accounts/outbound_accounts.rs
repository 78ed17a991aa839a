//! Outgoing mail accounts: the SMTP servers legal entities send through. Admins manage
//! all of them, company admins those of the legal entities they administer. At most one
//! account is the organisation's default for system mail; admins choose it.

use chrono::Utc;
use lettre::Address;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use talentpost_shared::{EmailAddress, MailSecurity};

use crate::auth::Principal;
use crate::db::entities::{legal_entity, outbound_account, outbox_message, sender_identity};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{LegalEntityId, OutboundAccountId};
use crate::mail::sanitize::sanitize_html;
use crate::mail::smtp::diagnose::CheckOutcome;
use crate::mail::smtp::{CheckStep, SmtpFailure, SmtpSettings, check_connection};
use crate::services::accounts::mail_connection::{
    self, ConnectionInput, SMTP, StoredConnection, ValidConnection, require_mail_admin,
};
use crate::services::{mail_out::outbox, optional_text, org::audit, org::legal_entities, required_text};
use crate::state::AppState;

#[derive(Clone, Default)]
pub struct OutboundAccountInput {
    pub label: Option<String>,
    pub legal_entity_id: Option<LegalEntityId>,
    pub is_system_default: Option<bool>,
    pub connection: ConnectionInput,
    /// `Some("")` removes the signature.
    pub signature_html: Option<String>,
    pub signature_text: Option<String>,
}

pub async fn list(state: &AppState, principal: &Principal) -> ServiceResult<Vec<outbound_account::Model>> {
    require_mail_admin(principal)?;
    let mut query = crate::db::tenancy::scoped::<outbound_account::Entity>(principal.organisation_id)
        .order_by_desc(outbound_account::Column::IsSystemDefault)
        .order_by_asc(outbound_account::Column::Label)
        .order_by_asc(outbound_account::Column::Id);
    if let Some(scope) = principal.entity_scope() {
        query = query.filter(outbound_account::Column::LegalEntityId.is_in(scope.iter().copied()));
    }
    Ok(query.all(&state.db).await?)
}

pub async fn find(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: OutboundAccountId,
) -> ServiceResult<outbound_account::Model> {
    require_mail_admin(principal)?;
    crate::db::tenancy::scoped_by_id::<outbound_account::Entity>(principal.organisation_id, id.0)
        .one(db)
        .await?
        .filter(|account| principal.administers(account.legal_entity_id))
        .ok_or_else(|| ServiceError::not_found(OutboundAccountId::LABEL, id))
}

/// The organisation's default account for system mail, if an admin chose one.
pub async fn system_default(
    db: &impl ConnectionTrait,
    organisation_id: i64,
) -> ServiceResult<Option<outbound_account::Model>> {
    Ok(crate::db::tenancy::scoped::<outbound_account::Entity>(organisation_id)
        .filter(outbound_account::Column::IsSystemDefault.eq(true))
        .one(db)
        .await?)
}

fn stored(account: &outbound_account::Model) -> StoredConnection<'_> {
    StoredConnection {
        host: &account.host,
        port: account.port,
        security: account.security,
        allow_plaintext: account.allow_plaintext,
        accept_invalid_certs: account.accept_invalid_certs,
        username: account.username.as_deref(),
        password_secret: account.password_secret.as_deref(),
    }
}

fn settings_from(connection: &ValidConnection, password: Option<String>) -> SmtpSettings {
    SmtpSettings {
        host: connection.host.clone(),
        port: connection.port,
        security: connection.security,
        accept_invalid_certs: connection.accept_invalid_certs,
        credentials: connection.username.clone().zip(password),
        xoauth2: false,
    }
}

/// The settings the outbox sends with; the password is decrypted here and nowhere else,
/// and an OAuth account's access token is fetched (refreshed if due) here.
pub async fn settings_of(state: &AppState, account: &outbound_account::Model) -> Result<SmtpSettings, SmtpFailure> {
    if let Some(connection) = account.oauth_account_id {
        let token = crate::services::accounts::oauth::tokens::access_token(state, connection)
            .await
            .map_err(|error| SmtpFailure {
                // Mail waits (up to its maximum age) for the connection to be renewed.
                transient: true,
                ..SmtpFailure::new(talentpost_shared::MailProblem::Authorization, error.to_string())
            })?;
        return Ok(SmtpSettings {
            host: account.host.clone(),
            port: u16::try_from(account.port).unwrap_or(587),
            security: account.security,
            accept_invalid_certs: account.accept_invalid_certs,
            credentials: Some((token.mailbox, token.token)),
            xoauth2: true,
        });
    }
    let password = match &account.password_secret {
        Some(secret) => Some(state.secrets.decrypt(secret).map_err(|_| {
            SmtpFailure::new(
                talentpost_shared::MailProblem::Login,
                format!(
                    "the password of outgoing account \"{}\" cannot be read with this server's key; enter it again",
                    account.label
                ),
            )
        })?),
        None => None,
    };
    Ok(SmtpSettings {
        host: account.host.clone(),
        port: u16::try_from(account.port).unwrap_or(465),
        security: account.security,
        accept_invalid_certs: account.accept_invalid_certs,
        credentials: account.username.clone().zip(password),
        xoauth2: false,
    })
}

fn signature(field: &str, value: Option<&str>) -> ServiceResult<Option<String>> {
    optional_text(field, value, 20_000)
}

async fn resolve_entity(
    state: &AppState,
    principal: &Principal,
    id: Option<LegalEntityId>,
) -> ServiceResult<legal_entity::Model> {
    let entity = match id {
        Some(id) => legal_entities::find_in_organisation(&state.db, principal, id)
            .await
            .map_err(|_| ServiceError::invalid("legalEntityId", "no such legal entity"))?,
        None => legal_entities::main_entity(&state.db, principal.organisation_id).await?,
    };
    principal.require_administers(entity.id)?;
    Ok(entity)
}

fn require_default_rights(principal: &Principal, wanted: Option<bool>) -> ServiceResult<()> {
    if wanted == Some(true) && !principal.is_admin() {
        return Err(ServiceError::Forbidden(
            "only administrators choose the default account for system mail",
        ));
    }
    Ok(())
}

async fn clear_default(db: &impl ConnectionTrait, organisation_id: i64) -> ServiceResult<()> {
    use sea_orm::sea_query::Expr;
    outbound_account::Entity::update_many()
        .col_expr(outbound_account::Column::IsSystemDefault, Expr::value(false))
        .filter(outbound_account::Column::OrganisationId.eq(organisation_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    input: OutboundAccountInput,
) -> ServiceResult<outbound_account::Model> {
    require_mail_admin(principal)?;
    require_default_rights(principal, input.is_system_default)?;
    let label = required_text("label", input.label.as_deref().unwrap_or_default(), 100)?;
    let connection = mail_connection::validate(&SMTP, &input.connection, None)?;
    let password = mail_connection::password_of(state, &connection, &input.connection, None)?;
    let entity = resolve_entity(state, principal, input.legal_entity_id).await?;
    let signature_html =
        signature("signatureHtml", input.signature_html.as_deref())?.map(|html| sanitize_html(&html).html);
    let signature_text = signature("signatureText", input.signature_text.as_deref())?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    // The first account an admin sets up carries system mail unless they say otherwise.
    let is_default = match input.is_system_default {
        Some(wanted) => wanted,
        None => principal.is_admin() && system_default(&txn, principal.organisation_id).await?.is_none(),
    };
    if is_default {
        clear_default(&txn, principal.organisation_id).await?;
    }
    let account = outbound_account::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        legal_entity_id: Set(entity.id),
        label: Set(label),
        is_system_default: Set(is_default),
        host: Set(connection.host.clone()),
        port: Set(i32::from(connection.port)),
        security: Set(connection.security),
        allow_plaintext: Set(connection.allow_plaintext),
        accept_invalid_certs: Set(connection.accept_invalid_certs),
        username: Set(connection.username.clone()),
        password_secret: Set(password.map(|password| state.secrets.encrypt(&password))),
        signature_html: Set(signature_html),
        signature_text: Set(signature_text),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        principal,
        "outbound_account.create",
        "outbound_account",
        Some(account.id),
        audit_details(&account),
    )
    .await?;
    txn.commit().await?;
    Ok(account)
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: OutboundAccountId,
    input: OutboundAccountInput,
) -> ServiceResult<outbound_account::Model> {
    require_default_rights(principal, input.is_system_default)?;
    let current = find(&state.db, principal, id).await?;
    let stored_connection = stored(&current);
    let connection = mail_connection::validate(&SMTP, &input.connection, Some(&stored_connection))?;
    if current.oauth_account_id.is_some() && connection.security == MailSecurity::Unencrypted {
        return Err(ServiceError::invalid(
            "security",
            "tokens are never sent unencrypted: choose TLS or STARTTLS",
        ));
    }
    mail_connection::require_password_for_new_destination(&connection, &input.connection, &stored_connection)?;
    let mut account: outbound_account::ActiveModel = current.clone().into();
    if let Some(label) = &input.label {
        account.label = Set(required_text("label", label, 100)?);
    }
    if connection.username.is_none() {
        account.password_secret = Set(None);
    } else if input.connection.password.as_deref().is_some_and(|p| !p.is_empty())
        && let Some(password) = mail_connection::password_of(state, &connection, &input.connection, None)?
    {
        account.password_secret = Set(Some(state.secrets.encrypt(&password)));
    }
    account.host = Set(connection.host.clone());
    account.port = Set(i32::from(connection.port));
    account.security = Set(connection.security);
    account.allow_plaintext = Set(connection.allow_plaintext);
    account.accept_invalid_certs = Set(connection.accept_invalid_certs);
    account.username = Set(connection.username.clone());
    if input.signature_html.is_some() {
        account.signature_html =
            Set(signature("signatureHtml", input.signature_html.as_deref())?.map(|html| sanitize_html(&html).html));
    }
    if input.signature_text.is_some() {
        account.signature_text = Set(signature("signatureText", input.signature_text.as_deref())?);
    }
    if let Some(entity_id) = input.legal_entity_id {
        let entity = resolve_entity(state, principal, Some(entity_id)).await?;
        account.legal_entity_id = Set(entity.id);
    }
    if input.is_system_default == Some(false) && current.is_system_default {
        return Err(ServiceError::invalid(
            "isSystemDefault",
            "system mail needs a default account: make another account the default instead",
        ));
    }
    account.updated_at = Set(Utc::now());
    let txn = crate::db::begin_write(&state.db).await?;
    if input.is_system_default == Some(true) && !current.is_system_default {
        clear_default(&txn, principal.organisation_id).await?;
        account.is_system_default = Set(true);
    }
    let updated = account.update(&txn).await?;
    audit::record(
        &txn,
        principal,
        "outbound_account.update",
        "outbound_account",
        Some(updated.id),
        audit_details(&updated),
    )
    .await?;
    txn.commit().await?;
    state.transports.forget_account(updated.id);
    Ok(updated)
}

/// Deletes the accounts, all or nothing. Refused while a sender uses one or mail waits
/// to go out through it; the error names which.
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    ids: &[OutboundAccountId],
) -> ServiceResult<Vec<OutboundAccountId>> {
    if ids.is_empty() {
        return Err(ServiceError::invalid("ids", "select at least one account"));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let mut revoke = Vec::new();
    let mut removed_default = false;
    for id in ids {
        let account = find(&txn, principal, *id).await?;
        if let Some(identity) = crate::db::tenancy::scoped::<sender_identity::Entity>(principal.organisation_id)
            .filter(sender_identity::Column::OutboundAccountId.eq(account.id))
            .one(&txn)
            .await?
        {
            let entity = crate::db::tenancy::scoped_by_id::<legal_entity::Entity>(
                principal.organisation_id,
                identity.legal_entity_id,
            )
            .one(&txn)
            .await?;
            return Err(ServiceError::conflict(
                "ids",
                format!(
                    "\"{}\" is the sender channel of {}; choose another channel there first",
                    account.label,
                    entity.map_or_else(|| "a legal entity".to_owned(), |entity| format!("\"{}\"", entity.name))
                ),
            ));
        }
        let waiting = crate::db::tenancy::scoped::<outbox_message::Entity>(principal.organisation_id)
            .filter(outbox_message::Column::OutboundAccountId.eq(account.id))
            .filter(outbox_message::Column::Status.is_in(outbox::PENDING.iter().map(|status| status.as_str())))
            .count(&txn)
            .await?;
        if waiting > 0 {
            return Err(ServiceError::conflict(
                "ids",
                format!(
                    "{waiting} mail(s) wait to go out through \"{}\"; cancel them in the outbox or let them go first",
                    account.label
                ),
            ));
        }
        removed_default |= account.is_system_default;
        outbound_account::Entity::delete_by_id(account.id).exec(&txn).await?;
        // Its tokens go with it: nothing else signs in with this connection.
        if let Some(connection) = account.oauth_account_id {
            revoke
                .extend(crate::services::accounts::oauth::connect::delete_with_account(state, &txn, connection).await?);
        }
        audit::record(
            &txn,
            principal,
            "outbound_account.delete",
            "outbound_account",
            Some(account.id),
            audit_details(&account),
        )
        .await?;
    }
    if removed_default
        && let Some(next) = crate::db::tenancy::scoped::<outbound_account::Entity>(principal.organisation_id)
            .order_by_asc(outbound_account::Column::Id)
            .one(&txn)
            .await?
    {
        let mut next: outbound_account::ActiveModel = next.into();
        next.is_system_default = Set(true);
        next.update(&txn).await?;
    }
    txn.commit().await?;
    crate::services::accounts::oauth::connect::revoke_deleted(state, revoke).await;
    for id in ids {
        state.transports.forget_account(id.0);
    }
    Ok(ids.to_vec())
}

fn audit_details(account: &outbound_account::Model) -> serde_json::Value {
    // Never the password, not even sealed.
    serde_json::json!({
        "label": account.label,
        "host": account.host,
        "port": account.port,
        "security": account.security.as_str(),
        "username": account.username,
        "legalEntityId": account.legal_entity_id,
        "isSystemDefault": account.is_system_default,
    })
}

/// What "check connection" or "send test email" found.
pub struct TestReport {
    pub steps: Vec<CheckStep>,
    pub failure: Option<SmtpFailure>,
    /// The test mail in the outbox, when one was sent.
    pub test_message: Option<outbox_message::Model>,
}

/// Tests an account, saved (`id`), being edited (`id` and `input`) or not yet saved
/// (`input`). Checking stops before DATA; `send` puts a real test mail through the
/// outbox and waits for its first attempt, which needs the saved settings. `from` is
/// the sender to test with; see `test_sender` for the default.
pub async fn test(
    state: &AppState,
    principal: &Principal,
    id: Option<OutboundAccountId>,
    input: Option<OutboundAccountInput>,
    to: &str,
    from: Option<&str>,
    send: bool,
) -> ServiceResult<TestReport> {
    require_mail_admin(principal)?;
    let recipient = EmailAddress::parse(to).map_err(|error| ServiceError::invalid("to", error.to_string()))?;
    let chosen_sender = match from.filter(|from| !from.trim().is_empty()) {
        Some(from) => {
            Some(EmailAddress::parse(from).map_err(|error| ServiceError::invalid("from", error.to_string()))?)
        }
        None => None,
    };
    let current = match id {
        Some(id) => Some(find(&state.db, principal, id).await?),
        None => None,
    };
    let (settings, entity_id) = match (&current, &input) {
        (_, Some(input)) => {
            let stored_connection = current.as_ref().map(stored);
            let connection = mail_connection::validate(&SMTP, &input.connection, stored_connection.as_ref())?;
            if let Some(stored_connection) = &stored_connection {
                mail_connection::require_password_for_new_destination(
                    &connection,
                    &input.connection,
                    stored_connection,
                )?;
            }
            let password =
                mail_connection::password_of(state, &connection, &input.connection, stored_connection.as_ref())?;
            let entity_id = match (input.legal_entity_id, &current) {
                (Some(id), _) => resolve_entity(state, principal, Some(id)).await?.id,
                (None, Some(account)) => account.legal_entity_id,
                (None, None) => resolve_entity(state, principal, None).await?.id,
            };
            (settings_from(&connection, password), entity_id)
        }
        (Some(account), None) => (
            settings_of(state, account)
                .await
                .map_err(|failure| ServiceError::invalid("password", failure.message))?,
            account.legal_entity_id,
        ),
        (None, None) => {
            return Err(ServiceError::invalid("id", "give the account to test, or its settings"));
        }
    };
    let sender = match chosen_sender {
        Some(sender) => sender,
        None => {
            test_sender(
                state,
                current.as_ref(),
                entity_id,
                settings.credentials.as_ref().map(|(user, _)| user.as_str()),
            )
            .await?
        }
    };
    if send {
        let Some(account) = current.filter(|_| input.is_none()) else {
            return Err(ServiceError::invalid(
                "send",
                "save the account first: a test mail goes out through the outbox with the saved settings",
            ));
        };
        let message = outbox::queue_test_mail(state, principal, &account, &sender, &recipient).await?;
        let message = outbox::send_now(state, message.id).await?;
        let failure = outbox::failure_of(&message);
        return Ok(TestReport {
            steps: Vec::new(),
            failure,
            test_message: Some(message),
        });
    }
    let sender_address = to_lettre(&sender, "from")?;
    let recipient_address = to_lettre(&recipient, "to")?;
    let CheckOutcome { steps, failure } =
        check_connection(&state.mail_tls, &settings, &sender_address, &recipient_address).await;
    Ok(TestReport {
        steps,
        failure,
        test_message: None,
    })
}

/// The address Talentpost itself writes from (`TALENTPOST_SYSTEM_SENDER`).
pub fn system_sender(state: &AppState) -> ServiceResult<EmailAddress> {
    EmailAddress::parse(&state.config.system_sender).map_err(|_| {
        ServiceError::Internal(format!(
            "TALENTPOST_SYSTEM_SENDER \"{}\" is not an address",
            state.config.system_sender
        ))
    })
}

pub fn to_lettre(address: &EmailAddress, field: &str) -> ServiceResult<Address> {
    address
        .to_string()
        .parse::<Address>()
        .map_err(|error| ServiceError::invalid(field, format!("\"{address}\" cannot be used in SMTP: {error}")))
}

/// The address a test uses as sender: that of a legal entity sending through this
/// account, else the login if it is an address, else the system sender.
async fn test_sender(
    state: &AppState,
    account: Option<&outbound_account::Model>,
    entity_id: i64,
    username: Option<&str>,
) -> ServiceResult<EmailAddress> {
    let mut query = crate::db::tenancy::any_organisation::<sender_identity::Entity>();
    query = match account {
        Some(account) => query.filter(sender_identity::Column::OutboundAccountId.eq(account.id)),
        None => query.filter(sender_identity::Column::LegalEntityId.eq(entity_id)),
    };
    if let Some(identity) = query.one(&state.db).await?
        && let Ok(address) = EmailAddress::parse(&identity.sender_address)
    {
        return Ok(address);
    }
    if let Some(address) = username.and_then(|user| EmailAddress::parse(user).ok()) {
        return Ok(address);
    }
    EmailAddress::parse(&state.config.system_sender).map_err(|_| {
        ServiceError::Internal(format!(
            "TALENTPOST_SYSTEM_SENDER \"{}\" is not an address",
            state.config.system_sender
        ))
    })
}
