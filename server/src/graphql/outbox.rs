use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Subscription, Upload};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use talentpost_shared::{ContactMedium, MailProblem, OutboxChannel, OutboxPurpose, OutboxStatus};

use super::inbox::{event_stream, read_upload_limited};
use super::support::{GqlResult, ServiceResultExt, caller, gql_id, page_request, parse_id, to_connection};
use crate::auth::Principal;
use crate::db::entities::{contact_event, outbox_message};
use crate::events::DomainEvent;
use crate::ids::{ApplicationId, CandidateId, InboxItemId, OutboxMessageId};
use crate::services::candidates::contact_history::{
    self, ContactEventInput as ServiceContactInput, HistoryEntry, HistoryFilter,
};
use crate::services::mail_out::messages::{self, SendMessageInput as ServiceSendInput};
use crate::services::mail_out::outbox::{self as service, OutboxFilter};

/// A mail in the outbox: queued, being sent, sent, waiting for a retry, or failed.
pub struct OutboxMessage(outbox_message::Model);

impl From<outbox_message::Model> for OutboxMessage {
    fn from(model: outbox_message::Model) -> Self {
        Self(model)
    }
}

#[Object]
impl OutboxMessage {
    async fn id(&self) -> ID {
        gql_id(self.0.id)
    }
    async fn status(&self) -> OutboxStatus {
        self.0.status
    }
    async fn purpose(&self) -> OutboxPurpose {
        self.0.purpose
    }
    /// What carries (or carried) the mail; DROP_FOLDER means no relay is configured and
    /// the mail was written to a file on the server instead of being sent.
    async fn channel(&self) -> OutboxChannel {
        self.0.channel
    }
    async fn outbound_account_id(&self) -> Option<ID> {
        self.0.outbound_account_id.map(gql_id)
    }
    async fn legal_entity_id(&self) -> Option<ID> {
        self.0.legal_entity_id.map(gql_id)
    }
    async fn candidate_id(&self) -> Option<ID> {
        self.0.candidate_id.map(gql_id)
    }
    async fn application_id(&self) -> Option<ID> {
        self.0.application_id.map(gql_id)
    }
    async fn from_address(&self) -> &str {
        &self.0.from_address
    }
    #[graphql(name = "fromName")]
    async fn sender_display_name(&self) -> Option<&str> {
        self.0.from_name.as_deref()
    }
    async fn to_address(&self) -> &str {
        &self.0.to_address
    }
    async fn reply_to_address(&self) -> Option<&str> {
        self.0.reply_to_address.as_deref()
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn body_text(&self) -> &str {
        &self.0.body_text
    }
    /// Without angle brackets; stable across retries.
    async fn message_id(&self) -> &str {
        &self.0.message_id
    }
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// Attempts cut off by a server stop; such a mail may have reached its server.
    async fn interrupted_attempts(&self) -> i32 {
        self.0.interrupted_attempts
    }
    /// When the next attempt is due, while queued or retrying.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        matches!(self.0.status, OutboxStatus::Queued | OutboxStatus::Retrying).then_some(self.0.next_attempt_at)
    }
    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_attempt_at
    }
    /// Where the last failure happened.
    async fn last_problem(&self) -> Option<MailProblem> {
        self.0.last_problem
    }
    /// The server's last reply, or the reason of the last failure.
    async fn last_reply(&self) -> Option<&str> {
        self.0.last_reply.as_deref()
    }
    async fn last_reply_code(&self) -> Option<i32> {
        self.0.last_reply_code
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    async fn failed_at(&self) -> Option<DateTime<Utc>> {
        self.0.failed_at
    }
    async fn bounced_at(&self) -> Option<DateTime<Utc>> {
        self.0.bounced_at
    }
    /// Retries stop after this time.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One contact with a candidate.
pub struct ContactEvent(contact_event::Model, Option<outbox_message::Model>);

#[Object]
impl ContactEvent {
    async fn id(&self) -> ID {
        gql_id(self.0.id)
    }
    async fn medium(&self) -> ContactMedium {
        self.0.medium
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// Who recorded or wrote it; none for mail that came in.
    async fn user_id(&self) -> Option<ID> {
        self.0.user_id.map(gql_id)
    }
    async fn application_id(&self) -> Option<ID> {
        self.0.application_id.map(gql_id)
    }
    /// The received mail, for MAIL_IN.
    async fn inbox_item_id(&self) -> Option<ID> {
        self.0.inbox_item_id.map(gql_id)
    }
    /// The sent mail and its delivery status, for MAIL_OUT.
    async fn outbox_message(&self) -> Option<OutboxMessage> {
        self.1.clone().map(OutboxMessage)
    }
}

impl From<HistoryEntry> for ContactEvent {
    fn from(entry: HistoryEntry) -> Self {
        Self(entry.event, entry.outbox)
    }
}

#[derive(InputObject)]
pub struct SendMessageInput {
    pub candidate_id: ID,
    /// The application the mail is about; its job opening's legal entity is the sender.
    pub application_id: Option<ID>,
    /// Default: the candidate's first address that has not bounced.
    pub to: Option<String>,
    /// Placeholders like {{ candidate.first_name }} or {{ job_opening.title }} are filled in.
    pub subject: String,
    pub body: String,
    #[graphql(default)]
    pub attachments: Vec<Upload>,
    /// Answer this received mail (same thread).
    pub in_reply_to_inbox_item_id: Option<ID>,
}

#[derive(InputObject)]
pub struct ContactEventInput {
    pub candidate_id: ID,
    pub application_id: Option<ID>,
    /// LETTER_OUT, FAX_OUT, PHONE_OUT, PHONE_IN, IN_PERSON or FORM_LETTER_LETTER.
    pub medium: ContactMedium,
    /// Default: now.
    pub occurred_at: Option<DateTime<Utc>>,
    pub subject: Option<String>,
    pub note: Option<String>,
}

#[derive(InputObject, Default)]
pub struct OutboxFilterInput {
    pub statuses: Option<Vec<OutboxStatus>>,
    pub candidate_id: Option<ID>,
}

#[derive(InputObject, Default)]
pub struct ContactHistoryFilter {
    pub media: Option<Vec<ContactMedium>>,
}

#[derive(Default)]
pub struct OutboxQuery;

#[Object]
impl OutboxQuery {
    /// Outgoing mail, newest first.
    async fn outbox_messages(
        &self,
        ctx: &Context<'_>,
        filter: Option<OutboxFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, OutboxMessage>> {
        let request = page_request(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = OutboxFilter {
            statuses: filter.statuses.unwrap_or_default(),
            candidate_id: filter
                .candidate_id
                .map(|id| parse_id("filter.candidateId", &id, CandidateId))
                .transpose()?,
        };
        let (app, principal) = caller(ctx)?;
        let page = service::list(app, principal, &filter, &request).await.gql()?;
        Ok(to_connection(page, request.after.is_some(), OutboxMessage))
    }

    async fn outbox_message(&self, ctx: &Context<'_>, id: ID) -> GqlResult<OutboxMessage> {
        let id = parse_id("id", &id, OutboxMessageId)?;
        let (app, principal) = caller(ctx)?;
        service::find(&app.db, principal, id).await.gql().map(OutboxMessage)
    }

    /// Every contact with the candidate, newest first.
    async fn contact_history(
        &self,
        ctx: &Context<'_>,
        candidate_id: ID,
        filter: Option<ContactHistoryFilter>,
    ) -> GqlResult<Vec<ContactEvent>> {
        let candidate_id = parse_id("candidateId", &candidate_id, CandidateId)?;
        let filter = HistoryFilter {
            media: filter.and_then(|f| f.media).unwrap_or_default(),
        };
        let (app, principal) = caller(ctx)?;
        Ok(contact_history::list(app, principal, candidate_id, &filter)
            .await
            .gql()?
            .into_iter()
            .map(ContactEvent::from)
            .collect())
    }
}

#[derive(Default)]
pub struct OutboxMutation;

#[Object]
impl OutboxMutation {
    /// Writes to a candidate. The mail is queued in the outbox together with its entry
    /// in the contact history and sent by the outbox worker.
    async fn send_message(&self, ctx: &Context<'_>, input: SendMessageInput) -> GqlResult<OutboxMessage> {
        let candidate_id = parse_id("candidateId", &input.candidate_id, CandidateId)?;
        let application_id = input
            .application_id
            .map(|id| parse_id("applicationId", &id, ApplicationId))
            .transpose()?;
        let in_reply_to = input
            .in_reply_to_inbox_item_id
            .map(|id| parse_id("inReplyToInboxItemId", &id, InboxItemId))
            .transpose()?;
        let (app, principal) = caller(ctx)?;
        let mut attachments = Vec::with_capacity(input.attachments.len());
        for (index, upload) in input.attachments.iter().enumerate() {
            attachments.push(
                read_upload_limited(
                    ctx,
                    format!("attachments.{index}"),
                    app.config.max_outgoing_bytes,
                    upload,
                )
                .await?,
            );
        }
        let send = ServiceSendInput {
            candidate_id,
            application_id,
            to: input.to,
            subject: input.subject,
            body: input.body,
            attachments,
            in_reply_to_inbox_item_id: in_reply_to,
        };
        messages::send(app, principal, send).await.gql().map(OutboxMessage)
    }

    /// Queues a failed, waiting or cancelled mail again, now.
    async fn retry_outbox_message(&self, ctx: &Context<'_>, id: ID) -> GqlResult<OutboxMessage> {
        let id = parse_id("id", &id, OutboxMessageId)?;
        let (app, principal) = caller(ctx)?;
        service::retry(app, principal, id).await.gql().map(OutboxMessage)
    }

    /// Stops a mail that has not gone out yet.
    async fn cancel_outbox_message(&self, ctx: &Context<'_>, id: ID) -> GqlResult<OutboxMessage> {
        let id = parse_id("id", &id, OutboxMessageId)?;
        let (app, principal) = caller(ctx)?;
        service::cancel(app, principal, id).await.gql().map(OutboxMessage)
    }

    /// Records a letter, fax, phone call or meeting in the candidate's history.
    async fn add_contact_event(&self, ctx: &Context<'_>, input: ContactEventInput) -> GqlResult<ContactEvent> {
        let input = ServiceContactInput {
            candidate_id: parse_id("candidateId", &input.candidate_id, CandidateId)?,
            application_id: input
                .application_id
                .map(|id| parse_id("applicationId", &id, ApplicationId))
                .transpose()?,
            medium: input.medium,
            occurred_at: input.occurred_at,
            subject: input.subject,
            note: input.note,
        };
        let (app, principal) = caller(ctx)?;
        contact_history::add(app, principal, input)
            .await
            .gql()
            .map(|event| ContactEvent(event, None))
    }
}

#[derive(Default)]
pub struct OutboxSubscription;

#[Subscription]
impl OutboxSubscription {
    /// Outgoing mail as it is queued and as its status changes. With `id`, only that
    /// mail, starting with its current state (so nothing before subscribing is missed).
    async fn outbox_message_changed(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = OutboxMessage> + use<>> {
        let only = id.map(|id| parse_id("id", &id, OutboxMessageId)).transpose()?;
        let (app, principal) = caller(ctx)?;
        // Subscribe before reading, so no change between the two is lost.
        let changes = event_stream(app, principal);
        let current = match only {
            Some(id) => Some(service::find(&app.db, principal, id).await.gql()?),
            None => None,
        };
        let app = app.clone();
        let principal: Principal = principal.clone();
        let changes = changes.filter_map(move |event| {
            let (app, principal) = (app.clone(), principal.clone());
            async move {
                match event {
                    DomainEvent::OutboxChanged {
                        organisation_id,
                        message_id,
                        ..
                    } if organisation_id == principal.organisation_id && only.is_none_or(|id| id.0 == message_id) => {
                        service::find(&app.db, &principal, OutboxMessageId(message_id))
                            .await
                            .ok()
                            .map(OutboxMessage)
                    }
                    _ => None,
                }
            }
        });
        Ok(futures_util::stream::iter(current.map(OutboxMessage)).chain(changes))
    }

    /// Fires with the candidate's id whenever their contact history changes.
    async fn contact_history_changed(
        &self,
        ctx: &Context<'_>,
        candidate_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = ID> + use<>> {
        let candidate_id = parse_id("candidateId", &candidate_id, CandidateId)?;
        let (app, principal) = caller(ctx)?;
        let organisation = principal.organisation_id;
        Ok(event_stream(app, principal).filter_map(move |event| async move {
            match event {
                DomainEvent::ContactHistoryChanged {
                    organisation_id,
                    candidate_id: changed,
                } if organisation_id == organisation && changed == candidate_id.0 => Some(gql_id(changed)),
                _ => None,
            }
        }))
    }
}
