//! Nurturing jobs (list, editor, export, print view), a job's file with its dispatch
//! tab and preview, and the writing-job work centre.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use talentpost_shared::{NurturingEntryState, Weekday, WritingJobKind};
use wasm_bindgen::JsCast;

use crate::api::generated as gql;
use crate::api::reads::{candidate_queries, form_letters, preview_form_letter};
use crate::api::{self, ApiError};
use crate::components::labels;
use crate::components::selection::SelectCell;
use crate::components::status::{EmptyState, ErrorView, FormError, Loading};
use crate::components::time::{self, Time};
use crate::i18n::*;
use crate::pages::nurturing::LetterCard;
use crate::pages::settings::mutation;

type NurturingJob = gql::fragments::NurturingJobFields;
type FileDownload = gql::export_nurturing_jobs::ExportNurturingJobsExportNurturingJobs;

async fn nurturing_jobs() -> Result<Vec<NurturingJob>, ApiError> {
    api::run::<gql::NurturingJobs>(gql::nurturing_jobs::Variables)
        .await
        .map(|data| data.nurturing_jobs)
}

async fn nurturing_job(id: String) -> Result<NurturingJob, ApiError> {
    api::run::<gql::NurturingJob>(gql::nurturing_job::Variables { id })
        .await
        .map(|data| data.nurturing_job)
}

/// The job form; every field is sent, so the same shape creates and updates.
#[derive(Clone, Debug, PartialEq)]
struct JobForm {
    name: String,
    candidate_query_id: String,
    form_letter_id: String,
    weekdays: Vec<Weekday>,
    dispatch_time: String,
    time_zone: String,
    lead_time_hours: i64,
    enabled: bool,
}

/// The job form as the operations send it (every field set).
fn job_input(form: JobForm) -> gql::inputs::NurturingJobInput {
    gql::inputs::NurturingJobInput {
        name: Some(form.name),
        candidate_query_id: Some(form.candidate_query_id),
        form_letter_id: Some(form.form_letter_id),
        weekdays: Some(form.weekdays),
        dispatch_time: Some(form.dispatch_time),
        time_zone: Some(form.time_zone),
        lead_time_hours: Some(form.lead_time_hours),
        enabled: Some(form.enabled),
    }
}

/// Creates the job, or with `id` updates it.
async fn save_nurturing_job(id: Option<String>, form: JobForm) -> Result<(), ApiError> {
    match id {
        Some(id) => {
            let i = job_input(form);
            api::run::<gql::UpdateNurturingJob>(gql::update_nurturing_job::Variables { id, i })
                .await
                .map(|_| ())
        }
        None => {
            let i = job_input(form);
            api::run::<gql::CreateNurturingJob>(gql::create_nurturing_job::Variables { i })
                .await
                .map(|_| ())
        }
    }
}

/// Time zones offered in the editor; a job's own zone is always offered too.
const TIME_ZONES: [&str; 8] = [
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/London",
    "Europe/Paris",
    "America/New_York",
    "Asia/Singapore",
    "UTC",
];

fn confirm(text: &str) -> bool {
    window().confirm_with_message(text).unwrap_or(false)
}

/// Saves a file the API returned Base64-encoded, through a temporary link.
fn save_download(file: &FileDownload) {
    let url = format!("data:{};base64,{}", file.content_type, file.content_base64);
    let Some(document) = window().document() else {
        return;
    };
    if let Ok(link) = document.create_element("a") {
        let _ = link.set_attribute("href", &url);
        let _ = link.set_attribute("download", &file.file_name);
        if let Ok(link) = link.dyn_into::<web_sys::HtmlElement>() {
            link.click();
        }
    }
}

fn schedule_text(i18n: leptos_i18n::I18nContext<Locale>, job: &NurturingJob) -> String {
    let days: Vec<String> = job.weekdays.iter().map(|d| labels::weekday(i18n, *d)).collect();
    format!("{} {} ({})", days.join(", "), job.dispatch_time, job.time_zone)
}

