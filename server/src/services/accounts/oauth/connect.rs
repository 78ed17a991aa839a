//! Connecting a Google or Microsoft mailbox: the admin's browser goes to the provider
//! with a sealed `state` (AES-GCM: it cannot be forged or read, and it expires), comes
//! back to the callback, and the code becomes tokens stored for an inbound account or
//! for a legal entity's sender. Reconnecting replaces the tokens and keeps the
//! account's sync position; disconnecting deletes them.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TryIntoModel,
};
use serde::{Deserialize, Serialize};
use talentpost_shared::{
    EmailAddress, InboundAuthMethod, InboundProtocol, InboundStatus, MailProblem, OauthAccountState, OauthProvider,
    OauthPurpose, SenderChannel, SenderNameMode,
};

use crate::auth::Principal;
use crate::db::entities::{inbound_account, inbound_folder_state, oauth_account, outbound_account, sender_identity};
use crate::error::{ServiceError, ServiceResult};
use crate::events::{DomainEvent, InboundCommand};
use crate::ids::{LegalEntityId, OauthAccountId};
use crate::mail::oauth::{self, OauthError};
use crate::services::accounts::mail_connection::require_mail_admin;
use crate::services::accounts::oauth::clients;
use crate::services::mail_in::sharing;
use crate::services::mail_out::outbox;
use crate::services::{accounts::inbound_accounts, org::audit, org::legal_entities};
use crate::state::AppState;

/// How long the admin has between "Connect" and coming back from the provider.
const STATE_LIFETIME_SECONDS: i64 = 10 * 60;
const STATE_KIND: &str = "talentpost.oauth-connect.v1";

/// What travels through the browser in `state`, sealed. The PKCE verifier rides along
/// so no half-finished flow needs a table.
#[derive(Serialize, Deserialize)]
struct ConnectState {
    kind: String,
    organisation_id: i64,
    user_id: i64,
    provider: OauthProvider,
    purpose: OauthPurpose,
    target_id: i64,
    verifier: String,
    expires_at: i64,
}

/// The app's callback page, the redirect URI to register with the providers.
pub fn callback_url(state: &AppState) -> String {
    format!("{}/oauth/callback", state.public_url.trim_end_matches('/'))
}

/// The provider's sign-in address for this connection.
pub async fn start(
    state: &AppState,
    principal: &Principal,
    provider: OauthProvider,
    purpose: OauthPurpose,
    target_id: i64,
) -> ServiceResult<String> {
    require_mail_admin(principal)?;
    let login_hint = match purpose {
        OauthPurpose::InboundAccount => {
            let account = inbound_accounts::find(&state.db, principal, crate::ids::InboundAccountId(target_id))
                .await
                .map_err(|_| ServiceError::invalid("targetId", "no such inbound account"))?;
            require_matching_protocol(&account, provider)?;
            Some(account.username).filter(|user| user.contains('@'))
        }
        OauthPurpose::SenderIdentity => {
            let entity = legal_entities::find_in_organisation(&state.db, principal, LegalEntityId(target_id))
                .await
                .map_err(|_| ServiceError::invalid("targetId", "no such legal entity"))?;
            principal.require_administers(entity.id)?;
            None
        }
    };
    let settings = clients::settings_for(state, principal.organisation_id, provider).await?;
    let expires_at = Utc::now().timestamp() + STATE_LIFETIME_SECONDS;
    let request = oauth::authorization_request(
        &settings,
        &callback_url(state),
        |verifier| {
            let sealed = ConnectState {
                kind: STATE_KIND.to_owned(),
                organisation_id: principal.organisation_id,
                user_id: principal.user_id,
                provider,
                purpose,
                target_id,
                verifier: verifier.to_owned(),
                expires_at,
            };
            state
                .secrets
                .encrypt(&serde_json::to_string(&sealed).unwrap_or_default())
        },
        login_hint.as_deref(),
    )
    .map_err(|error| ServiceError::invalid("provider", error.to_string()))?;
    Ok(request.url)
}

