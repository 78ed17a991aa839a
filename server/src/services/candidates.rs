use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Set, TransactionTrait,
};
use talentpost_shared::{ApplicationStatus, CandidateStatus, EmailAddress, SourceMedium};

use crate::auth::Principal;
use crate::db::entities::{application, candidate, candidate_email};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{CandidateId, JobOpeningId};
use crate::services::pagination::{Page, PageRequest};
use crate::services::{job_openings, optional_text, required_name};
use crate::state::AppState;

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
    /// Matches first name, last name or e-mail address, case-insensitively.
    pub search: Option<String>,
    pub status: Option<CandidateStatus>,
    pub in_talent_pool: Option<bool>,
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: CandidateFilter,
    page: &PageRequest,
) -> ServiceResult<Page<candidate::Model>> {
    let mut query = candidate::Entity::find()
        .filter(candidate::Column::OrganisationId.eq(principal.organisation_id))
        .order_by_desc(candidate::Column::Id)
        .limit(page.fetch_limit());
    if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", search.to_lowercase().replace(['%', '_'], ""));
        let by_email = candidate_email::Entity::find()
            .select_only()
            .column(candidate_email::Column::CandidateId)
            .filter(candidate_email::Column::EmailKey.like(pattern.clone()))
            .into_query();
        use sea_orm::sea_query::{Expr, Func};
        use sea_orm::ExprTrait;
        query = query.filter(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(candidate::Column::FirstName))).like(pattern.clone()))
                .add(Expr::expr(Func::lower(Expr::col(candidate::Column::LastName))).like(pattern))
                .add(candidate::Column::Id.in_subquery(by_email)),
        );
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

pub async fn find(db: &impl ConnectionTrait, principal: &Principal, id: CandidateId) -> ServiceResult<candidate::Model> {
    candidate::Entity::find_by_id(id.0)
        .filter(candidate::Column::OrganisationId.eq(principal.organisation_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(CandidateId::LABEL, id))
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
pub async fn find_by_email(db: &impl ConnectionTrait, organisation_id: i64, email: &EmailAddress) -> ServiceResult<Option<candidate::Model>> {
    let ids: Vec<i64> = candidate_email::Entity::find()
        .filter(candidate_email::Column::EmailKey.eq(email.match_key()))
        .select_only()
        .column(candidate_email::Column::CandidateId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(candidate::Entity::find()
        .filter(candidate::Column::OrganisationId.eq(organisation_id))
        .filter(candidate::Column::Id.is_in(ids))
        .order_by_desc(candidate::Column::UpdatedAt)
        .one(db)
        .await?)
}

pub async fn create(state: &AppState, principal: &Principal, input: CandidateInput) -> ServiceResult<candidate::Model> {
    let first_name = required_name("firstName", input.first_name.as_deref().unwrap_or_default(), 100)?;
    let last_name = required_name("lastName", input.last_name.as_deref().unwrap_or_default(), 100)?;
    let phone = optional_text("phone", input.phone.as_deref(), 50)?;
    check_birthday(input.birthday)?;
    let in_pool = input.in_talent_pool.unwrap_or(false);
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let created = candidate::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        first_name: Set(first_name),
        last_name: Set(last_name),
        phone: Set(phone),
        birthday: Set(input.birthday),
        in_talent_pool: Set(in_pool),
        pool_joined_on: Set(in_pool.then(|| now.date_naive())),
        status: Set(input.status.unwrap_or(CandidateStatus::Active).as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    replace_emails(&txn, created.id, input.emails.as_deref().unwrap_or_default()).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(state: &AppState, principal: &Principal, id: CandidateId, input: CandidateInput) -> ServiceResult<candidate::Model> {
    let txn = state.db.begin().await?;
    let existing = find(&txn, principal, id).await?;
    let was_in_pool = existing.in_talent_pool;
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
        check_birthday(input.birthday)?;
        active.birthday = Set(input.birthday);
    }
    if let Some(pool) = input.in_talent_pool {
        active.in_talent_pool = Set(pool);
        if pool && !was_in_pool {
            active.pool_joined_on = Set(Some(Utc::now().date_naive()));
        } else if !pool {
            active.pool_joined_on = Set(None);
        }
    }
    if let Some(status) = input.status {
        active.status = Set(status.as_str().to_owned());
    }
    active.updated_at = Set(Utc::now());
    let updated = active.update(&txn).await?;
    if let Some(emails) = input.emails.as_deref() {
        replace_emails(&txn, updated.id, emails).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

fn check_birthday(birthday: Option<NaiveDate>) -> ServiceResult<()> {
    match birthday {
        Some(day) if day > Utc::now().date_naive() => Err(ServiceError::invalid("birthday", "lies in the future")),
        Some(day) if day < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(day) => {
            Err(ServiceError::invalid("birthday", "lies before 1900"))
        }
        _ => Ok(()),
    }
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
    let opening = match job_opening_id {
        Some(id) => Some(
            job_openings::find(&state.db, principal, id)
                .await
                .map_err(|_| ServiceError::invalid("jobOpeningId", "no such job opening"))?,
        ),
        None => None,
    };
    if let Some(opening) = &opening
        && !principal.may_recruit_for(opening.legal_entity_id)
    {
        return Err(ServiceError::Forbidden("you do not recruit for this legal entity"));
    }
    let now = Utc::now();
    let created = application::ActiveModel {
        candidate_id: Set(candidate.id),
        job_opening_id: Set(opening.as_ref().map(|o| o.id)),
        legal_entity_id: Set(opening.as_ref().map(|o| o.legal_entity_id)),
        source_medium: Set(source_medium.unwrap_or(SourceMedium::Manual).as_str().to_owned()),
        status: Set(ApplicationStatus::New.as_str().to_owned()),
        applied_at: Set(now),
        status_changed_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(created)
}
