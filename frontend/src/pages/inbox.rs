use std::collections::BTreeSet;
use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use talentpost_shared::{InboxMedium, InboxState, SuggestionReason};

use crate::api::generated as gql;
use crate::api::live::LiveInbox;
use crate::api::{self, ApiError};
use crate::app::Session;
use crate::components::documents::DocumentList;
use crate::components::labels;
use crate::components::mail_view::{MailView, RawSource};
use crate::components::selection::SelectCell;
use crate::components::status::describe;
use crate::components::status::{EmptyState, ErrorView, FormError, Loading};
use crate::components::time::Time;
use crate::components::toast::{ToastLink, Toasts, Undo, typing};
use crate::i18n::*;

const PAGE_SIZES: [u32; 3] = [25, 50, 100];

/// A row of the inbox (also what an import returns).
type Item = gql::fragments::InboxItemFields;
/// One page of the inbox.
type Page = gql::inbox_items::InboxItemsInboxItems;
/// One item with its message, documents and mail.
type Detail = gql::inbox_item::InboxItemInboxItem;
/// Who an item went to after a take-over or an assignment.
type Assignment = gql::fragments::InboxAssignmentFields;

/// One page of a channel's items in one state, after the cursor `after`.
async fn inbox_items(
    medium: InboxMedium,
    state: InboxState,
    first: u32,
    after: Option<String>,
) -> Result<Page, ApiError> {
    let variables = gql::inbox_items::Variables {
        medium: Some(medium),
        state: Some(state),
        first: Some(i64::from(first)),
        after,
    };
    Ok(api::run::<gql::InboxItems>(variables).await?.inbox_items)
}

fn nodes(page: &Page) -> impl Iterator<Item = &Item> {
    page.edges.iter().map(|edge| &edge.node)
}

fn end_cursor(page: &Page) -> Option<String> {
    page.edges.last().map(|edge| edge.cursor.clone())
}

async fn restore_inbox_items(ids: Vec<String>) -> Result<(), ApiError> {
    api::run::<gql::RestoreInboxItems>(gql::restore_inbox_items::Variables { ids }).await?;
    Ok(())
}