fn require_matching_protocol(account: &inbound_account::Model, provider: OauthProvider) -> ServiceResult<()> {
    let expected = match provider {
        OauthProvider::Google => InboundProtocol::Gmail,
        OauthProvider::Microsoft => InboundProtocol::Microsoft365,
    };
    if Some(account.protocol) == Some(expected) {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "provider",
            format!(
                "the account \"{}\" is not of type {}; change its type first",
                account.label,
                clients::label(provider)
            ),
        ))
    }
}

/// What the provider sent back to the callback page (its query string).
#[derive(Debug, Default, Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

pub struct Connected {
    /// The app page the connection was started from.
    pub app_path: &'static str,
    pub mailbox: String,
}

fn app_path(purpose: OauthPurpose) -> &'static str {
    match purpose {
        OauthPurpose::InboundAccount => "/settings/mail",
        OauthPurpose::SenderIdentity => "/settings/outgoing",
    }
}

fn open_state(state: &AppState, sealed: &str) -> ServiceResult<ConnectState> {
    let forged = || {
        ServiceError::invalid(
            "state",
            "this sign-in response was not started by Talentpost or was altered; start the connection again",
        )
    };
    let json = state.secrets.decrypt(sealed).map_err(|_| forged())?;
    let opened: ConnectState = serde_json::from_str(&json).map_err(|_| forged())?;
    if opened.kind != STATE_KIND {
        return Err(forged());
    }
    if opened.expires_at < Utc::now().timestamp() {
        return Err(ServiceError::invalid(
            "state",
            "this sign-in has expired (more than 10 minutes); start the connection again",
        ));
    }
    Ok(opened)
}

/// Finishes a connection with what the provider sent to the callback page. The app's
/// callback page calls this in the admin's session (a same-site request, so the strict
/// session cookie is there); it must be the admin who started, so a foreign code cannot
/// be slipped into someone's session.
pub async fn complete(state: &AppState, principal: &Principal, params: CallbackParams) -> ServiceResult<Connected> {
    require_mail_admin(principal)?;
    let opened = open_state(state, params.state.as_deref().unwrap_or_default())?;
    if principal.user_id != opened.user_id || principal.organisation_id != opened.organisation_id {
        return Err(ServiceError::Forbidden(
            "only the administrator who started this connection can finish it",
        ));
    }
    let provider = clients::label(opened.provider);
    if let Some(error) = params.error {
        let detail = params.error_description.map(|d| format!(": {d}")).unwrap_or_default();
        return Err(ServiceError::invalid(
            "error",
            if error == "access_denied" {
                format!("the sign-in at {provider} was cancelled or refused{detail}")
            } else {
                format!("{provider} reported an error: {error}{detail}")
            },
        ));
    }
    let code = params
        .code
        .filter(|code| !code.is_empty())
        .ok_or_else(|| ServiceError::invalid("code", "the provider sent no authorisation code"))?;
    let settings = clients::settings_for(state, opened.organisation_id, opened.provider).await?;
    let http = oauth::http_client().map_err(|error| ServiceError::Internal(error.to_string()))?;
    let issued = oauth::exchange_code(&http, &settings, &callback_url(state), &code, &opened.verifier)
        .await
        .map_err(|error| ServiceError::invalid("code", exchange_message(&error)))?;
    let refresh_token = issued.refresh_token.clone().ok_or_else(|| {
        ServiceError::invalid(
            "code",
            format!("{provider} issued no refresh token, so the connection would die within the hour; check that the app registration allows offline access"),
        )
    })?;
    let mailbox = match issued.id_token.as_deref().and_then(oauth::mailbox_from_id_token) {
        Some(mailbox) => Some(mailbox),
        None => match &settings.userinfo_url {
            Some(url) => oauth::mailbox_from_userinfo(&http, url, &issued.access_token)
                .await
                .map_err(|error| ServiceError::invalid("code", error.to_string()))?,
            None => None,
        },
    };
    let mailbox = mailbox
        .and_then(|mailbox| EmailAddress::parse(&mailbox).ok())
        .ok_or_else(|| {
            ServiceError::invalid(
                "code",
                "the provider did not say which mailbox was signed in to (no e-mail address in the token)",
            )
        })?;
    let tokens = NewTokens {
        provider: opened.provider,
        mailbox: mailbox.to_string(),
        refresh_token,
        access_token: issued.access_token,
        expires_in: issued.expires_in,
    };
    match opened.purpose {
        OauthPurpose::InboundAccount => connect_inbound(state, principal, opened.target_id, tokens).await?,
        OauthPurpose::SenderIdentity => connect_sender(state, principal, opened.target_id, tokens, &settings).await?,
    }
    Ok(Connected {
        app_path: app_path(opened.purpose),
        mailbox: mailbox.to_string(),
    })
}

