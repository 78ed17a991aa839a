//! Saved candidate queries: named filter sets that nurturing jobs run. A query is
//! translated into one SQL condition, so it runs in the database at any size.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, ExprTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use talentpost_shared::nurturing::{CandidateQueryFilter, OUTGOING_CONTACT_MEDIA};
use talentpost_shared::{CandidateStatus, OutboxStatus, SourceMedium};

use crate::auth::Principal;
use crate::db::entities::{
    application, candidate, candidate_email, candidate_query, contact_event, nurturing_job, organisation,
    outbox_message,
};
use crate::error::{ServiceError, ServiceResult, is_unique_violation};
use crate::ids::{CandidateQueryId, JobOpeningId, LegalEntityId};
use crate::services::pagination::{Page, PageRequest};
use crate::services::{candidates::job_openings, org::audit, org::legal_entities, required_name};
use crate::state::AppState;

/// The longest span a day filter may have (ten years), against typos like 36500.
const MAX_DAYS: i32 = 3_660;

/// A filter whose values were checked and whose ids belong to the organisation.
#[derive(Debug, Clone, Default)]
pub struct CheckedFilter {
    status_in: Vec<CandidateStatus>,
    status_not_in: Vec<CandidateStatus>,
    birthday_days: Option<(i32, i32)>,
    last_contact_more_than_days: Option<i32>,
    last_contact_less_than_days: Option<i32>,
    in_talent_pool: Option<bool>,
    pool_more_than_months: Option<i32>,
    has_email: Option<bool>,
    job_opening_id: Option<JobOpeningId>,
    legal_entity_id: Option<LegalEntityId>,
    source: Option<SourceMedium>,
    application_older_than_days: Option<i32>,
    application_newer_than_days: Option<i32>,
    /// The organisation's setting: whether mail of nurturing jobs counts as contact.
    nurturing_counts_as_contact: bool,
}

impl CheckedFilter {
    pub fn has_birthday_window(&self) -> bool {
        self.birthday_days.is_some()
    }

    pub fn has_last_contact(&self) -> bool {
        self.last_contact_more_than_days.is_some() || self.last_contact_less_than_days.is_some()
    }

    pub fn has_pool_time(&self) -> bool {
        self.pool_more_than_months.is_some()
    }

    pub fn nurturing_counts_as_contact(&self) -> bool {
        self.nurturing_counts_as_contact
    }
}

/// Checks the filter; errors name the field (`filter.birthdayToDays`).
pub async fn check(
    db: &impl ConnectionTrait,
    principal: &Principal,
    filter: &CandidateQueryFilter,
) -> ServiceResult<CheckedFilter> {
    let days = |field: &str, value: Option<i32>, min: i32| -> ServiceResult<Option<i32>> {
        match value {
            Some(v) if v < min || v > MAX_DAYS => Err(ServiceError::invalid(
                format!("filter.{field}"),
                format!("must be between {min} and {MAX_DAYS}"),
            )),
            other => Ok(other),
        }
    };
    let birthday_days = match (filter.birthday_from_days, filter.birthday_to_days) {
        (None, None) => None,
        (Some(from), Some(to)) => {
            if !(-366..=366).contains(&from) || !(-366..=366).contains(&to) {
                return Err(ServiceError::invalid(
                    "filter.birthdayFromDays",
                    "must be between -366 and 366 days",
                ));
            }
            if to < from {
                return Err(ServiceError::invalid(
                    "filter.birthdayToDays",
                    "must not lie before birthdayFromDays",
                ));
            }
            Some((from, to))
        }
        (Some(_), None) => {
            return Err(ServiceError::invalid(
                "filter.birthdayToDays",
                "give both ends of the birthday window",
            ));
        }
        (None, Some(_)) => {
            return Err(ServiceError::invalid(
                "filter.birthdayFromDays",
                "give both ends of the birthday window",
            ));
        }
    };
    let job_opening_id = match filter.job_opening_id.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => {
            let id = id
                .parse()
                .map(JobOpeningId)
                .map_err(|_| ServiceError::invalid("filter.jobOpeningId", "not an id"))?;
            job_openings::find(db, principal, id)
                .await
                .map_err(|_| ServiceError::invalid("filter.jobOpeningId", "no such job opening"))?;
            Some(id)
        }
        None => None,
    };
    let legal_entity_id = match filter.legal_entity_id.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => {
            let id = id
                .parse()
                .map(LegalEntityId)
                .map_err(|_| ServiceError::invalid("filter.legalEntityId", "not an id"))?;
            legal_entities::find_in_organisation(db, principal, id)
                .await
                .map_err(|_| ServiceError::invalid("filter.legalEntityId", "no such legal entity"))?;
            Some(id)
        }
        None => None,
    };
    let nurturing_counts_as_contact = organisation::Entity::find_by_id(principal.organisation_id)
        .one(db)
        .await?
        .is_none_or(|organisation| organisation.nurturing_counts_as_contact);
    Ok(CheckedFilter {
        status_in: filter.status_in.clone(),
        status_not_in: filter.status_not_in.clone(),
        birthday_days,
        last_contact_more_than_days: days("lastContactMoreThanDays", filter.last_contact_more_than_days, 0)?,
        last_contact_less_than_days: days("lastContactLessThanDays", filter.last_contact_less_than_days, 1)?,
        in_talent_pool: filter.in_talent_pool,
        pool_more_than_months: days("poolMoreThanMonths", filter.pool_more_than_months, 0)?,
        has_email: filter.has_email,
        job_opening_id,
        legal_entity_id,
        source: filter.source,
        application_older_than_days: days("applicationOlderThanDays", filter.application_older_than_days, 0)?,
        application_newer_than_days: days("applicationNewerThanDays", filter.application_newer_than_days, 1)?,
        nurturing_counts_as_contact,
    })
}

