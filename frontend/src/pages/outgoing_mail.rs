//! Settings → outgoing mail: the SMTP accounts companies send through, with "check
//! connection" and "send test email", and the sender of each company.

use std::collections::BTreeSet;

use leptos::prelude::*;
use talentpost_shared::{MailSecurity, OauthProvider, OauthPurpose, SenderChannel, SenderNameMode};

use crate::api::generated as gql;
use crate::api::reads::{LegalEntity, legal_entities};
use crate::api::{self, ApiError};
use crate::app::Session;
use crate::components::labels;
use crate::components::mail_connection::{ConnectionFields, SMTP_PORTS};
use crate::components::oauth::{ConnectButton, OauthOutcome, OauthState};
use crate::components::selection::SelectCell;
use crate::components::status::{EmptyState, ErrorView, FormError, Loading};
use crate::i18n::*;

type OutboundAccount = gql::fragments::OutboundAccountFields;
type SenderIdentity = gql::fragments::SenderIdentityFields;
type SmtpTestResult = gql::test_outbound_account::TestOutboundAccountTestOutboundAccount;

/// What the account form holds, in the shape of every operation's `OutboundAccountInput`
/// (create, update and test each have their own type).
#[derive(Clone)]
struct OutboundDraft {
    label: String,
    host: String,
    port: Option<i64>,
    security: MailSecurity,
    allow_plaintext: bool,
    accept_invalid_certs: bool,
    username: String,
    password: Option<String>,
    legal_entity_id: String,
    is_system_default: Option<bool>,
    signature_text: String,
    signature_html: String,
}

/// The draft as the create, update and test operations send it.
fn outbound_input(draft: OutboundDraft) -> gql::inputs::OutboundAccountInput {
    gql::inputs::OutboundAccountInput {
        label: Some(draft.label),
        host: Some(draft.host),
        port: draft.port,
        security: Some(draft.security),
        allow_plaintext: Some(draft.allow_plaintext),
        accept_invalid_certs: Some(draft.accept_invalid_certs),
        username: Some(draft.username),
        password: draft.password,
        legal_entity_id: Some(draft.legal_entity_id),
        is_system_default: draft.is_system_default,
        signature_html: Some(draft.signature_html),
        signature_text: Some(draft.signature_text),
    }
}

async fn outbound_accounts() -> Result<Vec<OutboundAccount>, ApiError> {
    Ok(api::run::<gql::OutboundAccounts>(gql::outbound_accounts::Variables)
        .await?
        .outbound_accounts)
}

async fn sender_identity(id: String) -> Result<SenderIdentity, ApiError> {
    Ok(api::run::<gql::SenderIdentity>(gql::sender_identity::Variables { id })
        .await?
        .sender_identity)
}

