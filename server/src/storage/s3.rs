//! The file store in an S3-compatible bucket (`s3://bucket/prefix`), shared by processes
//! on several machines. Objects are named as the folder store names its files
//! (`<prefix>/<first two hex digits>/<sha256>`), so a data folder's `blobs/` can be
//! copied into the bucket with any S3 tool when an installation grows.
//!
//! An object store cannot rename, so the sweep's safety comes from claims in the
//! database (`db::blob_claims`): every write claims its hash first.

use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction};

use super::{BlobCheck, Removal, StoreError, StoredFile};
use crate::config::{S3Location, S3Settings};
use crate::crypto::sha256_hex;
use crate::db::blob_claims;

#[derive(Clone, Debug)]
pub struct S3Store {
    objects: Arc<AmazonS3>,
    location: S3Location,
    /// Where writes claim their hashes; `None` only for a restore (no server runs).
    claims: Option<DatabaseConnection>,
    /// For the `_blocking` methods, which run on the blocking pool.
    runtime: tokio::runtime::Handle,
}

impl S3Store {
    pub fn open(
        location: &S3Location,
        settings: &S3Settings,
        claims: Option<DatabaseConnection>,
    ) -> Result<Self, StoreError> {
        let failed = |source| StoreError::S3 {
            location: location.to_string(),
            source,
        };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&location.bucket)
            .with_region(&settings.region);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(key) = &settings.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        if let Some(token) = &settings.session_token {
            builder = builder.with_token(token);
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|error| {
            failed(object_store::Error::Generic {
                store: "S3",
                source: Box::new(error),
            })
        })?;
        Ok(Self {
            objects: Arc::new(builder.build().map_err(failed)?),
            location: location.clone(),
            claims,
            runtime,
        })
    }

    pub fn location(&self) -> &S3Location {
        &self.location
    }

    /// Runs `work` to its end from a thread of the blocking pool (never a runtime worker).
    pub(super) fn blocking<T>(&self, work: impl Future<Output = T>) -> T {
        self.runtime.block_on(work)
    }

    fn in_prefix(&self, name: &str) -> Path {
        if self.location.prefix.is_empty() {
            Path::from(name)
        } else {
            Path::from(format!("{}/{name}", self.location.prefix))
        }
    }

    fn path_of(&self, sha256: &str) -> Option<Path> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.in_prefix(&format!("{}/{sha256}", &sha256[..2])))
    }

    fn not_stored() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::NotFound, "not a stored file")
    }

    /// Claims the hash, then writes the object unless it is there whole: a claim made
    /// while the sweep removes it waits for the sweep, which is why the look comes after.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        self.put_claimed_in(self.claims.as_ref(), bytes).await
    }

    /// `put` with the claim in the caller's transaction, for a write that happens inside
    /// one: a claim on another connection would wait for that very transaction on SQLite.
    /// The claim becomes visible with the rows that refer to the file, and a sweep
    /// meanwhile waits for it.
    pub async fn put_within(&self, txn: &DatabaseTransaction, bytes: &[u8]) -> std::io::Result<String> {
        self.put_claimed_in(self.claims.as_ref().map(|_| txn), bytes).await
    }

    async fn put_claimed_in(&self, claims: Option<&impl ConnectionTrait>, bytes: &[u8]) -> std::io::Result<String> {
        let sha256 = sha256_hex(bytes);
        let path = self
            .path_of(&sha256)
            .ok_or_else(|| std::io::Error::other("hash is not hex"))?;
        if let Some(db) = claims {
            blob_claims::claim(db, &sha256, Utc::now())
                .await
                .map_err(std::io::Error::other)?;
        }
        match self.objects.head(&path).await {
            Ok(meta) if meta.size == bytes.len() as u64 => return Ok(sha256),
            Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
        self.objects.put(&path, PutPayload::from(bytes.to_vec())).await?;
        Ok(sha256)
    }

    pub async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        let path = self.path_of(sha256).ok_or_else(Self::not_stored)?;
        Ok(self.objects.get(&path).await?.bytes().await?.to_vec())
    }

    pub async fn check(&self, sha256: &str) -> std::io::Result<BlobCheck> {
        use sha2::Digest;
        let Some(path) = self.path_of(sha256) else {
            return Ok(BlobCheck::Missing);
        };
        let object = match self.objects.get(&path).await {
            Ok(object) => object,
            Err(object_store::Error::NotFound { .. }) => return Ok(BlobCheck::Missing),
            Err(error) => return Err(error.into()),
        };
        let mut hasher = sha2::Sha256::new();
        let mut pieces = object.into_stream();
        while let Some(piece) = pieces.next().await {
            hasher.update(&piece?);
        }
        Ok(if hex::encode(hasher.finalize()) == sha256 {
            BlobCheck::Intact
        } else {
            BlobCheck::Damaged
        })
    }

    pub async fn list(&self) -> std::io::Result<Vec<StoredFile>> {
        let prefix = (!self.location.prefix.is_empty()).then(|| Path::from(self.location.prefix.as_str()));
        let objects: Vec<_> = self.objects.list(prefix.as_ref()).try_collect().await?;
        let mut files: Vec<StoredFile> = objects
            .into_iter()
            .filter_map(|object| {
                let name = object.location.filename()?.to_owned();
                // Only objects named as this store names them (not probes, not other
                // things somebody put under the prefix).
                (self.path_of(&name).as_ref() == Some(&object.location)).then(|| StoredFile {
                    sha256: name,
                    size: object.size,
                    stored_at: SystemTime::from(object.last_modified),
                })
            })
            .collect();
        files.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        Ok(files)
    }

    /// Holds the hash's claim row while the object is removed, so a write of the same
    /// content waits and then writes it anew; a claim since `cutoff` keeps the object.
    pub async fn remove_unless_stored_since(&self, sha256: &str, cutoff: SystemTime) -> std::io::Result<Removal> {
        let Some(path) = self.path_of(sha256) else {
            return Ok(Removal::Gone);
        };
        let db = self
            .claims
            .as_ref()
            .ok_or_else(|| std::io::Error::other("the sweep needs the database's claims"))?;
        let txn = crate::db::begin_write(db).await.map_err(std::io::Error::other)?;
        let taken = blob_claims::take_unless_claimed_since(&txn, sha256, DateTime::<Utc>::from(cutoff))
            .await
            .map_err(std::io::Error::other)?;
        if !taken {
            txn.rollback().await.map_err(std::io::Error::other)?;
            return Ok(Removal::StoredAgain);
        }
        let removal = match self.objects.head(&path).await {
            Ok(meta) => {
                self.objects.delete(&path).await?;
                Removal::Removed { bytes: meta.size }
            }
            Err(object_store::Error::NotFound { .. }) => Removal::Gone,
            Err(error) => return Err(error.into()),
        };
        txn.commit().await.map_err(std::io::Error::other)?;
        Ok(removal)
    }

    pub async fn remove(&self, sha256: &str) -> std::io::Result<()> {
        match self.path_of(sha256) {
            Some(path) => match self.objects.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(error) => Err(error.into()),
            },
            None => Ok(()),
        }
    }

    pub async fn check_writable(&self) -> std::io::Result<()> {
        let probe = self.in_prefix(&format!(".readyz-{}", rand::random::<u64>()));
        self.objects.put(&probe, PutPayload::from_static(b"ready")).await?;
        self.objects.delete(&probe).await?;
        Ok(())
    }
}
