//! Settings → Public channels: the key of the career page's application form (with the
//! snippet to embed it) and the SMS provider's webhook with its signing secret.

use leptos::prelude::*;

use crate::api::generated as gql;
use crate::api::{self, ApiError};
use crate::components::status::{ErrorView, FormError, Loading};
use crate::components::toast::saved as saved_toast;
use crate::i18n::*;

type IntakeSettings = gql::fragments::IntakeSettingsFields;

/// The two intake channels with a key of their own (ONLINE_FORM, SMS).
type Channel = gql::inputs::IntakeChannel;

#[component]
pub fn PublicChannelsPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0u32);
    let settings = LocalResource::new(move || {
        refresh.track();
        async {
            api::run::<gql::IntakeSettings>(gql::intake_settings::Variables)
                .await
                .map(|data| data.intake_settings)
        }
    });
    let (error, set_error) = signal(None::<ApiError>);
    let (secret, set_secret) = signal(None::<String>);
    let rotate = Action::new_local(move |channel: &Channel| {
        let c = channel.clone();
        async move {
            match api::run::<gql::RotateIntakeKey>(gql::rotate_intake_key::Variables { c })
                .await
                .map(|data| data.rotate_intake_key)
            {
                Ok(rotated) => {
                    set_error.set(None);
                    set_secret.set(rotated.secret);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let disable = Action::new_local(move |channel: &Channel| {
        let c = channel.clone();
        async move {
            match api::run::<gql::DisableIntake>(gql::disable_intake::Variables { c }).await {
                Ok(_) => {
                    set_error.set(None);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    view! {
        <section data-testid="public-channels">
            <p class="muted">{t!(i18n, channels_explained)}</p>
            <FormError error/>
            {move || secret.get().map(|secret| view! {
                <div class="notice" role="status"><p>{t!(i18n, channels_secret_once)}</p><code data-testid="sms-secret">{secret}</code></div>
            })}
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let settings = settings.await?;
                        Ok::<_, ApiError>(view! { <Channels settings rotate disable/> })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn Channels(settings: IntakeSettings, rotate: Action<Channel, ()>, disable: Action<Channel, ()>) -> impl IntoView {
    let i18n = use_i18n();
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let form_url = settings.form_url.clone().map(|path| format!("{origin}{path}"));
    let sms_url = settings.sms_webhook_url.clone().map(|path| format!("{origin}{path}"));
    let snippet = form_url.as_ref().map(|url| {
        format!("<iframe src=\"{url}\" title=\"Bewerbung\" style=\"width:100%;min-height:720px;border:0\"></iframe>")
    });
    let (has_form, has_sms) = (form_url.is_some(), sms_url.is_some());
    view! {
        <div class="card">
            <h2>{t!(i18n, channels_form)}</h2>
            {match (form_url, snippet) {
                (Some(url), Some(snippet)) => view! {
                    <dl class="facts">
                        <dt>{t!(i18n, channels_form_url)}</dt><dd><a href=url.clone() target="_blank" data-testid="form-url">{url.clone()}</a></dd>
                        <dt>{t!(i18n, channels_embed)}</dt><dd><code class="snippet" data-testid="form-snippet">{snippet}</code></dd>
                    </dl>
                }.into_any(),
                _ => view! { <p class="muted">{t!(i18n, channels_off)}</p> }.into_any(),
            }}
            {has_form.then(|| view! { <EmbedOrigins saved=settings.form_embed_origins.clone()/> })}
            <div class="actions">
                <button class="primary" data-testid="rotate-form" on:click=move |_| { rotate.dispatch(Channel::ONLINE_FORM); }>
                    {move || if has_form { t_string!(i18n, channels_new_key).to_string() } else { t_string!(i18n, channels_enable).to_string() }}
                </button>
                <Show when=move || has_form>
                    <button class="danger" on:click=move |_| { disable.dispatch(Channel::ONLINE_FORM); }>{t!(i18n, channels_disable)}</button>
                </Show>
            </div>
        </div>
        <div class="card">
            <h2>{t!(i18n, channels_sms)}</h2>
            {match sms_url {
                Some(url) => view! {
                    <dl class="facts">
                        <dt>{t!(i18n, channels_webhook_url)}</dt><dd><code data-testid="sms-url">{url}</code></dd>
                        <dt>{t!(i18n, channels_signature)}</dt><dd>{t!(i18n, channels_signature_explained)}</dd>
                    </dl>
                }.into_any(),
                None => view! { <p class="muted">{t!(i18n, channels_off)}</p> }.into_any(),
            }}
            <div class="actions">
                <button class="primary" data-testid="rotate-sms" on:click=move |_| { rotate.dispatch(Channel::SMS); }>
                    {move || if has_sms { t_string!(i18n, channels_new_secret).to_string() } else { t_string!(i18n, channels_enable).to_string() }}
                </button>
                <Show when=move || has_sms>
                    <button class="danger" on:click=move |_| { disable.dispatch(Channel::SMS); }>{t!(i18n, channels_disable)}</button>
                </Show>
            </div>
        </div>
        <div class="card">
            <h2>{t!(i18n, channels_agency)}</h2>
            <p>{t!(i18n, channels_agency_explained)}</p>
            <code>{format!("POST {origin}/api/intake/job-agency")}</code>
        </div>
    }
}

/// Which career sites may frame the form (its `frame-ancestors`), one origin a line.
#[component]
fn EmbedOrigins(saved: Vec<String>) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(saved.join("\n"));
    let (error, set_error) = signal(None::<ApiError>);
    let save = Action::new_local(move |origins: &Vec<String>| {
        let origins = origins.clone();
        async move {
            match api::run::<gql::SetFormEmbedOrigins>(gql::set_form_embed_origins::Variables { o: origins })
                .await
                .map(|data| data.set_form_embed_origins)
            {
                Ok(settings) => {
                    set_error.set(None);
                    text.set(settings.form_embed_origins.join("\n"));
                    saved_toast(i18n);
                }
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let origins = text
            .get_untracked()
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect();
        save.dispatch(origins);
    };
    view! {
        <form class="form" data-testid="embed-origins" on:submit=submit>
            <label>{t!(i18n, channels_embed_origins)}
                <textarea rows="3" aria-describedby="embed-origins-help"
                    placeholder="https://karriere.example.de"
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            </label>
            <p class="muted" id="embed-origins-help">
                {t!(i18n, channels_embed_origins_help)}
            </p>
            <FormError error/>
            <div class="actions">
                <button type="submit" disabled=move || save.pending().get()>{t!(i18n, channels_embed_origins_save)}</button>
            </div>
        </form>
    }
}
