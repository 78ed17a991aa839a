//! Live events between processes on one PostgreSQL database (NOTIFY/LISTEN): a second
//! server instance, or `talentpost ingest-mail` writing the database itself, reaches
//! the subscribers of the first. PostgreSQL only: SQLite has no channel between
//! processes, and an embedded SQLite installation runs one server.

use std::time::Duration;

use serde_json::json;

use crate::fixtures::submit;
use crate::helpers::{Backend, TestApp, within};
use crate::subscriptions::{api_token, connect, next_message, subscribe};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_on_the_same_database_reaches_open_subscriptions() {
    let first = TestApp::spawn(Backend::Postgres).await;
    let database = first.database_url.clone();
    let second = TestApp::spawn_with(Backend::Postgres, |config| config.database_url = Some(database.clone())).await;

    let token = api_token(&first).await;
    let mut socket = connect(&first, None, json!({"authorization": format!("Bearer {token}")})).await;
    subscribe(
        &mut socket,
        "live",
        "subscription { inboxItemAdded { senderName medium } }",
    )
    .await;
    // Registered asynchronously: submit on this instance until the first event arrives.
    let admin_first = first.admin().await;
    within(Duration::from_secs(10), async {
        let mut attempt = 0;
        loop {
            attempt += 1;
            submit(&admin_first, &format!("Warm{attempt}"), json!({})).await;
            if let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(300), next_message(&mut socket)).await {
                break;
            }
        }
    })
    .await;
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(300), next_message(&mut socket)).await {}

    // An application submitted to the other instance.
    let admin_second = second.admin().await;
    submit(&admin_second, "Anderswo", json!({})).await;
    let message = within(Duration::from_secs(5), next_message(&mut socket))
        .await
        .expect("an event");
    assert_eq!(
        message["payload"]["data"]["inboxItemAdded"]["senderName"],
        "Anderswo Tester"
    );

    // A mail piped into the database by `ingest-mail`, without going through a server.
    let data_dir = first.data_dir.path().display().to_string();
    let key = "11".repeat(32);
    let output = crate::mail_intake::ingest_mail_command(
        &[
            ("DATABASE_URL", first.database_url.as_str()),
            ("TALENTPOST_DATA_DIR", &data_dir),
            ("TALENTPOST_SECRET_KEY", &key),
        ],
        b"From: Pia Pipe <pia@example.org>\nSubject: Direkt\nMessage-ID: <direct@x>\n\nHallo\n",
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let message = within(Duration::from_secs(5), next_message(&mut socket))
        .await
        .expect("an event");
    assert_eq!(
        message["payload"]["data"]["inboxItemAdded"],
        json!({"senderName": "Pia Pipe", "medium": "EMAIL"})
    );
}
