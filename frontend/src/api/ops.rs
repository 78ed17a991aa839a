//! Every GraphQL operation the app uses, one async function each.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use talentpost_shared::{
    ApplicationStatus, CandidateStatus, DashboardPeriod, DataRetention, DuplicateStatus, InboxMedium, InboxState,
    JobOpeningStatus, OauthProvider, OauthPurpose, OutboxStatus, Role, SourceMedium,
};

use talentpost_shared::nurturing::CandidateQueryFilter;

use super::types::*;
use super::{ApiError, gql};

/// Runs an operation and decodes the value under its single root field.
async fn pick<T: DeserializeOwned>(query: &str, variables: Value, root: &str) -> Result<T, ApiError> {
    let mut data: Value = gql(query, variables).await?;
    serde_json::from_value(data[root].take()).map_err(|e| ApiError::Decode(format!("{root}: {e}")))
}

const USER_FIELDS: &str = "id email displayName role active legalEntityIds";

pub async fn me() -> Result<User, ApiError> {
    pick(&format!("{{ me {{ {USER_FIELDS} }} }}"), json!({}), "me").await
}

pub async fn login(email: String, password: String) -> Result<User, ApiError> {
    let query = format!("mutation($input: LoginInput!) {{ login(input: $input) {{ {USER_FIELDS} }} }}");
    pick(
        &query,
        json!({"input": {"email": email, "password": password}}),
        "login",
    )
    .await
}

pub async fn logout() -> Result<bool, ApiError> {
    pick("mutation { logout }", json!({}), "logout").await
}

const ITEM_FIELDS: &str = "id medium state receivedAt subject senderName senderEmail senderPhone preview
    jobOpening { title } matchedCandidate { id fullName } candidate { id fullName }";

pub async fn inbox_items(
    medium: InboxMedium,
    state: InboxState,
    first: u32,
    after: Option<String>,
) -> Result<Connection<InboxItem>, ApiError> {
    let query = format!(
        "query($medium: InboxMedium, $state: InboxState, $first: Int, $after: String) {{
            inboxItems(medium: $medium, state: $state, first: $first, after: $after) {{
                edges {{ cursor node {{ {ITEM_FIELDS} }} }} pageInfo {{ hasNextPage }} }} }}"
    );
    let variables = json!({"medium": medium, "state": state, "first": first, "after": after});
    pick(&query, variables, "inboxItems").await
}

const MAIL_FIELDS: &str = "source parseStatus parseProblem automaticReason from { name address } to { name address }
    cc { name address } replyTo { name address } subject sentAt textBody viewUrl hasRemoteContent rawUrl rawSize";

pub async fn inbox_item(id: String) -> Result<InboxItem, ApiError> {
    let query = format!(
        "query($id: ID!) {{ inboxItem(id: $id) {{ {ITEM_FIELDS} message legalEntity {{ name }}
            documents {{ id fileName contentType sizeBytes downloadUrl }} mail {{ {MAIL_FIELDS} }} }} }}"
    );
    pick(&query, json!({"id": id}), "inboxItem").await
}

/// Imports an .eml file as an e-mail inbox item (administrators).
pub async fn import_mail(file: web_sys::File) -> Result<InboxItem, ApiError> {
    let query = format!("mutation($file: Upload!) {{ importMail(file: $file) {{ {ITEM_FIELDS} }} }}");
    let mut data: Value = super::gql_with_file(&query, &file).await?;
    serde_json::from_value(data["importMail"].take()).map_err(|e| ApiError::Decode(format!("importMail: {e}")))
}

/// The stored mail as text (first MiB), loaded only when the reader asks for it.
pub async fn raw_source(item_id: String) -> Result<String, ApiError> {
    let item: Value = pick(
        "query($id: ID!) { inboxItem(id: $id) { mail { rawSource } } }",
        json!({"id": item_id}),
        "inboxItem",
    )
    .await?;
    Ok(item["mail"]["rawSource"].as_str().unwrap_or_default().to_owned())
}

const OAUTH_FIELDS: &str = "id provider mailboxAddress legalEntityId state problem";

const ACCOUNT_FIELDS: &str = "id label protocol host port security allowPlaintext acceptInvalidCerts username folder
    authMethod oauth { id provider mailboxAddress legalEntityId state problem }
    legalEntityId userGroupId active status statusProblem statusDetail syncDone syncTotal lastSuccessAt lastErrorAt";

pub async fn inbound_accounts() -> Result<Vec<InboundAccount>, ApiError> {
    pick(
        &format!("{{ inboundAccounts {{ {ACCOUNT_FIELDS} }} }}"),
        json!({}),
        "inboundAccounts",
    )
    .await
}

/// `input` is an `InboundAccountInput` as JSON (the form builds it).
pub async fn create_inbound_account(input: Value) -> Result<InboundAccount, ApiError> {
    let query = format!(
        "mutation($input: InboundAccountInput!) {{ createInboundAccount(input: $input) {{ {ACCOUNT_FIELDS} }} }}"
    );
    pick(&query, json!({"input": input}), "createInboundAccount").await
}

pub async fn update_inbound_account(id: String, input: Value) -> Result<InboundAccount, ApiError> {
    let query = format!(
        "mutation($id: ID!, $input: InboundAccountInput!) {{ updateInboundAccount(id: $id, input: $input) {{ {ACCOUNT_FIELDS} }} }}"
    );
    pick(&query, json!({"id": id, "input": input}), "updateInboundAccount").await
}

pub async fn delete_inbound_accounts(ids: Vec<String>) -> Result<Value, ApiError> {
    pick(
        "mutation($ids: [ID!]!) { deleteInboundAccounts(ids: $ids) }",
        json!({"ids": ids}),
        "deleteInboundAccounts",
    )
    .await
}

