//! The unified inbox: every medium's arrivals, visible by user group.

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use talentpost_shared::{EmailAddress, InboxMedium, InboxState, MediumCounts};

use crate::auth::Principal;
use crate::db::entities::{document, inbox_item, job_opening};
use crate::error::{ServiceError, ServiceResult, is_unique_violation};
use crate::events::DomainEvent;
use crate::ids::{DocumentId, InboxItemId, JobOpeningId, LegalEntityId, UserGroupId};
use crate::services::pagination::{Page, PageRequest};
use crate::services::{
    candidates, candidates::job_openings, optional_text, org::legal_entities, org::users, required_name,
};
use crate::state::AppState;

/// Rows the caller may see, as a condition to add to any inbox query.
pub fn visible_to(principal: &Principal) -> Condition {
    let organisation = Condition::all().add(inbox_item::Column::OrganisationId.eq(principal.organisation_id));
    if principal.is_admin() {
        return organisation;
    }
    let mut who = Condition::any()
        .add(inbox_item::Column::UserGroupId.is_null())
        .add(inbox_item::Column::UserGroupId.is_in(principal.group_ids.iter().copied()));
    if principal.role == talentpost_shared::Role::CompanyAdmin {
        who = who.add(inbox_item::Column::LegalEntityId.is_in(principal.administered_entities.iter().copied()));
    }
    organisation.add(who)
}

pub struct InboxFilter {
    pub medium: Option<InboxMedium>,
    pub state: InboxState,
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: InboxFilter,
    page: &PageRequest,
) -> ServiceResult<Page<inbox_item::Model>> {
    let mut query = crate::db::tenancy::scoped::<inbox_item::Entity>(principal.organisation_id)
        .filter(visible_to(principal))
        .filter(inbox_item::Column::State.eq(filter.state.as_str()))
        .order_by_desc(inbox_item::Column::ReceivedAt)
        .order_by_desc(inbox_item::Column::Id)
        .limit(page.fetch_limit());
    if let Some(medium) = filter.medium {
        query = query.filter(inbox_item::Column::Medium.eq(medium.as_str()));
    }
    if let Some(after) = &page.after {
        let [micros, id] = after.0.as_slice() else {
            return Err(ServiceError::invalid(
                "after",
                "the cursor does not belong to the inbox",
            ));
        };
        let at = Utc
            .timestamp_micros(*micros)
            .single()
            .ok_or_else(|| ServiceError::invalid("after", "not a valid cursor"))?;
        query = query.filter(
            Condition::any().add(inbox_item::Column::ReceivedAt.lt(at)).add(
                Condition::all()
                    .add(inbox_item::Column::ReceivedAt.eq(at))
                    .add(inbox_item::Column::Id.lt(*id)),
            ),
        );
    }
    let rows = query.all(&state.db).await?;
    Ok(Page::from_rows(rows, page, |row| {
        vec![row.received_at.timestamp_micros(), row.id]
    }))
}

pub async fn counts(state: &AppState, principal: &Principal, inbox_state: InboxState) -> ServiceResult<MediumCounts> {
    let rows: Vec<(InboxMedium, i64)> = crate::db::tenancy::scoped::<inbox_item::Entity>(principal.organisation_id)
        .filter(visible_to(principal))
        .filter(inbox_item::Column::State.eq(inbox_state.as_str()))
        .select_only()
        .column(inbox_item::Column::Medium)
        .column_as(Expr::from(Func::count(Expr::col(inbox_item::Column::Id))), "count")
        .group_by(inbox_item::Column::Medium)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut counts = MediumCounts::default();
    for (medium, count) in rows {
        counts.set(medium, count.max(0) as u64);
    }
    Ok(counts)
}

pub async fn find(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: InboxItemId,
) -> ServiceResult<inbox_item::Model> {
    crate::db::tenancy::scoped_by_id::<inbox_item::Entity>(principal.organisation_id, id.0)
        .filter(visible_to(principal))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(InboxItemId::LABEL, id))
}

