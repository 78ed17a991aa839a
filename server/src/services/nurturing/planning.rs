//! Planning a run (its recipients, as of the dispatch time) and dispatching it. Both
//! are claimed in the database, so with several server processes on one PostgreSQL
//! each run is planned once and each entry written once.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set,
};
use serde::{Deserialize, Serialize};
use talentpost_shared::nurturing::OUTGOING_CONTACT_MEDIA;
use talentpost_shared::{DuplicateStatus, MatchReasonCode, NurturingEntryState, NurturingRunState, WritingJobKind};

use crate::auth::{Credential, Principal};
use crate::db::entities::{
    app_user, application, candidate, candidate_email, contact_event, form_letter, nurturing_entry, nurturing_job,
    nurturing_run, writing_job,
};
use crate::error::{ServiceError, ServiceResult, is_unique_violation};
use crate::events::DomainEvent;
use crate::ids::{ApplicationId, CandidateId, CandidateQueryId, FormLetterId};
use crate::services::candidates::candidate_queries::{self, CheckedFilter};
use crate::services::mail_out::form_letters::{self, LetterOutcome};
use crate::services::{candidates::duplicates, mail_out::messages, org::auth};
use crate::state::AppState;

/// Rows per insert statement (SQLite allows 32,766 bound values; an entry has 13).
const INSERT_CHUNK: usize = 1_000;
/// A run counts as a catch-up when it is dispatched this much after its time.
const CATCH_UP_AFTER: Duration = Duration::minutes(5);

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
async fn job_filter(
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

/// Plans the run of `job` at `dispatch_at`: inserts the run (the claim: one per job and
/// time), its entries and, for a run still ahead, their writing jobs, in one
/// transaction. `None` when another process planned it first.
pub async fn plan(
    state: &AppState,
    job: &nurturing_job::Model,
    dispatch_at: DateTime<Utc>,
) -> ServiceResult<Option<(nurturing_run::Model, u64)>> {
    let already = crate::db::tenancy::scoped::<nurturing_run::Entity>(job.organisation_id)
        .filter(nurturing_run::Column::JobId.eq(job.id))
        .filter(nurturing_run::Column::DispatchAt.eq(dispatch_at))
        .one(&state.db)
        .await?;
    if already.is_some() {
        return Ok(None);
    }
    let principal = owner_principal(&state.db, job).await?;
    let filter = job_filter(state, &principal, job).await?;
    let planned = recipients(state, job.organisation_id, &filter, dispatch_at).await?;
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let run = nurturing_run::ActiveModel {
        organisation_id: Set(job.organisation_id),
        job_id: Set(job.id),
        dispatch_at: Set(dispatch_at),
        catch_up: Set(now - dispatch_at > CATCH_UP_AFTER),
        state: Set(NurturingRunState::Planned),
        planned_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let run = match run {
        Ok(run) => run,
        Err(error) if is_unique_violation(&error) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    // The job as it is now, locked against a concurrent edit (PostgreSQL; on SQLite the
    // insert above already made this the only writer): a job changed or switched off
    // while its recipients were worked out is planned again, with its new settings.
    let current = crate::db::tenancy::scoped_by_id::<nurturing_job::Entity>(job.organisation_id, job.id)
        .lock_exclusive()
        .one(&txn)
        .await?;
    if current.is_none_or(|current| !current.enabled || current.updated_at != job.updated_at) {
        return Ok(None);
    }
    let count = planned.len() as u64;
    for chunk in planned.chunks(INSERT_CHUNK) {
        let rows = chunk.iter().map(|recipient| nurturing_entry::ActiveModel {
            organisation_id: Set(job.organisation_id),
            job_id: Set(job.id),
            run_id: Set(run.id),
            candidate_id: Set(recipient.candidate_id),
            application_id: Set(recipient.application_id),
            planned_for: Set(dispatch_at),
            state: Set(NurturingEntryState::Planned),
            reasons: Set(serde_json::to_string(&recipient.reasons).unwrap_or_else(|_| "[]".to_owned())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        nurturing_entry::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    if dispatch_at > now && count > 0 {
        // A run still ahead shows its recipients in the work centre, one writing job each.
        let letter = crate::db::tenancy::scoped_by_id::<form_letter::Entity>(job.organisation_id, job.form_letter_id)
            .one(&txn)
            .await?;
        let title = letter.map(|letter| letter.name).unwrap_or_else(|| job.name.clone());
        let entries = Query::select()
            .column(nurturing_entry::Column::OrganisationId)
            .expr(Expr::val(WritingJobKind::Nurturing.as_str()))
            .expr(Expr::val(title))
            .column(nurturing_entry::Column::CandidateId)
            .column(nurturing_entry::Column::ApplicationId)
            .expr(Expr::val(job.form_letter_id))
            .column(nurturing_entry::Column::JobId)
            .column(nurturing_entry::Column::Id)
            .column(nurturing_entry::Column::PlannedFor)
            .expr(Expr::val(now))
            .from(nurturing_entry::Entity)
            .and_where(Expr::col(nurturing_entry::Column::RunId).eq(run.id))
            .to_owned();
        let insert = Query::insert()
            .into_table(writing_job::Entity)
            .columns([
                writing_job::Column::OrganisationId,
                writing_job::Column::Kind,
                writing_job::Column::Title,
                writing_job::Column::CandidateId,
                writing_job::Column::ApplicationId,
                writing_job::Column::FormLetterId,
                writing_job::Column::NurturingJobId,
                writing_job::Column::NurturingEntryId,
                writing_job::Column::DueAt,
                writing_job::Column::CreatedAt,
            ])
            .select_from(entries)
            .map_err(|error| ServiceError::Internal(error.to_string()))?
            .to_owned();
        txn.execute(&insert).await?;
    }
    txn.commit().await?;
    state.events.publish(DomainEvent::NurturingChanged {
        organisation_id: job.organisation_id,
        job_id: Some(job.id),
    });
    Ok(Some((run, count)))
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub queued: u64,
    pub documented: u64,
    pub blocked: u64,
    pub failed: u64,
}

/// Dispatches a due run if this process can claim it (a run left by a vanished process
/// is taken over once its lease ran out). Each entry is written in its own transaction
/// that first moves it out of `planned`, so no entry is written twice.
pub async fn dispatch(
    state: &AppState,
    run: &nurturing_run::Model,
    worker: &str,
) -> ServiceResult<Option<DispatchReport>> {
    if !claim(state, run.id, worker).await? {
        return Ok(None);
    }
    let mut report = DispatchReport::default();
    let Some(job) = crate::db::tenancy::scoped_by_id::<nurturing_job::Entity>(run.organisation_id, run.job_id)
        .one(&state.db)
        .await?
    else {
        return Ok(Some(report));
    };
    let prepared = async {
        let principal = owner_principal(&state.db, &job).await?;
        let filter = job_filter(state, &principal, &job).await?;
        let letter = form_letters::find(&state.db, &principal, FormLetterId(job.form_letter_id)).await?;
        ServiceResult::Ok((principal, filter, letter))
    }
    .await;
    let (principal, filter, letter) = match prepared {
        Ok(prepared) => prepared,
        // Passing trouble (a lost connection): the claim runs out and the run is retried.
        Err(error @ ServiceError::Database(_)) => return Err(error),
        Err(error) => {
            report.failed += fail_all(state, run, &error).await?;
            finish(state, run, &job).await?;
            return Ok(Some(report));
        }
    };
    // Whoever was contacted, rejected or changed since planning is checked again.
    let condition = candidate_queries::condition(
        &filter,
        job.organisation_id,
        run.dispatch_at,
        state.db.get_database_backend(),
    );
    let still_matching: HashSet<i64> = crate::db::tenancy::scoped::<candidate::Entity>(run.organisation_id)
        .select_only()
        .column(candidate::Column::Id)
        .filter(condition)
        .filter(
            candidate::Column::Id.in_subquery(
                crate::db::tenancy::scoped::<nurturing_entry::Entity>(run.organisation_id)
                    .select_only()
                    .column(nurturing_entry::Column::CandidateId)
                    .filter(nurturing_entry::Column::RunId.eq(run.id))
                    .into_query(),
            ),
        )
        .into_tuple()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let mut after = 0;
    loop {
        let batch = crate::db::tenancy::scoped::<nurturing_entry::Entity>(run.organisation_id)
            .filter(nurturing_entry::Column::RunId.eq(run.id))
            .filter(nurturing_entry::Column::State.eq(NurturingEntryState::Planned.as_str()))
            .filter(nurturing_entry::Column::Id.gt(after))
            .order_by_asc(nurturing_entry::Column::Id)
            .limit(100)
            .all(&state.db)
            .await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for entry in batch {
            if !still_matching.contains(&entry.candidate_id) {
                report.blocked += u64::from(
                    settle(
                        state,
                        &entry,
                        NurturingEntryState::Blocked,
                        Some("no longer matched the query at dispatch".to_owned()),
                    )
                    .await?,
                );
                continue;
            }
            match write_entry(state, &principal, &letter, &entry).await? {
                Some(NurturingEntryState::Queued) => report.queued += 1,
                Some(NurturingEntryState::DocumentedNotSent) => report.documented += 1,
                Some(_) => report.failed += 1,
                None => {}
            }
        }
        extend_claim(state, run.id, worker).await?;
    }
    finish(state, run, &job).await?;
    Ok(Some(report))
}

async fn claim(state: &AppState, run_id: i64, worker: &str) -> ServiceResult<bool> {
    let real_now = Utc::now();
    let claimed = nurturing_run::Entity::update_many()
        .col_expr(
            nurturing_run::Column::State,
            Expr::value(NurturingRunState::Dispatching.as_str()),
        )
        .col_expr(nurturing_run::Column::ClaimedBy, Expr::value(worker))
        .col_expr(
            nurturing_run::Column::ClaimedUntil,
            Expr::value(real_now + lease(state)),
        )
        .filter(nurturing_run::Column::Id.eq(run_id))
        .filter(
            Condition::any()
                .add(nurturing_run::Column::State.eq(NurturingRunState::Planned.as_str()))
                .add(
                    Condition::all()
                        .add(nurturing_run::Column::State.eq(NurturingRunState::Dispatching.as_str()))
                        .add(nurturing_run::Column::ClaimedUntil.lt(real_now)),
                ),
        )
        .exec(&state.db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

async fn extend_claim(state: &AppState, run_id: i64, worker: &str) -> ServiceResult<()> {
    nurturing_run::Entity::update_many()
        .col_expr(
            nurturing_run::Column::ClaimedUntil,
            Expr::value(Utc::now() + lease(state)),
        )
        .filter(nurturing_run::Column::Id.eq(run_id))
        .filter(nurturing_run::Column::ClaimedBy.eq(worker))
        .exec(&state.db)
        .await?;
    Ok(())
}

fn lease(state: &AppState) -> Duration {
    Duration::seconds(i64::try_from(state.config.nurturing_lease_seconds).unwrap_or(300))
}

async fn finish(state: &AppState, run: &nurturing_run::Model, job: &nurturing_job::Model) -> ServiceResult<()> {
    nurturing_run::Entity::update_many()
        .col_expr(
            nurturing_run::Column::State,
            Expr::value(NurturingRunState::Done.as_str()),
        )
        .col_expr(nurturing_run::Column::DispatchedAt, Expr::value(state.clock.now()))
        .col_expr(
            nurturing_run::Column::CatchUp,
            Expr::value(run.catch_up || state.clock.now() - run.dispatch_at > CATCH_UP_AFTER),
        )
        .col_expr(
            nurturing_run::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(nurturing_run::Column::Id.eq(run.id))
        .exec(&state.db)
        .await?;
    state.events.publish(DomainEvent::NurturingChanged {
        organisation_id: job.organisation_id,
        job_id: Some(job.id),
    });
    Ok(())
}

/// Writes one entry. `None` when another process got to it first.
async fn write_entry(
    state: &AppState,
    principal: &Principal,
    letter: &form_letter::Model,
    entry: &nurturing_entry::Model,
) -> ServiceResult<Option<NurturingEntryState>> {
    let context = messages::letter_context(
        state,
        principal,
        CandidateId(entry.candidate_id),
        entry.application_id.map(ApplicationId),
        None,
    )
    .await;
    let written = match context {
        Ok(context) => {
            let txn = crate::db::begin_write(&state.db).await?;
            let taken = nurturing_entry::Entity::update_many()
                .col_expr(
                    nurturing_entry::Column::State,
                    Expr::value(NurturingEntryState::Queued.as_str()),
                )
                .filter(nurturing_entry::Column::Id.eq(entry.id))
                .filter(nurturing_entry::Column::State.eq(NurturingEntryState::Planned.as_str()))
                .exec(&txn)
                .await?;
            if taken.rows_affected != 1 {
                return Ok(None);
            }
            match form_letters::write_in(state, &txn, principal, letter, &context, true).await {
                Ok((outcome, candidate)) => {
                    let (state_after, outbox_id, event_id) = match &outcome {
                        LetterOutcome::Mailed(message) => {
                            (NurturingEntryState::Queued, Some(message.id), message.contact_event_id)
                        }
                        LetterOutcome::Documented(event) => {
                            (NurturingEntryState::DocumentedNotSent, None, Some(event.id))
                        }
                    };
                    let now = Utc::now();
                    nurturing_entry::Entity::update_many()
                        .col_expr(nurturing_entry::Column::State, Expr::value(state_after.as_str()))
                        .col_expr(nurturing_entry::Column::OutboxMessageId, Expr::value(outbox_id))
                        .col_expr(nurturing_entry::Column::ContactEventId, Expr::value(event_id))
                        .col_expr(nurturing_entry::Column::DoneAt, Expr::value(now))
                        .col_expr(nurturing_entry::Column::UpdatedAt, Expr::value(now))
                        .filter(nurturing_entry::Column::Id.eq(entry.id))
                        .exec(&txn)
                        .await?;
                    writing_job::Entity::delete_many()
                        .filter(writing_job::Column::NurturingEntryId.eq(entry.id))
                        .exec(&txn)
                        .await?;
                    txn.commit().await?;
                    form_letters::announce(state, principal, &outcome, &candidate);
                    Ok(state_after)
                }
                Err(error) => {
                    txn.rollback().await?;
                    Err(error)
                }
            }
        }
        Err(error) => Err(error),
    };
    match written {
        Ok(state_after) => Ok(Some(state_after)),
        Err(ServiceError::Database(error)) => Err(ServiceError::Database(error)),
        // The letter cannot be written for this candidate (no sender, a placeholder
        // without a value, no right to the entity): the entry says why.
        Err(error) => {
            tracing::warn!(entry = entry.id, error = %error, "a nurturing entry could not be written");
            Ok(
                settle(state, entry, NurturingEntryState::Failed, Some(error.to_string()))
                    .await?
                    .then_some(NurturingEntryState::Failed),
            )
        }
    }
}

/// Moves a planned entry to a final state without writing (blocked, failed) and drops
/// its writing job. False when it was no longer planned.
pub async fn settle(
    state: &AppState,
    entry: &nurturing_entry::Model,
    to: NurturingEntryState,
    problem: Option<String>,
) -> ServiceResult<bool> {
    let txn = crate::db::begin_write(&state.db).await?;
    let now = Utc::now();
    let moved = nurturing_entry::Entity::update_many()
        .col_expr(nurturing_entry::Column::State, Expr::value(to.as_str()))
        .col_expr(nurturing_entry::Column::Problem, Expr::value(problem))
        .col_expr(nurturing_entry::Column::DoneAt, Expr::value(now))
        .col_expr(nurturing_entry::Column::UpdatedAt, Expr::value(now))
        .filter(nurturing_entry::Column::Id.eq(entry.id))
        .filter(nurturing_entry::Column::State.eq(NurturingEntryState::Planned.as_str()))
        .exec(&txn)
        .await?;
    writing_job::Entity::delete_many()
        .filter(writing_job::Column::NurturingEntryId.eq(entry.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(moved.rows_affected == 1)
}

async fn fail_all(state: &AppState, run: &nurturing_run::Model, error: &ServiceError) -> ServiceResult<u64> {
    tracing::warn!(run = run.id, error = %error, "a nurturing run could not be dispatched");
    let txn = crate::db::begin_write(&state.db).await?;
    let now = Utc::now();
    let failed = nurturing_entry::Entity::update_many()
        .col_expr(
            nurturing_entry::Column::State,
            Expr::value(NurturingEntryState::Failed.as_str()),
        )
        .col_expr(nurturing_entry::Column::Problem, Expr::value(error.to_string()))
        .col_expr(nurturing_entry::Column::DoneAt, Expr::value(now))
        .col_expr(nurturing_entry::Column::UpdatedAt, Expr::value(now))
        .filter(nurturing_entry::Column::RunId.eq(run.id))
        .filter(nurturing_entry::Column::State.eq(NurturingEntryState::Planned.as_str()))
        .exec(&txn)
        .await?;
    let entries = crate::db::tenancy::scoped::<nurturing_entry::Entity>(run.organisation_id)
        .select_only()
        .column(nurturing_entry::Column::Id)
        .filter(nurturing_entry::Column::RunId.eq(run.id))
        .into_query();
    writing_job::Entity::delete_many()
        .filter(writing_job::Column::NurturingEntryId.in_subquery(entries))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(failed.rows_affected)
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