/// The SQL condition on `candidate` for the filter as of `now`.
pub fn condition(
    filter: &CheckedFilter,
    organisation_id: i64,
    now: DateTime<Utc>,
    backend: DatabaseBackend,
) -> Condition {
    let mut all = Condition::all().add(candidate::Column::OrganisationId.eq(organisation_id));
    if !filter.status_in.is_empty() {
        all = all.add(candidate::Column::Status.is_in(filter.status_in.iter().map(|s| s.as_str())));
    }
    if !filter.status_not_in.is_empty() {
        all = all.add(candidate::Column::Status.is_not_in(filter.status_not_in.iter().map(|s| s.as_str())));
    }
    if let Some((from, to)) = filter.birthday_days {
        let month_day = match backend {
            DatabaseBackend::Postgres => "to_char(\"candidate\".\"birthday\", 'MM-DD')",
            _ => "strftime('%m-%d', \"candidate\".\"birthday\")",
        };
        all = all
            .add(candidate::Column::Birthday.is_not_null())
            .add(Expr::cust(month_day).is_in(birthday_days(now.date_naive(), from, to)));
    }
    if let Some(days) = filter.last_contact_more_than_days {
        all = all.add(candidate::Column::Id.not_in_subquery(contacted_since(
            now - Duration::days(i64::from(days)),
            filter.nurturing_counts_as_contact,
        )));
    }
    if let Some(days) = filter.last_contact_less_than_days {
        all = all.add(candidate::Column::Id.in_subquery(contacted_since(
            now - Duration::days(i64::from(days)),
            filter.nurturing_counts_as_contact,
        )));
    }
    if let Some(pool) = filter.in_talent_pool {
        all = all.add(candidate::Column::InTalentPool.eq(pool));
    }
    if let Some(months) = filter.pool_more_than_months {
        let joined_before = now
            .date_naive()
            .checked_sub_months(Months::new(months.unsigned_abs()))
            .unwrap_or(NaiveDate::MIN);
        all = all
            .add(candidate::Column::InTalentPool.eq(true))
            .add(candidate::Column::PoolJoinedOn.lt(joined_before));
    }
    if let Some(has_email) = filter.has_email {
        let deliverable = candidate_email::Entity::find()
            .select_only()
            .column(candidate_email::Column::CandidateId)
            .filter(candidate_email::Column::BouncedAt.is_null())
            .into_query();
        all = all.add(if has_email {
            candidate::Column::Id.in_subquery(deliverable)
        } else {
            candidate::Column::Id.not_in_subquery(deliverable)
        });
    }
    if let Some(applications) = application_condition(filter, now) {
        let matching = application::Entity::find()
            .select_only()
            .column(application::Column::CandidateId)
            .filter(applications)
            .into_query();
        all = all.add(candidate::Column::Id.in_subquery(matching));
    }
    all
}