#[component]
pub fn OutgoingMailPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0u32);
    let accounts = LocalResource::new(move || {
        refresh.track();
        outbound_accounts()
    });
    let entities = LocalResource::new(legal_entities);
    // None: no form open; Some(None): a new account; Some(Some(a)): editing `a`.
    let editing = RwSignal::new(None::<Option<OutboundAccount>>);
    let testing = RwSignal::new(None::<String>);
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let (error, set_error) = signal(None::<ApiError>);
    let delete = Action::new_local(move |ids: &Vec<String>| {
        let ids = ids.clone();
        async move {
            match api::run::<gql::DeleteOutboundAccounts>(gql::delete_outbound_accounts::Variables { ids }).await {
                Ok(_) => {
                    selected.set(BTreeSet::new());
                    set_error.set(None);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let saved = Callback::new(move |_: ()| {
        editing.set(None);
        refresh.update(|n| *n += 1);
    });
    view! {
        <section class="outgoing-mail">
            <div class="toolbar">
                <button class="primary" data-testid="outgoing-new" on:click=move |_| editing.set(Some(None))>{t!(i18n, outgoing_new)}</button>
                <button class="danger" data-testid="outgoing-delete"
                    disabled=move || selected.with(BTreeSet::is_empty) || delete.pending().get()
                    on:click=move |_| {
                        let confirmed = web_sys::window()
                            .and_then(|w| w.confirm_with_message(t_string!(i18n, outgoing_delete_confirm)).ok())
                            .unwrap_or(false);
                        if confirmed { delete.dispatch(selected.get_untracked().into_iter().collect()); }
                    }>
                    {move || { let count = move || selected.with(BTreeSet::len); t!(i18n, inbox_delete_selected, count) }}
                </button>
            </div>
            <OauthOutcome/>
            <FormError error/>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let entities: Vec<LegalEntity> = entities.await?;
                        let list: Vec<OutboundAccount> = accounts.await?;
                        let form_entities = entities.clone();
                        let form = move || editing.get().map(|account| view! {
                            <OutboundForm account entities=form_entities.clone() on_saved=saved
                                on_cancel=Callback::new(move |_| editing.set(None))/>
                        });
                        let sender_accounts = list.clone();
                        Ok::<_, ApiError>(view! {
                            {form}
                            <OutboundTable list entities=entities.clone() selected editing testing/>
                            <SenderSection entities accounts=sender_accounts/>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn OutboundTable(
    list: Vec<OutboundAccount>,
    entities: Vec<LegalEntity>,
    selected: RwSignal<BTreeSet<String>>,
    editing: RwSignal<Option<Option<OutboundAccount>>>,
    testing: RwSignal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    if list.is_empty() {
        return view! { <EmptyState message=Signal::derive(move || t_string!(i18n, outgoing_empty).to_string())/> }
            .into_any();
    }
    let rows = list
        .into_iter()
        .map(|account| {
            let entity = entities.iter().find(|e| e.id == account.legal_entity_id).map(|e| e.name.clone()).unwrap_or_default();
            let (id_test, id_panel) = (account.id.clone(), account.id.clone());
            let for_edit = account.clone();
            let security = account.security;
            let login = account.username.clone().map(|user| format!("{user}@")).unwrap_or_default();
            view! {
                <tr data-testid="outgoing-row" data-label=account.label.clone()>
                    <SelectCell id=account.id.clone() selected/>
                    <td>
                        <strong>{account.label.clone()}</strong>
                        {account.is_system_default.then(|| view! { " " <span class="badge">{t!(i18n, outgoing_default_badge)}</span> })}
                        <br/><span class="muted">{format!("{login}{}:{}", account.host, account.port)}</span>
                    </td>
                    <td>{move || labels::mail_security(i18n, security)}</td>
                    <td>{entity}</td>
                    <td><div class="cell-actions">
                        <button class="link" data-testid="outgoing-edit" on:click=move |_| editing.set(Some(Some(for_edit.clone())))>{t!(i18n, edit)}</button>
                        <button class="link" data-testid="outgoing-test" on:click=move |_| {
                            let id = id_test.clone();
                            testing.update(|open| *open = if open.as_deref() == Some(id.as_str()) { None } else { Some(id) });
                        }>{t!(i18n, outgoing_test)}</button>
                    </div></td>
                </tr>
                <Show when=move || testing.get().as_deref() == Some(id_panel.as_str())>
                    <tr class="detail-row"><td colspan="5">
                        <TestPanel account_id=Some(account.id.clone()) input=Signal::derive(|| None) allow_send=true/>
                    </td></tr>
                </Show>
            }
        })
        .collect_view();
    view! {
        <table class="list" data-testid="outgoing-list">
            <thead><tr>
                <th class="check"></th>
                <th>{t!(i18n, account_label)}</th>
                <th>{t!(i18n, account_security)}</th>
                <th>{t!(i18n, opening_legal_entity)}</th>
                <th></th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// "Check connection" and "send test email", with every passed stage and, on failure,
/// the stage and the server's words. A failed test never blocks saving.
#[component]
fn TestPanel(account_id: Option<String>, input: Signal<Option<OutboundDraft>>, allow_send: bool) -> impl IntoView {
    let i18n = use_i18n();
    let to = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let result = RwSignal::new(None::<SmtpTestResult>);
    let (error, set_error) = signal(None::<ApiError>);
    let run = Action::new_local(move |send: &bool| {
        let (id, input, send) = (account_id.clone(), input.get_untracked(), *send);
        let (to, from) = (to.get_untracked(), from.get_untracked());
        let variables = gql::test_outbound_account::Variables {
            id,
            input: input.map(outbound_input),
            to,
            from: (!from.trim().is_empty()).then_some(from),
            send: Some(send),
        };
        async move {
            match api::run::<gql::TestOutboundAccount>(variables).await {
                Ok(data) => {
                    set_error.set(None);
                    result.set(Some(data.test_outbound_account));
                }
                Err(e) => {
                    result.set(None);
                    set_error.set(Some(e));
                }
            }
        }
    });
    view! {
        <div class="test-panel" data-testid="smtp-test">
            <div class="row">
                <label class="grow">{t!(i18n, outgoing_test_to)}
                    <input name="testTo" type="email" prop:value=to on:input=move |ev| to.set(event_target_value(&ev))/></label>
                <label class="grow">{t!(i18n, outgoing_test_from)}
                    <input name="testFrom" type="email" prop:value=from on:input=move |ev| from.set(event_target_value(&ev))/></label>
            </div>
            <div class="actions">
                <button type="button" data-testid="smtp-check" disabled=move || run.pending().get()
                    on:click=move |_| { run.dispatch(false); }>{t!(i18n, outgoing_check)}</button>
                <Show when=move || allow_send>
                    <button type="button" data-testid="smtp-send-test" disabled=move || run.pending().get()
                        on:click=move |_| { run.dispatch(true); }>{t!(i18n, outgoing_send_test)}</button>
                </Show>
            </div>
            <FormError error/>
            {move || result.get().map(|outcome| view! { <TestOutcome outcome/> })}
        </div>
    }
}

#[component]
fn TestOutcome(outcome: SmtpTestResult) -> impl IntoView {
    let i18n = use_i18n();
    let steps = outcome
        .steps
        .iter()
        .map(|step| view! { <li class="ok"><span class="stage">{step.stage.clone()}</span>" " {step.detail.clone()}</li> })
        .collect_view();
    let failure = outcome.problem.map(|problem| {
        let message = outcome.message.clone().unwrap_or_default();
        view! {
            <li class="error" data-testid="smtp-failure" data-problem=problem.as_str()>
                <strong>{move || labels::mail_problem(i18n, problem)}</strong>": " {message}
            </li>
        }
    });
    let sent = outcome.test_message.as_ref().map(|message| {
        let status = message.status;
        view! {
            <li class="ok" data-testid="smtp-test-mail" data-status=status.as_str()>
                {move || labels::outbox_status(i18n, status)}" · " {message.last_reply.clone().unwrap_or_default()}
            </li>
        }
    });
    view! {
        <div class=if outcome.ok { "test-outcome ok" } else { "test-outcome error" } data-testid="smtp-outcome" data-ok=outcome.ok.to_string()>
            {outcome.ok.then(|| view! {
                <p>{if outcome.test_message.is_some() { t!(i18n, outgoing_test_sent).into_any() } else { t!(i18n, outgoing_test_ok).into_any() }}</p>
            })}
            <ul class="steps">{steps}{failure}{sent}</ul>
        </div>
    }
}

#[component]
fn OutboundForm(
    account: Option<OutboundAccount>,
    entities: Vec<LegalEntity>,
    on_saved: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let session = expect_context::<Session>();
    let existing_id = account.as_ref().map(|a| a.id.clone());
    let label = RwSignal::new(account.as_ref().map(|a| a.label.clone()).unwrap_or_default());
    let host = RwSignal::new(account.as_ref().map(|a| a.host.clone()).unwrap_or_default());
    let port = RwSignal::new(
        account
            .as_ref()
            .map(|a| a.port.to_string())
            .unwrap_or_else(|| "465".to_owned()),
    );
    let security = RwSignal::new(account.as_ref().map(|a| a.security).unwrap_or(MailSecurity::Tls));
    let allow_plaintext = RwSignal::new(account.as_ref().is_some_and(|a| a.allow_plaintext));
    let accept_invalid = RwSignal::new(account.as_ref().is_some_and(|a| a.accept_invalid_certs));
    let username = RwSignal::new(account.as_ref().and_then(|a| a.username.clone()).unwrap_or_default());
    let password = RwSignal::new(String::new());
    let signature_text = RwSignal::new(
        account
            .as_ref()
            .and_then(|a| a.signature_text.clone())
            .unwrap_or_default(),
    );
    let signature_html = RwSignal::new(
        account
            .as_ref()
            .and_then(|a| a.signature_html.clone())
            .unwrap_or_default(),
    );
    let main_entity = entities
        .iter()
        .find(|e| e.is_main)
        .or(entities.first())
        .map(|e| e.id.clone())
        .unwrap_or_default();
    let entity = RwSignal::new(
        account
            .as_ref()
            .map(|a| a.legal_entity_id.clone())
            .unwrap_or(main_entity),
    );
    let is_default = RwSignal::new(account.as_ref().is_some_and(|a| a.is_system_default));
    let (error, set_error) = signal(None::<ApiError>);
    let editing = existing_id.is_some();
    let admin = session.is_admin();

    let input = move || {
        let password = password.get();
        OutboundDraft {
            label: label.get(),
            host: host.get(),
            port: port.get().trim().parse::<i32>().ok().map(i64::from),
            security: security.get(),
            allow_plaintext: allow_plaintext.get(),
            accept_invalid_certs: accept_invalid.get(),
            username: username.get(),
            // Left out when editing with an empty field: the server keeps the stored one.
            password: (!password.is_empty()).then_some(password),
            legal_entity_id: entity.get(),
            is_system_default: None,
            signature_text: signature_text.get(),
            signature_html: signature_html.get(),
        }
    };
    let save = Action::new_local(move |_: &()| {
        let mut body = input();
        if admin {
            body.is_system_default = Some(is_default.get_untracked());
        }
        let id = existing_id.clone();
        async move {
            let result = match id {
                Some(id) => {
                    let input = outbound_input(body);
                    api::run::<gql::UpdateOutboundAccount>(gql::update_outbound_account::Variables { id, input })
                        .await
                        .map(drop)
                }
                None => {
                    let input = outbound_input(body);
                    api::run::<gql::CreateOutboundAccount>(gql::create_outbound_account::Variables { input })
                        .await
                        .map(drop)
                }
            };
            match result {
                Ok(_) => on_saved.run(()),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let test_input = Signal::derive(move || Some(input()));
    let test_id = account.as_ref().map(|a| a.id.clone());
    view! {
        <form class="card form account-form" data-testid="outgoing-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
            <h2>{if editing { t!(i18n, outgoing_edit).into_any() } else { t!(i18n, outgoing_new).into_any() }}</h2>
            <label>{t!(i18n, account_label)}
                <input name="label" required prop:value=label on:input=move |ev| label.set(event_target_value(&ev))/></label>
            <ConnectionFields host port security allow_plaintext accept_invalid ports=SMTP_PORTS host_placeholder="smtp.example.com"/>
            <div class="row">
                <label class="grow">{t!(i18n, account_username)}
                    <input name="username" autocomplete="off" prop:value=username on:input=move |ev| username.set(event_target_value(&ev))/>
                    <span class="muted">{t!(i18n, outgoing_username_hint)}</span></label>
                <label class="grow">{t!(i18n, account_password)}
                    <input name="password" type="password" autocomplete="new-password"
                        placeholder=move || if editing { t_string!(i18n, account_password_unchanged).to_string() } else { String::new() }
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/></label>
            </div>
            <div class="row">
                <label class="grow">{t!(i18n, opening_legal_entity)}
                    <select name="legalEntity" on:change=move |ev| entity.set(event_target_value(&ev)) prop:value=move || entity.get()>
                        {entities.iter().map(|e| view! { <option value=e.id.clone()>{e.name.clone()}</option> }).collect_view()}
                    </select></label>
                <Show when=move || admin>
                    <label class="check"><input type="checkbox" name="isSystemDefault" prop:checked=is_default
                        on:change=move |ev| is_default.set(event_target_checked(&ev))/><span>{t!(i18n, outgoing_default)}</span></label>
                </Show>
            </div>
            <label>{t!(i18n, outgoing_signature_text)}
                <textarea name="signatureText" rows="3" prop:value=signature_text on:input=move |ev| signature_text.set(event_target_value(&ev))></textarea></label>
            <label>{t!(i18n, outgoing_signature_html)}
                <textarea name="signatureHtml" rows="3" prop:value=signature_html on:input=move |ev| signature_html.set(event_target_value(&ev))></textarea></label>
            <FormError error/>
            <TestPanel account_id=test_id input=test_input allow_send=false/>
            <div class="actions">
                <button type="submit" class="primary" data-testid="outgoing-save" disabled=move || save.pending().get()>{t!(i18n, save)}</button>
                <button type="button" on:click=move |_| on_cancel.run(())>{t!(i18n, cancel)}</button>
            </div>
        </form>
    }
}

/// The sender of every company: own or inherited, with a form to change it.
#[component]
fn SenderSection(entities: Vec<LegalEntity>, accounts: Vec<OutboundAccount>) -> impl IntoView {
    let i18n = use_i18n();
    let rows = entities
        .into_iter()
        .map(|entity| view! { <SenderRow entity accounts=accounts.clone()/> })
        .collect_view();
    view! {
        <section class="senders">
            <h2>{t!(i18n, sender_title)}</h2>
            <p class="muted">{t!(i18n, sender_help)}</p>
            <table class="list" data-testid="sender-list"><tbody>{rows}</tbody></table>
        </section>
    }
}

#[component]
fn SenderRow(entity: LegalEntity, accounts: Vec<OutboundAccount>) -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0u32);
    let entity_id = entity.id.clone();
    let identity = LocalResource::new(move || {
        refresh.track();
        sender_identity(entity_id.clone())
    });
    let editing = RwSignal::new(false);
    let is_main = entity.is_main;
    let id_for_form = entity.id.clone();
    let entity_for_connect = entity.id.clone();
    view! {
        <tr data-testid="sender-row" data-entity=entity.name.clone()>
            <td>{entity.name.clone()}</td>
            <td>
                <Transition fallback=Loading>
                    <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                        {move || {
                            let accounts = accounts.clone();
                            let id_for_form = id_for_form.clone();
                            let entity_for_connect = entity_for_connect.clone();
                            Suspend::new(async move {
                                let current: SenderIdentity = identity.await?;
                                let summary = sender_summary(i18n, &current, &accounts);
                                // The connected mailbox this entity sends through, if any.
                                let connection = current
                                    .outbound_account
                                    .as_ref()
                                    .filter(|_| !current.inherited)
                                    .and_then(|through| accounts.iter().find(|a| a.id == through.id))
                                    .and_then(|account| account.oauth.clone());
                                let connect_entity = entity_for_connect.clone();
                                let reconnect_provider = connection.as_ref().map(|c| c.provider);
                                let connect = move || [OauthProvider::Microsoft, OauthProvider::Google].into_iter().map(|provider| view! {
                                    <ConnectButton provider purpose=OauthPurpose::SenderIdentity target_id=connect_entity.clone()
                                        reconnect=reconnect_provider == Some(provider)/>
                                }).collect_view();
                                let inherited = current.inherited;
                                let form_accounts = accounts.clone();
                                let form_current = current.clone();
                                Ok::<_, ApiError>(view! {
                                    <div data-testid="sender-summary">{summary}
                                        {inherited.then(|| view! { " " <span class="muted">"(" {t!(i18n, sender_inherited)} ")"</span> })}
                                        " " <button class="link" data-testid="sender-edit" on:click=move |_| editing.update(|open| *open = !*open)>{t!(i18n, edit)}</button>
                                    </div>
                                    {connection.map(|connection| view! {
                                        <OauthState account=connection on_changed=Callback::new(move |_| refresh.update(|n| *n += 1))/>
                                    })}
                                    <div class="oauth" data-testid="sender-connect">{t!(i18n, sender_connect_mailbox)} " " {connect}</div>
                                    <Show when=move || editing.get()>
                                        <SenderForm entity_id=id_for_form.clone() is_main current=form_current.clone() accounts=form_accounts.clone()
                                            on_saved=Callback::new(move |_| { editing.set(false); refresh.update(|n| *n += 1); })/>
                                    </Show>
                                })
                            })
                        }}
                    </ErrorBoundary>
                </Transition>
            </td>
        </tr>
    }
}

fn sender_summary(
    i18n: leptos_i18n::I18nContext<Locale>,
    identity: &SenderIdentity,
    accounts: &[OutboundAccount],
) -> String {
    let through = match (&identity.outbound_account, identity.uses_builtin_channel) {
        (Some(account), _) => accounts
            .iter()
            .find(|a| a.id == account.id)
            .map(|a| a.label.clone())
            .unwrap_or_default(),
        (None, _) => t_string!(i18n, sender_builtin).to_string(),
    };
    format!(
        "{} · {} · {} ({through})",
        identity.sender_address,
        labels::sender_name_mode(i18n, identity.sender_name_mode),
        labels::sender_channel(i18n, identity.channel)
    )
}

#[component]
fn SenderForm(
    entity_id: String,
    is_main: bool,
    current: SenderIdentity,
    accounts: Vec<OutboundAccount>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let address = RwSignal::new(current.sender_address.clone());
    let name_mode = RwSignal::new(current.sender_name_mode);
    let name = RwSignal::new(current.sender_name.clone().unwrap_or_default());
    let channel = RwSignal::new(current.channel);
    let first_account = accounts.first().map(|a| a.id.clone()).unwrap_or_default();
    let account = RwSignal::new(
        current
            .outbound_account
            .as_ref()
            .map(|a| a.id.clone())
            .unwrap_or(first_account),
    );
    let reply_addresses = RwSignal::new(current.thread_reply_addresses || current.inherited);
    let (error, set_error) = signal(None::<ApiError>);
    let save = Action::new_local(move |use_main: &bool| {
        let input = if *use_main {
            gql::inputs::SenderIdentityInput {
                sender_address: None,
                sender_name_mode: None,
                sender_name: None,
                channel: None,
                outbound_account_id: None,
                thread_reply_addresses: None,
                use_main_entity: Some(true),
            }
        } else {
            gql::inputs::SenderIdentityInput {
                sender_address: Some(address.get_untracked()),
                sender_name_mode: Some(name_mode.get_untracked()),
                sender_name: Some(name.get_untracked()),
                channel: Some(channel.get_untracked()),
                outbound_account_id: (channel.get_untracked() == SenderChannel::Account)
                    .then(|| account.get_untracked()),
                thread_reply_addresses: Some(reply_addresses.get_untracked()),
                use_main_entity: None,
            }
        };
        let id = entity_id.clone();
        async move {
            match api::run::<gql::SetSenderIdentity>(gql::set_sender_identity::Variables { id, input }).await {
                Ok(_) => on_saved.run(()),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    view! {
        <form class="card form" data-testid="sender-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(false); }>
            <label>{t!(i18n, sender_address)}
                <input name="senderAddress" type="email" required prop:value=address on:input=move |ev| address.set(event_target_value(&ev))/></label>
            <div class="row">
                <label class="grow">{t!(i18n, sender_name_mode)}
                    <select name="senderNameMode" prop:value=move || name_mode.get().as_str()
                        on:change=move |ev| if let Some(mode) = SenderNameMode::parse(&event_target_value(&ev)) { name_mode.set(mode) }>
                        {SenderNameMode::ALL.iter().map(|mode| {
                            let mode = *mode;
                            view! { <option value=mode.as_str()>{move || labels::sender_name_mode(i18n, mode)}</option> }
                        }).collect_view()}
                    </select></label>
                <Show when=move || name_mode.get() == SenderNameMode::Custom>
                    <label class="grow">{t!(i18n, sender_name)}
                        <input name="senderName" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/></label>
                </Show>
            </div>
            <div class="row">
                <label class="grow">{t!(i18n, sender_channel)}
                    <select name="channel" prop:value=move || channel.get().as_str()
                        on:change=move |ev| if let Some(chosen) = SenderChannel::parse(&event_target_value(&ev)) { channel.set(chosen) }>
                        {[SenderChannel::SystemDefault, SenderChannel::Account].into_iter()
                            .chain(matches!(current.channel, SenderChannel::Google | SenderChannel::Microsoft).then_some(current.channel))
                            .map(|option| view! {
                            <option value=option.as_str()>{move || labels::sender_channel(i18n, option)}</option>
                        }).collect_view()}
                    </select></label>
                <Show when=move || channel.get() == SenderChannel::Account>
                    <label class="grow">{t!(i18n, sender_account)}
                        <select name="outboundAccount" prop:value=move || account.get() on:change=move |ev| account.set(event_target_value(&ev))>
                            {accounts.iter().map(|a| view! { <option value=a.id.clone()>{a.label.clone()}</option> }).collect_view()}
                        </select></label>
                </Show>
            </div>
            <label class="check"><input type="checkbox" name="threadReplyAddresses" prop:checked=reply_addresses
                on:change=move |ev| reply_addresses.set(event_target_checked(&ev))/><span>{t!(i18n, sender_reply_addresses)}</span></label>
            <FormError error/>
            <div class="actions">
                <button type="submit" class="primary" data-testid="sender-save" disabled=move || save.pending().get()>{t!(i18n, save)}</button>
                <Show when=move || !is_main && !current.inherited>
                    <button type="button" data-testid="sender-use-main" on:click=move |_| { save.dispatch(true); }>{t!(i18n, sender_use_main)}</button>
                </Show>
            </div>
        </form>
    }
}