/// Soft-deletes the items; all or nothing, so a stale selection changes nothing.
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    ids: &[InboxItemId],
) -> ServiceResult<Vec<inbox_item::Model>> {
    change_state(state, principal, ids, "inbox_item.delete", |item| {
        (item.state != InboxState::Deleted).then_some(InboxState::Deleted)
    })
    .await
}

/// Restores soft-deleted items to the state they had (assigned if linked to a candidate).
/// Administrators restore anything; others only what they deleted themselves (their
/// "undo").
pub async fn restore(
    state: &AppState,
    principal: &Principal,
    ids: &[InboxItemId],
) -> ServiceResult<Vec<inbox_item::Model>> {
    if !principal.is_admin() {
        let deleted_by_others = crate::db::tenancy::scoped::<inbox_item::Entity>(principal.organisation_id)
            .filter(inbox_item::Column::Id.is_in(ids.iter().map(|id| id.0)))
            .filter(
                Condition::any()
                    .add(inbox_item::Column::DeletedByUserId.is_null())
                    .add(inbox_item::Column::DeletedByUserId.ne(principal.user_id)),
            )
            .count(&state.db)
            .await?;
        if deleted_by_others > 0 {
            return Err(ServiceError::Forbidden(
                "only administrators restore what others deleted",
            ));
        }
    }
    change_state(state, principal, ids, "inbox_item.restore", |item| {
        (item.state == InboxState::Deleted).then(|| {
            if item.candidate_id.is_some() {
                InboxState::Assigned
            } else {
                InboxState::Unassigned
            }
        })
    })
    .await
}