/// The condition on `application` of the filter's application filters, if it has any;
/// they must all hold for the same application.
pub fn application_condition(filter: &CheckedFilter, now: DateTime<Utc>) -> Option<Condition> {
    let mut applications = Condition::all();
    let mut by_application = false;
    if let Some(id) = filter.job_opening_id {
        applications = applications.add(application::Column::JobOpeningId.eq(id.0));
        by_application = true;
    }
    if let Some(id) = filter.legal_entity_id {
        applications = applications.add(application::Column::LegalEntityId.eq(id.0));
        by_application = true;
    }
    if let Some(source) = filter.source {
        applications = applications.add(application::Column::SourceMedium.eq(source.as_str()));
        by_application = true;
    }
    if let Some(days) = filter.application_older_than_days {
        applications = applications.add(application::Column::AppliedAt.lt(now - Duration::days(i64::from(days))));
        by_application = true;
    }
    if let Some(days) = filter.application_newer_than_days {
        applications = applications.add(application::Column::AppliedAt.gte(now - Duration::days(i64::from(days))));
        by_application = true;
    }
    by_application.then_some(applications)
}

/// Candidates with a contact that counts since `since`: any contact about an
/// application, and outgoing contacts of the listed media; mail that failed, bounced
/// or was cancelled never reached them and does not count.
fn contacted_since(since: DateTime<Utc>, nurturing_counts: bool) -> sea_orm::sea_query::SelectStatement {
    contacts_that_count(nurturing_counts)
        .select_only()
        .column(contact_event::Column::CandidateId)
        .filter(contact_event::Column::OccurredAt.gte(since))
        .into_query()
}

/// Contact events that count as "having been in touch".
pub fn contacts_that_count(nurturing_counts: bool) -> sea_orm::Select<contact_event::Entity> {
    let counting = delivered_contacts().filter(
        Condition::any()
            .add(contact_event::Column::ApplicationId.is_not_null())
            .add(contact_event::Column::Medium.is_in(OUTGOING_CONTACT_MEDIA.iter().map(|m| m.as_str()))),
    );
    if nurturing_counts {
        counting
    } else {
        counting.filter(contact_event::Column::ByNurturingJob.eq(false))
    }
}

/// Contact events, except mail that failed, bounced, was cancelled or never left.
pub fn delivered_contacts() -> sea_orm::Select<contact_event::Entity> {
    let undelivered = Query::select()
        .column(outbox_message::Column::ContactEventId)
        .from(outbox_message::Entity)
        .and_where(Expr::col(outbox_message::Column::ContactEventId).is_not_null())
        .and_where(Expr::col(outbox_message::Column::Status).is_in([
            OutboxStatus::Failed.as_str(),
            OutboxStatus::Bounced.as_str(),
            OutboxStatus::Cancelled.as_str(),
            OutboxStatus::NotSent.as_str(),
        ]))
        .to_owned();
    contact_event::Entity::find().filter(Expr::col(contact_event::Column::Id).not_in_subquery(undelivered))
}

/// Month-day strings ("03-14") of the days `from` to `to` days after `today`. A birthday
/// on 29 February is celebrated on 28 February in other years.
pub fn birthday_days(today: NaiveDate, from: i32, to: i32) -> Vec<String> {
    let mut days = Vec::new();
    for offset in from..=to {
        let day = today + Duration::days(i64::from(offset));
        days.push(day.format("%m-%d").to_string());
        if day.month() == 2 && day.day() == 28 && NaiveDate::from_ymd_opt(day.year(), 2, 29).is_none() {
            days.push("02-29".to_owned());
        }
    }
    days.sort();
    days.dedup();
    days
}

pub async fn list(state: &AppState, principal: &Principal) -> ServiceResult<Vec<candidate_query::Model>> {
    Ok(
        crate::db::tenancy::scoped::<candidate_query::Entity>(principal.organisation_id)
            .order_by_asc(candidate_query::Column::Name)
            .all(&state.db)
            .await?,
    )
}

pub async fn find(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: CandidateQueryId,
) -> ServiceResult<candidate_query::Model> {
    crate::db::tenancy::scoped_by_id::<candidate_query::Entity>(principal.organisation_id, id.0)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(CandidateQueryId::LABEL, id))
}

