//! What an operator's Prometheus reads at `GET /metrics` (OpenMetrics text, which
//! Prometheus takes as it is). Events are counted where they happen (the ingest, the
//! outbox, HTTP and GraphQL); states (queues, accounts, the pool, the file store) are
//! read at each scrape, so they are right even with several processes. No label carries
//! personal data: sources, statuses, route templates and operation names only.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// GraphQL operation names come from clients; past this many distinct names the rest
/// are counted as "other", so a misbehaving script cannot grow the metrics without end.
const MAX_OPERATION_NAMES: usize = 300;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IngestLabels {
    pub source: String,
    pub parse_status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    /// The route template (`/api/documents/{id}`), never the path with its ids.
    pub route: String,
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AccountLabels {
    pub account: String,
}

/// The states read at a scrape (`services::operations::snapshot`).
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub inbound_accounts: Vec<(String, i64)>,
    /// Per active account: mails on the server not yet stored in the current pass, and
    /// seconds since its last completed sync (`None`: never synced).
    pub inbound_sync: Vec<(i64, i64, Option<f64>)>,
    pub outbox: Vec<(String, i64)>,
    pub oldest_queued_seconds: f64,
    pub nurturing_entries: Vec<(String, i64)>,
    pub pool_in_use: i64,
    pub pool_idle: i64,
    pub blob_files: i64,
    pub blob_bytes: i64,
}

pub struct Metrics {
    registry: Registry,
    database_statements: Counter,
    mails_ingested: Family<IngestLabels, Counter>,
    ingest_duration: Histogram,
    send_attempts: Family<OutcomeLabels, Counter>,
    http_duration: Family<HttpLabels, Histogram>,
    graphql_duration: Family<OperationLabels, Histogram>,
    subscriptions_open: Gauge,
    inbound_accounts: Family<StatusLabels, Gauge>,
    sync_backlog: Family<AccountLabels, Gauge>,
    sync_age: Family<AccountLabels, Gauge<f64, AtomicU64>>,
    outbox_messages: Family<StatusLabels, Gauge>,
    outbox_oldest_queued: Gauge<f64, AtomicU64>,
    nurturing_entries: Family<StateLabels, Gauge>,
    pool_connections: Family<StateLabels, Gauge>,
    blob_files: Gauge,
    blob_bytes: Gauge,
    operation_names: Mutex<HashSet<String>>,
    /// One scrape at a time: a scrape clears and refills the state gauges.
    rendering: Mutex<()>,
    /// The file store's (files, bytes), and when they were counted.
    blob_stats: Mutex<Option<(Instant, i64, i64)>>,
}

