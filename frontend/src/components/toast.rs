//! Short answers to what the user just did ("Gelöscht", "Gespeichert"), in one live
//! region at the bottom of the screen, some with an action such as "Rückgängig" for a
//! few seconds.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::*;

/// How long a toast stays; long enough to read it and reach "undo" by keyboard.
const SHOWN_FOR: std::time::Duration = std::time::Duration::from_secs(8);

#[derive(Clone)]
pub enum ToastAction {
    /// A button that undoes what was done (restore, unassign).
    Undo(Callback<()>),
    /// A link to the record the action produced.
    Link { label: String, href: String },
}

#[derive(Clone)]
struct Toast {
    id: u64,
    text: String,
    error: bool,
    action: Option<ToastAction>,
}

/// The app's toasts; provided once by the shell.
#[derive(Clone, Copy)]
pub struct Toasts {
    shown: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Toasts {
    pub fn new() -> Self {
        Self { shown: RwSignal::new(Vec::new()), next_id: StoredValue::new(0) }
    }

    pub fn success(&self, text: impl Into<String>) {
        self.push(text.into(), false, None);
    }

    pub fn error(&self, text: impl Into<String>) {
        self.push(text.into(), true, None);
    }

    pub fn with_action(&self, text: impl Into<String>, action: ToastAction) {
        self.push(text.into(), false, Some(action));
    }

    fn push(&self, text: String, error: bool, action: Option<ToastAction>) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.shown.update(|list| list.push(Toast { id, text, error, action }));
        let shown = self.shown;
        set_timeout(move || shown.update(|list| list.retain(|toast| toast.id != id)), SHOWN_FOR);
    }

    fn dismiss(&self, id: u64) {
        self.shown.update(|list| list.retain(|toast| toast.id != id));
    }
}

impl Default for Toasts {
    fn default() -> Self {
        Self::new()
    }
}

/// The toasts' place on the page: a polite live region, so screen readers announce
/// them without taking the focus.
#[component]
pub fn ToastRegion(toasts: Toasts) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
            <For each=move || toasts.shown.get() key=|toast| toast.id let:toast>
                {
                    let id = toast.id;
                    let action = toast.action.clone().map(|action| match action {
                        ToastAction::Undo(undo) => view! {
                            <button class="link" data-testid="toast-undo" on:click=move |_| { toasts.dismiss(id); undo.run(()); }>
                                {t!(i18n, undo)}
                            </button>
                        }.into_any(),
                        ToastAction::Link { label, href } => view! { <A href=href attr:data-testid="toast-link">{label}</A> }.into_any(),
                    });
                    view! {
                        <div class=if toast.error { "toast error" } else { "toast" } data-testid="toast">
                            <span>{toast.text.clone()}</span>
                            {action}
                            <button class="link dismiss" aria-label=move || t_string!(i18n, close).to_string()
                                on:click=move |_| toasts.dismiss(id)>"×"</button>
                        </div>
                    }
                }
            </For>
        </div>
    }
}

/// Asks before what cannot be undone (deleting a letter, revoking a token).
pub fn confirm(text: &str) -> bool {
    window().confirm_with_message(text).unwrap_or(false)
}

/// "Saved." after a change, where the page has toasts.
pub fn saved(i18n: leptos_i18n::I18nContext<Locale>) {
    if let Some(toasts) = use_context::<Toasts>() {
        toasts.success(t_string!(i18n, toast_saved).to_string());
    }
}
