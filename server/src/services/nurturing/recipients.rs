//! Who a nurturing run writes to: the job's saved query run as its owner would run it,
//! as of the dispatch time, one recipient per duplicate set, each with the application
//! the letter is about and why they matched. Planning stores them; the preview shows them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use serde::{Deserialize, Serialize};
use talentpost_shared::nurturing::OUTGOING_CONTACT_MEDIA;
use talentpost_shared::{DuplicateStatus, MatchReasonCode};

use crate::auth::{Credential, Principal};
use crate::db::entities::{
    app_user, application, candidate, candidate_email, contact_event, nurturing_entry, nurturing_job,
};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::CandidateQueryId;
use crate::services::candidates::candidate_queries::{self, CheckedFilter};
use crate::services::{candidates::duplicates, org::auth};
use crate::state::AppState;

/// One reason a candidate is among the recipients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchReason {
    pub code: MatchReasonCode,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
}

pub fn reasons_of(entry: &nurturing_entry::Model) -> Vec<MatchReason> {
    serde_json::from_str(&entry.reasons).unwrap_or_default()
}

/// A recipient as planned.
#[derive(Debug)]
pub struct Recipient {
    pub candidate_id: i64,
    pub application_id: Option<i64>,
    pub reasons: Vec<MatchReason>,
}

/// What the job writes as: its owner (whoever last saved or switched it on) or, when
/// that user is gone or deactivated, an active administrator of the organisation.
pub async fn owner_principal(db: &impl ConnectionTrait, job: &nurturing_job::Model) -> ServiceResult<Principal> {
    if let Some(owner) = job.owner_user_id
        && let Some(principal) = auth::load_principal(db, owner, Credential::Session).await?
        && principal.organisation_id == job.organisation_id
    {
        return Ok(principal);
    }
    let admin = crate::db::tenancy::scoped::<app_user::Entity>(job.organisation_id)
        .filter(app_user::Column::Role.eq(talentpost_shared::Role::Admin.as_str()))
        .filter(app_user::Column::Active.eq(true))
        .order_by_asc(app_user::Column::Id)
        .one(db)
        .await?
        .ok_or(ServiceError::Forbidden(
            "the organisation has no active administrator to write as",
        ))?;
    auth::load_principal(db, admin.id, Credential::Session)
        .await?
        .ok_or(ServiceError::Forbidden(
            "the organisation has no active administrator to write as",
        ))
}

/// The job's query, checked as its owner would run it.
pub(super) async fn job_filter(
    state: &AppState,
    principal: &Principal,
    job: &nurturing_job::Model,
) -> ServiceResult<CheckedFilter> {
    let query = candidate_queries::find(&state.db, principal, CandidateQueryId(job.candidate_query_id)).await?;
    candidate_queries::check(&state.db, principal, &candidate_queries::filter_of(&query)).await
}