fn exchange_message(error: &OauthError) -> String {
    match error {
        OauthError::InvalidGrant(detail) => {
            format!("the provider did not accept the sign-in ({detail}); start the connection again")
        }
        OauthError::Client(detail) => {
            format!(
                "the provider refused Talentpost's client id or secret ({detail}); check the OAuth client under Settings → Mail accounts"
            )
        }
        other => other.to_string(),
    }
}

struct NewTokens {
    provider: OauthProvider,
    mailbox: String,
    refresh_token: String,
    access_token: String,
    expires_in: Option<std::time::Duration>,
}

/// Writes the tokens into the existing connection (reconnect) or a new one.
async fn store_tokens(
    state: &AppState,
    db: &impl ConnectionTrait,
    principal: &Principal,
    legal_entity_id: i64,
    existing: Option<oauth_account::Model>,
    tokens: &NewTokens,
) -> ServiceResult<oauth_account::Model> {
    let now = Utc::now();
    let expires_at = tokens
        .expires_in
        .and_then(|lifetime| chrono::Duration::from_std(lifetime).ok())
        .map(|lifetime| now + lifetime);
    let mut row = match existing {
        Some(existing) => oauth_account::ActiveModel::from(existing),
        None => oauth_account::ActiveModel {
            organisation_id: Set(principal.organisation_id),
            legal_entity_id: Set(legal_entity_id),
            ..Default::default()
        },
    };
    // The connection belongs to where its account is now (accounts can move).
    row.legal_entity_id = Set(legal_entity_id);
    row.provider = Set(tokens.provider);
    row.mailbox_address = Set(tokens.mailbox.clone());
    row.refresh_token_secret = Set(Some(state.secrets.encrypt(&tokens.refresh_token)));
    row.access_token_secret = Set(Some(state.secrets.encrypt(&tokens.access_token)));
    row.access_issued_at = Set(Some(now));
    row.access_expires_at = Set(expires_at);
    row.state = Set(OauthAccountState::Connected);
    row.problem = Set(None);
    row.failed_refreshes = Set(0);
    row.refreshing_until = Set(None);
    row.last_refreshed_at = Set(Some(now));
    row.connected_by_user_id = Set(Some(principal.user_id));
    row.connected_at = Set(now);
    row.updated_at = Set(now);
    Ok(row.save(db).await?.try_into_model()?)
}

async fn existing_connection(
    db: &impl ConnectionTrait,
    id: Option<i64>,
) -> ServiceResult<Option<oauth_account::Model>> {
    match id {
        Some(id) => Ok(crate::db::tenancy::any_organisation_by_id::<oauth_account::Entity>(id)
            .one(db)
            .await?),
        None => Ok(None),
    }
}

