//! Loading, error and empty states, the same everywhere.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::i18n::*;

#[component]
pub fn Loading() -> impl IntoView {
    let i18n = use_i18n();
    view! { <div class="state loading" role="status">{t!(i18n, loading)}</div> }
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
                error.downcast_ref::<ApiError>().and_then(ApiError::code) == Some(talentpost_shared::ErrorCode::Unauthenticated)
            })
        }
    };
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, error)| {
                let text = match error.downcast_ref::<ApiError>() {
                    Some(ApiError::Network(_)) => t_string!(i18n, error_network).to_string(),
                    Some(other) => other.to_string(),
                    None => error.to_string(),
                };
                view! { <li>{text}</li> }
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

/// A form's error line: shows the server's message, naming the field.
#[component]
pub fn FormError(error: ReadSignal<Option<ApiError>>) -> impl IntoView {
    move || {
        error.get().map(|error| {
            let text = match error.field() {
                Some(field) if !error.to_string().starts_with(field) => format!("{field}: {error}"),
                _ => error.to_string(),
            };
            view! { <p class="form-error" role="alert">{text}</p> }
        })
    }
}
