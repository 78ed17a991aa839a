//! Per-item relations loaded in batches: a page of 200 inbox items or candidates asks
//! for its openings, legal entities, candidates, addresses and last contacts in one
//! statement each, not one per row. Each loader calls a batch function of the services
//! with the caller's principal, so visibility stays where it is decided.
//!
//! Batching by timing alone (a `DataLoader` collects keys for a millisecond) splits a
//! large page into many batches when resolving is slow, so the page resolvers prime
//! the loaders first: for the relations the query selects (`look_ahead`), one
//! `load_many` over the whole page, whose results the per-item `load_one` then finds
//! in the request's cache. A subscription connection's loaders keep no cache (it
//! lives long; every push reads afresh).

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader, NoCache};
use async_graphql::{Context, Lookahead};
use chrono::{DateTime, Utc};

use super::support::{GqlResult, to_gql};
use crate::auth::Principal;
use crate::db::entities::{candidate, inbox_item, job_opening, legal_entity};
use crate::services::candidates::{self, contact_history, job_openings};
use crate::services::org::legal_entities;
use crate::state::AppState;

/// The loaders of one request (cached for the request) or of one subscription
/// connection (not cached).
pub enum Loaders {
    Request(Set<HashMapCache>),
    Connection(Set<NoCache>),
}

pub struct Set<C: async_graphql::dataloader::CacheFactory> {
    candidates: DataLoader<Candidates, C>,
    legal_entities: DataLoader<LegalEntities, C>,
    job_openings: DataLoader<JobOpenings, C>,
    candidate_emails: DataLoader<CandidateEmails, C>,
    last_contacts: DataLoader<LastContacts, C>,
    synced_by: DataLoader<SyncedBy, C>,
}

impl<C: async_graphql::dataloader::CacheFactory> Set<C> {
    fn new(state: &AppState, principal: &Principal, cache: impl Fn() -> C) -> Self {
        let caller = || Caller {
            state: state.clone(),
            principal: principal.clone(),
        };
        Self {
            candidates: DataLoader::with_cache(Candidates(caller()), tokio::spawn, cache()),
            legal_entities: DataLoader::with_cache(LegalEntities(caller()), tokio::spawn, cache()),
            job_openings: DataLoader::with_cache(JobOpenings(caller()), tokio::spawn, cache()),
            candidate_emails: DataLoader::with_cache(CandidateEmails(caller()), tokio::spawn, cache()),
            last_contacts: DataLoader::with_cache(LastContacts(caller()), tokio::spawn, cache()),
            synced_by: DataLoader::with_cache(SyncedBy(caller()), tokio::spawn, cache()),
        }
    }
}

/// Calls the same method on whichever set the loaders are.
macro_rules! each_set {
    ($loaders:expr, $set:ident => $body:expr) => {
        match $loaders {
            Loaders::Request($set) => $body,
            Loaders::Connection($set) => $body,
        }
    };
}

impl Loaders {
    pub fn for_request(state: &AppState, principal: &Principal) -> Self {
        Self::Request(Set::new(state, principal, HashMapCache::default))
    }

    pub fn for_connection(state: &AppState, principal: &Principal) -> Self {
        Self::Connection(Set::new(state, principal, || NoCache))
    }

    pub async fn candidate(&self, id: i64) -> GqlResult<Option<candidate::Model>> {
        Ok(each_set!(self, set => set.candidates.load_one(id).await)?.flatten())
    }

    pub async fn legal_entity(&self, id: i64) -> GqlResult<Option<legal_entity::Model>> {
        Ok(each_set!(self, set => set.legal_entities.load_one(id).await)?.flatten())
    }

    pub async fn job_opening(&self, id: i64) -> GqlResult<Option<job_opening::Model>> {
        Ok(each_set!(self, set => set.job_openings.load_one(id).await)?.flatten())
    }

    pub async fn candidate_emails(&self, id: i64) -> GqlResult<Vec<String>> {
        Ok(each_set!(self, set => set.candidate_emails.load_one(id).await)?
            .flatten()
            .unwrap_or_default())
    }

    pub async fn last_contact(&self, id: i64) -> GqlResult<Option<DateTime<Utc>>> {
        Ok(each_set!(self, set => set.last_contacts.load_one(id).await)?.flatten())
    }

    /// The server process syncing the inbound account now, if any.
    pub async fn synced_by(&self, account_id: i64) -> GqlResult<Option<String>> {
        Ok(each_set!(self, set => set.synced_by.load_one(account_id).await)?.flatten())
    }

