//! `talentpost verify`: every stored file the database refers to is there with the
//! content it was stored with (exit 0), a missing or damaged one is named (exit 1),
//! and files nothing refers to are listed without failing the check.

use crate::helpers::{Backend, KEY_HEX, TestApp, cli};
use crate::mail_intake::ingest_mail_command;

fn verify(app: &TestApp) -> (i32, String) {
    cli(app, "verify")
}

/// The stored files, by name (their SHA-256), with their paths.
fn stored_files(app: &TestApp) -> Vec<(String, std::path::PathBuf)> {
    let mut files = Vec::new();
    for folder in std::fs::read_dir(app.data_dir.path().join("blobs")).unwrap() {
        for file in std::fs::read_dir(folder.unwrap().path()).unwrap() {
            let file = file.unwrap();
            files.push((file.file_name().to_string_lossy().into_owned(), file.path()));
        }
    }
    files.sort();
    files
}

async fn verify_names_missing_and_damaged_files_and_lists_unreferenced_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data_dir = app.data_dir.path().display().to_string();
    let mail = b"From: Kai Sommer <kai@example.org>\r\nTo: intake@intake.talentpost.localhost\r\n\
Subject: Bewerbung mit Anlage\r\nMessage-ID: <verify-1@example.org>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Anbei mein Lebenslauf.\r\n--b1\r\nContent-Type: application/pdf; name=\"lebenslauf.pdf\"\r\n\
Content-Disposition: attachment; filename=\"lebenslauf.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDw+PgplbmRvYmoKdHJhaWxlcjw8Pj4KJSVFT0YK\r\n--b1--\r\n";
    let ingested = ingest_mail_command(
        &[
            ("DATABASE_URL", app.database_url.as_str()),
            ("TALENTPOST_DATA_DIR", &data_dir),
            ("TALENTPOST_SECRET_KEY", KEY_HEX),
        ],
        mail,
    );
    assert!(
        ingested.status.success(),
        "{}",
        String::from_utf8_lossy(&ingested.stderr)
    );
    let files = stored_files(&app);
    assert_eq!(files.len(), 2, "the raw mail and its attachment: {files:?}");

    let (code, out) = verify(&app);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("2 stored files referenced: 2 intact, 0 missing, 0 damaged; 0 not referenced"),
        "{out}"
    );

    let (missing, missing_path) = &files[0];
    let (damaged, damaged_path) = &files[1];
    std::fs::remove_file(missing_path).unwrap();
    std::fs::write(damaged_path, b"not what was stored").unwrap();
    let orphan = "ab".repeat(32);
    std::fs::create_dir_all(app.data_dir.path().join("blobs").join("ab")).unwrap();
    std::fs::write(app.data_dir.path().join("blobs").join("ab").join(&orphan), b"left over").unwrap();

    let (code, out) = verify(&app);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("0 intact, 1 missing, 1 damaged; 1 not referenced"),
        "{out}"
    );
    assert!(out.contains(&format!("missing: {missing}")), "{out}");
    assert!(out.contains(&format!("damaged: {damaged}")), "{out}");
    assert!(out.contains(&format!("not referenced: {orphan}")), "{out}");
}

crate::on_both_databases!(verify_names_missing_and_damaged_files_and_lists_unreferenced_ones);
