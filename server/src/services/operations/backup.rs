//! `talentpost backup <dir>` and `talentpost restore <dir>`.
//!
//! A backup is a folder: the database (a consistent SQLite copy by `VACUUM INTO`, or a
//! PostgreSQL dump by `pg_dump` in the same snapshot the references are read in), the
//! stored files that database refers to (`blobs/`, in the store's own layout), and
//! `manifest.json` with counts, every file's SHA-256 and size, and the schema version.
//! It is taken while servers run: the files referred to when the backup starts are
//! copied first, then the database snapshot is taken, then whatever it refers to
//! beyond that (stored meanwhile, so the sweep's grace period keeps it on disk).
//!
//! The secret key is not in the backup: whoever holds the backup must not be able to
//! read the mail passwords and tokens in it. The manifest holds a value sealed with the
//! key, so a restore with another key is refused before anything is written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sea_orm::{
    AccessMode, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, IsolationLevel, PaginatorTrait,
    Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::crypto::SecretBox;
use crate::db::entities::{candidate, document, inbox_item, mail_message};
use crate::db::tenancy::any_organisation;
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use crate::storage::BlobStore;

const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "talentpost.db";
const POSTGRES_DUMP: &str = "talentpost.pgdump";
const FORMAT: u32 = 1;
/// What the sealed check value says when opened with the right key.
const KEY_CHECK: &str = "talentpost backup key check";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: u32,
    pub created_at: DateTime<Utc>,
    pub talentpost_version: String,
    /// The last migration of the release that made the backup.
    pub schema_version: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// The database file or dump in the folder; `None` for PostgreSQL without `pg_dump`.
    pub database_file: Option<String>,
    pub counts: Counts,
    pub blobs: Vec<BlobEntry>,
    /// Sealed with the secret key; a restore opens it to check it has the same key.
    pub key_check: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub candidates: u64,
    pub inbox_items: u64,
    pub mail_messages: u64,
    pub documents: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobEntry {
    pub sha256: String,
    pub size: u64,
}

fn failed(what: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(what.to_string())
}

/// The schema this binary brings its database to.
fn schema_version() -> String {
    use talentpost_migrations::MigratorTrait;
    talentpost_migrations::Migrator::migrations()
        .last()
        .map(|migration| migration.name().to_owned())
        .unwrap_or_default()
}

async fn counts(db: &impl ConnectionTrait) -> ServiceResult<Counts> {
    Ok(Counts {
        candidates: any_organisation::<candidate::Entity>().count(db).await?,
        inbox_items: any_organisation::<inbox_item::Entity>().count(db).await?,
        mail_messages: any_organisation::<mail_message::Entity>().count(db).await?,
        documents: any_organisation::<document::Entity>().count(db).await?,
    })
}

