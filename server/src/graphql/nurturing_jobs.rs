//! Nurturing jobs, their dispatch tab, and the writing-job work centre.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Subscription};
use base64::Engine;
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use talentpost_shared::{MatchReasonCode, NurturingEntryState, Weekday, WritingJobKind};

use super::candidates::Candidate;
use super::inbox::event_stream;
use super::support::{GqlResult, ServiceResultExt, caller, gql_id, page_request, parse_id, parse_ids, to_connection};
use crate::auth::Principal;
use crate::events::DomainEvent;
use crate::ids::{
    ApplicationId, CandidateId, CandidateQueryId, FormLetterId, NurturingEntryId, NurturingJobId, WritingJobId,
};
use crate::services::nurturing::entries::{self, EntryFilter, EntryView};
use crate::services::nurturing::jobs::{self, JobInput, JobView};
use crate::services::nurturing::writing_jobs::{
    self, NewWritingJob, WritingJobFilter as ServiceWritingJobFilter, WritingJobView,
};
use crate::services::nurturing::{export, recipients};

#[derive(SimpleObject)]
pub struct NurturingEntryCounts {
    pub planned: u64,
    pub blocked: u64,
    pub queued: u64,
    pub sent: u64,
    pub documented_not_sent: u64,
    pub failed: u64,
}

