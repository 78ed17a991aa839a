//! Multi-select in lists: the checkbox cell of a row.

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::i18n::*;

/// The first cell of a selectable row. Clicks stay in the cell, so a row that opens on
/// click does not open when its box is ticked.
#[component]
pub fn SelectCell(id: String, selected: RwSignal<BTreeSet<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let for_check = id.clone();
    view! {
        <td class="check" on:click=|ev| ev.stop_propagation()>
            <input type="checkbox" aria-label=move || t_string!(i18n, select_row).to_string() prop:checked=move || selected.with(|s| s.contains(&for_check))
                on:change=move |ev| {
                    let id = id.clone();
                    if event_target_checked(&ev) { selected.update(|s| { s.insert(id); }); } else { selected.update(|s| { s.remove(&id); }); }
                }/>
        </td>
    }
}
