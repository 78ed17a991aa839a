//! The blob sweep: after a final rejection with minimisation, the candidate's documents
//! and raw mails leave the disk; a file another candidate shares stays, and so does a
//! file stored so recently that the rows referring to it may still be on their way.
//! The same on an S3 store, where a file stored again during the sweep stays too.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use sha2::Digest;

use crate::helpers::{Backend, Client, KEY_HEX, TestApp, cli_with, id};
use crate::mail_intake::ingest_mail_command;
use crate::s3_server::S3Server;

pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Where a test's stored files are: the data folder, or a bucket of a real S3 server
/// (s3s-fs keeps its objects as files named like the data folder's).
enum Store {
    Folder,
    S3(S3Server),
}

const PREFIX: &str = "files";

impl Store {
    async fn spawn_app(&self, backend: Backend) -> TestApp {
        // No periodic sweep: the test runs it when the stage is set.
        TestApp::spawn_with(backend, |config| {
            config.blob_sweep_interval_seconds = 0;
            if let Self::S3(server) = self {
                server.configure(config, PREFIX);
            }
        })
        .await
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Folder => Vec::new(),
            Self::S3(server) => server.env(PREFIX),
        }
    }

    fn root(&self, app: &TestApp) -> std::path::PathBuf {
        match self {
            Self::Folder => app.data_dir.path().join("blobs"),
            Self::S3(server) => server.prefix_folder(PREFIX),
        }
    }

    fn blob_path(&self, app: &TestApp, sha256: &str) -> std::path::PathBuf {
        self.root(app).join(&sha256[..2]).join(sha256)
    }

    /// Every stored file, aged by two hours: as if stored long before the sweep (on S3,
    /// the claims of the writes too).
    async fn age_every_stored_file(&self, app: &TestApp) {
        let past = SystemTime::now() - Duration::from_secs(2 * 3600);
        for folder in std::fs::read_dir(self.root(app)).unwrap() {
            for file in std::fs::read_dir(folder.unwrap().path()).unwrap() {
                let file = std::fs::File::open(file.unwrap().path()).unwrap();
                file.set_modified(past).unwrap();
            }
        }
        if let Self::S3(_) = self {
            set_claims(app, None, chrono::Utc::now() - chrono::Duration::hours(2)).await;
        }
    }

    fn sweep(&self, app: &TestApp) -> (i32, String) {
        cli_with(app, &["sweep-blobs"], &self.env())
    }
}

/// Sets when the stored files (`only` one of them) were last claimed for a write.
async fn set_claims(app: &TestApp, only: Option<&str>, at: chrono::DateTime<chrono::Utc>) {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use talentpost_server::db::entities::blob_claim;
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let mut update = blob_claim::Entity::update_many().col_expr(blob_claim::Column::ClaimedAt, Expr::value(at));
    if let Some(sha256) = only {
        update = update.filter(blob_claim::Column::Sha256.eq(sha256));
    }
    assert!(update.exec(&db).await.unwrap().rows_affected >= 1, "claims were made");
}

pub(crate) async fn apply_through_form(admin: &Client, first: &str, email: &str, files: &[(&str, &[u8])]) -> String {
    let attachments: Vec<Value> = files.iter().map(|_| Value::Null).collect();
    let parts: Vec<(String, &str, &str, Vec<u8>)> = files
        .iter()
        .enumerate()
        .map(|(i, (name, bytes))| {
            (
                format!("input.attachments.{i}"),
                *name,
                "application/pdf",
                bytes.to_vec(),
            )
        })
        .collect();
    let submitted = admin
        .gql_multipart(
            "mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }",
            json!({"input": {"firstName": first, "lastName": "Muster", "email": email, "attachments": attachments}}),
            parts
                .iter()
                .map(|(field, name, kind, bytes)| (field.as_str(), *name, *kind, bytes.clone()))
                .collect(),
        )
        .await;
    take_over(admin, &id(&submitted.data()["submitApplication"]["id"])).await
}

