use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use talentpost_shared::{ApplicationStatus, CandidateStatus, EmailAddress, SourceMedium, matching};

use crate::auth::Principal;
use crate::db::entities::{application, candidate, candidate_email, document, job_opening};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{ApplicationId, CandidateId, JobOpeningId};
use crate::services::pagination::{Page, PageRequest};
use crate::services::{candidates::job_openings, like_pattern, optional_text, org::audit, required_name};
use crate::state::AppState;
use serde_json::json;

#[derive(Default)]
pub struct CandidateInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub emails: Option<Vec<EmailAddress>>,
    pub phone: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub in_talent_pool: Option<bool>,
    pub status: Option<CandidateStatus>,
}

#[derive(Default)]
pub struct CandidateFilter {
    /// Matches any part of the name, an e-mail address or the phone digits, case-insensitively.
    pub search: Option<String>,
    pub status: Option<CandidateStatus>,
    pub in_talent_pool: Option<bool>,
    /// Candidates with an application for this opening.
    pub job_opening_id: Option<JobOpeningId>,
    /// Candidates with an application from this source.
    pub source: Option<SourceMedium>,
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: CandidateFilter,
    page: &PageRequest,
) -> ServiceResult<Page<candidate::Model>> {
    let mut query = crate::db::tenancy::scoped::<candidate::Entity>(principal.organisation_id)
        .order_by_desc(candidate::Column::Id)
        .limit(page.fetch_limit());
    if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let needle = search.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
        query = query.filter(candidate::Column::SearchText.like(like_pattern("%{}%", &needle)));
    }
    if filter.job_opening_id.is_some() || filter.source.is_some() {
        // Correlated, so the newest-first scan stops after a page of hits instead of
        // first collecting every matching application.
        let mut applications = application::Entity::find()
            .select_only()
            .column(application::Column::Id)
            .filter(
                Expr::col((application::Entity, application::Column::CandidateId))
                    .equals((candidate::Entity, candidate::Column::Id)),
            );
        if let Some(opening) = filter.job_opening_id {
            applications = applications.filter(application::Column::JobOpeningId.eq(opening.0));
        }
        if let Some(source) = filter.source {
            applications = applications.filter(application::Column::SourceMedium.eq(source.as_str()));
        }
        query = query.filter(Expr::exists(applications.into_query()));
    }
    if let Some(status) = filter.status {
        query = query.filter(candidate::Column::Status.eq(status.as_str()));
    }
    if let Some(pool) = filter.in_talent_pool {
        query = query.filter(candidate::Column::InTalentPool.eq(pool));
    }
    if let Some(after) = &page.after {
        query = query.filter(candidate::Column::Id.lt(after.single()?));
    }
    let rows = query.all(&state.db).await?;
    Ok(Page::from_rows(rows, page, |row| vec![row.id]))
}

pub async fn find(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: CandidateId,
) -> ServiceResult<candidate::Model> {
    crate::db::tenancy::scoped_by_id::<candidate::Entity>(principal.organisation_id, id.0)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(CandidateId::LABEL, id))
}

/// The organisation's candidates among `ids`, by id (for per-item relations, one
/// statement for a whole page).
pub async fn find_many(
    db: &impl ConnectionTrait,
    principal: &Principal,
    ids: &[i64],
) -> ServiceResult<HashMap<i64, candidate::Model>> {
    Ok(
        crate::db::tenancy::scoped::<candidate::Entity>(principal.organisation_id)
            .filter(candidate::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|candidate| (candidate.id, candidate))
            .collect(),
    )
}

pub async fn emails_of(state: &AppState, candidate_ids: &[i64]) -> ServiceResult<HashMap<i64, Vec<String>>> {
    let rows = candidate_email::Entity::find()
        .filter(candidate_email::Column::CandidateId.is_in(candidate_ids.iter().copied()))
        .order_by_asc(candidate_email::Column::Position)
        .all(&state.db)
        .await?;
    let mut map: HashMap<i64, Vec<String>> = HashMap::new();
    for row in rows {
        map.entry(row.candidate_id).or_default().push(row.email);
    }
    Ok(map)
}