/// Durations from 5 ms to about 80 s.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("talentpost");
        let metrics = Self {
            registry: Registry::default(),
            database_statements: Counter::default(),
            mails_ingested: Family::default(),
            ingest_duration: duration_histogram(),
            send_attempts: Family::default(),
            http_duration: Family::new_with_constructor(duration_histogram),
            graphql_duration: Family::new_with_constructor(duration_histogram),
            subscriptions_open: Gauge::default(),
            inbound_accounts: Family::default(),
            sync_backlog: Family::default(),
            sync_age: Family::default(),
            outbox_messages: Family::default(),
            outbox_oldest_queued: Gauge::default(),
            nurturing_entries: Family::default(),
            pool_connections: Family::default(),
            blob_files: Gauge::default(),
            blob_bytes: Gauge::default(),
            operation_names: Mutex::new(HashSet::new()),
            rendering: Mutex::new(()),
            blob_stats: Mutex::new(None),
        };
        registry.register(
            "database_statements",
            "SQL statements this process ran since it started",
            metrics.database_statements.clone(),
        );
        registry.register(
            "mails_ingested",
            "Mails stored in the inbox (a mail known already is not counted again)",
            metrics.mails_ingested.clone(),
        );
        registry.register_with_unit(
            "mail_ingest_duration",
            "Time to take one mail in: parse, store its files, write its rows",
            Unit::Seconds,
            metrics.ingest_duration.clone(),
        );
        registry.register(
            "send_attempts",
            "Attempts to hand an outgoing mail over: delivered, not_sent (written to the drop folder, no relay), \
             retrying (a passing failure) or failed",
            metrics.send_attempts.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "HTTP requests by route template and status class",
            Unit::Seconds,
            metrics.http_duration.clone(),
        );
        registry.register_with_unit(
            "graphql_request_duration",
            "GraphQL queries and mutations over HTTP, by operation name",
            Unit::Seconds,
            metrics.graphql_duration.clone(),
        );
        registry.register(
            "graphql_subscriptions_open",
            "GraphQL subscriptions open on this process",
            metrics.subscriptions_open.clone(),
        );
        registry.register(
            "inbound_accounts",
            "Incoming mail accounts by status",
            metrics.inbound_accounts.clone(),
        );
        registry.register(
            "inbound_sync_backlog_mails",
            "Per active incoming account: mails on the server not yet stored in the current sync",
            metrics.sync_backlog.clone(),
        );
        registry.register_with_unit(
            "inbound_sync_age",
            "Per active incoming account: time since its last completed sync",
            Unit::Seconds,
            metrics.sync_age.clone(),
        );
        registry.register(
            "outbox_messages",
            "Outgoing mails by status",
            metrics.outbox_messages.clone(),
        );
        registry.register_with_unit(
            "outbox_oldest_queued_age",
            "Age of the oldest mail waiting to be sent (queued or retrying); 0 when none waits",
            Unit::Seconds,
            metrics.outbox_oldest_queued.clone(),
        );
        registry.register(
            "nurturing_entries",
            "Nurturing entries by state",
            metrics.nurturing_entries.clone(),
        );
        registry.register(
            "database_pool_connections",
            "Database connections of this process by state (in_use, idle)",
            metrics.pool_connections.clone(),
        );
        registry.register(
            "blob_store_files",
            "Files in the file store",
            metrics.blob_files.clone(),
        );
        registry.register_with_unit(
            "blob_store",
            "Size of the files in the file store",
            Unit::Bytes,
            metrics.blob_bytes.clone(),
        );
        Self { registry, ..metrics }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Called by the database connection for every statement it runs.
    pub fn count_statement(&self) {
        self.database_statements.inc();
    }

    pub fn mail_ingested(&self, source: &str, parse_status: &str) {
        self.mails_ingested
            .get_or_create(&IngestLabels {
                source: source.to_owned(),
                parse_status: parse_status.to_owned(),
            })
            .inc();
    }

    pub fn ingest_took(&self, took: Duration) {
        self.ingest_duration.observe(took.as_secs_f64());
    }

    /// `outcome`: delivered, not_sent, retrying or failed.
    pub fn send_attempted(&self, outcome: &str) {
        self.send_attempts
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let labels = HttpLabels {
            method: method.to_owned(),
            route: route.to_owned(),
            status: format!("{}xx", status / 100),
        };
        self.http_duration.get_or_create(&labels).observe(took.as_secs_f64());
    }

    pub fn graphql_request(&self, operation: Option<&str>, took: Duration) {
        let operation = self.operation_label(operation);
        self.graphql_duration
            .get_or_create(&OperationLabels { operation })
            .observe(took.as_secs_f64());
    }

    fn operation_label(&self, operation: Option<&str>) -> String {
        let Some(name) = operation else {
            return "anonymous".to_owned();
        };
        let valid =
            !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return "other".to_owned();
        }
        let mut seen = self
            .operation_names
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES {
            seen.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".to_owned()
        }
    }

    /// Counts a subscription as open until the returned guard is dropped.
    pub fn subscription_opened(&self) -> OpenSubscription {
        self.subscriptions_open.inc();
        OpenSubscription(self.subscriptions_open.clone())
    }

    /// The file store's (files, bytes) if counted within `fresh`: walking a large store
    /// on every scrape would cost more than the figure is worth.
    pub fn blob_stats_within(&self, fresh: Duration) -> Option<(i64, i64)> {
        let stats = self
            .blob_stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        stats
            .filter(|(counted, _, _)| counted.elapsed() < fresh)
            .map(|(_, files, bytes)| (files, bytes))
    }

    pub fn blob_stats_counted(&self, files: i64, bytes: i64) {
        *self
            .blob_stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((Instant::now(), files, bytes));
    }

    /// The text for one scrape, with the states as read just now.
    pub fn render(&self, snapshot: &Snapshot) -> String {
        let _one_at_a_time = self.rendering.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        set_family(&self.inbound_accounts, &snapshot.inbound_accounts, |status| {
            StatusLabels { status }
        });
        self.sync_backlog.clear();
        self.sync_age.clear();
        for (account, backlog, age) in &snapshot.inbound_sync {
            let labels = AccountLabels {
                account: account.to_string(),
            };
            self.sync_backlog.get_or_create(&labels).set(*backlog);
            if let Some(age) = age {
                self.sync_age.get_or_create(&labels).set(*age);
            }
        }
        set_family(&self.outbox_messages, &snapshot.outbox, |status| StatusLabels {
            status,
        });
        self.outbox_oldest_queued.set(snapshot.oldest_queued_seconds);
        set_family(&self.nurturing_entries, &snapshot.nurturing_entries, |state| {
            StateLabels { state }
        });
        set_family(
            &self.pool_connections,
            &[
                ("in_use".to_owned(), snapshot.pool_in_use),
                ("idle".to_owned(), snapshot.pool_idle),
            ],
            |state| StateLabels { state },
        );
        self.blob_files.set(snapshot.blob_files);
        self.blob_bytes.set(snapshot.blob_bytes);
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%error, "encoding the metrics failed");
        }
        text
    }
}

/// Replaces a family's values (a status that no longer occurs is dropped, not left at
/// its last value).
fn set_family<L: Clone + std::hash::Hash + Eq + EncodeLabelSet + std::fmt::Debug>(
    family: &Family<L, Gauge>,
    values: &[(String, i64)],
    labels: impl Fn(String) -> L,
) {
    family.clear();
    for (key, value) in values {
        family.get_or_create(&labels(key.clone())).set(*value);
    }
}

/// An open subscription; counted down when dropped (the stream ended or the client left).
pub struct OpenSubscription(Gauge);

impl Drop for OpenSubscription {
    fn drop(&mut self) {
        self.0.dec();
    }
}