async fn connect_inbound(
    state: &AppState,
    principal: &Principal,
    account_id: i64,
    tokens: NewTokens,
) -> ServiceResult<()> {
    let txn = crate::db::begin_write(&state.db).await?;
    let account = inbound_accounts::find(&txn, principal, crate::ids::InboundAccountId(account_id)).await?;
    let existing = existing_connection(&txn, account.oauth_account_id).await?;
    // The same mailbox again keeps the sync position (no mail fetched twice or
    // skipped); another mailbox starts from its beginning.
    let same_mailbox = account.username.eq_ignore_ascii_case(&tokens.mailbox);
    let connection = store_tokens(state, &txn, principal, account.legal_entity_id, existing, &tokens).await?;
    let mut row = inbound_account::ActiveModel::from(account.clone());
    row.auth_method = Set(InboundAuthMethod::Oauth);
    row.oauth_account_id = Set(Some(connection.id));
    row.username = Set(tokens.mailbox.clone());
    row.password_secret = Set(state.secrets.encrypt(""));
    if account.active {
        row.status = Set(InboundStatus::Pending);
    }
    row.status_problem = Set(None);
    row.status_detail = Set(None);
    row.updated_at = Set(Utc::now());
    let updated = row.update(&txn).await?;
    if !same_mailbox {
        inbound_folder_state::Entity::delete_many()
            .filter(inbound_folder_state::Column::InboundAccountId.eq(account.id))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        principal,
        "oauth.connect",
        "inbound_account",
        Some(account.id),
        serde_json::json!({"provider": tokens.provider.as_str(), "mailbox": tokens.mailbox, "oauthAccountId": connection.id}),
    )
    .await?;
    txn.commit().await?;
    state
        .events
        .publish(DomainEvent::InboundAccountStatusChanged(Box::new(updated)));
    state.events.publish(DomainEvent::OauthAccountChanged {
        organisation_id: principal.organisation_id,
        oauth_account_id: connection.id,
    });
    sharing::tell(state, account.organisation_id, account.id, InboundCommand::Restart);
    Ok(())
}

