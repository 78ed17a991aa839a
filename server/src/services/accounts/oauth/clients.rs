//! The organisation's OAuth client registrations, one per provider: the client id and
//! secret an admin registered at Google or Microsoft, and optional overrides of the
//! provider's endpoints and mail servers (sovereign clouds, test set-ups).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, Set};
use talentpost_shared::{MailSecurity, OauthProvider};

use crate::auth::Principal;
use crate::crypto::SecretBox;
use crate::db::entities::oauth_client;
use crate::error::{ServiceError, ServiceResult};
use crate::mail::oauth::{ProviderSettings, defaults};
use crate::services::accounts::mail_connection::require_mail_admin;
use crate::services::{optional_text, org::audit, required_text};
use crate::state::AppState;

/// A change of a registration; `None` keeps the stored value, an empty text clears an
/// override (the provider's default applies again).
#[derive(Clone, Default)]
pub struct OauthClientInput {
    pub client_id: Option<String>,
    /// Write-only. Empty keeps the stored secret.
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

/// Mail admins see the registrations (company admins connect mailboxes with them);
/// only organisation admins change them.
pub async fn list(state: &AppState, principal: &Principal) -> ServiceResult<Vec<oauth_client::Model>> {
    require_mail_admin(principal)?;
    Ok(
        crate::db::tenancy::scoped::<oauth_client::Entity>(principal.organisation_id)
            .order_by_asc(oauth_client::Column::Provider)
            .all(&state.db)
            .await?,
    )
}

pub async fn find(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    provider: OauthProvider,
) -> ServiceResult<Option<oauth_client::Model>> {
    Ok(crate::db::tenancy::scoped::<oauth_client::Entity>(organisation_id)
        .filter(oauth_client::Column::Provider.eq(provider.as_str()))
        .one(db)
        .await?)
}

fn url_field(field: &str, value: &str) -> ServiceResult<Option<String>> {
    let Some(text) = optional_text(field, Some(value), 2000)? else {
        return Ok(None);
    };
    let parsed =
        reqwest::Url::parse(&text).map_err(|_| ServiceError::invalid(field, "must be an absolute https URL"))?;
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    // Secrets and tokens travel to these endpoints: plain http only to this machine.
    match parsed.scheme() {
        "https" if parsed.host_str().is_some() => Ok(Some(text)),
        "http" if loopback => Ok(Some(text)),
        _ => Err(ServiceError::invalid(
            field,
            "must be an absolute https URL (http only for this machine)",
        )),
    }
}

fn port_field(field: &str, value: i32) -> ServiceResult<Option<i32>> {
    match value {
        0 => Ok(None),
        1..=65535 => Ok(Some(value)),
        _ => Err(ServiceError::invalid(
            field,
            "must be a port between 1 and 65535 (0 for the provider's default)",
        )),
    }
}

pub async fn set(
    state: &AppState,
    principal: &Principal,
    provider: OauthProvider,
    input: OauthClientInput,
) -> ServiceResult<oauth_client::Model> {
    if !principal.is_admin() {
        return Err(ServiceError::Forbidden("only administrators register OAuth clients"));
    }
    let current = find(&state.db, principal.organisation_id, provider).await?;
    let mut row: oauth_client::ActiveModel = match &current {
        Some(current) => current.clone().into(),
        None => oauth_client::ActiveModel {
            organisation_id: Set(principal.organisation_id),
            provider: Set(provider),
            accept_invalid_certs: Set(false),
            ..Default::default()
        },
    };
    match (&input.client_id, &current) {
        (Some(client_id), _) => row.client_id = Set(required_text("clientId", client_id, 500)?),
        (None, None) => {
            return Err(ServiceError::invalid(
                "clientId",
                "enter the client (application) id registered at the provider",
            ));
        }
        (None, Some(_)) => {}
    }
    if let Some(secret) = input
        .client_secret
        .as_deref()
        .map(str::trim)
        .filter(|secret| !secret.is_empty())
    {
        if secret.chars().count() > 2000 {
            return Err(ServiceError::invalid("clientSecret", "must be at most 2000 characters"));
        }
        row.client_secret_secret = Set(Some(state.secrets.encrypt(secret)));
    } else if current
        .as_ref()
        .is_none_or(|current| current.client_secret_secret.is_none())
    {
        return Err(ServiceError::invalid(
            "clientSecret",
            "enter the client secret registered at the provider",
        ));
    }
    if let Some(tenant) = &input.tenant {
        if provider != OauthProvider::Microsoft && !tenant.trim().is_empty() {
            return Err(ServiceError::invalid("tenant", "only Microsoft has tenants"));
        }
        let tenant = optional_text("tenant", Some(tenant), 200)?;
        if tenant.as_deref().is_some_and(|t| {
            !t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        }) {
            return Err(ServiceError::invalid(
                "tenant",
                "a tenant is a directory id (GUID), a domain, or \"organizations\"",
            ));
        }
        row.tenant = Set(tenant);
    }
    for (field, value, slot) in [
        ("authorizeUrl", &input.authorize_url, &mut row.authorize_url),
        ("tokenUrl", &input.token_url, &mut row.token_url),
        ("revokeUrl", &input.revoke_url, &mut row.revoke_url),
        ("userinfoUrl", &input.userinfo_url, &mut row.userinfo_url),
    ] {
        if let Some(value) = value {
            *slot = Set(url_field(field, value)?);
        }
    }
    if let Some(host) = &input.imap_host {
        row.imap_host = Set(optional_text("imapHost", Some(host), 255)?);
    }
    if let Some(port) = input.imap_port {
        row.imap_port = Set(port_field("imapPort", port)?);
    }
    if let Some(host) = &input.smtp_host {
        row.smtp_host = Set(optional_text("smtpHost", Some(host), 255)?);
    }
    if let Some(port) = input.smtp_port {
        row.smtp_port = Set(port_field("smtpPort", port)?);
    }
    if let Some(security) = input.smtp_security {
        if security == MailSecurity::Unencrypted {
            return Err(ServiceError::invalid(
                "smtpSecurity",
                "tokens are never sent unencrypted: choose TLS or STARTTLS",
            ));
        }
        row.smtp_security = Set(Some(security));
    }
    if let Some(accept) = input.accept_invalid_certs {
        row.accept_invalid_certs = Set(accept);
    }
    row.updated_by_user_id = Set(Some(principal.user_id));
    row.updated_at = Set(Utc::now());
    let saved = match current {
        Some(_) => row.update(&state.db).await?,
        None => row.insert(&state.db).await?,
    };
    audit::record(
        &state.db,
        principal,
        "oauth_client.set",
        "oauth_client",
        Some(saved.id),
        serde_json::json!({"provider": saved.provider.as_str(), "clientId": saved.client_id, "tenant": saved.tenant}),
    )
    .await?;
    Ok(saved)
}

/// The settings to talk to the provider with: the registration, its secret
/// decrypted, and the provider's defaults where nothing is overridden.
pub fn provider_settings(secrets: &SecretBox, client: &oauth_client::Model) -> ServiceResult<ProviderSettings> {
    let provider = client.provider;
    let client_secret = match &client.client_secret_secret {
        Some(sealed) => Some(secrets.decrypt(sealed).map_err(|_| {
            ServiceError::invalid(
                "clientSecret",
                "the stored client secret cannot be read with this server's key; enter it again",
            )
        })?),
        None => None,
    };
    let defaults = defaults(provider, client.tenant.as_deref());
    Ok(ProviderSettings {
        provider,
        client_id: client.client_id.clone(),
        client_secret,
        authorize_url: client.authorize_url.clone().unwrap_or(defaults.authorize_url),
        token_url: client.token_url.clone().unwrap_or(defaults.token_url),
        revoke_url: client.revoke_url.clone().or(defaults.revoke_url.map(str::to_owned)),
        userinfo_url: client.userinfo_url.clone().or(defaults.userinfo_url.map(str::to_owned)),
        imap_host: client
            .imap_host
            .clone()
            .unwrap_or_else(|| defaults.imap_host.to_owned()),
        imap_port: client
            .imap_port
            .and_then(|port| u16::try_from(port).ok())
            .unwrap_or(defaults.imap_port),
        smtp_host: client
            .smtp_host
            .clone()
            .unwrap_or_else(|| defaults.smtp_host.to_owned()),
        smtp_port: client
            .smtp_port
            .and_then(|port| u16::try_from(port).ok())
            .unwrap_or(defaults.smtp_port),
        smtp_security: client.smtp_security.unwrap_or(defaults.smtp_security),
        accept_invalid_certs: client.accept_invalid_certs,
    })
}

/// The provider settings of an organisation, or an error naming what is missing.
pub async fn settings_for(
    state: &AppState,
    organisation_id: i64,
    provider: OauthProvider,
) -> ServiceResult<ProviderSettings> {
    let client = find(&state.db, organisation_id, provider).await?.ok_or_else(|| {
        ServiceError::invalid(
            "provider",
            format!(
                "no OAuth client is registered for {}; an administrator enters it under Settings → Mail accounts",
                label(provider)
            ),
        )
    })?;
    provider_settings(&state.secrets, &client)
}

pub fn label(provider: OauthProvider) -> &'static str {
    match provider {
        OauthProvider::Google => "Google",
        OauthProvider::Microsoft => "Microsoft",
    }
}
