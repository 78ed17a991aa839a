use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::throttle::{LoginThrottle, RateLimiter};
use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::SecretBox;
use crate::events::EventBus;
use crate::mail::smtp::Transports;
use crate::mail::tls::MailTls;
use crate::signals::{KeyedLocks, Signals};
use crate::storage::BlobStore;

/// Everything a request or worker needs, built once at start-up and cloned cheaply.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub events: EventBus,
    pub blobs: BlobStore,
    pub secrets: SecretBox,
    pub login_throttle: LoginThrottle,
    /// Requests per client of the public form and the SMS webhook.
    pub intake_limiter: RateLimiter,
    pub mail_tls: MailTls,
    /// Nudges for the background workers, which own their tasks (`crate::workers`).
    pub signals: Signals,
    /// The time schedules and candidate queries go by (settable in test-clock mode).
    pub clock: Clock,
    /// Pooled SMTP connections per outgoing account.
    pub transports: Transports,
    /// Where browsers reach this server (`TALENTPOST_PUBLIC_URL`, else the bound
    /// address); OAuth providers send the admin back to it.
    pub public_url: Arc<str>,
    /// One token refresh at a time per OAuth connection.
    pub oauth_refresh: KeyedLocks,
    pub metrics: Arc<crate::metrics::Metrics>,
}
