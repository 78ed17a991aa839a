//! The settings area: companies, users, groups, API tokens and the audit log.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use talentpost_shared::{DataRetention, Role};

use crate::api::generated as gql;
use crate::api::reads::{LegalEntity, UserGroup, legal_entities, user_groups};
use crate::api::{self, ApiError};
use crate::app::Session;
use crate::components::labels;
use crate::components::status::{EmptyState, ErrorView, FormError, Loading};
use crate::components::time::Time;
use crate::components::toast::{Toasts, confirm};
use crate::i18n::*;

type User = gql::fragments::UserFields;

async fn users() -> Result<Vec<User>, ApiError> {
    Ok(api::run::<gql::Users>(gql::users::Variables).await?.users)
}

/// A change of some of a user's fields; the others stay as they are.
async fn update_user(id: String, input: gql::inputs::UpdateUserInput) -> Result<User, ApiError> {
    Ok(api::run::<gql::UpdateUser>(gql::update_user::Variables { id, input })
        .await?
        .update_user)
}

async fn update_legal_entity(
    id: String,
    name: Option<String>,
    is_main: Option<bool>,
) -> Result<gql::update_legal_entity::ResponseData, ApiError> {
    let input = gql::inputs::UpdateLegalEntityInput { name, is_main };
    api::run::<gql::UpdateLegalEntity>(gql::update_legal_entity::Variables { id, input }).await
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = expect_context::<Session>();
    let admin = session.is_admin();
    let manages_mail = session.manages_mail();
    view! {
        <main class="page settings">
            <h1>{t!(i18n, settings_title)}</h1>
            <nav class="tabs">
                <A href="/settings" exact=true attr:class="tab">{t!(i18n, settings_legal_entities)}</A>
                <Show when=move || admin>
                    <A href="/settings/users" attr:class="tab">{t!(i18n, settings_users)}</A>
                </Show>
                <A href="/settings/groups" attr:class="tab">{t!(i18n, settings_groups)}</A>
                <Show when=move || manages_mail>
                    <A href="/settings/mail" attr:class="tab" attr:data-testid="settings-mail">{t!(i18n, settings_mail)}</A>
                    <A href="/settings/outgoing" attr:class="tab" attr:data-testid="settings-outgoing">{t!(i18n, settings_outgoing)}</A>
                </Show>
                <A href="/settings/tokens" attr:class="tab">{t!(i18n, settings_tokens)}</A>
                <Show when=move || admin>
                    <A href="/settings/channels" attr:class="tab" attr:data-testid="settings-channels">{t!(i18n, settings_channels)}</A>
                    <A href="/settings/privacy" attr:class="tab" attr:data-testid="settings-privacy">{t!(i18n, settings_privacy)}</A>
                    <A href="/settings/audit" attr:class="tab">{t!(i18n, settings_audit)}</A>
                </Show>
            </nav>
            <Outlet/>
        </main>
    }
}

/// One name and a create button: how companies, groups and tokens are added.
#[component]
fn NameForm(input_name: &'static str, placeholder: Signal<String>, on_submit: Callback<String>) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    view! {
        <form class="inline-form" on:submit=move |ev| {
            ev.prevent_default();
            on_submit.run(name.get_untracked());
            name.set(String::new());
        }>
            <input name=input_name placeholder=placeholder prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
            <button type="submit" class="primary">{t!(i18n, create)}</button>
        </form>
    }
}

