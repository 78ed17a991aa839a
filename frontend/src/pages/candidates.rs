use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use talentpost_shared::{CandidateStatus, SourceMedium};

use crate::api::generated as gql;
use crate::api::reads::job_opening_choices;
use crate::api::{self, ApiError};
use crate::components::labels;
use crate::components::status::{EmptyState, ErrorView, FormError, Loading};
use crate::components::{time, toast};
use crate::i18n::*;
use crate::pages::candidate_contact::ContactSection;
use crate::pages::candidate_file::{ApplicationsSection, DocumentsSection, DuplicatesSection, FormLetterSection};

type Candidate = gql::fragments::CandidateFields;

/// What the candidate list is narrowed to; empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq)]
struct CandidateListFilter {
    search: String,
    status: Option<CandidateStatus>,
    in_talent_pool: Option<bool>,
    job_opening_id: Option<String>,
    source: Option<SourceMedium>,
}

async fn candidate_page(
    filter: CandidateListFilter,
    first: i64,
    after: Option<String>,
) -> Result<gql::candidates::CandidatesCandidates, ApiError> {
    let variables = gql::candidates::Variables {
        search: Some(filter.search),
        status: filter.status,
        pool: filter.in_talent_pool,
        opening: filter.job_opening_id,
        source: filter.source,
        first: Some(first),
        after,
    };
    Ok(api::run::<gql::Candidates>(variables).await?.candidates)
}

#[component]
pub fn CandidatesPage() -> impl IntoView {
    let i18n = use_i18n();
    let filter = RwSignal::new(CandidateListFilter::default());
    // Page cursors belong to the filter they were made for; a new filter starts at page one.
    let cursors = RwSignal::new((CandidateListFilter::default(), vec![None::<String>]));
    let current_after = move || {
        cursors.with(|(made_for, stack)| {
            if *made_for == filter.get() {
                stack.last().cloned().flatten()
            } else {
                None
            }
        })
    };
    let on_first_page = move || cursors.with(|(made_for, stack)| *made_for != filter.get() || stack.len() <= 1);
    let refresh = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        refresh.track();
        candidate_page(filter.get(), 50, current_after())
    });
    let openings = LocalResource::new(job_opening_choices);
    let creating = RwSignal::new(false);
    let on_saved = Callback::new(move |_: Candidate| {
        creating.set(false);
        refresh.update(|n| *n += 1);
    });
    view! {
        <main class="page">
            <div class="page-head">
                <h1>{t!(i18n, candidates_title)}</h1>
                <div class="actions">
                    <A href="/candidates/duplicates" attr:class="button" attr:data-testid="open-duplicates">{t!(i18n, duplicates_title)}</A>
                    <button class="primary" on:click=move |_| creating.set(true)>{t!(i18n, candidates_new)}</button>
                </div>
            </div>
            <Show when=move || creating.get()>
                <CandidateEditor candidate=None on_saved on_cancel=Callback::new(move |()| creating.set(false))/>
            </Show>
            <div class="filters" data-testid="candidate-filters">
                <input type="search" class="search" data-testid="candidate-search"
                    placeholder=move || t_string!(i18n, candidates_search).to_string()
                    on:input=move |ev| filter.update(|f| f.search = event_target_value(&ev))/>
                <select data-testid="filter-status" aria-label=move || t_string!(i18n, filter_label_status).to_string() on:change=move |ev| filter.update(|f| f.status = CandidateStatus::parse(&event_target_value(&ev)))>
                    <option value="">{t!(i18n, filter_any_status)}</option>
                    {CandidateStatus::ALL.iter().map(|s| {
                        let s = *s;
                        view! { <option value=s.as_str()>{move || labels::candidate_status(i18n, s)}</option> }
                    }).collect_view()}
                </select>
                <select data-testid="filter-pool" aria-label=move || t_string!(i18n, filter_label_pool).to_string() on:change=move |ev| filter.update(|f| f.in_talent_pool = match event_target_value(&ev).as_str() {
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => None,
                })>
                    <option value="">{t!(i18n, filter_any_pool)}</option>
                    <option value="yes">{t!(i18n, filter_in_pool)}</option>
                    <option value="no">{t!(i18n, filter_not_in_pool)}</option>
                </select>
                <select data-testid="filter-source" aria-label=move || t_string!(i18n, filter_label_source).to_string() on:change=move |ev| filter.update(|f| f.source = SourceMedium::parse(&event_target_value(&ev)))>
                    <option value="">{t!(i18n, filter_any_source)}</option>
                    {SourceMedium::ALL.iter().map(|s| {
                        let s = *s;
                        view! { <option value=s.as_str()>{move || labels::source_medium(i18n, s)}</option> }
                    }).collect_view()}
                </select>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let openings = openings.await.unwrap_or_default();
                        view! {
                            <select data-testid="filter-opening" aria-label=move || t_string!(i18n, filter_label_opening).to_string() on:change=move |ev| filter.update(|f| {
                                let value = event_target_value(&ev);
                                f.job_opening_id = (!value.is_empty()).then_some(value);
                            })>
                                <option value="">{t!(i18n, filter_any_opening)}</option>
                                {openings.into_iter().map(|o| view! { <option value=o.id.clone()>{o.title.clone()}</option> }).collect_view()}
                            </select>
                        }
                    })}
                </Transition>
            </div>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let page = list.await?;
                        if page.edges.is_empty() {
                            return Ok::<_, ApiError>(view! { <EmptyState message=Signal::derive(move || t_string!(i18n, candidates_empty).to_string())/> }.into_any());
                        }
                        let rows = page.edges.into_iter().map(|edge| {
                            let c = edge.node;
                            let status = c.status;
                            view! {
                                <tr>
                                    <td><A href=format!("/candidates/{}", c.id)>{format!("{} {}", c.first_name, c.last_name)}</A></td>
                                    <td>{c.emails.join(", ")}</td>
                                    <td>{c.phone.clone().unwrap_or_default()}</td>
                                    <td>{move || labels::candidate_status(i18n, status)}</td>
                                    <td>{if c.in_talent_pool { "✓" } else { "" }}</td>
                                </tr>
                            }
                        }).collect_view();
                        Ok(view! {
                            <table class="list" data-testid="candidate-list">
                                <thead><tr>
                                    <th>{t!(i18n, user_name)}</th><th>{t!(i18n, user_email)}</th><th>{t!(i18n, candidate_phone)}</th>
                                    <th>{t!(i18n, candidate_status)}</th><th>{t!(i18n, candidate_pool)}</th>
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        }.into_any())
                    })}
                </ErrorBoundary>
            </Transition>
            <div class="pager">
                <button disabled=on_first_page on:click=move |_| cursors.update(|(_, stack)| { stack.pop(); })>{t!(i18n, previous_page)}</button>
                <button disabled=move || !list.get().and_then(|r| r.ok()).is_some_and(|p| p.page_info.has_next_page)
                    on:click=move |_| if let Some(Ok(page)) = list.get_untracked() {
                        let current = filter.get_untracked();
                        cursors.update(|(made_for, stack)| {
                            if *made_for != current {
                                *made_for = current;
                                *stack = vec![None];
                            }
                            stack.push(page.edges.last().map(|edge| edge.cursor.clone()));
                        })
                    }>
                    {t!(i18n, next_page)}</button>
            </div>
        </main>
    }
}

