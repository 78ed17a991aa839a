//! The file store in a folder (`<data dir>/blobs/<first two hex digits>/<sha256>`).
//!
//! A file's modification time says when it was last stored: `put` of content that is
//! already there refreshes it, so a file the sweep finds old was not stored by an ingest
//! whose database rows may still be on their way.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{BlobCheck, Removal, StoredFile};
use crate::crypto::sha256_hex;

#[derive(Clone, Debug)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// The store in `<folder>/blobs`.
    pub fn new(folder: &Path) -> Self {
        Self {
            root: folder.join("blobs"),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
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
        if refresh(&path, bytes.len() as u64)? {
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

    /// Every stored file, by name (hash); files being written and probes are not stored
    /// files.
    pub fn list_blocking(&self) -> std::io::Result<Vec<StoredFile>> {
        let mut files = Vec::new();
        self.each_file(|name, meta, _| {
            if self.path_of(name).is_some() {
                files.push(StoredFile {
                    sha256: name.to_owned(),
                    size: meta.len(),
                    stored_at: meta.modified()?,
                });
            }
            Ok(())
        })?;
        files.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        Ok(files)
    }

    fn each_file(
        &self,
        mut visit: impl FnMut(&str, &std::fs::Metadata, PathBuf) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let folders = match std::fs::read_dir(&self.root) {
            Ok(folders) => folders,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        for folder in folders {
            let folder = folder?;
            if !folder.file_type()?.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(folder.path())? {
                let file = file?;
                // Gone since the listing (swept by another process): not an error.
                let Ok(meta) = file.metadata() else { continue };
                if meta.is_file() {
                    visit(&file.file_name().to_string_lossy(), &meta, file.path())?;
                }
            }
        }
        Ok(())
    }

    /// Removes the file `sha256` unless it was stored again after `cutoff`. Safe against
    /// a concurrent `put` of the same content: the file is first moved aside in one step
    /// (a `put` after that writes it anew), then its time is read again; a `put` that
    /// refreshed it before the move shows there and the file is put back.
    pub fn remove_unless_stored_since(&self, sha256: &str, cutoff: SystemTime) -> std::io::Result<Removal> {
        let Some(path) = self.path_of(sha256) else {
            return Ok(Removal::Gone);
        };
        let aside = path.with_extension(format!("sweep-{}", rand::random::<u64>()));
        match std::fs::rename(&path, &aside) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Removal::Gone),
            Err(error) => return Err(error),
        }
        let meta = std::fs::metadata(&aside)?;
        if meta.modified()? > cutoff {
            // Back under its name, unless a `put` already wrote it anew there.
            match std::fs::hard_link(&aside, &path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(error),
            }
            std::fs::remove_file(&aside)?;
            return Ok(Removal::StoredAgain);
        }
        std::fs::remove_file(&aside)?;
        Ok(Removal::Removed { bytes: meta.len() })
    }

    /// Removes what crashed writes left behind (`*.tmp-*`) before `cutoff`; returns how
    /// many. A file a sweep had moved aside (`*.sweep-*`) when it was interrupted goes back
    /// under its name instead: it may have been stored again meanwhile, and the next
    /// sweep decides about it.
    pub fn remove_leftovers_before(&self, cutoff: SystemTime) -> std::io::Result<usize> {
        let mut leftovers = Vec::new();
        let mut set_aside = Vec::new();
        self.each_file(|name, meta, path| {
            if meta.modified()? >= cutoff {
                return Ok(());
            }
            if name.contains(".tmp-") {
                leftovers.push(path);
            } else if let Some((sha256, _)) = name.split_once(".sweep-") {
                set_aside.push((sha256.to_owned(), path));
            }
            Ok(())
        })?;
        for (sha256, aside) in set_aside {
            if let Some(path) = self.path_of(&sha256) {
                match std::fs::hard_link(&aside, &path) {
                    Ok(()) => {}
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(error) => return Err(error),
                }
            }
            leftovers.push(aside);
        }
        let mut removed = 0;
        for path in leftovers {
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        Ok(removed)
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

    /// `get` for code on the blocking pool (backup and restore).
    pub fn read_blocking(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        match self.path_of(sha256) {
            Some(path) => std::fs::read(path),
            None => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "not a stored file")),
        }
    }

    /// Removes a stored file outright; only for a store nothing else writes to (a
    /// backup being assembled). The live store's files go through the sweep.
    pub fn remove_blocking(&self, sha256: &str) -> std::io::Result<()> {
        match self.path_of(sha256) {
            Some(path) => std::fs::remove_file(path),
            None => Ok(()),
        }
    }

    pub async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        match self.path_of(sha256) {
            Some(path) => tokio::fs::read(path).await,
            None => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "not a stored file")),
        }
    }
}

/// Marks a stored file as stored now, when it is there with `size` bytes. False when it
/// is not (or cut short): the caller writes it. The check after the touch closes the race
/// with the sweep: had the sweep moved the file aside before, the name is gone (or is a
/// new file) and the caller writes it again; had it not, the sweep sees the new time.
fn refresh(path: &Path, size: u64) -> std::io::Result<bool> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(error),
    };
    let opened = file.metadata()?;
    if opened.len() != size {
        return Ok(false);
    }
    // Not ours to touch (restored by another user): written anew instead, as ours.
    if file.set_modified(SystemTime::now()).is_err() {
        return Ok(false);
    }
    let still_named = std::fs::metadata(path).is_ok_and(|now| now.ino() == opened.ino() && now.dev() == opened.dev());
    Ok(still_named)
}