/// The stored mail as text (first MiB), loaded only when the reader asks for it.
async fn raw_source(id: String) -> Result<String, ApiError> {
    let data = api::run::<gql::RawSource>(gql::raw_source::Variables { id }).await?;
    Ok(data.inbox_item.mail.map(|mail| mail.raw_source).unwrap_or_default())
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let i18n = use_i18n();
    let live = expect_context::<LiveInbox>();
    let session = expect_context::<Session>();
    let query = use_query_map();
    let medium = Memo::new(move |_| {
        query
            .read()
            .get("medium")
            .and_then(|m| InboxMedium::parse(&m))
            .unwrap_or(InboxMedium::Email)
    });
    let state = Memo::new(move |_| match query.read().get("state").as_deref() {
        Some("deleted") => InboxState::Deleted,
        Some("automatic") => InboxState::Automatic,
        _ => InboxState::Unassigned,
    });
    let page_size = RwSignal::new(25u32);
    // Cursors of the pages before the current one, kept with the view (tab, state, page
    // size) they belong to: another view starts at its first page.
    let view_key = Memo::new(move |_| (medium.get(), state.get(), page_size.get()));
    let cursors = RwSignal::new((view_key.get_untracked(), vec![None::<String>]));
    let current_after = move || {
        cursors.with(|(key, stack)| {
            if *key == view_key.get() {
                stack.last().cloned().flatten()
            } else {
                None
            }
        })
    };
    let on_first_page = move || cursors.with(|(key, stack)| *key != view_key.get() || stack.len() <= 1);
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let refresh = RwSignal::new(0u32);

    let items = LocalResource::new(move || {
        let (medium, state, first) = view_key.get();
        let after = current_after();
        live.version.track();
        refresh.track();
        inbox_items(medium, state, first, after)
    });
    // Only what is on the screen can stay selected (items vanish when others delete them).
    Effect::new(move |_| {
        if let Some(Ok(page)) = items.get() {
            let visible: BTreeSet<String> = nodes(&page).map(|item| item.id.clone()).collect();
            selected.update(|s| s.retain(|id| visible.contains(id)));
        }
    });

    let (action_error, set_action_error) = signal(None::<ApiError>);
    let toasts = expect_context::<Toasts>();
    let bulk = Action::new_local(move |(ids, restore): &(Vec<String>, bool)| {
        let (ids, restore) = (ids.clone(), *restore);
        async move {
            let result = if restore {
                restore_inbox_items(ids.clone()).await
            } else {
                api::run::<gql::DeleteInboxItems>(gql::delete_inbox_items::Variables { ids: ids.clone() })
                    .await
                    .map(|_| ())
            };
            match result {
                Ok(_) => {
                    selected.set(BTreeSet::new());
                    set_action_error.set(None);
                    refresh.update(|n| *n += 1);
                    let count = ids.len().to_string();
                    if restore {
                        toasts.success(t_string!(i18n, toast_restored).to_string().replace("{count}", &count));
                    } else {
                        // The deleter may restore their own deletion; the live inbox shows it again.
                        let undo: Undo = Arc::new(move || {
                            let ids = ids.clone();
                            leptos::task::spawn_local(async move {
                                match restore_inbox_items(ids.clone()).await {
                                    Ok(_) => {
                                        toasts.success(
                                            t_string!(i18n, toast_restored)
                                                .to_string()
                                                .replace("{count}", &ids.len().to_string()),
                                        );
                                        // The list may be gone by now (the user moved on): then there is nothing to refresh.
                                        let _ = refresh.try_update(|n| *n += 1);
                                    }
                                    Err(error) => toasts.error(describe(i18n, &error).0),
                                }
                            });
                        });
                        toasts.with(
                            t_string!(i18n, toast_deleted).to_string().replace("{count}", &count),
                            None,
                            Some(undo),
                        );
                    }
                }
                Err(error) => set_action_error.set(Some(error)),
            }
        }
    });

    let take_over = Action::new_local(move |ids: &Vec<String>| {
        let ids = ids.clone();
        async move {
            let variables = gql::take_over_inbox_items::Variables {
                ids: ids.clone(),
                o: None,
            };
            match api::run::<gql::TakeOverInboxItems>(variables).await {
                Ok(data) => {
                    let done = data.take_over_inbox_items;
                    selected.set(BTreeSet::new());
                    set_action_error.set(None);
                    refresh.update(|n| *n += 1);
                    announce_assignment(i18n, toasts, &done, (ids.len() == 1).then(|| ids[0].clone()));
                }
                Err(error) => set_action_error.set(Some(error)),
            }
        }
    });

    let is_admin = session.is_admin();
    let navigate = use_navigate();
    let import = Action::new_local(move |file: &web_sys::File| {
        let (file, navigate) = (file.clone(), navigate.clone());
        async move {
            let files = [("variables.file".to_owned(), file)];
            match api::run_with_files::<gql::ImportMail>(gql::import_mail::Variables { file: () }, &files).await {
                Ok(data) => {
                    let item: Item = data.import_mail;
                    set_action_error.set(None);
                    navigate(&format!("/inbox/{}", item.id), Default::default());
                }
                Err(error) => set_action_error.set(Some(error)),
            }
        }
    });

    let tabs = move || {
        InboxMedium::ALL
            .iter()
            .map(|m| {
                let m = *m;
                let count = move || live.counts.get().map(|c| c.get(m)).unwrap_or(0);
                let active = move || medium.get() == m && state.get() == InboxState::Unassigned;
                view! {
                    // A plain link: the router's <A> marks every tab "current", as they share the path.
                    <a href=format!("/inbox?medium={}", m.as_str()) class=move || if active() { "tab active" } else { "tab" }
                        aria-current=move || active().then_some("page") data-testid=format!("tab-{}", m.as_str())>
                        {move || labels::medium(i18n, m)}
                        <span class="badge" data-testid=format!("count-{}", m.as_str())>{count}</span>
                    </a>
                }
            })
            .collect_view()
    };

    let is_trash = move || state.get() == InboxState::Deleted;
    // Keyboard: j/k move between rows, Enter opens (rows are links), e takes over,
    // # deletes (with undo), ? shows the shortcuts.
    let help = NodeRef::<leptos::html::Dialog>::new();
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if typing(&ev) {
            return;
        }
        match ev.key().as_str() {
            "j" => move_focus(1),
            "k" => move_focus(-1),
            "e" if state.get_untracked() == InboxState::Unassigned => {
                if let Some(id) = focused_row_id() {
                    take_over.dispatch(vec![id]);
                }
            }
            "#" if state.get_untracked() != InboxState::Deleted => {
                if let Some(id) = focused_row_id() {
                    move_focus(1);
                    bulk.dispatch((vec![id], false));
                }
            }
            "?" => {
                if let Some(dialog) = help.get_untracked() {
                    let _ = dialog.show_modal();
                }
            }
            _ => return,
        }
        ev.prevent_default();
    });
    on_cleanup(move || keys.remove());
    view! {
        <main class="page inbox">
            <ShortcutHelp dialog=help/>
            <div class="page-head">
                <h1>{t!(i18n, inbox_title)}</h1>
                <button class="link" data-testid="shortcuts-open" on:click=move |_| {
                    if let Some(dialog) = help.get_untracked() { let _ = dialog.show_modal(); }
                }>{t!(i18n, shortcuts_hint)}</button>
                <span class=move || if live.connected.get() { "live on" } else { "live off" }>
                    {move || if live.connected.get() { t_string!(i18n, inbox_live).to_string() } else { t_string!(i18n, inbox_offline).to_string() }}
                </span>
            </div>
            <nav class="tabs" aria-label=move || t_string!(i18n, inbox_tabs_label).to_string()>
                {tabs}
                <a href=move || format!("/inbox?medium={}&state=automatic", medium.get().as_str())
                    class=move || if state.get() == InboxState::Automatic { "tab trash active" } else { "tab trash" }
                    aria-current=move || (state.get() == InboxState::Automatic).then_some("page") data-testid="tab-automatic">
                    {t!(i18n, inbox_automatic)}
                </a>
                <a href=move || format!("/inbox?medium={}&state=deleted", medium.get().as_str())
                    class=move || if is_trash() { "tab trash active" } else { "tab trash" }
                    aria-current=move || is_trash().then_some("page") data-testid="tab-deleted">
                    {t!(i18n, inbox_trash)}
                </a>
            </nav>
            <div class="toolbar">
                <Show when=move || !is_trash() || session.is_admin()>
                    <button class="danger" data-testid="bulk-action"
                        disabled=move || selected.with(BTreeSet::is_empty) || bulk.pending().get()
                        on:click=move |_| { bulk.dispatch((selected.get_untracked().into_iter().collect(), is_trash())); }>
                        {move || {
                            let count = move || selected.with(BTreeSet::len);
                            if is_trash() {
                                t!(i18n, inbox_restore_selected, count).into_any()
                            } else {
                                t!(i18n, inbox_delete_selected, count).into_any()
                            }
                        }}
                    </button>
                </Show>
                <Show when=move || state.get() == InboxState::Unassigned>
                    <button class="primary" data-testid="bulk-take-over"
                        disabled=move || selected.with(BTreeSet::is_empty) || take_over.pending().get()
                        on:click=move |_| { take_over.dispatch(selected.get_untracked().into_iter().collect()); }>
                        {move || {
                            let count = move || selected.with(BTreeSet::len);
                            t!(i18n, inbox_take_over_selected, count)
                        }}
                    </button>
                </Show>
                <Show when=move || is_admin && medium.get() == InboxMedium::Email>
                    <label class="button import" data-testid="import-mail">{t!(i18n, inbox_import_mail)}
                        <input type="file" accept=".eml,message/rfc822" class="sr-only" on:change=move |ev| {
                            use wasm_bindgen::JsCast;
                            let file = ev.target()
                                .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
                                .and_then(|input| input.files())
                                .and_then(|files| files.get(0));
                            if let Some(file) = file { import.dispatch_local(file); }
                        }/>
                    </label>
                </Show>
                <label class="page-size">{t!(i18n, page_size)}
                    <select data-testid="page-size" on:change=move |ev| {
                        if let Ok(size) = event_target_value(&ev).parse() { page_size.set(size) }
                    }>
                        {PAGE_SIZES.iter().map(|size| view! { <option value=size.to_string() selected=*size == 25>{*size}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <FormError error=action_error/>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let page = items.await?;
                        Ok::<_, ApiError>(view! { <InboxTable page selected/> })
                    })}
                </ErrorBoundary>
            </Transition>
            <div class="pager">
                <button disabled=on_first_page
                    on:click=move |_| cursors.update(|(_, stack)| { stack.pop(); })>{t!(i18n, previous_page)}</button>
                <button data-testid="next-page"
                    disabled=move || !items.get().and_then(|r| r.ok()).is_some_and(|p| p.page_info.has_next_page)
                    on:click=move |_| {
                        if let Some(Ok(page)) = items.get_untracked() {
                            let key = view_key.get_untracked();
                            cursors.update(|(current, stack)| {
                                if *current != key {
                                    *current = key;
                                    *stack = vec![None];
                                }
                                stack.push(end_cursor(&page));
                            });
                        }
                    }>{t!(i18n, next_page)}</button>
            </div>
        </main>
    }
}

