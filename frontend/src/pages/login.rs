use leptos::prelude::*;
use talentpost_shared::ErrorCode;

use crate::api::generated as gql;
use crate::api::{self, ApiError};
use crate::i18n::*;

#[component]
pub fn LoginPage(on_login: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let (email, set_email) = signal(String::new());
    let (password, set_password) = signal(String::new());
    let (error, set_error) = signal(None::<ApiError>);
    let submit = Action::new_local(move |(email, password): &(String, String)| {
        let (email, password) = (email.clone(), password.clone());
        async move {
            let input = gql::inputs::LoginInput { email, password };
            match api::run::<gql::Login>(gql::login::Variables { input }).await {
                Ok(_) => on_login.run(()),
                Err(e) => set_error.set(Some(e)),
            }
        }
    });
    let message = move || {
        error.get().map(|e| match e.code() {
            Some(ErrorCode::InvalidCredentials) => t_string!(i18n, login_failed).to_string(),
            Some(ErrorCode::TooManyAttempts) => t_string!(i18n, login_locked).to_string(),
            _ => crate::components::status::describe(i18n, &e).0,
        })
    };
    // The cursor starts in the e-mail field, as on any sign-in page.
    let email_field = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(field) = email_field.get() {
            // After the frame: the form may not be in the document yet when it is built.
            request_animation_frame(move || {
                let _ = field.focus();
            });
        }
    });
    view! {
        <main class="login">
            <form class="card" on:submit=move |ev| {
                ev.prevent_default();
                set_error.set(None);
                submit.dispatch((email.get_untracked(), password.get_untracked()));
            }>
                <h1>{t!(i18n, login_title)}</h1>
                <label>{t!(i18n, login_email)}
                    <input type="email" name="email" autocomplete="username" required node_ref=email_field
                        prop:value=email on:input=move |ev| set_email.set(event_target_value(&ev))/>
                </label>
                <label>{t!(i18n, login_password)}
                    <input type="password" name="password" autocomplete="current-password" required
                        prop:value=password on:input=move |ev| set_password.set(event_target_value(&ev))/>
                </label>
                {move || message().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                <button type="submit" class="primary" disabled=move || submit.pending().get()>{t!(i18n, login_submit)}</button>
            </form>
        </main>
    }
}