fn counts_text(job: &NurturingJob) -> String {
    let c = &job.counts;
    format!(
        "{} / {} / {} / {} / {}",
        c.planned,
        c.blocked,
        c.sent + c.queued,
        c.documented_not_sent,
        c.failed
    )
}

#[component]
pub fn JobsPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0u32);
    let jobs = LocalResource::new(move || {
        refresh.track();
        nurturing_jobs()
    });
    let editing = RwSignal::new(None::<Option<NurturingJob>>);
    let (error, set_error) = signal(None::<ApiError>);
    let copy = mutation(refresh, set_error, |id: &String| {
        api::run::<gql::CopyNurturingJob>(gql::copy_nurturing_job::Variables { id: id.clone() })
    });
    let delete = mutation(refresh, set_error, |id: &String| {
        api::run::<gql::DeleteNurturingJob>(gql::delete_nurturing_job::Variables { id: id.clone() })
    });
    let export = Action::new_local(move |_: &()| {
        let language = if i18n.get_locale_untracked() == Locale::de {
            "de"
        } else {
            "en"
        };
        async move {
            let variables = gql::export_nurturing_jobs::Variables { l: language.to_owned() };
            match api::run::<gql::ExportNurturingJobs>(variables).await {
                Ok(data) => save_download(&data.export_nurturing_jobs),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let saved = Callback::new(move |()| {
        editing.set(None);
        refresh.update(|n| *n += 1);
    });
    view! {
        <section>
            <div class="actions">
                <button class="primary" data-testid="new-job" on:click=move |_| editing.set(Some(None))>{t!(i18n, jobs_new)}</button>
                <button data-testid="export-jobs" on:click=move |_| { export.dispatch(()); }>{t!(i18n, jobs_export)}</button>
                <A href="/nurturing-print" attr:class="button" attr:data-testid="print-jobs">{t!(i18n, jobs_print)}</A>
            </div>
            {move || editing.get().map(|job| view! { <JobEditor job saved cancel=Callback::new(move |()| editing.set(None))/> })}
            <FormError error/>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let list = jobs.await?;
                        if list.is_empty() {
                            return Ok::<_, ApiError>(view! { <EmptyState message=Signal::derive(move || t_string!(i18n, jobs_none).to_string())/> }.into_any());
                        }
                        Ok(view! {
                            <table class="list" data-testid="job-list">
                                <thead><tr>
                                    <th>{t!(i18n, nurturing_name)}</th><th>{t!(i18n, jobs_query)}</th><th>{t!(i18n, jobs_letter)}</th>
                                    <th>{t!(i18n, jobs_days)}</th><th>{t!(i18n, jobs_enabled)}</th><th>{t!(i18n, jobs_next)}</th>
                                    <th>{t!(i18n, jobs_counts)}</th><th></th>
                                </tr></thead>
                                <tbody>{list.into_iter().map(|job| {
                                    let (for_edit, copy_id, delete_id) = (job.clone(), job.id.clone(), job.id.clone());
                                    let (schedule, counts) = (schedule_text(i18n, &job), counts_text(&job));
                                    view! { <tr data-testid="job-row">
                                        <td><A href=format!("/nurturing/jobs/{}", job.id)>{job.name.clone()}</A></td>
                                        <td>{job.candidate_query_name.clone()}</td>
                                        <td>{job.form_letter_name.clone()}</td>
                                        <td>{schedule}</td>
                                        <td>{if job.enabled { "✓" } else { "–" }}</td>
                                        <td>{job.next_dispatch_at.as_deref().map(|at| time::date_time_in(i18n, at, &job.time_zone)).unwrap_or_default()}</td>
                                        <td data-testid="job-counts">{counts}</td>
                                        <td class="actions">
                                            <button on:click=move |_| editing.set(Some(Some(for_edit.clone())))>{t!(i18n, edit)}</button>
                                            <button on:click=move |_| { copy.dispatch(copy_id.clone()); }>{t!(i18n, jobs_copy)}</button>
                                            <button class="danger" on:click=move |_| {
                                                if confirm(t_string!(i18n, jobs_delete_confirm)) { delete.dispatch(delete_id.clone()); }
                                            }>{t!(i18n, delete)}</button>
                                        </td>
                                    </tr> }
                                }).collect_view()}</tbody>
                            </table>
                            <p class="muted">{t!(i18n, jobs_times_utc)}</p>
                        }.into_any())
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn JobEditor(job: Option<NurturingJob>, saved: Callback<()>, cancel: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let id = job.as_ref().map(|j| j.id.clone());
    let form = RwSignal::new(match &job {
        Some(j) => JobForm {
            name: j.name.clone(),
            candidate_query_id: j.candidate_query_id.clone(),
            form_letter_id: j.form_letter_id.clone(),
            weekdays: j.weekdays.clone(),
            dispatch_time: j.dispatch_time.clone(),
            time_zone: j.time_zone.clone(),
            lead_time_hours: j.lead_time_hours,
            enabled: j.enabled,
        },
        None => JobForm {
            name: String::new(),
            candidate_query_id: String::new(),
            form_letter_id: String::new(),
            weekdays: vec![
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
            ],
            dispatch_time: "08:00".to_owned(),
            time_zone: "Europe/Berlin".to_owned(),
            lead_time_hours: 24,
            enabled: false,
        },
    });
    let queries = LocalResource::new(candidate_queries);
    let letters = LocalResource::new(form_letters);
    let (error, set_error) = signal(None::<ApiError>);
    let save = Action::new_local(move |_: &()| {
        let (id, form) = (id.clone(), form.get_untracked());
        async move {
            match save_nurturing_job(id, form).await {
                Ok(_) => saved.run(()),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let mut zones: Vec<String> = TIME_ZONES.iter().map(|z| (*z).to_owned()).collect();
    if let Some(own) = job.as_ref().map(|j| j.time_zone.clone()).filter(|z| !zones.contains(z)) {
        zones.push(own);
    }
    view! {
        <form class="card form" data-testid="job-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
            <label>{t!(i18n, nurturing_name)}
                <input name="name" prop:value=move || form.with(|f| f.name.clone()) on:input=move |ev| form.update(|f| f.name = event_target_value(&ev))/></label>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let queries = queries.await.unwrap_or_default();
                    let letters = letters.await.unwrap_or_default();
                    view! {
                        <label>{t!(i18n, jobs_query)}
                            <select name="query" on:change=move |ev| form.update(|f| f.candidate_query_id = event_target_value(&ev))>
                                <option value="">{t!(i18n, jobs_choose)}</option>
                                {queries.into_iter().map(|q| {
                                    let id = q.id.clone();
                                    view! { <option value=q.id.clone() selected=move || form.with(|f| f.candidate_query_id == id)>{q.name.clone()}</option> }
                                }).collect_view()}
                            </select></label>
                        <label>{t!(i18n, jobs_letter)}
                            <select name="letter" on:change=move |ev| form.update(|f| f.form_letter_id = event_target_value(&ev))>
                                <option value="">{t!(i18n, jobs_choose)}</option>
                                {letters.into_iter().map(|l| {
                                    let id = l.id.clone();
                                    view! { <option value=l.id.clone() selected=move || form.with(|f| f.form_letter_id == id)>{l.name.clone()}</option> }
                                }).collect_view()}
                            </select></label>
                    }
                })}
            </Transition>
            <fieldset><legend>{t!(i18n, jobs_days)}</legend>
                {Weekday::ALL.iter().map(|day| {
                    let day = *day;
                    view! { <label class="check">
                        <input type="checkbox" data-testid=format!("day-{}", day.as_str()) prop:checked=move || form.with(|f| f.weekdays.contains(&day))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                form.update(|f| {
                                    f.weekdays.retain(|d| *d != day);
                                    if on { f.weekdays.push(day); }
                                });
                            }/>
                        {move || labels::weekday(i18n, day)}
                    </label> }
                }).collect_view()}
            </fieldset>
            <div class="grid">
                <label>{t!(i18n, jobs_time)}
                    <input type="time" name="dispatchTime" prop:value=move || form.with(|f| f.dispatch_time.clone())
                        on:change=move |ev| form.update(|f| f.dispatch_time = event_target_value(&ev))/></label>
                <label>{t!(i18n, jobs_time_zone)}
                    <select name="timeZone" on:change=move |ev| form.update(|f| f.time_zone = event_target_value(&ev))>
                        {zones.into_iter().map(|zone| {
                            let current = zone.clone();
                            view! { <option value=zone.clone() selected=move || form.with(|f| f.time_zone == current)>{zone.clone()}</option> }
                        }).collect_view()}
                    </select></label>
                <label>{t!(i18n, jobs_lead_time)}
                    <input type="number" name="leadTimeHours" min="0" prop:value=move || form.with(|f| f.lead_time_hours.to_string())
                        on:change=move |ev| form.update(|f| f.lead_time_hours = event_target_value(&ev).trim().parse::<i32>().map_or(0, i64::from))/></label>
                <label class="check">
                    <input type="checkbox" name="enabled" prop:checked=move || form.with(|f| f.enabled) on:change=move |ev| form.update(|f| f.enabled = event_target_checked(&ev))/>
                    {t!(i18n, jobs_enabled)}</label>
            </div>
            <FormError error/>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || save.pending().get()>{t!(i18n, save)}</button>
                <button type="button" on:click=move |_| cancel.run(())>{t!(i18n, cancel)}</button>
            </div>
        </form>
    }
}

/// The job list for paper: no navigation, just the table and a print button.
#[component]
pub fn JobsPrintPage() -> impl IntoView {
    let i18n = use_i18n();
    let jobs = LocalResource::new(nurturing_jobs);
    view! {
        <main class="page print" data-testid="jobs-print">
            <div class="actions no-print"><button on:click=move |_| { let _ = window().print(); }>{t!(i18n, jobs_print_now)}</button></div>
            <h1>{t!(i18n, nurturing_jobs)}</h1>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let list = jobs.await?;
                        Ok::<_, ApiError>(view! {
                            <table class="list">
                                <thead><tr><th>{t!(i18n, nurturing_name)}</th><th>{t!(i18n, jobs_query)}</th><th>{t!(i18n, jobs_letter)}</th>
                                    <th>{t!(i18n, jobs_days)}</th><th>{t!(i18n, jobs_lead_time)}</th><th>{t!(i18n, jobs_enabled)}</th>
                                    <th>{t!(i18n, jobs_next)}</th><th>{t!(i18n, jobs_last)}</th><th>{t!(i18n, jobs_counts)}</th></tr></thead>
                                <tbody>{list.into_iter().map(|job| view! { <tr>
                                    <td>{job.name.clone()}</td><td>{job.candidate_query_name.clone()}</td><td>{job.form_letter_name.clone()}</td>
                                    <td>{schedule_text(i18n, &job)}</td><td>{job.lead_time_hours}</td><td>{if job.enabled { "✓" } else { "–" }}</td>
                                    <td>{job.next_dispatch_at.as_deref().map(|at| time::date_time_in(i18n, at, &job.time_zone)).unwrap_or_default()}</td>
                                    <td>{job.last_dispatch_at.as_deref().map(|at| time::date_time_in(i18n, at, &job.time_zone)).unwrap_or_default()}</td>
                                    <td>{counts_text(&job)}</td>
                                </tr> }).collect_view()}</tbody>
                            </table>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

/// A job's file: its settings, the dispatch tab (entries with states and reasons,
/// blocking) and a preview of who it would write to next.
#[component]
pub fn JobFilePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let job_id = move || params.read().get("id").unwrap_or_default();
    let refresh = RwSignal::new(0u32);
    // The scheduler and the outbox change states in the background; the tab follows.
    if let Ok(handle) = set_interval_with_handle(move || refresh.update(|n| *n += 1), std::time::Duration::from_secs(3))
    {
        on_cleanup(move || handle.clear());
    }
    let job = LocalResource::new(move || {
        refresh.track();
        nurturing_job(job_id())
    });
    let state_filter = RwSignal::new(None::<NurturingEntryState>);
    let entries = LocalResource::new(move || {
        refresh.track();
        let variables = gql::nurturing_job_entries::Variables {
            j: job_id(),
            f: Some(gql::nurturing_job_entries::NurturingEntryFilter {
                state: state_filter.get(),
            }),
        };
        async move {
            api::run::<gql::NurturingJobEntries>(variables)
                .await
                .map(|data| data.nurturing_job_entries)
        }
    });
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let (error, set_error) = signal(None::<ApiError>);
    let block = mutation(refresh, set_error, move |ids: &Vec<String>| {
        api::run::<gql::BlockNurturingEntries>(gql::block_nurturing_entries::Variables { ids: ids.clone() })
    });
    let show_preview = RwSignal::new(false);
    view! {
        <section data-testid="job-file">
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let job = job.await?;
                        Ok::<_, ApiError>(view! {
                            <h2>{job.name.clone()}</h2>
                            <p>{schedule_text(i18n, &job)}" · "{t!(i18n, jobs_lead_time)}": "{job.lead_time_hours}
                                " · "{t!(i18n, jobs_next)}": "<span data-testid="job-next">{job.next_dispatch_at.as_deref().map(|at| time::date_time_in(i18n, at, &job.time_zone)).unwrap_or_default()}</span></p>
                            <p class="muted">{job.candidate_query_name.clone()}" → "{job.form_letter_name.clone()}</p>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            <nav class="tabs">
                <button class="tab" class:active=move || !show_preview.get() data-testid="tab-dispatch" on:click=move |_| show_preview.set(false)>{t!(i18n, jobs_dispatch_tab)}</button>
                <button class="tab" class:active=move || show_preview.get() data-testid="tab-preview" on:click=move |_| show_preview.set(true)>{t!(i18n, jobs_preview_tab)}</button>
            </nav>
            <FormError error/>
            <Show when=move || !show_preview.get() fallback=move || view! { <JobPreview job_id=job_id()/> }>
                <div class="actions">
                    <label>{t!(i18n, jobs_state_filter)}
                        <select data-testid="entry-state-filter" on:change=move |ev| state_filter.set(NurturingEntryState::parse(&event_target_value(&ev)))>
                            <option value="">{t!(i18n, jobs_all_states)}</option>
                            {NurturingEntryState::ALL.iter().map(|s| {
                                let s = *s;
                                view! { <option value=s.as_str()>{move || labels::entry_state(i18n, s)}</option> }
                            }).collect_view()}
                        </select></label>
                    <button data-testid="block-selected" disabled=move || selected.with(|s| s.is_empty())
                        on:click=move |_| { block.dispatch(selected.get_untracked().into_iter().collect()); selected.set(BTreeSet::new()); }>
                        {t!(i18n, jobs_block_selected)}</button>
                    <button on:click=move |_| refresh.update(|n| *n += 1)>{t!(i18n, jobs_refresh)}</button>
                </div>
                <Transition fallback=Loading>
                    <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                        {move || Suspend::new(async move {
                            let list = entries.await?;
                            if list.total_count == 0 {
                                return Ok::<_, ApiError>(view! { <EmptyState message=Signal::derive(move || t_string!(i18n, jobs_no_entries).to_string())/> }.into_any());
                            }
                            Ok(view! {
                                <table class="list" data-testid="entry-list">
                                    <thead><tr><th></th><th>{t!(i18n, jobs_candidate)}</th><th>{t!(i18n, jobs_planned_for)}</th>
                                        <th>{t!(i18n, jobs_state)}</th><th>{t!(i18n, jobs_reasons)}</th><th>{t!(i18n, jobs_problem)}</th></tr></thead>
                                    <tbody>{list.entries.edges.into_iter().map(|edge| {
                                        let entry = edge.node;
                                        let name = entry.candidate.as_ref().map(|c| format!("{} {}", c.first_name, c.last_name)).unwrap_or_default();
                                        let state = entry.state;
                                        let reasons: Vec<String> = entry.reasons.iter().map(|r| labels::match_reason(i18n, r.code, &r.value)).collect();
                                        view! { <tr data-testid="entry-row" data-state=state.as_str()>
                                            {if state == NurturingEntryState::Planned { view! { <SelectCell id=entry.id.clone() selected/> }.into_any() } else { view! { <td></td> }.into_any() }}
                                            <td><A href=format!("/candidates/{}", entry.candidate_id)>{name}</A></td>
                                            <td><Time at=entry.planned_for.clone()/></td>
                                            <td data-testid="entry-state">{move || labels::entry_state(i18n, state)}</td>
                                            <td>{reasons.join(" · ")}</td>
                                            <td>{entry.problem.clone().unwrap_or_default()}</td>
                                        </tr> }
                                    }).collect_view()}</tbody>
                                </table>
                            }.into_any())
                        })}
                    </ErrorBoundary>
                </Transition>
            </Show>
        </section>
    }
}

/// Who the job would write to at its next dispatch, with the letter for each.
#[component]
fn JobPreview(job_id: String) -> impl IntoView {
    let i18n = use_i18n();
    let preview = LocalResource::new({
        let job_id = job_id.clone();
        move || {
            let variables = gql::preview_nurturing_job::Variables { id: job_id.clone() };
            async move {
                api::run::<gql::PreviewNurturingJob>(variables)
                    .await
                    .map(|data| data.preview_nurturing_job)
            }
        }
    });
    let job = LocalResource::new(move || nurturing_job(job_id.clone()));
    let letter_for = RwSignal::new(None::<(String, Option<String>)>);
    let letter = LocalResource::new(move || async move {
        let chosen = letter_for.get();
        let letter_id = job.await.map(|j| j.form_letter_id)?;
        match chosen {
            Some((candidate, application)) => preview_form_letter(letter_id, candidate, application).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <section data-testid="job-preview">
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let preview = preview.await?;
                        Ok::<_, ApiError>(view! {
                            <h3>{t!(i18n, jobs_preview_at)}" "<Time at=preview.at.clone()/>": "<span data-testid="preview-count">{preview.total_count}</span></h3>
                            <ul>{preview.recipients.into_iter().map(|r| {
                                let reasons: Vec<String> = r.reasons.iter().map(|x| labels::match_reason(i18n, x.code, &x.value)).collect();
                                let chosen = (r.candidate_id.clone(), r.application_id.clone());
                                view! { <li>
                                    <A href=format!("/candidates/{}", r.candidate_id)>{format!("#{}", r.candidate_id)}</A>" "{reasons.join(" · ")}" "
                                    <button type="button" on:click=move |_| letter_for.set(Some(chosen.clone()))>{t!(i18n, jobs_preview_letter)}</button>
                                </li> }
                            }).collect_view()}</ul>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            <Transition fallback=|| ()>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let Some(letter) = letter.await? else { return Ok::<_, ApiError>(().into_any()) };
                        Ok(view! { <LetterCard letter testid="job-letter-preview"/> }.into_any())
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// The work centre: open writing jobs, filterable by type with one value per
/// nurturing job; deleting the writing job of a nurturing entry blocks the entry.
#[component]
pub fn WorkCentrePage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0u32);
    // "kind:<kind>" or "job:<id>"; empty for all.
    let filter = RwSignal::new(String::new());
    let jobs = LocalResource::new(nurturing_jobs);
    let list = LocalResource::new(move || {
        refresh.track();
        let filter = filter.get();
        let (kind, job) = match filter.split_once(':') {
            Some(("kind", kind)) => (WritingJobKind::parse(kind), None),
            Some(("job", id)) => (None, Some(id.to_owned())),
            _ => (None, None),
        };
        let variables = gql::writing_jobs::Variables {
            f: Some(gql::writing_jobs::WritingJobFilter {
                kind,
                nurturing_job_id: job,
                candidate_id: None,
                due_by: None,
            }),
        };
        async move {
            api::run::<gql::WritingJobs>(variables)
                .await
                .map(|data| data.writing_jobs)
        }
    });
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let (error, set_error) = signal(None::<ApiError>);
    let delete = mutation(refresh, set_error, |ids: &Vec<String>| {
        api::run::<gql::DeleteWritingJobs>(gql::delete_writing_jobs::Variables { ids: ids.clone() })
    });
    let creating = RwSignal::new(false);
    view! {
        <section data-testid="work-centre">
            <div class="actions">
                <label>{t!(i18n, writing_filter)}
                    <select data-testid="writing-filter" on:change=move |ev| filter.set(event_target_value(&ev))>
                        <option value="">{t!(i18n, writing_all)}</option>
                        {WritingJobKind::ALL.iter().filter(|k| **k != WritingJobKind::Nurturing).map(|k| {
                            let k = *k;
                            view! { <option value=format!("kind:{}", k.as_str())>{move || labels::writing_job_kind(i18n, k)}</option> }
                        }).collect_view()}
                        <Transition fallback=|| ()>{move || Suspend::new(async move {
                            jobs.await.unwrap_or_default().into_iter().map(|job| view! {
                                <option value=format!("job:{}", job.id)>{format!("{}: {}", t_string!(i18n, writing_kind_nurturing), job.name)}</option>
                            }).collect_view()
                        })}</Transition>
                    </select></label>
                <button class="primary" data-testid="new-writing-job" on:click=move |_| creating.set(true)>{t!(i18n, writing_new)}</button>
                <button class="danger" data-testid="delete-writing-jobs" disabled=move || selected.with(|s| s.is_empty()) on:click=move |_| {
                    if confirm(t_string!(i18n, writing_delete_confirm)) {
                        delete.dispatch(selected.get_untracked().into_iter().collect());
                        selected.set(BTreeSet::new());
                    }
                }>{t!(i18n, writing_delete_selected)}</button>
            </div>
            <Show when=move || creating.get()>
                <WritingJobEditor done=Callback::new(move |()| { creating.set(false); refresh.update(|n| *n += 1); })/>
            </Show>
            <FormError error/>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let page = list.await?;
                        if page.total_count == 0 {
                            return Ok::<_, ApiError>(view! { <EmptyState message=Signal::derive(move || t_string!(i18n, writing_none).to_string())/> }.into_any());
                        }
                        Ok(view! {
                            <table class="list" data-testid="writing-list">
                                <thead><tr><th></th><th>{t!(i18n, writing_due)}</th><th>{t!(i18n, writing_kind)}</th><th>{t!(i18n, writing_title)}</th>
                                    <th>{t!(i18n, writing_candidate)}</th><th>{t!(i18n, writing_note)}</th></tr></thead>
                                <tbody>{page.jobs.edges.into_iter().map(|edge| {
                                    let job = edge.node;
                                    let kind = job.kind;
                                    let name = job.candidate.as_ref().map(|c| format!("{} {}", c.first_name, c.last_name)).unwrap_or_default();
                                    view! { <tr data-testid="writing-row">
                                        <SelectCell id=job.id.clone() selected/>
                                        <td><Time at=job.due_at.clone()/></td>
                                        <td>{move || labels::writing_job_kind(i18n, kind)}</td>
                                        <td>{job.title.clone()}</td>
                                        <td><A href=format!("/candidates/{}", job.candidate_id)>{name}</A></td>
                                        <td>{job.note.clone().unwrap_or_default()}</td>
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
fn WritingJobEditor(done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let kind = RwSignal::new(WritingJobKind::Invitation);
    let search = RwSignal::new(String::new());
    let candidate = RwSignal::new(None::<(String, String)>);
    let letter = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let found = LocalResource::new(move || api::reads::search_candidates(search.get(), 8));
    let letters = LocalResource::new(form_letters);
    let (error, set_error) = signal(None::<ApiError>);
    let save = Action::new_local(move |_: &()| {
        let input = gql::inputs::WritingJobInput {
            kind: kind.get_untracked(),
            candidate_id: candidate.get_untracked().map(|(id, _)| id).unwrap_or_default(),
            application_id: None,
            form_letter_id: Some(letter.get_untracked()).filter(|l| !l.is_empty()),
            title: Some(title.get_untracked()).filter(|t| !t.trim().is_empty()),
            // A date input gives a day; the job is due at its start (UTC).
            due_at: Some(due.get_untracked())
                .filter(|d| !d.is_empty())
                .map(|d| format!("{d}T00:00:00Z")),
            note: Some(note.get_untracked()).filter(|n| !n.trim().is_empty()),
        };
        async move {
            match api::run::<gql::CreateWritingJob>(gql::create_writing_job::Variables { i: input }).await {
                Ok(_) => done.run(()),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    view! {
        <form class="card form" data-testid="writing-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
            <label>{t!(i18n, writing_kind)}
                <select name="kind" on:change=move |ev| if let Some(k) = WritingJobKind::parse(&event_target_value(&ev)) { kind.set(k) }>
                    {WritingJobKind::ALL.iter().filter(|k| **k != WritingJobKind::Nurturing).map(|k| {
                        let k = *k;
                        view! { <option value=k.as_str() selected=move || kind.get() == k>{move || labels::writing_job_kind(i18n, k)}</option> }
                    }).collect_view()}
                </select></label>
            <label>{t!(i18n, writing_candidate)}
                <input type="search" data-testid="writing-candidate-search" placeholder=move || t_string!(i18n, writing_search_candidate).to_string()
                    on:input=move |ev| search.set(event_target_value(&ev))/></label>
            <p>{move || candidate.get().map(|(_, name)| name).unwrap_or_default()}</p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = found.await.unwrap_or_default();
                    view! { <ul class="suggestions">{list.into_iter().map(|c| {
                        let pick = (c.id.clone(), format!("{} {}", c.first_name, c.last_name));
                        view! { <li><button type="button" data-testid="writing-candidate" on:click=move |_| candidate.set(Some(pick.clone()))>
                            {format!("{} {}", c.first_name, c.last_name)}</button></li> }
                    }).collect_view()}</ul> }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = letters.await.unwrap_or_default();
                    view! {
                        <label>{t!(i18n, jobs_letter)}
                            <select name="letter" on:change=move |ev| letter.set(event_target_value(&ev))>
                                <option value="">"—"</option>
                                {list.into_iter().map(|l| view! { <option value=l.id.clone()>{l.name.clone()}</option> }).collect_view()}
                            </select></label>
                    }
                })}
            </Transition>
            <label>{t!(i18n, writing_title)}<input name="title" prop:value=title on:input=move |ev| title.set(event_target_value(&ev))/></label>
            <label>{t!(i18n, writing_due)}<input type="date" name="due" prop:value=due on:change=move |ev| due.set(event_target_value(&ev))/></label>
            <label>{t!(i18n, writing_note)}<textarea name="note" rows="3" prop:value=note on:input=move |ev| note.set(event_target_value(&ev))></textarea></label>
            <FormError error/>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || save.pending().get()>{t!(i18n, save)}</button>
                <button type="button" on:click=move |_| done.run(())>{t!(i18n, cancel)}</button>
            </div>
        </form>
    }
}