/// `since` (YYYY-MM-DD) fetches everything from that date again; known mail is skipped.
pub async fn sync_inbound_account(id: String, since: Option<String>) -> Result<SyncResult, ApiError> {
    pick(
        "mutation($id: ID!, $since: NaiveDate) { syncInboundAccount(id: $id, since: $since) { stored alreadyKnown alreadyRunning } }",
        json!({"id": id, "since": since}),
        "syncInboundAccount",
    )
    .await
}

/// Asks the mail server for its folders; works before the account is saved.
pub async fn list_mail_folders(connection: Value, account_id: Option<String>) -> Result<Vec<MailFolder>, ApiError> {
    pick(
        "query($input: MailConnectionInput!, $id: ID) { listMailFolders(input: $input, accountId: $id) { name selectable } }",
        json!({"input": connection, "id": account_id}),
        "listMailFolders",
    )
    .await
}

pub async fn delete_inbox_items(ids: Vec<String>) -> Result<Value, ApiError> {
    pick(
        "mutation($ids: [ID!]!) { deleteInboxItems(ids: $ids) { id } }",
        json!({"ids": ids}),
        "deleteInboxItems",
    )
    .await
}

pub async fn restore_inbox_items(ids: Vec<String>) -> Result<Value, ApiError> {
    pick(
        "mutation($ids: [ID!]!) { restoreInboxItems(ids: $ids) { id } }",
        json!({"ids": ids}),
        "restoreInboxItems",
    )
    .await
}

const CANDIDATE_FIELDS: &str = "id firstName lastName emails phone birthday inTalentPool status lastContactAt";

/// What the candidate list is narrowed to; empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CandidateListFilter {
    pub search: String,
    pub status: Option<CandidateStatus>,
    pub in_talent_pool: Option<bool>,
    pub job_opening_id: Option<String>,
    pub source: Option<SourceMedium>,
}

pub async fn candidates(
    filter: CandidateListFilter,
    first: u32,
    after: Option<String>,
) -> Result<Connection<Candidate>, ApiError> {
    let query = format!(
        "query($search: String, $status: CandidateStatus, $pool: Boolean, $opening: ID, $source: SourceMedium, $first: Int, $after: String) {{
            candidates(search: $search, status: $status, inTalentPool: $pool, jobOpeningId: $opening, source: $source, first: $first, after: $after) {{
            edges {{ cursor node {{ {CANDIDATE_FIELDS} }} }} pageInfo {{ hasNextPage }} }} }}"
    );
    let variables = json!({
        "search": filter.search, "status": filter.status, "pool": filter.in_talent_pool,
        "opening": filter.job_opening_id, "source": filter.source, "first": first, "after": after,
    });
    pick(&query, variables, "candidates").await
}

/// Candidates whose name, address or phone contains `term`, for pickers; nothing for
/// fewer than two characters.
pub async fn search_candidates(term: String, first: u32) -> Result<Vec<Candidate>, ApiError> {
    if term.trim().chars().count() < 2 {
        return Ok(Vec::new());
    }
    let filter = CandidateListFilter {
        search: term,
        ..Default::default()
    };
    candidates(filter, first, None)
        .await
        .map(|page| page.edges.into_iter().map(|e| e.node).collect())
}

const DUPLICATE_FIELDS: &str =
    "id reason status members { id firstName lastName emails phone birthday inTalentPool status }";

pub async fn candidate(id: String) -> Result<Candidate, ApiError> {
    let query = format!(
        "query($id: ID!) {{ candidate(id: $id) {{ {CANDIDATE_FIELDS}
            applications {{ id status sourceMedium appliedAt jobOpening {{ title }} }}
            documents {{ id fileName contentType sizeBytes downloadUrl }}
            duplicateSets {{ {DUPLICATE_FIELDS} }} }} }}"
    );
    pick(&query, json!({"id": id}), "candidate").await
}

pub async fn set_application_status(id: String, status: ApplicationStatus) -> Result<Value, ApiError> {
    pick(
        "mutation($id: ID!, $status: ApplicationStatus!) { setApplicationStatus(id: $id, status: $status) { id status } }",
        json!({"id": id, "status": status}),
        "setApplicationStatus",
    )
    .await
}

pub async fn create_application(candidate_id: String, job_opening_id: Option<String>) -> Result<Value, ApiError> {
    pick(
        "mutation($c: ID!, $o: ID) { createApplication(candidateId: $c, jobOpeningId: $o) { id } }",
        json!({"c": candidate_id, "o": job_opening_id}),
        "createApplication",
    )
    .await
}

pub async fn duplicate_sets(status: DuplicateStatus) -> Result<Connection<DuplicateSet>, ApiError> {
    let query = format!(
        "query($status: DuplicateStatus) {{ duplicateSets(filter: {{status: $status}}, first: 100) {{
            edges {{ cursor node {{ {DUPLICATE_FIELDS} }} }} pageInfo {{ hasNextPage }} }} }}"
    );
    pick(&query, json!({"status": status}), "duplicateSets").await
}

pub async fn merge_candidates(target_id: String, source_ids: Vec<String>) -> Result<MergeResult, ApiError> {
    pick(
        "mutation($t: ID!, $s: [ID!]!) { mergeCandidates(targetId: $t, sourceIds: $s) { movedApplications movedDocuments movedContactEvents } }",
        json!({"t": target_id, "s": source_ids}),
        "mergeCandidates",
    )
    .await
}

/// Records the verdict on a duplicate set: `confirm` (same person) or dismiss.
pub async fn decide_duplicate(set_id: String, confirm: bool) -> Result<Value, ApiError> {
    let root = if confirm {
        "confirmDuplicate"
    } else {
        "dismissDuplicate"
    };
    pick(
        &format!("mutation($id: ID!) {{ {root}(setId: $id) {{ id status }} }}"),
        json!({"id": set_id}),
        root,
    )
    .await
}

