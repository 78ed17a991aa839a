//! OAuth2 with Google and Microsoft for mailboxes: the providers' endpoints and scopes,
//! the authorisation code flow with PKCE, refreshing, revoking, reading the mailbox
//! address from the ID token, and the XOAUTH2 login for IMAP. No database here; the
//! token lifecycle lives in `services::accounts::oauth`.

mod xoauth2;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, ExtraTokenFields,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use talentpost_shared::{MailSecurity, OauthProvider};

pub use xoauth2::XOauth2;

/// A provider's endpoints and mail servers, with the organisation's overrides applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderSettings {
    pub provider: OauthProvider,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub authorize_url: String,
    pub token_url: String,
    pub revoke_url: Option<String>,
    pub userinfo_url: Option<String>,
    pub imap_host: String,
    pub imap_port: u16,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: MailSecurity,
    pub accept_invalid_certs: bool,
}

/// The provider's own values, used where the organisation overrides nothing.
pub struct ProviderDefaults {
    pub authorize_url: String,
    pub token_url: String,
    pub revoke_url: Option<&'static str>,
    pub userinfo_url: Option<&'static str>,
    pub imap_host: &'static str,
    pub imap_port: u16,
    pub smtp_host: &'static str,
    pub smtp_port: u16,
    pub smtp_security: MailSecurity,
}

pub fn defaults(provider: OauthProvider, tenant: Option<&str>) -> ProviderDefaults {
    match provider {
        OauthProvider::Google => ProviderDefaults {
            authorize_url: "https://accounts.google.com/o/oauth2/v2/auth".to_owned(),
            token_url: "https://oauth2.googleapis.com/token".to_owned(),
            revoke_url: Some("https://oauth2.googleapis.com/revoke"),
            userinfo_url: Some("https://openidconnect.googleapis.com/v1/userinfo"),
            imap_host: "imap.gmail.com",
            imap_port: 993,
            smtp_host: "smtp.gmail.com",
            smtp_port: 465,
            smtp_security: MailSecurity::Tls,
        },
        OauthProvider::Microsoft => {
            // "organizations": any work or school account; a tenant id pins one directory.
            let tenant = tenant.filter(|t| !t.trim().is_empty()).unwrap_or("organizations");
            ProviderDefaults {
                authorize_url: format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize"),
                token_url: format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"),
                revoke_url: None,
                userinfo_url: None,
                imap_host: "outlook.office365.com",
                imap_port: 993,
                smtp_host: "smtp.office365.com",
                smtp_port: 587,
                smtp_security: MailSecurity::Starttls,
            }
        }
    }
}

/// What the connection asks for: IMAP and SMTP access, a refresh token, and the
/// mailbox address (OpenID Connect `email`).
pub fn scopes(provider: OauthProvider) -> &'static [&'static str] {
    match provider {
        OauthProvider::Google => &["https://mail.google.com/", "openid", "email"],
        OauthProvider::Microsoft => &[
            "https://outlook.office.com/IMAP.AccessAsUser.All",
            "https://outlook.office.com/SMTP.Send",
            "offline_access",
            "openid",
            "email",
            "profile",
        ],
    }
}

/// The ID token next to the access token (OpenID Connect).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type MailTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;
type MailClient = oauth2::Client<
    BasicErrorResponse,
    MailTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Tokens as the provider issued them.
#[derive(Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    /// `None` when the provider keeps the old refresh token (no rotation).
    pub refresh_token: Option<String>,
    pub expires_in: Option<Duration>,
    pub id_token: Option<String>,
}

impl std::fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedTokens")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum OauthError {
    /// The provider refused the grant for good (revoked, expired, wrong code): a person
    /// must sign in again.
    #[error("the provider refused the sign-in: {0}")]
    InvalidGrant(String),
    /// The client registration is wrong (id, secret, redirect address).
    #[error("the provider refused Talentpost's client registration: {0}")]
    Client(String),
    /// Network trouble or a provider error that may pass.
    #[error("the provider could not be reached or failed: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Configuration(String),
}

