use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;
use talentpost_shared::ErrorCode;

use crate::api::generated as gql;
use crate::api::live::LiveInbox;
use crate::api::{self, ApiError};
use crate::components::layout::Shell;
use crate::components::status::{ErrorView, Loading};
use crate::i18n::*;
use crate::pages::{
    candidate_file, candidates, dashboard, inbox, job_openings, login::LoginPage, mail_accounts, nurturing,
    nurturing_jobs, oauth_callback, outbox, outgoing_mail, public_channels, settings,
};

/// The signed-in user, available to every page below the shell.
#[derive(Clone)]
pub struct Session {
    pub user: gql::fragments::UserFields,
    /// Re-reads `me`; after logout this turns the app back to the login page.
    pub reload: Callback<()>,
}

impl Session {
    pub fn is_admin(&self) -> bool {
        self.user.role == talentpost_shared::Role::Admin
    }

    /// Admins and company admins set up mail accounts (the latter for their companies).
    pub fn manages_mail(&self) -> bool {
        matches!(
            self.user.role,
            talentpost_shared::Role::Admin | talentpost_shared::Role::CompanyAdmin
        )
    }
}

#[component]
pub fn App() -> impl IntoView {
    view! {
        <I18nContextProvider>
            <Authenticated/>
        </I18nContextProvider>
    }
}

const LOCALE_KEY: &str = "talentpost.locale";

/// Keeps the language the user chose for the next visit.
pub fn remember_locale(locale: Locale) {
    let code = if locale == Locale::de { "de" } else { "en" };
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.set_item(LOCALE_KEY, code);
    }
}

fn remembered_locale() -> Option<Locale> {
    let storage = window().local_storage().ok().flatten()?;
    match storage.get_item(LOCALE_KEY).ok().flatten()?.as_str() {
        "de" => Some(Locale::de),
        "en" => Some(Locale::en),
        _ => None,
    }
}

/// Shows the login page until `me` answers with a user, then the app.
#[component]
fn Authenticated() -> impl IntoView {
    // The language chosen last time, else the browser's.
    if let Some(locale) = remembered_locale() {
        use_i18n().set_locale(locale);
    }
    let me = LocalResource::new(|| async { api::run::<gql::Me>(gql::me::Variables).await.map(|data| data.me) });
    let reload = Callback::new(move |()| me.refetch());
    view! {
        <Transition fallback=Loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(user) => Ok(view! { <SignedIn user reload/> }.into_any()),
                        Err(ApiError::Server { code: ErrorCode::Unauthenticated, .. }) => {
                            Ok(view! { <LoginPage on_login=reload/> }.into_any())
                        }
                        Err(error) => Err(error),
                    }
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn SignedIn(user: gql::fragments::UserFields, reload: Callback<()>) -> impl IntoView {
    let session = Session { user, reload };
    let live = LiveInbox::start(session.manages_mail());
    provide_context(session);
    provide_context(live);
    view! {
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=dashboard::DashboardPage/>
                    <Route path=path!("inbox") view=inbox::InboxPage/>
                    <Route path=path!("inbox/:id") view=inbox::InboxItemPage/>
                    <Route path=path!("candidates") view=candidates::CandidatesPage/>
                    <Route path=path!("candidates/duplicates") view=candidate_file::DuplicatesPage/>
                    <Route path=path!("candidates/:id") view=candidates::CandidatePage/>
                    <Route path=path!("job-openings") view=job_openings::JobOpeningsPage/>
                    <Route path=path!("outbox") view=outbox::OutboxPage/>
                    <ParentRoute path=path!("nurturing") view=nurturing::NurturingPage>
                        <Route path=path!("") view=nurturing::QueriesPage/>
                        <Route path=path!("letters") view=nurturing::FormLettersPage/>
                        <Route path=path!("jobs") view=nurturing_jobs::JobsPage/>
                        <Route path=path!("jobs/:id") view=nurturing_jobs::JobFilePage/>
                        <Route path=path!("work") view=nurturing_jobs::WorkCentrePage/>
                    </ParentRoute>
                    <Route path=path!("nurturing-print") view=nurturing_jobs::JobsPrintPage/>
                    <Route path=path!("oauth/callback") view=oauth_callback::OauthCallbackPage/>
                    <ParentRoute path=path!("settings") view=settings::SettingsPage>
                        <Route path=path!("") view=settings::LegalEntitiesPage/>
                        <Route path=path!("users") view=settings::UsersPage/>
                        <Route path=path!("groups") view=settings::GroupsPage/>
                        <Route path=path!("tokens") view=settings::TokensPage/>
                        <Route path=path!("mail") view=mail_accounts::MailAccountsPage/>
                        <Route path=path!("outgoing") view=outgoing_mail::OutgoingMailPage/>
                        <Route path=path!("channels") view=public_channels::PublicChannelsPage/>
                        <Route path=path!("privacy") view=settings::PrivacyPage/>
                        <Route path=path!("audit") view=settings::AuditPage/>
                    </ParentRoute>
                    // Inside the shell, so an unknown address keeps the navigation.
                    <Route path=path!("*any") view=NotFound/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <main class="page not-found" data-testid="not-found">
            <h1>{t!(i18n, not_found_title)}</h1>
            <p>{t!(i18n, not_found_text)}</p>
            <p><leptos_router::components::A href="/" attr:class="button primary">{t!(i18n, not_found_home)}</leptos_router::components::A></p>
        </main>
    }
}
