use leptos::prelude::*;

use crate::api::generated::fragments::DocumentFields as Document;
use crate::i18n::*;

/// Stored files with their download links (an inbox item's, a candidate's).
#[component]
pub fn DocumentList(documents: Vec<Document>) -> impl IntoView {
    let i18n = use_i18n();
    if documents.is_empty() {
        return view! { <p class="muted">{t!(i18n, inbox_no_documents)}</p> }.into_any();
    }
    view! {
        <ul class="documents">
            {documents.into_iter().map(|d| view! {
                <li><a href=d.download_url download=d.file_name.clone()>{d.file_name.clone()}</a>
                    <span class="muted">{format!(" {} · {} KB", d.content_type, (d.size_bytes + 1023) / 1024)}</span></li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}