/// The recipients of a filter as of `at`: every matching candidate, one per duplicate
/// set (the member with the latest outgoing contact), each with the application the
/// letter is about and why they matched.
pub async fn recipients(
    state: &AppState,
    organisation_id: i64,
    filter: &CheckedFilter,
    at: DateTime<Utc>,
) -> ServiceResult<Vec<Recipient>> {
    let db = &state.db;
    let condition = candidate_queries::condition(filter, organisation_id, at, db.get_database_backend());
    let matched = || {
        crate::db::tenancy::scoped::<candidate::Entity>(organisation_id)
            .select_only()
            .column(candidate::Column::Id)
            .filter(condition.clone())
            .into_query()
    };
    type Row = (
        i64,
        String,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<String>,
        String,
    );
    let rows: Vec<Row> = crate::db::tenancy::scoped::<candidate::Entity>(organisation_id)
        .select_only()
        .columns([
            candidate::Column::Id,
            candidate::Column::Status,
            candidate::Column::Birthday,
            candidate::Column::PoolJoinedOn,
            candidate::Column::PhoneKey,
            candidate::Column::NameKey,
        ])
        .filter(condition.clone())
        .order_by_asc(candidate::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let emails: Vec<(i64, String, bool)> = candidate_email::Entity::find()
        .select_only()
        .column(candidate_email::Column::CandidateId)
        .column(candidate_email::Column::EmailKey)
        .column_as(candidate_email::Column::BouncedAt.is_null(), "deliverable")
        .filter(candidate_email::Column::CandidateId.in_subquery(matched()))
        .into_tuple()
        .all(db)
        .await?;
    let deliverable: HashSet<i64> = emails.iter().filter(|(_, _, ok)| *ok).map(|(id, _, _)| *id).collect();

    // Duplicate sets among the matches: shared address, phone, or name and birthday,
    // unless recruiters said "different people".
    let index: HashMap<i64, usize> = rows.iter().enumerate().map(|(at, row)| (row.0, at)).collect();
    let mut keys: HashMap<String, Vec<usize>> = HashMap::new();
    for (candidate_id, key, _) in &emails {
        if let Some(at) = index.get(candidate_id) {
            keys.entry(format!("email:{key}")).or_default().push(*at);
        }
    }
    for (at, (_, _, birthday, _, phone_key, name_key)) in rows.iter().enumerate() {
        if let Some(phone) = phone_key {
            keys.entry(format!("phone:{phone}")).or_default().push(at);
        }
        if let Some(birthday) = birthday {
            keys.entry(format!("name:{name_key}|{birthday}")).or_default().push(at);
        }
    }
    let grouped: Vec<Vec<usize>> = keys.into_values().filter(|members| members.len() > 1).collect();
    let involved: HashSet<i64> = grouped.iter().flatten().map(|at| rows[*at].0).collect();
    let decisions = duplicates::decisions_among(db, &involved).await?;
    let mut sets = UnionFind::new(rows.len());
    for members in &grouped {
        for other in &members[1..] {
            let (a, b) = (rows[members[0]].0, rows[*other].0);
            if decisions.get(&(Ord::min(a, b), Ord::max(a, b))) != Some(&DuplicateStatus::Dismissed) {
                sets.union(members[0], *other);
            }
        }
    }
    let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
    for at in 0..rows.len() {
        by_root.entry(sets.find(at)).or_default().push(at);
    }
    let in_sets: Vec<i64> = by_root
        .values()
        .filter(|members| members.len() > 1)
        .flatten()
        .map(|at| rows[*at].0)
        .collect();
    // Mail that failed or bounced did not reach that member.
    let latest_outgoing = latest_contacts(
        db,
        candidate_queries::delivered_contacts()
            .filter(contact_event::Column::Medium.is_in(OUTGOING_CONTACT_MEDIA.iter().map(|m| m.as_str()))),
        &in_sets,
    )
    .await?;

    let applications = letter_applications(state, filter, at, &condition).await?;
    let last_contacts = if filter.has_last_contact() {
        let counting = candidate_queries::contacts_that_count(filter.nurturing_counts_as_contact())
            .filter(contact_event::Column::CandidateId.in_subquery(matched()));
        latest_contacts(db, counting, &[]).await?
    } else {
        HashMap::new()
    };

    let mut recipients = Vec::with_capacity(by_root.len());
    let mut roots: Vec<(usize, Vec<usize>)> = by_root.into_iter().collect();
    roots.sort_unstable_by_key(|(_, members)| members.iter().map(|at| rows[*at].0).min());
    for (_, members) in roots {
        // The member last written to has the address the person reads; on a tie the
        // newest record.
        let chosen = members
            .iter()
            .copied()
            .max_by_key(|at| (latest_outgoing.get(&rows[*at].0).copied(), rows[*at].0))
            .unwrap_or(members[0]);
        let (id, status, birthday, pool_since, _, _) = &rows[chosen];
        let mut reasons = vec![MatchReason {
            code: MatchReasonCode::Status,
            value: status.to_uppercase(),
        }];
        if filter.has_birthday_window()
            && let Some(birthday) = birthday
        {
            reasons.push(MatchReason {
                code: MatchReasonCode::Birthday,
                value: birthday.to_string(),
            });
        }
        if filter.has_last_contact() {
            let last = last_contacts
                .get(id)
                .map(|at| at.date_naive().to_string())
                .unwrap_or_default();
            reasons.push(MatchReason {
                code: MatchReasonCode::LastContact,
                value: last,
            });
        }
        if let Some(since) = pool_since.filter(|_| filter.has_pool_time()) {
            reasons.push(MatchReason {
                code: MatchReasonCode::InPoolSince,
                value: since.to_string(),
            });
        }
        let application = applications.get(id);
        if let Some((_, applied_at)) =
            application.filter(|_| candidate_queries::application_condition(filter, at).is_some())
        {
            reasons.push(MatchReason {
                code: MatchReasonCode::Application,
                value: applied_at.date_naive().to_string(),
            });
        }
        if members.len() > 1 {
            reasons.push(MatchReason {
                code: MatchReasonCode::DuplicateSet,
                value: members.len().to_string(),
            });
        }
        if !deliverable.contains(id) {
            reasons.push(MatchReason {
                code: MatchReasonCode::NoEmail,
                value: String::new(),
            });
        }
        recipients.push(Recipient {
            candidate_id: *id,
            application_id: application.map(|(app, _)| *app),
            reasons,
        });
    }
    Ok(recipients)
}

/// The application each matched candidate's letter is about: the newest one that meets
/// the query's application filters, else their newest.
async fn letter_applications(
    state: &AppState,
    filter: &CheckedFilter,
    at: DateTime<Utc>,
    condition: &Condition,
) -> ServiceResult<HashMap<i64, (i64, DateTime<Utc>)>> {
    let matched = crate::db::tenancy::any_organisation::<candidate::Entity>()
        .select_only()
        .column(candidate::Column::Id)
        .filter(condition.clone())
        .into_query();
    let mut query = application::Entity::find()
        .select_only()
        .columns([
            application::Column::CandidateId,
            application::Column::Id,
            application::Column::AppliedAt,
        ])
        .filter(application::Column::CandidateId.in_subquery(matched));
    if let Some(applications) = candidate_queries::application_condition(filter, at) {
        query = query.filter(applications);
    }
    let rows: Vec<(i64, i64, DateTime<Utc>)> = query.into_tuple().all(&state.db).await?;
    let mut newest: HashMap<i64, (i64, DateTime<Utc>)> = HashMap::new();
    for (candidate_id, id, applied_at) in rows {
        let slot = newest.entry(candidate_id).or_insert((id, applied_at));
        if (applied_at, id) > (slot.1, slot.0) {
            *slot = (id, applied_at);
        }
    }
    Ok(newest)
}

/// The latest contact per candidate among `contacts` (limited to `only` when given).
async fn latest_contacts(
    db: &impl ConnectionTrait,
    contacts: sea_orm::Select<contact_event::Entity>,
    only: &[i64],
) -> ServiceResult<HashMap<i64, DateTime<Utc>>> {
    let grouped = |select: sea_orm::Select<contact_event::Entity>| {
        select
            .select_only()
            .column(contact_event::Column::CandidateId)
            .column_as(contact_event::Column::OccurredAt.max(), "latest")
            .group_by(contact_event::Column::CandidateId)
            .into_tuple::<(i64, Option<DateTime<Utc>>)>()
    };
    let mut latest = HashMap::new();
    if only.is_empty() {
        for (id, at) in grouped(contacts).all(db).await? {
            if let Some(at) = at {
                latest.insert(id, at);
            }
        }
        return Ok(latest);
    }
    for chunk in only.chunks(5_000) {
        for (id, at) in grouped(
            contacts
                .clone()
                .filter(contact_event::Column::CandidateId.is_in(chunk.iter().copied())),
        )
        .all(db)
        .await?
        {
            if let Some(at) = at {
                latest.insert(id, at);
            }
        }
    }
    Ok(latest)
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn new(size: usize) -> Self {
        Self((0..size).collect())
    }

    fn find(&mut self, mut at: usize) -> usize {
        while self.0[at] != at {
            self.0[at] = self.0[self.0[at]];
            at = self.0[at];
        }
        at
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// Who the job would write to at its next dispatch time (or now, when it has none), as
/// the caller may see them: the first `limit` recipients and how many there are.
pub async fn preview(
    state: &AppState,
    principal: &Principal,
    id: crate::ids::NurturingJobId,
    limit: usize,
) -> ServiceResult<(Vec<Recipient>, usize, DateTime<Utc>)> {
    let job = crate::services::nurturing::jobs::find(&state.db, principal, id).await?;
    let filter = job_filter(state, principal, &job).await?;
    let now = state.clock.now();
    let at = crate::services::nurturing::jobs::schedule_of(&job)
        .next_after(now)
        .unwrap_or(now);
    let mut all = recipients(state, job.organisation_id, &filter, at).await?;
    let total = all.len();
    all.truncate(limit);
    Ok((all, total, at))
}