pub struct AuthorizationRequest {
    pub url: String,
    pub pkce_verifier: String,
}

fn client(settings: &ProviderSettings, redirect_url: &str) -> Result<MailClient, OauthError> {
    let auth_url = AuthUrl::new(settings.authorize_url.clone()).map_err(|error| {
        OauthError::Configuration(format!("the authorisation endpoint is not a valid URL: {error}"))
    })?;
    let token_url = TokenUrl::new(settings.token_url.clone())
        .map_err(|error| OauthError::Configuration(format!("the token endpoint is not a valid URL: {error}")))?;
    let redirect = RedirectUrl::new(redirect_url.to_owned())
        .map_err(|error| OauthError::Configuration(format!("the callback address is not a valid URL: {error}")))?;
    let mut client = oauth2::Client::new(ClientId::new(settings.client_id.clone()))
        .set_auth_uri(auth_url)
        .set_token_uri(token_url)
        .set_redirect_uri(redirect);
    if let Some(secret) = &settings.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.clone()));
    }
    Ok(client)
}

/// The address to send the admin's browser to, with a fresh PKCE verifier for the
/// token exchange. `state` is ours, opaque to the provider.
pub fn authorization_request(
    settings: &ProviderSettings,
    redirect_url: &str,
    state: impl FnOnce(&str) -> String,
    login_hint: Option<&str>,
) -> Result<AuthorizationRequest, OauthError> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = state(verifier.secret());
    let client = client(settings, redirect_url)?;
    let mut request = client
        .authorize_url(|| CsrfToken::new(state))
        .set_pkce_challenge(challenge);
    for scope in scopes(settings.provider) {
        request = request.add_scope(Scope::new((*scope).to_owned()));
    }
    if settings.provider == OauthProvider::Google {
        // Without both Google issues a refresh token only on the very first consent.
        request = request
            .add_extra_param("access_type", "offline")
            .add_extra_param("prompt", "consent");
    } else {
        request = request.add_extra_param("prompt", "select_account");
    }
    if let Some(hint) = login_hint {
        request = request.add_extra_param("login_hint", hint.to_owned());
    }
    let (url, _) = request.url();
    Ok(AuthorizationRequest {
        url: url.to_string(),
        pkce_verifier: verifier.into_secret(),
    })
}

/// An HTTP client for the token endpoints. Redirects are not followed (the oauth2
/// crate's advice: a redirect could carry the code or secret elsewhere).
pub fn http_client() -> Result<reqwest::Client, OauthError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|error| OauthError::Configuration(format!("no HTTP client: {error}")))
}

pub async fn exchange_code(
    http: &reqwest::Client,
    settings: &ProviderSettings,
    redirect_url: &str,
    code: &str,
    pkce_verifier: &str,
) -> Result<IssuedTokens, OauthError> {
    let response = client(settings, redirect_url)?
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
        .request_async(http)
        .await
        .map_err(classify)?;
    Ok(issued(&response))
}

pub async fn refresh(
    http: &reqwest::Client,
    settings: &ProviderSettings,
    refresh_token: &str,
) -> Result<IssuedTokens, OauthError> {
    // The redirect address plays no part in a refresh; any valid URL does.
    let response = client(settings, "http://localhost/")?
        .exchange_refresh_token(&RefreshToken::new(refresh_token.to_owned()))
        .request_async(http)
        .await
        .map_err(classify)?;
    Ok(issued(&response))
}

/// Tells the provider the grant is no longer wanted (RFC 7009), where it offers that.
/// Best effort: the tokens are deleted here either way.
pub async fn revoke(http: &reqwest::Client, settings: &ProviderSettings, token: &str) -> Result<(), OauthError> {
    let Some(url) = &settings.revoke_url else {
        return Ok(());
    };
    let mut form = vec![("token", token.to_owned()), ("client_id", settings.client_id.clone())];
    if let Some(secret) = &settings.client_secret {
        form.push(("client_secret", secret.clone()));
    }
    let response = http
        .post(url)
        .form(&form)
        .send()
        .await
        .map_err(|error| OauthError::Unavailable(error.to_string()))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(OauthError::Unavailable(format!(
            "revocation answered {}",
            response.status()
        )))
    }
}

