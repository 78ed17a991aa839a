use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use talentpost_shared::{InboxMedium, InboxState};

use crate::api::live::LiveInbox;
use crate::api::types::{Candidate, Connection, InboxItem};
use crate::api::{ApiError, ops};
use crate::app::Session;
use crate::components::documents::DocumentList;
use crate::components::labels;
use crate::components::mail_view::{MailView, RawSource};
use crate::components::selection::SelectCell;
use crate::components::status::{EmptyState, ErrorView, FormError, Loading};
use crate::components::time::Time;
use crate::i18n::*;

const PAGE_SIZES: [u32; 3] = [25, 50, 100];

#[component]
pub fn InboxPage() -> impl IntoView {
    let i18n = use_i18n();
    let live = expect_context::<LiveInbox>();
    let session = expect_context::<Session>();
    let query = use_query_map();
    let medium = Memo::new(move |_| {
        query.read().get("medium").and_then(|m| InboxMedium::parse(&m)).unwrap_or(InboxMedium::Email)
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
    let current_after = move || cursors.with(|(key, stack)| if *key == view_key.get() { stack.last().cloned().flatten() } else { None });
    let on_first_page = move || cursors.with(|(key, stack)| *key != view_key.get() || stack.len() <= 1);
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let refresh = RwSignal::new(0u32);

    let items = LocalResource::new(move || {
        let (medium, state, first) = view_key.get();
        let after = current_after();
        live.version.track();
        refresh.track();
        ops::inbox_items(medium, state, first, after)
    });
    // Only what is on the screen can stay selected (items vanish when others delete them).
    Effect::new(move |_| {
        if let Some(Ok(page)) = items.get() {
            let visible: BTreeSet<String> = page.nodes().map(|item| item.id.clone()).collect();
            selected.update(|s| s.retain(|id| visible.contains(id)));
        }
    });

    let (action_error, set_action_error) = signal(None::<ApiError>);
    let bulk = Action::new_local(move |(ids, restore): &(Vec<String>, bool)| {
        let (ids, restore) = (ids.clone(), *restore);
        async move {
            let result = if restore { ops::restore_inbox_items(ids).await } else { ops::delete_inbox_items(ids).await };
            match result {
                Ok(_) => {
                    selected.set(BTreeSet::new());
                    set_action_error.set(None);
                    refresh.update(|n| *n += 1);
                }
                Err(error) => set_action_error.set(Some(error)),
            }
        }
    });

    let take_over = Action::new_local(move |ids: &Vec<String>| {
        let ids = ids.clone();
        async move {
            match ops::take_over_inbox_items(ids, None).await {
                Ok(_) => {
                    selected.set(BTreeSet::new());
                    set_action_error.set(None);
                    refresh.update(|n| *n += 1);
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
            match ops::import_mail(file).await {
                Ok(item) => {
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
    view! {
        <main class="page inbox">
            <div class="page-head">
                <h1>{t!(i18n, inbox_title)}</h1>
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
                                stack.push(page.end_cursor());
                            });
                        }
                    }>{t!(i18n, next_page)}</button>
            </div>
        </main>
    }
}

#[component]
fn InboxTable(page: Connection<InboxItem>, selected: RwSignal<BTreeSet<String>>) -> impl IntoView {
    let i18n = use_i18n();
    if page.edges.is_empty() {
        return view! { <EmptyState message=Signal::derive(move || t_string!(i18n, inbox_empty).to_string())/> }.into_any();
    }
    let ids: Vec<String> = page.nodes().map(|item| item.id.clone()).collect();
    let all_ids = ids.clone();
    let all_selected = move || !all_ids.is_empty() && selected.with(|s| all_ids.iter().all(|id| s.contains(id)));
    let rows = page.edges.into_iter().map(|edge| view! { <InboxRow item=edge.node selected/> }).collect_view();
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
fn InboxRow(item: InboxItem, selected: RwSignal<BTreeSet<String>>) -> impl IntoView {
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
            opening.clone().unwrap_or_else(|| t_string!(i18n, inbox_unsolicited).to_string())
        }
    };
    let known = item.matched_candidate.clone().map(|c| c.full_name);
    let open = move |_| navigate(&format!("/inbox/{id}"), Default::default());
    view! {
        <tr class="row" data-testid="inbox-row">
            <SelectCell id=item.id.clone() selected/>
            <td on:click=open.clone()>
                <span class="sender">{sender}</span>
                {known.map(|name| view! { <span class="pill known">{t!(i18n, inbox_known_candidate, name = move || name.clone())}</span> })}
            </td>
            <td on:click=open.clone()>
                <span class="subject">{title}</span>
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
    let item = LocalResource::new(move || ops::inbox_item(params.read().get("id").unwrap_or_default()));
    view! {
        <main class="page">
            <A href="/inbox" attr:class="back">{t!(i18n, inbox_back)}</A>
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
fn InboxItemView(item: InboxItem) -> impl IntoView {
    let i18n = use_i18n();
    let medium = item.medium;
    let title = if item.subject.is_empty() {
        item.job_opening.as_ref().map(|o| o.title.clone())
    } else {
        Some(item.subject.clone())
    };
    let documents = item.documents.clone();
    let unassigned = item.state == InboxState::Unassigned;
    let item_id = item.id.clone();
    view! {
        {unassigned.then(|| view! { <TakeOverPanel item_id=item_id.clone()/> })}
        {item.candidate.clone().map(|c| view! {
            <p class="notice" data-testid="assigned-to">{t!(i18n, inbox_assigned_to)}" "
                <A href=format!("/candidates/{}", c.id)>{c.full_name}</A></p>
        })}
        <article class="card item" data-testid="inbox-item">
            <header>
                <span class="pill">{move || labels::medium(i18n, medium)}</span>
                <h1>{move || title.clone().unwrap_or_else(|| t_string!(i18n, inbox_unsolicited).to_string())}</h1>
            </header>
            <dl class="facts">
                // A mail shows its own From with the other headers below.
                {item.mail.is_none().then(|| view! {
                    <dt>{t!(i18n, inbox_from)}</dt>
                    <dd>{item.sender_name.clone().unwrap_or_default()} " " {item.sender_email.clone().map(|e| format!("<{e}>")).unwrap_or_default()}</dd>
                })}
                {item.sender_phone.clone().map(|p| view! { <dt>{t!(i18n, inbox_phone)}</dt><dd>{p}</dd> })}
                <dt>{t!(i18n, inbox_received)}</dt>
                <dd><Time at=item.received_at.clone()/></dd>
                {item.legal_entity.clone().map(|e| view! { <dt>{t!(i18n, inbox_legal_entity)}</dt><dd>{e.name}</dd> })}
                {item.job_opening.clone().map(|o| view! { <dt>{t!(i18n, inbox_job_opening)}</dt><dd>{o.title}</dd> })}
                {item.matched_candidate.clone().map(|c| view! {
                    <dt>{t!(i18n, nav_candidates)}</dt>
                    <dd><A href=format!("/candidates/{}", c.id)>{c.full_name}</A></dd>
                })}
            </dl>
            {match item.mail.clone() {
                Some(mail) => {
                    let item_id = item.id.clone();
                    let wanted = RwSignal::new(false);
                    let text = LocalResource::new(move || {
                        let (item_id, wanted) = (item_id.clone(), wanted.get());
                        async move { if wanted { ops::raw_source(item_id).await.map(Some) } else { Ok(None) } }
                    });
                    view! { <MailView mail raw_source=RawSource { wanted, text }/> }.into_any()
                }
                None => view! {
                    <section>
                        <h2>{t!(i18n, inbox_message)}</h2>
                        <pre class="message">{item.message.clone().or(item.preview.clone()).unwrap_or_default()}</pre>
                    </section>
                }.into_any(),
            }}
            <section>
                <h2>{t!(i18n, inbox_documents)}</h2>
                <DocumentList documents/>
            </section>
        </article>
    }
}

/// Turning the item into a candidate: a new one (one click), or one of the suggested
/// or searched known candidates.
#[component]
fn TakeOverPanel(item_id: String) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let (error, set_error) = signal(None::<ApiError>);
    let opening = RwSignal::new(String::new());
    let openings = LocalResource::new(move || ops::job_openings(None));
    let id_for_suggestions = item_id.clone();
    let suggestions = LocalResource::new(move || ops::candidate_suggestions(id_for_suggestions.clone()));
    let search = RwSignal::new(String::new());
    let found = LocalResource::new(move || ops::search_candidates(search.get(), 10));
    // Corrections of the names, for items that do not state them (an SMS, "jobs@…").
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let open_candidate = move |candidate_id: String| navigate(&format!("/candidates/{candidate_id}"), Default::default());
    let (id_take, open_take) = (item_id.clone(), open_candidate.clone());
    let take = Action::new_local(move |_: &()| {
        let (id, open) = (id_take.clone(), open_take.clone());
        let given = |value: RwSignal<String>| Some(value.get_untracked().trim().to_owned()).filter(|v| !v.is_empty());
        let input = ops::TakeOver {
            job_opening_id: given(opening),
            first_name: given(first_name),
            last_name: given(last_name),
        };
        async move {
            match ops::take_over_inbox_item(id, input).await {
                Ok(done) => open(done.candidate.id),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let assign = Action::new_local(move |candidate_id: &String| {
        let (id, candidate_id, open) = (item_id.clone(), candidate_id.clone(), open_candidate.clone());
        async move {
            match ops::assign_inbox_item(id, candidate_id).await {
                Ok(done) => open(done.candidate.id),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let candidate_row = move |c: Candidate, reasons: Option<String>| {
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
        <section class="card takeover" data-testid="take-over">
            <h2>{t!(i18n, inbox_take_over_title)}</h2>
            <div class="actions">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let openings = openings.await.map(|p| p.edges.into_iter().map(|e| e.node).collect::<Vec<_>>()).unwrap_or_default();
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
                <button class="primary" data-testid="take-over-button" disabled=move || take.pending().get()
                    on:click=move |_| { take.dispatch(()); }>{t!(i18n, inbox_take_over)}</button>
            </div>
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
