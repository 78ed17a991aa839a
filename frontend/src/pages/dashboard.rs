use leptos::prelude::*;
use leptos_router::components::A;
use talentpost_shared::InboxMedium;

use crate::api::live::LiveInbox;
use crate::app::Session;
use crate::components::labels;
use crate::i18n::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = expect_context::<Session>();
    let live = expect_context::<LiveInbox>();
    let name = session.user.display_name.clone();
    let tiles = move || {
        InboxMedium::ALL
            .iter()
            .map(|medium| {
                let medium = *medium;
                let count = move || live.counts.get().map(|c| c.get(medium)).unwrap_or(0);
                view! {
                    <A href=format!("/inbox?medium={}", medium.as_str()) attr:class="tile">
                        <span class="tile-count">{count}</span>
                        <span class="tile-label">{move || labels::medium(i18n, medium)}</span>
                    </A>
                }
            })
            .collect_view()
    };
    view! {
        <main class="page">
            <h1>{t!(i18n, dashboard_welcome, name = move || name.clone())}</h1>
            <section>
                <h2>{t!(i18n, dashboard_unassigned)}</h2>
                <div class="tiles">{tiles}</div>
                <A href="/inbox" attr:class="button primary">{t!(i18n, dashboard_open_inbox)}</A>
            </section>
        </main>
    }
}
