//! Talentpost web app: client-side rendered Leptos, served by the Talentpost server.

mod api;
mod app;
mod components;
mod pages;

#[allow(deprecated)]
mod translations {
    leptos_i18n::load_locales!();
}
use translations::i18n;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
    // The app is on the screen: the plain-HTML splash of index.html goes.
    if let Some(splash) = leptos::prelude::document().get_element_by_id("splash") {
        splash.remove();
    }
}