/// The legal entity sends through the connected mailbox: an outgoing account for it
/// (created once, reused on reconnect) and the entity's sender set to that channel.
async fn connect_sender(
    state: &AppState,
    principal: &Principal,
    legal_entity_id: i64,
    tokens: NewTokens,
    settings: &oauth::ProviderSettings,
) -> ServiceResult<()> {
    let entity = legal_entities::find_in_organisation(&state.db, principal, LegalEntityId(legal_entity_id)).await?;
    principal.require_administers(entity.id)?;
    let channel = match tokens.provider {
        OauthProvider::Google => SenderChannel::Google,
        OauthProvider::Microsoft => SenderChannel::Microsoft,
    };
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let identity = crate::db::tenancy::scoped::<sender_identity::Entity>(principal.organisation_id)
        .filter(sender_identity::Column::LegalEntityId.eq(entity.id))
        .one(&txn)
        .await?;
    let current_account = match identity
        .as_ref()
        .filter(|identity| identity.channel == channel)
        .and_then(|i| i.outbound_account_id)
    {
        Some(id) => crate::db::tenancy::scoped_by_id::<outbound_account::Entity>(principal.organisation_id, id)
            .one(&txn)
            .await?
            .filter(|account| account.oauth_account_id.is_some()),
        None => None,
    };
    let existing = existing_connection(
        &txn,
        current_account.as_ref().and_then(|account| account.oauth_account_id),
    )
    .await?;
    // Since when mail has waited for this reconnect: the moment the connection lapsed.
    let lapsed_at = existing
        .as_ref()
        .filter(|existing| existing.state != OauthAccountState::Connected)
        .map(|existing| existing.updated_at);
    let connection = store_tokens(state, &txn, principal, entity.id, existing, &tokens).await?;
    let label = format!("{} {}", clients::label(tokens.provider), tokens.mailbox);
    let mut account = match current_account {
        Some(account) => outbound_account::ActiveModel::from(account),
        None => outbound_account::ActiveModel {
            organisation_id: Set(principal.organisation_id),
            legal_entity_id: Set(entity.id),
            is_system_default: Set(false),
            signature_html: Set(None),
            signature_text: Set(None),
            created_at: Set(now),
            ..Default::default()
        },
    };
    account.label = Set(label);
    account.host = Set(settings.smtp_host.clone());
    account.port = Set(i32::from(settings.smtp_port));
    account.security = Set(settings.smtp_security);
    account.allow_plaintext = Set(false);
    account.accept_invalid_certs = Set(settings.accept_invalid_certs);
    account.username = Set(Some(tokens.mailbox.clone()));
    account.password_secret = Set(None);
    account.oauth_account_id = Set(Some(connection.id));
    account.updated_at = Set(now);
    let account = account.save(&txn).await?.try_into_model()?;
    match identity {
        Some(identity) => {
            let mut row = sender_identity::ActiveModel::from(identity);
            row.sender_address = Set(tokens.mailbox.clone());
            row.channel = Set(channel);
            row.outbound_account_id = Set(Some(account.id));
            row.updated_by_user_id = Set(Some(principal.user_id));
            row.updated_at = Set(now);
            row.update(&txn).await?;
        }
        None => {
            sender_identity::ActiveModel {
                organisation_id: Set(principal.organisation_id),
                legal_entity_id: Set(entity.id),
                sender_address: Set(tokens.mailbox.clone()),
                sender_name_mode: Set(SenderNameMode::Company),
                sender_name: Set(None),
                channel: Set(channel),
                outbound_account_id: Set(Some(account.id)),
                // Plus addressing works at both providers, but a fresh connection is not
                // checked like a hand-made sender; replies then thread by headers.
                thread_reply_addresses: Set(false),
                updated_by_user_id: Set(Some(principal.user_id)),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        principal,
        "oauth.connect",
        "legal_entity",
        Some(entity.id),
        serde_json::json!({"provider": tokens.provider.as_str(), "mailbox": tokens.mailbox, "oauthAccountId": connection.id, "outboundAccountId": account.id}),
    )
    .await?;
    // Mail that waited or gave up because the sign-in had lapsed goes out now, with a
    // fresh maximum age, as the admin mail promised; older failures stay as they are.
    let requeued = match lapsed_at {
        Some(lapsed_at) => outbox::requeue_after_reconnect(state, &txn, account.id, lapsed_at).await?,
        None => Vec::new(),
    };
    txn.commit().await?;
    for message in &requeued {
        outbox::announce(&state.events, message);
    }
    if !requeued.is_empty() {
        tracing::info!(count = requeued.len(), mailbox = %tokens.mailbox, "mail that waited for the reconnect is queued again");
    }
    state.transports.forget_account(account.id);
    state.events.publish(DomainEvent::OauthAccountChanged {
        organisation_id: principal.organisation_id,
        oauth_account_id: connection.id,
    });
    Ok(())
}

/// The connections the caller administers, newest first.
pub async fn list(state: &AppState, principal: &Principal) -> ServiceResult<Vec<oauth_account::Model>> {
    require_mail_admin(principal)?;
    let mut query = crate::db::tenancy::scoped::<oauth_account::Entity>(principal.organisation_id)
        .filter(oauth_account::Column::State.ne(OauthAccountState::Disconnected.as_str()))
        .order_by_desc(oauth_account::Column::ConnectedAt);
    if let Some(scope) = principal.entity_scope() {
        query = query.filter(oauth_account::Column::LegalEntityId.is_in(scope.iter().copied()));
    }
    Ok(query.all(&state.db).await?)
}

pub async fn find(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: OauthAccountId,
) -> ServiceResult<oauth_account::Model> {
    require_mail_admin(principal)?;
    crate::db::tenancy::scoped_by_id::<oauth_account::Entity>(principal.organisation_id, id.0)
        .one(db)
        .await?
        .filter(|account| principal.administers(account.legal_entity_id))
        .ok_or_else(|| ServiceError::not_found(OauthAccountId::LABEL, id))
}

/// Deletes the tokens (and asks the provider to revoke them). Accounts using the
/// connection stop until it is connected again; their settings and sync position stay.
pub async fn disconnect(
    state: &AppState,
    principal: &Principal,
    id: OauthAccountId,
) -> ServiceResult<oauth_account::Model> {
    let account = find(&state.db, principal, id).await?;
    let refresh_token = account
        .refresh_token_secret
        .as_deref()
        .and_then(|sealed| state.secrets.decrypt(sealed).ok());
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let mut row = oauth_account::ActiveModel::from(account.clone());
    row.state = Set(OauthAccountState::Disconnected);
    row.refresh_token_secret = Set(None);
    row.access_token_secret = Set(None);
    row.access_expires_at = Set(None);
    row.problem = Set(Some("disconnected by an administrator".to_owned()));
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    inbound_account::Entity::update_many()
        .col_expr(
            inbound_account::Column::Status,
            Expr::value(InboundStatus::Error.as_str()),
        )
        .col_expr(
            inbound_account::Column::StatusProblem,
            Expr::value(Some(MailProblem::Authorization.as_str())),
        )
        .col_expr(
            inbound_account::Column::StatusDetail,
            Expr::value(Some(format!(
                "the sign-in of {} was disconnected; connect it again",
                account.mailbox_address
            ))),
        )
        .filter(inbound_account::Column::OauthAccountId.eq(account.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        principal,
        "oauth.disconnect",
        "oauth_account",
        Some(account.id),
        serde_json::json!({"mailbox": account.mailbox_address}),
    )
    .await?;
    txn.commit().await?;
    let inbound = crate::db::tenancy::scoped::<inbound_account::Entity>(principal.organisation_id)
        .filter(inbound_account::Column::OauthAccountId.eq(account.id))
        .all(&state.db)
        .await?;
    for inbound in inbound {
        sharing::tell(state, inbound.organisation_id, inbound.id, InboundCommand::Restart);
        state
            .events
            .publish(DomainEvent::InboundAccountStatusChanged(Box::new(inbound)));
    }
    state.events.publish(DomainEvent::OauthAccountChanged {
        organisation_id: account.organisation_id,
        oauth_account_id: account.id,
    });
    if let Some(token) = refresh_token {
        revoke_at_provider(state, &account, &token).await;
    }
    Ok(updated)
}

/// Tells the provider a grant is no longer wanted, where it offers that. Best effort:
/// the tokens are deleted here whatever it answers.
async fn revoke_at_provider(state: &AppState, account: &oauth_account::Model, refresh_token: &str) {
    if let Some(provider) = Some(account.provider)
        && let Ok(settings) = clients::settings_for(state, account.organisation_id, provider).await
        && let Ok(http) = oauth::http_client()
        && let Err(error) = oauth::revoke(&http, &settings, refresh_token).await
    {
        tracing::warn!(oauth_account_id = account.id, %error, "revoking the grant at the provider failed; the tokens are deleted here");
    }
}

/// Deletes a connection together with the account that used it (in the caller's
/// transaction) and returns what to revoke at the provider after the commit.
pub async fn delete_with_account(
    state: &AppState,
    db: &impl ConnectionTrait,
    connection_id: i64,
) -> ServiceResult<Option<(oauth_account::Model, String)>> {
    let Some(connection) = crate::db::tenancy::any_organisation_by_id::<oauth_account::Entity>(connection_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    oauth_account::Entity::delete_by_id(connection.id).exec(db).await?;
    let token = connection
        .refresh_token_secret
        .as_deref()
        .and_then(|sealed| state.secrets.decrypt(sealed).ok());
    Ok(token.map(|token| (connection, token)))
}

/// The revocations `delete_with_account` collected, after the commit.
pub async fn revoke_deleted(state: &AppState, deleted: Vec<(oauth_account::Model, String)>) {
    for (connection, token) in deleted {
        revoke_at_provider(state, &connection, &token).await;
    }
}