/// Runs a mutation, then either refreshes the list or shows the error under the form.
pub(crate) fn mutation<I: 'static, T: 'static, F: std::future::Future<Output = Result<T, ApiError>> + 'static>(
    refresh: RwSignal<u32>,
    set_error: WriteSignal<Option<ApiError>>,
    run: impl Fn(&I) -> F + 'static,
) -> Action<I, ()> {
    let toasts = use_context::<Toasts>();
    let i18n = use_i18n();
    Action::new_local(move |input: &I| {
        let future = run(input);
        async move {
            match future.await {
                Ok(_) => {
                    set_error.set(None);
                    refresh.update(|n| *n += 1);
                    if let Some(toasts) = toasts {
                        toasts.success(t_string!(i18n, toast_done).to_string());
                    }
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    })
}

#[component]
pub fn LegalEntitiesPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = expect_context::<Session>();
    let admin = session.is_admin();
    let refresh = RwSignal::new(0u32);
    let entities = LocalResource::new(move || {
        refresh.track();
        legal_entities()
    });
    let (error, set_error) = signal(None::<ApiError>);
    let create = mutation(refresh, set_error, |name: &String| {
        let input = gql::inputs::CreateLegalEntityInput {
            name: name.clone(),
            is_main: false,
        };
        api::run::<gql::CreateLegalEntity>(gql::create_legal_entity::Variables { input })
    });
    let rename = mutation(refresh, set_error, |(id, name): &(String, String)| {
        update_legal_entity(id.clone(), Some(name.clone()), None)
    });
    let make_main = mutation(refresh, set_error, |id: &String| {
        update_legal_entity(id.clone(), None, Some(true))
    });
    view! {
        <section>
            <Show when=move || admin>
                <NameForm input_name="entityName" placeholder=Signal::derive(move || t_string!(i18n, entity_new).to_string())
                    on_submit=Callback::new(move |name| { create.dispatch(name); })/>
            </Show>
            <FormError error/>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let list: Vec<LegalEntity> = entities.await?;
                        Ok::<_, ApiError>(view! {
                            <table class="list" data-testid="entity-list">
                                <thead><tr><th>{t!(i18n, entity_name)}</th><th>{t!(i18n, entity_main)}</th><th></th></tr></thead>
                                <tbody>{list.into_iter().map(|e| {
                                    let draft = RwSignal::new(e.name.clone());
                                    let (id, id2) = (e.id.clone(), e.id.clone());
                                    view! { <tr>
                                        <td><input class="cell-input" aria-label=move || t_string!(i18n, entity_name).to_string() prop:value=draft on:input=move |ev| draft.set(event_target_value(&ev))
                                            on:change=move |_| { rename.dispatch((id.clone(), draft.get_untracked())); }/></td>
                                        <td>{if e.is_main { "✓" } else { "" }}</td>
                                        <td>{(!e.is_main && admin).then(|| view! {
                                            <button class="link" on:click=move |_| { make_main.dispatch(id2.clone()); }>{t!(i18n, entity_make_main)}</button>
                                        })}</td>
                                    </tr> }
                                }).collect_view()}</tbody>
                            </table>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0u32);
    let users = LocalResource::new(move || {
        refresh.track();
        users()
    });
    let entities = LocalResource::new(legal_entities);
    let (error, set_error) = signal(None::<ApiError>);
    let email = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Recruiter);
    let chosen_entities = RwSignal::new(Vec::<String>::new());
    let create = mutation(refresh, set_error, move |_: &()| {
        let input = gql::inputs::CreateUserInput {
            email: email.get_untracked(),
            display_name: display_name.get_untracked(),
            role: role.get_untracked(),
            password: password.get_untracked(),
            legal_entity_ids: chosen_entities.get_untracked(),
        };
        api::run::<gql::CreateUser>(gql::create_user::Variables { input })
    });
    let set_active = mutation(refresh, set_error, |(id, active): &(String, bool)| {
        let input = gql::inputs::UpdateUserInput {
            display_name: None,
            role: None,
            active: Some(*active),
            password: None,
            legal_entity_ids: None,
        };
        update_user(id.clone(), input)
    });
    view! {
        <section>
            <form class="card form" data-testid="user-form" on:submit=move |ev| { ev.prevent_default(); create.dispatch(()); }>
                <h2>{t!(i18n, user_new)}</h2>
                <div class="grid">
                    <label>{t!(i18n, user_email)}<input type="email" name="email" prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/></label>
                    <label>{t!(i18n, user_name)}<input name="displayName" prop:value=display_name on:input=move |ev| display_name.set(event_target_value(&ev))/></label>
                    <label>{t!(i18n, user_password)}<input type="password" name="password" autocomplete="new-password" prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/></label>
                    <label>{t!(i18n, user_role)}
                        <select on:change=move |ev| if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) }>
                            {Role::ALL.iter().map(|r| { let r = *r; view! { <option value=r.as_str() selected=move || role.get() == r>{move || labels::role(i18n, r)}</option> } }).collect_view()}
                        </select>
                    </label>
                    <Show when=move || role.get() == Role::CompanyAdmin>
                        <EntityChecklist entities chosen=chosen_entities/>
                    </Show>
                </div>
                <FormError error/>
                <div class="actions"><button type="submit" class="primary">{t!(i18n, create)}</button></div>
            </form>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let list: Vec<User> = users.await?;
                        Ok::<_, ApiError>(view! {
                            <table class="list" data-testid="user-list">
                                <thead><tr><th>{t!(i18n, user_name)}</th><th>{t!(i18n, user_email)}</th><th>{t!(i18n, user_role)}</th><th>{t!(i18n, user_active)}</th><th></th></tr></thead>
                                <tbody>{list.into_iter().map(|u| {
                                    let (role, active, id) = (u.role, u.active, u.id.clone());
                                    let editing = RwSignal::new(false);
                                    let user = u.clone();
                                    view! { <tr>
                                        <td>{u.display_name.clone()}</td><td>{u.email.clone()}</td>
                                        <td>{move || labels::role(i18n, role)}</td><td>{if active { "✓" } else { "–" }}</td>
                                        <td class="row-actions">
                                            <button class="link" on:click=move |_| editing.update(|e| *e = !*e)>{t!(i18n, edit)}</button>
                                            <button class="link" on:click=move |_| { set_active.dispatch((id.clone(), !active)); }>
                                            {move || if active { t_string!(i18n, user_deactivate).to_string() } else { t_string!(i18n, user_activate).to_string() }}</button>
                                        </td>
                                    </tr>
                                    <Show when=move || editing.get()>
                                        <tr><td colspan="5">
                                            <UserEditor user=user.clone() entities=entities on_saved=Callback::new(move |()| { editing.set(false); refresh.update(|n| *n += 1); })/>
                                        </td></tr>
                                    </Show> }
                                }).collect_view()}</tbody>
                            </table>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// Checkboxes for the legal entities a company admin administers.
#[component]
fn EntityChecklist(
    entities: LocalResource<Result<Vec<LegalEntity>, ApiError>>,
    chosen: RwSignal<Vec<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <fieldset><legend>{t!(i18n, user_entities)}</legend>
            <Transition fallback=Loading>{move || Suspend::new(async move {
                entities.await.unwrap_or_default().into_iter().map(|e| {
                    let (id, id2) = (e.id.clone(), e.id.clone());
                    view! { <label class="check"><input type="checkbox"
                        prop:checked=move || chosen.with(|c| c.contains(&id))
                        on:change=move |ev| { let id = id2.clone(); chosen.update(|c| if event_target_checked(&ev) { c.push(id) } else { c.retain(|x| *x != id) }) }/>
                        {e.name}</label> }
                }).collect_view()
            })}</Transition>
        </fieldset>
    }
}

/// Changes a user's name, role, administered companies or password.
#[component]
fn UserEditor(
    user: User,
    entities: LocalResource<Result<Vec<LegalEntity>, ApiError>>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let display_name = RwSignal::new(user.display_name.clone());
    let role = RwSignal::new(user.role);
    let password = RwSignal::new(String::new());
    let chosen = RwSignal::new(user.legal_entity_ids.clone());
    let (error, set_error) = signal(None::<ApiError>);
    let id = user.id.clone();
    let save = Action::new_local(move |_: &()| {
        let password = password.get_untracked();
        let input = gql::inputs::UpdateUserInput {
            display_name: Some(display_name.get_untracked()),
            role: Some(role.get_untracked()),
            active: None,
            password: (!password.is_empty()).then_some(password),
            legal_entity_ids: Some(chosen.get_untracked()),
        };
        let id = id.clone();
        async move {
            match update_user(id, input).await {
                Ok(_) => on_saved.run(()),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    view! {
        <form class="form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
            <div class="grid">
                <label>{t!(i18n, user_name)}<input prop:value=display_name on:input=move |ev| display_name.set(event_target_value(&ev))/></label>
                <label>{t!(i18n, user_role)}
                    <select on:change=move |ev| if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) }>
                        {Role::ALL.iter().map(|r| { let r = *r; view! { <option value=r.as_str() selected=move || role.get() == r>{move || labels::role(i18n, r)}</option> } }).collect_view()}
                    </select>
                </label>
                <label>{t!(i18n, user_password)}<input type="password" autocomplete="new-password" prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/></label>
                <Show when=move || role.get() == Role::CompanyAdmin>
                    <EntityChecklist entities chosen/>
                </Show>
            </div>
            <FormError error/>
            <div class="actions"><button type="submit" class="primary">{t!(i18n, save)}</button></div>
        </form>
    }
}

#[component]
pub fn GroupsPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = expect_context::<Session>();
    let admin = session.is_admin();
    let refresh = RwSignal::new(0u32);
    let groups = LocalResource::new(move || {
        refresh.track();
        user_groups()
    });
    let users = LocalResource::new(move || async move { if admin { users().await } else { Ok(Vec::new()) } });
    let (error, set_error) = signal(None::<ApiError>);
    let create = mutation(refresh, set_error, |name: &String| {
        api::run::<gql::CreateUserGroup>(gql::create_user_group::Variables { name: name.clone() })
    });
    let set_members = mutation(refresh, set_error, |(id, members): &(String, Vec<String>)| {
        let variables = gql::set_user_group_members::Variables {
            g: id.clone(),
            u: members.clone(),
        };
        api::run::<gql::SetUserGroupMembers>(variables)
    });
    view! {
        <section>
            <Show when=move || admin>
                <NameForm input_name="groupName" placeholder=Signal::derive(move || t_string!(i18n, group_new).to_string())
                    on_submit=Callback::new(move |name| { create.dispatch(name); })/>
            </Show>
            <FormError error/>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let list: Vec<UserGroup> = groups.await?;
                        let all_users: Vec<User> = users.await.unwrap_or_default();
                        if list.is_empty() {
                            return Ok::<_, ApiError>(view! { <EmptyState message=Signal::derive(move || t_string!(i18n, empty_list).to_string())/> }.into_any());
                        }
                        Ok(view! { <div class="cards">{list.into_iter().map(|g| {
                            let members = RwSignal::new(g.members.iter().map(|m| m.id.clone()).collect::<Vec<_>>());
                            let group_id = g.id.clone();
                            let names = g.members.iter().map(|m| m.display_name.clone()).collect::<Vec<_>>().join(", ");
                            let editor = all_users.clone().into_iter().map(|u| {
                                let (id, id2) = (u.id.clone(), u.id.clone());
                                view! { <label class="check"><input type="checkbox" prop:checked=move || members.with(|m| m.contains(&id))
                                    on:change=move |ev| { let id = id2.clone(); members.update(|m| if event_target_checked(&ev) { m.push(id) } else { m.retain(|x| *x != id) }) }/>
                                    {u.display_name}</label> }
                            }).collect_view();
                            view! { <div class="card">
                                <h3>{g.name.clone()}</h3>
                                <p class="muted">{t!(i18n, group_members)} ": " {names}</p>
                                {admin.then(|| view! {
                                    <details><summary>{t!(i18n, group_edit_members)}</summary>
                                        <div class="checks">{editor}</div>
                                        <button class="primary" on:click=move |_| { set_members.dispatch((group_id.clone(), members.get_untracked())); }>{t!(i18n, save)}</button>
                                    </details>
                                })}
                            </div> }
                        }).collect_view()}</div> }.into_any())
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
pub fn TokensPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0u32);
    let tokens = LocalResource::new(move || {
        refresh.track();
        async move { Ok::<_, ApiError>(api::run::<gql::ApiTokens>(gql::api_tokens::Variables).await?.api_tokens) }
    });
    let (error, set_error) = signal(None::<ApiError>);
    let (secret, set_secret) = signal(None::<String>);
    let create = Action::new_local(move |name: &String| {
        let name = name.clone();
        async move {
            match api::run::<gql::CreateApiToken>(gql::create_api_token::Variables { n: name }).await {
                Ok(data) => {
                    set_secret.set(Some(data.create_api_token.token));
                    set_error.set(None);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let revoke = mutation(refresh, set_error, |id: &String| {
        api::run::<gql::RevokeApiToken>(gql::revoke_api_token::Variables { id: id.clone() })
    });
    view! {
        <section>
            <NameForm input_name="tokenName" placeholder=Signal::derive(move || t_string!(i18n, token_new).to_string())
                on_submit=Callback::new(move |name| { create.dispatch(name); })/>
            {move || secret.get().map(|token| view! {
                <div class="notice" role="status"><p>{t!(i18n, token_shown_once)}</p><code data-testid="new-token">{token}</code></div>
            })}
            <FormError error/>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let list = tokens.await?;
                        Ok::<_, ApiError>(view! {
                            <table class="list">
                                <thead><tr><th>{t!(i18n, token_name)}</th><th>{t!(i18n, token_prefix)}</th><th>{t!(i18n, token_created)}</th><th>{t!(i18n, token_last_used)}</th><th></th></tr></thead>
                                <tbody>{list.into_iter().map(|token| {
                                    let id = token.id.clone();
                                    let revoked = token.revoked_at.is_some();
                                    view! { <tr class:revoked=revoked>
                                        <td>{token.name.clone()}</td><td><code>{token.prefix.clone()}"…"</code></td>
                                        <td><Time at=token.created_at.clone()/></td>
                                        <td>{match token.last_used_at.clone() { Some(at) => view! { <Time at/> }.into_any(), None => t!(i18n, token_never).into_any() }}</td>
                                        <td>{if revoked { view! { <span class="muted">{t!(i18n, token_revoked)}</span> }.into_any() } else {
                                            view! { <button class="link" on:click=move |_| { if confirm(t_string!(i18n, token_revoke_confirm)) { revoke.dispatch(id.clone()); } }>{t!(i18n, token_revoke)}</button> }.into_any() }}</td>
                                    </tr> }
                                }).collect_view()}</tbody>
                            </table>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let i18n = use_i18n();
    let user = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let users = LocalResource::new(users);
    let log = LocalResource::new(move || {
        let (user, kind) = (user.get(), kind.get());
        let filter = gql::audit_log::AuditLogFilter {
            user_id: Some(user).filter(|u| !u.is_empty()),
            kind: Some(kind).filter(|k| !k.is_empty()),
            from: None,
            to: None,
        };
        async move {
            Ok::<_, ApiError>(
                api::run::<gql::AuditLog>(gql::audit_log::Variables { f: Some(filter) })
                    .await?
                    .audit_log,
            )
        }
    });
    let user_options = move || {
        users
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|u| view! { <option value=u.id.clone()>{u.display_name.clone()}</option> })
            .collect_view()
    };
    view! {
        <section>
            <div class="filters">
                <select data-testid="audit-user" aria-label=move || t_string!(i18n, audit_filter_user).to_string()
                    on:change=move |ev| user.set(event_target_value(&ev))>
                    <option value="">{t!(i18n, audit_all_users)}</option>
                    {user_options}
                </select>
                <select data-testid="audit-kind" aria-label=move || t_string!(i18n, audit_filter_kind).to_string()
                    on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="">{t!(i18n, audit_all_kinds)}</option>
                    {AUDIT_KINDS.iter().map(|k| view! { <option value=*k>{move || labels::audit_kind(i18n, k)}</option> }).collect_view()}
                </select>
            </div>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let page = log.await?;
                        if page.edges.is_empty() {
                            return Ok::<_, ApiError>(view! { <EmptyState message=Signal::derive(move || t_string!(i18n, audit_empty).to_string())/> }.into_any());
                        }
                        Ok(view! {
                            <table class="list" data-testid="audit-list">
                                <thead><tr>
                                    <th>{t!(i18n, audit_when)}</th><th>{t!(i18n, audit_who)}</th><th>{t!(i18n, audit_action)}</th>
                                    <th>{t!(i18n, audit_record)}</th><th>{t!(i18n, audit_details)}</th>
                                </tr></thead>
                                <tbody>{page.edges.into_iter().map(|edge| {
                                    let entry = edge.node;
                                    let action = entry.action.clone();
                                    let who = entry.actor_name.clone().unwrap_or_else(|| "–".to_owned());
                                    let token = entry.api_token_name.clone();
                                    let record = record_link(i18n, &entry.subject_type, entry.subject_id.as_deref());
                                    view! { <tr data-testid="audit-row" data-action=entry.action.clone()>
                                        <td><Time at=entry.created_at.clone()/></td>
                                        <td data-testid="audit-who">{who}{token.map(|name| view! { <span class="muted">" · "{t!(i18n, audit_via_token)}" "{name}</span> })}</td>
                                        <td>{move || labels::audit_action(i18n, &action)}</td>
                                        <td>{record}</td>
                                        <td><details class="technical"><summary>{t!(i18n, technical_details)}</summary><code>{entry.details.clone()}</code></details></td>
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

/// The kinds of record the audit log can be filtered by.
const AUDIT_KINDS: &[&str] = &[
    "inbox_item",
    "candidate",
    "job_opening",
    "form_letter",
    "candidate_query",
    "nurturing_job",
    "user",
    "user_group",
    "legal_entity",
    "api_token",
    "inbound_account",
    "outbound_account",
    "organisation",
];

/// A link to the record an entry is about, where the app has a page for it.
fn record_link(i18n: leptos_i18n::I18nContext<Locale>, kind: &str, id: Option<&str>) -> AnyView {
    let label = labels::audit_kind(i18n, kind);
    let href = match (kind, id) {
        ("candidate", Some(id)) => Some(format!("/candidates/{id}")),
        ("inbox_item", Some(id)) => Some(format!("/inbox/{id}")),
        ("nurturing_job", Some(id)) => Some(format!("/nurturing/jobs/{id}")),
        ("job_opening", _) => Some("/job-openings".to_owned()),
        ("form_letter", _) => Some("/nurturing/letters".to_owned()),
        ("candidate_query", _) => Some("/nurturing".to_owned()),
        ("user", _) => Some("/settings/users".to_owned()),
        _ => None,
    };
    let text = match id {
        Some(id) => format!("{label} #{id}"),
        None => label,
    };
    match href {
        Some(href) => view! { <A href=href>{text}</A> }.into_any(),
        None => view! { <span>{text}</span> }.into_any(),
    }
}

/// Settings → Data protection: what a final rejection leaves of a candidate.
#[component]
pub fn PrivacyPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0u32);
    let settings = LocalResource::new(move || {
        refresh.track();
        async move {
            Ok::<_, ApiError>(
                api::run::<gql::OrganisationSettings>(gql::organisation_settings::Variables)
                    .await?
                    .organisation_settings,
            )
        }
    });
    let (error, set_error) = signal(None::<ApiError>);
    let save = mutation(refresh, set_error, |retention: &DataRetention| {
        api::run::<gql::SetDataRetention>(gql::set_data_retention::Variables { r: *retention })
    });
    let save_counts = mutation(refresh, set_error, |counts: &bool| {
        api::run::<gql::SetNurturingCountsAsContact>(gql::set_nurturing_counts_as_contact::Variables { c: *counts })
    });
    view! {
        <section class="card" data-testid="privacy">
            <h2>{t!(i18n, privacy_retention)}</h2>
            <p class="muted">{t!(i18n, privacy_explained)}</p>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let settings = settings.await?;
                        let (current, counts) = (settings.data_retention, settings.nurturing_counts_as_contact);
                        Ok::<_, ApiError>(view! {
                            <select data-testid="data-retention" aria-label=move || t_string!(i18n, privacy_retention).to_string() on:change=move |ev| {
                                if let Some(retention) = DataRetention::parse(&event_target_value(&ev)) { save.dispatch(retention); }
                            }>
                                <option value="minimise" selected=current == DataRetention::Minimise>{t!(i18n, privacy_minimise)}</option>
                                <option value="keep" selected=current == DataRetention::Keep>{t!(i18n, privacy_keep)}</option>
                            </select>
                            <label class="check">
                                <input type="checkbox" data-testid="nurturing-counts" prop:checked=counts
                                    on:change=move |ev| { save_counts.dispatch(event_target_checked(&ev)); }/>
                                {t!(i18n, privacy_nurturing_counts)}
                            </label>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            <FormError error/>
        </section>
    }
}
