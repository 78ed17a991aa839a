//! Start-up: configuration to a running server. Tests use the same path with port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::{CryptoError, SecretBox};
use crate::error::ServiceError;
use crate::events::EventBus;
use crate::graphql::build_schema;
use crate::mail::tls::MailTls;
use crate::services::org::bootstrap::{InitialAdmin, ensure_initial_admin};
use crate::state::AppState;
use crate::storage::BlobStore;
use crate::workers::inbound_sync::InboundWorkers;
use crate::workers::nurturing::NurturingWorker;
use crate::workers::outbox::OutboxWorker;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("could not create the data folder {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("could not open the database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Secrets(#[from] CryptoError),
    #[error("could not set up TLS for mail connections: {0}")]
    MailTls(#[from] tokio_rustls::rustls::Error),
    #[error("could not create the first administrator: {0}")]
    Bootstrap(#[from] ServiceError),
    #[error("could not listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    FileStore(#[from] crate::storage::StoreError),
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

pub async fn build_state(config: Config) -> Result<AppState, StartupError> {
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.bind));
    build_state_at(config, public_url).await
}

async fn build_state_at(config: Config, public_url: String) -> Result<AppState, StartupError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| StartupError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;
    let mut db = crate::db::connect_and_migrate(&config.database_url()).await?;
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let counted = metrics.clone();
    db.set_metric_callback(move |_| counted.count_statement());
    let events = if config.database_url().starts_with("postgres") {
        let (relay, origin) = crate::events::relay::start_sending(db.clone());
        EventBus::with_relay(relay, origin)
    } else {
        EventBus::new()
    };
    let clock = if config.test_clock {
        Clock::settable()
    } else {
        Clock::system()
    };
    let secrets = SecretBox::load_or_create(config.secret_key.as_deref(), &config.data_dir)?;
    let blobs = BlobStore::open(&config, &db)?;
    tracing::info!(file_store = %blobs.describe(), "stored files go here");
    Ok(AppState {
        db,
        blobs,
        config: Arc::new(config),
        events,
        secrets,
        login_throttle: Default::default(),
        intake_limiter: Default::default(),
        mail_tls: MailTls::new()?,
        signals: Default::default(),
        clock,
        transports: Default::default(),
        public_url: public_url.trim_end_matches('/').into(),
        oauth_refresh: Default::default(),
        metrics,
    })
}

/// A server whose socket is bound, ready to run; `address` is the real port.
pub struct Application {
    pub state: AppState,
    pub address: SocketAddr,
    pub initial_admin: Option<InitialAdmin>,
    /// Where only /metrics is served, when TALENTPOST_METRICS_BIND asks for it.
    pub metrics_address: Option<SocketAddr>,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let bind = config.bind;
        // Bound first: with port 0 the real port is part of the public address.
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|source| StartupError::Bind { address: bind, source })?;
        let address = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address: bind, source })?;
        let public_url = config.public_url.clone().unwrap_or_else(|| {
            if address.ip().is_unspecified() {
                format!("http://localhost:{}", address.port())
            } else {
                format!("http://{address}")
            }
        });
        let metrics_listener = match config.metrics_bind {
            Some(bind) => Some(
                TcpListener::bind(bind)
                    .await
                    .map_err(|source| StartupError::Bind { address: bind, source })?,
            ),
            None => None,
        };
        let metrics_address = metrics_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok());
        let state = build_state_at(config, public_url).await?;
        let initial_admin = ensure_initial_admin(&state).await?;
        Ok(Self {
            state,
            address,
            initial_admin,
            metrics_address,
            listener,
            metrics_listener,
        })
    }

    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), StartupError> {
        let schema = build_schema(Some(self.state.clone()));
        let workers = InboundWorkers::default();
        workers.start(&self.state).await?;
        let outbox = OutboxWorker::default();
        outbox.start(&self.state);
        let nurturing = NurturingWorker::start(&self.state);
        let reactions = crate::workers::reactions::Reactions::default();
        reactions.start(&self.state);
        let blob_sweep = crate::workers::blob_sweep::BlobSweepWorker::start(&self.state);
        if let Some(origin) = self.state.events.relay_origin() {
            crate::events::relay::start_listening(
                self.state.db.clone(),
                self.state.events.clone(),
                self.state.config.database_url(),
                origin,
            );
        }
        let shutdown_signal = self.state.signals.shutdown.clone();
        let state = self.state.clone();
        let metrics_server = self.metrics_listener.map(|listener| {
            let router = crate::http::metrics_router(state.clone());
            tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, router).await {
                    tracing::error!(%error, "the metrics listener stopped");
                }
            })
        });
        let router = crate::http::router(self.state, schema);
        let served = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(StartupError::Serve);
        shutdown_signal.request();
        workers.stop_all(&state).await;
        outbox.stop().await;
        nurturing.stop().await;
        reactions.stop().await;
        blob_sweep.stop(&state).await;
        if let Some(metrics_server) = metrics_server {
            metrics_server.abort();
        }
        served
    }
}
