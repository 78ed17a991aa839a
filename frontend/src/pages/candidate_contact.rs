//! The contact part of the candidate view: writing an e-mail, recording a call or a
//! letter, and the history of every contact, newest first, with mail status live.

use leptos::prelude::*;
use leptos_router::components::A;
use talentpost_shared::ContactMedium;
use wasm_bindgen::JsCast;

use crate::api::generated as gql;
use crate::api::live::LiveInbox;
use crate::api::{self, ApiError};
use crate::components::labels;
use crate::components::status::{EmptyState, ErrorView, FormError, Loading};
use crate::components::time::Time;
use crate::i18n::*;
use crate::pages::outbox::OutboxStatusView;

/// An application of the candidate, as the candidate view reads it.
type Application = gql::candidate::CandidateCandidateApplications;
/// A history entry with its mail's delivery status (for sent mail).
type ContactEvent = gql::contact_history::ContactHistoryContactHistory;

/// What subjects and bodies can use (the server names an unknown one).
const PLACEHOLDERS: &[&str] = &[
    "candidate.first_name",
    "candidate.last_name",
    "candidate.name",
    "job_opening.title",
    "sender.name",
    "sender.company",
    "recruiter.name",
];

/// Contacts recorded by hand; mail entries come from sending and receiving.
const MANUAL_MEDIA: [ContactMedium; 5] = [
    ContactMedium::PhoneOut,
    ContactMedium::PhoneIn,
    ContactMedium::LetterOut,
    ContactMedium::FaxOut,
    ContactMedium::InPerson,
];