const ASSIGNMENT_FIELDS: &str = "candidate { id firstName lastName } createdCandidate";

/// What the recruiter chose or corrected for a take-over; empty means "as the item says".
#[derive(Clone, Debug, Default)]
pub struct TakeOver {
    pub job_opening_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

pub async fn take_over_inbox_item(id: String, input: TakeOver) -> Result<InboxAssignment, ApiError> {
    let query = format!(
        "mutation($id: ID!, $input: TakeOverInput) {{ takeOverInboxItem(id: $id, input: $input) {{ {ASSIGNMENT_FIELDS} }} }}"
    );
    let input =
        json!({"jobOpeningId": input.job_opening_id, "firstName": input.first_name, "lastName": input.last_name});
    pick(&query, json!({"id": id, "input": input}), "takeOverInboxItem").await
}

pub async fn take_over_inbox_items(
    ids: Vec<String>,
    job_opening_id: Option<String>,
) -> Result<Vec<InboxAssignment>, ApiError> {
    let query = format!(
        "mutation($ids: [ID!]!, $o: ID) {{ takeOverInboxItems(ids: $ids, jobOpeningId: $o) {{ {ASSIGNMENT_FIELDS} }} }}"
    );
    pick(&query, json!({"ids": ids, "o": job_opening_id}), "takeOverInboxItems").await
}

pub async fn undo_take_over(id: String) -> Result<Value, ApiError> {
    pick(
        "mutation($id: ID!) { undoTakeOver(id: $id) { id state } }",
        json!({"id": id}),
        "undoTakeOver",
    )
    .await
}

pub async fn assign_inbox_item(id: String, candidate_id: String) -> Result<InboxAssignment, ApiError> {
    let query = format!(
        "mutation($id: ID!, $c: ID!) {{ assignInboxItem(id: $id, candidateId: $c) {{ {ASSIGNMENT_FIELDS} }} }}"
    );
    pick(&query, json!({"id": id, "c": candidate_id}), "assignInboxItem").await
}

pub async fn candidate_suggestions(item_id: String) -> Result<Vec<CandidateSuggestion>, ApiError> {
    let query = format!(
        "query($id: ID!) {{ candidateSuggestions(inboxItemId: $id) {{ reasons nameSimilarity candidate {{ {CANDIDATE_FIELDS} }} }} }}"
    );
    pick(&query, json!({"id": item_id}), "candidateSuggestions").await
}

pub async fn dashboard(period: DashboardPeriod) -> Result<Dashboard, ApiError> {
    pick(
        "query($p: DashboardPeriod) { dashboard(period: $p) { period from to openJobOpenings newCandidates applications
            openTasks { unassignedInboxItems writingJobsDue failedOutgoingMail } bucketStarts
            applicationsBySource { source counts }
            channelEffectiveness { source applications interviews hires hireRate medianDaysToHire } } }",
        json!({"p": period}),
        "dashboard",
    )
    .await
}

const INTAKE_FIELDS: &str = "formKey formUrl smsKey smsWebhookUrl hasSmsSecret formEmbedOrigins";

pub async fn intake_settings() -> Result<IntakeSettings, ApiError> {
    pick(
        &format!("{{ intakeSettings {{ {INTAKE_FIELDS} }} }}"),
        json!({}),
        "intakeSettings",
    )
    .await
}

/// `channel` is ONLINE_FORM or SMS.
pub async fn rotate_intake_key(channel: &'static str) -> Result<RotatedIntakeKey, ApiError> {
    let query = format!(
        "mutation($c: IntakeChannel!) {{ rotateIntakeKey(channel: $c) {{ settings {{ {INTAKE_FIELDS} }} secret }} }}"
    );
    pick(&query, json!({"c": channel}), "rotateIntakeKey").await
}

/// An empty list lets any site embed the application form.
pub async fn set_form_embed_origins(origins: Vec<String>) -> Result<IntakeSettings, ApiError> {
    let query = format!("mutation($o: [String!]!) {{ setFormEmbedOrigins(origins: $o) {{ {INTAKE_FIELDS} }} }}");
    pick(&query, json!({"o": origins}), "setFormEmbedOrigins").await
}

pub async fn disable_intake(channel: &'static str) -> Result<IntakeSettings, ApiError> {
    let query = format!("mutation($c: IntakeChannel!) {{ disableIntake(channel: $c) {{ {INTAKE_FIELDS} }} }}");
    pick(&query, json!({"c": channel}), "disableIntake").await
}

pub struct CandidateForm {
    pub first_name: String,
    pub last_name: String,
    pub emails: Vec<String>,
    pub phone: String,
    pub birthday: String,
    pub in_talent_pool: bool,
    pub status: CandidateStatus,
}

impl CandidateForm {
    fn to_json(&self) -> Value {
        json!({
            "firstName": self.first_name,
            "lastName": self.last_name,
            "emails": self.emails,
            "phone": self.phone,
            "birthday": if self.birthday.is_empty() { Value::Null } else { json!(self.birthday) },
            "inTalentPool": self.in_talent_pool,
            "status": self.status,
        })
    }
}

pub async fn create_candidate(form: CandidateForm) -> Result<Candidate, ApiError> {
    let query = format!(
        "mutation($input: CreateCandidateInput!) {{ createCandidate(input: $input) {{ {CANDIDATE_FIELDS} }} }}"
    );
    pick(&query, json!({"input": form.to_json()}), "createCandidate").await
}