#[component]
fn InboxTable(page: Page, selected: RwSignal<BTreeSet<String>>) -> impl IntoView {
    let i18n = use_i18n();
    if page.edges.is_empty() {
        return view! { <EmptyState message=Signal::derive(move || t_string!(i18n, inbox_empty).to_string())/> }
            .into_any();
    }
    let ids: Vec<String> = nodes(&page).map(|item| item.id.clone()).collect();
    let all_ids = ids.clone();
    let all_selected = move || !all_ids.is_empty() && selected.with(|s| all_ids.iter().all(|id| s.contains(id)));
    let rows = page
        .edges
        .into_iter()
        .map(|edge| view! { <InboxRow item=edge.node selected/> })
        .collect_view();
    view! {
        <table class="list" data-testid="inbox-list">
            <thead>
                <tr>
                    <th class="check">
                        <input type="checkbox" aria-label=move || t_string!(i18n, inbox_select_all).to_string()
                            prop:checked=all_selected
                            on:change=move |ev| {
                                let ids = ids.clone();
                                if event_target_checked(&ev) {
                                    selected.update(|s| s.extend(ids));
                                } else {
                                    selected.update(|s| ids.iter().for_each(|id| { s.remove(id); }));
                                }
                            }/>
                    </th>
                    <th>{t!(i18n, inbox_from)}</th>
                    <th>{t!(i18n, inbox_subject)}</th>
                    <th>{t!(i18n, inbox_received)}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn InboxRow(item: Item, selected: RwSignal<BTreeSet<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let id = item.id.clone();
    let sender = item
        .sender_name
        .clone()
        .or_else(|| item.sender_email.clone())
        .or_else(|| item.sender_phone.clone())
        .unwrap_or_default();
    let subject = item.subject.clone();
    let opening = item.job_opening.as_ref().map(|o| o.title.clone());
    let title = move || {
        if !subject.is_empty() {
            subject.clone()
        } else {
            opening
                .clone()
                .unwrap_or_else(|| t_string!(i18n, inbox_unsolicited).to_string())
        }
    };
    let known = item.matched_candidate.clone().map(|c| c.full_name);
    let href = format!("/inbox/{id}");
    let open = move |_| navigate(&format!("/inbox/{id}"), Default::default());
    view! {
        <tr class="row" data-testid="inbox-row" data-id=item.id.clone()>
            <SelectCell id=item.id.clone() selected/>
            <td on:click=open.clone()>
                <span class="sender">{sender}</span>
                {known.map(|name| view! { <span class="pill known">{t!(i18n, inbox_known_candidate, name = move || name.clone())}</span> })}
            </td>
            <td on:click=open.clone()>
                // The row's link: Tab reaches it, Enter opens the item.
                <a class="subject row-link" href=href data-id=item.id.clone() on:click=|ev| ev.stop_propagation()>{title}</a>
                <span class="preview">{item.preview.clone().unwrap_or_default()}</span>
            </td>
            <td on:click=open class="when"><Time at=item.received_at.clone() relative=true/></td>
        </tr>
    }
}

#[component]
pub fn InboxItemPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let item = LocalResource::new(move || {
        let id = params.read().get("id").unwrap_or_default();
        async move {
            let data = api::run::<gql::InboxItem>(gql::inbox_item::Variables { id }).await?;
            Ok::<Detail, ApiError>(data.inbox_item)
        }
    });
    // j/k move to the next or previous item of the list this one is in (its channel
    // and state), in the inbox's order; e does what the primary button says. One
    // listener for the page: the take-over panel is rebuilt with every item.
    let navigate = use_navigate();
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "e" && !typing(&ev) {
            let shown = params.read_untracked().get("id").unwrap_or_default();
            press_primary_action(&ev, &shown);
            return;
        }
        let step: isize = match ev.key().as_str() {
            "j" => 1,
            "k" => -1,
            _ => return,
        };
        let Some(Ok(current)) = item.get_untracked() else {
            return;
        };
        let current = current.inbox_item_fields;
        if typing(&ev) {
            return;
        }
        ev.prevent_default();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let Ok(page) = inbox_items(current.medium, current.state, 100, None).await else {
                return;
            };
            let ids: Vec<String> = nodes(&page).map(|listed| listed.id.clone()).collect();
            let neighbour = ids
                .iter()
                .position(|id| *id == current.id)
                .and_then(|position| position.checked_add_signed(step))
                .and_then(|target| ids.get(target));
            if let Some(id) = neighbour {
                navigate(&format!("/inbox/{id}"), Default::default());
            }
        });
    });
    on_cleanup(move || keys.remove());
    let back = move || match item.get() {
        Some(Ok(current)) => format!("/inbox?medium={}", current.inbox_item_fields.medium.as_str()),
        _ => "/inbox".to_owned(),
    };
    view! {
        <main class="page">
            <A href=back attr:class="back">{t!(i18n, inbox_back)}</A>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let item = item.await?;
                        Ok::<_, ApiError>(view! { <InboxItemView item/> })
                    })}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