    /// Loads what a page of inbox items selects (`nodes`: the look-ahead at an item).
    pub async fn prime_inbox_items(&self, nodes: &Lookahead<'_>, items: &[&inbox_item::Model]) -> GqlResult<()> {
        let Self::Request(set) = self else {
            return Ok(());
        };
        if nodes.field("legalEntity").exists() {
            set.legal_entities
                .load_many(items.iter().filter_map(|item| item.legal_entity_id))
                .await?;
        }
        if nodes.field("jobOpening").exists() {
            set.job_openings
                .load_many(items.iter().filter_map(|item| item.job_opening_id))
                .await?;
        }
        for (field, ids) in [
            (
                "matchedCandidate",
                items
                    .iter()
                    .filter_map(|item| item.matched_candidate_id)
                    .collect::<Vec<_>>(),
            ),
            ("candidate", items.iter().filter_map(|item| item.candidate_id).collect()),
        ] {
            let candidate = nodes.field(field);
            if candidate.exists() {
                set.candidates.load_many(ids.iter().copied()).await?;
                self.prime_candidates(&candidate, &ids).await?;
            }
        }
        Ok(())
    }

    /// Loads what a page of job openings selects (`nodes`: the look-ahead at an opening).
    pub async fn prime_job_openings(&self, nodes: &Lookahead<'_>, openings: &[&job_opening::Model]) -> GqlResult<()> {
        let Self::Request(set) = self else {
            return Ok(());
        };
        if nodes.field("legalEntity").exists() {
            set.legal_entities
                .load_many(openings.iter().map(|opening| opening.legal_entity_id))
                .await?;
        }
        Ok(())
    }

    /// Loads what a page of candidates selects (`nodes`: the look-ahead at a candidate).
    pub async fn prime_candidates(&self, nodes: &Lookahead<'_>, ids: &[i64]) -> GqlResult<()> {
        let Self::Request(set) = self else {
            return Ok(());
        };
        if nodes.field("emails").exists() {
            set.candidate_emails.load_many(ids.iter().copied()).await?;
        }
        if nodes.field("lastContactAt").exists() {
            set.last_contacts.load_many(ids.iter().copied()).await?;
        }
        Ok(())
    }
}

/// The loaders put into the request (or connection) data with the principal.
pub fn loaders<'a>(ctx: &Context<'a>) -> GqlResult<&'a Loaders> {
    ctx.data_opt::<Loaders>()
        .ok_or_else(|| to_gql(crate::error::ServiceError::Unauthenticated))
}

pub struct Caller {
    state: AppState,
    principal: Principal,
}

pub struct Candidates(Caller);
pub struct LegalEntities(Caller);
pub struct JobOpenings(Caller);
pub struct CandidateEmails(Caller);
pub struct LastContacts(Caller);
pub struct SyncedBy(Caller);

/// Every key gets a value, `None` for what is not there (or not visible): an absent
/// key would be looked up again, one statement per row.
fn for_every_key<V>(ids: &[i64], mut found: HashMap<i64, V>) -> HashMap<i64, Option<V>> {
    ids.iter().map(|id| (*id, found.remove(id))).collect()
}

impl Loader<i64> for SyncedBy {
    type Value = Option<String>;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        // The accounts were read through the caller's visibility already; the lease
        // says only which process syncs them.
        let found = crate::services::mail_in::sharing::synced_by(&self.0.state, ids)
            .await
            .map_err(to_gql)?;
        Ok(for_every_key(ids, found.into_iter().collect()))
    }
}

impl Loader<i64> for Candidates {
    type Value = Option<candidate::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let found = candidates::find_many(&self.0.state.db, &self.0.principal, ids)
            .await
            .map_err(to_gql)?;
        Ok(for_every_key(ids, found))
    }
}

impl Loader<i64> for LegalEntities {
    type Value = Option<legal_entity::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let found = legal_entities::find_many_in_organisation(&self.0.state.db, &self.0.principal, ids)
            .await
            .map_err(to_gql)?;
        Ok(for_every_key(ids, found))
    }
}

impl Loader<i64> for JobOpenings {
    type Value = Option<job_opening::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let found = job_openings::find_many(&self.0.state.db, &self.0.principal, ids)
            .await
            .map_err(to_gql)?;
        Ok(for_every_key(ids, found))
    }
}

impl Loader<i64> for CandidateEmails {
    type Value = Option<Vec<String>>;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let found = candidates::emails_of(&self.0.state, ids).await.map_err(to_gql)?;
        Ok(for_every_key(ids, found))
    }
}

impl Loader<i64> for LastContacts {
    type Value = Option<DateTime<Utc>>;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let found = contact_history::last_contacts_of(&self.0.state, ids)
            .await
            .map_err(to_gql)?;
        Ok(for_every_key(ids, found))
    }
}
