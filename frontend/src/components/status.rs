//! Loading, error and empty states, the same everywhere.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::i18n::*;
use leptos_i18n::I18nContext;

#[component]
pub fn Loading() -> impl IntoView {
    let i18n = use_i18n();
    view! { <div class="state loading" role="status">{t!(i18n, loading)}</div> }
}

// Field names are put in with `{field}`: the app's translations interpolate only into
// views, not into plain strings.

/// A field's name as the form shows it, for the API's `extensions.field`.
fn field_label(i18n: I18nContext<Locale>, field: &str) -> Option<String> {
    // "emails.2" and "filter.jobOpeningId" name the field by their last part.
    let name = field
        .rsplit('.')
        .find(|part| part.parse::<usize>().is_err())
        .unwrap_or(field);
    Some(match name {
        "name" | "displayName" => t_string!(i18n, field_name).to_string(),
        "firstName" => t_string!(i18n, candidate_first_name).to_string(),
        "lastName" => t_string!(i18n, candidate_last_name).to_string(),
        "email" | "emails" | "address" => t_string!(i18n, login_email).to_string(),
        "phone" => t_string!(i18n, candidate_phone).to_string(),
        "birthday" => t_string!(i18n, candidate_birthday).to_string(),
        "password" => t_string!(i18n, login_password).to_string(),
        "subject" => t_string!(i18n, compose_subject).to_string(),
        "body" | "bodyText" | "bodyHtml" | "text" | "note" => t_string!(i18n, compose_body).to_string(),
        "title" => t_string!(i18n, opening_title).to_string(),
        "location" => t_string!(i18n, opening_location).to_string(),
        "host" => t_string!(i18n, account_host).to_string(),
        "port" => t_string!(i18n, account_port).to_string(),
        "username" => t_string!(i18n, account_username).to_string(),
        "senderAddress" => t_string!(i18n, sender_address).to_string(),
        "security" => t_string!(i18n, account_security).to_string(),
        "legalEntityId" | "legalEntityIds" => t_string!(i18n, opening_legal_entity).to_string(),
        "origins" => t_string!(i18n, channels_embed_origins).to_string(),
        _ => return None,
    })
}

/// What went wrong, in the viewer's language, by the error's code and field; the
/// server's own words only as a detail (the second part), never as the message.
pub fn describe(i18n: I18nContext<Locale>, error: &ApiError) -> (String, Option<String>) {
    use talentpost_shared::ErrorCode as C;
    let ApiError::Server { code, message, field } = error else {
        return match error {
            ApiError::Network(_) => (t_string!(i18n, error_network).to_string(), None),
            _ => (t_string!(i18n, error_unexpected).to_string(), None),
        };
    };
    let detail = Some(message.clone()).filter(|m| !m.is_empty() && *code != C::Internal);
    let text = match code {
        C::InvalidInput => match field.as_deref() {
            Some("name") => t_string!(i18n, error_name_required).to_string(),
            Some(field) => match field_label(i18n, field) {
                Some(label) => t_string!(i18n, error_invalid_field)
                    .to_string()
                    .replace("{field}", &label),
                None => t_string!(i18n, error_invalid_input).to_string(),
            },
            None => t_string!(i18n, error_invalid_input).to_string(),
        },
        C::Unauthenticated => t_string!(i18n, error_unauthenticated).to_string(),
        C::Forbidden => t_string!(i18n, error_forbidden).to_string(),
        C::NotFound => t_string!(i18n, error_not_found).to_string(),
        C::Conflict => match field.as_deref().and_then(|field| field_label(i18n, field)) {
            Some(label) => t_string!(i18n, error_conflict_field)
                .to_string()
                .replace("{field}", &label),
            None => t_string!(i18n, error_conflict).to_string(),
        },
        C::InvalidCredentials => t_string!(i18n, error_invalid_credentials).to_string(),
        C::PayloadTooLarge => t_string!(i18n, error_too_large).to_string(),
        C::QueryTooComplex | C::Internal => t_string!(i18n, error_internal).to_string(),
        C::TooManyAttempts | C::RateLimited => t_string!(i18n, error_too_many).to_string(),
        C::MailServer => t_string!(i18n, error_mail_server).to_string(),
    };
    (text, detail)
}

#[component]
pub fn ErrorView(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let i18n = use_i18n();
    // An expired session shows as an error on whatever page was open: offer the way back in.
    let session = use_context::<crate::app::Session>();
    let signed_out = {
        let errors = errors.clone();
        move || {
            errors.get().into_iter().any(|(_, error)| {
                error.downcast_ref::<ApiError>().and_then(ApiError::code)
                    == Some(talentpost_shared::ErrorCode::Unauthenticated)
            })
        }
    };
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, error)| {
                let (text, detail) = match error.downcast_ref::<ApiError>() {
                    Some(api) => describe(i18n, api),
                    None => (t_string!(i18n, error_unexpected).to_string(), None),
                };
                view! { <li>{text}{detail.map(|detail| view! { <span class="detail">{detail}</span> })}</li> }
            })
            .collect_view()
    };
    view! {
        <div class="state error" role="alert">
            <strong>{t!(i18n, error_title)}</strong>
            <ul>{messages}</ul>
            {move || (signed_out() && session.is_some()).then(|| {
                let reload = session.as_ref().map(|s| s.reload);
                view! { <button class="primary" on:click=move |_| { if let Some(reload) = reload { reload.run(()) } }>{t!(i18n, login_submit)}</button> }
            })}
        </div>
    }
}

#[component]
pub fn EmptyState(#[prop(into)] message: Signal<String>) -> impl IntoView {
    view! { <div class="state empty">{message}</div> }
}

/// A form's error line: what to fix, in the viewer's language, naming the field; the
/// server's words below it as a detail.
#[component]
pub fn FormError(error: ReadSignal<Option<ApiError>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        error.get().map(|error| {
            let (text, detail) = describe(i18n, &error);
            view! {
                <p class="form-error" role="alert" data-field=error.field().map(str::to_owned)>
                    {text}{detail.map(|detail| view! { <span class="detail">{detail}</span> })}
                </p>
            }
        })
    }
}
