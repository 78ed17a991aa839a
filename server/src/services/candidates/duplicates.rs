//! Duplicate sets: candidates sharing an e-mail address, a phone number, or name and
//! birthday. Sets are computed from the candidates as they are now; what is stored is
//! the recruiters' verdict per pair, so a new member reopens a set and a merge needs
//! no bookkeeping.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set,
};
use talentpost_shared::{DuplicateReason, DuplicateStatus, EmailAddress};

use crate::auth::Principal;
use crate::db::entities::{
    application, candidate, candidate_email, contact_event, document, duplicate_decision, inbox_item, mail_thread,
    nurturing_entry, outbox_message, writing_job,
};
use crate::error::{ServiceError, ServiceResult};
use crate::events::DomainEvent;
use crate::ids::CandidateId;
use crate::services::pagination::{Page, PageRequest};
use crate::services::{candidates, org::audit};
use crate::state::AppState;

pub struct DuplicateSet {
    /// Stable while the shared detail exists: "email:anna@example.org",
    /// "phone:701234567", "name:anna schmidt|1992-03-14".
    pub key: String,
    pub reason: DuplicateReason,
    pub status: DuplicateStatus,
    pub members: Vec<candidate::Model>,
}

#[derive(Default)]
pub struct DuplicateFilter {
    /// Only sets this candidate belongs to.
    pub candidate_id: Option<CandidateId>,
    /// Default: open sets.
    pub status: Option<DuplicateStatus>,
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: DuplicateFilter,
    page: &PageRequest,
) -> ServiceResult<Page<DuplicateSet>> {
    let status = filter.status.unwrap_or(DuplicateStatus::Open);
    let mut sets = sets(&state.db, principal.organisation_id, filter.candidate_id).await?;
    sets.retain(|set| set.status == status);
    let offset = match &page.after {
        Some(cursor) => {
            usize::try_from(cursor.single()?).map_err(|_| ServiceError::invalid("after", "not a valid cursor"))?
        }
        None => 0,
    };
    let rows: Vec<(usize, DuplicateSet)> = sets
        .into_iter()
        .enumerate()
        .skip(offset)
        .take(page.fetch_limit() as usize)
        .collect();
    let page = Page::from_rows(rows, page, |(index, _)| vec![*index as i64 + 1]);
    Ok(page.map(|(_, set)| set))
}