/// Takes the item over; returns the candidate it belongs to now.
async fn take_over(admin: &Client, item: &str) -> String {
    let taken = admin
        .gql(
            "mutation($id: ID!) { takeOverInboxItem(id: $id) { candidate { id } } }",
            json!({"id": item}),
        )
        .await;
    id(&taken.data()["takeOverInboxItem"]["candidate"]["id"])
}

async fn a_minimised_candidates_files_are_swept_and_shared_or_recent_ones_stay(backend: Backend) {
    files_of_a_minimised_candidate_are_swept(backend, Store::Folder).await;
}

async fn an_s3_store_is_swept_alike_and_keeps_a_file_stored_again_meanwhile(backend: Backend) {
    files_of_a_minimised_candidate_are_swept(backend, Store::S3(S3Server::start().await)).await;
}

async fn files_of_a_minimised_candidate_are_swept(backend: Backend, store: Store) {
    let app = store.spawn_app(backend).await;
    let admin = app.admin().await;
    let cv = b"%PDF-1.4 Lebenslauf Rita Raus".as_slice();
    let certificate = b"%PDF-1.4 IHK-Zertifikat, von beiden eingereicht".as_slice();
    let rita = apply_through_form(
        &admin,
        "Rita",
        "rita@example.test",
        &[("lebenslauf.pdf", cv), ("zertifikat.pdf", certificate)],
    )
    .await;
    let bernd = apply_through_form(
        &admin,
        "Bernd",
        "bernd@example.test",
        &[("zertifikat.pdf", certificate)],
    )
    .await;
    assert_ne!(rita, bernd);

    // A mail of hers with a cover letter attached, taken over as hers.
    let letter = b"%PDF-1.4 Anschreiben Rita";
    let mail = format!(
        "From: Rita Muster <rita@example.test>\r\nTo: intake@intake.talentpost.localhost\r\n\
Subject: Nachreichung\r\nMessage-ID: <sweep-1@example.test>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Anbei mein Anschreiben.\r\n--b1\r\nContent-Type: application/pdf; name=\"anschreiben.pdf\"\r\n\
Content-Disposition: attachment; filename=\"anschreiben.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, letter)
    );
    let data_dir = app.data_dir.path().display().to_string();
    let store_env = store.env();
    let mut env = vec![
        ("DATABASE_URL", app.database_url.as_str()),
        ("TALENTPOST_DATA_DIR", &data_dir),
        ("TALENTPOST_SECRET_KEY", KEY_HEX),
    ];
    env.extend(store_env.iter().map(|(name, value)| (*name, value.as_str())));
    let ingested = ingest_mail_command(&env, mail.as_bytes());
    assert!(
        ingested.status.success(),
        "{}",
        String::from_utf8_lossy(&ingested.stderr)
    );
    let items = admin
        .gql("{ inboxItems(medium: EMAIL) { nodes { id } } }", json!({}))
        .await;
    let mail_item = id(&items.data()["inboxItems"]["nodes"][0]["id"]);
    assert_eq!(take_over(&admin, &mail_item).await, rita, "the mail joins her");
    assert!(store.blob_path(&app, &sha256(mail.as_bytes())).is_file());

    // The final rejection (the organisation keeps minimal data by default).
    let form_letter = admin
        .gql(
            "mutation { createFormLetter(input: {name: \"Absage\", subject: \"Ihre Bewerbung\", \
             bodyText: \"Leider nein.\", setsCandidateStatus: REJECTED}) { id } }",
            json!({}),
        )
        .await;
    let sent = admin
        .gql(
            "mutation($l: ID!, $c: ID!) { sendFormLetter(id: $l, candidateId: $c) { candidate { status emails } } }",
            json!({"l": id(&form_letter.data()["createFormLetter"]["id"]), "c": rita}),
        )
        .await;
    assert_eq!(
        sent.data()["sendFormLetter"]["candidate"],
        json!({"status": "REJECTED", "emails": []})
    );

    // Long ago, as far as the sweep can tell; then one file stored just now that nothing
    // refers to yet (an ingest between storing and committing).
    store.age_every_stored_file(&app).await;
    let in_flight = b"stored by an ingest that has not committed yet";
    let in_flight_path = store.blob_path(&app, &sha256(in_flight));
    std::fs::create_dir_all(in_flight_path.parent().unwrap()).unwrap();
    std::fs::write(&in_flight_path, in_flight).unwrap();
    // On S3, an old object whose content a write claims again right now (the same CV
    // sent by someone else, before that row is committed): it stays.
    let mut removed: Vec<(&str, &[u8])> = vec![("CV", cv), ("cover letter", letter.as_slice())];
    let mut stored_again = None;
    if let Store::S3(_) = store {
        set_claims(&app, Some(&sha256(mail.as_bytes())), chrono::Utc::now()).await;
        stored_again = Some(mail.as_bytes());
    } else {
        removed.push(("raw mail", mail.as_bytes()));
    }

    let (code, out) = store.sweep(&app);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("{} removed", removed.len())),
        "her CV, her cover letter and (unless stored again) her raw mail: {out}"
    );
    assert!(out.contains("1 kept as recent"), "{out}");
    for (what, gone) in removed {
        assert!(!store.blob_path(&app, &sha256(gone)).exists(), "her {what} is gone");
    }
    if let Some(again) = stored_again {
        assert!(out.contains("1 stored again meanwhile"), "{out}");
        assert!(
            store.blob_path(&app, &sha256(again)).is_file(),
            "stored again: it stays"
        );
    }
    assert!(
        store.blob_path(&app, &sha256(certificate)).is_file(),
        "Bernd's copy stays"
    );
    assert!(in_flight_path.is_file(), "a file stored during the sweep stays");

    // What remains of her mail says what happened, and the store is consistent.
    let raw = admin.get(&format!("/api/inbox/{mail_item}/raw")).await;
    assert_eq!(raw.status(), 200);
    let raw = raw.text().await.unwrap();
    assert!(
        raw.contains("This mail was removed") && !raw.contains("Anschreiben"),
        "{raw}"
    );
    let (code, out) = cli_with(&app, &["verify"], &store.env());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 missing, 0 damaged"), "{out}");

    // Sweeping again finds nothing more to do.
    let (code, out) = store.sweep(&app);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" 0 removed"), "{out}");
}

