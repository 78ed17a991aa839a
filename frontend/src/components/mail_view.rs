//! One stored mail: headers, the body as sanitised HTML or plain text, and the raw
//! source. The HTML sits in a sandboxed frame (no scripts, no same-origin access),
//! loaded from the server with its own content security policy that loads nothing
//! remote until the reader asks for images. (A `srcdoc` frame would inherit the app's
//! stricter policy, which forbids the mail's inline styles.)

use leptos::prelude::*;
use talentpost_shared::ParseStatus;

use crate::api::ApiError;
use crate::api::generated as gql;
use crate::components::labels;
use crate::components::status::{ErrorView, Loading};
use crate::components::time::Time;
use crate::i18n::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Body {
    Html,
    Text,
    Source,
}

type MailAddress = gql::fragments::MailAddressFields;

/// "Name <address>", or the address alone.
fn display(address: &MailAddress) -> String {
    match &address.name {
        Some(name) => format!("{name} <{}>", address.address),
        None => address.address.clone(),
    }
}

fn address_list(addresses: &[MailAddress]) -> String {
    addresses.iter().map(display).collect::<Vec<_>>().join(", ")
}

/// The raw source, which the page loads only once the reader opens its tab.
#[derive(Clone, Copy)]
pub struct RawSource {
    pub wanted: RwSignal<bool>,
    pub text: LocalResource<Result<Option<String>, ApiError>>,
}

#[component]
pub fn MailView(mail: gql::fragments::MailFields, raw_source: RawSource) -> impl IntoView {
    let i18n = use_i18n();
    let has_html = mail.view_url.is_some();
    let body = RwSignal::new(if has_html { Body::Html } else { Body::Text });
    Effect::new(move |_| {
        if body.get() == Body::Source {
            raw_source.wanted.set(true);
        }
    });
    let raw = raw_source.text;
    let show_images = RwSignal::new(false);
    let view_url = mail.view_url.clone().unwrap_or_default();
    let text = mail.text_body.clone().unwrap_or_default();
    let raw_url = mail.raw_url.clone();
    let remote = mail.has_remote_content;
    let unreadable = (mail.parse_status != ParseStatus::Parsed).then(|| {
        let status = mail.parse_status;
        let problem = mail.parse_problem.clone().unwrap_or_default();
        view! {
            <p class="notice warning" data-testid="parse-problem">
                <strong>{move || labels::parse_status(i18n, status)}</strong>" " {problem}
            </p>
        }
    });
    let automatic = mail.automatic_reason.clone().map(|reason| {
        view! { <p class="notice" data-testid="automatic-reason">{t!(i18n, mail_automatic)}" (" {reason} ")"</p> }
    });
    let tab = move |kind: Body, label: Signal<String>, testid: &'static str| {
        view! {
            <button type="button" data-testid=testid class=move || if body.get() == kind { "tab active" } else { "tab" }
                on:click=move |_| body.set(kind)>{label}</button>
        }
    };
    view! {
        <section class="mail" data-testid="mail-view">
            {unreadable}
            {automatic}
            <dl class="facts mail-headers">
                {mail.from.clone().map(|from| view! { <dt>{t!(i18n, inbox_from)}</dt><dd data-testid="mail-from">{display(&from)}</dd> })}
                {(!mail.to.is_empty()).then(|| view! { <dt>{t!(i18n, mail_to)}</dt><dd>{address_list(&mail.to)}</dd> })}
                {(!mail.cc.is_empty()).then(|| view! { <dt>{t!(i18n, mail_cc)}</dt><dd>{address_list(&mail.cc)}</dd> })}
                {(!mail.reply_to.is_empty()).then(|| view! { <dt>{t!(i18n, mail_reply_to)}</dt><dd>{address_list(&mail.reply_to)}</dd> })}
                {mail.sent_at.clone().map(|sent| view! { <dt>{t!(i18n, mail_date)}</dt><dd><Time at=sent.clone()/></dd> })}
                <dt>{t!(i18n, mail_source)}</dt>
                <dd>{move || labels::mail_source(i18n, mail.source)}" · " {format!("{} KB", (mail.raw_size + 1023) / 1024)}</dd>
            </dl>
            <nav class="tabs small">
                {has_html.then(|| tab(Body::Html, Signal::derive(move || t_string!(i18n, mail_formatted).to_string()), "mail-tab-html"))}
                {tab(Body::Text, Signal::derive(move || t_string!(i18n, mail_plain_text).to_string()), "mail-tab-text")}
                {tab(Body::Source, Signal::derive(move || t_string!(i18n, mail_raw_source).to_string()), "mail-tab-source")}
                <a class="tab" href=raw_url download="mail.eml">{t!(i18n, mail_download)}</a>
            </nav>
            <Show when=move || body.get() == Body::Html && remote>
                <p class="notice">
                    {move || if show_images.get() { t_string!(i18n, mail_images_shown).to_string() } else { t_string!(i18n, mail_images_blocked).to_string() }}
                    " "
                    <button type="button" class="link" data-testid="show-images" on:click=move |_| show_images.update(|s| *s = !*s)>
                        {move || if show_images.get() { t_string!(i18n, mail_hide_images).to_string() } else { t_string!(i18n, mail_show_images).to_string() }}
                    </button>
                </p>
            </Show>
            {move || match body.get() {
                Body::Html => {
                    let src = if show_images.get() { format!("{view_url}?images=remote") } else { view_url.clone() };
                    // No allow-scripts, no allow-same-origin: the mail runs nothing and
                    // cannot reach the app; links open in a new tab (popups escape the sandbox).
                    view! {
                        <iframe class="mail-frame" data-testid="mail-frame" title="mail"
                            sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer"
                            src=src></iframe>
                    }.into_any()
                }
                Body::Text => view! { <pre class="message" data-testid="mail-text">{text.clone()}</pre> }.into_any(),
                Body::Source => view! {
                    <Transition fallback=Loading>
                        <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                            {move || Suspend::new(async move {
                                let source = raw.await?.unwrap_or_default();
                                Ok::<_, ApiError>(view! { <pre class="message raw" data-testid="mail-source">{source}</pre> })
                            })}
                        </ErrorBoundary>
                    </Transition>
                }.into_any(),
            }}
        </section>
    }
}