pub async fn update_candidate(id: String, form: CandidateForm) -> Result<Candidate, ApiError> {
    let query = format!(
        "mutation($id: ID!, $input: UpdateCandidateInput!) {{ updateCandidate(id: $id, input: $input) {{ {CANDIDATE_FIELDS} }} }}"
    );
    pick(&query, json!({"id": id, "input": form.to_json()}), "updateCandidate").await
}

const OPENING_FIELDS: &str = "id title location status legalEntityId legalEntity { name }";

pub async fn job_openings(after: Option<String>) -> Result<Connection<JobOpening>, ApiError> {
    let query = format!(
        "query($after: String) {{ jobOpenings(first: 100, after: $after) {{ edges {{ cursor node {{ {OPENING_FIELDS} }} }} pageInfo {{ hasNextPage }} }} }}"
    );
    pick(&query, json!({"after": after}), "jobOpenings").await
}

pub async fn create_job_opening(
    legal_entity_id: String,
    title: String,
    location: String,
) -> Result<JobOpening, ApiError> {
    let query = format!(
        "mutation($input: CreateJobOpeningInput!) {{ createJobOpening(input: $input) {{ {OPENING_FIELDS} }} }}"
    );
    let input = json!({"legalEntityId": legal_entity_id, "title": title, "location": location});
    pick(&query, json!({"input": input}), "createJobOpening").await
}

pub async fn set_job_opening_status(id: String, status: JobOpeningStatus) -> Result<JobOpening, ApiError> {
    let query = format!(
        "mutation($id: ID!, $status: JobOpeningStatus) {{ updateJobOpening(id: $id, input: {{status: $status}}) {{ {OPENING_FIELDS} }} }}"
    );
    pick(&query, json!({"id": id, "status": status}), "updateJobOpening").await
}

pub async fn update_job_opening(id: String, title: String, location: String) -> Result<JobOpening, ApiError> {
    let query = format!(
        "mutation($id: ID!, $input: UpdateJobOpeningInput!) {{ updateJobOpening(id: $id, input: $input) {{ {OPENING_FIELDS} }} }}"
    );
    pick(
        &query,
        json!({"id": id, "input": {"title": title, "location": location}}),
        "updateJobOpening",
    )
    .await
}

pub async fn legal_entities() -> Result<Vec<LegalEntity>, ApiError> {
    pick(
        "{ legalEntities { id name isMain intakeAddress } }",
        json!({}),
        "legalEntities",
    )
    .await
}

pub async fn create_legal_entity(name: String, is_main: bool) -> Result<LegalEntity, ApiError> {
    pick(
        "mutation($input: CreateLegalEntityInput!) { createLegalEntity(input: $input) { id name isMain } }",
        json!({"input": {"name": name, "isMain": is_main}}),
        "createLegalEntity",
    )
    .await
}

pub async fn update_legal_entity(
    id: String,
    name: Option<String>,
    is_main: Option<bool>,
) -> Result<LegalEntity, ApiError> {
    pick(
        "mutation($id: ID!, $input: UpdateLegalEntityInput!) { updateLegalEntity(id: $id, input: $input) { id name isMain } }",
        json!({"id": id, "input": {"name": name, "isMain": is_main}}),
        "updateLegalEntity",
    )
    .await
}

pub async fn users() -> Result<Vec<User>, ApiError> {
    pick(&format!("{{ users {{ {USER_FIELDS} }} }}"), json!({}), "users").await
}

pub async fn create_user(
    email: String,
    display_name: String,
    role: Role,
    password: String,
    entities: Vec<String>,
) -> Result<User, ApiError> {
    let query = format!("mutation($input: CreateUserInput!) {{ createUser(input: $input) {{ {USER_FIELDS} }} }}");
    let input = json!({"email": email, "displayName": display_name, "role": role, "password": password, "legalEntityIds": entities});
    pick(&query, json!({"input": input}), "createUser").await
}

pub async fn update_user(id: String, input: Value) -> Result<User, ApiError> {
    let query = format!(
        "mutation($id: ID!, $input: UpdateUserInput!) {{ updateUser(id: $id, input: $input) {{ {USER_FIELDS} }} }}"
    );
    pick(&query, json!({"id": id, "input": input}), "updateUser").await
}

pub async fn user_groups() -> Result<Vec<UserGroup>, ApiError> {
    pick(
        "{ userGroups { id name members { id displayName } } }",
        json!({}),
        "userGroups",
    )
    .await
}

pub async fn create_user_group(name: String) -> Result<UserGroup, ApiError> {
    pick(
        "mutation($name: String!) { createUserGroup(name: $name) { id name members { id displayName } } }",
        json!({"name": name}),
        "createUserGroup",
    )
    .await
}

pub async fn set_user_group_members(group_id: String, user_ids: Vec<String>) -> Result<UserGroup, ApiError> {
    pick(
        "mutation($g: ID!, $u: [ID!]!) { setUserGroupMembers(groupId: $g, userIds: $u) { id name members { id displayName } } }",
        json!({"g": group_id, "u": user_ids}),
        "setUserGroupMembers",
    )
    .await
}

pub async fn api_tokens() -> Result<Vec<ApiToken>, ApiError> {
    pick(
        "{ apiTokens { id name prefix createdAt lastUsedAt revokedAt } }",
        json!({}),
        "apiTokens",
    )
    .await
}

