use serde::Deserialize;
use talentpost_shared::{
    ApplicationStatus, CandidateStatus, ContactMedium, DuplicateReason, DuplicateStatus, InboundAuthMethod,
    InboundProtocol, InboundStatus, InboxMedium, InboxState, JobOpeningStatus, MailProblem, MailSecurity, MailSource,
    OauthAccountState, OauthProvider, OutboxChannel, OutboxPurpose, OutboxStatus, ParseStatus, Role, SenderChannel,
    SenderNameMode, SourceMedium, SuggestionReason,
};
use talentpost_shared::{DashboardPeriod, MatchReasonCode, NurturingEntryState, Weekday, WritingJobKind};

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    #[serde(default)]
    pub legal_entity_ids: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegalEntity {
    pub id: String,
    pub name: String,
    pub is_main: bool,
    #[serde(default)]
    pub intake_address: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserGroup {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub members: Vec<Member>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub id: String,
    pub display_name: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobOpening {
    pub id: String,
    pub title: String,
    pub location: Option<String>,
    pub status: JobOpeningStatus,
    pub legal_entity_id: String,
    #[serde(default)]
    pub legal_entity: Option<NameOnly>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NameOnly {
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TitleOnly {
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub emails: Vec<String>,
    pub phone: Option<String>,
    pub birthday: Option<String>,
    pub in_talent_pool: bool,
    pub status: CandidateStatus,
    #[serde(default)]
    pub applications: Vec<Application>,
    #[serde(default)]
    pub last_contact_at: Option<String>,
    #[serde(default)]
    pub documents: Vec<Document>,
    #[serde(default)]
    pub duplicate_sets: Vec<DuplicateSet>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateSet {
    pub id: String,
    pub reason: DuplicateReason,
    pub status: DuplicateStatus,
    pub members: Vec<Candidate>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxAssignment {
    pub candidate: AssignedCandidate,
    pub created_candidate: bool,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedCandidate {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateSuggestion {
    pub candidate: Candidate,
    pub reasons: Vec<SuggestionReason>,
    pub name_similarity: f64,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeResult {
    pub moved_applications: u64,
    pub moved_documents: u64,
    pub moved_contact_events: u64,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub period: DashboardPeriod,
    pub from: String,
    pub to: String,
    pub open_job_openings: u64,
    pub new_candidates: u64,
    pub applications: u64,
    pub open_tasks: OpenTasks,
    pub bucket_starts: Vec<String>,
    pub applications_by_source: Vec<SourceSeries>,
    pub channel_effectiveness: Vec<ChannelFigures>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenTasks {
    pub unassigned_inbox_items: u64,
    pub writing_jobs_due: u64,
    pub failed_outgoing_mail: u64,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceSeries {
    pub source: SourceMedium,
    pub counts: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelFigures {
    pub source: SourceMedium,
    pub applications: u64,
    pub interviews: u64,
    pub hires: u64,
    pub hire_rate: Option<f64>,
    pub median_days_to_hire: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntakeSettings {
    pub form_key: Option<String>,
    pub form_url: Option<String>,
    pub sms_key: Option<String>,
    pub sms_webhook_url: Option<String>,
    pub has_sms_secret: bool,
    #[serde(default)]
    pub form_embed_origins: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotatedIntakeKey {
    pub settings: IntakeSettings,
    pub secret: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub id: String,
    pub status: ApplicationStatus,
    pub source_medium: SourceMedium,
    pub applied_at: String,
    pub job_opening: Option<TitleOnly>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxItem {
    pub id: String,
    pub medium: InboxMedium,
    pub state: InboxState,
    pub received_at: String,
    pub subject: String,
    pub sender_name: Option<String>,
    pub sender_email: Option<String>,
    pub sender_phone: Option<String>,
    pub preview: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub job_opening: Option<TitleOnly>,
    #[serde(default)]
    pub legal_entity: Option<NameOnly>,
    #[serde(default)]
    pub matched_candidate: Option<CandidateRef>,
    /// The candidate the item was taken over as or assigned to.
    #[serde(default)]
    pub candidate: Option<CandidateRef>,
    #[serde(default)]
    pub documents: Vec<Document>,
    #[serde(default)]
    pub mail: Option<MailMessage>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailMessage {
    pub source: MailSource,
    pub parse_status: ParseStatus,
    pub parse_problem: Option<String>,
    pub automatic_reason: Option<String>,
    pub from: Option<MailAddress>,
    #[serde(default)]
    pub to: Vec<MailAddress>,
    #[serde(default)]
    pub cc: Vec<MailAddress>,
    #[serde(default)]
    pub reply_to: Vec<MailAddress>,
    pub subject: String,
    pub sent_at: Option<String>,
    pub text_body: Option<String>,
    pub view_url: Option<String>,
    pub has_remote_content: bool,
    pub raw_url: String,
    pub raw_size: i64,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct MailAddress {
    pub name: Option<String>,
    pub address: String,
}

impl MailAddress {
    pub fn display(&self) -> String {
        match &self.name {
            Some(name) => format!("{name} <{}>", self.address),
            None => self.address.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundAccount {
    pub id: String,
    pub label: String,
    pub protocol: InboundProtocol,
    pub host: String,
    pub port: i32,
    pub security: MailSecurity,
    pub allow_plaintext: bool,
    pub accept_invalid_certs: bool,
    pub username: String,
    pub auth_method: InboundAuthMethod,
    pub oauth: Option<OauthAccount>,
    pub folder: String,
    pub legal_entity_id: String,
    pub user_group_id: Option<String>,
    pub active: bool,
    pub status: InboundStatus,
    pub status_problem: Option<MailProblem>,
    pub status_detail: Option<String>,
    pub sync_done: i64,
    pub sync_total: i64,
    pub last_success_at: Option<String>,
    pub last_error_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct MailFolder {
    pub name: String,
    pub selectable: bool,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncResult {
    pub stored: u64,
    pub already_known: u64,
    pub already_running: bool,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateRef {
    pub id: String,
    pub full_name: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub id: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub download_url: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: String,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub api_token_name: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<String>,
    pub details: String,
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection<T> {
    pub edges: Vec<Edge<T>>,
    pub page_info: PageInfo,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Edge<T> {
    pub cursor: String,
    pub node: T,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub has_next_page: bool,
}

impl<T> Connection<T> {
    pub fn nodes(&self) -> impl Iterator<Item = &T> {
        self.edges.iter().map(|edge| &edge.node)
    }

    pub fn end_cursor(&self) -> Option<String> {
        self.edges.last().map(|edge| edge.cursor.clone())
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundAccount {
    pub id: String,
    pub label: String,
    pub is_system_default: bool,
    pub host: String,
    pub port: i32,
    pub security: MailSecurity,
    pub allow_plaintext: bool,
    pub accept_invalid_certs: bool,
    pub username: Option<String>,
    pub has_password: bool,
    pub signature_html: Option<String>,
    pub signature_text: Option<String>,
    pub legal_entity_id: String,
    pub oauth: Option<OauthAccount>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SmtpCheckStep {
    pub stage: String,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmtpTestResult {
    pub ok: bool,
    pub steps: Vec<SmtpCheckStep>,
    pub problem: Option<MailProblem>,
    pub message: Option<String>,
    pub reply_code: Option<i32>,
    pub test_message: Option<OutboxMessage>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SenderIdentity {
    pub legal_entity_id: String,
    pub inherited: bool,
    pub source_legal_entity_id: String,
    pub sender_address: String,
    pub sender_name_mode: SenderNameMode,
    pub sender_name: Option<String>,
    pub channel: SenderChannel,
    pub outbound_account: Option<IdOnly>,
    pub uses_builtin_channel: bool,
    pub thread_reply_addresses: bool,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct IdOnly {
    pub id: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessage {
    pub id: String,
    pub status: OutboxStatus,
    pub purpose: OutboxPurpose,
    pub channel: OutboxChannel,
    pub candidate_id: Option<String>,
    pub from_address: String,
    pub from_name: Option<String>,
    pub to_address: String,
    pub subject: String,
    #[serde(default)]
    pub body_text: String,
    pub attempts: i32,
    pub interrupted_attempts: i32,
    pub next_attempt_at: Option<String>,
    pub last_problem: Option<MailProblem>,
    pub last_reply: Option<String>,
    pub last_reply_code: Option<i32>,
    pub sent_at: Option<String>,
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactEvent {
    pub id: String,
    pub medium: ContactMedium,
    pub occurred_at: String,
    pub subject: Option<String>,
    pub note: Option<String>,
    pub inbox_item_id: Option<String>,
    pub outbox_message: Option<OutboxMessage>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ContactHistory {
    pub entries: Vec<ContactEvent>,
    pub last_contact_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateQuery {
    pub id: String,
    pub name: String,
    pub filter: talentpost_shared::nurturing::CandidateQueryFilter,
    #[serde(default)]
    pub hit_count: u64,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateQueryHits {
    pub total_count: u64,
    pub candidates: Connection<Candidate>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormLetter {
    pub id: String,
    pub name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub sets_candidate_status: Option<CandidateStatus>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormLetterPreview {
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub to: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormLetterSent {
    pub documented_only: bool,
}

#[derive(Clone, Debug, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NurturingEntryCounts {
    pub planned: u64,
    pub blocked: u64,
    pub queued: u64,
    pub sent: u64,
    pub documented_not_sent: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NurturingJob {
    pub id: String,
    pub name: String,
    pub candidate_query_id: String,
    pub candidate_query_name: String,
    pub form_letter_id: String,
    pub form_letter_name: String,
    pub weekdays: Vec<Weekday>,
    pub dispatch_time: String,
    pub time_zone: String,
    pub lead_time_hours: i32,
    pub enabled: bool,
    pub next_dispatch_at: Option<String>,
    pub last_dispatch_at: Option<String>,
    pub counts: NurturingEntryCounts,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchReason {
    pub code: MatchReasonCode,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryCandidate {
    pub first_name: String,
    pub last_name: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NurturingEntry {
    pub id: String,
    pub candidate_id: String,
    pub candidate: Option<EntryCandidate>,
    pub planned_for: String,
    pub state: NurturingEntryState,
    pub reasons: Vec<MatchReason>,
    pub problem: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NurturingEntries {
    pub total_count: u64,
    pub entries: Connection<NurturingEntry>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NurturingRecipient {
    pub candidate_id: String,
    pub application_id: Option<String>,
    pub reasons: Vec<MatchReason>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NurturingJobPreview {
    pub at: String,
    pub total_count: u64,
    pub recipients: Vec<NurturingRecipient>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDownload {
    pub file_name: String,
    pub content_type: String,
    pub content_base64: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WritingJob {
    pub id: String,
    pub kind: WritingJobKind,
    pub title: String,
    pub candidate_id: String,
    pub candidate: Option<EntryCandidate>,
    pub nurturing_job_id: Option<String>,
    pub form_letter_id: Option<String>,
    pub due_at: String,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WritingJobs {
    pub total_count: u64,
    pub jobs: Connection<WritingJob>,
}

/// A connected Google or Microsoft mailbox (tokens stay on the server).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OauthAccount {
    pub id: String,
    pub provider: OauthProvider,
    pub mailbox_address: String,
    pub legal_entity_id: String,
    pub state: OauthAccountState,
    pub problem: Option<String>,
}

/// The organisation's app registration at a provider; the secret is write-only.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OauthClient {
    pub provider: OauthProvider,
    pub client_id: String,
    pub has_client_secret: bool,
    pub tenant: Option<String>,
    pub authorize_url: Option<String>,
    pub token_url: Option<String>,
    pub revoke_url: Option<String>,
    pub userinfo_url: Option<String>,
    pub imap_host: Option<String>,
    pub imap_port: Option<i32>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i32>,
    pub smtp_security: Option<MailSecurity>,
    pub accept_invalid_certs: bool,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OauthConnected {
    pub mailbox: String,
    pub app_path: String,
}