/// Copies the stored files `wanted` from `from` into `to`, checking each one's content
/// against its name. Returns those that could not be read (missing or damaged).
fn copy_blobs(from: &BlobStore, to: &BlobStore, wanted: &BTreeSet<String>) -> std::io::Result<Vec<String>> {
    let mut unreadable = Vec::new();
    for sha256 in wanted {
        match from.read_blocking(sha256) {
            Ok(bytes) if to.put_blocking(&bytes)? == *sha256 => {}
            Ok(_) => unreadable.push(sha256.clone()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => unreadable.push(sha256.clone()),
            Err(error) => return Err(error),
        }
    }
    Ok(unreadable)
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> std::io::Result<T> + Send + 'static) -> ServiceResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| failed(format!("file task: {error}")))?
        .map_err(ServiceError::from)
}

#[derive(Clone, Debug)]
pub struct BackupReport {
    pub manifest: Manifest,
    /// For PostgreSQL without `pg_dump` on PATH: the database is not in the backup.
    pub database_missing: bool,
}

/// `without_database`: on PostgreSQL without `pg_dump` (a container image has none),
/// back up the files and the manifest only; the database is dumped apart.
pub async fn backup(state: &AppState, dir: &Path, without_database: bool) -> ServiceResult<BackupReport> {
    let postgres = state.db.get_database_backend() == DatabaseBackend::Postgres;
    if postgres && !without_database && which("pg_dump").is_none() {
        return Err(ServiceError::invalid(
            "pg_dump",
            "pg_dump is not installed here: install PostgreSQL's client tools, or back up the files with \
             --without-database and dump the database yourself (pg_dump --format=custom) right after",
        ));
    }
    prepare_empty_folder(dir)?;
    let target = BlobStore::new(dir);
    // The files referred to now; copied before the snapshot, so one the sweep deletes
    // right after a deletion in the database is still caught.
    let before: BTreeSet<String> = super::verify::stored_file_references(&state.db)
        .await?
        .into_keys()
        .collect();
    let (source, copy_to) = (state.blobs.clone(), target.clone());
    let wanted = before.clone();
    blocking(move || copy_blobs(&source, &copy_to, &wanted)).await?;

    let (database, database_file, references, counts) = if postgres {
        postgres_snapshot(state, dir, !without_database).await?
    } else {
        sqlite_snapshot(state, dir).await?
    };
    let database_missing = database_file.is_none();
    // Whatever the snapshot refers to beyond the first copy was stored meanwhile.
    let (source, copy_to) = (state.blobs.clone(), target.clone());
    let later: BTreeSet<String> = references.difference(&before).cloned().collect();
    let unreadable = blocking(move || copy_blobs(&source, &copy_to, &later)).await?;
    let copied = target.clone();
    let present: BTreeSet<String> = blocking(move || copied.list_blocking())
        .await?
        .into_iter()
        .map(|file| file.sha256)
        .collect();
    let lost: Vec<&String> = references.iter().filter(|sha| !present.contains(*sha)).collect();
    if !lost.is_empty() || !unreadable.is_empty() {
        return Err(failed(format!(
            "{} stored file(s) the database refers to are missing or damaged in the file store \
             (run `talentpost verify`); the backup in {} is incomplete",
            lost.len().max(unreadable.len()),
            dir.display()
        )));
    }
    // Files copied first but no longer referred to by the snapshot do not belong in it.
    let extra: Vec<String> = present.difference(&references).cloned().collect();
    let pruned = target.clone();
    blocking(move || {
        for sha256 in extra {
            pruned.remove_blocking(&sha256)?;
        }
        Ok(())
    })
    .await?;
    let listed = target.clone();
    let blobs = blocking(move || listed.list_blocking())
        .await?
        .into_iter()
        .map(|file| BlobEntry {
            sha256: file.sha256,
            size: file.size,
        })
        .collect();
    let manifest = Manifest {
        format: FORMAT,
        created_at: Utc::now(),
        talentpost_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version: schema_version(),
        database,
        database_file,
        counts,
        blobs,
        key_check: state.secrets.encrypt(KEY_CHECK),
    };
    let text = serde_json::to_vec_pretty(&manifest).map_err(failed)?;
    std::fs::write(dir.join(MANIFEST), text)?;
    Ok(BackupReport {
        manifest,
        database_missing,
    })
}

type Snapshot = (String, Option<String>, BTreeSet<String>, Counts);

/// `VACUUM INTO`: a consistent copy while others write; references and counts are then
/// read from the copy itself.
async fn sqlite_snapshot(state: &AppState, dir: &Path) -> ServiceResult<Snapshot> {
    let path = dir.join(SQLITE_FILE);
    let quoted = path.display().to_string().replace('\'', "''");
    state.db.execute_unprepared(&format!("VACUUM INTO '{quoted}'")).await?;
    let copy = Database::connect(format!("sqlite://{}?mode=ro", path.display())).await?;
    let references = super::verify::stored_file_references(&copy)
        .await?
        .into_keys()
        .collect();
    let counts = counts(&copy).await?;
    copy.close().await?;
    Ok(("sqlite".to_owned(), Some(SQLITE_FILE.to_owned()), references, counts))
}

/// One repeatable-read transaction whose snapshot `pg_dump` shares: the dump, the
/// references and the counts all see the same moment.
async fn postgres_snapshot(state: &AppState, dir: &Path, dump: bool) -> ServiceResult<Snapshot> {
    let txn = state
        .db
        .begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly))
        .await?;
    let exported = txn
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT pg_export_snapshot() AS snapshot",
        ))
        .await?
        .ok_or_else(|| failed("PostgreSQL exported no snapshot"))?;
    let snapshot: String = exported.try_get("", "snapshot")?;
    let dumped = match which("pg_dump").filter(|_| dump) {
        Some(pg_dump) => {
            let (url, password) = without_password(&state.config.database_url());
            let mut command = tokio::process::Command::new(pg_dump);
            command
                .arg("--format=custom")
                .arg("--no-owner")
                .arg(format!("--snapshot={snapshot}"))
                .arg(format!("--file={}", dir.join(POSTGRES_DUMP).display()))
                .arg(format!("--dbname={url}"));
            // Not on the command line, where every local user could read it.
            if let Some(password) = password {
                command.env("PGPASSWORD", password);
            }
            let output = command.output().await?;
            if !output.status.success() {
                return Err(failed(format!(
                    "pg_dump failed: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                )));
            }
            Some(POSTGRES_DUMP.to_owned())
        }
        None => None,
    };
    let references = super::verify::stored_file_references(&txn).await?.into_keys().collect();
    let counts = counts(&txn).await?;
    txn.commit().await?;
    Ok(("postgres".to_owned(), dumped, references, counts))
}

/// The URL without its password, and the password (for `PGPASSWORD`).
fn without_password(url: &str) -> (String, Option<String>) {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let password = parsed.password().map(|password| {
                percent_encoding::percent_decode_str(password)
                    .decode_utf8_lossy()
                    .into_owned()
            });
            let _ = parsed.set_password(None);
            (parsed.to_string(), password)
        }
        _ => (url.to_owned(), None),
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.is_file())
}

