//! The outbox: every outgoing mail with its delivery status, live, with "try again"
//! and "cancel".

use leptos::prelude::*;
use talentpost_shared::{OutboxChannel, OutboxStatus};

use crate::api::generated as gql;
use crate::api::live::LiveInbox;
use crate::api::{self, ApiError};
use crate::components::labels;
use crate::components::status::{EmptyState, ErrorView, FormError, Loading};
use crate::components::time::Time;
use crate::i18n::*;

type OutboxMessage = gql::fragments::OutboxMessageFields;

#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    All,
    Waiting,
    Sent,
    Failed,
    Cancelled,
}

impl View {
    fn statuses(self) -> Vec<OutboxStatus> {
        match self {
            Self::All => Vec::new(),
            Self::Waiting => vec![OutboxStatus::Queued, OutboxStatus::Sending, OutboxStatus::Retrying],
            Self::Sent => vec![OutboxStatus::Sent],
            Self::Failed => vec![OutboxStatus::Failed, OutboxStatus::Bounced, OutboxStatus::NotSent],
            Self::Cancelled => vec![OutboxStatus::Cancelled],
        }
    }
}

#[component]
pub fn OutboxPage() -> impl IntoView {
    let i18n = use_i18n();
    let live = expect_context::<LiveInbox>();
    let chosen = RwSignal::new(View::All);
    let refresh = RwSignal::new(0u32);
    let messages = LocalResource::new(move || {
        refresh.track();
        live.outbox_version.track();
        let statuses = chosen.get().statuses();
        async move {
            // No statuses: every message (the filter's null, not an empty list).
            let filter = gql::inputs::OutboxFilterInput {
                statuses: (!statuses.is_empty()).then_some(statuses),
                candidate_id: None,
            };
            let data =
                api::run::<gql::OutboxMessages>(gql::outbox_messages::Variables { filter: Some(filter) }).await?;
            Ok::<_, ApiError>(data.outbox_messages)
        }
    });
    let (error, set_error) = signal(None::<ApiError>);
    let act = Action::new_local(move |(id, retry): &(String, bool)| {
        let (id, retry) = (id.clone(), *retry);
        async move {
            let result = if retry {
                api::run::<gql::RetryOutboxMessage>(gql::retry_outbox_message::Variables { id })
                    .await
                    .map(|data| data.retry_outbox_message)
            } else {
                api::run::<gql::CancelOutboxMessage>(gql::cancel_outbox_message::Variables { id })
                    .await
                    .map(|data| data.cancel_outbox_message)
            };
            match result {
                Ok(_) => set_error.set(None),
                Err(e) => set_error.set(Some(e)),
            }
            refresh.update(|n| *n += 1);
        }
    });
    let tab = move |view: View, label: Signal<String>, testid: &'static str| {
        view! {
            <button class=move || if chosen.get() == view { "tab active" } else { "tab" } data-testid=testid
                on:click=move |_| chosen.set(view)>{label}</button>
        }
    };
    view! {
        <main class="page outbox">
            <h1>{t!(i18n, outbox_title)}</h1>
            <nav class="tabs">
                {tab(View::All, Signal::derive(move || t_string!(i18n, outbox_filter_all).to_string()), "outbox-all")}
                {tab(View::Waiting, Signal::derive(move || t_string!(i18n, outbox_filter_waiting).to_string()), "outbox-waiting")}
                {tab(View::Sent, Signal::derive(move || t_string!(i18n, outbox_filter_sent).to_string()), "outbox-sent")}
                {tab(View::Failed, Signal::derive(move || t_string!(i18n, outbox_filter_failed).to_string()), "outbox-failed")}
                {tab(View::Cancelled, Signal::derive(move || t_string!(i18n, outbox_filter_cancelled).to_string()), "outbox-cancelled")}
            </nav>
            <FormError error/>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let page = messages.await?;
                        let list: Vec<OutboxMessage> = page.edges.into_iter().map(|edge| edge.node).collect();
                        Ok::<_, ApiError>(view! { <OutboxTable list act/> })
                    })}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

