//! The server part of a mail account form (host, port, security and its two opt-ins),
//! shared by incoming (IMAP) and outgoing (SMTP) accounts.

use leptos::prelude::*;
use talentpost_shared::MailSecurity;

use crate::components::labels;
use crate::i18n::*;

/// The usual ports of a protocol: with implicit TLS and with STARTTLS or none.
#[derive(Clone, Copy)]
pub struct UsualPorts {
    pub tls: &'static str,
    pub plain: &'static str,
}

pub const IMAP_PORTS: UsualPorts = UsualPorts {
    tls: "993",
    plain: "143",
};
pub const SMTP_PORTS: UsualPorts = UsualPorts {
    tls: "465",
    plain: "587",
};

#[component]
pub fn ConnectionFields(
    host: RwSignal<String>,
    port: RwSignal<String>,
    security: RwSignal<MailSecurity>,
    allow_plaintext: RwSignal<bool>,
    accept_invalid: RwSignal<bool>,
    ports: UsualPorts,
    host_placeholder: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let on_security = move |ev| {
        let chosen = MailSecurity::parse(&event_target_value(&ev)).unwrap_or(MailSecurity::Tls);
        security.set(chosen);
        // Follow the usual port unless the admin typed another one.
        let current = port.get_untracked();
        if current == ports.tls || current == ports.plain || current.is_empty() {
            port.set(if chosen == MailSecurity::Tls {
                ports.tls.into()
            } else {
                ports.plain.into()
            });
        }
    };
    view! {
        <div class="row">
            <label class="grow">{t!(i18n, account_host)}
                <input name="host" required placeholder=host_placeholder prop:value=host on:input=move |ev| host.set(event_target_value(&ev))/></label>
            <label>{t!(i18n, account_port)}
                <input name="port" inputmode="numeric" size="6" prop:value=port on:input=move |ev| port.set(event_target_value(&ev))/></label>
            <label>{t!(i18n, account_security)}
                <select name="security" on:change=on_security prop:value=move || security.get().as_str()>
                    {[MailSecurity::Tls, MailSecurity::Starttls, MailSecurity::Unencrypted].into_iter().map(|option| view! {
                        <option value=option.as_str()>{move || labels::mail_security(i18n, option)}</option>
                    }).collect_view()}
                </select></label>
        </div>
        <Show when=move || security.get() == MailSecurity::Unencrypted>
            <label class="check warning"><input type="checkbox" name="allowPlaintext" prop:checked=allow_plaintext
                on:change=move |ev| allow_plaintext.set(event_target_checked(&ev))/><span>{t!(i18n, account_allow_plaintext)}</span></label>
        </Show>
        <Show when=move || security.get() != MailSecurity::Unencrypted>
            <label class="check"><input type="checkbox" name="acceptInvalidCerts" prop:checked=accept_invalid
                on:change=move |ev| accept_invalid.set(event_target_checked(&ev))/><span>{t!(i18n, account_accept_invalid)}</span></label>
            <Show when=move || accept_invalid.get()>
                <p class="notice warning">{t!(i18n, account_accept_invalid_warning)}</p>
            </Show>
        </Show>
    }
}
