//! Parts of the candidate file: applications with their status, documents, and the
//! duplicate sets the candidate belongs to (confirm, dismiss, merge); plus the page of
//! all open duplicate sets.

use leptos::prelude::*;
use leptos_router::components::A;
use talentpost_shared::{ApplicationStatus, DuplicateStatus};

use crate::api::generated as gql;
use crate::api::reads::{form_letters, job_opening_choices, preview_form_letter};
use crate::api::{self, ApiError};
use crate::components::documents::DocumentList;
use crate::components::labels;
use crate::components::status::{EmptyState, ErrorView, FormError, Loading};
use crate::components::time::{self, Time};
use crate::components::toast::saved;
use crate::i18n::*;

/// One application as the candidate file lists it.
pub type Application = gql::candidate::CandidateCandidateApplications;
type Document = gql::fragments::DocumentFields;
type DuplicateSet = gql::fragments::DuplicateSetFields;

#[component]
pub fn ApplicationsSection(
    candidate_id: String,
    applications: Vec<Application>,
    on_changed: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let (error, set_error) = signal(None::<ApiError>);
    let change = Action::new_local(move |(id, status): &(String, ApplicationStatus)| {
        let (id, status) = (id.clone(), *status);
        async move {
            match api::run::<gql::SetApplicationStatus>(gql::set_application_status::Variables { id, status }).await {
                Ok(_) => {
                    set_error.set(None);
                    saved(i18n);
                    on_changed.run(());
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let openings = LocalResource::new(job_opening_choices);
    let adding = RwSignal::new(None::<String>);
    let add = Action::new_local(move |opening: &Option<String>| {
        let (candidate_id, opening) = (candidate_id.clone(), opening.clone());
        async move {
            let variables = gql::create_application::Variables {
                c: candidate_id,
                o: opening,
            };
            match api::run::<gql::CreateApplication>(variables).await {
                Ok(_) => {
                    set_error.set(None);
                    adding.set(None);
                    saved(i18n);
                    on_changed.run(());
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    view! {
        <section data-testid="applications">
            <h2>{t!(i18n, candidate_applications)}</h2>
            {if applications.is_empty() {
                view! { <p class="muted">{t!(i18n, candidate_no_applications)}</p> }.into_any()
            } else {
                view! {
                    <table class="list">
                        <thead><tr><th>{t!(i18n, inbox_job_opening)}</th><th>{t!(i18n, application_source)}</th>
                            <th>{t!(i18n, application_applied)}</th><th>{t!(i18n, candidate_status)}</th></tr></thead>
                        <tbody>{applications.into_iter().map(|a| {
                            let (id, current, source) = (a.id.clone(), a.status, a.source_medium);
                            view! { <tr data-testid="application-row">
                                <td>{a.job_opening.map(|o| o.title).unwrap_or_else(|| t_string!(i18n, inbox_unsolicited).to_string())}</td>
                                <td>{move || labels::source_medium(i18n, source)}</td>
                                <td><Time at=a.applied_at.clone()/></td>
                                <td><select data-testid="application-status" on:change=move |ev| {
                                    if let Some(status) = ApplicationStatus::parse(&event_target_value(&ev)) {
                                        change.dispatch((id.clone(), status));
                                    }
                                }>
                                    {ApplicationStatus::ALL.iter().map(|s| {
                                        let s = *s;
                                        view! { <option value=s.as_str() selected=s == current>{move || labels::application_status(i18n, s)}</option> }
                                    }).collect_view()}
                                </select></td>
                            </tr> }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
            <div class="actions">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let openings = openings.await.unwrap_or_default();
                        view! {
                            <select data-testid="new-application-opening" aria-label=move || t_string!(i18n, application_add).to_string() on:change=move |ev| adding.set(Some(event_target_value(&ev)))>
                                <option value="">{t!(i18n, inbox_unsolicited)}</option>
                                {openings.into_iter().map(|o| view! { <option value=o.id.clone()>{o.title.clone()}</option> }).collect_view()}
                            </select>
                        }
                    })}
                </Transition>
                <button data-testid="add-application" disabled=move || add.pending().get()
                    on:click=move |_| { add.dispatch(adding.get_untracked().filter(|o| !o.is_empty())); }>
                    {t!(i18n, application_add)}</button>
            </div>
            <FormError error/>
        </section>
    }
}

#[component]
pub fn DocumentsSection(documents: Vec<Document>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section data-testid="candidate-documents">
            <h2>{t!(i18n, inbox_documents)}</h2>
            <DocumentList documents/>
        </section>
    }
}

/// The duplicate sets of one candidate; merging folds the others into this one.
#[component]
pub fn DuplicatesSection(candidate_id: String, sets: Vec<DuplicateSet>, on_changed: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    if sets.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="duplicates" data-testid="duplicate-sets">
            <h2>{t!(i18n, duplicates_of_candidate)}</h2>
            {sets.into_iter().map(|set| view! { <DuplicateSetCard set keep=Some(candidate_id.clone()) on_changed/> }).collect_view()}
        </section>
    }
    .into_any()
}

/// One set with its members and the three decisions. With `keep`, the merge keeps that
/// candidate; without, each member offers "keep this one".
#[component]
fn DuplicateSetCard(set: DuplicateSet, keep: Option<String>, on_changed: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let (error, set_error) = signal(None::<ApiError>);
    let member_ids: Vec<String> = set.members.iter().map(|m| m.id.clone()).collect();
    let merge = Action::new_local(move |target: &String| {
        let target = target.clone();
        let sources: Vec<String> = member_ids.iter().filter(|id| **id != target).cloned().collect();
        async move {
            match api::run::<gql::MergeCandidates>(gql::merge_candidates::Variables { t: target, s: sources }).await {
                Ok(_) => {
                    saved(i18n);
                    on_changed.run(())
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let set_id = set.id.clone();
    let decide = Action::new_local(move |confirm: &bool| {
        let (set_id, confirm) = (set_id.clone(), *confirm);
        async move {
            // The verdict: the same person (confirm) or not (dismiss).
            let result = if confirm {
                api::run::<gql::ConfirmDuplicate>(gql::confirm_duplicate::Variables { id: set_id })
                    .await
                    .map(drop)
            } else {
                api::run::<gql::DismissDuplicate>(gql::dismiss_duplicate::Variables { id: set_id })
                    .await
                    .map(drop)
            };
            match result {
                Ok(()) => on_changed.run(()),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let (reason, status) = (set.reason, set.status);
    let keep_for_button = keep.clone();
    view! {
        <div class="card duplicate-set" data-testid="duplicate-set">
            <p>
                <strong>{move || labels::duplicate_reason(i18n, reason)}</strong>
                {(status == DuplicateStatus::Confirmed).then(|| view! { " · " <span class="pill">{t!(i18n, duplicates_confirmed)}</span> })}
            </p>
            <ul>
                {set.members.into_iter().map(|m| {
                    let id = m.id.clone();
                    let is_kept = keep.as_deref() == Some(m.id.as_str());
                    view! { <li>
                        <A href=format!("/candidates/{}", m.id)>{format!("{} {}", m.first_name, m.last_name)}</A>
                        <span class="muted">{format!(" {} {} {}", m.emails.join(", "), m.phone.clone().unwrap_or_default(), m.birthday.as_deref().map(|day| time::date(i18n, day)).unwrap_or_default())}</span>
                        {(keep.is_none()).then(|| view! {
                            " " <button data-testid="keep-member" on:click=move |_| { merge.dispatch(id.clone()); }>{t!(i18n, duplicates_keep_this)}</button>
                        })}
                        {is_kept.then(|| view! { " " <span class="pill">{t!(i18n, duplicates_this_one)}</span> })}
                    </li> }
                }).collect_view()}
            </ul>
            <div class="actions">
                {keep_for_button.map(|target| view! {
                    <button class="primary" data-testid="merge-here" on:click=move |_| { merge.dispatch(target.clone()); }>{t!(i18n, duplicates_merge_here)}</button>
                })}
                {(status != DuplicateStatus::Confirmed).then(|| view! {
                    <button data-testid="confirm-duplicate" on:click=move |_| { decide.dispatch(true); }>{t!(i18n, duplicates_confirm)}</button>
                })}
                <button data-testid="dismiss-duplicate" on:click=move |_| { decide.dispatch(false); }>{t!(i18n, duplicates_dismiss)}</button>
            </div>
            <FormError error/>
        </div>
    }
}

/// Every open (or confirmed) duplicate set of the organisation.
#[component]
pub fn DuplicatesPage() -> impl IntoView {
    let i18n = use_i18n();
    let status = RwSignal::new(DuplicateStatus::Open);
    let refresh = RwSignal::new(0u32);
    let sets = LocalResource::new(move || {
        refresh.track();
        let status = status.get();
        async move {
            api::run::<gql::DuplicateSets>(gql::duplicate_sets::Variables { status: Some(status) })
                .await
                .map(|data| data.duplicate_sets)
        }
    });
    let on_changed = Callback::new(move |()| refresh.update(|n| *n += 1));
    view! {
        <main class="page">
            <A href="/candidates" attr:class="back">{t!(i18n, candidate_back)}</A>
            <div class="page-head">
                <h1>{t!(i18n, duplicates_title)}</h1>
                <select data-testid="duplicate-status" aria-label=move || t_string!(i18n, duplicates_status_label).to_string() on:change=move |ev| if let Some(s) = DuplicateStatus::parse(&event_target_value(&ev)) { status.set(s) }>
                    {DuplicateStatus::ALL.iter().map(|s| {
                        let s = *s;
                        view! { <option value=s.as_str() selected=move || status.get() == s>{move || labels::duplicate_status(i18n, s)}</option> }
                    }).collect_view()}
                </select>
            </div>
            <p class="muted">{t!(i18n, duplicates_explained)}</p>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let page = sets.await?;
                        if page.edges.is_empty() {
                            return Ok::<_, ApiError>(view! { <EmptyState message=Signal::derive(move || t_string!(i18n, duplicates_none).to_string())/> }.into_any());
                        }
                        Ok(page.edges.into_iter().map(|e| view! { <DuplicateSetCard set=e.node keep=None on_changed/> }).collect_view().into_any())
                    })}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

/// Writing a form letter to the candidate (a rejection, say): pick the letter and the
/// application it is about, look at it, send it. Without a working address the letter is
/// recorded in the history to be sent by post.
#[component]
pub fn FormLetterSection(
    candidate_id: String,
    applications: Vec<Application>,
    on_changed: Callback<()>,
    /// Owned by the page, so the outcome stays visible when the file reloads after sending.
    done: RwSignal<Option<bool>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let letters = LocalResource::new(form_letters);
    let letter = RwSignal::new(String::new());
    let application = RwSignal::new(applications.first().map(|a| a.id.clone()).unwrap_or_default());
    let (error, set_error) = signal(None::<ApiError>);
    let chosen = move || {
        let letter = letter.get();
        (!letter.is_empty()).then(|| (letter, Some(application.get()).filter(|a| !a.is_empty())))
    };
    let id_preview = candidate_id.clone();
    let preview = LocalResource::new(move || {
        let (candidate, chosen) = (id_preview.clone(), chosen());
        async move {
            match chosen {
                Some((letter, application)) => preview_form_letter(letter, candidate, application).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let send = Action::new_local(move |_: &()| {
        let (candidate, chosen) = (candidate_id.clone(), chosen());
        async move {
            let Some((letter, application)) = chosen else {
                return;
            };
            let variables = gql::send_form_letter::Variables {
                id: letter,
                c: candidate,
                a: application,
            };
            match api::run::<gql::SendFormLetter>(variables)
                .await
                .map(|data| data.send_form_letter)
            {
                Ok(sent) => {
                    set_error.set(None);
                    done.set(Some(sent.documented_only));
                    on_changed.run(());
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    view! {
        <section class="card" data-testid="form-letter-section">
            <h2>{t!(i18n, letter_send_title)}</h2>
            <div class="actions">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = letters.await.unwrap_or_default();
                        view! {
                            <select data-testid="letter-choice" aria-label=move || t_string!(i18n, letter_choose).to_string() on:change=move |ev| { done.set(None); letter.set(event_target_value(&ev)); }>
                                <option value="">{t!(i18n, letter_choose)}</option>
                                {list.into_iter().map(|l| view! { <option value=l.id.clone()>{l.name.clone()}</option> }).collect_view()}
                            </select>
                        }
                    })}
                </Transition>
                <select data-testid="letter-application" aria-label=move || t_string!(i18n, letter_application_label).to_string() on:change=move |ev| application.set(event_target_value(&ev))>
                    {applications.into_iter().map(|a| {
                        let title = a.job_opening.map(|o| o.title).unwrap_or_else(|| t_string!(i18n, inbox_unsolicited).to_string());
                        view! { <option value=a.id.clone()>{title}</option> }
                    }).collect_view()}
                    <option value="">{t!(i18n, letter_no_application)}</option>
                </select>
                <button class="primary" data-testid="letter-send" disabled=move || letter.with(String::is_empty) || send.pending().get()
                    on:click=move |_| { send.dispatch(()); }>{t!(i18n, letter_send)}</button>
            </div>
            <FormError error/>
            {move || done.get().map(|documented| view! {
                <p class="notice" role="status" data-testid="letter-done">
                    {if documented { t_string!(i18n, letter_documented).to_string() } else { t_string!(i18n, letter_queued).to_string() }}
                </p>
            })}
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let Some(preview) = preview.await? else { return Ok::<_, ApiError>(().into_any()) };
                        Ok(view! {
                            <div class="preview" data-testid="letter-section-preview">
                                <p><strong>{preview.subject}</strong>" "<span class="muted">{preview.to.unwrap_or_else(|| t_string!(i18n, nurturing_no_address).to_string())}</span></p>
                                <pre class="message">{preview.body_text}</pre>
                            </div>
                        }.into_any())
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}
