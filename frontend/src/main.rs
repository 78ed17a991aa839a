//! Talentpost web app: client-side rendered Leptos, served by the Talentpost server.

mod api;
mod app;
mod components;
mod pages;

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
