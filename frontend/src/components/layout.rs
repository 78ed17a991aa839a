use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::api;
use crate::api::generated as gql;
use crate::api::live::LiveInbox;
use crate::app::Session;
use crate::components::oauth::ReauthorizationBanner;
use crate::components::status::ErrorView;
use crate::components::toast::{ToastRegion, Toasts};
use crate::i18n::*;

#[component]
pub fn Shell() -> impl IntoView {
    let i18n = use_i18n();
    let session = expect_context::<Session>();
    let live = expect_context::<LiveInbox>();
    let toasts = Toasts::new();
    provide_context(toasts);
    let total = move || live.counts.get().map(|c| c.total()).unwrap_or(0);
    let reload = session.reload;
    let logout = Action::new_local(move |_: &()| async move {
        let _ = api::run::<gql::Logout>(gql::logout::Variables).await;
        reload.run(());
    });
    // Mail admins are told at once when a Google or Microsoft sign-in must be renewed.
    let mail_admin = matches!(
        session.user.role,
        talentpost_shared::Role::Admin | talentpost_shared::Role::CompanyAdmin
    );
    let connections = LocalResource::new(move || {
        live.accounts_version.track();
        async move {
            if mail_admin {
                api::run::<gql::OauthAccounts>(gql::oauth_accounts::Variables)
                    .await
                    .map(|data| data.oauth_accounts)
            } else {
                Ok(Vec::new())
            }
        }
    });
    // The menu of a narrow screen closes when the page changes; the new page's heading
    // takes the focus, so keyboard and screen-reader users start at its top.
    let menu_open = RwSignal::new(false);
    let location = leptos_router::hooks::use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.as_ref().is_some_and(|before| *before != path) {
            menu_open.set(false);
            focus_heading();
        }
        path
    });
    let skip = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        focus_heading();
    };
    let set_language = move |ev| {
        let locale = if event_target_value(&ev) == "de" {
            Locale::de
        } else {
            Locale::en
        };
        i18n.set_locale(locale);
        crate::app::remember_locale(locale);
    };
    view! {
        <div class="shell">
            <a class="skip-link" href="#content" on:click=skip>{t!(i18n, skip_to_content)}</a>
            <header class="topbar">
                <A href="/" attr:class="brand">{t!(i18n, app_name)}</A>
                <button class="menu-button" aria-controls="mainnav" aria-expanded=move || menu_open.get().to_string()
                    data-testid="menu-button" on:click=move |_| menu_open.update(|open| *open = !*open)>
                    <span aria-hidden="true">"☰"</span>{t!(i18n, menu)}
                </button>
                <nav id="mainnav" class=move || if menu_open.get() { "mainnav open" } else { "mainnav" }
                    aria-label=move || t_string!(i18n, nav_label).to_string()>
                    <A href="/" exact=true>{t!(i18n, nav_dashboard)}</A>
                    <A href="/inbox">
                        {t!(i18n, nav_inbox)}
                        <span class="badge" data-testid="nav-inbox-count">{total}</span>
                    </A>
                    <A href="/candidates">{t!(i18n, nav_candidates)}</A>
                    <A href="/job-openings">{t!(i18n, nav_job_openings)}</A>
                    <A href="/nurturing" attr:data-testid="nav-nurturing">{t!(i18n, nav_nurturing)}</A>
                    <A href="/outbox" attr:data-testid="nav-outbox">{t!(i18n, nav_outbox)}</A>
                    <A href="/settings">{t!(i18n, nav_settings)}</A>
                </nav>
                <div class="account">
                    <label class="language">
                        <span class="sr-only">{t!(i18n, language)}</span>
                        <select data-testid="language" on:change=set_language
                            prop:value=move || if i18n.get_locale() == Locale::de { "de" } else { "en" }>
                            <option value="de">"Deutsch"</option>
                            <option value="en">"English"</option>
                        </select>
                    </label>
                    <span class="user">{session.user.display_name.clone()}</span>
                    <button class="link" on:click=move |_| { logout.dispatch(()); }>{t!(i18n, logout)}</button>
                </div>
            </header>
            <Transition fallback=|| ()>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let accounts = connections.await?;
                        Ok::<_, crate::api::ApiError>(view! { <ReauthorizationBanner accounts/> })
                    })}
                </ErrorBoundary>
            </Transition>
            <div id="content">
                <Outlet/>
            </div>
            <ToastRegion toasts/>
        </div>
    }
}

/// Moves the focus to the page's main heading (made focusable for that), after the
/// page has rendered.
fn focus_heading() {
    use wasm_bindgen::JsCast;
    request_animation_frame(|| {
        let heading = document()
            .query_selector("#content h1")
            .ok()
            .flatten()
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(heading) = heading {
            let _ = heading.set_attribute("tabindex", "-1");
            let _ = heading.focus();
        }
    });
}