#[component]
fn InboxItemView(item: Detail) -> impl IntoView {
    let i18n = use_i18n();
    let Detail {
        inbox_item_fields: item,
        message,
        legal_entity,
        documents,
        mail,
    } = item;
    let medium = item.medium;
    let title = if item.subject.is_empty() {
        item.job_opening.as_ref().map(|o| o.title.clone())
    } else {
        Some(item.subject.clone())
    };
    let unassigned = item.state == InboxState::Unassigned;
    let item_id = item.id.clone();
    view! {
        {item.candidate.clone().map(|c| view! {
            <p class="notice" data-testid="assigned-to">{t!(i18n, inbox_assigned_to)}" "
                <A href=format!("/candidates/{}", c.id)>{c.full_name}</A></p>
        })}
        // The message first, the take-over panel beside it (below it on phones).
        <div class="item-layout">
        <article class="card item" data-testid="inbox-item">
            <header>
                <span class="pill">{move || labels::medium(i18n, medium)}</span>
                <h1>{move || title.clone().unwrap_or_else(|| t_string!(i18n, inbox_unsolicited).to_string())}</h1>
            </header>
            <dl class="facts">
                // A mail shows its own From with the other headers below.
                {mail.is_none().then(|| view! {
                    <dt>{t!(i18n, inbox_from)}</dt>
                    <dd>{item.sender_name.clone().unwrap_or_default()} " " {item.sender_email.clone().map(|e| format!("<{e}>")).unwrap_or_default()}</dd>
                })}
                {item.sender_phone.clone().map(|p| view! { <dt>{t!(i18n, inbox_phone)}</dt><dd>{p}</dd> })}
                <dt>{t!(i18n, inbox_received)}</dt>
                <dd><Time at=item.received_at.clone()/></dd>
                {legal_entity.clone().map(|e| view! { <dt>{t!(i18n, inbox_legal_entity)}</dt><dd>{e.name}</dd> })}
                {item.job_opening.clone().map(|o| view! { <dt>{t!(i18n, inbox_job_opening)}</dt><dd>{o.title}</dd> })}
                {item.matched_candidate.clone().map(|c| view! {
                    <dt>{t!(i18n, nav_candidates)}</dt>
                    <dd><A href=format!("/candidates/{}", c.id)>{c.full_name}</A></dd>
                })}
            </dl>
            {match mail.clone() {
                Some(mail) => {
                    let item_id = item.id.clone();
                    let wanted = RwSignal::new(false);
                    let text = LocalResource::new(move || {
                        let (item_id, wanted) = (item_id.clone(), wanted.get());
                        async move { if wanted { raw_source(item_id).await.map(Some) } else { Ok(None) } }
                    });
                    view! { <MailView mail raw_source=RawSource { wanted, text }/> }.into_any()
                }
                None => view! {
                    <section>
                        <h2>{t!(i18n, inbox_message)}</h2>
                        <pre class="message">{message.clone().or(item.preview.clone()).unwrap_or_default()}</pre>
                    </section>
                }.into_any(),
            }}
            <section>
                <h2>{t!(i18n, inbox_documents)}</h2>
                <DocumentList documents/>
            </section>
        </article>
        {unassigned.then(|| view! { <TakeOverPanel item_id=item_id.clone() medium/> })}
        </div>
    }
}

