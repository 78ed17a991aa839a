//! Subscriptions over graphql-transport-ws, as the app and integrators use them.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::fixtures::{cast, submit};
use crate::helpers::{Backend, TestApp, within};

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub(crate) const DEADLINE: Duration = Duration::from_secs(5);

pub(crate) async fn connect(app: &TestApp, cookie: Option<&str>, init_payload: Value) -> Socket {
    connect_to(&app.ws_url(), cookie, init_payload).await
}

/// `connect` for a server started outside `TestApp`.
pub(crate) async fn connect_to(ws_url: &str, cookie: Option<&str>, init_payload: Value) -> Socket {
    let mut request = ws_url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    if let Some(cookie) = cookie {
        request.headers_mut().insert("cookie", cookie.parse().unwrap());
    }
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    send(&mut socket, json!({"type": "connection_init", "payload": init_payload})).await;
    socket
}

pub(crate) async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.unwrap();
}

/// The next protocol message (pings are answered by the library), or None when closed.
pub(crate) async fn next_message(socket: &mut Socket) -> Option<Value> {
    while let Some(frame) = within(DEADLINE, socket.next()).await {
        match frame {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
    None
}

pub(crate) async fn subscribe(socket: &mut Socket, id: &str, query: &str) {
    let ack = next_message(socket).await.expect("connection acknowledged");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    send(
        socket,
        json!({"id": id, "type": "subscribe", "payload": {"query": query}}),
    )
    .await;
}

/// Subscribes and reads the pushed data until `done` accepts one, failing at the
/// deadline with the last data seen. The event is what is waited for, not a timer.
pub(crate) async fn wait_for(
    socket: &mut Socket,
    query: &str,
    limit: Duration,
    done: impl FnMut(&Value) -> bool,
) -> Value {
    subscribe(socket, "wait", query).await;
    pushed_until(socket, limit, done).await
}

/// Reads the data a subscription opened earlier pushes until `done` accepts one.
pub(crate) async fn pushed_until(socket: &mut Socket, limit: Duration, mut done: impl FnMut(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + limit;
    let mut last = Value::Null;
    loop {
        let frame = tokio::time::timeout_at(deadline, socket.next())
            .await
            .unwrap_or_else(|_| panic!("not reached within {limit:?}; last pushed: {last}"));
        match frame {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(message["type"], "next", "{message}");
                last = message["payload"]["data"].clone();
                if done(&last) {
                    return last;
                }
            }
            Some(Ok(_)) => continue,
            other => panic!("the subscription ended: {other:?}; last pushed: {last}"),
        }
    }
}

pub(crate) async fn next_data(socket: &mut Socket) -> Value {
    let message = next_message(socket).await.expect("a message");
    assert_eq!(message["type"], "next", "{message}");
    message["payload"]["data"].clone()
}

pub(crate) async fn api_token(app: &TestApp) -> String {
    let admin = app.admin().await;
    let created = admin
        .gql("mutation { createApiToken(name: \"ws\") { token } }", json!({}))
        .await;
    created.data()["createApiToken"]["token"].as_str().unwrap().to_owned()
}

async fn new_applications_arrive_on_an_open_subscription(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = api_token(&app).await;
    let mut socket = connect(&app, None, json!({"authorization": format!("Bearer {token}")})).await;
    subscribe(
        &mut socket,
        "1",
        "subscription { inboxItemAdded { medium senderName senderEmail } }",
    )
    .await;

    let admin = app.admin().await;
    // The subscription is registered asynchronously after `subscribe`; keep submitting
    // until the first event arrives, so the test waits on the event, not on a timer.
    let received = within(DEADLINE, async {
        let mut attempt = 0;
        loop {
            attempt += 1;
            submit(&admin, &format!("Live{attempt}"), json!({})).await;
            if let Ok(Some(message)) = tokio::time::timeout(Duration::from_millis(300), next_message(&mut socket)).await
            {
                return message;
            }
        }
    })
    .await;
    assert_eq!(received["type"], "next", "{received}");
    let item = &received["payload"]["data"]["inboxItemAdded"];
    assert_eq!(item["medium"], "ONLINE_FORM");
    assert!(item["senderName"].as_str().unwrap().starts_with("Live"));
}

async fn subscribers_only_hear_of_items_they_may_see(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let c = cast(&app).await;
    let login = app
        .anonymous()
        .gql(
            "mutation { login(input: {email: \"rec.out@example.test\", password: \"user-password-123\"}) { id } }",
            json!({}),
        )
        .await;
    let cookie = login.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let mut socket = connect(&app, Some(&cookie), json!({})).await;
    subscribe(&mut socket, "1", "subscription { inboxItemAdded { senderName } }").await;

    // Until the subscription is live, items without a group may be missed; once one
    // arrives, a hidden item followed by a visible one must yield only the visible one.
    within(DEADLINE, async {
        loop {
            submit(&c.admin, "Warmup", json!({})).await;
            if let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(300), next_message(&mut socket)).await {
                break;
            }
        }
    })
    .await;
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(200), next_message(&mut socket)).await {}
    submit(&c.admin, "Geheim", json!({"userGroupId": c.group_g})).await;
    submit(&c.admin, "Offen", json!({})).await;
    let data = next_data(&mut socket).await;
    assert_eq!(data["inboxItemAdded"]["senderName"], "Offen Tester");
}

