//! Google and Microsoft connections: the connect button (off to the provider and back),
//! the connection's state, the outcome the callback reports, the warning when a
//! connection must be renewed, and the client registration form.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use talentpost_shared::{MailSecurity, OauthAccountState, OauthProvider, OauthPurpose};

use crate::api::generated as gql;
use crate::api::{self, ApiError};
use crate::components::labels;
use crate::components::status::FormError;
use crate::i18n::*;

/// A Google or Microsoft connection, as every query that shows one selects it.
pub type OauthAccount = gql::fragments::OauthAccountFields;
/// An organisation's registration at a provider.
pub type OauthClient = gql::fragments::OauthClientFields;

/// Starts the connection and sends the browser to the provider; it comes back to the
/// page the callback names. `reconnect` only changes the wording.
#[component]
pub fn ConnectButton(
    provider: OauthProvider,
    purpose: OauthPurpose,
    target_id: String,
    #[prop(optional)] reconnect: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let (error, set_error) = signal(None::<ApiError>);
    let start = Action::new_local(move |_: &()| {
        let target = target_id.clone();
        async move {
            let variables = gql::start_oauth_connect::Variables {
                provider,
                purpose,
                target,
            };
            match api::run::<gql::StartOauthConnect>(variables).await {
                Ok(data) => {
                    let url = data.start_oauth_connect.url;
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().set_href(&url);
                    }
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    view! {
        <span class="oauth-connect">
            <button type="button" class="link" data-testid="oauth-connect" data-provider=provider.as_str()
                disabled=move || start.pending().get() on:click=move |_| { start.dispatch(()); }>
                {move || {
                    let name = labels::oauth_provider(provider);
                    if reconnect { format!("{} ({name})", t_string!(i18n, oauth_reconnect)) } else { format!("{} ({name})", t_string!(i18n, oauth_connect)) }
                }}
            </button>
            <FormError error/>
        </span>
    }
}

/// The connection's state in words, with a disconnect button while it holds tokens.
#[component]
pub fn OauthState(account: OauthAccount, on_changed: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let (error, set_error) = signal(None::<ApiError>);
    let id = account.id.clone();
    let disconnect = Action::new_local(move |_: &()| {
        let id = id.clone();
        async move {
            match api::run::<gql::DisconnectOauth>(gql::disconnect_oauth::Variables { id }).await {
                Ok(_) => on_changed.run(()),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let state = account.state;
    let class = match state {
        OauthAccountState::Connected => "status ok",
        OauthAccountState::ReauthorizationNeeded => "status error",
        OauthAccountState::Disconnected => "status off",
    };
    view! {
        <div class=class data-testid="oauth-state" data-state=state.as_str()>
            {labels::oauth_provider(account.provider)} " · " {account.mailbox_address.clone()} " · "
            {move || labels::oauth_state(i18n, state)}
            {account.problem.clone().filter(|_| state != OauthAccountState::Connected).map(|problem| view! { <div class="problem">{problem}</div> })}
            <Show when=move || state != OauthAccountState::Disconnected>
                " " <button type="button" class="link" data-testid="oauth-disconnect"
                    on:click=move |_| {
                        let confirmed = web_sys::window()
                            .and_then(|w| w.confirm_with_message(t_string!(i18n, oauth_disconnect_confirm)).ok())
                            .unwrap_or(false);
                        if confirmed { disconnect.dispatch(()); }
                    }>{t!(i18n, oauth_disconnect)}</button>
            </Show>
            <FormError error/>
        </div>
    }
}

/// The mailbox the callback page just connected (`?oauth=connected&mailbox=…`);
/// failures stay on the callback page, which says why.
#[component]
pub fn OauthOutcome() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    move || {
        query.with(|query| {
            (query.get("oauth").as_deref() == Some("connected")).then(|| {
                let mailbox = query.get("mailbox").unwrap_or_default();
                view! { <p class="notice" data-testid="oauth-outcome">{t!(i18n, oauth_connected)} " " <strong>{mailbox}</strong></p> }
            })
        })
    }
}

/// Connections an admin must renew, named, with the way to do it.
#[component]
pub fn ReauthorizationBanner(accounts: Vec<OauthAccount>) -> impl IntoView {
    let i18n = use_i18n();
    let lost: Vec<OauthAccount> = accounts
        .into_iter()
        .filter(|a| a.state == OauthAccountState::ReauthorizationNeeded)
        .collect();
    (!lost.is_empty()).then(|| {
        view! {
            <div class="banner error" role="alert" data-testid="oauth-banner">
                {lost.into_iter().map(|account| view! {
                    <p>{move || t_string!(i18n, oauth_banner).to_string()} " " <strong>{account.mailbox_address.clone()}</strong>
                        " (" {labels::oauth_provider(account.provider)} ") "
                        <a href="/settings/mail">{t!(i18n, oauth_banner_action)}</a></p>
                }).collect_view()}
            </div>
        }
    })
}

/// One provider's registration: id, secret (write-only), tenant, and in "advanced" the
/// endpoint and mail server overrides.
#[component]
pub fn OauthClientForm(provider: OauthProvider, current: Option<OauthClient>, redirect_uri: String) -> impl IntoView {
    let i18n = use_i18n();
    let text = |value: Option<&String>| RwSignal::new(value.cloned().unwrap_or_default());
    let client_id = RwSignal::new(current.as_ref().map(|c| c.client_id.clone()).unwrap_or_default());
    let secret = RwSignal::new(String::new());
    // The form keeps its own state after saving; the page does not reload it.
    let has_secret = RwSignal::new(current.as_ref().is_some_and(|c| c.has_client_secret));
    let tenant = text(current.as_ref().and_then(|c| c.tenant.as_ref()));
    let authorize_url = text(current.as_ref().and_then(|c| c.authorize_url.as_ref()));
    let token_url = text(current.as_ref().and_then(|c| c.token_url.as_ref()));
    let revoke_url = text(current.as_ref().and_then(|c| c.revoke_url.as_ref()));
    let userinfo_url = text(current.as_ref().and_then(|c| c.userinfo_url.as_ref()));
    let imap_host = text(current.as_ref().and_then(|c| c.imap_host.as_ref()));
    let imap_port = RwSignal::new(
        current
            .as_ref()
            .and_then(|c| c.imap_port)
            .map(|p| p.to_string())
            .unwrap_or_default(),
    );
    let smtp_host = text(current.as_ref().and_then(|c| c.smtp_host.as_ref()));
    let smtp_port = RwSignal::new(
        current
            .as_ref()
            .and_then(|c| c.smtp_port)
            .map(|p| p.to_string())
            .unwrap_or_default(),
    );
    let smtp_security = RwSignal::new(
        current
            .as_ref()
            .and_then(|c| c.smtp_security)
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
    );
    let accept_invalid = RwSignal::new(current.as_ref().is_some_and(|c| c.accept_invalid_certs));
    let (error, set_error) = signal(None::<ApiError>);
    let (saved, set_saved) = signal(false);
    let save = Action::new_local(move |_: &()| {
        let port = |value: String| Some(i64::from(value.trim().parse::<i32>().unwrap_or(0)));
        let secret_text = secret.get_untracked();
        let input = gql::set_oauth_client::OauthClientInput {
            client_id: Some(client_id.get_untracked()),
            client_secret: (!secret_text.is_empty()).then_some(secret_text),
            tenant: (provider == OauthProvider::Microsoft).then(|| tenant.get_untracked()),
            authorize_url: Some(authorize_url.get_untracked()),
            token_url: Some(token_url.get_untracked()),
            revoke_url: Some(revoke_url.get_untracked()),
            userinfo_url: Some(userinfo_url.get_untracked()),
            imap_host: Some(imap_host.get_untracked()),
            imap_port: port(imap_port.get_untracked()),
            smtp_host: Some(smtp_host.get_untracked()),
            smtp_port: port(smtp_port.get_untracked()),
            smtp_security: MailSecurity::parse(&smtp_security.get_untracked()),
            accept_invalid_certs: Some(accept_invalid.get_untracked()),
        };
        async move {
            match api::run::<gql::SetOauthClient>(gql::set_oauth_client::Variables { provider, input }).await {
                Ok(_) => {
                    set_error.set(None);
                    set_saved.set(true);
                    secret.set(String::new());
                    has_secret.set(true);
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let field = move |label: &'static str, name: &'static str, value: RwSignal<String>| {
        view! { <label class="grow">{label}<input name=name prop:value=value on:input=move |ev| value.set(event_target_value(&ev))/></label> }
    };
    view! {
        <form class="card form oauth-client" data-testid="oauth-client-form" data-provider=provider.as_str()
            on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
            <h3>{labels::oauth_provider(provider)}</h3>
            <p class="muted">{t!(i18n, oauth_redirect_help)} " " <code data-testid="oauth-redirect-uri">{redirect_uri}</code></p>
            <div class="row">
                <label class="grow">{t!(i18n, oauth_client_id)}
                    <input name="clientId" required prop:value=client_id on:input=move |ev| client_id.set(event_target_value(&ev))/></label>
                <label class="grow">{t!(i18n, oauth_client_secret)}
                    <input name="clientSecret" type="password" autocomplete="new-password" required=move || !has_secret.get()
                        placeholder=move || if has_secret.get() { t_string!(i18n, account_password_unchanged).to_string() } else { String::new() }
                        prop:value=secret on:input=move |ev| secret.set(event_target_value(&ev))/></label>
                {(provider == OauthProvider::Microsoft).then(|| view! {
                    <label class="grow">{t!(i18n, oauth_tenant)}
                        <input name="tenant" placeholder="organizations" prop:value=tenant on:input=move |ev| tenant.set(event_target_value(&ev))/></label>
                })}
            </div>
            <details>
                <summary>{t!(i18n, oauth_advanced)}</summary>
                <p class="muted">{t!(i18n, oauth_advanced_help)}</p>
                <div class="row">
                    {field("Authorize URL", "authorizeUrl", authorize_url)}
                    {field("Token URL", "tokenUrl", token_url)}
                </div>
                <div class="row">
                    {field("Revoke URL", "revokeUrl", revoke_url)}
                    {field("Userinfo URL", "userinfoUrl", userinfo_url)}
                </div>
                <div class="row">
                    {field("IMAP host", "imapHost", imap_host)}
                    {field("IMAP port", "imapPort", imap_port)}
                    {field("SMTP host", "smtpHost", smtp_host)}
                    {field("SMTP port", "smtpPort", smtp_port)}
                    <label class="grow">"SMTP security"
                        <select name="smtpSecurity" prop:value=move || smtp_security.get() on:change=move |ev| smtp_security.set(event_target_value(&ev))>
                            <option value="">"–"</option>
                            <option value="tls">"TLS"</option>
                            <option value="starttls">"STARTTLS"</option>
                        </select></label>
                </div>
                <label class="check"><input type="checkbox" name="acceptInvalidCerts" prop:checked=accept_invalid
                    on:change=move |ev| accept_invalid.set(event_target_checked(&ev))/><span>{t!(i18n, oauth_accept_invalid)}</span></label>
            </details>
            <FormError error/>
            {move || saved.get().then(|| view! { <p class="notice">{t!(i18n, saved)}</p> })}
            <div class="actions">
                <button type="submit" class="primary" data-testid="oauth-client-save" disabled=move || save.pending().get()>{t!(i18n, save)}</button>
            </div>
        </form>
    }
}
