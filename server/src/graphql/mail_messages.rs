use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use talentpost_shared::{MailSource, ParseStatus};

use super::support::{GqlResult, ServiceResultExt, caller, gql_id, state};
use crate::db::entities::mail_message;
use crate::ids::InboxItemId;
use crate::services::mail_in::stored as service;

/// The mail behind an e-mail inbox item: headers, bodies and where it came from.
pub struct MailMessage(pub mail_message::Model);

#[derive(SimpleObject, serde::Deserialize)]
pub struct MailAddress {
    pub name: Option<String>,
    pub address: String,
}

fn addresses(json: &str) -> Vec<MailAddress> {
    serde_json::from_str(json).unwrap_or_default()
}

#[Object]
impl MailMessage {
    async fn id(&self) -> ID {
        gql_id(self.0.id)
    }
    async fn source(&self) -> MailSource {
        self.0.source
    }
    /// PARSED, or why the mail is only kept raw.
    async fn parse_status(&self) -> ParseStatus {
        self.0.parse_status
    }
    /// Why the mail could not be read, in words.
    async fn parse_problem(&self) -> Option<&str> {
        self.0.parse_problem.as_deref()
    }
    /// Message-ID without angle brackets.
    async fn message_id(&self) -> Option<&str> {
        self.0.message_id_header.as_deref()
    }
    async fn in_reply_to(&self) -> Option<&str> {
        self.0.in_reply_to.as_deref()
    }
    /// The References header: message ids separated by spaces.
    async fn references(&self) -> Option<&str> {
        self.0.references_header.as_deref()
    }
    async fn from(&self) -> Option<MailAddress> {
        self.0.from_address.as_ref().map(|address| MailAddress {
            name: self.0.from_name.clone(),
            address: address.clone(),
        })
    }
    async fn to(&self) -> Vec<MailAddress> {
        addresses(&self.0.to_json)
    }
    async fn cc(&self) -> Vec<MailAddress> {
        addresses(&self.0.cc_json)
    }
    async fn reply_to(&self) -> Vec<MailAddress> {
        addresses(&self.0.reply_to_json)
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// The Date header.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.received_at
    }
    /// The plain-text body (converted from HTML when the mail has no text part).
    async fn text_body(&self) -> Option<&str> {
        self.0.text_body.as_deref()
    }
    /// The HTML body, sanitised, with inline images embedded. Show it only in a
    /// sandboxed frame with a content security policy (as the app does).
    async fn html_body(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        service::html_for_view(state(ctx)?, &self.0).await.gql()
    }
    /// The HTML refers to remote images or styles, which the view blocks until asked.
    async fn has_remote_content(&self) -> bool {
        self.0.has_remote_content
    }
    /// Set for auto-replies and delivery reports, which stay out of the inbox.
    async fn automatic_reason(&self) -> Option<&str> {
        self.0.automatic_reason.as_deref()
    }
    /// The intake address a forwarded mail was delivered to.
    async fn intake_recipient(&self) -> Option<&str> {
        self.0.intake_recipient.as_deref()
    }
    async fn raw_size(&self) -> i64 {
        self.0.raw_size
    }
    /// The raw source as text (invalid UTF-8 replaced), at most 1 MiB; `rawUrl` has all of it.
    async fn raw_source(&self, ctx: &Context<'_>) -> GqlResult<String> {
        let (app, principal) = caller(ctx)?;
        let (_, bytes) = service::raw(app, principal, InboxItemId(self.0.inbox_item_id))
            .await
            .gql()?;
        let shown = &bytes[..bytes.len().min(service::MAX_RAW_PREVIEW_BYTES)];
        Ok(String::from_utf8_lossy(shown).into_owned())
    }
    /// Relative URL of the HTML body as a document for a sandboxed frame, with its own
    /// content security policy; add `?images=remote` to let remote images load. Null
    /// when the mail has no HTML part. Needs the session cookie or bearer token.
    async fn view_url(&self) -> Option<String> {
        self.0
            .html_body
            .is_some()
            .then(|| format!("/api/inbox/{}/view", self.0.inbox_item_id))
    }
    /// Relative URL of the raw mail (.eml); needs the session cookie or bearer token.
    async fn raw_url(&self) -> String {
        format!("/api/inbox/{}/raw", self.0.inbox_item_id)
    }
}
