//! The real `talentpost` binary is stopped with mail in its outbox and started again on
//! the same data: every mail goes out, and none twice. Killed (SIGKILL) while the
//! server is down, queued mail simply waits; stopped in the middle of sending (SIGTERM,
//! an ordinary restart), the worker finishes what it started; killed in the middle of
//! sending, only an attempt the kill cut off may reach the server again, and the outbox
//! says so (`interruptedAttempts`).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Backend, database_url, id};
use crate::mail_crash::{Server, start_with};
use crate::mail_out::{OUTBOX_FIELDS, create_candidate, create_outbound, send, sink_account};
use crate::postfix::SmtpSink;
use crate::subscriptions::{connect_to, next_data, subscribe};

const SETTINGS: &[(&str, &str)] = &[
    ("TALENTPOST_OUTBOX_RETRY_SECONDS", "1"),
    ("TALENTPOST_OUTBOX_RETRY_MAX_SECONDS", "1"),
    // A claim of a killed worker is taken over after this.
    ("TALENTPOST_OUTBOX_LEASE_SECONDS", "2"),
    ("TALENTPOST_MAIL_WORKERS", "false"),
];
const LIMIT: Duration = Duration::from_secs(60);

async fn token(server: &Server) -> String {
    let created = server
        .client
        .gql("mutation { createApiToken(name: \"watch\") { token } }", json!({}))
        .await;
    created.data()["createApiToken"]["token"].as_str().unwrap().to_owned()
}

/// Follows every outbox change on one subscription until `done` says the collected
/// statuses (by mail id) are enough. The subscription opens before `then` runs, so no
/// change is missed.
async fn watch_outbox(
    server: &Server,
    then: impl std::future::Future<Output = ()>,
    done: impl Fn(&HashMap<String, Value>) -> bool,
) -> HashMap<String, Value> {
    let token = token(server).await;
    let url = format!("ws://127.0.0.1:{}/graphql/ws", server.port);
    let mut socket = connect_to(&url, None, json!({"authorization": format!("Bearer {token}")})).await;
    subscribe(
        &mut socket,
        "outbox",
        &format!("subscription {{ outboxMessageChanged {{ {OUTBOX_FIELDS} }} }}"),
    )
    .await;
    then.await;
    let mut latest = HashMap::new();
    let deadline = tokio::time::Instant::now() + LIMIT;
    while !done(&latest) {
        let data = tokio::time::timeout_at(deadline, next_data(&mut socket))
            .await
            .unwrap_or_else(|_| panic!("not reached within {LIMIT:?}; {} mails seen", latest.len()));
        let message = data["outboxMessageChanged"].clone();
        latest.insert(id(&message["id"]), message);
    }
    latest
}

/// Waits until every listed mail is SENT, each on a subscription that starts with its
/// current state; returns them.
async fn wait_until_all_sent(server: &Server, ids: &[String]) -> Vec<Value> {
    let token = token(server).await;
    let url = format!("ws://127.0.0.1:{}/graphql/ws", server.port);
    let mut sent = Vec::new();
    for message_id in ids {
        let mut socket = connect_to(&url, None, json!({"authorization": format!("Bearer {token}")})).await;
        let query = format!("subscription {{ outboxMessageChanged(id: \"{message_id}\") {{ {OUTBOX_FIELDS} }} }}");
        let data = crate::subscriptions::wait_for(&mut socket, &query, LIMIT, |data| {
            data["outboxMessageChanged"]["status"] == "SENT"
        })
        .await;
        sent.push(data["outboxMessageChanged"].clone());
    }
    sent
}

async fn queue(server: &Server, candidate: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let queued = send(
            &server.client,
            json!({"candidateId": candidate, "subject": format!("Nachricht {n}"), "body": "Hallo"}),
        )
        .await;
        ids.push(id(&queued.data()["sendMessage"]["id"]));
    }
    ids
}

/// How often each mail reached the sink, by Message-ID.
fn arrivals(sink: &SmtpSink, sent: &[Value]) -> Vec<(Value, usize)> {
    let received = sink.messages();
    sent.iter()
        .map(|message| {
            let needle = format!("<{}>", message["messageId"].as_str().unwrap());
            (
                message.clone(),
                received.iter().filter(|raw| raw.contains(&needle)).count(),
            )
        })
        .collect()
}

