//! Which process syncs which mailbox. Several server processes on one database share the
//! active inbound accounts: each account is synced by the one process holding its lease
//! (`inbound-account:<id>` in `db::leases`), and each process claims about its fair
//! share, ceil(accounts / live processes), live meaning its heartbeat in
//! `server_process` is fresh. A process that joins makes the others' share smaller, so
//! they give accounts up; one that dies stops renewing, and its accounts are taken over
//! once their leases run out. On SQLite the same code runs with one process.
//!
//! The worker (`workers::inbound_sync`) runs the sync tasks; this module only decides
//! and keeps the leases. It stops a task before the lease is given up, so two processes
//! never hold a mailbox's connection at once.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::entities::{inbound_account, server_process};
use crate::db::leases;
use crate::error::ServiceResult;
use crate::events::{DomainEvent, InboundCommand};
use crate::state::AppState;

const LEASE_PREFIX: &str = "inbound-account:";
/// Processes not seen for this long are forgotten (an admin still sees a process that
/// died recently, with when it was last seen).
const FORGET_AFTER: Duration = Duration::days(1);

fn lease_name(account_id: i64) -> String {
    format!("{LEASE_PREFIX}{account_id}")
}

fn account_of(lease_name: &str) -> Option<i64> {
    lease_name.strip_prefix(LEASE_PREFIX)?.parse().ok()
}

/// How long a mailbox lease lasts without renewal.
pub fn lease_term(state: &AppState) -> Duration {
    Duration::seconds(i64::try_from(state.config.mailbox_lease_seconds.max(3)).unwrap_or(30))
}

/// Tells the process that syncs the account (this one or another) what to do.
pub fn tell(state: &AppState, organisation_id: i64, account_id: i64, command: InboundCommand) {
    state.events.publish(DomainEvent::InboundAccountCommand {
        organisation_id,
        account_id,
        command,
    });
}

/// What this process syncs from now on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assignment {
    /// Newly leased: start their sync.
    pub start: Vec<i64>,
    /// No longer ours (lost, inactive, deleted, or more than our share): stop their
    /// sync, then `release` them.
    pub stop: Vec<i64>,
    /// When each active account's settings last changed: a task started with older
    /// settings is restarted (a change whose command was lost on the way still arrives).
    pub versions: BTreeMap<i64, DateTime<Utc>>,
}

/// One round: heartbeat, renew what this process syncs, and claim or give up accounts
/// towards the fair share. `running` are the accounts this process syncs now.
pub async fn rebalance(state: &AppState, running: &BTreeSet<i64>) -> ServiceResult<Assignment> {
    let me = state.signals.instance.as_ref();
    let now = leases::now(&state.db).await?;
    let term = lease_term(state);
    heartbeat(state, now).await?;
    let live = server_process::Entity::find()
        .filter(server_process::Column::LastSeenAt.gte(now - term))
        .count(&state.db)
        .await?
        .max(1);
    let versions: BTreeMap<i64, DateTime<Utc>> = crate::db::tenancy::any_organisation::<inbound_account::Entity>()
        .select_only()
        .column(inbound_account::Column::Id)
        .column(inbound_account::Column::UpdatedAt)
        .filter(inbound_account::Column::Active.eq(true))
        .into_tuple::<(i64, DateTime<Utc>)>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let active: BTreeSet<i64> = versions.keys().copied().collect();
    let holders: BTreeMap<i64, (String, DateTime<Utc>)> = leases::with_prefix(&state.db, LEASE_PREFIX)
        .await?
        .into_iter()
        .filter_map(|lease| Some((account_of(&lease.name)?, (lease.owner, lease.expires_at))))
        .collect();

    let mut assignment = Assignment {
        versions,
        ..Assignment::default()
    };
    let mut held = BTreeSet::new();
    for &account in running {
        // Renewing fails only when another process took it over (we stalled past the term).
        if active.contains(&account) && leases::acquire(&state.db, &lease_name(account), me, now, term).await? {
            held.insert(account);
        } else {
            assignment.stop.push(account);
        }
    }
    // Leases of ours without a task (a restart of the worker): ours to keep or give up.
    for (account, (owner, expires_at)) in &holders {
        if owner == me && *expires_at > now && active.contains(account) && !running.contains(account) {
            held.insert(*account);
            assignment.start.push(*account);
        }
    }
    let share = active.len().div_ceil(usize::try_from(live).unwrap_or(1));
    while held.len() > share {
        let Some(extra) = held.pop_last() else { break };
        if let Some(position) = assignment.start.iter().position(|id| *id == extra) {
            assignment.start.remove(position);
            release(state, &[extra]).await?;
        } else {
            assignment.stop.push(extra);
        }
    }
    for &account in &active {
        if held.len() >= share {
            break;
        }
        if held.contains(&account) {
            continue;
        }
        let free = holders
            .get(&account)
            .is_none_or(|(owner, expires_at)| owner == me || *expires_at <= now);
        if free && leases::acquire(&state.db, &lease_name(account), me, now, term).await? {
            held.insert(account);
            assignment.start.push(account);
        }
    }
    Ok(assignment)
}

