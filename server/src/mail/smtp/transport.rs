//! The pooled connections the outbox sends through: one lettre SMTP transport per
//! outgoing account (rebuilt when the account changes), the server's relay, or the
//! drop folder when no relay is configured.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use lettre::address::Envelope;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use talentpost_shared::MailProblem;

use super::{SMTP_TIMEOUT, SmtpFailure, SmtpSettings, Stage, classify};

/// Connections kept open per account; the outbox sends at most this many mails through
/// one account at once.
pub const POOL_SIZE: u32 = 4;

pub enum Deliverer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, settings: SmtpSettings },
    DropFolder { transport: AsyncFileTransport<Tokio1Executor>, folder: PathBuf },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivered {
    /// The server's final reply to the message, e.g. "250 2.0.0 Ok: queued as 4F1".
    Accepted { reply: String },
    /// Written to the drop folder under this file name.
    Dropped { file: String },
}

impl Deliverer {
    pub fn smtp(settings: SmtpSettings) -> Result<Self, SmtpFailure> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
            .port(settings.port)
            .timeout(Some(SMTP_TIMEOUT))
            .tls(settings.lettre_tls()?)
            .pool_config(PoolConfig::new().max_size(POOL_SIZE).idle_timeout(std::time::Duration::from_secs(60)));
        if let Some((user, password)) = &settings.credentials {
            builder = builder
                .credentials(Credentials::new(user.clone(), password.clone()))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(Self::Smtp { transport: builder.build(), settings })
    }

    pub fn drop_folder(folder: &Path) -> Result<Self, SmtpFailure> {
        std::fs::create_dir_all(folder).map_err(|error| {
            SmtpFailure::new(MailProblem::Protocol, format!("the drop folder {} cannot be created: {error}", folder.display()))
        })?;
        Ok(Self::DropFolder { transport: AsyncFileTransport::new(folder), folder: folder.to_path_buf() })
    }

    pub async fn deliver(&self, envelope: &Envelope, raw: &[u8]) -> Result<Delivered, SmtpFailure> {
        match self {
            Self::Smtp { transport, settings } => {
                // lettre times out each command; this bounds the whole transaction too.
                let limit = SMTP_TIMEOUT * 4;
                match tokio::time::timeout(limit, transport.send_raw(envelope, raw)).await {
                    Ok(Ok(response)) => {
                        Ok(Delivered::Accepted { reply: format!("{} {}", response.code(), response.message().collect::<Vec<_>>().join(" ")) })
                    }
                    Ok(Err(error)) => Err(classify(&error, settings, Stage::Unknown)),
                    Err(_) => Err(SmtpFailure {
                        transient: true,
                        ..SmtpFailure::new(
                            MailProblem::Connect,
                            format!("sending through {}:{} did not finish within {} seconds", settings.host, settings.port, limit.as_secs()),
                        )
                    }),
                }
            }
            Self::DropFolder { transport, folder } => match transport.send_raw(envelope, raw).await {
                Ok(id) => Ok(Delivered::Dropped { file: folder.join(format!("{id}.eml")).display().to_string() }),
                Err(error) => Err(SmtpFailure {
                    transient: true,
                    ..SmtpFailure::new(MailProblem::Protocol, format!("the mail could not be written to {}: {error}", folder.display()))
                }),
            },
        }
    }
}

/// An account's transport, tagged with the account version it was built from.
type VersionedDeliverer = (DateTime<Utc>, Arc<Deliverer>);

/// Transports by account, each kept while the account is unchanged so its pooled
/// connections are reused. Lives in the application state.
#[derive(Clone, Default)]
pub struct Transports {
    accounts: Arc<Mutex<HashMap<i64, VersionedDeliverer>>>,
    builtin: Arc<Mutex<Option<Arc<Deliverer>>>>,
}

impl Transports {
    pub fn for_account(
        &self,
        account_id: i64,
        updated_at: DateTime<Utc>,
        settings: impl FnOnce() -> Result<SmtpSettings, SmtpFailure>,
    ) -> Result<Arc<Deliverer>, SmtpFailure> {
        let mut accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((stamp, deliverer)) = accounts.get(&account_id)
            && *stamp == updated_at
        {
            return Ok(Arc::clone(deliverer));
        }
        let deliverer = Arc::new(Deliverer::smtp(settings()?)?);
        accounts.insert(account_id, (updated_at, Arc::clone(&deliverer)));
        Ok(deliverer)
    }

    pub fn forget_account(&self, account_id: i64) {
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner).remove(&account_id);
    }

    pub fn builtin(&self, build: impl FnOnce() -> Result<Deliverer, SmtpFailure>) -> Result<Arc<Deliverer>, SmtpFailure> {
        let mut builtin = self.builtin.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(deliverer) = builtin.as_ref() {
            return Ok(Arc::clone(deliverer));
        }
        let deliverer = Arc::new(build()?);
        *builtin = Some(Arc::clone(&deliverer));
        Ok(deliverer)
    }
}
