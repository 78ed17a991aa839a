//! Content-addressed file store under the data folder: a file's name is its SHA-256,
//! so storing the same attachment twice costs nothing and a stored file never changes.

use std::path::{Path, PathBuf};

use crate::crypto::sha256_hex;

#[derive(Clone, Debug)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn new(data_dir: &Path) -> Self {
        Self { root: data_dir.join("blobs") }
    }

    fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.root.join(&sha256[..2]).join(sha256))
    }

    /// Writes the bytes (if not already there) and returns their SHA-256 in hex.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha256 = sha256_hex(bytes);
        let Some(path) = self.path_of(&sha256) else {
            return Err(std::io::Error::other("hash is not hex"));
        };
        if tokio::fs::try_exists(&path).await? {
            return Ok(sha256);
        }
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        // Write to a unique temporary name, then rename: readers never see half a file.
        let temporary = path.with_extension(format!("tmp-{}", rand::random::<u64>()));
        tokio::fs::write(&temporary, bytes).await?;
        tokio::fs::rename(&temporary, &path).await?;
        Ok(sha256)
    }

    /// `put` for code already on the blocking pool (the mail ingest stores a mail and
    /// its attachments there, next to parsing them).
    pub fn put_blocking(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha256 = sha256_hex(bytes);
        let Some(path) = self.path_of(&sha256) else {
            return Err(std::io::Error::other("hash is not hex"));
        };
        if path.exists() {
            return Ok(sha256);
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let temporary = path.with_extension(format!("tmp-{}", rand::random::<u64>()));
        std::fs::write(&temporary, bytes)?;
        std::fs::rename(&temporary, &path)?;
        Ok(sha256)
    }

    pub async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        match self.path_of(sha256) {
            Some(path) => tokio::fs::read(path).await,
            None => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "not a stored file")),
        }
    }
}