/// The stored filter of a query (a filter from an older version reads with defaults).
pub fn filter_of(query: &candidate_query::Model) -> CandidateQueryFilter {
    serde_json::from_str(&query.filter).unwrap_or_default()
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    name: &str,
    filter: CandidateQueryFilter,
) -> ServiceResult<candidate_query::Model> {
    let name = required_name("name", name, 200)?;
    check(&state.db, principal, &filter).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let created = candidate_query::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        name: Set(name),
        filter: Set(serde_json::to_string(&filter).map_err(|e| ServiceError::Internal(e.to_string()))?),
        created_by_user_id: Set(Some(principal.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(name_taken)?;
    audit::record(
        &txn,
        principal,
        "candidate_query.create",
        "candidate_query",
        Some(created.id),
        serde_json::json!({ "name": created.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: CandidateQueryId,
    name: Option<&str>,
    filter: Option<CandidateQueryFilter>,
) -> ServiceResult<candidate_query::Model> {
    let existing = find(&state.db, principal, id).await?;
    let mut active: candidate_query::ActiveModel = existing.into();
    if let Some(name) = name {
        active.name = Set(required_name("name", name, 200)?);
    }
    if let Some(filter) = filter {
        check(&state.db, principal, &filter).await?;
        active.filter = Set(serde_json::to_string(&filter).map_err(|e| ServiceError::Internal(e.to_string()))?);
    }
    active.updated_at = Set(Utc::now());
    let txn = crate::db::begin_write(&state.db).await?;
    let updated = active.update(&txn).await.map_err(name_taken)?;
    audit::record(
        &txn,
        principal,
        "candidate_query.update",
        "candidate_query",
        Some(updated.id),
        serde_json::json!({ "name": updated.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete(state: &AppState, principal: &Principal, id: CandidateQueryId) -> ServiceResult<()> {
    let existing = find(&state.db, principal, id).await?;
    crate::services::nurturing::jobs::refuse_if_used(&state.db, nurturing_job::Column::CandidateQueryId, existing.id)
        .await?;
    let txn = crate::db::begin_write(&state.db).await?;
    candidate_query::Entity::delete_by_id(existing.id).exec(&txn).await?;
    audit::record(
        &txn,
        principal,
        "candidate_query.delete",
        "candidate_query",
        Some(existing.id),
        serde_json::json!({ "name": existing.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn name_taken(error: sea_orm::DbErr) -> ServiceError {
    if is_unique_violation(&error) {
        ServiceError::conflict("name", "a query with this name exists already")
    } else {
        error.into()
    }
}

/// The current hits of a filter, newest candidates first, with their number.
pub async fn run(
    state: &AppState,
    principal: &Principal,
    filter: &CandidateQueryFilter,
    page: &PageRequest,
) -> ServiceResult<(Page<candidate::Model>, u64)> {
    let checked = check(&state.db, principal, filter).await?;
    let condition = condition(
        &checked,
        principal.organisation_id,
        state.clock.now(),
        state.db.get_database_backend(),
    );
    let total = crate::db::tenancy::scoped::<candidate::Entity>(principal.organisation_id)
        .filter(condition.clone())
        .count(&state.db)
        .await?;
    let mut query = crate::db::tenancy::scoped::<candidate::Entity>(principal.organisation_id)
        .filter(condition)
        .order_by_desc(candidate::Column::Id)
        .limit(page.fetch_limit());
    if let Some(after) = &page.after {
        query = query.filter(candidate::Column::Id.lt(after.single()?));
    }
    let rows = query.all(&state.db).await?;
    Ok((Page::from_rows(rows, page, |row| vec![row.id]), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn birthday_windows_cross_the_year_and_keep_leap_day_birthdays() {
        assert_eq!(
            birthday_days(day(2026, 12, 30), 0, 3),
            ["01-01", "01-02", "12-30", "12-31"]
        );
        assert_eq!(
            birthday_days(day(2027, 2, 27), 0, 1),
            ["02-27", "02-28", "02-29"],
            "no 29 February in 2027"
        );
        assert_eq!(
            birthday_days(day(2028, 2, 27), 0, 1),
            ["02-27", "02-28"],
            "2028 has its own 29 February"
        );
        assert_eq!(birthday_days(day(2026, 11, 30), -1, -1), ["11-29"]);
    }
}