/// Turning the item into a candidate: a new one (one click), or one of the suggested
/// or searched known candidates.
#[component]
fn TakeOverPanel(item_id: String, medium: InboxMedium) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let toasts = expect_context::<Toasts>();
    let (error, set_error) = signal(None::<ApiError>);
    let opening = RwSignal::new(String::new());
    let openings = LocalResource::new(api::reads::job_opening_choices);
    let id_for_suggestions = item_id.clone();
    let suggestions = LocalResource::new(move || {
        let id = id_for_suggestions.clone();
        async move {
            let data = api::run::<gql::CandidateSuggestions>(gql::candidate_suggestions::Variables { id }).await?;
            Ok::<_, ApiError>(data.candidate_suggestions)
        }
    });
    let search = RwSignal::new(String::new());
    let found = LocalResource::new(move || api::reads::search_candidates(search.get(), 10));
    // Corrections of the names, for items that do not state them (an SMS, "jobs@…").
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    // Done with this item: on to the next unassigned one of the same channel, with a
    // toast that leads to the candidate.
    let current = item_id.clone();
    let next_item = move |done: Assignment, taken_over: bool| {
        let (navigate, current) = (navigate.clone(), current.clone());
        async move {
            announce_assignment(
                i18n,
                toasts,
                std::slice::from_ref(&done),
                taken_over.then(|| current.clone()),
            );
            let next = inbox_items(medium, InboxState::Unassigned, 2, None)
                .await
                .ok()
                .and_then(|page| nodes(&page).map(|item| item.id.clone()).find(|id| *id != current));
            match next {
                Some(id) => navigate(&format!("/inbox/{id}"), Default::default()),
                None => navigate(&format!("/inbox?medium={}", medium.as_str()), Default::default()),
            }
        }
    };
    let (id_take, open_take) = (item_id.clone(), next_item.clone());
    let panel_item = item_id.clone();

    let take = Action::new_local(move |_: &()| {
        let (id, open) = (id_take.clone(), open_take.clone());
        let given = |value: RwSignal<String>| Some(value.get_untracked().trim().to_owned()).filter(|v| !v.is_empty());
        // Empty means "as the item says".
        let input = gql::inputs::TakeOverInput {
            job_opening_id: given(opening),
            first_name: given(first_name),
            last_name: given(last_name),
            email: None,
            phone: None,
        };
        async move {
            let variables = gql::take_over_inbox_item::Variables { id, input: Some(input) };
            match api::run::<gql::TakeOverInboxItem>(variables).await {
                Ok(data) => open(data.take_over_inbox_item, true).await,
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let assign = Action::new_local(move |candidate_id: &String| {
        let (id, candidate_id, open) = (item_id.clone(), candidate_id.clone(), next_item.clone());
        async move {
            let variables = gql::assign_inbox_item::Variables { id, c: candidate_id };
            match api::run::<gql::AssignInboxItem>(variables).await {
                Ok(data) => open(data.assign_inbox_item, false).await,
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let candidate_row = move |c: gql::fragments::CandidateFields, reasons: Option<String>| {
        let id = c.id.clone();
        view! {
            <li data-testid="suggestion">
                <A href=format!("/candidates/{}", c.id)>{format!("{} {}", c.first_name, c.last_name)}</A>
                <span class="muted">{format!(" {} {}", c.emails.join(", "), c.phone.clone().unwrap_or_default())}</span>
                {reasons.map(|r| view! { " " <span class="pill">{r}</span> })}
                " " <button data-testid="assign" on:click=move |_| { assign.dispatch(id.clone()); }>{t!(i18n, inbox_assign)}</button>
            </li>
        }
    };
    view! {
        <section class="card takeover" data-testid="take-over" data-item-id=panel_item>
            <h2>{t!(i18n, inbox_take_over_title)}</h2>
            <div class="actions">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let openings = openings.await.unwrap_or_default();
                        view! {
                            <label>{t!(i18n, inbox_job_opening)}
                                <select data-testid="take-over-opening" on:change=move |ev| opening.set(event_target_value(&ev))>
                                    <option value="">{t!(i18n, inbox_opening_as_received)}</option>
                                    {openings.into_iter().map(|o| view! { <option value=o.id.clone()>{o.title.clone()}</option> }).collect_view()}
                                </select>
                            </label>
                        }
                    })}
                </Transition>
                <label>{t!(i18n, candidate_first_name)}
                    <input name="firstName" placeholder=move || t_string!(i18n, inbox_name_from_item).to_string()
                        on:input=move |ev| first_name.set(event_target_value(&ev))/></label>
                <label>{t!(i18n, candidate_last_name)}
                    <input name="lastName" placeholder=move || t_string!(i18n, inbox_name_from_item).to_string()
                        on:input=move |ev| last_name.set(event_target_value(&ev))/></label>
            </div>
            // The primary action: assign to the candidate with the sender's address, if
            // there is one; a new candidate only as the second choice.
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = suggestions.await.unwrap_or_default();
                    let by_address = list.iter().find(|s| s.reasons.contains(&SuggestionReason::Email)).map(|s| s.candidate.clone());
                    let similar = by_address.is_none() && !list.is_empty();
                    match by_address {
                        Some(known) => {
                            let name = format!("{} {}", known.first_name, known.last_name);
                            let id = known.id.clone();
                            view! {
                                <div class="actions">
                                    <button class="primary" data-testid="primary-action" disabled=move || assign.pending().get()
                                        on:click=move |_| { assign.dispatch(id.clone()); }>
                                        {t_string!(i18n, inbox_assign_to).to_string().replace("{name}", &name)}
                                    </button>
                                    <button data-testid="take-over-button" disabled=move || take.pending().get()
                                        on:click=move |_| { take.dispatch(()); }>{t!(i18n, inbox_take_over_new)}</button>
                                </div>
                            }.into_any()
                        }
                        None => view! {
                            {similar.then(|| view! { <p class="hint" data-testid="merge-hint">{t!(i18n, inbox_merge_hint)}</p> })}
                            <div class="actions">
                                <button class="primary" data-testid="take-over-button" disabled=move || take.pending().get()
                                    on:click=move |_| { take.dispatch(()); }>{t!(i18n, inbox_take_over)}</button>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
            <FormError error/>
            <h3>{t!(i18n, inbox_or_assign)}</h3>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let list = suggestions.await?;
                        if list.is_empty() {
                            return Ok::<_, ApiError>(view! { <p class="muted">{t!(i18n, inbox_no_suggestions)}</p> }.into_any());
                        }
                        Ok(view! { <ul class="suggestions">{list.into_iter().map(|s| {
                            let reasons = s.reasons.iter().map(|r| labels::suggestion_reason(i18n, *r)).collect::<Vec<_>>().join(", ");
                            candidate_row(s.candidate, Some(reasons))
                        }).collect_view()}</ul> }.into_any())
                    })}
                </ErrorBoundary>
            </Transition>
            <input type="search" data-testid="assign-search" placeholder=move || t_string!(i18n, candidates_search).to_string()
                on:input=move |ev| search.set(event_target_value(&ev))/>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = found.await.unwrap_or_default();
                    view! { <ul class="suggestions">{list.into_iter().map(|c| candidate_row(c, None)).collect_view()}</ul> }
                })}
            </Transition>
        </section>
    }
}