#[component]
fn OutboxTable(list: Vec<OutboxMessage>, act: Action<(String, bool), ()>) -> impl IntoView {
    let i18n = use_i18n();
    if list.is_empty() {
        return view! { <EmptyState message=Signal::derive(move || t_string!(i18n, outbox_empty).to_string())/> }
            .into_any();
    }
    let dropped = list.iter().any(|m| m.channel == OutboxChannel::DropFolder);
    let admin = use_context::<crate::app::Session>().is_some_and(|session| session.manages_mail());
    let rows = list
        .into_iter()
        .map(|message| view! { <OutboxRow message act/> })
        .collect_view();
    view! {
        {dropped.then(|| view! {
            <div class="notice warning" data-testid="drop-notice">
                <p>{t!(i18n, outbox_drop_notice)}</p>
                {if admin {
                    view! {
                        <p><leptos_router::components::A href="/settings/outgoing">{t!(i18n, outbox_drop_admin)}</leptos_router::components::A></p>
                        <details class="technical"><summary>{t!(i18n, technical_details)}</summary><p>{t!(i18n, outbox_drop_technical)}</p></details>
                    }.into_any()
                } else {
                    view! { <p>{t!(i18n, outbox_drop_recruiter)}</p> }.into_any()
                }}
            </div>
        })}
        <table class="list" data-testid="outbox-list">
            <thead><tr>
                <th>{t!(i18n, outbox_created)}</th>
                <th>{t!(i18n, outbox_to)}</th>
                <th>{t!(i18n, outbox_subject)}</th>
                <th>{t!(i18n, outbox_status)}</th>
                <th>{t!(i18n, outbox_attempts)}</th>
                <th></th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn OutboxRow(message: OutboxMessage, act: Action<(String, bool), ()>) -> impl IntoView {
    let i18n = use_i18n();
    let status = message.status;
    let channel = message.channel;
    let (retryable, cancellable) = (status.can_retry(), status.can_cancel());
    let (id_retry, id_cancel) = (message.id.clone(), message.id.clone());
    view! {
        <tr data-testid="outbox-row" data-status=status.as_str() data-subject=message.subject.clone()>
            <td><Time at=message.created_at.clone()/></td>
            <td>{message.to_address.clone()}<br/><span class="muted">{format!("{} <{}>", message.from_name.clone().unwrap_or_default(), message.from_address)}</span></td>
            <td>{message.subject.clone()}</td>
            <td>
                <OutboxStatusView message=message.clone()/>
                <div class=if channel == OutboxChannel::DropFolder { "muted warning" } else { "muted" }>{move || labels::outbox_channel(i18n, channel)}</div>
            </td>
            <td>{message.attempts}</td>
            <td><div class="cell-actions">
                <Show when=move || retryable>
                    <button class="link" data-testid="outbox-retry" disabled=move || act.pending().get()
                        on:click={let id = id_retry.clone(); move |_| { act.dispatch((id.clone(), true)); }}>{t!(i18n, outbox_retry)}</button>
                </Show>
                <Show when=move || cancellable>
                    <button class="link" data-testid="outbox-cancel" disabled=move || act.pending().get()
                        on:click={let id = id_cancel.clone(); move |_| { act.dispatch((id.clone(), false)); }}>{t!(i18n, outbox_cancel)}</button>
                </Show>
            </div></td>
        </tr>
    }
}

/// Status in words: the state, the next attempt while waiting, and the last reply or
/// reason when something went wrong.
#[component]
pub fn OutboxStatusView(message: OutboxMessage) -> impl IntoView {
    let i18n = use_i18n();
    let status = message.status;
    let class = match status {
        OutboxStatus::Sent => "status ok",
        OutboxStatus::Queued | OutboxStatus::Sending | OutboxStatus::Retrying => "status busy",
        OutboxStatus::Failed | OutboxStatus::Bounced => "status error",
        OutboxStatus::Cancelled => "status off",
        OutboxStatus::NotSent => "status warn",
    };
    // Mail admins may see the technical reason (the drop folder's file); recruiters get
    // what happened and what to do.
    let technical = use_context::<crate::app::Session>().is_some_and(|session| session.manages_mail());
    let not_sent = (status == OutboxStatus::NotSent).then(|| {
        let reply = message.last_reply.clone().unwrap_or_default();
        view! {
            <div class="hint">{t!(i18n, outbox_not_sent_hint)}</div>
            {technical.then(|| view! { <details class="technical"><summary>{t!(i18n, technical_details)}</summary><code>{reply}</code></details> })}
        }
    });
    let next = message
        .next_attempt_at
        .clone()
        .filter(|_| status == OutboxStatus::Retrying)
        .map(|at| {
            view! { <div class="muted">{t!(i18n, outbox_next_attempt)}" " <Time at=at.clone()/></div> }
        });
    let problem = message.last_problem.filter(|_| !matches!(status, OutboxStatus::Sent | OutboxStatus::NotSent)).map(|problem| {
        let reply = message.last_reply.clone().unwrap_or_default();
        view! { <div class="problem"><strong>{move || labels::mail_problem(i18n, problem)}</strong>": " {reply}</div> }
    });
    let bounced = (status == OutboxStatus::Bounced)
        .then(|| view! { <div class="problem">{message.last_reply.clone().unwrap_or_default()}</div> });
    let interrupted =
        (message.interrupted_attempts > 0).then(|| view! { <div class="muted">{t!(i18n, outbox_interrupted)}</div> });
    view! {
        <div class=class data-testid="outbox-status" data-status=status.as_str()>
            <span>{move || labels::outbox_status(i18n, status)}</span>
            {next}{problem}{bounced}{not_sent}{interrupted}
        </div>
    }
}
