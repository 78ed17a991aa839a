//! What browsers are told and what they may not do: a strict content security policy
//! and no framing on the app's pages and GraphiQL, the mail view's own stricter policy,
//! the public form framed only by the sites the organisation allows, and no use of the
//! session from a page of another origin (POST and WebSocket).

use base64::Engine;
use serde_json::json;
use sha2::Digest;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Backend, TestApp};
use crate::subscriptions::{next_message, send};

const EVIL: &str = "https://evil.example";

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn pages_carry_a_strict_policy_and_may_not_be_framed(backend: Backend) {
    // trunk writes one inline module script into index.html; the policy allows exactly
    // that script by its hash instead of allowing inline scripts.
    let loader = "import init from '/app.js'; await init();";
    let app = TestApp::spawn_with(backend, |config| {
        std::fs::write(
            config.data_dir.join("web/index.html"),
            format!("<!doctype html><title>Talentpost</title><script type=\"module\">{loader}</script>"),
        )
        .unwrap();
    })
    .await;
    let loader_hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(loader));
    let client = reqwest::Client::new();
    for page in ["/", "/inbox", "/graphql"] {
        let response = client.get(format!("{}{page}", app.address)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{page}");
        let policy = header(&response, "content-security-policy");
        for directive in [
            "default-src 'self'",
            "connect-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(policy.contains(directive), "{page}: {directive} in {policy}");
        }
        let scripts = policy
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap_or_default();
        assert!(scripts.contains("'self'"), "{page}: {scripts}");
        assert!(!scripts.contains("unsafe-inline"), "{page}: {scripts}");
        assert!(!scripts.contains("https:"), "{page}: {scripts}");
        assert_eq!(header(&response, "x-frame-options"), "DENY", "{page}");
        assert_eq!(header(&response, "referrer-policy"), "same-origin", "{page}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff", "{page}");
        let body = response.text().await.unwrap();
        if page == "/graphql" {
            assert!(
                !body.contains("https://") && !body.contains("//unpkg") && !body.contains("<script>"),
                "GraphiQL loads nothing from another host and runs no inline script: {body}"
            );
            assert!(body.contains("/graphiql/graphiql.min.js"), "{body}");
        } else {
            assert!(
                policy.contains("'wasm-unsafe-eval'"),
                "{page}: the app's wasm may compile"
            );
            assert!(
                policy.contains(&format!("'sha256-{loader_hash}'")),
                "{page}: trunk's loader is allowed by its hash: {policy}"
            );
            assert!(body.contains(loader), "{page}");
        }
    }

    // A new build copied in while the server runs: its loader is allowed at once.
    let new_loader = "import init from '/app-2.js'; await init();";
    std::fs::write(
        app.data_dir.path().join("web").join("index.html"),
        format!("<!doctype html><title>Talentpost</title><script type=\"module\">{new_loader}</script>"),
    )
    .unwrap();
    let new_hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(new_loader));
    let response = client.get(format!("{}/inbox", app.address)).send().await.unwrap();
    let policy = header(&response, "content-security-policy");
    assert!(policy.contains(&format!("'sha256-{new_hash}'")), "{policy}");
    assert!(
        !policy.contains(&format!("'sha256-{loader_hash}'")),
        "the old loader is gone: {policy}"
    );
}

fn session_cookie(response: &crate::helpers::GqlResponse) -> String {
    response.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn post_with_origin(
    app: &TestApp,
    cookie: Option<&str>,
    origin: &str,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/graphql", app.address))
        .header("origin", origin)
        .json(&json!({"query": "{ me { id } }"}));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn open_socket(
    app: &TestApp,
    cookie: &str,
    origin: &str,
) -> Result<crate::subscriptions::Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = app.ws_url().into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    headers.insert("cookie", cookie.parse().unwrap());
    headers.insert("origin", origin.parse().unwrap());
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

async fn pages_of_other_origins_cannot_use_the_session(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.allowed_origins = talentpost_server::config::WebOrigins::parse("https://ats.example").unwrap();
    })
    .await;
    let login = app
        .anonymous()
        .gql(
            "mutation($input: LoginInput!) { login(input: $input) { id } }",
            json!({"input": {"email": crate::helpers::ADMIN_EMAIL, "password": crate::helpers::ADMIN_PASSWORD}}),
        )
        .await;
    let cookie = session_cookie(&login);

    // A POST with the cookie from a foreign page is refused before it runs.
    let (status, body) = post_with_origin(&app, Some(&cookie), EVIL).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
    assert!(body["data"].is_null());
    // From the app's own origin, and from an allowed one, it works.
    for origin in [app.address.as_str(), "https://ats.example"] {
        let (status, body) = post_with_origin(&app, Some(&cookie), origin).await;
        assert_eq!(status, 200, "{origin}: {body}");
        assert!(body["data"]["me"]["id"].is_string(), "{origin}: {body}");
    }
    // Without the cookie a foreign page gains nothing, and is answered as anyone is.
    let (status, body) = post_with_origin(&app, None, EVIL).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{body}");

    // The WebSocket: refused at the upgrade from a foreign page, even with the cookie.
    match open_socket(&app, &cookie, EVIL).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        Err(other) => panic!("expected a 403 answer to the upgrade, got {other}"),
        Ok(_) => panic!("a foreign origin opened a WebSocket with the session"),
    }
    // From the app's own origin the session is accepted.
    let mut socket = open_socket(&app, &cookie, &app.address).await.unwrap();
    send(&mut socket, json!({"type": "connection_init", "payload": {}})).await;
    let ack = next_message(&mut socket).await.expect("an answer to init");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
}

