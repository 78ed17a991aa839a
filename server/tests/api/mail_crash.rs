//! The real `talentpost` binary is killed (SIGKILL) in the middle of a large first
//! sync and started again on the same data: every mail must be there exactly once.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::dovecot::{APPLICATIONS_FOLDER, Dovecot, PASSWORD, application_mail};
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, Client, database_url, id};
use crate::subscriptions::{connect_to, wait_for};

const MAILS: usize = 1500;

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) client: Client,
    pub(crate) port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Also on a failed assertion: no server may outlive its test.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(data_dir: &std::path::Path, database: &str, port: u16) -> Server {
    start_with(data_dir, database, port, &[]).await
}

/// Starts the real binary; `env` adds or overrides settings.
pub(crate) async fn start_with(data_dir: &std::path::Path, database: &str, port: u16, env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_talentpost"))
        .arg("serve")
        .env("TALENTPOST_BIND", format!("127.0.0.1:{port}"))
        .env("TALENTPOST_DATA_DIR", data_dir)
        .env("DATABASE_URL", database)
        .env("TALENTPOST_SECRET_KEY", "22".repeat(32))
        .env("TALENTPOST_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("TALENTPOST_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("TALENTPOST_MAIL_RETRY_MAX_SECONDS", "2")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("talentpost starts");
    // The server says when it listens; that line is the event to wait for.
    let stdout = child.stdout.take().expect("stdout");
    let ready = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains("Talentpost is running"))
    });
    let ready = tokio::time::timeout(Duration::from_secs(30), ready).await;
    assert!(matches!(ready, Ok(Ok(true))), "the server did not come up");
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::for_address(&base);
    let login = client
        .gql(
            "mutation($input: LoginInput!) { login(input: $input) { id } }",
            json!({"input": {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}}),
        )
        .await;
    login.data();
    Server { child, client, port }
}

impl Server {
    /// Waits on the account's status subscription until `done` accepts its state.
    async fn wait_for_account(&self, account_id: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let created = self
            .client
            .gql("mutation { createApiToken(name: \"watch\") { token } }", json!({}))
            .await;
        let token = created.data()["createApiToken"]["token"].as_str().unwrap().to_owned();
        let url = format!("ws://127.0.0.1:{}/graphql/ws", self.port);
        let mut socket = connect_to(&url, None, json!({"authorization": format!("Bearer {token}")})).await;
        let data = wait_for(
            &mut socket,
            "subscription { inboundAccountStatusChanged { id status syncDone syncTotal } }",
            limit,
            |data| {
                let account = &data["inboundAccountStatusChanged"];
                account["id"] == account_id && done(account)
            },
        )
        .await;
        data["inboundAccountStatusChanged"].clone()
    }
}

async fn a_crash_in_the_middle_of_a_sync_loses_and_duplicates_nothing(backend: Backend) {
    let dovecot = Dovecot::start();
    dovecot.fill_maildir(
        "bulk",
        APPLICATIONS_FOLDER,
        (0..MAILS).map(|n| {
            application_mail(
                "Viele",
                &format!("bewerber{n}@example.org"),
                &format!("Bewerbung {n}"),
                &format!("bulk-{n}@example.org"),
            )
        }),
    );
    let data_dir = tempfile::tempdir().unwrap();
    let database = database_url(backend, data_dir.path()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

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
    let partial = first
        .wait_for_account(&account_id, Duration::from_secs(60), |a| {
            a["status"] == "SYNCING" && a["syncDone"].as_u64() > Some(0)
        })
        .await;
    assert!(
        partial["syncDone"].as_u64() < Some(MAILS as u64),
        "the sync finished before the kill: {partial}"
    );
    drop(first);

    let second = start(data_dir.path(), &database, port).await;
    second
        .wait_for_account(&account_id, Duration::from_secs(120), |a| a["status"] == "IDLE")
        .await;
    let counts = second.client.gql("{ inboxCounts { email } }", json!({})).await;
    let stored = counts.data()["inboxCounts"]["email"].as_u64().unwrap();
    assert_eq!(stored, MAILS as u64, "every mail exactly once");
    // The mailbox is untouched: all mail still there, none marked read.
    assert_eq!(dovecot.counts("bulk", APPLICATIONS_FOLDER), (MAILS as u32, 0));
    drop(second);
}

crate::on_both_databases!(a_crash_in_the_middle_of_a_sync_loses_and_duplicates_nothing);
