//! The blob sweep: after a final rejection with minimisation, the candidate's documents
//! and raw mails leave the disk; a file another candidate shares stays, and so does a
//! file stored so recently that the rows referring to it may still be on their way.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use sha2::Digest;

use crate::helpers::{Backend, Client, KEY_HEX, TestApp, cli, id};
use crate::mail_intake::ingest_mail_command;

fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

fn blob_path(app: &TestApp, sha256: &str) -> std::path::PathBuf {
    app.data_dir.path().join("blobs").join(&sha256[..2]).join(sha256)
}

/// Every stored file, aged by two hours: as if stored long before the sweep.
fn age_every_stored_file(app: &TestApp) {
    let past = SystemTime::now() - Duration::from_secs(2 * 3600);
    for folder in std::fs::read_dir(app.data_dir.path().join("blobs")).unwrap() {
        for file in std::fs::read_dir(folder.unwrap().path()).unwrap() {
            let file = std::fs::File::open(file.unwrap().path()).unwrap();
            file.set_modified(past).unwrap();
        }
    }
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
    // No periodic sweep: the test runs it when the stage is set.
    let app = TestApp::spawn_with(backend, |config| config.blob_sweep_interval_seconds = 0).await;
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
    let ingested = ingest_mail_command(
        &[
            ("DATABASE_URL", app.database_url.as_str()),
            ("TALENTPOST_DATA_DIR", &data_dir),
            ("TALENTPOST_SECRET_KEY", KEY_HEX),
        ],
        mail.as_bytes(),
    );
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
    assert!(blob_path(&app, &sha256(mail.as_bytes())).is_file());

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
    age_every_stored_file(&app);
    let in_flight = b"stored by an ingest that has not committed yet";
    let in_flight_path = blob_path(&app, &sha256(in_flight));
    std::fs::create_dir_all(in_flight_path.parent().unwrap()).unwrap();
    std::fs::write(&in_flight_path, in_flight).unwrap();

    let (code, out) = cli(&app, "sweep-blobs");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("3 removed"),
        "her CV, her cover letter and her raw mail: {out}"
    );
    assert!(out.contains("1 kept as recent"), "{out}");
    for (what, gone) in [
        ("CV", cv),
        ("cover letter", letter.as_slice()),
        ("raw mail", mail.as_bytes()),
    ] {
        assert!(!blob_path(&app, &sha256(gone)).exists(), "her {what} is gone");
    }
    assert!(blob_path(&app, &sha256(certificate)).is_file(), "Bernd's copy stays");
    assert!(in_flight_path.is_file(), "a file stored during the sweep stays");

    // What remains of her mail says what happened, and the store is consistent.
    let raw = admin.get(&format!("/api/inbox/{mail_item}/raw")).await;
    assert_eq!(raw.status(), 200);
    let raw = raw.text().await.unwrap();
    assert!(
        raw.contains("This mail was removed") && !raw.contains("Anschreiben"),
        "{raw}"
    );
    let (code, out) = cli(&app, "verify");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 missing, 0 damaged"), "{out}");

    // Sweeping again finds nothing more to do.
    let (code, out) = cli(&app, "sweep-blobs");
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
    a_lease_has_one_holder_until_it_runs_out_or_is_released
);