async fn counts_are_pushed_at_start_and_after_each_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = api_token(&app).await;
    let admin = app.admin().await;
    submit(&admin, "Erste", json!({})).await;
    let mut socket = connect(&app, None, json!({"authorization": format!("Bearer {token}")})).await;
    subscribe(
        &mut socket,
        "c",
        "subscription { inboxCountsChanged { onlineForm total } }",
    )
    .await;
    assert_eq!(next_data(&mut socket).await["inboxCountsChanged"]["total"], 1);
    submit(&admin, "Zweite", json!({})).await;
    assert_eq!(
        next_data(&mut socket).await["inboxCountsChanged"],
        json!({"onlineForm": 2, "total": 2})
    );
}

async fn logging_out_ends_the_open_subscriptions_of_that_user(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.admin().await;
    let login = app
        .anonymous()
        .gql(
            "mutation($i: LoginInput!) { login(input: $i) { id } }",
            json!({"i": {"email": crate::helpers::ADMIN_EMAIL, "password": crate::helpers::ADMIN_PASSWORD}}),
        )
        .await;
    let cookie = login.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let mut socket = connect(&app, Some(&cookie), json!({})).await;
    subscribe(&mut socket, "c", "subscription { inboxCountsChanged { total } }").await;
    assert_eq!(next_data(&mut socket).await["inboxCountsChanged"]["total"], 0);

    // Log that session out (the request carries the same cookie).
    let session = reqwest::Client::new();
    let logout = session
        .post(format!("{}/graphql", app.address))
        .header("cookie", &cookie)
        .json(&json!({"query": "mutation { logout }"}))
        .send()
        .await
        .unwrap();
    assert!(logout.status().is_success());

    let ended = next_message(&mut socket).await;
    assert!(
        ended.as_ref().is_none_or(|m| m["type"] == "complete"),
        "the subscription must end after logout, got {ended:?}"
    );
    let _ = client;
}

async fn a_connection_without_credentials_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut socket = connect(&app, None, json!({})).await;
    let first = next_message(&mut socket).await;
    assert!(
        first.as_ref().is_none_or(|m| m["type"] != "connection_ack"),
        "anonymous connection was acknowledged: {first:?}"
    );
    let mut socket = connect(&app, None, json!({"authorization": "Bearer tpat_wrong"})).await;
    let first = next_message(&mut socket).await;
    assert!(
        first.as_ref().is_none_or(|m| m["type"] != "connection_ack"),
        "{first:?}"
    );
}

crate::on_both_databases!(
    new_applications_arrive_on_an_open_subscription,
    subscribers_only_hear_of_items_they_may_see,
    counts_are_pushed_at_start_and_after_each_change,
    a_connection_without_credentials_is_refused,
    logging_out_ends_the_open_subscriptions_of_that_user,
);
