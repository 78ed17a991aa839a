//! The S3 file store (TALENTPOST_BLOB_STORE=s3://bucket/prefix) against a real S3
//! protocol server: two processes that share no folder share its files, and `backup`,
//! `verify` and `restore` read and write them there.

use serde_json::json;

use crate::backup::run_with;
use crate::blob_sweep::sha256;
use crate::dovecot::free_ports;
use crate::helpers::{Backend, KEY_HEX, TestApp, cli_with, database_url, id};
use crate::mail_crash::start_with;
use crate::s3_server::S3Server;

const PREFIX: &str = "talentpost/files";

fn mail_with_attachment(number: u32, attachment: &[u8]) -> Vec<u8> {
    format!(
        "From: Sara Sommer <sara@example.test>\r\nTo: jobs@firma.example\r\nSubject: Bewerbung\r\n\
Message-ID: <s3-{number}@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAnbei mein Lebenslauf.\r\n\
--b1\r\nContent-Type: application/pdf; name=\"lebenslauf.pdf\"\r\n\
Content-Disposition: attachment; filename=\"lebenslauf.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, attachment),
    )
    .into_bytes()
}

async fn two_processes_share_one_s3_store_and_back_it_up(backend: Backend) {
    let s3 = S3Server::start().await;
    let app = TestApp::spawn_with(backend, |config| {
        config.blob_sweep_interval_seconds = 0;
        s3.configure(config, PREFIX);
    })
    .await;
    let ready = app.anonymous().get("/readyz").await;
    assert_eq!(ready.status(), 200, "the bucket takes files");

    // Process one takes a mail in.
    let cv = b"%PDF-1.4 Lebenslauf Sara, im Bucket".as_slice();
    let mail = mail_with_attachment(1, cv);
    let stored = app
        .admin()
        .await
        .post_bytes("/api/mail/intake", "message/rfc822", mail.clone())
        .await;
    assert_eq!(stored.status(), 201);
    for (what, bytes) in [("raw mail", mail.as_slice()), ("attachment", cv)] {
        assert!(
            s3.object_path(PREFIX, &sha256(bytes)).is_file(),
            "the {what} is in the bucket"
        );
    }
    assert!(
        !app.data_dir.path().join("blobs").exists(),
        "nothing goes to the data folder"
    );

    // Process two, another binary with a data folder of its own, serves it.
    let other = tempfile::tempdir().unwrap();
    let [port] = free_ports::<1>();
    let mut env = s3.env(PREFIX);
    env.push(("TALENTPOST_SECRET_KEY", KEY_HEX.to_owned()));
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let second = start_with(other.path(), &app.database_url, port, &env_refs).await;
    let items = second
        .client
        .gql(
            "{ inboxItems(medium: EMAIL) { nodes { id documents { sha256 downloadUrl } } } }",
            json!({}),
        )
        .await;
    let item = &items.data()["inboxItems"]["nodes"][0];
    let raw = second.client.get(&format!("/api/inbox/{}/raw", id(&item["id"]))).await;
    assert_eq!(raw.status(), 200);
    assert_eq!(
        raw.bytes().await.unwrap().as_ref(),
        mail.as_slice(),
        "the raw mail, whole"
    );
    let document = &item["documents"][0];
    assert_eq!(document["sha256"], sha256(cv));
    let download = second.client.get(document["downloadUrl"].as_str().unwrap()).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap().as_ref(), cv, "the attachment, whole");
    drop(second);

    // verify and backup read from the bucket.
    let (code, out) = cli_with(&app, &["verify"], &s3.env(PREFIX));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 missing, 0 damaged; 0 not referenced"), "{out}");
    let backups = tempfile::tempdir().unwrap();
    let backup = backups.path().join("sicherung");
    let folder = backup.display().to_string();
    let (code, out) = cli_with(&app, &["backup", &folder], &s3.env(PREFIX));
    assert_eq!(code, 0, "{out}");
    for bytes in [mail.as_slice(), cv] {
        let sha = sha256(bytes);
        assert_eq!(
            std::fs::read(backup.join("blobs").join(&sha[..2]).join(&sha)).unwrap(),
            bytes
        );
    }

    // Restored into another prefix of the bucket and a fresh database: readable there.
    let fresh = tempfile::tempdir().unwrap();
    let fresh_database = database_url(backend, fresh.path()).await;
    let restore = |args: &[&str], prefix: &str| run_with(&fresh_database, fresh.path(), args, &s3.env(prefix));
    let (code, out) = restore(&["restore", &folder], "restored");
    assert_eq!(code, 0, "{out}");
    assert!(s3.object_path("restored", &sha256(cv)).is_file());
    let (code, out) = restore(&["verify"], "restored");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 missing, 0 damaged"), "{out}");
    // A restore never writes into a prefix that holds other files (stored since).
    let later = app
        .admin()
        .await
        .post_bytes(
            "/api/mail/intake",
            "message/rfc822",
            mail_with_attachment(2, b"%PDF-1.4 spaeter"),
        )
        .await;
    assert_eq!(later.status(), 201);
    let another = tempfile::tempdir().unwrap();
    let another_database = database_url(backend, another.path()).await;
    let (code, text) = run_with(
        &another_database,
        another.path(),
        &["restore", &folder],
        &s3.env(PREFIX),
    );
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("restore into an empty bucket or prefix"), "{text}");

    // An object lost from the bucket is named, with exit code 1.
    std::fs::remove_file(s3.object_path(PREFIX, &sha256(cv))).unwrap();
    let (code, out) = cli_with(&app, &["verify"], &s3.env(PREFIX));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&sha256(cv)), "{out}");
}

crate::on_both_databases!(two_processes_share_one_s3_store_and_back_it_up);