/// Returns the secret token, which the server shows only this once.
pub async fn create_api_token(name: String) -> Result<String, ApiError> {
    let created: Value = pick(
        "mutation($n: String!) { createApiToken(name: $n) { token } }",
        json!({"n": name}),
        "createApiToken",
    )
    .await?;
    created["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ApiError::Decode("token missing".to_owned()))
}

pub async fn revoke_api_token(id: String) -> Result<Value, ApiError> {
    pick(
        "mutation($id: ID!) { revokeApiToken(id: $id) { id } }",
        json!({"id": id}),
        "revokeApiToken",
    )
    .await
}

pub async fn audit_log(user_id: Option<String>, kind: Option<String>) -> Result<Connection<AuditEntry>, ApiError> {
    pick(
        "query($f: AuditLogFilter) { auditLog(filter: $f, first: 100) { edges { cursor node { id actorId actorName apiTokenName action subjectType subjectId details createdAt } } pageInfo { hasNextPage } } }",
        json!({"f": {"userId": user_id, "kind": kind}}),
        "auditLog",
    )
    .await
}

const OUTBOUND_FIELDS: &str =
    "id label isSystemDefault host port security allowPlaintext acceptInvalidCerts username hasPassword
    signatureHtml signatureText legalEntityId oauth { id provider mailboxAddress legalEntityId state problem }";

pub async fn outbound_accounts() -> Result<Vec<OutboundAccount>, ApiError> {
    pick(
        &format!("{{ outboundAccounts {{ {OUTBOUND_FIELDS} }} }}"),
        json!({}),
        "outboundAccounts",
    )
    .await
}

pub async fn create_outbound_account(input: Value) -> Result<OutboundAccount, ApiError> {
    let query = format!(
        "mutation($input: OutboundAccountInput!) {{ createOutboundAccount(input: $input) {{ {OUTBOUND_FIELDS} }} }}"
    );
    pick(&query, json!({"input": input}), "createOutboundAccount").await
}

pub async fn update_outbound_account(id: String, input: Value) -> Result<OutboundAccount, ApiError> {
    let query = format!(
        "mutation($id: ID!, $input: OutboundAccountInput!) {{ updateOutboundAccount(id: $id, input: $input) {{ {OUTBOUND_FIELDS} }} }}"
    );
    pick(&query, json!({"id": id, "input": input}), "updateOutboundAccount").await
}

pub async fn delete_outbound_accounts(ids: Vec<String>) -> Result<Value, ApiError> {
    pick(
        "mutation($ids: [ID!]!) { deleteOutboundAccounts(ids: $ids) }",
        json!({"ids": ids}),
        "deleteOutboundAccounts",
    )
    .await
}

const OUTBOX_FIELDS: &str =
    "id status purpose channel candidateId fromAddress fromName toAddress subject bodyText attempts
    interruptedAttempts nextAttemptAt lastProblem lastReply lastReplyCode sentAt createdAt";

/// "Check connection" (`send: false`) or "send test email"; `id` and/or unsaved `input`.
pub async fn test_outbound_account(
    id: Option<String>,
    input: Option<Value>,
    to: String,
    from: String,
    send: bool,
) -> Result<SmtpTestResult, ApiError> {
    let query = format!(
        "mutation($id: ID, $input: OutboundAccountInput, $to: String!, $from: String, $send: Boolean) {{
            testOutboundAccount(id: $id, input: $input, to: $to, from: $from, send: $send) {{
                ok problem message replyCode steps {{ stage detail }} testMessage {{ {OUTBOX_FIELDS} }} }} }}"
    );
    let from = if from.trim().is_empty() {
        Value::Null
    } else {
        json!(from)
    };
    pick(
        &query,
        json!({"id": id, "input": input, "to": to, "from": from, "send": send}),
        "testOutboundAccount",
    )
    .await
}

const SENDER_FIELDS: &str =
    "legalEntityId inherited sourceLegalEntityId senderAddress senderNameMode senderName channel
    outboundAccount { id } usesBuiltinChannel threadReplyAddresses";

pub async fn sender_identity(legal_entity_id: String) -> Result<SenderIdentity, ApiError> {
    let query = format!("query($id: ID!) {{ senderIdentity(legalEntityId: $id) {{ {SENDER_FIELDS} }} }}");
    pick(&query, json!({"id": legal_entity_id}), "senderIdentity").await
}

pub async fn set_sender_identity(legal_entity_id: String, input: Value) -> Result<SenderIdentity, ApiError> {
    let query = format!(
        "mutation($id: ID!, $input: SenderIdentityInput!) {{ setSenderIdentity(legalEntityId: $id, input: $input) {{ {SENDER_FIELDS} }} }}"
    );
    pick(
        &query,
        json!({"id": legal_entity_id, "input": input}),
        "setSenderIdentity",
    )
    .await
}

pub async fn outbox_messages(
    statuses: Vec<OutboxStatus>,
    candidate_id: Option<String>,
) -> Result<Connection<OutboxMessage>, ApiError> {
    let query = format!(
        "query($filter: OutboxFilterInput) {{ outboxMessages(filter: $filter, first: 100) {{
            edges {{ cursor node {{ {OUTBOX_FIELDS} }} }} pageInfo {{ hasNextPage }} }} }}"
    );
    let statuses = if statuses.is_empty() {
        Value::Null
    } else {
        json!(statuses)
    };
    pick(
        &query,
        json!({"filter": {"statuses": statuses, "candidateId": candidate_id}}),
        "outboxMessages",
    )
    .await
}

pub async fn retry_outbox_message(id: String) -> Result<OutboxMessage, ApiError> {
    let query = format!("mutation($id: ID!) {{ retryOutboxMessage(id: $id) {{ {OUTBOX_FIELDS} }} }}");
    pick(&query, json!({"id": id}), "retryOutboxMessage").await
}

pub async fn cancel_outbox_message(id: String) -> Result<OutboxMessage, ApiError> {
    let query = format!("mutation($id: ID!) {{ cancelOutboxMessage(id: $id) {{ {OUTBOX_FIELDS} }} }}");
    pick(&query, json!({"id": id}), "cancelOutboxMessage").await
}

