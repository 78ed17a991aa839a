//! `talentpost backup` while mail pours in, `talentpost restore` into a fresh data folder
//! and database: everything the backup holds is readable through the API afterwards,
//! `verify` is clean, a restore never overwrites, and a file lost later is named.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::blob_sweep::apply_through_form;
use crate::helpers::{Backend, Client, KEY_HEX, TestApp, database_url};
use crate::mail_crash::start_with;

const MAILS: usize = 500;

/// `talentpost <args>` on the given database and data folder.
fn run(database: &str, data_dir: &Path, args: &[&str]) -> (i32, String) {
    run_with(database, data_dir, args, &[])
}

/// `run` with further settings (an S3 store's, say).
pub(crate) fn run_with(database: &str, data_dir: &Path, args: &[&str], env: &[(&str, String)]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_talentpost"))
        .args(args)
        .env("DATABASE_URL", database)
        .env("TALENTPOST_DATA_DIR", data_dir)
        .env("TALENTPOST_SECRET_KEY", KEY_HEX)
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// Every inbox item of the medium, page by page.
async fn all_items(client: &Client, medium: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = client
            .gql(
                "query($m: InboxMedium, $after: String) { inboxItems(medium: $m, first: 200, after: $after) { \
                 pageInfo { hasNextPage endCursor } nodes { id subject } } }",
                json!({"m": medium, "after": after}),
            )
            .await;
        let connection = page.data()["inboxItems"].clone();
        items.extend(connection["nodes"].as_array().unwrap().iter().cloned());
        if connection["pageInfo"]["hasNextPage"] != true {
            return items;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
}

async fn a_backup_during_ingest_restores_readable_and_verified(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.blob_sweep_interval_seconds = 0).await;
    let admin = app.admin().await;
    let candidate = apply_through_form(
        &admin,
        "Bea",
        "bea@example.test",
        &[("lebenslauf.pdf", b"%PDF-1.4 Lebenslauf Bea".as_slice())],
    )
    .await;

    // Mail pours in while the backup runs; the backup starts once the first hundred are in.
    let (started, mut hundred) = tokio::sync::mpsc::channel::<()>(1);
    let pouring = {
        let client = app.admin().await;
        tokio::spawn(async move {
            for n in 0..MAILS {
                let raw = format!(
                    "From: Bewerber {n} <b{n}@example.org>\r\nTo: jobs@firma.example\r\nSubject: Sicherung {n}\r\n\
                     Message-ID: <backup-{n}@example.org>\r\n\r\nHallo, Nummer {n}.\r\n"
                );
                let stored = client
                    .post_bytes("/api/mail/intake", "message/rfc822", raw.into_bytes())
                    .await;
                assert_eq!(stored.status(), 201);
                if n == 100 {
                    let _ = started.send(()).await;
                }
            }
        })
    };
    hundred.recv().await.expect("a hundred mails in");
    let backup = tempfile::tempdir().unwrap();
    let target = backup.path().join("sicherung");
    let (database, data_dir) = (app.database_url.clone(), app.data_dir.path().to_path_buf());
    let folder = target.display().to_string();
    let (code, out) = tokio::task::spawn_blocking(move || run(&database, &data_dir, &["backup", &folder]))
        .await
        .unwrap();
    assert_eq!(code, 0, "{out}");
    pouring.await.unwrap();
    let manifest: Value = serde_json::from_slice(&std::fs::read(target.join("manifest.json")).unwrap()).unwrap();
    let items = manifest["counts"]["inboxItems"].as_u64().unwrap();
    assert!(items > 100 && items <= MAILS as u64 + 1, "{manifest}");
    assert_eq!(manifest["counts"]["candidates"], 1, "{manifest}");
    assert_eq!(
        manifest["blobs"].as_array().unwrap().len() as u64,
        manifest["counts"]["mailMessages"].as_u64().unwrap() + 1,
        "every raw mail and the CV: {out}"
    );
    assert!(!out.contains(KEY_HEX), "the key stays out of the backup");

    // Restore into a new data folder and a new database.
    let fresh = tempfile::tempdir().unwrap();
    let fresh_database = database_url(backend, fresh.path()).await;
    let (code, out) = run(
        &fresh_database,
        fresh.path(),
        &["restore", &target.display().to_string()],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{items} inbox items")), "{out}");
    let (code, out) = run(&fresh_database, fresh.path(), &["verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 missing, 0 damaged; 0 not referenced"), "{out}");

    // A restore never writes over data.
    let (code, out) = run(
        &fresh_database,
        fresh.path(),
        &["restore", &target.display().to_string()],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("restore into an empty"), "{out}");
    // Nor with another key.
    let other = tempfile::tempdir().unwrap();
    let other_database = database_url(backend, other.path()).await;
    let refused = Command::new(env!("CARGO_BIN_EXE_talentpost"))
        .args(["restore", &target.display().to_string()])
        .env("DATABASE_URL", &other_database)
        .env("TALENTPOST_DATA_DIR", other.path())
        .env("TALENTPOST_SECRET_KEY", "33".repeat(32))
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("secret key differs"));

    // Every item, raw mail and document readable through a server on the restored data.
    let port = crate::dovecot::free_ports::<1>()[0];
    let server = start_with(
        fresh.path(),
        &fresh_database,
        port,
        &[("TALENTPOST_SECRET_KEY", KEY_HEX), ("TALENTPOST_MAIL_WORKERS", "false")],
    )
    .await;
    let mails = all_items(&server.client, "EMAIL").await;
    assert_eq!(mails.len() as u64 + 1, items, "the mails and the form");
    for mail in &mails {
        let raw = server
            .client
            .get(&format!("/api/inbox/{}/raw", mail["id"].as_str().unwrap()))
            .await;
        assert_eq!(raw.status(), 200, "{mail}");
        let number = mail["subject"].as_str().unwrap().trim_start_matches("Sicherung ");
        assert!(raw.text().await.unwrap().contains(&format!("Nummer {number}.")));
    }
    let documents = server
        .client
        .gql(
            "query($id: ID!) { candidate(id: $id) { documents { id fileName } } }",
            json!({"id": candidate}),
        )
        .await;
    let document = documents.data()["candidate"]["documents"][0].clone();
    let download = server
        .client
        .get(&format!("/api/documents/{}", document["id"].as_str().unwrap()))
        .await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"%PDF-1.4 Lebenslauf Bea");
    drop(server);

    // A file lost after the restore is named by verify.
    let lost = manifest["blobs"][0]["sha256"].as_str().unwrap().to_owned();
    std::fs::remove_file(fresh.path().join("blobs").join(&lost[..2]).join(&lost)).unwrap();
    let (code, out) = run(&fresh_database, fresh.path(), &["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("missing: {lost}")), "{out}");
}

crate::on_both_databases!(a_backup_during_ingest_restores_readable_and_verified);

/// PostgreSQL where `pg_dump` is not at hand (the container image): the files and the
/// manifest are backed up with `--without-database`, the database is dumped apart, and
/// restored apart before `restore --files-only`; a restore that stopped halfway (its
/// files copied) can be run again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_without_the_database_restores_beside_its_own_dump() {
    let app = TestApp::spawn_with(Backend::Postgres, |config| config.blob_sweep_interval_seconds = 0).await;
    let admin = app.admin().await;
    apply_through_form(
        &admin,
        "Dora",
        "dora@example.test",
        &[("zeugnis.pdf", b"%PDF-1.4 Zeugnis Dora".as_slice())],
    )
    .await;
    let backup = tempfile::tempdir().unwrap();
    let target = backup.path().join("nur-dateien");
    let folder = target.display().to_string();
    let (code, out) = run(
        &app.database_url,
        app.data_dir.path(),
        &["backup", "--without-database", &folder],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("not in the backup"), "{out}");
    let manifest: Value = serde_json::from_slice(&std::fs::read(target.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["databaseFile"], Value::Null);
    // The operator's own dump, taken right after.
    let dump = backup.path().join("eigener.pgdump");
    let dumped = Command::new("pg_dump")
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(&dump)
        .arg(format!("--dbname={}", app.database_url))
        .status()
        .unwrap();
    assert!(dumped.success());

    let fresh = tempfile::tempdir().unwrap();
    let fresh_database = database_url(Backend::Postgres, fresh.path()).await;
    let (code, out) = run(&fresh_database, fresh.path(), &["restore", &folder]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--files-only"), "{out}");
    let restored = Command::new("pg_restore")
        .args(["--no-owner", "--no-privileges", "--exit-on-error"])
        .arg(format!("--dbname={fresh_database}"))
        .arg(&dump)
        .status()
        .unwrap();
    assert!(restored.success());
    // As a restore that stopped halfway leaves it: one of the backup's files is there.
    let first = manifest["blobs"][0]["sha256"].as_str().unwrap().to_owned();
    let half_done = fresh.path().join("blobs").join(&first[..2]);
    std::fs::create_dir_all(&half_done).unwrap();
    std::fs::copy(
        target.join("blobs").join(&first[..2]).join(&first),
        half_done.join(&first),
    )
    .unwrap();
    let (code, out) = run(&fresh_database, fresh.path(), &["restore", "--files-only", &folder]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&fresh_database, fresh.path(), &["verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 missing, 0 damaged; 0 not referenced"), "{out}");
}