/// Clicks the take-over panel's primary button (assign to the known candidate, else
/// take over), if the item has one.
/// Clicks the primary button of the item in the address bar. While the next item is
/// still loading, the previous item's panel is on screen: its buttons must not answer.
fn press_primary_action(ev: &web_sys::KeyboardEvent, item_id: &str) {
    use wasm_bindgen::JsCast;
    let button = ["[data-testid=primary-action]", "[data-testid=take-over-button]"]
        .iter()
        .map(|button| format!("[data-item-id=\"{item_id}\"] {button}"))
        .find_map(|selector| document().query_selector(&selector).ok().flatten())
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(button) = button {
        ev.prevent_default();
        button.click();
    }
}

fn row_links() -> Vec<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    let Ok(found) = document().query_selector_all("[data-testid=inbox-row] a.row-link") else {
        return Vec::new();
    };
    (0..found.length())
        .filter_map(|index| found.item(index))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

fn focused_position(links: &[web_sys::HtmlElement]) -> Option<usize> {
    let active = document().active_element()?;
    links.iter().position(|link| link.is_same_node(Some(&active)))
}

/// Moves the focus to the next (1) or previous (-1) row; from nowhere to the first.
fn move_focus(step: isize) {
    let links = row_links();
    let target = match focused_position(&links) {
        Some(position) => position.saturating_add_signed(step).min(links.len().saturating_sub(1)),
        None => 0,
    };
    if let Some(link) = links.get(target) {
        let _ = link.focus();
    }
}

