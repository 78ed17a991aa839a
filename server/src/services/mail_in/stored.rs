//! Reading stored mail: the parsed message behind an inbox item, its HTML ready for
//! the sandboxed view, and the raw source.

use base64::Engine;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};

use crate::auth::Principal;
use crate::db::entities::{document, mail_message};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::InboxItemId;
use crate::services::inbox;
use crate::state::AppState;

/// Inline images larger than this stay out of the view (the attachment list has them).
const MAX_INLINE_IMAGE_BYTES: i64 = 5 * 1024 * 1024;
/// All inline images of one view together, after base64.
const MAX_INLINED_BYTES: usize = 20 * 1024 * 1024;
const INLINE_IMAGE_TYPES: [&str; 5] = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"];
/// The raw source shown in the app; the download has all of it.
pub const MAX_RAW_PREVIEW_BYTES: usize = 1024 * 1024;

pub async fn of_item(db: &impl ConnectionTrait, item_id: i64) -> ServiceResult<Option<mail_message::Model>> {
    Ok(crate::db::tenancy::any_organisation::<mail_message::Entity>()
        .filter(mail_message::Column::InboxItemId.eq(item_id))
        .one(db)
        .await?)
}

/// The sanitised HTML with `cid:` references replaced by the inline images themselves,
/// so the view needs no request at all (the sandboxed frame may not make any).
pub async fn html_for_view(state: &AppState, message: &mail_message::Model) -> ServiceResult<Option<String>> {
    let Some(html) = &message.html_body else {
        return Ok(None);
    };
    if !html.contains("cid:") {
        return Ok(Some(html.clone()));
    }
    let inline = crate::db::tenancy::scoped::<document::Entity>(message.organisation_id)
        .filter(document::Column::InboxItemId.eq(message.inbox_item_id))
        .filter(document::Column::ContentId.is_not_null())
        .all(&state.db)
        .await?;
    let mut html = html.clone();
    let mut budget = MAX_INLINED_BYTES;
    for doc in inline {
        let Some(content_id) = &doc.content_id else {
            continue;
        };
        // The type goes into the document: only a fixed list, never the mail's own text.
        let Some(image_type) = INLINE_IMAGE_TYPES
            .iter()
            .find(|t| doc.content_type.eq_ignore_ascii_case(t))
        else {
            continue;
        };
        if doc.size_bytes > MAX_INLINE_IMAGE_BYTES {
            continue;
        }
        let reference = format!("cid:{content_id}");
        let uses = html.matches(&reference).count();
        // Base64 makes 4 bytes of 3; a mail that repeats one image thousands of times
        // must not make the server build gigabytes.
        let cost = uses.saturating_mul(usize::try_from(doc.size_bytes).unwrap_or(usize::MAX) / 3 * 4 + 64);
        if uses == 0 || cost > budget {
            continue;
        }
        budget -= cost;
        let bytes = state.blobs.get(&doc.sha256).await?;
        let data_url = format!(
            "data:{image_type};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        );
        html = html.replace(&reference, &data_url);
    }
    Ok(Some(html))
}

/// The stored bytes of the item's mail, for the caller if they may see the item.
pub async fn raw(
    state: &AppState,
    principal: &Principal,
    item_id: InboxItemId,
) -> ServiceResult<(mail_message::Model, Vec<u8>)> {
    let item = inbox::find(&state.db, principal, item_id).await?;
    let message = of_item(&state.db, item.id)
        .await?
        .ok_or_else(|| ServiceError::not_found("mail message", item_id))?;
    let bytes = state.blobs.get(&message.raw_sha256).await?;
    Ok((message, bytes))
}

/// The item's HTML as a complete document for the app's sandboxed frame, or `None`
/// when the mail has no HTML part. Remote images stay blocked by the document's own
/// policy unless the reader asked for them.
pub async fn view_document(
    state: &AppState,
    principal: &Principal,
    item_id: InboxItemId,
    remote_images: bool,
) -> ServiceResult<Option<String>> {
    let item = inbox::find(&state.db, principal, item_id).await?;
    let message = of_item(&state.db, item.id)
        .await?
        .ok_or_else(|| ServiceError::not_found("mail message", item_id))?;
    let Some(html) = html_for_view(state, &message).await? else {
        return Ok(None);
    };
    Ok(Some(frame_document(&html, remote_images)))
}

/// What the frame document may do: run nothing, load nothing but inline images (and
/// remote ones when asked), submit no forms.
fn document_policy(remote_images: bool) -> String {
    let images = if remote_images { "data: https: http:" } else { "data:" };
    format!("default-src 'none'; img-src {images}; style-src 'unsafe-inline'; form-action 'none'")
}

/// The header policy of the frame document: only the app may frame it, and opened on
/// its own it is sandboxed just as in the frame (links leave through new tabs).
pub fn frame_policy(remote_images: bool) -> String {
    format!(
        "{}; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox",
        document_policy(remote_images)
    )
}

fn frame_document(html: &str, remote_images: bool) -> String {
    // The meta policy repeats the header's, for a frame saved and opened elsewhere.
    let policy = document_policy(remote_images);
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\
         <base target=\"_blank\">\
         <style>body{{font-family:system-ui,sans-serif;font-size:14px;line-height:1.45;margin:12px;color:#1d2330;word-wrap:break-word}}\
         img{{max-width:100%;height:auto}}</style></head><body>{html}</body></html>"
    )
}
