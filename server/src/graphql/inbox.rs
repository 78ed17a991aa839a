use std::io::Read;

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Subscription, Upload};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use talentpost_shared::{InboxMedium, InboxState, MailSource, MediumCounts, SuggestionReason};
use tokio_stream::wrappers::BroadcastStream;

use super::candidates::{Application, Candidate};
use super::job_openings::JobOpening;
use super::legal_entities::LegalEntity;
use super::loaders::loaders;
use super::mail_messages::MailMessage;
use super::support::{
    GqlResult, ServiceResultExt, caller, gql_id, page_request, parse_email, parse_id, parse_ids, state, to_connection,
    to_gql,
};
use crate::auth::Principal;
use crate::db::entities::{document, inbox_item};
use crate::error::ServiceError;
use crate::events::DomainEvent;
use crate::ids::{ApplicationId, CandidateId, InboxItemId, JobOpeningId, LegalEntityId, UserGroupId};
use crate::services::inbox::takeover;
use crate::services::inbox::{self as service, ApplicationSubmission, InboxFilter, UploadedFile};
use crate::services::mail_in::intake as mail_intake;
use crate::state::AppState;

pub struct InboxItem(inbox_item::Model);

#[Object]
impl InboxItem {
    async fn id(&self) -> ID {
        gql_id(self.0.id)
    }
    async fn medium(&self) -> InboxMedium {
        self.0.medium
    }
    async fn state(&self) -> InboxState {
        self.0.state
    }
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.received_at
    }
    /// Mail subject, or the job opening's title for a form application; may be empty.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn sender_name(&self) -> Option<&str> {
        self.0.sender_name.as_deref()
    }
    async fn sender_email(&self) -> Option<&str> {
        self.0.sender_email.as_deref()
    }
    async fn sender_phone(&self) -> Option<&str> {
        self.0.sender_phone.as_deref()
    }
    /// The first lines of the message, as plain text.
    async fn preview(&self) -> Option<&str> {
        self.0.preview.as_deref()
    }
    /// The full text the applicant wrote in the form (online form only).
    async fn message(&self) -> Option<String> {
        let payload: serde_json::Value = serde_json::from_str(self.0.payload.as_deref()?).ok()?;
        payload.get("message")?.as_str().map(str::to_owned)
    }
    async fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.0.deleted_at
    }
    async fn legal_entity(&self, ctx: &Context<'_>) -> GqlResult<Option<LegalEntity>> {
        let Some(id) = self.0.legal_entity_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.legal_entity(id).await?.map(LegalEntity::from))
    }
    async fn job_opening(&self, ctx: &Context<'_>) -> GqlResult<Option<JobOpening>> {
        let Some(id) = self.0.job_opening_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.job_opening(id).await?.map(JobOpening::from))
    }
    /// The known candidate whose e-mail address matches the sender, if any.
    async fn matched_candidate(&self, ctx: &Context<'_>) -> GqlResult<Option<Candidate>> {
        let Some(id) = self.0.matched_candidate_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.candidate(id).await?.map(Candidate::from))
    }
    /// The candidate the item was taken over as or assigned to.
    async fn candidate(&self, ctx: &Context<'_>) -> GqlResult<Option<Candidate>> {
        let Some(id) = self.0.candidate_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.candidate(id).await?.map(Candidate::from))
    }
    /// The mail of an e-mail item (headers, bodies, raw source); null for other media.
    async fn mail(&self, ctx: &Context<'_>) -> GqlResult<Option<MailMessage>> {
        let state = state(ctx)?;
        Ok(crate::services::mail_in::stored::of_item(&state.db, self.0.id)
            .await
            .gql()?
            .map(MailMessage))
    }
    async fn documents(&self, ctx: &Context<'_>) -> GqlResult<Vec<Document>> {
        let state = state(ctx)?;
        Ok(service::documents_of(state, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(Document::from)
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct Document {
    pub id: ID,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// Relative URL; needs the same session cookie or bearer token as the API.
    pub download_url: String,
}

impl From<document::Model> for Document {
    fn from(model: document::Model) -> Self {
        Self {
            id: gql_id(model.id),
            download_url: format!("/api/documents/{}", model.id),
            file_name: model.file_name,
            content_type: model.content_type,
            size_bytes: model.size_bytes,
            sha256: model.sha256,
        }
    }
}

#[derive(SimpleObject, Clone, Copy)]
pub struct InboxCounts {
    pub email: u64,
    pub online_form: u64,
    pub job_agency: u64,
    pub sms: u64,
    pub total: u64,
}

impl From<MediumCounts> for InboxCounts {
    fn from(counts: MediumCounts) -> Self {
        Self {
            email: counts.email,
            online_form: counts.online_form,
            job_agency: counts.job_agency,
            sms: counts.sms,
            total: counts.total(),
        }
    }
}

#[derive(InputObject)]
pub struct SubmitApplicationInput {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
    /// Free text the applicant wrote (cover letter).
    pub message: Option<String>,
    /// The opening applied for; leave out for an unsolicited application.
    pub job_opening_id: Option<ID>,
    /// For unsolicited applications: the company applied to (default: the main entity).
    pub legal_entity_id: Option<ID>,
    /// Limits who sees the item to this group.
    pub user_group_id: Option<ID>,
    /// Send the same key again when retrying: the application is then stored once.
    pub idempotency_key: Option<String>,
    /// Files, sent as a GraphQL multipart request.
    #[graphql(default)]
    pub attachments: Vec<Upload>,
}

#[derive(InputObject, Default)]
pub struct TakeOverInput {
    /// The opening applied for; default: the item's own, else unsolicited.
    pub job_opening_id: Option<ID>,
    /// Corrections; empty fields are taken from the item.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(SimpleObject)]
pub struct InboxAssignment {
    pub item: InboxItem,
    pub candidate: Candidate,
    pub application: Option<Application>,
    /// False when the sender was already a candidate and the item joined them.
    pub created_candidate: bool,
}

impl From<takeover::Assignment> for InboxAssignment {
    fn from(done: takeover::Assignment) -> Self {
        Self {
            item: InboxItem(done.item),
            candidate: Candidate::from(done.candidate),
            application: done.application.map(Application),
            created_candidate: done.created_candidate,
        }
    }
}

#[derive(SimpleObject)]
pub struct CandidateSuggestion {
    pub candidate: Candidate,
    /// Why, strongest first: same address, similar name, same phone.
    pub reasons: Vec<SuggestionReason>,
    /// Similarity of the names from 0 to 1.
    pub name_similarity: f64,
}

#[derive(Default)]
pub struct InboxQuery;

#[Object]
impl InboxQuery {
    /// Inbox items newest first; `state` defaults to UNASSIGNED.
    #[graphql(complexity = "first.unwrap_or(50).clamp(0, 200) as usize * child_complexity + 1")]
    async fn inbox_items(
        &self,
        ctx: &Context<'_>,
        medium: Option<InboxMedium>,
        state: Option<InboxState>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<String, InboxItem>> {
        let request = page_request(first, after.as_deref())?;
        let (app, principal) = caller(ctx)?;
        let filter = InboxFilter {
            medium,
            state: state.unwrap_or(InboxState::Unassigned),
        };
        let page = service::list(app, principal, filter, &request).await.gql()?;
        let items: Vec<&_> = page.items.iter().map(|(_, item)| item).collect();
        loaders(ctx)?
            .prime_inbox_items(&ctx.look_ahead().field("edges").field("node"), &items)
            .await?;
        Ok(to_connection(page, request.after.is_some(), InboxItem))
    }

    async fn inbox_item(&self, ctx: &Context<'_>, id: ID) -> GqlResult<InboxItem> {
        let id = parse_id("id", &id, InboxItemId)?;
        let (app, principal) = caller(ctx)?;
        service::find(&app.db, principal, id).await.gql().map(InboxItem)
    }

    /// Known candidates the item may belong to, best first.
    async fn candidate_suggestions(&self, ctx: &Context<'_>, inbox_item_id: ID) -> GqlResult<Vec<CandidateSuggestion>> {
        let id = parse_id("inboxItemId", &inbox_item_id, InboxItemId)?;
        let (app, principal) = caller(ctx)?;
        let suggestions = takeover::suggestions(app, principal, id).await.gql()?;
        Ok(suggestions
            .into_iter()
            .map(|s| CandidateSuggestion {
                candidate: Candidate::from(s.candidate),
                reasons: s.reasons,
                name_similarity: s.name_similarity,
            })
            .collect())
    }

    /// Items per medium in one state (default UNASSIGNED), as the inbox tabs show them.
    async fn inbox_counts(&self, ctx: &Context<'_>, state: Option<InboxState>) -> GqlResult<InboxCounts> {
        let (app, principal) = caller(ctx)?;
        service::counts(app, principal, state.unwrap_or(InboxState::Unassigned))
            .await
            .gql()
            .map(InboxCounts::from)
    }
}

#[derive(Default)]
pub struct InboxMutation;

#[Object]
impl InboxMutation {
    /// Moves items to the deleted state; the user who deleted them or an administrator
    /// can restore them.
    async fn delete_inbox_items(&self, ctx: &Context<'_>, ids: Vec<ID>) -> GqlResult<Vec<InboxItem>> {
        let ids = parse_ids("ids", &ids, InboxItemId)?;
        let (app, principal) = caller(ctx)?;
        Ok(service::delete(app, principal, &ids)
            .await
            .gql()?
            .into_iter()
            .map(InboxItem)
            .collect())
    }

    /// One click: a candidate and an application from the item (names, address, phone
    /// from what arrived), its files as the candidate's documents and the item as the
    /// first contact. A sender who is already a candidate gets the application instead
    /// of a duplicate.
    async fn take_over_inbox_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default)] input: TakeOverInput,
    ) -> GqlResult<InboxAssignment> {
        let id = parse_id("id", &id, InboxItemId)?;
        let input = takeover::TakeOverInput {
            job_opening_id: input
                .job_opening_id
                .map(|id| parse_id("input.jobOpeningId", &id, JobOpeningId))
                .transpose()?,
            email: input
                .email
                .as_deref()
                .map(|email| parse_email("input.email", email))
                .transpose()?,
            first_name: input.first_name,
            last_name: input.last_name,
            phone: input.phone,
        };
        let (app, principal) = caller(ctx)?;
        takeover::take_over(app, principal, id, input)
            .await
            .gql()
            .map(InboxAssignment::from)
    }

    /// Takes over several items, all or nothing; items from one sender share a candidate.
    async fn take_over_inbox_items(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
        job_opening_id: Option<ID>,
    ) -> GqlResult<Vec<InboxAssignment>> {
        let ids = parse_ids("ids", &ids, InboxItemId)?;
        let job_opening_id = job_opening_id
            .map(|id| parse_id("jobOpeningId", &id, JobOpeningId))
            .transpose()?;
        let (app, principal) = caller(ctx)?;
        Ok(takeover::take_over_many(app, principal, &ids, job_opening_id)
            .await
            .gql()?
            .into_iter()
            .map(InboxAssignment::from)
            .collect())
    }

    /// Joins the item to a known candidate (and optionally one of their applications).
    async fn assign_inbox_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        candidate_id: ID,
        application_id: Option<ID>,
    ) -> GqlResult<InboxAssignment> {
        let id = parse_id("id", &id, InboxItemId)?;
        let candidate_id = parse_id("candidateId", &candidate_id, CandidateId)?;
        let application_id = application_id
            .map(|id| parse_id("applicationId", &id, ApplicationId))
            .transpose()?;
        let (app, principal) = caller(ctx)?;
        takeover::assign(app, principal, id, candidate_id, application_id)
            .await
            .gql()
            .map(InboxAssignment::from)
    }

    /// Undoes a take-over within 15 minutes (who took it over, or an administrator):
    /// the item is unassigned again; its application, contact and a candidate the
    /// take-over created (if nothing else was recorded for them) are removed.
    async fn undo_take_over(&self, ctx: &Context<'_>, id: ID) -> GqlResult<InboxItem> {
        let id = parse_id("id", &id, InboxItemId)?;
        let (app, principal) = caller(ctx)?;
        takeover::undo_take_over(app, principal, id).await.gql().map(InboxItem)
    }

    /// Brings deleted items back: administrators any, others those they deleted
    /// themselves (the app's "undo").
    async fn restore_inbox_items(&self, ctx: &Context<'_>, ids: Vec<ID>) -> GqlResult<Vec<InboxItem>> {
        let ids = parse_ids("ids", &ids, InboxItemId)?;
        let (app, principal) = caller(ctx)?;
        Ok(service::restore(app, principal, &ids)
            .await
            .gql()?
            .into_iter()
            .map(InboxItem)
            .collect())
    }

    /// Stores a raw RFC 822 mail (an .eml file, as a GraphQL multipart upload) as an
    /// e-mail inbox item, through the same ingest as fetched mail: for importing mail
    /// from elsewhere. Administrators only. A mail already stored returns its item.
    async fn import_mail(&self, ctx: &Context<'_>, file: Upload) -> GqlResult<InboxItem> {
        let (app, principal) = caller(ctx)?;
        let upload = read_upload_limited(ctx, "file".to_owned(), mail_intake::hard_limit(app), &file).await?;
        mail_intake::submit(app, principal, upload.bytes, MailSource::Api)
            .await
            .gql()
            .map(|ingested| InboxItem(ingested.item))
    }

    /// Pushes an application from a career page; it appears in the inbox as an online-form item.
    async fn submit_application(&self, ctx: &Context<'_>, input: SubmitApplicationInput) -> GqlResult<InboxItem> {
        let email = parse_email("email", &input.email)?;
        let job_opening_id = input
            .job_opening_id
            .map(|id| parse_id("jobOpeningId", &id, JobOpeningId))
            .transpose()?;
        let legal_entity_id = input
            .legal_entity_id
            .map(|id| parse_id("legalEntityId", &id, LegalEntityId))
            .transpose()?;
        let user_group_id = input
            .user_group_id
            .map(|id| parse_id("userGroupId", &id, UserGroupId))
            .transpose()?;
        let (app, principal) = caller(ctx)?;
        let mut attachments = Vec::with_capacity(input.attachments.len());
        for (index, upload) in input.attachments.iter().enumerate() {
            attachments.push(read_upload(ctx, app, index, upload).await?);
        }
        let submission = ApplicationSubmission {
            first_name: input.first_name,
            last_name: input.last_name,
            email,
            phone: input.phone,
            message: input.message,
            job_opening_id,
            legal_entity_id,
            user_group_id,
            idempotency_key: input.idempotency_key,
            attachments,
        };
        service::submit_application(app, principal, submission)
            .await
            .gql()
            .map(InboxItem)
    }
}

async fn read_upload(ctx: &Context<'_>, app: &AppState, index: usize, upload: &Upload) -> GqlResult<UploadedFile> {
    read_upload_limited(ctx, format!("attachments.{index}"), app.config.max_upload_bytes, upload).await
}

pub(super) async fn read_upload_limited(
    ctx: &Context<'_>,
    field: String,
    limit: usize,
    upload: &Upload,
) -> GqlResult<UploadedFile> {
    let value = upload.value(ctx).map_err(|_| {
        to_gql(ServiceError::invalid(
            field.clone(),
            "the file part is missing from the request",
        ))
    })?;
    let file_name = value.filename.clone();
    let content_type = value.content_type.clone().unwrap_or_default();
    let mut content = value.content;
    let bytes = tokio::task::spawn_blocking(move || {
        let mut buffer = Vec::new();
        (&mut content)
            .take(limit as u64 + 1)
            .read_to_end(&mut buffer)
            .map(|_| buffer)
    })
    .await
    .map_err(|e| to_gql(ServiceError::Internal(format!("upload task: {e}"))))?
    .map_err(|e| to_gql(ServiceError::Io(e)))?;
    if bytes.len() > limit {
        return Err(to_gql(ServiceError::PayloadTooLarge { field, limit }));
    }
    Ok(UploadedFile {
        file_name,
        content_type,
        bytes,
    })
}

#[derive(Default)]
pub struct InboxSubscription;

/// Events for one subscriber, ending when that subscriber's access changes.
pub(super) fn event_stream(app: &AppState, principal: &Principal) -> impl Stream<Item = DomainEvent> + use<> {
    let (organisation_id, user_id) = (principal.organisation_id, principal.user_id);
    // A lagging subscriber skips what it missed; counts are re-read on the next event.
    BroadcastStream::new(app.events.subscribe())
        .filter_map(|event| async move { event.ok() })
        .take_while(move |event| {
            let still_allowed = !event.revokes_access_of(organisation_id, user_id);
            async move { still_allowed }
        })
}

#[Subscription]
impl InboxSubscription {
    /// New items the subscriber may see, as they arrive.
    async fn inbox_item_added(
        &self,
        ctx: &Context<'_>,
        medium: Option<InboxMedium>,
    ) -> async_graphql::Result<impl Stream<Item = InboxItem> + use<>> {
        let (app, principal) = caller(ctx)?;
        let principal: Principal = principal.clone();
        Ok(event_stream(app, &principal).filter_map(move |event| {
            let visible = match event {
                DomainEvent::InboxItemAdded(item)
                    if item.organisation_id == principal.organisation_id
                        && principal.sees_inbox_item(item.user_group_id, item.legal_entity_id)
                        && medium.is_none_or(|m| m == item.medium) =>
                {
                    Some(InboxItem(*item))
                }
                _ => None,
            };
            async move { visible }
        }))
    }

    /// The subscriber's unassigned counts: once at start, then after every inbox change.
    async fn inbox_counts_changed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = InboxCounts> + use<>> {
        let (app, principal) = caller(ctx)?;
        let (app, principal) = (app.clone(), principal.clone());
        let organisation_id = principal.organisation_id;
        let changes = event_stream(&app, &principal)
            .filter(move |event| {
                let relevant = event.organisation_id() == organisation_id
                    && matches!(event, DomainEvent::InboxItemAdded(_) | DomainEvent::InboxChanged { .. });
                async move { relevant }
            })
            .map(|_| ());
        // A first sync stores thousands of mails in a burst: count once per quarter
        // second of changes, not once per mail.
        let changes =
            tokio_stream::StreamExt::chunks_timeout(changes, 10_000, std::time::Duration::from_millis(250)).map(|_| ());
        let triggers = futures_util::stream::once(async {}).chain(changes);
        Ok(triggers.filter_map(move |()| {
            let (app, principal) = (app.clone(), principal.clone());
            async move {
                match service::counts(&app, &principal, InboxState::Unassigned).await {
                    Ok(counts) => Some(InboxCounts::from(counts)),
                    Err(error) => {
                        tracing::warn!(error = %error, "could not count inbox items for a subscriber");
                        None
                    }
                }
            }
        }))
    }
}
