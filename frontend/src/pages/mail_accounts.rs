//! Settings → mail accounts: the mailboxes Talentpost watches for applications, with
//! their live sync status, and each company's intake address for redirected mail.

use std::collections::BTreeSet;

use leptos::prelude::*;
use talentpost_shared::{InboundAuthMethod, InboundProtocol, InboundStatus, MailSecurity, OauthProvider, OauthPurpose};

use crate::api::generated as gql;
use crate::api::live::LiveInbox;
use crate::api::reads::{LegalEntity, UserGroup, legal_entities, user_groups};
use crate::api::{self, ApiError};
use crate::app::Session;
use crate::components::labels;
use crate::components::mail_connection::{ConnectionFields, IMAP_PORTS};
use crate::components::oauth::{ConnectButton, OauthClient, OauthClientForm, OauthOutcome, OauthState};
use crate::components::selection::SelectCell;
use crate::components::status::{EmptyState, ErrorView, FormError, Loading};
use crate::components::time::Time;
use crate::i18n::*;

type InboundAccount = gql::fragments::InboundAccountFields;
type MailFolder = gql::list_mail_folders::ListMailFoldersListMailFolders;
type ServerProcess = gql::server_processes::ServerProcessesServerProcesses;
/// The form builds the update's input; creating takes the same fields.
type InboundAccountInput = gql::inputs::InboundAccountInput;

async fn inbound_accounts() -> Result<Vec<InboundAccount>, ApiError> {
    Ok(api::run::<gql::InboundAccounts>(gql::inbound_accounts::Variables)
        .await?
        .inbound_accounts)
}

/// Administrators only: the server processes sharing the mailboxes, alive first.
async fn server_processes() -> Result<Vec<ServerProcess>, ApiError> {
    Ok(api::run::<gql::ServerProcesses>(gql::server_processes::Variables)
        .await?
        .server_processes)
}

async fn oauth_clients() -> Result<Vec<OauthClient>, ApiError> {
    Ok(api::run::<gql::OauthClients>(gql::oauth_clients::Variables)
        .await?
        .oauth_clients)
}

async fn oauth_redirect_uri() -> Result<String, ApiError> {
    Ok(api::run::<gql::OauthRedirectUri>(gql::oauth_redirect_uri::Variables)
        .await?
        .oauth_redirect_uri)
}

