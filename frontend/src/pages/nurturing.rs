//! Contact nurturing: saved candidate queries (with their live hits) and form letters
//! (with a preview for a chosen candidate).

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use talentpost_shared::nurturing::CandidateQueryFilter;
use talentpost_shared::{CandidateStatus, SourceMedium};

use crate::api::generated as gql;
use crate::api::reads::{
    self, FormLetter, LetterPreview, SavedQuery, candidate_queries, form_letters, preview_form_letter,
};
use crate::api::{self, ApiError};
use crate::components::labels;
use crate::components::status::{EmptyState, ErrorView, FormError, Loading};
use crate::components::toast::confirm;
use crate::i18n::*;
use crate::pages::settings::mutation;

type SavedFilter = gql::fragments::SavedCandidateQueryFieldsFilter;

/// The filter the form edits, as the operations send it (the same fields and JSON).
fn filter_input(f: CandidateQueryFilter) -> gql::inputs::CandidateQueryFilterInput {
    gql::inputs::CandidateQueryFilterInput {
        status_in: f.status_in,
        status_not_in: f.status_not_in,
        birthday_from_days: f.birthday_from_days.map(i64::from),
        birthday_to_days: f.birthday_to_days.map(i64::from),
        last_contact_more_than_days: f.last_contact_more_than_days.map(i64::from),
        last_contact_less_than_days: f.last_contact_less_than_days.map(i64::from),
        in_talent_pool: f.in_talent_pool,
        pool_more_than_months: f.pool_more_than_months.map(i64::from),
        has_email: f.has_email,
        job_opening_id: f.job_opening_id,
        legal_entity_id: f.legal_entity_id,
        source: f.source,
        application_older_than_days: f.application_older_than_days.map(i64::from),
        application_newer_than_days: f.application_newer_than_days.map(i64::from),
    }
}

/// A saved query's filter as the form edits it (the server keeps these numbers in `i32`).
fn editable_filter(f: SavedFilter) -> CandidateQueryFilter {
    let days = |v: Option<i64>| v.and_then(|v| i32::try_from(v).ok());
    CandidateQueryFilter {
        status_in: f.status_in,
        status_not_in: f.status_not_in,
        birthday_from_days: days(f.birthday_from_days),
        birthday_to_days: days(f.birthday_to_days),
        last_contact_more_than_days: days(f.last_contact_more_than_days),
        last_contact_less_than_days: days(f.last_contact_less_than_days),
        in_talent_pool: f.in_talent_pool,
        pool_more_than_months: days(f.pool_more_than_months),
        has_email: f.has_email,
        job_opening_id: f.job_opening_id,
        legal_entity_id: f.legal_entity_id,
        source: f.source,
        application_older_than_days: days(f.application_older_than_days),
        application_newer_than_days: days(f.application_newer_than_days),
    }
}

/// Creates the query, or with `id` updates it.
async fn save_candidate_query(id: Option<String>, name: String, filter: CandidateQueryFilter) -> Result<(), ApiError> {
    match id {
        Some(id) => {
            let variables = gql::update_candidate_query::Variables {
                id,
                n: Some(name),
                f: Some(filter_input(filter)),
            };
            api::run::<gql::UpdateCandidateQuery>(variables).await.map(|_| ())
        }
        None => {
            let variables = gql::create_candidate_query::Variables {
                n: name,
                f: filter_input(filter),
            };
            api::run::<gql::CreateCandidateQuery>(variables).await.map(|_| ())
        }
    }
}

/// The letter form as the operations send it (every field set).
fn letter_input(form: LetterForm) -> gql::inputs::FormLetterInput {
    gql::inputs::FormLetterInput {
        name: Some(form.name),
        subject: Some(form.subject),
        body_text: Some(form.body_text),
        body_html: Some(form.body_html),
        sets_candidate_status: form.sets_candidate_status,
        clear_candidate_status: form.sets_candidate_status.is_none(),
    }
}