#[derive(SimpleObject)]
pub struct NurturingJob {
    pub id: ID,
    pub name: String,
    pub candidate_query_id: ID,
    pub candidate_query_name: String,
    pub form_letter_id: ID,
    pub form_letter_name: String,
    pub weekdays: Vec<Weekday>,
    /// Local time of day, "HH:MM".
    pub dispatch_time: String,
    /// IANA time zone of the dispatch time.
    pub time_zone: String,
    /// How long before dispatch the recipients are planned (and can be blocked).
    pub lead_time_hours: i32,
    pub enabled: bool,
    pub next_dispatch_at: Option<DateTime<Utc>>,
    pub last_dispatch_at: Option<DateTime<Utc>>,
    pub counts: NurturingEntryCounts,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<JobView> for NurturingJob {
    fn from(view: JobView) -> Self {
        let schedule = view.schedule();
        let counts = NurturingEntryCounts {
            planned: view.count(NurturingEntryState::Planned),
            blocked: view.count(NurturingEntryState::Blocked),
            queued: view.count(NurturingEntryState::Queued),
            sent: view.count(NurturingEntryState::Sent),
            documented_not_sent: view.count(NurturingEntryState::DocumentedNotSent),
            failed: view.count(NurturingEntryState::Failed),
        };
        Self {
            id: gql_id(view.job.id),
            candidate_query_id: gql_id(view.job.candidate_query_id),
            form_letter_id: gql_id(view.job.form_letter_id),
            weekdays: Weekday::from_mask(view.job.weekdays),
            dispatch_time: schedule.dispatch_time(),
            time_zone: schedule.zone_name().to_owned(),
            lead_time_hours: view.job.lead_time_hours,
            enabled: view.job.enabled,
            next_dispatch_at: view.next_dispatch_at,
            last_dispatch_at: view.last_dispatch_at,
            counts,
            created_at: view.job.created_at,
            updated_at: view.job.updated_at,
            name: view.job.name,
            candidate_query_name: view.query_name,
            form_letter_name: view.letter_name,
        }
    }
}

#[derive(InputObject, Default)]
pub struct NurturingJobInput {
    pub name: Option<String>,
    pub candidate_query_id: Option<ID>,
    pub form_letter_id: Option<ID>,
    pub weekdays: Option<Vec<Weekday>>,
    /// "HH:MM", local time in `timeZone`.
    pub dispatch_time: Option<String>,
    /// IANA name; default Europe/Berlin.
    pub time_zone: Option<String>,
    /// Default 24.
    pub lead_time_hours: Option<i32>,
    /// New jobs are off unless this says otherwise.
    pub enabled: Option<bool>,
}

impl NurturingJobInput {
    fn parse(self) -> GqlResult<JobInput> {
        Ok(JobInput {
            candidate_query_id: self
                .candidate_query_id
                .map(|id| parse_id("candidateQueryId", &id, CandidateQueryId))
                .transpose()?,
            form_letter_id: self
                .form_letter_id
                .map(|id| parse_id("formLetterId", &id, FormLetterId))
                .transpose()?,
            name: self.name,
            weekdays: self.weekdays,
            dispatch_time: self.dispatch_time,
            time_zone: self.time_zone,
            lead_time_hours: self.lead_time_hours,
            enabled: self.enabled,
        })
    }
}

/// Why a candidate is a recipient.
#[derive(SimpleObject)]
pub struct MatchReason {
    pub code: MatchReasonCode,
    /// A date or number, depending on the code; empty when the code says it all.
    pub value: String,
}

impl From<recipients::MatchReason> for MatchReason {
    fn from(reason: recipients::MatchReason) -> Self {
        Self {
            code: reason.code,
            value: reason.value,
        }
    }
}

#[derive(SimpleObject)]
pub struct NurturingEntry {
    pub id: ID,
    pub job_id: ID,
    pub candidate_id: ID,
    /// Null when the candidate was deleted meanwhile.
    pub candidate: Option<Candidate>,
    pub application_id: Option<ID>,
    /// The dispatch time of its run.
    pub planned_for: DateTime<Utc>,
    pub state: NurturingEntryState,
    pub reasons: Vec<MatchReason>,
    /// Why it was blocked or failed.
    pub problem: Option<String>,
    pub outbox_message_id: Option<ID>,
    pub done_at: Option<DateTime<Utc>>,
}

impl From<EntryView> for NurturingEntry {
    fn from(view: EntryView) -> Self {
        Self {
            id: gql_id(view.entry.id),
            job_id: gql_id(view.entry.job_id),
            candidate_id: gql_id(view.entry.candidate_id),
            candidate: view.candidate.map(Candidate::from),
            application_id: view.entry.application_id.map(gql_id),
            planned_for: view.entry.planned_for,
            state: view.state,
            reasons: view.reasons.into_iter().map(MatchReason::from).collect(),
            problem: view.problem,
            outbox_message_id: view.entry.outbox_message_id.map(gql_id),
            done_at: view.entry.done_at,
        }
    }
}

#[derive(InputObject, Default)]
pub struct NurturingEntryFilter {
    pub state: Option<NurturingEntryState>,
}

#[derive(SimpleObject)]
pub struct NurturingEntries {
    pub total_count: u64,
    pub entries: Connection<String, NurturingEntry>,
}

/// A recipient the job would write to if it ran at `at`.
#[derive(SimpleObject)]
pub struct NurturingRecipient {
    pub candidate_id: ID,
    pub application_id: Option<ID>,
    pub reasons: Vec<MatchReason>,
}

#[derive(SimpleObject)]
pub struct NurturingJobPreview {
    /// The dispatch time the preview is for.
    pub at: DateTime<Utc>,
    pub total_count: u64,
    pub recipients: Vec<NurturingRecipient>,
}

/// A file to save, Base64-encoded.
#[derive(SimpleObject)]
pub struct FileDownload {
    pub file_name: String,
    pub content_type: String,
    pub content_base64: String,
}

#[derive(SimpleObject)]
pub struct WritingJob {
    pub id: ID,
    pub kind: WritingJobKind,
    pub title: String,
    pub candidate_id: ID,
    pub candidate: Option<Candidate>,
    pub application_id: Option<ID>,
    pub form_letter_id: Option<ID>,
    /// The nurturing job that planned it (kind NURTURING).
    pub nurturing_job_id: Option<ID>,
    pub nurturing_entry_id: Option<ID>,
    pub due_at: DateTime<Utc>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<WritingJobView> for WritingJob {
    fn from(view: WritingJobView) -> Self {
        let job = view.job;
        Self {
            id: gql_id(job.id),
            kind: job.kind,
            title: job.title,
            candidate_id: gql_id(job.candidate_id),
            candidate: view.candidate.map(Candidate::from),
            application_id: job.application_id.map(gql_id),
            form_letter_id: job.form_letter_id.map(gql_id),
            nurturing_job_id: job.nurturing_job_id.map(gql_id),
            nurturing_entry_id: job.nurturing_entry_id.map(gql_id),
            due_at: job.due_at,
            note: job.note,
            created_at: job.created_at,
        }
    }
}

#[derive(InputObject, Default)]
pub struct WritingJobFilter {
    pub kind: Option<WritingJobKind>,
    /// Only the writing jobs of this nurturing job.
    pub nurturing_job_id: Option<ID>,
    pub candidate_id: Option<ID>,
    /// Only those due by then.
    pub due_by: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct WritingJobInput {
    /// Any kind but NURTURING (those are planned by nurturing jobs).
    pub kind: WritingJobKind,
    pub candidate_id: ID,
    pub application_id: Option<ID>,
    pub form_letter_id: Option<ID>,
    /// Defaults to the form letter's name.
    pub title: Option<String>,
    /// Defaults to now.
    pub due_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct WritingJobs {
    pub total_count: u64,
    pub jobs: Connection<String, WritingJob>,
}

#[derive(Default)]
pub struct NurturingJobQuery;

#[Object]
impl NurturingJobQuery {
    async fn nurturing_jobs(&self, ctx: &Context<'_>) -> GqlResult<Vec<NurturingJob>> {
        let (state, principal) = caller(ctx)?;
        Ok(jobs::list(state, principal)
            .await
            .gql()?
            .into_iter()
            .map(NurturingJob::from)
            .collect())
    }

    async fn nurturing_job(&self, ctx: &Context<'_>, id: ID) -> GqlResult<NurturingJob> {
        let id = parse_id("id", &id, NurturingJobId)?;
        let (state, principal) = caller(ctx)?;
        jobs::view(state, principal, id).await.gql().map(NurturingJob::from)
    }

    /// The dispatch tab: entries of the job, the latest run first.
    #[graphql(complexity = "first.unwrap_or(50).clamp(0, 200) as usize * child_complexity + 1")]
    async fn nurturing_job_entries(
        &self,
        ctx: &Context<'_>,
        job_id: ID,
        filter: Option<NurturingEntryFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<NurturingEntries> {
        let job_id = parse_id("jobId", &job_id, NurturingJobId)?;
        let request = page_request(first, after.as_deref())?;
        let filter = EntryFilter {
            state: filter.unwrap_or_default().state,
        };
        let (state, principal) = caller(ctx)?;
        let (page, total_count) = entries::list(state, principal, job_id, filter, &request).await.gql()?;
        Ok(NurturingEntries {
            total_count,
            entries: to_connection(page, request.after.is_some(), NurturingEntry::from),
        })
    }

    /// Who the job would write to at its next dispatch time, as things are now.
    async fn preview_nurturing_job(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = 50)] first: i32,
    ) -> GqlResult<NurturingJobPreview> {
        let id = parse_id("id", &id, NurturingJobId)?;
        let (state, principal) = caller(ctx)?;
        let (recipients, total, at) = recipients::preview(state, principal, id, first.clamp(0, 500) as usize)
            .await
            .gql()?;
        Ok(NurturingJobPreview {
            at,
            total_count: total as u64,
            recipients: recipients
                .into_iter()
                .map(|recipient| NurturingRecipient {
                    candidate_id: gql_id(recipient.candidate_id),
                    application_id: recipient.application_id.map(gql_id),
                    reasons: recipient.reasons.into_iter().map(MatchReason::from).collect(),
                })
                .collect(),
        })
    }

    /// The work centre: open writing jobs, due first.
    #[graphql(complexity = "first.unwrap_or(50).clamp(0, 200) as usize * child_complexity + 1")]
    async fn writing_jobs(
        &self,
        ctx: &Context<'_>,
        filter: Option<WritingJobFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<WritingJobs> {
        let request = page_request(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = ServiceWritingJobFilter {
            kind: filter.kind,
            nurturing_job_id: filter
                .nurturing_job_id
                .map(|id| parse_id("filter.nurturingJobId", &id, NurturingJobId))
                .transpose()?,
            candidate_id: filter
                .candidate_id
                .map(|id| parse_id("filter.candidateId", &id, CandidateId))
                .transpose()?,
            due_by: filter.due_by,
        };
        let (state, principal) = caller(ctx)?;
        let (page, total_count) = writing_jobs::list(state, principal, filter, &request).await.gql()?;
        Ok(WritingJobs {
            total_count,
            jobs: to_connection(page, request.after.is_some(), WritingJob::from),
        })
    }
}

#[derive(Default)]
pub struct NurturingJobMutation;

#[Object]
impl NurturingJobMutation {
    async fn create_nurturing_job(&self, ctx: &Context<'_>, input: NurturingJobInput) -> GqlResult<NurturingJob> {
        let input = input.parse()?;
        let (state, principal) = caller(ctx)?;
        let created = jobs::create(state, principal, input).await.gql()?;
        jobs::view(state, principal, NurturingJobId(created.id))
            .await
            .gql()
            .map(NurturingJob::from)
    }

    /// Changing what or when the job writes drops its planned, unsent recipients; they
    /// are planned again.
    async fn update_nurturing_job(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: NurturingJobInput,
    ) -> GqlResult<NurturingJob> {
        let id = parse_id("id", &id, NurturingJobId)?;
        let input = input.parse()?;
        let (state, principal) = caller(ctx)?;
        jobs::update(state, principal, id, input).await.gql()?;
        jobs::view(state, principal, id).await.gql().map(NurturingJob::from)
    }

    /// A switched-off copy.
    async fn copy_nurturing_job(&self, ctx: &Context<'_>, id: ID) -> GqlResult<NurturingJob> {
        let id = parse_id("id", &id, NurturingJobId)?;
        let (state, principal) = caller(ctx)?;
        let copied = jobs::copy(state, principal, id).await.gql()?;
        jobs::view(state, principal, NurturingJobId(copied.id))
            .await
            .gql()
            .map(NurturingJob::from)
    }

    /// Deletes the job for good, with its planned entries and writing jobs; sent mail
    /// stays in the histories.
    async fn delete_nurturing_job(&self, ctx: &Context<'_>, id: ID) -> GqlResult<bool> {
        let id = parse_id("id", &id, NurturingJobId)?;
        let (state, principal) = caller(ctx)?;
        jobs::delete(state, principal, id).await.gql().map(|()| true)
    }

    /// Planned entries will not be written; their writing jobs disappear.
    async fn block_nurturing_entries(&self, ctx: &Context<'_>, ids: Vec<ID>) -> GqlResult<Vec<NurturingEntry>> {
        let ids = parse_ids("ids", &ids, NurturingEntryId)?;
        let (state, principal) = caller(ctx)?;
        Ok(entries::block(state, principal, &ids)
            .await
            .gql()?
            .into_iter()
            .map(NurturingEntry::from)
            .collect())
    }

    /// The job list as an Excel workbook; `language` "de" or "en" for the headings.
    async fn export_nurturing_jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "String::from(\"en\")")] language: String,
    ) -> GqlResult<FileDownload> {
        let (state, principal) = caller(ctx)?;
        let file = export::jobs_workbook(state, principal, language.starts_with("de"))
            .await
            .gql()?;
        Ok(FileDownload {
            file_name: file.file_name,
            content_type: export::CONTENT_TYPE.to_owned(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(file.bytes),
        })
    }

    async fn create_writing_job(&self, ctx: &Context<'_>, input: WritingJobInput) -> GqlResult<WritingJob> {
        let input = NewWritingJob {
            kind: input.kind,
            candidate_id: parse_id("input.candidateId", &input.candidate_id, CandidateId)?,
            application_id: input
                .application_id
                .map(|id| parse_id("input.applicationId", &id, ApplicationId))
                .transpose()?,
            form_letter_id: input
                .form_letter_id
                .map(|id| parse_id("input.formLetterId", &id, FormLetterId))
                .transpose()?,
            title: input.title,
            due_at: input.due_at,
            note: input.note,
        };
        let (state, principal) = caller(ctx)?;
        writing_jobs::create(state, principal, input)
            .await
            .gql()
            .map(WritingJob::from)
    }

    /// Deleting the writing job of a nurturing entry blocks the entry. Returns how many
    /// were deleted.
    async fn delete_writing_jobs(&self, ctx: &Context<'_>, ids: Vec<ID>) -> GqlResult<u64> {
        let ids = parse_ids("ids", &ids, WritingJobId)?;
        let (state, principal) = caller(ctx)?;
        writing_jobs::delete(state, principal, &ids).await.gql()
    }
}

#[derive(Default)]
pub struct NurturingJobSubscription;

#[Subscription]
impl NurturingJobSubscription {
    /// The job with its counts: first as it is, then whenever its runs or entries
    /// change, or mail of the organisation changes state (entries follow their mail).
    async fn nurturing_job_changed(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = NurturingJob> + use<>> {
        let id = parse_id("id", &id, NurturingJobId)?;
        let (app, principal) = caller(ctx)?;
        // Subscribe before reading, so no change between the two is lost.
        let changes = event_stream(app, principal);
        let current = jobs::view(app, principal, id).await.gql()?;
        let app = app.clone();
        let principal: Principal = principal.clone();
        let changes = changes.filter_map(move |event| {
            let (app, principal) = (app.clone(), principal.clone());
            async move {
                let relevant = match event {
                    DomainEvent::NurturingChanged {
                        organisation_id,
                        job_id,
                    } => organisation_id == principal.organisation_id && job_id == Some(id.0),
                    DomainEvent::OutboxChanged { organisation_id, .. } => organisation_id == principal.organisation_id,
                    _ => false,
                };
                if !relevant {
                    return None;
                }
                jobs::view(&app, &principal, id).await.ok().map(NurturingJob::from)
            }
        });
        Ok(futures_util::stream::iter([NurturingJob::from(current)]).chain(changes))
    }
}