fn focused_row_id() -> Option<String> {
    let links = row_links();
    focused_position(&links).and_then(|position| links[position].get_attribute("data-id"))
}

/// The toast after a take-over (`undoable`: the one item taken over) or an
/// assignment, with the way to the candidate and, for a take-over, "Undo".
fn announce_assignment(
    i18n: leptos_i18n::I18nContext<Locale>,
    toasts: Toasts,
    done: &[Assignment],
    undoable: Option<String>,
) {
    let Some(first) = done.first() else { return };
    if done.len() > 1 {
        toasts.success(t_string!(i18n, toast_saved).to_string());
        return;
    }
    let name = format!("{} {}", first.candidate.first_name, first.candidate.last_name);
    let text = if undoable.is_some() {
        t_string!(i18n, toast_taken_over).to_string()
    } else {
        t_string!(i18n, toast_assigned).to_string()
    };
    let link = ToastLink {
        label: t_string!(i18n, toast_open_candidate).to_string(),
        href: format!("/candidates/{}", first.candidate.id),
    };
    let undo = undoable.map(|item_id| -> Undo {
        Arc::new(move || {
            let item_id = item_id.clone();
            leptos::task::spawn_local(async move {
                match api::run::<gql::UndoTakeOver>(gql::undo_take_over::Variables { id: item_id.clone() }).await {
                    Ok(_) => toasts.with(
                        t_string!(i18n, toast_take_over_undone).to_string(),
                        Some(ToastLink {
                            label: t_string!(i18n, toast_open_item).to_string(),
                            href: format!("/inbox/{item_id}"),
                        }),
                        None,
                    ),
                    Err(error) => toasts.error(describe(i18n, &error).0),
                }
            });
        })
    });
    toasts.with(text.replace("{name}", &name), Some(link), undo);
}