#[component]
pub fn MailAccountsPage() -> impl IntoView {
    let i18n = use_i18n();
    let live = expect_context::<LiveInbox>();
    let refresh = RwSignal::new(0u32);
    let accounts = LocalResource::new(move || {
        refresh.track();
        live.accounts_version.track();
        inbound_accounts()
    });
    // Only administrators may list the server processes (company admins see this page
    // too); their heartbeats age, so the list is re-read now and then as well.
    let processes = expect_context::<Session>().is_admin().then(|| {
        let tick = RwSignal::new(0u32);
        if let Ok(handle) =
            set_interval_with_handle(move || tick.update(|n| *n += 1), std::time::Duration::from_secs(30))
        {
            on_cleanup(move || handle.clear());
        }
        LocalResource::new(move || {
            tick.track();
            refresh.track();
            live.accounts_version.track();
            server_processes()
        })
    });
    let entities = LocalResource::new(legal_entities);
    let groups = LocalResource::new(user_groups);
    let oauth_clients = LocalResource::new(oauth_clients);
    let redirect_uri = LocalResource::new(oauth_redirect_uri);
    // None: no form open; Some(None): a new account; Some(Some(a)): editing `a`.
    let editing = RwSignal::new(None::<Option<InboundAccount>>);
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let (error, set_error) = signal(None::<ApiError>);
    let (notice, set_notice) = signal(None::<String>);
    let delete = Action::new_local(move |ids: &Vec<String>| {
        let ids = ids.clone();
        async move {
            match api::run::<gql::DeleteInboundAccounts>(gql::delete_inbound_accounts::Variables { ids }).await {
                Ok(_) => {
                    selected.set(BTreeSet::new());
                    set_error.set(None);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let sync = Action::new_local(move |(id, since): &(String, Option<String>)| {
        let (id, since) = (id.clone(), since.clone());
        async move {
            match api::run::<gql::SyncInboundAccount>(gql::sync_inbound_account::Variables { id, since }).await {
                Ok(data) => {
                    let result = data.sync_inbound_account;
                    set_error.set(None);
                    let text = if result.already_running {
                        t_string!(i18n, account_sync_running).to_string()
                    } else {
                        format!(
                            "{} {} · {} {}",
                            result.stored,
                            t_string!(i18n, account_sync_stored),
                            result.already_known,
                            t_string!(i18n, account_sync_known)
                        )
                    };
                    set_notice.set(Some(text));
                }
                Err(e) => {
                    set_notice.set(None);
                    set_error.set(Some(e));
                }
            }
            refresh.update(|n| *n += 1);
        }
    });
    let saved = Callback::new(move |_: ()| {
        editing.set(None);
        refresh.update(|n| *n += 1);
    });
    view! {
        <section class="mail-accounts">
            <div class="toolbar">
                <button class="primary" data-testid="account-new" on:click=move |_| editing.set(Some(None))>{t!(i18n, account_new)}</button>
                <button class="danger" data-testid="account-delete"
                    disabled=move || selected.with(BTreeSet::is_empty) || delete.pending().get()
                    on:click=move |_| {
                        let confirmed = web_sys::window()
                            .and_then(|w| w.confirm_with_message(t_string!(i18n, account_delete_confirm)).ok())
                            .unwrap_or(false);
                        if confirmed { delete.dispatch(selected.get_untracked().into_iter().collect()); }
                    }>
                    {move || { let count = move || selected.with(BTreeSet::len); t!(i18n, inbox_delete_selected, count) }}
                </button>
            </div>
            <OauthOutcome/>
            <FormError error/>
            {move || notice.get().map(|text| view! { <p class="notice" data-testid="sync-result">{text}</p> })}
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let entities: Vec<LegalEntity> = entities.await?;
                        let groups: Vec<UserGroup> = groups.await?;
                        let list: Vec<InboundAccount> = accounts.await?;
                        let entity_names: Vec<(String, String)> = entities.iter().map(|e| (e.id.clone(), e.name.clone())).collect();
                        let intake = entities.clone();
                        let form = move || editing.get().map(|account| view! {
                            <AccountForm account entities=entities.clone() groups=groups.clone() on_saved=saved
                                on_cancel=Callback::new(move |_| editing.set(None))/>
                        });
                        Ok::<_, ApiError>(view! {
                            {form}
                            <AccountTable list entity_names selected editing sync on_changed=Callback::new(move |_| refresh.update(|n| *n += 1))/>
                            <IntakeAddresses entities=intake/>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            {processes.map(|processes| view! {
                <section class="server-processes" aria-labelledby="server-processes-title" data-testid="server-processes">
                    <h2 id="server-processes-title">{t!(i18n, processes_title)}</h2>
                    <p class="muted">{t!(i18n, processes_help)}</p>
                    <Transition fallback=Loading>
                        <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                            {move || Suspend::new(async move {
                                let list: Vec<ServerProcess> = processes.await?;
                                Ok::<_, ApiError>(view! { <ServerProcessTable list/> })
                            })}
                        </ErrorBoundary>
                    </Transition>
                </section>
            })}
            // Apart from the account list, which re-renders on every status change: a
            // registration being typed stays as it is.
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let clients: Vec<OauthClient> = oauth_clients.await?;
                        let redirect_uri: String = redirect_uri.await?;
                        Ok::<_, ApiError>(view! { <OauthClients clients redirect_uri/> })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn AccountTable(
    list: Vec<InboundAccount>,
    entity_names: Vec<(String, String)>,
    selected: RwSignal<BTreeSet<String>>,
    editing: RwSignal<Option<Option<InboundAccount>>>,
    sync: Action<(String, Option<String>), ()>,
    on_changed: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    if list.is_empty() {
        return view! { <EmptyState message=Signal::derive(move || t_string!(i18n, account_empty).to_string())/> }
            .into_any();
    }
    let rows = list
        .into_iter()
        .map(|account| {
            let entity = entity_names.iter().find(|(id, _)| *id == account.legal_entity_id).map(|(_, name)| name.clone()).unwrap_or_default();
            let (id_sync, id_since) = (account.id.clone(), account.id.clone());
            let since = RwSignal::new(String::new());
            let for_edit = account.clone();
            let oauth = (account.auth_method == InboundAuthMethod::Oauth).then(|| {
                let provider = if account.protocol == InboundProtocol::Gmail { OauthProvider::Google } else { OauthProvider::Microsoft };
                let connection = account.oauth.clone();
                view! {
                    <div class="oauth">
                        {connection.clone().map(|connection| view! { <OauthState account=connection on_changed/> })}
                        <ConnectButton provider purpose=OauthPurpose::InboundAccount target_id=account.id.clone() reconnect=connection.is_some()/>
                    </div>
                }
            });
            view! {
                <tr data-testid="account-row" data-label=account.label.clone()>
                    <SelectCell id=account.id.clone() selected/>
                    <td><strong>{account.label.clone()}</strong><br/><span class="muted">{format!("{}@{}:{}", account.username, account.host, account.port)}</span></td>
                    <td>{account.folder.clone()}</td>
                    <td>{entity}</td>
                    <td><AccountStatus account=account.clone()/>{oauth}</td>
                    <td><div class="cell-actions">
                        <button class="link" data-testid="account-edit" on:click=move |_| editing.set(Some(Some(for_edit.clone())))>{t!(i18n, edit)}</button>
                        <button class="link" data-testid="account-sync" disabled=move || sync.pending().get()
                            on:click=move |_| { sync.dispatch((id_sync.clone(), None)); }>{t!(i18n, account_sync_now)}</button>
                        <span class="refetch">
                            <input type="date" aria-label=move || t_string!(i18n, account_refetch_since).to_string()
                                prop:value=since on:input=move |ev| since.set(event_target_value(&ev))/>
                            <button class="link" disabled=move || since.with(String::is_empty) || sync.pending().get()
                                on:click=move |_| { sync.dispatch((id_since.clone(), Some(since.get_untracked()))); }>
                                {t!(i18n, account_refetch_since)}
                            </button>
                        </span>
                    </div></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="list" data-testid="account-list">
            <thead><tr>
                <th class="check"></th>
                <th>{t!(i18n, account_label)}</th>
                <th>{t!(i18n, account_folder)}</th>
                <th>{t!(i18n, opening_legal_entity)}</th>
                <th>{t!(i18n, account_status)}</th>
                <th></th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// Status in words: what the sync does now, its progress, the last success and, on
/// error, the stage and the server's reason.
#[component]
fn AccountStatus(account: InboundAccount) -> impl IntoView {
    let i18n = use_i18n();
    let status = account.status;
    let class = match status {
        InboundStatus::Error => "status error",
        InboundStatus::Idle | InboundStatus::Connected => "status ok",
        InboundStatus::Syncing | InboundStatus::Pending => "status busy",
        InboundStatus::Disabled => "status off",
    };
    let progress = (status == InboundStatus::Syncing && account.sync_total > 0)
        .then(|| format!(" {} / {}", account.sync_done, account.sync_total));
    let problem = account.status_problem.map(|problem| {
        let detail = account.status_detail.clone().unwrap_or_default();
        view! { <div class="problem"><strong>{move || labels::mail_problem(i18n, problem)}</strong>": " {detail}</div> }
    });
    let last = account.last_success_at.clone().map(|at| {
        view! { <div class="muted">{t!(i18n, account_last_success)}" " <Time at=at.clone()/></div> }
    });
    // Which server process holds the mailbox; none while it is off, or for the moment
    // one process hands it over to another.
    let synced_by = match account.synced_by.clone() {
        Some(process) => Some(
            view! {
                <div class="muted synced-by" data-testid="account-synced-by">
                    {t!(i18n, account_synced_by, process = move || process.clone())}
                </div>
            }
            .into_any(),
        ),
        None if account.active => Some(
            view! { <div class="muted" data-testid="account-synced-by">{t!(i18n, account_waiting_for_process)}</div> }
                .into_any(),
        ),
        None => None,
    };
    view! {
        <div class=class data-testid="account-status" data-status=status.as_str()>
            <span>{move || labels::inbound_status(i18n, status)}</span>{progress}
            {problem}
            {last}
            {synced_by}
        </div>
    }
}

/// The server processes on this database: where each runs, since when, when it last
/// reported, whether it still runs and how many mailboxes it syncs.
#[component]
fn ServerProcessTable(list: Vec<ServerProcess>) -> impl IntoView {
    let i18n = use_i18n();
    if list.is_empty() {
        return view! { <EmptyState message=Signal::derive(move || t_string!(i18n, processes_empty).to_string())/> }
            .into_any();
    }
    let rows = list
        .into_iter()
        .map(|process| {
            let alive = process.alive;
            view! {
                <tr data-testid="process-row" data-alive=alive.to_string()>
                    <td>{process.host}</td>
                    <td><code class="process-id">{process.id}</code></td>
                    <td><Time at=process.started_at/></td>
                    <td><Time at=process.last_seen_at relative=true/></td>
                    <td>
                        <div class=if alive { "status ok" } else { "status off" } data-testid="process-status">
                            <span>{move || if alive {
                                t_string!(i18n, processes_alive).to_string()
                            } else {
                                t_string!(i18n, processes_stopped).to_string()
                            }}</span>
                        </div>
                    </td>
                    <td>{process.accounts}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="list" aria-labelledby="server-processes-title" data-testid="process-list">
            <thead><tr>
                <th scope="col">{t!(i18n, processes_host)}</th>
                <th scope="col">{t!(i18n, processes_id)}</th>
                <th scope="col">{t!(i18n, processes_started)}</th>
                <th scope="col">{t!(i18n, processes_last_seen)}</th>
                <th scope="col">{t!(i18n, processes_status)}</th>
                <th scope="col">{t!(i18n, processes_accounts)}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn AccountForm(
    account: Option<InboundAccount>,
    entities: Vec<LegalEntity>,
    groups: Vec<UserGroup>,
    on_saved: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let existing_id = account.as_ref().map(|a| a.id.clone());
    let label = RwSignal::new(account.as_ref().map(|a| a.label.clone()).unwrap_or_default());
    let protocol = RwSignal::new(account.as_ref().map(|a| a.protocol).unwrap_or(InboundProtocol::Imap));
    let host = RwSignal::new(account.as_ref().map(|a| a.host.clone()).unwrap_or_default());
    let port = RwSignal::new(
        account
            .as_ref()
            .map(|a| a.port.to_string())
            .unwrap_or_else(|| "993".to_owned()),
    );
    let security = RwSignal::new(account.as_ref().map(|a| a.security).unwrap_or(MailSecurity::Tls));
    let allow_plaintext = RwSignal::new(account.as_ref().is_some_and(|a| a.allow_plaintext));
    let accept_invalid = RwSignal::new(account.as_ref().is_some_and(|a| a.accept_invalid_certs));
    let username = RwSignal::new(account.as_ref().map(|a| a.username.clone()).unwrap_or_default());
    let auth_method = RwSignal::new(
        account
            .as_ref()
            .map(|a| a.auth_method)
            .unwrap_or(InboundAuthMethod::Password),
    );
    let uses_oauth = move || auth_method.get() == InboundAuthMethod::Oauth && protocol.get() != InboundProtocol::Imap;
    let password = RwSignal::new(String::new());
    let folder = RwSignal::new(
        account
            .as_ref()
            .map(|a| a.folder.clone())
            .unwrap_or_else(|| "INBOX".to_owned()),
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
    let group = RwSignal::new(
        account
            .as_ref()
            .and_then(|a| a.user_group_id.clone())
            .unwrap_or_default(),
    );
    let active = RwSignal::new(account.as_ref().is_none_or(|a| a.active));
    let folders = RwSignal::new(Vec::<MailFolder>::new());
    let (error, set_error) = signal(None::<ApiError>);
    let editing = existing_id.is_some();

    let connection = move || {
        let password = password.get_untracked();
        gql::inputs::MailConnectionInput {
            host: Some(host.get_untracked()),
            port: port.get_untracked().trim().parse::<i32>().ok().map(i64::from),
            security: Some(security.get_untracked()),
            allow_plaintext: Some(allow_plaintext.get_untracked()),
            accept_invalid_certs: Some(accept_invalid.get_untracked()),
            username: Some(username.get_untracked()),
            // Left out when editing with an empty field: the server keeps the stored one.
            password: (!password.is_empty()).then_some(password),
        }
    };
    let id_for_folders = existing_id.clone();
    let fetch_folders = Action::new_local(move |_: &()| {
        let (input, id) = (connection(), id_for_folders.clone());
        async move {
            match api::run::<gql::ListMailFolders>(gql::list_mail_folders::Variables { input, id }).await {
                Ok(data) => {
                    let list = data.list_mail_folders;
                    set_error.set(None);
                    if !list.iter().any(|f| f.name == folder.get_untracked())
                        && let Some(first) = list.iter().find(|f| f.selectable)
                    {
                        folder.set(first.name.clone());
                    }
                    folders.set(list);
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let save = Action::new_local(move |_: &()| {
        let connection = connection();
        let oauth = auth_method.get_untracked() == InboundAuthMethod::Oauth
            && protocol.get_untracked() != InboundProtocol::Imap;
        let group = group.get_untracked();
        let input = InboundAccountInput {
            label: Some(label.get_untracked()),
            protocol: Some(protocol.get_untracked()),
            auth_method: Some(if oauth {
                InboundAuthMethod::Oauth
            } else {
                InboundAuthMethod::Password
            }),
            host: connection.host,
            port: connection.port,
            security: connection.security,
            allow_plaintext: connection.allow_plaintext,
            accept_invalid_certs: connection.accept_invalid_certs,
            // With OAuth the connection names the mailbox; there is no password.
            username: connection.username.filter(|_| !oauth),
            password: connection.password.filter(|_| !oauth),
            folder: Some(folder.get_untracked()),
            legal_entity_id: Some(entity.get_untracked()),
            clear_user_group: group.is_empty(),
            user_group_id: (!group.is_empty()).then_some(group),
            active: Some(active.get_untracked()),
        };
        let id = existing_id.clone();
        async move {
            let result = match id {
                Some(id) => api::run::<gql::UpdateInboundAccount>(gql::update_inbound_account::Variables { id, input })
                    .await
                    .map(drop),
                None => api::run::<gql::CreateInboundAccount>(gql::create_inbound_account::Variables { input })
                    .await
                    .map(drop),
            };
            match result {
                Ok(_) => on_saved.run(()),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    view! {
        <form class="card form account-form" data-testid="account-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
            <h2>{if editing { t!(i18n, account_edit).into_any() } else { t!(i18n, account_new).into_any() }}</h2>
            <label>{t!(i18n, account_label)}
                <input name="label" required prop:value=label on:input=move |ev| label.set(event_target_value(&ev))/></label>
            <label>{t!(i18n, account_protocol)}
                <select name="protocol" on:change=move |ev| {
                    let chosen = InboundProtocol::parse(&event_target_value(&ev)).unwrap_or(InboundProtocol::Imap);
                    protocol.set(chosen);
                    // Microsoft 365 and Gmail mailboxes live on well-known IMAP servers and
                    // sign in with OAuth.
                    let well_known = match chosen {
                        InboundProtocol::Microsoft365 => Some("outlook.office365.com"),
                        InboundProtocol::Gmail => Some("imap.gmail.com"),
                        InboundProtocol::Imap => None,
                    };
                    if let Some(well_known) = well_known
                        && host.with_untracked(|h| h.is_empty() || h == "outlook.office365.com" || h == "imap.gmail.com")
                    {
                        host.set(well_known.to_owned());
                        security.set(MailSecurity::Tls);
                        port.set("993".to_owned());
                        auth_method.set(InboundAuthMethod::Oauth);
                    }
                }
                    prop:value=move || protocol.get().as_str()>
                    <option value="imap">"IMAP"</option>
                    <option value="microsoft365">{t!(i18n, account_protocol_m365)}</option>
                    <option value="gmail">"Gmail / Google Workspace"</option>
                </select></label>
            <Show when=move || protocol.get() != InboundProtocol::Imap>
                <label>{t!(i18n, account_auth_method)}
                    <select name="authMethod" prop:value=move || auth_method.get().as_str()
                        on:change=move |ev| auth_method.set(InboundAuthMethod::parse(&event_target_value(&ev)).unwrap_or(InboundAuthMethod::Password))>
                        <option value="oauth">{t!(i18n, account_auth_oauth)}</option>
                        <option value="password">{t!(i18n, account_auth_password)}</option>
                    </select></label>
                <Show when=uses_oauth>
                    <p class="muted" data-testid="oauth-hint">{t!(i18n, account_oauth_hint)}</p>
                </Show>
            </Show>
            <ConnectionFields host port security allow_plaintext accept_invalid ports=IMAP_PORTS host_placeholder="imap.example.com"/>
            <Show when=move || !uses_oauth()>
            <div class="row">
                <label class="grow">{t!(i18n, account_username)}
                    <input name="username" required autocomplete="off" prop:value=username on:input=move |ev| username.set(event_target_value(&ev))/></label>
                <label class="grow">{t!(i18n, account_password)}
                    <input name="password" type="password" autocomplete="new-password" required=!editing
                        placeholder=move || if editing { t_string!(i18n, account_password_unchanged).to_string() } else { String::new() }
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/></label>
            </div>
            </Show>
            <div class="row">
                <label class="grow">{t!(i18n, account_folder)}
                    {move || if folders.with(Vec::is_empty) {
                        view! { <input name="folder" prop:value=folder on:input=move |ev| folder.set(event_target_value(&ev))/> }.into_any()
                    } else {
                        view! {
                            <select name="folder" on:change=move |ev| folder.set(event_target_value(&ev)) prop:value=move || folder.get()>
                                {folders.get().into_iter().map(|f| view! {
                                    <option value=f.name.clone() disabled=!f.selectable selected=f.name == folder.get_untracked()>{f.name.clone()}</option>
                                }).collect_view()}
                            </select>
                        }.into_any()
                    }}
                </label>
                <button type="button" data-testid="fetch-folders" disabled=move || fetch_folders.pending().get()
                    on:click=move |_| { fetch_folders.dispatch(()); }>{t!(i18n, account_fetch_folders)}</button>
            </div>
            <div class="row">
                <label class="grow">{t!(i18n, opening_legal_entity)}
                    <select name="legalEntity" on:change=move |ev| entity.set(event_target_value(&ev)) prop:value=move || entity.get()>
                        {entities.iter().map(|e| view! { <option value=e.id.clone()>{e.name.clone()}</option> }).collect_view()}
                    </select></label>
                <label class="grow">{t!(i18n, account_group)}
                    <select name="userGroup" on:change=move |ev| group.set(event_target_value(&ev)) prop:value=move || group.get()>
                        <option value="">{t!(i18n, account_group_everyone)}</option>
                        {groups.iter().map(|g| view! { <option value=g.id.clone()>{g.name.clone()}</option> }).collect_view()}
                    </select></label>
            </div>
            <label class="check"><input type="checkbox" name="active" prop:checked=active on:change=move |ev| active.set(event_target_checked(&ev))/>
                <span>{t!(i18n, account_active)}</span></label>
            <FormError error/>
            <div class="actions">
                <button type="submit" class="primary" data-testid="account-save" disabled=move || save.pending().get()>{t!(i18n, save)}</button>
                <button type="button" on:click=move |_| on_cancel.run(())>{t!(i18n, cancel)}</button>
            </div>
        </form>
    }
}

/// The organisation's registrations at Microsoft and Google, which connecting a mailbox
/// needs first.
#[component]
fn OauthClients(clients: Vec<OauthClient>, redirect_uri: String) -> impl IntoView {
    let i18n = use_i18n();
    let forms = [OauthProvider::Microsoft, OauthProvider::Google]
        .into_iter()
        .map(|provider| {
            let current = clients.iter().find(|c| c.provider == provider).cloned();
            view! { <OauthClientForm provider current redirect_uri=redirect_uri.clone()/> }
        })
        .collect_view();
    view! {
        <section class="oauth-clients">
            <h2>{t!(i18n, oauth_clients_title)}</h2>
            <p class="muted">{t!(i18n, oauth_clients_help)}</p>
            {forms}
        </section>
    }
}

/// Where a company's own mail server can redirect application mail instead.
#[component]
fn IntakeAddresses(entities: Vec<LegalEntity>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="intake">
            <h2>{t!(i18n, intake_title)}</h2>
            <p class="muted">{t!(i18n, intake_help)}</p>
            <table class="list" data-testid="intake-list">
                <tbody>{entities.into_iter().map(|e| view! {
                    <tr><td>{e.name}</td><td><code>{e.intake_address}</code></td></tr>
                }).collect_view()}</tbody>
            </table>
        </section>
    }
}