#[component]
pub fn ContactSection(candidate_id: String, applications: Vec<Application>) -> impl IntoView {
    let i18n = use_i18n();
    let live = expect_context::<LiveInbox>();
    let refresh = RwSignal::new(0u32);
    let id_for_history = candidate_id.clone();
    let history = LocalResource::new(move || {
        refresh.track();
        live.outbox_version.track();
        let id = id_for_history.clone();
        async move { api::run::<gql::ContactHistory>(gql::contact_history::Variables { id }).await }
    });
    let filter = RwSignal::new(None::<ContactMedium>);
    let composing = RwSignal::new(false);
    // Set by "Reply" on a received mail: (inbox item, its subject).
    let replying = RwSignal::new(None::<(String, String)>);
    let recording = RwSignal::new(false);
    let changed = Callback::new(move |_: ()| refresh.update(|n| *n += 1));
    let (id_compose, id_record) = (candidate_id.clone(), candidate_id);
    view! {
        <section class="contact" data-testid="contact-section">
            <header class="page-head">
                <h2>{t!(i18n, history_title)}</h2>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let last = history.await.ok().and_then(|history| history.candidate.last_contact_at);
                        view! {
                            <span class="muted" data-testid="last-contact">{t!(i18n, history_last_contact)}": "
                                {match last { Some(at) => view! { <Time at/> }.into_any(), None => t!(i18n, history_never).into_any() }}</span>
                        }
                    })}
                </Transition>
                <div class="actions">
                    <button class="primary" data-testid="compose-open" on:click=move |_| { replying.set(None); composing.update(|open| *open = !*open); }>{t!(i18n, compose_title)}</button>
                    <button data-testid="contact-open" on:click=move |_| recording.update(|open| *open = !*open)>{t!(i18n, contact_add_title)}</button>
                </div>
            </header>
            {move || composing.get().then(|| view! {
                <ComposeForm candidate_id=id_compose.clone() applications=applications.clone() reply_to=replying.get()
                    on_sent=Callback::new(move |_| { composing.set(false); replying.set(None); changed.run(()); })/>
            })}
            <Show when=move || recording.get()>
                <ContactForm candidate_id=id_record.clone() on_saved=Callback::new(move |_| { recording.set(false); changed.run(()); })/>
            </Show>
            <label class="filter">
                <select data-testid="history-filter" aria-label=move || t_string!(i18n, history_filter_label).to_string() on:change=move |ev| filter.set(ContactMedium::parse(&event_target_value(&ev)))>
                    <option value="">{t!(i18n, history_filter_all)}</option>
                    {ContactMedium::ALL.iter().map(|medium| {
                        let medium = *medium;
                        view! { <option value=medium.as_str()>{move || labels::contact_medium(i18n, medium)}</option> }
                    }).collect_view()}
                </select>
            </label>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let entries: Vec<ContactEvent> = history.await?.contact_history;
                        let shown: Vec<ContactEvent> = entries.into_iter().filter(|e| filter.get().is_none_or(|m| m == e.contact_event_fields.medium)).collect();
                        let on_reply = Callback::new(move |target: (String, String)| { replying.set(Some(target)); composing.set(true); });
                        Ok::<_, ApiError>(view! { <HistoryList entries=shown on_reply/> })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn HistoryList(entries: Vec<ContactEvent>, on_reply: Callback<(String, String)>) -> impl IntoView {
    let i18n = use_i18n();
    if entries.is_empty() {
        return view! { <EmptyState message=Signal::derive(move || t_string!(i18n, history_empty).to_string())/> }
            .into_any();
    }
    let items = entries
        .into_iter()
        .map(|entry| {
            let mail = entry.outbox_message.map(|message| view! { <OutboxStatusView message/> });
            let entry = entry.contact_event_fields;
            let medium = entry.medium;
            let subject_text = entry.subject.clone().unwrap_or_default();
            let received = entry.inbox_item_id.clone().map(|id| {
                let target = (id.clone(), subject_text.clone());
                view! {
                    <A href=format!("/inbox/{id}")>{subject_text.clone()}</A>" "
                    <button class="link" data-testid="history-reply" on:click=move |_| on_reply.run(target.clone())>{t!(i18n, compose_reply)}</button>
                }
            });
            let subject = if received.is_some() { None } else { entry.subject.clone().map(|s| view! { <strong>{s}</strong> }) };
            view! {
                <li data-testid="history-entry" data-medium=medium.as_str()>
                    <div class="when"><Time at=entry.occurred_at.clone()/></div>
                    <div class="what">
                        <span class="medium">{move || labels::contact_medium(i18n, medium)}</span>" "
                        {subject}{received}
                        {entry.note.clone().map(|note| view! { <p class="note">{note}</p> })}
                        {mail}
                    </div>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="history" data-testid="history">{items}</ul> }.into_any()
}

#[component]
fn ComposeForm(
    candidate_id: String,
    applications: Vec<Application>,
    reply_to: Option<(String, String)>,
    on_sent: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let to = RwSignal::new(String::new());
    let application = RwSignal::new(applications.first().map(|a| a.id.clone()).unwrap_or_default());
    let answered = reply_to.as_ref().map(|(id, _)| id.clone());
    let subject = RwSignal::new(reply_to.map(|(_, subject)| reply_subject(&subject)).unwrap_or_default());
    let body = RwSignal::new(String::new());
    // Browser files are not Send; a local signal keeps them on this (only) thread.
    let files = RwSignal::new_local(Vec::<web_sys::File>::new());
    let (error, set_error) = signal(None::<ApiError>);
    let send = Action::new_local(move |_: &()| {
        let attachments = files.get_untracked();
        let to = to.get_untracked();
        let input = gql::inputs::SendMessageInput {
            candidate_id: candidate_id.clone(),
            application_id: Some(application.get_untracked()).filter(|id| !id.is_empty()),
            // Empty: the server picks the candidate's address.
            to: Some(to).filter(|to| !to.trim().is_empty()),
            subject: subject.get_untracked(),
            body: body.get_untracked(),
            // One null per file; the files travel in the multipart body at these paths.
            attachments: vec![(); attachments.len()],
            in_reply_to_inbox_item_id: answered.clone(),
        };
        async move {
            let variables = gql::send_message::Variables { input };
            let result = if attachments.is_empty() {
                api::run::<gql::SendMessage>(variables).await
            } else {
                let files: Vec<(String, web_sys::File)> = attachments
                    .into_iter()
                    .enumerate()
                    .map(|(index, file)| (format!("variables.input.attachments.{index}"), file))
                    .collect();
                api::run_with_files::<gql::SendMessage>(variables, &files).await
            };
            match result {
                Ok(_) => on_sent.run(()),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    view! {
        <form class="card form compose" data-testid="compose-form" on:submit=move |ev| { ev.prevent_default(); send.dispatch(()); }>
            <h3>{t!(i18n, compose_title)}</h3>
            <div class="row">
                <label class="grow">{t!(i18n, compose_to)}
                    <input name="to" type="email" prop:value=to on:input=move |ev| to.set(event_target_value(&ev))/>
                    <span class="muted">{t!(i18n, compose_to_hint)}</span></label>
                <label class="grow">{t!(i18n, compose_application)}
                    <select name="application" prop:value=move || application.get() on:change=move |ev| application.set(event_target_value(&ev))>
                        <option value="">{t!(i18n, compose_no_application)}</option>
                        {applications.iter().map(|a| {
                            let title = a.job_opening.as_ref().map(|o| o.title.clone()).unwrap_or_else(|| t_string!(i18n, inbox_unsolicited).to_string());
                            view! { <option value=a.id.clone()>{title}</option> }
                        }).collect_view()}
                    </select></label>
            </div>
            <label>{t!(i18n, compose_subject)}
                <input name="subject" required prop:value=subject on:input=move |ev| subject.set(event_target_value(&ev))/></label>
            <label>{t!(i18n, compose_body)}
                <textarea name="body" rows="8" required prop:value=body on:input=move |ev| body.set(event_target_value(&ev))></textarea></label>
            <p class="muted">{t!(i18n, compose_placeholders)}" "
                {PLACEHOLDERS.iter().map(|name| view! { <code>{format!("{{{{ {name} }}}}")}</code>" " }).collect_view()}</p>
            <label>{t!(i18n, compose_attachments)}
                <input name="attachments" type="file" multiple on:change=move |ev| {
                    let input = ev.target().and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok());
                    let list = input.and_then(|input| input.files());
                    let chosen = list.map(|list| (0..list.length()).filter_map(|index| list.get(index)).collect()).unwrap_or_default();
                    files.set(chosen);
                }/></label>
            <FormError error/>
            <div class="actions">
                <button type="submit" class="primary" data-testid="compose-send" disabled=move || send.pending().get()>{t!(i18n, compose_send)}</button>
            </div>
        </form>
    }
}

#[component]
fn ContactForm(candidate_id: String, on_saved: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let medium = RwSignal::new(ContactMedium::PhoneOut);
    let when = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let (error, set_error) = signal(None::<ApiError>);
    let save = Action::new_local(move |_: &()| {
        // The browser gives local time without a zone; the server wants an instant.
        let occurred = when.get_untracked();
        let occurred_at = (!occurred.is_empty()).then(|| {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&occurred));
            String::from(date.to_iso_string())
        });
        let input = gql::inputs::ContactEventInput {
            candidate_id: candidate_id.clone(),
            application_id: None,
            medium: medium.get_untracked(),
            occurred_at,
            subject: Some(subject.get_untracked()),
            note: Some(note.get_untracked()),
        };
        async move {
            match api::run::<gql::AddContactEvent>(gql::add_contact_event::Variables { input }).await {
                Ok(_) => on_saved.run(()),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    view! {
        <form class="card form" data-testid="contact-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
            <h3>{t!(i18n, contact_add_title)}</h3>
            <div class="row">
                <label class="grow">{t!(i18n, contact_medium)}
                    <select name="medium" prop:value=move || medium.get().as_str()
                        on:change=move |ev| if let Some(chosen) = ContactMedium::parse(&event_target_value(&ev)) { medium.set(chosen) }>
                        {MANUAL_MEDIA.iter().map(|option| {
                            let option = *option;
                            view! { <option value=option.as_str()>{move || labels::contact_medium(i18n, option)}</option> }
                        }).collect_view()}
                    </select></label>
                <label class="grow">{t!(i18n, contact_when)}
                    <input name="occurredAt" type="datetime-local" prop:value=when on:input=move |ev| when.set(event_target_value(&ev))/></label>
            </div>
            <label>{t!(i18n, contact_subject)}
                <input name="subject" prop:value=subject on:input=move |ev| subject.set(event_target_value(&ev))/></label>
            <label>{t!(i18n, contact_note)}
                <textarea name="note" rows="3" prop:value=note on:input=move |ev| note.set(event_target_value(&ev))></textarea></label>
            <FormError error/>
            <div class="actions">
                <button type="submit" class="primary" data-testid="contact-save" disabled=move || save.pending().get()>{t!(i18n, contact_add)}</button>
            </div>
        </form>
    }
}

/// "Re: …" once, however many prefixes the answered mail had.
fn reply_subject(subject: &str) -> String {
    let mut rest = subject.trim();
    while let Some(stripped) = ["Re:", "RE:", "re:", "AW:", "Aw:", "aw:"]
        .iter()
        .find_map(|prefix| rest.strip_prefix(prefix))
    {
        rest = stripped.trim_start();
    }
    format!("Re: {rest}")
}
