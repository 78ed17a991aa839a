//! The content-addressed file store: a file's name is its SHA-256, so storing the same
//! attachment twice costs nothing and a stored file never changes.
//!
//! Two kinds: a folder under the data folder (the default, `local`), or an S3-compatible
//! store that processes on several machines share (`s3`). Files nothing refers to any
//! more are deleted by the sweep (`services::operations::sweep`); each kind keeps that
//! safe against a concurrent store of the same content in its own way.
//!
//! Methods ending in `_blocking` are for code on the blocking pool (the ingest parses and
//! stores there; backup, verify and the sweep read there).

mod local;
mod s3;

use std::path::Path;
use std::time::SystemTime;

use sea_orm::{DatabaseConnection, DatabaseTransaction};

pub use local::LocalStore;
pub use s3::S3Store;

use crate::config::Config;

/// What a stored file's content says about its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobCheck {
    Intact,
    Missing,
    /// There, but its content no longer has the hash it is named by.
    Damaged,
}

/// A stored file as the sweep sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    pub sha256: String,
    pub size: u64,
    /// When it was last written.
    pub stored_at: SystemTime,
}

/// What became of a file the sweep meant to remove.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    Removed {
        bytes: u64,
    },
    /// Stored again meanwhile: it stays.
    StoredAgain,
    /// Already gone (another process swept it).
    Gone,
}

#[derive(Clone, Debug)]
pub enum BlobStore {
    Local(LocalStore),
    S3(S3Store),
}

impl BlobStore {
    /// A store in `<folder>/blobs` (a backup's files, or the data folder's).
    pub fn new(folder: &Path) -> Self {
        Self::Local(LocalStore::new(folder))
    }

    /// The store the configuration names; an S3 store coordinates with the sweep through
    /// `db`. Call within the runtime: the S3 store's blocking methods use its handle.
    pub fn open(config: &Config, db: &DatabaseConnection) -> Result<Self, StoreError> {
        Self::configured(config, Some(db))
    }

    /// The configured store for a restore, which runs while no server does and before the
    /// database has its tables: files are written without claims.
    pub fn open_for_restore(config: &Config) -> Result<Self, StoreError> {
        Self::configured(config, None)
    }

    fn configured(config: &Config, claims: Option<&DatabaseConnection>) -> Result<Self, StoreError> {
        match &config.blob_store {
            None => Ok(Self::new(&config.data_dir)),
            Some(location) => Ok(Self::S3(S3Store::open(location, &config.s3, claims.cloned())?)),
        }
    }

    /// Where the files are, for operators (logs, the CLI's reports).
    pub fn describe(&self) -> String {
        match self {
            Self::Local(store) => store.root().display().to_string(),
            Self::S3(store) => store.location().to_string(),
        }
    }

    /// Writes the bytes (if not already there) and returns their SHA-256 in hex.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        match self {
            Self::Local(store) => store.put(bytes).await,
            Self::S3(store) => store.put(bytes).await,
        }
    }

    /// `put` for code inside a write transaction, which an S3 store's claim must join.
    pub async fn put_within(&self, txn: &DatabaseTransaction, bytes: &[u8]) -> std::io::Result<String> {
        match self {
            Self::Local(store) => store.put(bytes).await,
            Self::S3(store) => store.put_within(txn, bytes).await,
        }
    }

    pub fn put_blocking(&self, bytes: &[u8]) -> std::io::Result<String> {
        match self {
            Self::Local(store) => store.put_blocking(bytes),
            Self::S3(store) => store.blocking(store.put(bytes)),
        }
    }

    pub async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Local(store) => store.get(sha256).await,
            Self::S3(store) => store.get(sha256).await,
        }
    }

    pub fn read_blocking(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Local(store) => store.read_blocking(sha256),
            Self::S3(store) => store.blocking(store.get(sha256)),
        }
    }

    /// Whether the stored file named `sha256` is there and still has that content, read
    /// in pieces so a large attachment is never held in memory.
    pub fn check_blocking(&self, sha256: &str) -> std::io::Result<BlobCheck> {
        match self {
            Self::Local(store) => store.check_blocking(sha256),
            Self::S3(store) => store.blocking(store.check(sha256)),
        }
    }

    /// Every stored file, by name (hash), sorted.
    pub fn list_blocking(&self) -> std::io::Result<Vec<StoredFile>> {
        match self {
            Self::Local(store) => store.list_blocking(),
            Self::S3(store) => store.blocking(store.list()),
        }
    }

    /// Removes the file `sha256` unless it was stored again after `cutoff`.
    pub fn remove_unless_stored_since(&self, sha256: &str, cutoff: SystemTime) -> std::io::Result<Removal> {
        match self {
            Self::Local(store) => store.remove_unless_stored_since(sha256, cutoff),
            Self::S3(store) => store.blocking(store.remove_unless_stored_since(sha256, cutoff)),
        }
    }

    /// Cleans up after crashed writes and sweeps before `cutoff`; returns how many pieces.
    /// An S3 write is whole or absent, so there is nothing to clean there.
    pub fn remove_leftovers_before(&self, cutoff: SystemTime) -> std::io::Result<usize> {
        match self {
            Self::Local(store) => store.remove_leftovers_before(cutoff),
            Self::S3(_) => Ok(0),
        }
    }

    /// Removes a stored file outright; only for a store nothing else writes to (a backup
    /// being assembled). The live store's files go through the sweep.
    pub fn remove_blocking(&self, sha256: &str) -> std::io::Result<()> {
        match self {
            Self::Local(store) => store.remove_blocking(sha256),
            Self::S3(store) => store.blocking(store.remove(sha256)),
        }
    }

    /// Whether a file can be written and removed where the files go (`/readyz`).
    pub async fn check_writable(&self) -> std::io::Result<()> {
        match self {
            Self::Local(store) => store.check_writable().await,
            Self::S3(store) => store.check_writable().await,
        }
    }
}

/// Why the configured store cannot be opened; said at start, before anything runs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the S3 file store {location} cannot be used: {source}")]
    S3 {
        location: String,
        #[source]
        source: object_store::Error,
    },
}