pub struct ComposedMail {
    pub candidate_id: String,
    pub application_id: Option<String>,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<web_sys::File>,
    /// Answers this received mail (same conversation).
    pub in_reply_to_inbox_item_id: Option<String>,
}

pub async fn send_message(mail: ComposedMail) -> Result<OutboxMessage, ApiError> {
    let query = format!("mutation($input: SendMessageInput!) {{ sendMessage(input: $input) {{ {OUTBOX_FIELDS} }} }}");
    let input = json!({
        "candidateId": mail.candidate_id,
        "applicationId": mail.application_id,
        "to": if mail.to.trim().is_empty() { Value::Null } else { json!(mail.to) },
        "subject": mail.subject,
        "body": mail.body,
        "attachments": vec![Value::Null; mail.attachments.len()],
        "inReplyToInboxItemId": mail.in_reply_to_inbox_item_id,
    });
    if mail.attachments.is_empty() {
        return pick(&query, json!({"input": input}), "sendMessage").await;
    }
    let paths: Vec<String> = (0..mail.attachments.len())
        .map(|index| format!("variables.input.attachments.{index}"))
        .collect();
    let mut data: Value = super::gql_with_files(&query, json!({"input": input}), &paths, &mail.attachments).await?;
    serde_json::from_value(data["sendMessage"].take()).map_err(|e| ApiError::Decode(format!("sendMessage: {e}")))
}

const CONTACT_FIELDS: &str = "id medium occurredAt subject note inboxItemId";

/// The history and the last-contact time derived from it, in one request.
pub async fn contact_history(candidate_id: String) -> Result<ContactHistory, ApiError> {
    let query = format!(
        "query($id: ID!) {{ contactHistory(candidateId: $id) {{ {CONTACT_FIELDS} outboxMessage {{ {OUTBOX_FIELDS} }} }}
            candidate(id: $id) {{ lastContactAt }} }}"
    );
    let mut data: Value = gql(&query, json!({"id": candidate_id})).await?;
    let entries = serde_json::from_value(data["contactHistory"].take())
        .map_err(|e| ApiError::Decode(format!("contactHistory: {e}")))?;
    let last_contact_at = data["candidate"]["lastContactAt"].as_str().map(str::to_owned);
    Ok(ContactHistory {
        entries,
        last_contact_at,
    })
}

pub async fn add_contact_event(input: Value) -> Result<ContactEvent, ApiError> {
    let query =
        format!("mutation($input: ContactEventInput!) {{ addContactEvent(input: $input) {{ {CONTACT_FIELDS} }} }}");
    pick(&query, json!({"input": input}), "addContactEvent").await
}

const QUERY_FIELDS: &str = "id name hitCount filter { statusIn statusNotIn birthdayFromDays birthdayToDays lastContactMoreThanDays
    lastContactLessThanDays inTalentPool poolMoreThanMonths hasEmail jobOpeningId legalEntityId source applicationOlderThanDays
    applicationNewerThanDays }";

pub async fn candidate_queries() -> Result<Vec<CandidateQuery>, ApiError> {
    pick(
        &format!("{{ candidateQueries {{ {QUERY_FIELDS} }} }}"),
        json!({}),
        "candidateQueries",
    )
    .await
}

/// The current hits of filters being edited.
pub async fn run_candidate_filter(filter: CandidateQueryFilter, first: u32) -> Result<CandidateQueryHits, ApiError> {
    let query = format!(
        "query($f: CandidateQueryFilterInput, $first: Int) {{ runCandidateQuery(filter: $f, first: $first) {{ totalCount
            candidates {{ edges {{ cursor node {{ {CANDIDATE_FIELDS} }} }} pageInfo {{ hasNextPage }} }} }} }}"
    );
    pick(&query, json!({"f": filter, "first": first}), "runCandidateQuery").await
}

/// Creates the query, or with `id` updates it.
pub async fn save_candidate_query(
    id: Option<String>,
    name: String,
    filter: CandidateQueryFilter,
) -> Result<CandidateQuery, ApiError> {
    match id {
        Some(id) => {
            let query = format!(
                "mutation($id: ID!, $n: String, $f: CandidateQueryFilterInput) {{ updateCandidateQuery(id: $id, name: $n, filter: $f) {{ {QUERY_FIELDS} }} }}"
            );
            pick(
                &query,
                json!({"id": id, "n": name, "f": filter}),
                "updateCandidateQuery",
            )
            .await
        }
        None => {
            let query = format!(
                "mutation($n: String!, $f: CandidateQueryFilterInput!) {{ createCandidateQuery(name: $n, filter: $f) {{ {QUERY_FIELDS} }} }}"
            );
            pick(&query, json!({"n": name, "f": filter}), "createCandidateQuery").await
        }
    }
}

pub async fn delete_candidate_query(id: String) -> Result<bool, ApiError> {
    pick(
        "mutation($id: ID!) { deleteCandidateQuery(id: $id) }",
        json!({"id": id}),
        "deleteCandidateQuery",
    )
    .await
}

const LETTER_FIELDS: &str = "id name subject bodyText bodyHtml setsCandidateStatus";

pub async fn form_letters() -> Result<Vec<FormLetter>, ApiError> {
    pick(
        &format!("{{ formLetters {{ {LETTER_FIELDS} }} }}"),
        json!({}),
        "formLetters",
    )
    .await
}

pub async fn form_letter_placeholders() -> Result<Vec<String>, ApiError> {
    pick("{ formLetterPlaceholders }", json!({}), "formLetterPlaceholders").await
}

pub struct LetterForm {
    pub name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub sets_candidate_status: Option<CandidateStatus>,
}

