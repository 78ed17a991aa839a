//! Short answers to what the user just did ("Gelöscht", "Gespeichert"), in one live
//! region at the bottom of the screen, some with an action such as "Rückgängig" for a
//! few seconds.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::*;

/// How long a toast stays; long enough to read it and reach "undo" by keyboard.
const SHOWN_FOR: std::time::Duration = std::time::Duration::from_secs(8);

/// A link to the record an action produced or touched.
#[derive(Clone)]
pub struct ToastLink {
    pub label: String,
    pub href: String,
}

#[derive(Clone)]
struct Toast {
    id: u64,
    text: String,
    error: bool,
    link: Option<ToastLink>,
    /// A button that undoes what was done (restore, undo a take-over).
    undo: Option<Undo>,
}

/// What "Undo" runs. A plain closure, not a `Callback`: a callback belongs to the page
/// that made it and is gone once the user moves on, while the toast stays.
pub type Undo = Arc<dyn Fn() + Send + Sync>;

/// The app's toasts; provided once by the shell.
#[derive(Clone, Copy)]
pub struct Toasts {
    shown: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Toasts {
    pub fn new() -> Self {
        Self {
            shown: RwSignal::new(Vec::new()),
            next_id: StoredValue::new(0),
        }
    }

    pub fn success(&self, text: impl Into<String>) {
        self.push(Toast {
            id: 0,
            text: text.into(),
            error: false,
            link: None,
            undo: None,
        });
    }

    pub fn error(&self, text: impl Into<String>) {
        self.push(Toast {
            id: 0,
            text: text.into(),
            error: true,
            link: None,
            undo: None,
        });
    }

    pub fn with(&self, text: impl Into<String>, link: Option<ToastLink>, undo: Option<Undo>) {
        self.push(Toast {
            id: 0,
            text: text.into(),
            error: false,
            link,
            undo,
        });
    }

    fn push(&self, mut toast: Toast) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        toast.id = id;
        self.shown.update(|list| list.push(toast));
        let shown = self.shown;
        set_timeout(
            move || shown.update(|list| list.retain(|toast| toast.id != id)),
            SHOWN_FOR,
        );
    }

    /// Runs the newest toast's "Undo", if one is showing (the `z` key).
    fn undo_latest(&self) -> bool {
        let latest = self.shown.with_untracked(|list| {
            list.iter()
                .rev()
                .find_map(|toast| toast.undo.clone().map(|undo| (toast.id, undo)))
        });
        match latest {
            Some((id, undo)) => {
                self.dismiss(id);
                undo();
                true
            }
            None => false,
        }
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
    // `z` undoes, as in Gmail: the toast's button may be far away in the tab order.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "z" && !typing(&ev) && toasts.undo_latest() {
            ev.prevent_default();
        }
    });
    on_cleanup(move || keys.remove());
    view! {
        <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
            <For each=move || toasts.shown.get() key=|toast| toast.id let:toast>
                {
                    let id = toast.id;
                    let link = toast.link.clone().map(|ToastLink { label, href }| view! { <A href=href attr:data-testid="toast-link">{label}</A> });
                    let undo = toast.undo.clone().map(|undo| view! {
                        <button class="link" data-testid="toast-undo" on:click=move |_| { toasts.dismiss(id); undo(); }>
                            {t!(i18n, undo)}
                        </button>
                    });
                    view! {
                        <div class=if toast.error { "toast error" } else { "toast" } data-testid="toast">
                            <span>{toast.text.clone()}</span>
                            {link}{undo}
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

/// True while the user types in a field (or holds a modifier), where letters are
/// text, not shortcuts.
pub fn typing(ev: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
        return true;
    }
    ev.target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|element| {
            matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || element.has_attribute("contenteditable")
        })
}
