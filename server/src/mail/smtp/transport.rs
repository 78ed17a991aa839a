//! What the outbox sends through: a pool of SMTP sessions per outgoing account
//! (rebuilt when the account changes), the server's relay, or the drop folder when no
//! relay is configured.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use lettre::address::Envelope;
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};
use talentpost_shared::MailProblem;

use super::connection::SmtpPool;
use super::{SmtpFailure, SmtpSettings};
use crate::mail::tls::MailTls;

/// Connections kept open per account; the outbox sends this many mails at once.
pub const POOL_SIZE: u32 = 8;

pub enum Deliverer {
    Smtp(SmtpPool),
    DropFolder {
        transport: AsyncFileTransport<Tokio1Executor>,
        folder: PathBuf,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivered {
    /// The server's final reply to the message, e.g. "250 2.0.0 Ok: queued as 4F1".
    Accepted { reply: String },
    /// Written to the drop folder under this file name.
    Dropped { file: String },
}

impl Deliverer {
    pub fn smtp(settings: SmtpSettings, tls: MailTls) -> Self {
        Self::Smtp(SmtpPool::new(settings, tls, POOL_SIZE as usize))
    }

    pub fn drop_folder(folder: &Path) -> Result<Self, SmtpFailure> {
        std::fs::create_dir_all(folder).map_err(|error| {
            SmtpFailure::new(
                MailProblem::Protocol,
                format!("the drop folder {} cannot be created: {error}", folder.display()),
            )
        })?;
        Ok(Self::DropFolder {
            transport: AsyncFileTransport::new(folder),
            folder: folder.to_path_buf(),
        })
    }

    pub async fn deliver(&self, envelope: &Envelope, raw: &[u8]) -> Result<Delivered, SmtpFailure> {
        match self {
            Self::Smtp(pool) => pool
                .send(envelope, raw)
                .await
                .map(|reply| Delivered::Accepted { reply }),
            Self::DropFolder { transport, folder } => match transport.send_raw(envelope, raw).await {
                Ok(id) => Ok(Delivered::Dropped {
                    file: folder.join(format!("{id}.eml")).display().to_string(),
                }),
                Err(error) => Err(SmtpFailure {
                    transient: true,
                    ..SmtpFailure::new(
                        MailProblem::Protocol,
                        format!("the mail could not be written to {}: {error}", folder.display()),
                    )
                }),
            },
        }
    }
}

/// What an account's transport was built from: the account's version and, for OAuth
/// accounts, the access token its sessions sign in with.
pub type TransportVersion = (DateTime<Utc>, Option<String>);
type VersionedDeliverer = (TransportVersion, Arc<Deliverer>);

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
        version: TransportVersion,
        build: impl FnOnce() -> Result<Deliverer, SmtpFailure>,
    ) -> Result<Arc<Deliverer>, SmtpFailure> {
        let mut accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((stamp, deliverer)) = accounts.get(&account_id)
            && *stamp == version
        {
            return Ok(Arc::clone(deliverer));
        }
        let deliverer = Arc::new(build()?);
        accounts.insert(account_id, (version, Arc::clone(&deliverer)));
        Ok(deliverer)
    }

    pub fn forget_account(&self, account_id: i64) {
        self.accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&account_id);
    }

    pub fn builtin(
        &self,
        build: impl FnOnce() -> Result<Deliverer, SmtpFailure>,
    ) -> Result<Arc<Deliverer>, SmtpFailure> {
        let mut builtin = self.builtin.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(deliverer) = builtin.as_ref() {
            return Ok(Arc::clone(deliverer));
        }
        let deliverer = Arc::new(build()?);
        *builtin = Some(Arc::clone(&deliverer));
        Ok(deliverer)
    }
}