/// Creates the letter, or with `id` updates it.
pub async fn save_form_letter(id: Option<String>, form: LetterForm) -> Result<FormLetter, ApiError> {
    let input = json!({
        "name": form.name, "subject": form.subject, "bodyText": form.body_text, "bodyHtml": form.body_html,
        "setsCandidateStatus": form.sets_candidate_status, "clearCandidateStatus": form.sets_candidate_status.is_none(),
    });
    match id {
        Some(id) => {
            let query = format!(
                "mutation($id: ID!, $input: FormLetterInput!) {{ updateFormLetter(id: $id, input: $input) {{ {LETTER_FIELDS} }} }}"
            );
            pick(&query, json!({"id": id, "input": input}), "updateFormLetter").await
        }
        None => {
            let query = format!(
                "mutation($input: FormLetterInput!) {{ createFormLetter(input: $input) {{ {LETTER_FIELDS} }} }}"
            );
            pick(&query, json!({"input": input}), "createFormLetter").await
        }
    }
}

pub async fn delete_form_letter(id: String) -> Result<bool, ApiError> {
    pick(
        "mutation($id: ID!) { deleteFormLetter(id: $id) }",
        json!({"id": id}),
        "deleteFormLetter",
    )
    .await
}

/// About `application_id`, else the candidate's newest application.
pub async fn preview_form_letter(
    id: String,
    candidate_id: String,
    application_id: Option<String>,
) -> Result<FormLetterPreview, ApiError> {
    pick(
        "query($id: ID!, $c: ID!, $a: ID) { previewFormLetter(id: $id, candidateId: $c, applicationId: $a) { subject bodyText bodyHtml to } }",
        json!({"id": id, "c": candidate_id, "a": application_id}),
        "previewFormLetter",
    )
    .await
}

pub async fn send_form_letter(
    id: String,
    candidate_id: String,
    application_id: Option<String>,
) -> Result<FormLetterSent, ApiError> {
    pick(
        "mutation($id: ID!, $c: ID!, $a: ID) { sendFormLetter(id: $id, candidateId: $c, applicationId: $a) { documentedOnly } }",
        json!({"id": id, "c": candidate_id, "a": application_id}),
        "sendFormLetter",
    )
    .await
}

#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganisationSettings {
    pub name: String,
    pub data_retention: DataRetention,
    pub nurturing_counts_as_contact: bool,
}

pub async fn organisation_settings() -> Result<OrganisationSettings, ApiError> {
    pick(
        "{ organisationSettings { name dataRetention nurturingCountsAsContact } }",
        json!({}),
        "organisationSettings",
    )
    .await
}

pub async fn set_data_retention(retention: DataRetention) -> Result<OrganisationSettings, ApiError> {
    pick(
        "mutation($r: DataRetention!) { setDataRetention(dataRetention: $r) { name dataRetention nurturingCountsAsContact } }",
        json!({"r": retention}),
        "setDataRetention",
    )
    .await
}

pub async fn set_nurturing_counts_as_contact(counts: bool) -> Result<OrganisationSettings, ApiError> {
    pick(
        "mutation($c: Boolean!) { setNurturingCountsAsContact(counts: $c) { name dataRetention nurturingCountsAsContact } }",
        json!({"c": counts}),
        "setNurturingCountsAsContact",
    )
    .await
}

const JOB_FIELDS: &str = "id name candidateQueryId candidateQueryName formLetterId formLetterName weekdays dispatchTime timeZone \
    leadTimeHours enabled nextDispatchAt lastDispatchAt counts { planned blocked queued sent documentedNotSent failed }";

pub async fn nurturing_jobs() -> Result<Vec<NurturingJob>, ApiError> {
    pick(
        &format!("{{ nurturingJobs {{ {JOB_FIELDS} }} }}"),
        json!({}),
        "nurturingJobs",
    )
    .await
}

pub async fn nurturing_job(id: String) -> Result<NurturingJob, ApiError> {
    pick(
        &format!("query($id: ID!) {{ nurturingJob(id: $id) {{ {JOB_FIELDS} }} }}"),
        json!({"id": id}),
        "nurturingJob",
    )
    .await
}

/// The job form; every field is sent, so the same shape creates and updates.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobForm {
    pub name: String,
    pub candidate_query_id: String,
    pub form_letter_id: String,
    pub weekdays: Vec<talentpost_shared::Weekday>,
    pub dispatch_time: String,
    pub time_zone: String,
    pub lead_time_hours: i32,
    pub enabled: bool,
}

pub async fn save_nurturing_job(id: Option<String>, form: JobForm) -> Result<NurturingJob, ApiError> {
    match id {
        Some(id) => {
            let query = format!(
                "mutation($id: ID!, $i: NurturingJobInput!) {{ updateNurturingJob(id: $id, input: $i) {{ {JOB_FIELDS} }} }}"
            );
            pick(&query, json!({"id": id, "i": form}), "updateNurturingJob").await
        }
        None => {
            let query =
                format!("mutation($i: NurturingJobInput!) {{ createNurturingJob(input: $i) {{ {JOB_FIELDS} }} }}");
            pick(&query, json!({"i": form}), "createNurturingJob").await
        }
    }
}

pub async fn copy_nurturing_job(id: String) -> Result<NurturingJob, ApiError> {
    pick(
        &format!("mutation($id: ID!) {{ copyNurturingJob(id: $id) {{ {JOB_FIELDS} }} }}"),
        json!({"id": id}),
        "copyNurturingJob",
    )
    .await
}

pub async fn delete_nurturing_job(id: String) -> Result<bool, ApiError> {
    pick(
        "mutation($id: ID!) { deleteNurturingJob(id: $id) }",
        json!({"id": id}),
        "deleteNurturingJob",
    )
    .await
}

