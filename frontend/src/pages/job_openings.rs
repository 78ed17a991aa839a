use leptos::prelude::*;
use talentpost_shared::JobOpeningStatus;

use crate::api::generated as gql;
use crate::api::{self, ApiError};
use crate::components::labels;
use crate::components::status::{EmptyState, ErrorView, FormError, Loading};
use crate::components::toast::saved;
use crate::i18n::*;

use crate::api::reads::LegalEntity;

#[component]
pub fn JobOpeningsPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0u32);
    let openings = LocalResource::new(move || {
        refresh.track();
        async {
            api::run::<gql::JobOpenings>(gql::job_openings::Variables { after: None })
                .await
                .map(|data| data.job_openings)
        }
    });
    let entities = LocalResource::new(api::reads::legal_entities);
    let creating = RwSignal::new(false);
    let (error, set_error) = signal(None::<ApiError>);
    let toggle = Action::new_local(move |(id, status): &(String, JobOpeningStatus)| {
        let (id, status) = (id.clone(), *status);
        async move {
            let variables = gql::set_job_opening_status::Variables {
                id,
                status: Some(status),
            };
            match api::run::<gql::SetJobOpeningStatus>(variables).await {
                Ok(_) => {
                    saved(i18n);
                    refresh.update(|n| *n += 1)
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let rename = Action::new_local(move |(id, title, location): &(String, String, String)| {
        let (id, title, location) = (id.clone(), title.clone(), location.clone());
        async move {
            let input = gql::inputs::UpdateJobOpeningInput {
                legal_entity_id: None,
                title: Some(title),
                location: Some(location),
                status: None,
            };
            match api::run::<gql::UpdateJobOpening>(gql::update_job_opening::Variables { id, input }).await {
                Ok(_) => {
                    saved(i18n);
                    set_error.set(None)
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    view! {
        <main class="page">
            <div class="page-head">
                <h1>{t!(i18n, openings_title)}</h1>
                <button class="primary" on:click=move |_| creating.set(true)>{t!(i18n, openings_new)}</button>
            </div>
            <Show when=move || creating.get()>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        let entities = entities.await.unwrap_or_default();
                        view! { <NewOpening entities on_done=Callback::new(move |saved: bool| {
                            creating.set(false);
                            if saved { refresh.update(|n| *n += 1) }
                        })/> }
                    })}
                </Transition>
            </Show>
            <FormError error/>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let page = openings.await?;
                        if page.edges.is_empty() {
                            return Ok::<_, ApiError>(view! { <EmptyState message=Signal::derive(move || t_string!(i18n, openings_empty).to_string())/> }.into_any());
                        }
                        let rows = page.edges.into_iter().map(|edge| {
                            let o = edge.node;
                            let status = o.status;
                            let id = o.id.clone();
                            let next = if status == JobOpeningStatus::Open { JobOpeningStatus::Closed } else { JobOpeningStatus::Open };
                            let title = RwSignal::new(o.title.clone());
                            let location = RwSignal::new(o.location.clone().unwrap_or_default());
                            let (edit_id, edit_id2) = (o.id.clone(), o.id.clone());
                            view! {
                                <tr data-title=o.title.clone()>
                                    <td><input class="cell-input" aria-label=move || t_string!(i18n, opening_title).to_string() prop:value=title on:input=move |ev| title.set(event_target_value(&ev))
                                        on:change=move |_| { rename.dispatch((edit_id.clone(), title.get_untracked(), location.get_untracked())); }/></td>
                                    <td><input class="cell-input" aria-label=move || t_string!(i18n, opening_location).to_string() prop:value=location on:input=move |ev| location.set(event_target_value(&ev))
                                        on:change=move |_| { rename.dispatch((edit_id2.clone(), title.get_untracked(), location.get_untracked())); }/></td>
                                    <td>{o.legal_entity.name.clone()}</td>
                                    <td><span class=format!("pill {}", status.as_str())>{move || labels::opening_status(i18n, status)}</span></td>
                                    <td><button class="link" on:click=move |_| { toggle.dispatch((id.clone(), next)); }>
                                        {move || if status == JobOpeningStatus::Open { t_string!(i18n, opening_close).to_string() } else { t_string!(i18n, opening_reopen).to_string() }}
                                    </button></td>
                                </tr>
                            }
                        }).collect_view();
                        Ok(view! {
                            <table class="list" data-testid="opening-list">
                                <thead><tr>
                                    <th>{t!(i18n, opening_title)}</th><th>{t!(i18n, opening_location)}</th>
                                    <th>{t!(i18n, opening_legal_entity)}</th><th>{t!(i18n, opening_status)}</th><th></th>
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        }.into_any())
                    })}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

#[component]
fn NewOpening(entities: Vec<LegalEntity>, on_done: Callback<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let entity = RwSignal::new(entities.first().map(|e| e.id.clone()).unwrap_or_default());
    let title = RwSignal::new(String::new());
    let location = RwSignal::new(String::new());
    let (error, set_error) = signal(None::<ApiError>);
    let save = Action::new_local(move |_: &()| {
        let (entity, title, location) = (entity.get_untracked(), title.get_untracked(), location.get_untracked());
        async move {
            let input = gql::inputs::CreateJobOpeningInput {
                legal_entity_id: entity,
                title,
                location: Some(location),
                status: None,
            };
            match api::run::<gql::CreateJobOpening>(gql::create_job_opening::Variables { input }).await {
                Ok(_) => on_done.run(true),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    view! {
        <form class="card form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
            <div class="grid">
                <label>{t!(i18n, opening_title)}<input name="title" required prop:value=title on:input=move |ev| title.set(event_target_value(&ev))/></label>
                <label>{t!(i18n, opening_location)}<input name="location" prop:value=location on:input=move |ev| location.set(event_target_value(&ev))/></label>
                <label>{t!(i18n, opening_legal_entity)}
                    <select on:change=move |ev| entity.set(event_target_value(&ev))>
                        {entities.into_iter().map(|e| view! { <option value=e.id.clone()>{e.name}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <FormError error/>
            <div class="actions">
                <button type="submit" class="primary">{t!(i18n, create)}</button>
                <button type="button" on:click=move |_| on_done.run(false)>{t!(i18n, cancel)}</button>
            </div>
        </form>
    }
}
