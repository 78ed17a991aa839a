//! The real `talentpost` binary is killed (SIGKILL) in the middle of a large first
//! sync and started again on the same data: every mail must be there exactly once.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::dovecot::{APPLICATIONS_FOLDER, Dovecot, PASSWORD, application_mail};
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, Client, database_url, id};

const MAILS: usize = 1500;

struct Server {
    child: Child,
    client: Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Also on a failed assertion: no server may outlive its test.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(data_dir: &std::path::Path, database: &str, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_talentpost"))
        .arg("serve")
        .env("TALENTPOST_BIND", format!("127.0.0.1:{port}"))
        .env("TALENTPOST_DATA_DIR", data_dir)
        .env("DATABASE_URL", database)
        .env("TALENTPOST_SECRET_KEY", "22".repeat(32))
        .env("TALENTPOST_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("TALENTPOST_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("TALENTPOST_MAIL_RETRY_MAX_SECONDS", "2")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("talentpost starts");
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "the server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let client = Client::for_address(&base);
    let login = client
        .gql(
            "mutation($input: LoginInput!) { login(input: $input) { id } }",
            json!({"input": {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}}),
        )
        .await;
    login.data();
    Server { child, client }
}

async fn account(client: &Client, account_id: &str) -> Value {
    client
        .gql("query($id: ID!) { inboundAccount(id: $id) { status syncDone syncTotal } }", json!({"id": account_id}))
        .await
        .data()["inboundAccount"]
        .clone()
}

async fn a_crash_in_the_middle_of_a_sync_loses_and_duplicates_nothing(backend: Backend) {
    let dovecot = Dovecot::start();
    dovecot.fill_maildir(
        "bulk",
        APPLICATIONS_FOLDER,
        (0..MAILS).map(|n| application_mail("Viele", &format!("bewerber{n}@example.org"), &format!("Bewerbung {n}"), &format!("bulk-{n}@example.org"))),
    );
    let data_dir = tempfile::tempdir().unwrap();
    let database = database_url(backend, data_dir.path()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();

    let first = start(data_dir.path(), &database, port).await;
    let created = first
        .client
        .gql(
            "mutation($input: InboundAccountInput!) { createInboundAccount(input: $input) { id } }",
            json!({"input": {"label": "Massen", "host": "127.0.0.1", "port": dovecot.imap_port, "security": "UNENCRYPTED",
                              "allowPlaintext": true, "username": "bulk", "password": PASSWORD, "folder": APPLICATIONS_FOLDER}}),
        )
        .await;
    let account_id = id(&created.data()["createInboundAccount"]["id"]);

    // Kill as soon as part of the folder is stored.
    let started = Instant::now();
    loop {
        let state = account(&first.client, &account_id).await;
        let done = state["syncDone"].as_u64().unwrap_or(0);
        if state["status"] == "SYNCING" && done > 0 {
            assert!(done < MAILS as u64, "the sync finished before the kill: {state}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the sync never started: {state}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(first);

    let second = start(data_dir.path(), &database, port).await;
    let started = Instant::now();
    let stored = loop {
        let counts = second.client.gql("{ inboxCounts { email } }", json!({})).await;
        let stored = counts.data()["inboxCounts"]["email"].as_u64().unwrap();
        let state = account(&second.client, &account_id).await;
        if state["status"] == "IDLE" && stored >= MAILS as u64 {
            break stored;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "not complete after the restart: {stored} stored, {state}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(stored, MAILS as u64, "every mail exactly once");
    // The mailbox is untouched: all mail still there, none marked read.
    assert_eq!(dovecot.counts("bulk", APPLICATIONS_FOLDER), (MAILS as u32, 0));
    drop(second);
}

crate::on_both_databases!(a_crash_in_the_middle_of_a_sync_loses_and_duplicates_nothing);