/// Whether another process holds the account's mailbox now.
pub async fn synced_elsewhere(state: &AppState, account_id: i64) -> ServiceResult<bool> {
    let now = leases::now(&state.db).await?;
    Ok(leases::get(&state.db, &lease_name(account_id))
        .await?
        .is_some_and(|lease| lease.expires_at > now && lease.owner.as_str() != state.signals.instance.as_ref()))
}

/// Gives up the leases of accounts whose sync this process has stopped.
pub async fn release(state: &AppState, accounts: &[i64]) -> ServiceResult<()> {
    for account in accounts {
        leases::release(&state.db, &lease_name(*account), &state.signals.instance).await?;
    }
    Ok(())
}

/// On shutdown, after every sync task stopped: all its mailbox leases go at once (the
/// others need not wait for them to run out) and the process leaves the list.
pub async fn leave(state: &AppState) -> ServiceResult<()> {
    leases::release_all(&state.db, LEASE_PREFIX, &state.signals.instance).await?;
    server_process::Entity::delete_by_id(state.signals.instance.to_string())
        .exec(&state.db)
        .await?;
    Ok(())
}

async fn heartbeat(state: &AppState, now: DateTime<Utc>) -> ServiceResult<()> {
    server_process::Entity::insert(server_process::ActiveModel {
        id: Set(state.signals.instance.to_string()),
        host: Set(crate::signals::host_name()),
        started_at: Set(now),
        last_seen_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(server_process::Column::Id)
            .update_column(server_process::Column::LastSeenAt)
            .to_owned(),
    )
    .exec_without_returning(&state.db)
    .await?;
    server_process::Entity::delete_many()
        .filter(server_process::Column::LastSeenAt.lt(now - FORGET_AFTER))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// A server process as admins see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerProcess {
    pub id: String,
    pub host: String,
    pub started_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// Whether its heartbeat is fresh.
    pub alive: bool,
    /// The mailboxes it syncs now (of every organisation).
    pub accounts: usize,
}

/// The processes on this database, alive first, with how many mailboxes each syncs
/// (installation administrators only: processes serve every organisation).
pub async fn processes(state: &AppState, principal: &crate::auth::Principal) -> ServiceResult<Vec<ServerProcess>> {
    principal.require_admin()?;
    let now = leases::now(&state.db).await?;
    let term = lease_term(state);
    let rows = server_process::Entity::find()
        .order_by_desc(server_process::Column::LastSeenAt)
        .all(&state.db)
        .await?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for lease in leases::with_prefix(&state.db, LEASE_PREFIX).await? {
        if lease.expires_at > now {
            *counts.entry(lease.owner).or_default() += 1;
        }
    }
    let mut processes: Vec<ServerProcess> = rows
        .into_iter()
        .map(|row| ServerProcess {
            accounts: counts.get(&row.id).copied().unwrap_or(0),
            alive: row.last_seen_at >= now - term,
            id: row.id,
            host: row.host,
            started_at: row.started_at,
            last_seen_at: row.last_seen_at,
        })
        .collect();
    processes.sort_by_key(|process| (!process.alive, process.id.clone()));
    Ok(processes)
}

/// The process that syncs each of `accounts` now (an unexpired lease), by account.
pub async fn synced_by(state: &AppState, accounts: &[i64]) -> ServiceResult<BTreeMap<i64, String>> {
    let now = leases::now(&state.db).await?;
    let wanted: BTreeSet<i64> = accounts.iter().copied().collect();
    Ok(leases::with_prefix(&state.db, LEASE_PREFIX)
        .await?
        .into_iter()
        .filter(|lease| lease.expires_at > now)
        .filter_map(|lease| Some((account_of(&lease.name)?, lease.owner)))
        .filter(|(account, _)| wanted.contains(account))
        .collect())
}