async fn setup(backend: Backend) -> (tempfile::TempDir, String, u16) {
    let data_dir = tempfile::tempdir().unwrap();
    let database = database_url(backend, data_dir.path()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    (data_dir, database, port)
}

async fn queued_mail_survives_a_kill_while_the_server_is_unreachable(backend: Backend) {
    let (data_dir, database, port) = setup(backend).await;
    let mut sink = SmtpSink::start(&[]);
    sink.stop();
    let first = start_with(data_dir.path(), &database, port, SETTINGS).await;
    create_outbound(&first.client, sink_account(&sink)).await;
    let candidate = create_candidate(&first.client, "Kai", "Kurz", "kai@example.test").await;
    let mut ids = Vec::new();
    // Every mail is queued and has failed to connect at least once before the kill.
    watch_outbox(&first, async { ids = queue(&first, &candidate, 20).await }, |seen| {
        seen.len() == 20 && seen.values().all(|m| m["status"] == "RETRYING")
    })
    .await;
    drop(first);

    sink.restart(&[]);
    let second = start_with(data_dir.path(), &database, port, SETTINGS).await;
    let sent = wait_until_all_sent(&second, &ids).await;
    for (message, count) in arrivals(&sink, &sent) {
        assert_eq!(count, 1, "each mail exactly once: {message}");
    }
}

async fn an_ordinary_restart_while_sending_sends_nothing_twice(backend: Backend) {
    let (data_dir, database, port) = setup(backend).await;
    let sink = SmtpSink::start(&[]);
    let mut first = start_with(data_dir.path(), &database, port, SETTINGS).await;
    create_outbound(&first.client, sink_account(&sink)).await;
    let candidate = create_candidate(&first.client, "Lea", "Lang", "lea@example.test").await;
    let mut ids = Vec::new();
    watch_outbox(&first, async { ids = queue(&first, &candidate, 200).await }, |seen| {
        seen.values().filter(|m| m["status"] == "SENT").count() >= 10
    })
    .await;
    // SIGTERM, as a service manager stops it.
    let stopped = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(first.child.id().to_string())
        .status()
        .unwrap();
    assert!(stopped.success());
    let exited = tokio::task::spawn_blocking(move || {
        let status = first.child.wait();
        (first, status)
    });
    let (first, status) = tokio::time::timeout(LIMIT, exited)
        .await
        .expect("the server stops in time")
        .unwrap();
    assert!(status.unwrap().success());
    drop(first);

    let second = start_with(data_dir.path(), &database, port, SETTINGS).await;
    let sent = wait_until_all_sent(&second, &ids).await;
    for (message, count) in arrivals(&sink, &sent) {
        assert_eq!(count, 1, "each mail exactly once: {message}");
        assert_eq!(message["interruptedAttempts"], 0, "nothing was cut off: {message}");
    }
}

async fn a_kill_while_sending_repeats_at_most_the_attempts_it_cut_off(backend: Backend) {
    let (data_dir, database, port) = setup(backend).await;
    let sink = SmtpSink::start(&[]);
    let first = start_with(data_dir.path(), &database, port, SETTINGS).await;
    create_outbound(&first.client, sink_account(&sink)).await;
    let candidate = create_candidate(&first.client, "Mia", "Maier", "mia@example.test").await;
    let mut ids = Vec::new();
    watch_outbox(&first, async { ids = queue(&first, &candidate, 200).await }, |seen| {
        seen.values().filter(|m| m["status"] == "SENT").count() >= 10
    })
    .await;
    drop(first);

    let second = start_with(data_dir.path(), &database, port, SETTINGS).await;
    let sent = wait_until_all_sent(&second, &ids).await;
    let mut interrupted = 0;
    for (message, count) in arrivals(&sink, &sent) {
        let cut_off = message["interruptedAttempts"].as_i64().unwrap();
        interrupted += cut_off;
        assert!(count >= 1, "every mail arrives: {message}");
        assert!(
            count == 1 || cut_off > 0,
            "a second copy only where the kill cut an attempt off: {message}"
        );
    }
    assert!(
        interrupted <= 8,
        "at most the attempts in flight were cut off ({interrupted})"
    );
}

crate::on_both_databases!(
    queued_mail_survives_a_kill_while_the_server_is_unreachable,
    an_ordinary_restart_while_sending_sends_nothing_twice,
    a_kill_while_sending_repeats_at_most_the_attempts_it_cut_off,
);