fn issued(response: &MailTokenResponse) -> IssuedTokens {
    IssuedTokens {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|token| token.secret().clone()),
        expires_in: response.expires_in(),
        id_token: response.extra_fields().id_token.clone(),
    }
}

fn classify<E: std::error::Error + 'static>(error: RequestTokenError<E, BasicErrorResponse>) -> OauthError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let detail = match response.error_description() {
                Some(description) => format!("{} ({description})", response.error()),
                None => response.error().to_string(),
            };
            match response.error() {
                BasicErrorResponseType::InvalidGrant => OauthError::InvalidGrant(detail),
                BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
                    OauthError::Client(detail)
                }
                _ => OauthError::Unavailable(detail),
            }
        }
        RequestTokenError::Request(error) => OauthError::Unavailable(error.to_string()),
        // Never the body: an answer that fails to parse may still hold tokens.
        RequestTokenError::Parse(error, _) => {
            OauthError::Unavailable(format!("unexpected answer from the token endpoint ({error})"))
        }
        RequestTokenError::Other(text) => OauthError::Unavailable(text),
    }
}

#[derive(Deserialize)]
struct IdClaims {
    email: Option<String>,
    preferred_username: Option<String>,
    upn: Option<String>,
}

/// The mailbox address in an ID token: `email`, else Microsoft's `preferred_username`
/// or `upn`. The signature is not checked: the token came straight from the provider's
/// token endpoint over TLS (OpenID Connect Core 3.1.3.7), not through a browser.
pub fn mailbox_from_id_token(id_token: &str) -> Option<String> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: IdClaims = serde_json::from_slice(&bytes).ok()?;
    [claims.email, claims.preferred_username, claims.upn]
        .into_iter()
        .flatten()
        .find(|value| value.contains('@'))
}

/// The mailbox address from the userinfo endpoint (Google without an ID token).
pub async fn mailbox_from_userinfo(
    http: &reqwest::Client,
    url: &str,
    access_token: &str,
) -> Result<Option<String>, OauthError> {
    #[derive(Deserialize)]
    struct UserInfo {
        email: Option<String>,
    }
    let response = http
        .get(url)
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|error| OauthError::Unavailable(error.to_string()))?;
    if !response.status().is_success() {
        return Err(OauthError::Unavailable(format!(
            "userinfo answered {}",
            response.status()
        )));
    }
    let info: UserInfo = response
        .json()
        .await
        .map_err(|error| OauthError::Unavailable(error.to_string()))?;
    Ok(info.email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_comes_from_email_then_preferred_username() {
        let token = |claims: &str| format!("e30.{}.", URL_SAFE_NO_PAD.encode(claims));
        assert_eq!(
            mailbox_from_id_token(&token(r#"{"email":"jobs@example.test"}"#)).as_deref(),
            Some("jobs@example.test")
        );
        assert_eq!(
            mailbox_from_id_token(&token(r#"{"preferred_username":"hr@contoso.example","name":"HR"}"#)).as_deref(),
            Some("hr@contoso.example")
        );
        assert_eq!(
            mailbox_from_id_token(&token(r#"{"preferred_username":"not-a-mailbox"}"#)),
            None
        );
        assert_eq!(mailbox_from_id_token("garbage"), None);
    }

    #[test]
    fn microsoft_endpoints_follow_the_tenant() {
        let ours = defaults(OauthProvider::Microsoft, Some("contoso.onmicrosoft.com"));
        assert_eq!(
            ours.token_url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert!(
            defaults(OauthProvider::Microsoft, None)
                .authorize_url
                .contains("/organizations/")
        );
    }
}
