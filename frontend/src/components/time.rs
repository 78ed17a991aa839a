//! Dates and times as the viewer reads them: in the browser's time zone, with the
//! language's conventions. The API speaks RFC 3339 in UTC; the browser's own `Intl`
//! does the rest, so the wasm carries no time-zone database.

use js_sys::{Date, Object, Reflect};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use wasm_bindgen::JsValue;

use crate::i18n::*;

/// The BCP 47 tag to format with: the browser's own regional variant of the app's
/// language (de-AT, en-GB) where it has one, else the language's main region.
fn locale_tag(locale: Locale) -> String {
    let (language, fallback) = match locale {
        Locale::de => ("de", "de-DE"),
        Locale::en => ("en", "en-US"),
    };
    web_sys::window()
        .and_then(|window| window.navigator().language())
        .filter(|tag| tag.split('-').next() == Some(language))
        .unwrap_or_else(|| fallback.to_owned())
}

fn options(pairs: &[(&str, &str)]) -> JsValue {
    let object = Object::new();
    for (key, value) in pairs {
        // Setting a plain property on a fresh object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(value));
    }
    object.into()
}

fn parse(text: &str) -> Option<Date> {
    let date = Date::new(&JsValue::from_str(text));
    (!date.get_time().is_nan()).then_some(date)
}

fn format(i18n: I18nContext<Locale>, text: &str, pairs: &[(&str, &str)]) -> String {
    match parse(text) {
        Some(date) => date
            .to_locale_string(&locale_tag(i18n.get_locale()), &options(pairs))
            .into(),
        None => text.to_owned(),
    }
}

/// An instant, e.g. `07.12.2026, 09:31` (de) or `Dec 7, 2026, 9:31 AM` (en).
pub fn date_time(i18n: I18nContext<Locale>, text: &str) -> String {
    format(i18n, text, &[("dateStyle", "medium"), ("timeStyle", "short")])
}

/// An instant in a given IANA zone with the zone's name, for schedules that run by
/// their own zone whatever the viewer's is: `08.12.2026, 08:00 MEZ`.
pub fn date_time_in(i18n: I18nContext<Locale>, text: &str, zone: &str) -> String {
    format(
        i18n,
        text,
        &[
            ("year", "numeric"),
            ("month", "2-digit"),
            ("day", "2-digit"),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
            ("timeZone", zone),
            ("timeZoneName", "short"),
        ],
    )
}

/// A calendar day without a time (birthdays, `2026-12-07`): the same day in every zone.
pub fn date(i18n: I18nContext<Locale>, day: &str) -> String {
    // A bare ISO date parses as midnight UTC; formatting in UTC keeps its day.
    format(
        i18n,
        day.get(..10).unwrap_or(day),
        &[("dateStyle", "medium"), ("timeZone", "UTC")],
    )
}

/// A day as a short axis label: `07.12.` (de), `12/07` (en).
pub fn day_label(i18n: I18nContext<Locale>, day: &str) -> String {
    format(
        i18n,
        day,
        &[("day", "2-digit"), ("month", "2-digit"), ("timeZone", "UTC")],
    )
}

/// A month as a short axis label: `Dez. 26` (de), `Dec 26` (en).
pub fn month_label(i18n: I18nContext<Locale>, day: &str) -> String {
    format(
        i18n,
        day,
        &[("month", "short"), ("year", "2-digit"), ("timeZone", "UTC")],
    )
}

/// How long ago (or ahead) an instant is, as people say it: `vor 5 Minuten`, `gestern`.
/// Past a week the date and time instead.
pub fn relative(i18n: I18nContext<Locale>, text: &str) -> String {
    let Some(date) = parse(text) else {
        return text.to_owned();
    };
    let seconds = (date.get_time() - Date::now()) / 1000.0;
    let (value, unit) = match seconds.abs() {
        s if s < 45.0 => (0.0, "second"),
        s if s < 3_600.0 => ((seconds / 60.0).round(), "minute"),
        s if s < 86_400.0 => ((seconds / 3_600.0).round(), "hour"),
        s if s < 7.0 * 86_400.0 => ((seconds / 86_400.0).round(), "day"),
        _ => return date_time(i18n, text),
    };
    let locales = js_sys::Array::of1(&JsValue::from_str(&locale_tag(i18n.get_locale())));
    let formatter = js_sys::Intl::RelativeTimeFormat::new(&locales, &options(&[("numeric", "auto")]).into());
    formatter.format(value, unit).into()
}

/// An instant in the page: the relative or absolute text, with the full time on hover
/// and the machine-readable instant for assistive technology.
#[component]
pub fn Time(#[prop(into)] at: String, #[prop(optional)] relative: bool) -> impl IntoView {
    let i18n = use_i18n();
    let full = {
        let at = at.clone();
        move || date_time(i18n, &at)
    };
    let shown = {
        let at = at.clone();
        move || {
            if relative {
                self::relative(i18n, &at)
            } else {
                date_time(i18n, &at)
            }
        }
    };
    view! { <time datetime=at title=full>{shown}</time> }
}
