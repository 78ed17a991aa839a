//! Business logic. Each function takes the app state and the caller, checks what the
//! caller may do, and does the database work; the GraphQL layer only converts.

pub mod accounts;
pub mod candidates;
pub mod inbox;
pub mod mail_in;
pub mod mail_out;
pub mod nurturing;
pub mod operations;
pub mod org;
pub mod pagination;

use crate::error::{ServiceError, ServiceResult};

/// A `LIKE` pattern: `template` with `{}` replaced by `text`, whose own `%`, `_` and `\\`
/// match literally (so "max_mustermann@" finds that address).
pub fn like_pattern(template: &str, text: &str) -> sea_orm::sea_query::LikeExpr {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    sea_orm::sea_query::LikeExpr::new(template.replace("{}", &escaped)).escape('\\')
}

/// A trimmed, non-empty text of bounded length, or an error naming the field.
pub fn required_text(field: &str, value: &str, max_chars: usize) -> ServiceResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ServiceError::invalid(field, "must not be empty"));
    }
    bounded(field, trimmed, max_chars)
}

/// A name: like [`required_text`], on one line. Names end up in mail headers (sender
/// and recipient names), where a line break is refused.
pub fn required_name(field: &str, value: &str, max_chars: usize) -> ServiceResult<String> {
    let text = required_text(field, value, max_chars)?;
    if text.contains(['\r', '\n']) {
        return Err(ServiceError::invalid(field, "must be a single line"));
    }
    Ok(text)
}

/// Like [`required_text`], but an empty value means "not given".
pub fn optional_text(field: &str, value: Option<&str>, max_chars: usize) -> ServiceResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => bounded(field, text, max_chars).map(Some),
    }
}

fn bounded(field: &str, text: &str, max_chars: usize) -> ServiceResult<String> {
    if text.chars().count() > max_chars {
        return Err(ServiceError::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(ServiceError::invalid(field, "contains control characters"));
    }
    Ok(text.to_owned())
}