/// The list of keyboard shortcuts, a modal dialog (Escape closes it).
#[component]
fn ShortcutHelp(dialog: NodeRef<leptos::html::Dialog>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <dialog class="shortcuts" node_ref=dialog aria-labelledby="shortcuts-title" data-testid="shortcuts">
            <h2 id="shortcuts-title">{t!(i18n, shortcuts_title)}</h2>
            <dl>
                <dt><kbd>"j"</kbd></dt><dd>{t!(i18n, shortcuts_next)}</dd>
                <dt><kbd>"k"</kbd></dt><dd>{t!(i18n, shortcuts_previous)}</dd>
                <dt><kbd>"Enter"</kbd></dt><dd>{t!(i18n, shortcuts_open)}</dd>
                <dt><kbd>"e"</kbd></dt><dd>{t!(i18n, shortcuts_take_over)}</dd>
                <dt><kbd>"#"</kbd></dt><dd>{t!(i18n, shortcuts_delete)}</dd>
                <dt><kbd>"z"</kbd></dt><dd>{t!(i18n, shortcuts_undo)}</dd>
                <dt><kbd>"?"</kbd></dt><dd>{t!(i18n, shortcuts_help)}</dd>
            </dl>
            <form method="dialog"><button class="primary" autofocus>{t!(i18n, close)}</button></form>
        </dialog>
    }
}
