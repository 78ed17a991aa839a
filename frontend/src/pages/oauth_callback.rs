//! Where Google and Microsoft send the admin back (the registered redirect URI). The
//! page hands code and state to the server in the admin's own session, then goes on to
//! the settings page the connection was started from.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::generated as gql;
use crate::api::{self, ApiError};
use crate::components::status::{ErrorView, Loading};
use crate::i18n::*;

#[component]
pub fn OauthCallbackPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    // What the provider appended to the redirect URI.
    let params = query.with_untracked(|q| gql::complete_oauth_connect::Variables {
        state: q.get("state"),
        code: q.get("code"),
        error: q.get("error"),
        description: q.get("error_description"),
    });
    let finished = LocalResource::new(move || {
        let variables = params.clone();
        async move {
            api::run::<gql::CompleteOauthConnect>(variables)
                .await
                .map(|data| data.complete_oauth_connect)
        }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(done)) = finished.get() {
            let mailbox = String::from(js_sys::encode_uri_component(&done.mailbox));
            // Replacing the history entry: "back" must not present the spent code again.
            navigate(
                &format!("{}?oauth=connected&mailbox={mailbox}", done.app_path),
                leptos_router::NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    view! {
        <section class="oauth-callback" data-testid="oauth-callback">
            <h1>{t!(i18n, oauth_callback_title)}</h1>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=move |errors| view! {
                    <ErrorView errors/>
                    <p><a href="/settings/mail">{t!(i18n, settings_mail)}</a> " · " <a href="/settings/outgoing">{t!(i18n, settings_outgoing)}</a></p>
                }>
                    {move || Suspend::new(async move {
                        let done = finished.await?;
                        Ok::<_, ApiError>(view! { <p class="notice">{t!(i18n, oauth_connected)} " " <strong>{done.mailbox}</strong></p> })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}