pub async fn nurturing_job_entries(
    job_id: String,
    state: Option<talentpost_shared::NurturingEntryState>,
) -> Result<NurturingEntries, ApiError> {
    pick(
        "query($j: ID!, $f: NurturingEntryFilter) { nurturingJobEntries(jobId: $j, filter: $f, first: 200) { totalCount entries { edges { cursor node { \
         id candidateId candidate { firstName lastName } plannedFor state problem reasons { code value } } } pageInfo { hasNextPage } } } }",
        json!({"j": job_id, "f": {"state": state}}),
        "nurturingJobEntries",
    )
    .await
}

pub async fn block_nurturing_entries(ids: Vec<String>) -> Result<Value, ApiError> {
    pick(
        "mutation($ids: [ID!]!) { blockNurturingEntries(ids: $ids) { id state } }",
        json!({"ids": ids}),
        "blockNurturingEntries",
    )
    .await
}

pub async fn preview_nurturing_job(id: String) -> Result<NurturingJobPreview, ApiError> {
    pick(
        "query($id: ID!) { previewNurturingJob(id: $id, first: 50) { at totalCount recipients { candidateId applicationId reasons { code value } } } }",
        json!({"id": id}),
        "previewNurturingJob",
    )
    .await
}

pub async fn export_nurturing_jobs(language: &str) -> Result<FileDownload, ApiError> {
    pick(
        "mutation($l: String!) { exportNurturingJobs(language: $l) { fileName contentType contentBase64 } }",
        json!({"l": language}),
        "exportNurturingJobs",
    )
    .await
}

pub async fn writing_jobs(
    kind: Option<talentpost_shared::WritingJobKind>,
    nurturing_job_id: Option<String>,
) -> Result<WritingJobs, ApiError> {
    pick(
        "query($f: WritingJobFilter) { writingJobs(filter: $f, first: 200) { totalCount jobs { edges { cursor node { \
         id kind title candidateId candidate { firstName lastName } nurturingJobId formLetterId dueAt note } } pageInfo { hasNextPage } } } }",
        json!({"f": {"kind": kind, "nurturingJobId": nurturing_job_id}}),
        "writingJobs",
    )
    .await
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WritingJobForm {
    pub kind: talentpost_shared::WritingJobKind,
    pub candidate_id: String,
    pub form_letter_id: Option<String>,
    pub title: Option<String>,
    pub due_at: Option<String>,
    pub note: Option<String>,
}

pub async fn create_writing_job(form: WritingJobForm) -> Result<Value, ApiError> {
    pick(
        "mutation($i: WritingJobInput!) { createWritingJob(input: $i) { id } }",
        json!({"i": form}),
        "createWritingJob",
    )
    .await
}

pub async fn delete_writing_jobs(ids: Vec<String>) -> Result<u64, ApiError> {
    pick(
        "mutation($ids: [ID!]!) { deleteWritingJobs(ids: $ids) }",
        json!({"ids": ids}),
        "deleteWritingJobs",
    )
    .await
}

const OAUTH_CLIENT_FIELDS: &str = "provider clientId hasClientSecret tenant authorizeUrl tokenUrl revokeUrl userinfoUrl
    imapHost imapPort smtpHost smtpPort smtpSecurity acceptInvalidCerts";

pub async fn oauth_clients() -> Result<Vec<OauthClient>, ApiError> {
    pick(
        &format!("{{ oauthClients {{ {OAUTH_CLIENT_FIELDS} }} }}"),
        json!({}),
        "oauthClients",
    )
    .await
}

pub async fn oauth_redirect_uri() -> Result<String, ApiError> {
    pick("{ oauthRedirectUri }", json!({}), "oauthRedirectUri").await
}

pub async fn set_oauth_client(provider: OauthProvider, input: Value) -> Result<OauthClient, ApiError> {
    let query = format!(
        "mutation($provider: OauthProvider!, $input: OauthClientInput!) {{ setOauthClient(provider: $provider, input: $input) {{ {OAUTH_CLIENT_FIELDS} }} }}"
    );
    pick(&query, json!({"provider": provider, "input": input}), "setOauthClient").await
}

pub async fn oauth_accounts() -> Result<Vec<OauthAccount>, ApiError> {
    pick(
        &format!("{{ oauthAccounts {{ {OAUTH_FIELDS} }} }}"),
        json!({}),
        "oauthAccounts",
    )
    .await
}

/// The provider's sign-in page for this connection.
pub async fn start_oauth_connect(
    provider: OauthProvider,
    purpose: OauthPurpose,
    target_id: String,
) -> Result<String, ApiError> {
    let started: Value = pick(
        "mutation($provider: OauthProvider!, $purpose: OauthPurpose!, $target: ID!) { startOauthConnect(provider: $provider, purpose: $purpose, targetId: $target) { url } }",
        json!({"provider": provider, "purpose": purpose, "target": target_id}),
        "startOauthConnect",
    )
    .await?;
    Ok(started["url"].as_str().unwrap_or_default().to_owned())
}

pub async fn disconnect_oauth(id: String) -> Result<OauthAccount, ApiError> {
    let query = format!("mutation($id: ID!) {{ disconnectOauth(accountId: $id) {{ {OAUTH_FIELDS} }} }}");
    pick(&query, json!({"id": id}), "disconnectOauth").await
}

/// What the provider appended to the redirect URI.
#[derive(Clone, Debug, Default)]
pub struct OauthCallback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

pub async fn complete_oauth_connect(callback: OauthCallback) -> Result<OauthConnected, ApiError> {
    pick(
        "mutation($state: String, $code: String, $error: String, $description: String) { \
         completeOauthConnect(state: $state, code: $code, error: $error, errorDescription: $description) { mailbox appPath } }",
        json!({"state": callback.state, "code": callback.code, "error": callback.error, "description": callback.error_description}),
        "completeOauthConnect",
    )
    .await
}