/// The letter form; every field is sent, so the same shape creates and updates.
struct LetterForm {
    name: String,
    subject: String,
    body_text: String,
    body_html: String,
    sets_candidate_status: Option<CandidateStatus>,
}

/// Creates the letter, or with `id` updates it.
async fn save_form_letter(id: Option<String>, form: LetterForm) -> Result<(), ApiError> {
    match id {
        Some(id) => {
            let input = letter_input(form);
            api::run::<gql::UpdateFormLetter>(gql::update_form_letter::Variables { id, input })
                .await
                .map(|_| ())
        }
        None => {
            let input = letter_input(form);
            api::run::<gql::CreateFormLetter>(gql::create_form_letter::Variables { input })
                .await
                .map(|_| ())
        }
    }
}

#[component]
pub fn NurturingPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <main class="page">
            <h1>{t!(i18n, nurturing_title)}</h1>
            <nav class="tabs">
                <A href="/nurturing" exact=true attr:class="tab" attr:data-testid="tab-queries">{t!(i18n, nurturing_queries)}</A>
                <A href="/nurturing/letters" attr:class="tab" attr:data-testid="tab-letters">{t!(i18n, nurturing_letters)}</A>
                <A href="/nurturing/jobs" attr:class="tab" attr:data-testid="tab-jobs">{t!(i18n, nurturing_jobs)}</A>
                <A href="/nurturing/work" attr:class="tab" attr:data-testid="tab-work">{t!(i18n, nurturing_work_centre)}</A>
            </nav>
            <Outlet/>
        </main>
    }
}