/// A lease is held by one owner at a time, renewed by it, and taken over once it ran
/// out or was given up.
async fn a_lease_has_one_holder_until_it_runs_out_or_is_released(backend: Backend) {
    use talentpost_server::db::leases::{acquire, now, release};
    let app = TestApp::spawn(backend).await;
    let db = talentpost_server::db::connect_and_migrate(&app.database_url)
        .await
        .unwrap();
    let term = chrono::Duration::minutes(5);
    let at = now(&db).await.unwrap();
    assert!(acquire(&db, "job", "a", at, term).await.unwrap());
    assert!(!acquire(&db, "job", "b", at, term).await.unwrap(), "held by a");
    assert!(acquire(&db, "job", "a", at, term).await.unwrap(), "a renews");
    assert!(
        acquire(&db, "other", "b", at, term).await.unwrap(),
        "leases are by name"
    );
    release(&db, "job", "b").await.unwrap();
    assert!(
        !acquire(&db, "job", "b", at, term).await.unwrap(),
        "only the holder gives it up"
    );
    release(&db, "job", "a").await.unwrap();
    assert!(
        acquire(&db, "job", "b", at, chrono::Duration::seconds(-1))
            .await
            .unwrap()
    );
    let later = now(&db).await.unwrap();
    assert!(later >= at, "the database's clock runs forward");
    assert!(
        acquire(&db, "job", "a", later, term).await.unwrap(),
        "b's ran out: a takes over"
    );
}

crate::on_both_databases!(
    a_minimised_candidates_files_are_swept_and_shared_or_recent_ones_stay,
    an_s3_store_is_swept_alike_and_keeps_a_file_stored_again_meanwhile,
    a_lease_has_one_holder_until_it_runs_out_or_is_released
);
