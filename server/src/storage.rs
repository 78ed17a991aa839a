//! Content-addressed file store under the data folder: a file's name is its SHA-256,
//! so storing the same attachment twice costs nothing and a stored file never changes.

use std::path::{Path, PathBuf};

use crate::crypto::sha256_hex;

/// What a stored file's content says about its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobCheck {
    Intact,
    Missing,
    /// There, but its content no longer has the hash it is named by.
    Damaged,
}

#[derive(Clone, Debug)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("blobs"),
        }
    }

    fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.root.join(&sha256[..2]).join(sha256))
    }

    /// Writes the bytes (if not already there) and returns their SHA-256 in hex.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let store = self.clone();
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || store.put_blocking(&bytes))
            .await
            .map_err(|error| std::io::Error::other(format!("file store task: {error}")))?
    }

    /// `put` for code already on the blocking pool (the mail ingest stores a mail and
    /// its attachments there, next to parsing them).
    pub fn put_blocking(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha256 = sha256_hex(bytes);
        let Some(path) = self.path_of(&sha256) else {
            return Err(std::io::Error::other("hash is not hex"));
        };
        // A file of the right size is the right file (its name is its hash); a shorter
        // one was cut off by a crash and is written again.
        if std::fs::metadata(&path).is_ok_and(|meta| meta.len() == bytes.len() as u64) {
            return Ok(sha256);
        }
        let parent = path
            .parent()
            .ok_or_else(|| std::io::Error::other("blob path has no folder"))?;
        std::fs::create_dir_all(parent)?;
        // Durable before the database row that points at it is committed: the file's
        // data, then the rename in its folder.
        let temporary = path.with_extension(format!("tmp-{}", rand::random::<u64>()));
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(bytes)?;
            file.sync_data()?;
        }
        std::fs::rename(&temporary, &path)?;
        std::fs::File::open(parent)?.sync_all()?;
        Ok(sha256)
    }

    /// Whether the stored file named `sha256` is there and still has that content.
    /// Reads the file in pieces, so a large attachment is never held in memory.
    pub fn check_blocking(&self, sha256: &str) -> std::io::Result<BlobCheck> {
        use sha2::Digest;
        use std::io::Read;
        let Some(path) = self.path_of(sha256) else {
            return Ok(BlobCheck::Missing);
        };
        let mut file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(BlobCheck::Missing),
            Err(error) => return Err(error),
        };
        let mut hasher = sha2::Sha256::new();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        Ok(if hex::encode(hasher.finalize()) == sha256 {
            BlobCheck::Intact
        } else {
            BlobCheck::Damaged
        })
    }

    /// The names (hashes) of every stored file; files being written and probes are not
    /// stored files.
    pub fn list_blocking(&self) -> std::io::Result<Vec<String>> {
        let mut names = Vec::new();
        let folders = match std::fs::read_dir(&self.root) {
            Ok(folders) => folders,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(names),
            Err(error) => return Err(error),
        };
        for folder in folders {
            let folder = folder?;
            if !folder.file_type()?.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(folder.path())? {
                let name = file?.file_name().to_string_lossy().into_owned();
                if self.path_of(&name).is_some() {
                    names.push(name);
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Whether a file can be written (and removed) where the blobs go (`/readyz`).
    pub async fn check_writable(&self) -> std::io::Result<()> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&root)?;
            let probe = root.join(format!(".readyz-{}", rand::random::<u64>()));
            std::fs::write(&probe, b"ready")?;
            std::fs::remove_file(&probe)
        })
        .await
        .map_err(|error| std::io::Error::other(format!("file store task: {error}")))?
    }

    pub async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        match self.path_of(sha256) {
            Some(path) => tokio::fs::read(path).await,
            None => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "not a stored file")),
        }
    }
}