#[component]
pub fn QueriesPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0u32);
    let queries = LocalResource::new(move || {
        refresh.track();
        candidate_queries()
    });
    let editing = RwSignal::new(None::<Option<SavedQuery>>);
    let (error, set_error) = signal(None::<ApiError>);
    let delete = mutation(refresh, set_error, |id: &String| {
        api::run::<gql::DeleteCandidateQuery>(gql::delete_candidate_query::Variables { id: id.clone() })
    });
    let saved = Callback::new(move |()| {
        editing.set(None);
        refresh.update(|n| *n += 1);
    });
    view! {
        <section>
            <div class="actions">
                <button class="primary" data-testid="new-query" on:click=move |_| editing.set(Some(None))>{t!(i18n, nurturing_new_query)}</button>
            </div>
            {move || editing.get().map(|query| view! { <QueryEditor query saved cancel=Callback::new(move |()| editing.set(None))/> })}
            <FormError error/>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let list = queries.await?;
                        if list.is_empty() {
                            return Ok::<_, ApiError>(view! { <EmptyState message=Signal::derive(move || t_string!(i18n, nurturing_no_queries).to_string())/> }.into_any());
                        }
                        Ok(view! {
                            <table class="list" data-testid="query-list">
                                <thead><tr><th>{t!(i18n, nurturing_name)}</th><th>{t!(i18n, nurturing_hits)}</th><th></th></tr></thead>
                                <tbody>{list.into_iter().map(|q| {
                                    let (for_edit, id) = (q.clone(), q.id.clone());
                                    view! { <tr>
                                        <td>{q.name.clone()}</td>
                                        <td data-testid="query-hits">{q.hit_count}</td>
                                        <td class="actions">
                                            <button on:click=move |_| editing.set(Some(Some(for_edit.clone())))>{t!(i18n, edit)}</button>
                                            <button class="danger" on:click=move |_| { if confirm(t_string!(i18n, query_delete_confirm)) { delete.dispatch(id.clone()); } }>{t!(i18n, delete)}</button>
                                        </td>
                                    </tr> }
                                }).collect_view()}</tbody>
                            </table>
                        }.into_any())
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// Parses a number field; empty means "no filter".
fn number(text: &str) -> Option<i32> {
    text.trim().parse().ok()
}

fn yes_no(text: &str) -> Option<bool> {
    match text {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// The filter form with the hits it has right now, updated as it is edited.
#[component]
fn QueryEditor(query: Option<SavedQuery>, saved: Callback<()>, cancel: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let id = query.as_ref().map(|q| q.id.clone());
    let name = RwSignal::new(query.as_ref().map(|q| q.name.clone()).unwrap_or_default());
    let filter = RwSignal::new(query.map(|q| editable_filter(q.filter)).unwrap_or_default());
    let hits = LocalResource::new(move || {
        let variables = gql::run_candidate_filter::Variables {
            f: Some(filter_input(filter.get())),
            first: Some(20),
        };
        async move {
            api::run::<gql::RunCandidateFilter>(variables)
                .await
                .map(|data| data.run_candidate_query)
        }
    });
    let openings = LocalResource::new(reads::job_opening_choices);
    let entities = LocalResource::new(reads::legal_entities);
    let (error, set_error) = signal(None::<ApiError>);
    let save = Action::new_local(move |_: &()| {
        let (id, name, filter) = (id.clone(), name.get_untracked(), filter.get_untracked());
        async move {
            match save_candidate_query(id, name, filter).await {
                Ok(_) => saved.run(()),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let number_field = move |label: String,
                             testid: &'static str,
                             get: fn(&CandidateQueryFilter) -> Option<i32>,
                             set: fn(&mut CandidateQueryFilter, Option<i32>)| {
        view! {
            <label>{label}
                <input type="number" data-testid=testid prop:value=move || filter.with(|f| get(f).map(|v| v.to_string()).unwrap_or_default())
                    on:change=move |ev| filter.update(|f| set(f, number(&event_target_value(&ev))))/>
            </label>
        }
    };
    let status_boxes = move |excluded: bool| {
        CandidateStatus::ALL.iter().map(|s| {
            let s = *s;
            let list = move |f: &CandidateQueryFilter| if excluded { f.status_not_in.contains(&s) } else { f.status_in.contains(&s) };
            view! {
                <label class="check">
                    <input type="checkbox" data-testid=format!("{}-{}", if excluded { "status-not-in" } else { "status-in" }, s.as_str())
                        prop:checked=move || filter.with(list)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            filter.update(|f| {
                                let target = if excluded { &mut f.status_not_in } else { &mut f.status_in };
                                target.retain(|x| *x != s);
                                if on { target.push(s); }
                            });
                        }/>
                    {move || labels::candidate_status(i18n, s)}
                </label>
            }
        }).collect_view()
    };
    view! {
        <form class="card form" data-testid="query-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
            <label>{t!(i18n, nurturing_name)}
                <input name="name" data-testid="query-name" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/></label>
            <fieldset><legend>{t!(i18n, nurturing_status_in)}</legend>{status_boxes(false)}</fieldset>
            <fieldset><legend>{t!(i18n, nurturing_status_not_in)}</legend>{status_boxes(true)}</fieldset>
            <div class="grid">
                {move || number_field(t_string!(i18n, nurturing_birthday_from).to_string(), "birthday-from", |f| f.birthday_from_days, |f, v| f.birthday_from_days = v)}
                {move || number_field(t_string!(i18n, nurturing_birthday_to).to_string(), "birthday-to", |f| f.birthday_to_days, |f, v| f.birthday_to_days = v)}
                {move || number_field(t_string!(i18n, nurturing_contact_more).to_string(), "contact-more", |f| f.last_contact_more_than_days, |f, v| f.last_contact_more_than_days = v)}
                {move || number_field(t_string!(i18n, nurturing_contact_less).to_string(), "contact-less", |f| f.last_contact_less_than_days, |f, v| f.last_contact_less_than_days = v)}
                {move || number_field(t_string!(i18n, nurturing_pool_months).to_string(), "pool-months", |f| f.pool_more_than_months, |f, v| f.pool_more_than_months = v)}
                {move || number_field(t_string!(i18n, nurturing_application_older).to_string(), "application-older", |f| f.application_older_than_days, |f, v| f.application_older_than_days = v)}
                {move || number_field(t_string!(i18n, nurturing_application_newer).to_string(), "application-newer", |f| f.application_newer_than_days, |f, v| f.application_newer_than_days = v)}
                <label>{t!(i18n, candidate_pool)}
                    <select data-testid="in-pool" on:change=move |ev| filter.update(|f| f.in_talent_pool = yes_no(&event_target_value(&ev)))>
                        <option value="" selected=move || filter.with(|f| f.in_talent_pool.is_none())>{t!(i18n, nurturing_any)}</option>
                        <option value="yes" selected=move || filter.with(|f| f.in_talent_pool == Some(true))>{t!(i18n, nurturing_yes)}</option>
                        <option value="no" selected=move || filter.with(|f| f.in_talent_pool == Some(false))>{t!(i18n, nurturing_no)}</option>
                    </select></label>
                <label>{t!(i18n, nurturing_has_email)}
                    <select data-testid="has-email" on:change=move |ev| filter.update(|f| f.has_email = yes_no(&event_target_value(&ev)))>
                        <option value="" selected=move || filter.with(|f| f.has_email.is_none())>{t!(i18n, nurturing_any)}</option>
                        <option value="yes" selected=move || filter.with(|f| f.has_email == Some(true))>{t!(i18n, nurturing_yes)}</option>
                        <option value="no" selected=move || filter.with(|f| f.has_email == Some(false))>{t!(i18n, nurturing_no)}</option>
                    </select></label>
                <label>{t!(i18n, application_source)}
                    <select on:change=move |ev| filter.update(|f| f.source = SourceMedium::parse(&event_target_value(&ev)))>
                        <option value="">{t!(i18n, nurturing_any)}</option>
                        {SourceMedium::ALL.iter().map(|s| {
                            let s = *s;
                            view! { <option value=s.as_str() selected=move || filter.with(|f| f.source == Some(s))>{move || labels::source_medium(i18n, s)}</option> }
                        }).collect_view()}
                    </select></label>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let openings = openings.await.unwrap_or_default();
                        let entities = entities.await.unwrap_or_default();
                        view! {
                            <label>{t!(i18n, inbox_job_opening)}
                                <select on:change=move |ev| filter.update(|f| f.job_opening_id = Some(event_target_value(&ev)).filter(|v| !v.is_empty()))>
                                    <option value="">{t!(i18n, nurturing_any)}</option>
                                    {openings.into_iter().map(|o| {
                                        let id = o.id.clone();
                                        view! { <option value=o.id.clone() selected=move || filter.with(|f| f.job_opening_id.as_deref() == Some(id.as_str()))>{o.title.clone()}</option> }
                                    }).collect_view()}
                                </select></label>
                            <label>{t!(i18n, inbox_legal_entity)}
                                <select on:change=move |ev| filter.update(|f| f.legal_entity_id = Some(event_target_value(&ev)).filter(|v| !v.is_empty()))>
                                    <option value="">{t!(i18n, nurturing_any)}</option>
                                    {entities.into_iter().map(|e| {
                                        let id = e.id.clone();
                                        view! { <option value=e.id.clone() selected=move || filter.with(|f| f.legal_entity_id.as_deref() == Some(id.as_str()))>{e.name.clone()}</option> }
                                    }).collect_view()}
                                </select></label>
                        }
                    })}
                </Transition>
            </div>
            <FormError error/>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || save.pending().get()>{t!(i18n, save)}</button>
                <button type="button" on:click=move |_| cancel.run(())>{t!(i18n, cancel)}</button>
            </div>
            <section class="hits">
                <Transition fallback=Loading>
                    <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                        {move || Suspend::new(async move {
                            let hits = hits.await?;
                            Ok::<_, ApiError>(view! {
                                <h3 data-testid="live-hits">{t!(i18n, nurturing_hits)}": "{hits.total_count}</h3>
                                <ul>{hits.candidates.edges.into_iter().map(|e| view! {
                                    <li><A href=format!("/candidates/{}", e.node.id)>{format!("{} {}", e.node.first_name, e.node.last_name)}</A></li>
                                }).collect_view()}</ul>
                            })
                        })}
                    </ErrorBoundary>
                </Transition>
            </section>
        </form>
    }
}

#[component]
pub fn FormLettersPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0u32);
    let letters = LocalResource::new(move || {
        refresh.track();
        form_letters()
    });
    let placeholders = LocalResource::new(move || async move {
        api::run::<gql::FormLetterPlaceholders>(gql::form_letter_placeholders::Variables)
            .await
            .map(|data| data.form_letter_placeholders)
    });
    let editing = RwSignal::new(None::<Option<FormLetter>>);
    let (error, set_error) = signal(None::<ApiError>);
    let delete = mutation(refresh, set_error, |id: &String| {
        api::run::<gql::DeleteFormLetter>(gql::delete_form_letter::Variables { id: id.clone() })
    });
    let saved = Callback::new(move |()| {
        editing.set(None);
        refresh.update(|n| *n += 1);
    });
    view! {
        <section>
            <div class="actions">
                <button class="primary" data-testid="new-letter" on:click=move |_| editing.set(Some(None))>{t!(i18n, nurturing_new_letter)}</button>
            </div>
            <p class="muted">{t!(i18n, nurturing_placeholders)}" "
                <Transition fallback=|| ()>{move || Suspend::new(async move {
                    placeholders.await.unwrap_or_default().into_iter().map(|p| view! { <code>{format!("{{{{ {p} }}}}")}</code>" " }).collect_view()
                })}</Transition>
            </p>
            {move || editing.get().map(|letter| view! { <LetterEditor letter saved cancel=Callback::new(move |()| editing.set(None))/> })}
            <FormError error/>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let list = letters.await?;
                        if list.is_empty() {
                            return Ok::<_, ApiError>(view! { <EmptyState message=Signal::derive(move || t_string!(i18n, nurturing_no_letters).to_string())/> }.into_any());
                        }
                        Ok(view! {
                            <table class="list" data-testid="letter-list">
                                <thead><tr><th>{t!(i18n, nurturing_name)}</th><th>{t!(i18n, compose_subject)}</th><th>{t!(i18n, nurturing_sets_status)}</th><th></th></tr></thead>
                                <tbody>{list.into_iter().map(|letter| {
                                    let (for_edit, id, status) = (letter.clone(), letter.id.clone(), letter.sets_candidate_status);
                                    view! { <tr>
                                        <td>{letter.name.clone()}</td>
                                        <td>{letter.subject.clone()}</td>
                                        <td>{move || status.map(|s| labels::candidate_status(i18n, s)).unwrap_or_default()}</td>
                                        <td class="actions">
                                            <button on:click=move |_| editing.set(Some(Some(for_edit.clone())))>{t!(i18n, edit)}</button>
                                            <button class="danger" on:click=move |_| { if confirm(t_string!(i18n, letter_delete_confirm)) { delete.dispatch(id.clone()); } }>{t!(i18n, delete)}</button>
                                        </td>
                                    </tr> }
                                }).collect_view()}</tbody>
                            </table>
                        }.into_any())
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn LetterEditor(letter: Option<FormLetter>, saved: Callback<()>, cancel: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let id = letter.as_ref().map(|l| l.id.clone());
    let name = RwSignal::new(letter.as_ref().map(|l| l.name.clone()).unwrap_or_default());
    let subject = RwSignal::new(letter.as_ref().map(|l| l.subject.clone()).unwrap_or_default());
    let body_text = RwSignal::new(letter.as_ref().map(|l| l.body_text.clone()).unwrap_or_default());
    let body_html = RwSignal::new(letter.as_ref().and_then(|l| l.body_html.clone()).unwrap_or_default());
    let status = RwSignal::new(letter.as_ref().and_then(|l| l.sets_candidate_status));
    let (error, set_error) = signal(None::<ApiError>);
    let save = Action::new_local(move |_: &()| {
        let id = id.clone();
        let form = LetterForm {
            name: name.get_untracked(),
            subject: subject.get_untracked(),
            body_text: body_text.get_untracked(),
            body_html: body_html.get_untracked(),
            sets_candidate_status: status.get_untracked(),
        };
        async move {
            match save_form_letter(id, form).await {
                Ok(_) => saved.run(()),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let letter_id = letter.as_ref().map(|l| l.id.clone());
    view! {
        <form class="card form" data-testid="letter-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
            <label>{t!(i18n, nurturing_name)}<input name="name" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/></label>
            <label>{t!(i18n, compose_subject)}<input name="subject" prop:value=subject on:input=move |ev| subject.set(event_target_value(&ev))/></label>
            <label>{t!(i18n, nurturing_body_text)}<textarea name="bodyText" rows="8" prop:value=body_text on:input=move |ev| body_text.set(event_target_value(&ev))></textarea></label>
            <label>{t!(i18n, nurturing_body_html)}<textarea name="bodyHtml" rows="5" prop:value=body_html on:input=move |ev| body_html.set(event_target_value(&ev))></textarea></label>
            <label>{t!(i18n, nurturing_sets_status)}
                <select data-testid="letter-status" on:change=move |ev| status.set(CandidateStatus::parse(&event_target_value(&ev)))>
                    <option value="" selected=move || status.get().is_none()>{t!(i18n, nurturing_no_change)}</option>
                    {CandidateStatus::ALL.iter().map(|s| {
                        let s = *s;
                        view! { <option value=s.as_str() selected=move || status.get() == Some(s)>{move || labels::candidate_status(i18n, s)}</option> }
                    }).collect_view()}
                </select></label>
            <FormError error/>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || save.pending().get()>{t!(i18n, save)}</button>
                <button type="button" on:click=move |_| cancel.run(())>{t!(i18n, cancel)}</button>
            </div>
            {letter_id.map(|id| view! { <LetterPreview letter_id=id/> })}
        </form>
    }
}

/// The saved letter as one chosen candidate would get it.
#[component]
fn LetterPreview(letter_id: String) -> impl IntoView {
    let i18n = use_i18n();
    let search = RwSignal::new(String::new());
    let chosen = RwSignal::new(None::<String>);
    let found = LocalResource::new(move || api::reads::search_candidates(search.get(), 8));
    let preview = LocalResource::new(move || {
        let (letter_id, chosen) = (letter_id.clone(), chosen.get());
        async move {
            match chosen {
                Some(candidate) => preview_form_letter(letter_id, candidate, None).await.map(Some),
                None => Ok(None),
            }
        }
    });
    view! {
        <section class="preview" data-testid="letter-preview">
            <h3>{t!(i18n, nurturing_preview)}</h3>
            <input type="search" data-testid="preview-search" placeholder=move || t_string!(i18n, candidates_search).to_string()
                on:input=move |ev| search.set(event_target_value(&ev))/>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = found.await.unwrap_or_default();
                    view! { <ul class="suggestions">{list.into_iter().map(|c| {
                        let id = c.id.clone();
                        view! { <li><button type="button" data-testid="preview-candidate" on:click=move |_| chosen.set(Some(id.clone()))>
                            {format!("{} {}", c.first_name, c.last_name)}</button></li> }
                    }).collect_view()}</ul> }
                })}
            </Transition>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let Some(letter) = preview.await? else { return Ok::<_, ApiError>(().into_any()) };
                        Ok(view! { <LetterCard letter testid="preview-result"/> }.into_any())
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// A rendered form letter: subject, where it goes (or that it would be documented) and text.
#[component]
pub(crate) fn LetterCard(letter: LetterPreview, testid: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="card" data-testid=testid>
            <p><strong>{t!(i18n, compose_subject)}": "</strong>{letter.subject}</p>
            <p class="muted">{letter.to.unwrap_or_else(|| t_string!(i18n, nurturing_no_address).to_string())}</p>
            <pre class="message">{letter.body_text}</pre>
        </div>
    }
}