async fn the_mail_view_and_the_public_form_set_their_own_policies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;

    // A mail with HTML: its view is a document only the app may frame, loading nothing
    // remote unless asked.
    let raw = "From: Erika <erika@example.org>\r\nTo: jobs@firma.example\r\nSubject: Bewerbung\r\n\
               MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
               <p style=\"color:red\">Hallo</p><img src=\"https://tracker.example/p.gif\">\r\n";
    let intake = admin
        .post_bytes("/api/mail/intake", "message/rfc822", raw.as_bytes().to_vec())
        .await;
    assert_eq!(intake.status(), 201);
    let item: serde_json::Value = intake.json().await.unwrap();
    let item_id = item["inboxItemId"].as_str().unwrap().to_owned();
    let view_url = admin
        .gql(
            "query($id: ID!) { inboxItem(id: $id) { mail { viewUrl } } }",
            json!({"id": item_id}),
        )
        .await
        .data()["inboxItem"]["mail"]["viewUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let view = admin.get(&view_url).await;
    assert_eq!(view.status(), 200);
    let policy = header(&view, "content-security-policy");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("img-src data:;"), "{policy}");
    assert!(policy.contains("frame-ancestors 'self'"), "{policy}");
    assert!(policy.contains("sandbox"), "{policy}");
    assert_eq!(header(&view, "x-frame-options"), "SAMEORIGIN");
    assert!(view.text().await.unwrap().contains("Hallo"));
    let with_images = admin.get(&format!("{view_url}?images=remote")).await;
    assert!(header(&with_images, "content-security-policy").contains("img-src data: https: http:"));
    assert_eq!(
        admin.get(&format!("{view_url}?images=all")).await.status(),
        400,
        "an unknown choice is named, not ignored"
    );
    assert_eq!(
        app.anonymous().get(&view_url).await.status(),
        401,
        "the view needs a session"
    );

    // The public form: any site may frame it until the organisation lists its sites.
    let form_url = admin
        .gql(
            "mutation { rotateIntakeKey(channel: ONLINE_FORM) { settings { formUrl formEmbedOrigins } } }",
            json!({}),
        )
        .await
        .data()["rotateIntakeKey"]["settings"]["formUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let form = app.anonymous().get(&form_url).await;
    assert!(header(&form, "content-security-policy").contains("frame-ancestors *"));
    assert_eq!(header(&form, "x-frame-options"), "", "framing is what the form is for");

    let refused = admin
        .gql(
            "mutation($o: [String!]!) { setFormEmbedOrigins(origins: $o) { formEmbedOrigins } }",
            json!({"o": ["https://karriere.example.de", "karriere example"]}),
        )
        .await;
    assert_eq!(refused.code(), "INVALID_INPUT");
    assert_eq!(refused.field().as_deref(), Some("origins"));
    let saved = admin
        .gql(
            "mutation($o: [String!]!) { setFormEmbedOrigins(origins: $o) { formEmbedOrigins } }",
            json!({"o": ["https://karriere.example.de/jobs", "http://localhost:4000"]}),
        )
        .await;
    assert_eq!(
        saved.data()["setFormEmbedOrigins"]["formEmbedOrigins"],
        json!(["http://localhost:4000", "https://karriere.example.de"]),
        "stored as origins: scheme, host and port"
    );
    let form = app.anonymous().get(&form_url).await;
    let policy = header(&form, "content-security-policy");
    assert!(
        policy.contains("frame-ancestors http://localhost:4000 https://karriere.example.de"),
        "{policy}"
    );
    let cleared = admin
        .gql(
            "mutation { setFormEmbedOrigins(origins: []) { formEmbedOrigins } }",
            json!({}),
        )
        .await;
    assert_eq!(cleared.data()["setFormEmbedOrigins"]["formEmbedOrigins"], json!([]));
    let form = app.anonymous().get(&form_url).await;
    assert!(header(&form, "content-security-policy").contains("frame-ancestors *"));
}

crate::on_both_databases!(
    pages_carry_a_strict_policy_and_may_not_be_framed,
    pages_of_other_origins_cannot_use_the_session,
    the_mail_view_and_the_public_form_set_their_own_policies,
);