/// The backup folder: created, or an existing empty one; never one with content.
fn prepare_empty_folder(dir: &Path) -> ServiceResult<()> {
    std::fs::create_dir_all(dir)?;
    if std::fs::read_dir(dir)?.next().is_some() {
        return Err(ServiceError::invalid(
            "dir",
            format!(
                "{} is not empty; a backup goes into a new or empty folder",
                dir.display()
            ),
        ));
    }
    Ok(())
}

#[derive(Clone, Debug)]
pub struct RestoreReport {
    pub manifest: Manifest,
    pub counts: Counts,
}

/// Restores a backup into an empty data folder and an empty database, refusing to
/// overwrite anything; then brings the schema up to this release. `files_only`: the
/// database was restored apart (from a dump of its own); only the files are restored.
pub async fn restore(config: &Config, dir: &Path, files_only: bool) -> ServiceResult<RestoreReport> {
    let text = std::fs::read(dir.join(MANIFEST)).map_err(|error| {
        ServiceError::invalid("dir", format!("no readable {MANIFEST} in {}: {error}", dir.display()))
    })?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|error| ServiceError::invalid("dir", format!("{MANIFEST} cannot be read: {error}")))?;
    if manifest.format != FORMAT {
        return Err(ServiceError::invalid(
            "dir",
            format!("backup format {} is not known to this release", manifest.format),
        ));
    }
    let known = {
        use talentpost_migrations::MigratorTrait;
        talentpost_migrations::Migrator::migrations()
            .iter()
            .any(|migration| migration.name() == manifest.schema_version)
    };
    if !known {
        return Err(ServiceError::invalid(
            "dir",
            format!(
                "the backup's schema ({}) is newer than this release",
                manifest.schema_version
            ),
        ));
    }
    let secrets = SecretBox::load_or_create(config.secret_key.as_deref(), &config.data_dir).map_err(failed)?;
    if secrets.decrypt(&manifest.key_check).ok().as_deref() != Some(KEY_CHECK) {
        return Err(ServiceError::invalid(
            "secretKey",
            "the secret key differs from the one the backup was made with; set TALENTPOST_SECRET_KEY to that key",
        ));
    }
    let url = config.database_url();
    let postgres = url.starts_with("postgres");
    if postgres != (manifest.database == "postgres") {
        return Err(ServiceError::invalid(
            "database",
            format!(
                "the backup holds a {} database; DATABASE_URL names another kind",
                manifest.database
            ),
        ));
    }
    let database_file = match (&manifest.database_file, files_only) {
        (_, true) => None,
        (Some(file), false) => Some(file.clone()),
        (None, false) => {
            return Err(ServiceError::invalid(
                "dir",
                "the backup holds no database (made with --without-database): restore the database from its own \
                 dump with pg_restore, then the files with `talentpost restore --files-only`",
            ));
        }
    };
    let store = BlobStore::open_for_restore(config).map_err(|error| failed(error.to_string()))?;
    let existing = store.clone();
    // Files of this very backup may be there from an attempt that failed later on.
    let in_backup: BTreeSet<String> = manifest.blobs.iter().map(|blob| blob.sha256.clone()).collect();
    let foreign = blocking(move || existing.list_blocking())
        .await?
        .into_iter()
        .any(|file| !in_backup.contains(&file.sha256));
    if foreign {
        let (field, empty) = match store {
            BlobStore::Local(_) => ("dataDir", "an empty data folder"),
            BlobStore::S3(_) => ("blobStore", "an empty bucket or prefix (TALENTPOST_BLOB_STORE)"),
        };
        return Err(ServiceError::invalid(
            field,
            format!("{} already holds stored files; restore into {empty}", store.describe()),
        ));
    }
    if database_file.is_some() {
        if postgres {
            ensure_empty_postgres(&url).await?;
        } else {
            ensure_no_sqlite_file(config)?;
        }
    }

    // Files first, each checked against the manifest; the database last, so a failed
    // restore leaves an empty database, which a second attempt accepts.
    let source = BlobStore::new(dir);
    let target = store.clone();
    let wanted: BTreeMap<String, u64> = manifest
        .blobs
        .iter()
        .map(|blob| (blob.sha256.clone(), blob.size))
        .collect();
    let unreadable = blocking(move || copy_blobs(&source, &target, &wanted.keys().cloned().collect())).await?;
    if !unreadable.is_empty() {
        return Err(failed(format!(
            "{} file(s) of the backup are missing or damaged, e.g. blobs/{}",
            unreadable.len(),
            unreadable[0]
        )));
    }
    match &database_file {
        None => {}
        Some(database_file) if postgres => {
            let pg_restore = which("pg_restore").ok_or_else(|| failed("pg_restore is not installed"))?;
            let (plain_url, password) = without_password(&url);
            let mut command = tokio::process::Command::new(pg_restore);
            // One transaction: a failed restore leaves the database empty for another try.
            command
                .arg("--no-owner")
                .arg("--no-privileges")
                .arg("--single-transaction")
                .arg("--exit-on-error")
                .arg(format!("--dbname={plain_url}"))
                .arg(dir.join(database_file));
            if let Some(password) = password {
                command.env("PGPASSWORD", password);
            }
            let output = command.output().await?;
            if !output.status.success() {
                return Err(failed(format!(
                    "pg_restore failed: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                )));
            }
        }
        Some(database_file) => {
            let path = sqlite_path(config).ok_or_else(|| failed("DATABASE_URL names no SQLite file"))?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(dir.join(database_file), &path)?;
        }
    }
    let db = crate::db::connect_and_migrate(&url).await?;
    let counts = counts(&db).await?;
    db.close().await?;
    Ok(RestoreReport { manifest, counts })
}

async fn ensure_empty_postgres(url: &str) -> ServiceResult<()> {
    let db: DatabaseConnection = Database::connect(url).await?;
    let tables = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT count(*) AS tables FROM information_schema.tables WHERE table_schema = current_schema()",
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "tables"))
        .transpose()?
        .unwrap_or(0);
    db.close().await?;
    if tables > 0 {
        return Err(ServiceError::invalid(
            "database",
            "the database already has tables; restore into an empty database",
        ));
    }
    Ok(())
}

fn ensure_no_sqlite_file(config: &Config) -> ServiceResult<()> {
    let path = sqlite_path(config).ok_or_else(|| failed("DATABASE_URL names no SQLite file"))?;
    if std::fs::metadata(&path).is_ok_and(|meta| meta.len() > 0) {
        return Err(ServiceError::invalid(
            "database",
            format!("{} exists; restore into an empty data folder", path.display()),
        ));
    }
    Ok(())
}

/// The file of a `sqlite://path?options` URL.
fn sqlite_path(config: &Config) -> Option<PathBuf> {
    let url = config.database_url();
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty()).then(|| PathBuf::from(path))
}