#[component]
pub fn CandidatePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let refresh = RwSignal::new(0u32);
    let candidate = LocalResource::new(move || {
        refresh.track();
        let id = params.read().get("id").unwrap_or_default();
        async move {
            api::run::<gql::Candidate>(gql::candidate::Variables { id })
                .await
                .map(|data| data.candidate)
        }
    });
    let editing = RwSignal::new(false);
    let changed = Callback::new(move |()| refresh.update(|n| *n += 1));
    let letter_sent = RwSignal::new(None::<bool>);
    view! {
        <main class="page">
            <A href="/candidates" attr:class="back">{t!(i18n, candidate_back)}</A>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let file = candidate.await?;
                        let c = file.candidate_fields;
                        let status = c.status;
                        let applications = file.applications.clone();
                        let contact_applications = file.applications;
                        let for_editor = c.clone();
                        Ok::<_, ApiError>(view! {
                            <article class="card">
                                <header class="page-head">
                                    <h1>{format!("{} {}", c.first_name, c.last_name)}</h1>
                                    <button on:click=move |_| editing.set(true)>{t!(i18n, edit)}</button>
                                </header>
                                <Show when=move || editing.get()>
                                    <CandidateEditor candidate=Some(for_editor.clone())
                                        on_saved=Callback::new(move |_| { editing.set(false); refresh.update(|n| *n += 1); })
                                        on_cancel=Callback::new(move |()| editing.set(false))/>
                                </Show>
                                <dl class="facts">
                                    <dt>{t!(i18n, user_email)}</dt><dd>{c.emails.join(", ")}</dd>
                                    <dt>{t!(i18n, candidate_phone)}</dt><dd>{c.phone.clone().unwrap_or_default()}</dd>
                                    <dt>{t!(i18n, candidate_birthday)}</dt><dd>{c.birthday.clone().map(|day| move || time::date(i18n, &day))}</dd>
                                    <dt>{t!(i18n, candidate_status)}</dt><dd>{move || labels::candidate_status(i18n, status)}</dd>
                                    <dt>{t!(i18n, candidate_pool)}</dt><dd>{if c.in_talent_pool { "✓" } else { "–" }}</dd>
                                </dl>
                                <DuplicatesSection candidate_id=c.id.clone() sets=file.duplicate_sets on_changed=changed/>
                                <ApplicationsSection candidate_id=c.id.clone() applications=applications.clone() on_changed=changed/>
                                <FormLetterSection candidate_id=c.id.clone() applications on_changed=changed done=letter_sent/>
                                <DocumentsSection documents=file.documents/>
                                <ContactSection candidate_id=c.id.clone() applications=contact_applications/>
                            </article>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

/// Create and edit form for a candidate; `candidate` is `None` for a new one.
#[component]
fn CandidateEditor(
    candidate: Option<Candidate>,
    on_saved: Callback<Candidate>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let existing_id = candidate.as_ref().map(|c| c.id.clone());
    let first_name = RwSignal::new(candidate.as_ref().map(|c| c.first_name.clone()).unwrap_or_default());
    let last_name = RwSignal::new(candidate.as_ref().map(|c| c.last_name.clone()).unwrap_or_default());
    let emails = RwSignal::new(candidate.as_ref().map(|c| c.emails.join(", ")).unwrap_or_default());
    let phone = RwSignal::new(candidate.as_ref().and_then(|c| c.phone.clone()).unwrap_or_default());
    let birthday = RwSignal::new(candidate.as_ref().and_then(|c| c.birthday.clone()).unwrap_or_default());
    let pool = RwSignal::new(candidate.as_ref().is_some_and(|c| c.in_talent_pool));
    let status = RwSignal::new(candidate.as_ref().map(|c| c.status).unwrap_or(CandidateStatus::Active));
    let (error, set_error) = signal(None::<ApiError>);
    let save = Action::new_local(move |_: &()| {
        let emails: Vec<String> = emails
            .get_untracked()
            .split([',', ';', ' '])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect();
        // Every field is sent; an empty birthday is null.
        let (first_name, last_name, phone, in_talent_pool, status) = (
            first_name.get_untracked(),
            last_name.get_untracked(),
            phone.get_untracked(),
            pool.get_untracked(),
            status.get_untracked(),
        );
        let birthday = Some(birthday.get_untracked()).filter(|day| !day.is_empty());
        let existing_id = existing_id.clone();
        async move {
            let result = match existing_id {
                Some(id) => {
                    let input = gql::inputs::UpdateCandidateInput {
                        first_name: Some(first_name),
                        last_name: Some(last_name),
                        emails: Some(emails),
                        phone: Some(phone),
                        birthday,
                        in_talent_pool: Some(in_talent_pool),
                        status: Some(status),
                    };
                    api::run::<gql::UpdateCandidate>(gql::update_candidate::Variables { id, input })
                        .await
                        .map(|data| data.update_candidate)
                }
                None => {
                    let input = gql::inputs::CreateCandidateInput {
                        first_name,
                        last_name,
                        emails,
                        phone: Some(phone),
                        birthday,
                        in_talent_pool,
                        status: Some(status),
                    };
                    api::run::<gql::CreateCandidate>(gql::create_candidate::Variables { input })
                        .await
                        .map(|data| data.create_candidate)
                }
            };
            match result {
                Ok(candidate) => {
                    toast::saved(i18n);
                    on_saved.run(candidate)
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let text_input = move |label: String, value: RwSignal<String>, kind: &'static str, name: &'static str| {
        view! {
            <label>{label}<input type=kind name=name prop:value=value on:input=move |ev| value.set(event_target_value(&ev))/></label>
        }
    };
    view! {
        <form class="card form" data-testid="candidate-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
            <div class="grid">
                {move || text_input(t_string!(i18n, candidate_first_name).to_string(), first_name, "text", "firstName")}
                {move || text_input(t_string!(i18n, candidate_last_name).to_string(), last_name, "text", "lastName")}
                {move || text_input(t_string!(i18n, candidate_emails).to_string(), emails, "text", "emails")}
                {move || text_input(t_string!(i18n, candidate_phone).to_string(), phone, "tel", "phone")}
                {move || text_input(t_string!(i18n, candidate_birthday).to_string(), birthday, "date", "birthday")}
                <label>{t!(i18n, candidate_status)}
                    <select on:change=move |ev| if let Some(s) = CandidateStatus::parse(&event_target_value(&ev)) { status.set(s) }>
                        {CandidateStatus::ALL.iter().map(|s| {
                            let s = *s;
                            view! { <option value=s.as_str() selected=move || status.get() == s>{move || labels::candidate_status(i18n, s)}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="check"><input type="checkbox" prop:checked=pool on:change=move |ev| pool.set(event_target_checked(&ev))/>
                    {t!(i18n, candidate_pool)}</label>
            </div>
            <FormError error/>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || save.pending().get()>{t!(i18n, save)}</button>
                <button type="button" on:click=move |_| on_cancel.run(())>{t!(i18n, cancel)}</button>
            </div>
        </form>
    }
}