/// Every set of the organisation (or of one candidate), ordered by key.
pub async fn sets(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    candidate_id: Option<CandidateId>,
) -> ServiceResult<Vec<DuplicateSet>> {
    let only = match candidate_id {
        Some(id) => Some(
            crate::db::tenancy::scoped_by_id::<candidate::Entity>(organisation_id, id.0)
                .one(db)
                .await?
                .ok_or_else(|| ServiceError::not_found(CandidateId::LABEL, id))?,
        ),
        None => None,
    };
    let mut groups: BTreeMap<String, (DuplicateReason, Vec<i64>)> = BTreeMap::new();

    // Shared addresses.
    let mut emails = candidate_email::Entity::find()
        .select_only()
        .column(candidate_email::Column::EmailKey)
        .column(candidate_email::Column::CandidateId)
        // Only addresses of this organisation's candidates.
        .filter(
            candidate_email::Column::CandidateId.in_subquery(
                crate::db::tenancy::scoped::<candidate::Entity>(organisation_id)
                    .select_only()
                    .column(candidate::Column::Id)
                    .into_query(),
            ),
        );
    let shared_keys = candidate_email::Entity::find()
        .select_only()
        .column(candidate_email::Column::EmailKey)
        .group_by(candidate_email::Column::EmailKey)
        .having(Expr::expr(Func::count(Expr::col(candidate_email::Column::CandidateId))).gt(1));
    emails = match &only {
        Some(only) => {
            let own: Vec<String> = candidate_email::Entity::find()
                .filter(candidate_email::Column::CandidateId.eq(only.id))
                .select_only()
                .column(candidate_email::Column::EmailKey)
                .into_tuple()
                .all(db)
                .await?;
            emails.filter(candidate_email::Column::EmailKey.is_in(own))
        }
        None => emails.filter(candidate_email::Column::EmailKey.in_subquery(shared_keys.into_query())),
    };
    let rows: Vec<(String, i64)> = emails.into_tuple().all(db).await?;
    for (key, candidate) in rows {
        groups
            .entry(format!("email:{key}"))
            .or_insert((DuplicateReason::Email, Vec::new()))
            .1
            .push(candidate);
    }

    // Shared phone numbers and shared name plus birthday, from the candidate table.
    let mut by_phone = crate::db::tenancy::scoped::<candidate::Entity>(organisation_id)
        .select_only()
        .column(candidate::Column::PhoneKey)
        .column(candidate::Column::Id);
    let mut by_name = crate::db::tenancy::scoped::<candidate::Entity>(organisation_id)
        .select_only()
        .column(candidate::Column::NameKey)
        .column(candidate::Column::Birthday)
        .column(candidate::Column::Id)
        .filter(candidate::Column::Birthday.is_not_null());
    match &only {
        Some(only) => {
            by_phone = by_phone.filter(candidate::Column::PhoneKey.eq(only.phone_key.clone()));
            by_name = by_name
                .filter(candidate::Column::NameKey.eq(only.name_key.clone()))
                .filter(candidate::Column::Birthday.eq(only.birthday));
        }
        None => {
            let shared_phones = crate::db::tenancy::scoped::<candidate::Entity>(organisation_id)
                .select_only()
                .column(candidate::Column::PhoneKey)
                .filter(candidate::Column::PhoneKey.is_not_null())
                .group_by(candidate::Column::PhoneKey)
                .having(Expr::expr(Func::count(Expr::col(candidate::Column::Id))).gt(1));
            by_phone = by_phone.filter(candidate::Column::PhoneKey.in_subquery(shared_phones.into_query()));
            let shared_names = crate::db::tenancy::scoped::<candidate::Entity>(organisation_id)
                .select_only()
                .column(candidate::Column::NameKey)
                .filter(candidate::Column::Birthday.is_not_null())
                .group_by(candidate::Column::NameKey)
                .group_by(candidate::Column::Birthday)
                .having(Expr::expr(Func::count(Expr::col(candidate::Column::Id))).gt(1));
            by_name = by_name.filter(candidate::Column::NameKey.in_subquery(shared_names.into_query()));
        }
    }
    let rows: Vec<(Option<String>, i64)> = by_phone
        .filter(candidate::Column::PhoneKey.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    for (key, candidate) in rows {
        if let Some(key) = key {
            groups
                .entry(format!("phone:{key}"))
                .or_insert((DuplicateReason::Phone, Vec::new()))
                .1
                .push(candidate);
        }
    }
    let rows: Vec<(String, Option<NaiveDate>, i64)> = by_name.into_tuple().all(db).await?;
    for (name, birthday, candidate) in rows {
        if let Some(birthday) = birthday {
            groups
                .entry(format!("name:{name}|{birthday}"))
                .or_insert((DuplicateReason::NameAndBirthday, Vec::new()))
                .1
                .push(candidate);
        }
    }
    groups.retain(|_, (_, members)| {
        members.sort_unstable();
        members.dedup();
        members.len() > 1
    });

    let member_ids: HashSet<i64> = groups
        .values()
        .flat_map(|(_, members)| members.iter().copied())
        .collect();
    let people: HashMap<i64, candidate::Model> = load_in_chunks(db, organisation_id, &member_ids).await?;
    let decisions = decisions_among(db, &member_ids).await?;
    Ok(groups
        .into_iter()
        .map(|(key, (reason, ids))| {
            let status = status_of(&ids, &decisions);
            let members = ids.iter().filter_map(|id| people.get(id).cloned()).collect();
            DuplicateSet {
                key,
                reason,
                status,
                members,
            }
        })
        .filter(|set| set.members.len() > 1)
        .collect())
}

async fn load_in_chunks(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    ids: &HashSet<i64>,
) -> ServiceResult<HashMap<i64, candidate::Model>> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut people = HashMap::with_capacity(ids.len());
    // Bound the bind parameters per statement (SQLite allows 32,766).
    for chunk in ids.chunks(5_000) {
        for row in crate::db::tenancy::scoped::<candidate::Entity>(organisation_id)
            .filter(candidate::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            people.insert(row.id, row);
        }
    }
    Ok(people)
}

pub type Decisions = HashMap<(i64, i64), DuplicateStatus>;

pub async fn decisions_among(db: &impl ConnectionTrait, ids: &HashSet<i64>) -> ServiceResult<Decisions> {
    let list: Vec<i64> = ids.iter().copied().collect();
    let mut decisions = HashMap::new();
    for chunk in list.chunks(5_000) {
        for row in crate::db::tenancy::any_organisation::<duplicate_decision::Entity>()
            .filter(duplicate_decision::Column::LowCandidateId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            if let Some(status) = Some(row.decision) {
                decisions.insert((row.low_candidate_id, row.high_candidate_id), status);
            }
        }
    }
    Ok(decisions)
}