async fn change_state(
    state: &AppState,
    principal: &Principal,
    ids: &[InboxItemId],
    action: &str,
    new_state: impl Fn(&inbox_item::Model) -> Option<InboxState>,
) -> ServiceResult<Vec<inbox_item::Model>> {
    if ids.is_empty() {
        return Err(ServiceError::invalid("ids", "select at least one item"));
    }
    if ids.len() > 1000 {
        return Err(ServiceError::invalid("ids", "at most 1000 items at once"));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let mut changed = Vec::with_capacity(ids.len());
    for id in ids {
        let item = find(&txn, principal, *id).await?;
        let Some(target) = new_state(&item) else {
            changed.push(item);
            continue;
        };
        // No subject or sender: the log outlives minimisation, so it holds no personal data.
        crate::services::org::audit::record(
            &txn,
            principal,
            action,
            "inbox_item",
            Some(item.id),
            serde_json::json!({ "medium": item.medium.as_str() }),
        )
        .await?;
        let mut active: inbox_item::ActiveModel = item.into();
        active.state = Set(target);
        if target == InboxState::Deleted {
            active.deleted_at = Set(Some(Utc::now()));
            active.deleted_by_user_id = Set(Some(principal.user_id));
        } else {
            active.deleted_at = Set(None);
            active.deleted_by_user_id = Set(None);
        }
        changed.push(active.update(&txn).await?);
    }
    txn.commit().await?;
    state.events.publish(DomainEvent::InboxChanged {
        organisation_id: principal.organisation_id,
    });
    Ok(changed)
}

pub async fn documents_of(state: &AppState, item_id: i64) -> ServiceResult<Vec<document::Model>> {
    Ok(crate::db::tenancy::any_organisation::<document::Entity>()
        .filter(document::Column::InboxItemId.eq(item_id))
        .order_by_asc(document::Column::Id)
        .all(&state.db)
        .await?)
}

/// A stored file the caller may download, with its bytes.
pub async fn download(
    state: &AppState,
    principal: &Principal,
    id: DocumentId,
) -> ServiceResult<(document::Model, Vec<u8>)> {
    let doc = crate::db::tenancy::scoped_by_id::<document::Entity>(principal.organisation_id, id.0)
        .one(&state.db)
        .await?
        .ok_or_else(|| ServiceError::not_found(DocumentId::LABEL, id))?;
    if let Some(item_id) = doc.inbox_item_id {
        // Attachments of an inbox item are as private as the item itself.
        find(&state.db, principal, InboxItemId(item_id))
            .await
            .map_err(|_| ServiceError::not_found(DocumentId::LABEL, id))?;
    }
    let bytes = state.blobs.get(&doc.sha256).await?;
    Ok((doc, bytes))
}

pub struct UploadedFile {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

pub struct ApplicationSubmission {
    pub first_name: String,
    pub last_name: String,
    pub email: EmailAddress,
    pub phone: Option<String>,
    pub message: Option<String>,
    pub job_opening_id: Option<JobOpeningId>,
    pub legal_entity_id: Option<LegalEntityId>,
    pub user_group_id: Option<UserGroupId>,
    pub idempotency_key: Option<String>,
    pub attachments: Vec<UploadedFile>,
}

pub const MAX_ATTACHMENTS: usize = 20;

/// Refuses too many or too large files before anything is stored; errors name the file
/// (`attachments.2`, or under `prefix` such as `applicants.0.attachments.2`).
pub fn check_attachments(state: &AppState, prefix: &str, files: &[UploadedFile]) -> ServiceResult<()> {
    let field = if prefix.is_empty() {
        "attachments".to_owned()
    } else {
        format!("{prefix}.attachments")
    };
    if files.len() > MAX_ATTACHMENTS {
        return Err(ServiceError::invalid(field, format!("at most {MAX_ATTACHMENTS} files")));
    }
    for (index, file) in files.iter().enumerate() {
        if file.bytes.len() > state.config.max_upload_bytes {
            return Err(ServiceError::PayloadTooLarge {
                field: format!("{field}.{index}"),
                limit: state.config.max_upload_bytes,
            });
        }
    }
    Ok(())
}

/// Creates an online-form inbox item. A repeated `idempotency_key` returns the first item.
pub async fn submit_application(
    state: &AppState,
    principal: &Principal,
    submission: ApplicationSubmission,
) -> ServiceResult<inbox_item::Model> {
    let person = ApplicantDetails::checked(
        &submission.first_name,
        &submission.last_name,
        submission.phone.as_deref(),
        submission.message.as_deref(),
    )?;
    // Namespaced, so a key chosen here can never claim an SMS's or a profile's key.
    let idempotency_key =
        optional_text("idempotencyKey", submission.idempotency_key.as_deref(), 200)?.map(|key| format!("form:{key}"));
    check_attachments(state, "", &submission.attachments)?;
    if let Some(key) = &idempotency_key
        && let Some(existing) =
            find_by_idempotency_key(&state.db, principal.organisation_id, key, Some(principal)).await?
    {
        return Ok(existing);
    }

    let opening = match submission.job_opening_id {
        Some(id) => Some(
            job_openings::find(&state.db, principal, id)
                .await
                .map_err(|_| ServiceError::invalid("jobOpeningId", "no such job opening"))?,
        ),
        None => None,
    };
    let legal_entity_id = match (&opening, submission.legal_entity_id) {
        (Some(opening), _) => opening.legal_entity_id,
        (None, Some(id)) => {
            legal_entities::find_in_organisation(&state.db, principal, id)
                .await
                .map_err(|_| ServiceError::invalid("legalEntityId", "no such legal entity"))?
                .id
        }
        (None, None) => {
            legal_entities::main_entity(&state.db, principal.organisation_id)
                .await?
                .id
        }
    };
    let user_group_id = match submission.user_group_id {
        Some(id) => Some(
            users::find_group(&state.db, principal, id)
                .await
                .map_err(|_| ServiceError::invalid("userGroupId", "no such user group"))?
                .id,
        ),
        None => None,
    };
    let arrival = person.into_form_arrival(
        principal.organisation_id,
        legal_entity_id,
        opening.as_ref(),
        submission.email,
        submission.attachments,
    );
    let arrival = Arrival {
        user_group_id,
        idempotency_key,
        ..arrival
    };
    Ok(receive(state, arrival, Some(principal)).await?.item)
}

/// Name, phone and message of an applicant, checked as every channel checks them.
pub struct ApplicantDetails {
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub message: Option<String>,
}

impl ApplicantDetails {
    pub fn checked(
        first_name: &str,
        last_name: &str,
        phone: Option<&str>,
        message: Option<&str>,
    ) -> ServiceResult<Self> {
        Ok(Self {
            first_name: required_name("firstName", first_name, 100)?,
            last_name: required_name("lastName", last_name, 100)?,
            phone: optional_text("phone", phone, 50)?,
            message: optional_text("message", message, 20_000)?,
        })
    }

    /// The arrival an online form makes of these details.
    pub fn into_form_arrival(
        self,
        organisation_id: i64,
        legal_entity_id: i64,
        opening: Option<&job_opening::Model>,
        email: EmailAddress,
        attachments: Vec<UploadedFile>,
    ) -> Arrival {
        let payload = serde_json::json!({
            "firstName": self.first_name,
            "lastName": self.last_name,
            "email": email.to_string(),
            "phone": self.phone,
            "message": self.message,
        });
        Arrival {
            organisation_id,
            legal_entity_id,
            user_group_id: None,
            medium: InboxMedium::OnlineForm,
            subject: opening.map(|o| o.title.clone()).unwrap_or_default(),
            sender_name: Some(format!("{} {}", self.first_name, self.last_name)),
            sender_email: Some(email),
            sender_phone: self.phone,
            preview: self.message.as_deref().map(|m| m.chars().take(300).collect()),
            payload,
            idempotency_key: None,
            job_opening_id: opening.map(|o| o.id),
            received_at: Utc::now(),
            attachments,
        }
    }
}

/// Something that arrived through a medium other than mail (mail has its own ingest,
/// which parses first): a form, a job-agency profile, an SMS.
pub struct Arrival {
    pub organisation_id: i64,
    pub legal_entity_id: i64,
    pub user_group_id: Option<i64>,
    pub medium: InboxMedium,
    pub subject: String,
    pub sender_name: Option<String>,
    pub sender_email: Option<EmailAddress>,
    pub sender_phone: Option<String>,
    pub preview: Option<String>,
    /// What the channel delivered, as JSON (names, birthday, message, the provider's ids).
    pub payload: serde_json::Value,
    /// A channel-specific key ("sms:<provider id>"): a repeated delivery returns the first item.
    pub idempotency_key: Option<String>,
    pub job_opening_id: Option<i64>,
    pub received_at: DateTime<Utc>,
    pub attachments: Vec<UploadedFile>,
}

pub struct Received {
    pub item: inbox_item::Model,
    pub created: bool,
}

/// The one way into the inbox for every medium but mail: stores the files, the item and
/// its documents in one transaction, matches the sender to a known candidate (address,
/// else phone) and announces the item live. `viewer` is the caller when a signed-in
/// user submits; a reused idempotency key must then point at an item they may see.
pub async fn receive(state: &AppState, arrival: Arrival, viewer: Option<&Principal>) -> ServiceResult<Received> {
    if let Some(key) = &arrival.idempotency_key
        && let Some(item) = find_by_idempotency_key(&state.db, arrival.organisation_id, key, viewer).await?
    {
        return Ok(Received { item, created: false });
    }
    // Files first: the store is content-addressed, so a failed transaction leaves at
    // most an unreferenced file, never a row pointing at nothing.
    let mut stored = Vec::with_capacity(arrival.attachments.len());
    for file in &arrival.attachments {
        stored.push(state.blobs.put(&file.bytes).await?);
    }
    let matched = match (&arrival.sender_email, &arrival.sender_phone) {
        (Some(email), _) => candidates::find_by_email(&state.db, arrival.organisation_id, email).await?,
        (None, Some(phone)) => candidates::find_by_phone(&state.db, arrival.organisation_id, phone).await?,
        (None, None) => None,
    };
    let now = truncate_to_micros(Utc::now());
    let txn = crate::db::begin_write(&state.db).await?;
    let inserted = inbox_item::ActiveModel {
        organisation_id: Set(arrival.organisation_id),
        legal_entity_id: Set(Some(arrival.legal_entity_id)),
        user_group_id: Set(arrival.user_group_id),
        medium: Set(arrival.medium),
        state: Set(InboxState::Unassigned),
        received_at: Set(truncate_to_micros(arrival.received_at)),
        subject: Set(arrival.subject.clone()),
        sender_name: Set(arrival.sender_name.clone()),
        sender_email: Set(arrival.sender_email.as_ref().map(ToString::to_string)),
        sender_phone: Set(arrival.sender_phone.clone()),
        preview: Set(arrival.preview.clone()),
        payload: Set(Some(arrival.payload.to_string())),
        idempotency_key: Set(arrival.idempotency_key.clone()),
        matched_candidate_id: Set(matched.map(|c| c.id)),
        job_opening_id: Set(arrival.job_opening_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let item = match inserted {
        Ok(item) => item,
        Err(error) if is_unique_violation(&error) => {
            // A concurrent retry with the same key won the race; return its item.
            drop(txn);
            let key = arrival.idempotency_key.unwrap_or_default();
            let item = find_by_idempotency_key(&state.db, arrival.organisation_id, &key, viewer)
                .await?
                .ok_or_else(|| ServiceError::Internal("idempotent item vanished".to_owned()))?;
            return Ok(Received { item, created: false });
        }
        Err(error) => return Err(error.into()),
    };
    for (file, sha256) in arrival.attachments.iter().zip(stored) {
        document::ActiveModel {
            organisation_id: Set(arrival.organisation_id),
            inbox_item_id: Set(Some(item.id)),
            candidate_id: Set(None),
            file_name: Set(clean_file_name(&file.file_name)),
            content_type: Set(clean_content_type(&file.content_type)),
            size_bytes: Set(file.bytes.len() as i64),
            sha256: Set(sha256),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    state
        .events
        .publish(DomainEvent::InboxItemAdded(Box::new(item.clone())));
    Ok(Received { item, created: true })
}

/// The item an earlier submission with this key created. A key that belongs to an
/// item the caller may not see is a conflict, never a way to read that item.
async fn find_by_idempotency_key(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    key: &str,
    viewer: Option<&Principal>,
) -> ServiceResult<Option<inbox_item::Model>> {
    let Some(existing) = crate::db::tenancy::scoped::<inbox_item::Entity>(organisation_id)
        .filter(inbox_item::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if viewer.is_none_or(|principal| principal.sees_inbox_item(existing.user_group_id, existing.legal_entity_id)) {
        Ok(Some(existing))
    } else {
        Err(ServiceError::conflict(
            "idempotencyKey",
            "this key was already used for another submission",
        ))
    }
}

pub fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_micros(at.timestamp_micros()).single().unwrap_or(at)
}

/// Keeps only the last path segment and drops characters that break headers or paths.
pub fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "attachment".to_owned()
    } else {
        cleaned
    }
}

fn clean_content_type(content_type: &str) -> String {
    let valid = !content_type.is_empty()
        && content_type.len() < 128
        && content_type.contains('/')
        && content_type.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if valid {
        content_type.to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("C:\\Users\\anna\\Lebenslauf.pdf"), "Lebenslauf.pdf");
        assert_eq!(clean_file_name("a\r\nb.pdf"), "ab.pdf");
        assert_eq!(clean_file_name(".."), "attachment");
        assert_eq!(clean_content_type("text/html\r\nX: y"), "application/octet-stream");
    }
}