pub async fn applications_of(state: &AppState, candidate_id: i64) -> ServiceResult<Vec<application::Model>> {
    Ok(application::Entity::find()
        .filter(application::Column::CandidateId.eq(candidate_id))
        .order_by_desc(application::Column::AppliedAt)
        .all(&state.db)
        .await?)
}

/// Candidates whose e-mail matches: the basis of inbox matching.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    email: &EmailAddress,
) -> ServiceResult<Option<candidate::Model>> {
    let ids: Vec<i64> = candidate_email::Entity::find()
        .filter(candidate_email::Column::EmailKey.eq(email.match_key()))
        .select_only()
        .column(candidate_email::Column::CandidateId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(crate::db::tenancy::scoped::<candidate::Entity>(organisation_id)
        .filter(candidate::Column::Id.is_in(ids))
        .order_by_desc(candidate::Column::UpdatedAt)
        .one(db)
        .await?)
}

/// The candidate with this phone number (compared by its last digits), if any.
pub async fn find_by_phone(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    phone: &str,
) -> ServiceResult<Option<candidate::Model>> {
    let Some(key) = matching::phone_key(phone) else {
        return Ok(None);
    };
    Ok(crate::db::tenancy::scoped::<candidate::Entity>(organisation_id)
        .filter(candidate::Column::PhoneKey.eq(key))
        .order_by_desc(candidate::Column::UpdatedAt)
        .one(db)
        .await?)
}

pub async fn create(state: &AppState, principal: &Principal, input: CandidateInput) -> ServiceResult<candidate::Model> {
    let txn = crate::db::begin_write(&state.db).await?;
    let created = insert(&txn, principal.organisation_id, input, state.clock.now()).await?;
    audit::record(
        &txn,
        principal,
        "candidate.create",
        "candidate",
        Some(created.id),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Creates a candidate with its addresses inside the caller's transaction. `now` comes
/// from the server's clock, so tests that set it get reproducible dates.
pub async fn insert(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    input: CandidateInput,
    now: DateTime<Utc>,
) -> ServiceResult<candidate::Model> {
    let first_name = required_name("firstName", input.first_name.as_deref().unwrap_or_default(), 100)?;
    let last_name = required_name("lastName", input.last_name.as_deref().unwrap_or_default(), 100)?;
    let phone = optional_text("phone", input.phone.as_deref(), 50)?;
    check_birthday(input.birthday, now)?;
    let in_pool = input.in_talent_pool.unwrap_or(false);
    let created = candidate::ActiveModel {
        organisation_id: Set(organisation_id),
        first_name: Set(first_name),
        last_name: Set(last_name),
        phone: Set(phone),
        birthday: Set(input.birthday),
        in_talent_pool: Set(in_pool),
        pool_joined_on: Set(in_pool.then(|| now.date_naive())),
        status: Set(input.status.unwrap_or(CandidateStatus::Active)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    replace_emails(db, created.id, input.emails.as_deref().unwrap_or_default()).await?;
    refresh_keys(db, created).await
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: CandidateId,
    input: CandidateInput,
) -> ServiceResult<candidate::Model> {
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let existing = find(&txn, principal, id).await?;
    let was_in_pool = existing.in_talent_pool;
    // Which fields changed, never their values: the log outlives minimisation.
    let fields: Vec<&str> = [
        ("firstName", input.first_name.is_some()),
        ("lastName", input.last_name.is_some()),
        ("emails", input.emails.is_some()),
        ("phone", input.phone.is_some()),
        ("birthday", input.birthday.is_some()),
        ("inTalentPool", input.in_talent_pool.is_some()),
        ("status", input.status.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, given)| given.then_some(name))
    .collect();
    audit::record(
        &txn,
        principal,
        "candidate.update",
        "candidate",
        Some(existing.id),
        json!({ "fields": fields }),
    )
    .await?;
    let mut active: candidate::ActiveModel = existing.into();
    if let Some(name) = input.first_name.as_deref() {
        active.first_name = Set(required_name("firstName", name, 100)?);
    }
    if let Some(name) = input.last_name.as_deref() {
        active.last_name = Set(required_name("lastName", name, 100)?);
    }
    if input.phone.is_some() {
        active.phone = Set(optional_text("phone", input.phone.as_deref(), 50)?);
    }
    if input.birthday.is_some() {
        check_birthday(input.birthday, now)?;
        active.birthday = Set(input.birthday);
    }
    if let Some(pool) = input.in_talent_pool {
        active.in_talent_pool = Set(pool);
        if pool && !was_in_pool {
            active.pool_joined_on = Set(Some(now.date_naive()));
        } else if !pool {
            active.pool_joined_on = Set(None);
        }
    }
    if let Some(status) = input.status {
        active.status = Set(status);
    }
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    if let Some(emails) = input.emails.as_deref() {
        replace_emails(&txn, updated.id, emails).await?;
    }
    let updated = refresh_keys(&txn, updated).await?;
    txn.commit().await?;
    Ok(updated)
}

fn check_birthday(birthday: Option<NaiveDate>, now: DateTime<Utc>) -> ServiceResult<()> {
    match birthday {
        Some(day) if day > now.date_naive() => Err(ServiceError::invalid("birthday", "lies in the future")),
        Some(day) if day < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(day) => {
            Err(ServiceError::invalid("birthday", "lies before 1900"))
        }
        _ => Ok(()),
    }
}

/// Recomputes the search text and matching keys from the candidate's current name,
/// phone and addresses; called after every change to any of them.
pub async fn refresh_keys(db: &impl ConnectionTrait, candidate: candidate::Model) -> ServiceResult<candidate::Model> {
    let emails: Vec<String> = candidate_email::Entity::find()
        .filter(candidate_email::Column::CandidateId.eq(candidate.id))
        .order_by_asc(candidate_email::Column::Position)
        .select_only()
        .column(candidate_email::Column::Email)
        .into_tuple()
        .all(db)
        .await?;
    let search_text = matching::search_text(
        &candidate.first_name,
        &candidate.last_name,
        &emails,
        candidate.phone.as_deref(),
    );
    let name_key = matching::name_key(&candidate.first_name, &candidate.last_name);
    let phone_key = candidate.phone.as_deref().and_then(matching::phone_key);
    if candidate.search_text == search_text && candidate.name_key == name_key && candidate.phone_key == phone_key {
        return Ok(candidate);
    }
    let mut active: candidate::ActiveModel = candidate.into();
    active.search_text = Set(search_text);
    active.name_key = Set(name_key);
    active.phone_key = Set(phone_key);
    Ok(active.update(db).await?)
}

/// Adds an address the candidate does not have yet (at the end); returns whether it was new.
pub async fn add_email(db: &impl ConnectionTrait, candidate_id: i64, email: &EmailAddress) -> ServiceResult<bool> {
    let existing = candidate_email::Entity::find()
        .filter(candidate_email::Column::CandidateId.eq(candidate_id))
        .all(db)
        .await?;
    if existing.iter().any(|row| row.email_key == email.match_key()) {
        return Ok(false);
    }
    candidate_email::ActiveModel {
        candidate_id: Set(candidate_id),
        email: Set(email.to_string()),
        email_key: Set(email.match_key()),
        position: Set(existing.iter().map(|row| row.position + 1).max().unwrap_or(0)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(true)
}

async fn replace_emails(db: &impl ConnectionTrait, candidate_id: i64, emails: &[EmailAddress]) -> ServiceResult<()> {
    candidate_email::Entity::delete_many()
        .filter(candidate_email::Column::CandidateId.eq(candidate_id))
        .exec(db)
        .await?;
    let mut seen = Vec::new();
    let mut rows = Vec::new();
    for email in emails {
        if seen.contains(&email.match_key()) {
            continue;
        }
        seen.push(email.match_key());
        rows.push(candidate_email::ActiveModel {
            candidate_id: Set(candidate_id),
            email: Set(email.to_string()),
            email_key: Set(email.match_key()),
            position: Set(rows.len() as i32),
            ..Default::default()
        });
    }
    if !rows.is_empty() {
        candidate_email::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// A candidate applies (or is put forward) for an opening, or unsolicited without one.
pub async fn add_application(
    state: &AppState,
    principal: &Principal,
    candidate_id: CandidateId,
    job_opening_id: Option<JobOpeningId>,
    source_medium: Option<SourceMedium>,
) -> ServiceResult<application::Model> {
    let candidate = find(&state.db, principal, candidate_id).await?;
    let opening = opening_for_application(&state.db, principal, job_opening_id).await?;
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let created = insert_application(
        &txn,
        &candidate,
        opening.as_ref(),
        source_medium.unwrap_or(SourceMedium::Manual),
        now,
        now,
    )
    .await?;
    audit::record(
        &txn,
        principal,
        "application.create",
        "candidate",
        Some(candidate.id),
        json!({ "applicationId": created.id, "jobOpeningId": created.job_opening_id, "source": created.source_medium.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The opening an application is for, checked against what the caller recruits for.
pub async fn opening_for_application(
    db: &impl ConnectionTrait,
    principal: &Principal,
    job_opening_id: Option<JobOpeningId>,
) -> ServiceResult<Option<job_opening::Model>> {
    let Some(id) = job_opening_id else {
        return Ok(None);
    };
    let opening = job_openings::find(db, principal, id)
        .await
        .map_err(|_| ServiceError::invalid("jobOpeningId", "no such job opening"))?;
    if !principal.may_recruit_for(opening.legal_entity_id) {
        return Err(ServiceError::Forbidden("you do not recruit for this legal entity"));
    }
    Ok(Some(opening))
}

pub async fn insert_application(
    db: &impl ConnectionTrait,
    candidate: &candidate::Model,
    opening: Option<&job_opening::Model>,
    source_medium: SourceMedium,
    applied_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ServiceResult<application::Model> {
    Ok(application::ActiveModel {
        candidate_id: Set(candidate.id),
        organisation_id: Set(Some(candidate.organisation_id)),
        job_opening_id: Set(opening.map(|o| o.id)),
        legal_entity_id: Set(opening.map(|o| o.legal_entity_id)),
        source_medium: Set(source_medium),
        status: Set(ApplicationStatus::New),
        applied_at: Set(applied_at),
        status_changed_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Moves an application to a new status. Reaching the interview stage and being hired
/// are remembered with their date, which the dashboard's channel figures count.
pub async fn set_application_status(
    state: &AppState,
    principal: &Principal,
    id: ApplicationId,
    status: ApplicationStatus,
) -> ServiceResult<application::Model> {
    let txn = crate::db::begin_write(&state.db).await?;
    let existing = application::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(ApplicationId::LABEL, id))?;
    find(&txn, principal, CandidateId(existing.candidate_id))
        .await
        .map_err(|_| ServiceError::not_found(ApplicationId::LABEL, id))?;
    if let Some(entity) = existing.legal_entity_id
        && !principal.may_recruit_for(entity)
    {
        return Err(ServiceError::Forbidden("you do not recruit for this legal entity"));
    }
    if existing.status == status {
        return Ok(existing);
    }
    let now = state.clock.now();
    let mut active: application::ActiveModel = existing.clone().into();
    active.status = Set(status);
    active.status_changed_at = Set(now);
    if status == ApplicationStatus::Interview && existing.interview_at.is_none() {
        active.interview_at = Set(Some(now));
    }
    active.hired_at = Set(if status == ApplicationStatus::Hired {
        Some(now)
    } else {
        None
    });
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        principal,
        "application.status",
        "candidate",
        Some(updated.candidate_id),
        json!({ "applicationId": updated.id, "from": existing.status.as_str(), "to": updated.status.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn documents_of(state: &AppState, candidate_id: i64) -> ServiceResult<Vec<document::Model>> {
    Ok(crate::db::tenancy::any_organisation::<document::Entity>()
        .filter(document::Column::CandidateId.eq(candidate_id))
        .order_by_asc(document::Column::Id)
        .all(&state.db)
        .await?)
}