/// Open while any pair is undecided; confirmed once every pair has a verdict and at
/// least one says "the same person"; dismissed when all say "different people".
fn status_of(members: &[i64], decisions: &Decisions) -> DuplicateStatus {
    let mut any_confirmed = false;
    for pair in pairs(members) {
        match decisions.get(&pair) {
            None | Some(DuplicateStatus::Open) => return DuplicateStatus::Open,
            Some(DuplicateStatus::Confirmed) => any_confirmed = true,
            Some(DuplicateStatus::Dismissed) => {}
        }
    }
    if any_confirmed {
        DuplicateStatus::Confirmed
    } else {
        DuplicateStatus::Dismissed
    }
}

fn pairs(members: &[i64]) -> Vec<(i64, i64)> {
    let mut pairs = Vec::new();
    for (index, a) in members.iter().enumerate() {
        for b in &members[index + 1..] {
            pairs.push((std::cmp::min(*a, *b), std::cmp::max(*a, *b)));
        }
    }
    pairs
}

/// Records a verdict for every pair of the set as it is now.
pub async fn decide(
    state: &AppState,
    principal: &Principal,
    key: &str,
    verdict: DuplicateStatus,
) -> ServiceResult<DuplicateSet> {
    if verdict == DuplicateStatus::Open {
        return Err(ServiceError::invalid("status", "a verdict is CONFIRMED or DISMISSED"));
    }
    let set = find(&state.db, principal, key).await?;
    let now = Utc::now();
    let ids: Vec<i64> = set.members.iter().map(|m| m.id).collect();
    let txn = crate::db::begin_write(&state.db).await?;
    for (low, high) in pairs(&ids) {
        duplicate_decision::Entity::insert(duplicate_decision::ActiveModel {
            organisation_id: Set(principal.organisation_id),
            low_candidate_id: Set(low),
            high_candidate_id: Set(high),
            decision: Set(verdict),
            decided_by_user_id: Set(Some(principal.user_id)),
            decided_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                duplicate_decision::Column::LowCandidateId,
                duplicate_decision::Column::HighCandidateId,
            ])
            .update_columns([
                duplicate_decision::Column::Decision,
                duplicate_decision::Column::DecidedByUserId,
                duplicate_decision::Column::DecidedAt,
            ])
            .to_owned(),
        )
        .exec(&txn)
        .await?;
    }
    audit::record(
        &txn,
        principal,
        &format!("duplicates.{}", verdict.as_str()),
        "candidate",
        ids.first().copied(),
        serde_json::json!({
            "set": key,
            "candidates": ids,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(DuplicateSet { status: verdict, ..set })
}

async fn find(db: &impl ConnectionTrait, principal: &Principal, key: &str) -> ServiceResult<DuplicateSet> {
    // Narrow to a member first: the set of one candidate is cheap to compute.
    let any_member = member_for_key(db, principal.organisation_id, key).await?;
    sets(db, principal.organisation_id, any_member)
        .await?
        .into_iter()
        .find(|set| set.key == key)
        .ok_or_else(|| ServiceError::not_found("duplicate set", key))
}

async fn member_for_key(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    key: &str,
) -> ServiceResult<Option<CandidateId>> {
    let not_found = || ServiceError::not_found("duplicate set", key);
    let (kind, value) = key.split_once(':').ok_or_else(not_found)?;
    let base = crate::db::tenancy::scoped::<candidate::Entity>(organisation_id);
    let found = match kind {
        "email" => {
            let email = EmailAddress::parse(value).map_err(|_| not_found())?;
            candidates::find_by_email(db, organisation_id, &email).await?
        }
        "phone" => base.filter(candidate::Column::PhoneKey.eq(value)).one(db).await?,
        "name" => {
            let (name, birthday) = value.rsplit_once('|').ok_or_else(not_found)?;
            let birthday: NaiveDate = birthday.parse().map_err(|_| not_found())?;
            base.filter(candidate::Column::NameKey.eq(name))
                .filter(candidate::Column::Birthday.eq(birthday))
                .one(db)
                .await?
        }
        _ => None,
    };
    Ok(Some(CandidateId(found.ok_or_else(not_found)?.id)))
}

/// What a merge moved onto the kept candidate.
#[derive(Default)]
pub struct MergeCounts {
    pub applications: u64,
    pub documents: u64,
    pub contact_events: u64,
    pub emails: u64,
    pub inbox_items: u64,
}

pub const MAX_MERGE_SOURCES: usize = 20;

/// Folds the sources into the target: every application, document, contact event,
/// address, inbox item, conversation and outgoing mail moves over; details the target
/// lacks (phone, birthday) are taken from a source; then the sources are deleted.
pub async fn merge(
    state: &AppState,
    principal: &Principal,
    target_id: CandidateId,
    source_ids: &[CandidateId],
) -> ServiceResult<(candidate::Model, MergeCounts)> {
    if source_ids.is_empty() {
        return Err(ServiceError::invalid(
            "sourceIds",
            "name at least one candidate to merge",
        ));
    }
    if source_ids.len() > MAX_MERGE_SOURCES {
        return Err(ServiceError::invalid(
            "sourceIds",
            format!("at most {MAX_MERGE_SOURCES} candidates at once"),
        ));
    }
    if source_ids.contains(&target_id) {
        return Err(ServiceError::invalid(
            "sourceIds",
            "the kept candidate cannot be merged into itself",
        ));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let target = candidates::find(&txn, principal, target_id)
        .await
        .map_err(|_| ServiceError::invalid("targetId", "no such candidate"))?;
    let mut sources = Vec::with_capacity(source_ids.len());
    for (index, id) in source_ids.iter().enumerate() {
        let source = candidates::find(&txn, principal, *id)
            .await
            .map_err(|_| ServiceError::invalid(format!("sourceIds.{index}"), "no such candidate"))?;
        if !sources.iter().any(|s: &candidate::Model| s.id == source.id) {
            sources.push(source);
        }
    }
    let ids: Vec<i64> = sources.iter().map(|s| s.id).collect();
    // Company admins recruit for their companies only: they may not move (and so take
    // over) applications of other companies.
    if principal.entity_scope().is_some() {
        let foreign = application::Entity::find()
            .filter(application::Column::CandidateId.is_in(ids.iter().copied().chain([target.id])))
            .all(&txn)
            .await?
            .into_iter()
            .any(|a| {
                a.legal_entity_id
                    .is_some_and(|entity| !principal.may_recruit_for(entity))
            });
        if foreign {
            return Err(ServiceError::Forbidden(
                "these candidates have applications with companies you do not recruit for",
            ));
        }
    }

    let applications = application::Entity::update_many()
        .col_expr(application::Column::CandidateId, Expr::value(target.id))
        .filter(application::Column::CandidateId.is_in(ids.clone()))
        .exec(&txn)
        .await?
        .rows_affected;
    let documents = document::Entity::update_many()
        .col_expr(document::Column::CandidateId, Expr::value(target.id))
        .filter(document::Column::CandidateId.is_in(ids.clone()))
        .exec(&txn)
        .await?
        .rows_affected;
    let contact_events = contact_event::Entity::update_many()
        .col_expr(contact_event::Column::CandidateId, Expr::value(target.id))
        .filter(contact_event::Column::CandidateId.is_in(ids.clone()))
        .exec(&txn)
        .await?
        .rows_affected;
    let inbox_items = inbox_item::Entity::update_many()
        .col_expr(inbox_item::Column::CandidateId, Expr::value(target.id))
        .filter(inbox_item::Column::CandidateId.is_in(ids.clone()))
        .exec(&txn)
        .await?
        .rows_affected;
    inbox_item::Entity::update_many()
        .col_expr(inbox_item::Column::MatchedCandidateId, Expr::value(target.id))
        .filter(inbox_item::Column::MatchedCandidateId.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    mail_thread::Entity::update_many()
        .col_expr(mail_thread::Column::CandidateId, Expr::value(target.id))
        .filter(mail_thread::Column::CandidateId.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::CandidateId, Expr::value(target.id))
        .filter(outbox_message::Column::CandidateId.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    writing_job::Entity::update_many()
        .col_expr(writing_job::Column::CandidateId, Expr::value(target.id))
        .filter(writing_job::Column::CandidateId.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    // Nurturing entries follow too, except where the kept candidate has one in the same
    // run already (one entry per candidate and run); those go with the source.
    for source in &ids {
        let taken = crate::db::tenancy::scoped::<nurturing_entry::Entity>(principal.organisation_id)
            .select_only()
            .column(nurturing_entry::Column::RunId)
            .filter(nurturing_entry::Column::CandidateId.eq(target.id))
            .into_query();
        nurturing_entry::Entity::update_many()
            .col_expr(nurturing_entry::Column::CandidateId, Expr::value(target.id))
            .filter(nurturing_entry::Column::CandidateId.eq(*source))
            .filter(nurturing_entry::Column::RunId.not_in_subquery(taken))
            .exec(&txn)
            .await?;
    }

    // Addresses: the target keeps its own first; a bounced address stays marked.
    let kept: Vec<String> = candidate_email::Entity::find()
        .filter(candidate_email::Column::CandidateId.eq(target.id))
        .select_only()
        .column(candidate_email::Column::EmailKey)
        .into_tuple()
        .all(&txn)
        .await?;
    let mut next_position = kept.len() as i32;
    let mut emails = 0;
    let mut seen: HashSet<String> = kept.into_iter().collect();
    let moving = candidate_email::Entity::find()
        .filter(candidate_email::Column::CandidateId.is_in(ids.clone()))
        .order_by_asc(candidate_email::Column::CandidateId)
        .order_by_asc(candidate_email::Column::Position)
        .all(&txn)
        .await?;
    candidate_email::Entity::delete_many()
        .filter(candidate_email::Column::CandidateId.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    for email in moving {
        if !seen.insert(email.email_key.clone()) {
            continue;
        }
        candidate_email::ActiveModel {
            candidate_id: Set(target.id),
            email: Set(email.email),
            email_key: Set(email.email_key),
            position: Set(next_position),
            bounced_at: Set(email.bounced_at),
            bounce_reason: Set(email.bounce_reason),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        next_position += 1;
        emails += 1;
    }

    let mut active: candidate::ActiveModel = target.clone().into();
    if target.phone.is_none()
        && let Some(phone) = sources.iter().find_map(|s| s.phone.clone())
    {
        active.phone = Set(Some(phone));
    }
    if target.birthday.is_none()
        && let Some(birthday) = sources.iter().find_map(|s| s.birthday)
    {
        active.birthday = Set(Some(birthday));
    }
    if !target.in_talent_pool
        && let Some(source) = sources.iter().find(|s| s.in_talent_pool)
    {
        active.in_talent_pool = Set(true);
        active.pool_joined_on = Set(source.pool_joined_on);
    }
    active.updated_at = Set(Utc::now());
    let merged = active.update(&txn).await?;
    candidate::Entity::delete_many()
        .filter(Condition::all().add(candidate::Column::Id.is_in(ids.clone())))
        .exec(&txn)
        .await?;
    let merged = candidates::refresh_keys(&txn, merged).await?;
    let counts = MergeCounts {
        applications,
        documents,
        contact_events,
        emails,
        inbox_items,
    };
    audit::record(
        &txn,
        principal,
        "candidates.merge",
        "candidate",
        Some(merged.id),
        serde_json::json!({
            "merged": ids,
            "applications": counts.applications,
            "documents": counts.documents,
            "contactEvents": counts.contact_events,
        }),
    )
    .await?;
    txn.commit().await?;
    let organisation_id = principal.organisation_id;
    state.events.publish(DomainEvent::ContactHistoryChanged {
        organisation_id,
        candidate_id: merged.id,
    });
    state.events.publish(DomainEvent::InboxChanged { organisation_id });
    Ok((merged, counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_open_until_every_pair_has_a_verdict() {
        let mut decisions = Decisions::new();
        assert_eq!(status_of(&[1, 2, 3], &decisions), DuplicateStatus::Open);
        decisions.insert((1, 2), DuplicateStatus::Dismissed);
        decisions.insert((1, 3), DuplicateStatus::Dismissed);
        assert_eq!(status_of(&[1, 2, 3], &decisions), DuplicateStatus::Open);
        decisions.insert((2, 3), DuplicateStatus::Confirmed);
        assert_eq!(status_of(&[1, 2, 3], &decisions), DuplicateStatus::Confirmed);
        decisions.insert((2, 3), DuplicateStatus::Dismissed);
        assert_eq!(status_of(&[1, 2, 3], &decisions), DuplicateStatus::Dismissed);
        assert_eq!(
            status_of(&[1, 2, 3, 4], &decisions),
            DuplicateStatus::Open,
            "a new member reopens the set"
        );
    }
}
