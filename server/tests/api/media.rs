//! The inbox's other media from outside: the public form a career page posts to, the
//! signed SMS webhook and the job agency's import. Each valid delivery lands live; a
//! bad key or signature, a malformed body or an oversized file is refused clearly and
//! stores nothing.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{Backend, Client, TestApp, id};
use crate::subscriptions::{Socket, api_token, connect, subscribe};

const LIMIT: Duration = Duration::from_secs(10);

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |config| {
        config.max_upload_bytes = 64 * 1024;
        config.public_form_per_minute = 4;
    })
    .await
}

/// Subscribes to the unassigned counts; the first push (the counts now) proves the
/// subscription is live, so later deliveries cannot slip past it.
async fn live_counts(app: &TestApp, token: &str) -> Socket {
    let mut socket = connect(app, None, json!({"authorization": format!("Bearer {token}")})).await;
    subscribe(
        &mut socket,
        "counts",
        "subscription { inboxCountsChanged { email onlineForm jobAgency sms total } }",
    )
    .await;
    next_counts(&mut socket).await;
    socket
}

async fn next_counts(socket: &mut Socket) -> Value {
    let message = crate::subscriptions::next_message(socket).await.expect("counts pushed");
    assert_eq!(message["type"], "next", "{message}");
    message["payload"]["data"]["inboxCountsChanged"].clone()
}

/// Waits on the subscription until `medium` reaches `count`.
async fn wait_for_count(socket: &mut Socket, medium: &str, count: u64) {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let counts = tokio::time::timeout_at(deadline, next_counts(socket))
            .await
            .expect("the delivery arrived live");
        if counts[medium].as_u64() == Some(count) {
            return;
        }
    }
}

async fn total(client: &Client) -> u64 {
    client.gql("{ inboxCounts { total } }", json!({})).await.data()["inboxCounts"]["total"]
        .as_u64()
        .unwrap()
}

async fn error_of(response: reqwest::Response) -> (u16, String, Option<String>) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    let error = &body["errors"][0];
    (
        status,
        error["extensions"]["code"].as_str().unwrap_or_default().to_owned(),
        error["extensions"]["field"].as_str().map(str::to_owned),
    )
}

fn application_form(first_name: &str, email: &str) -> Form {
    Form::new()
        .text("firstName", first_name.to_owned())
        .text("lastName", "Öztürk")
        .text("email", email.to_owned())
        .text("message", "Ich bewerbe mich gern.")
}

async fn the_public_form_delivers_live_and_refuses_bad_keys_bodies_and_floods(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin().await;
    let token = api_token(&app).await;
    let opening = crate::candidate_file::create_opening(&admin, "Pflege", "OPEN").await;
    let closed = crate::candidate_file::create_opening(&admin, "Vergangen", "CLOSED").await;
    let rotated = admin
        .gql(
            "mutation { rotateIntakeKey(channel: ONLINE_FORM) { settings { formKey formUrl } secret } }",
            json!({}),
        )
        .await;
    let settings = rotated.data()["rotateIntakeKey"]["settings"].clone();
    assert!(
        rotated.data()["rotateIntakeKey"]["secret"].is_null(),
        "a form key has no secret"
    );
    let url = settings["formUrl"].as_str().unwrap().to_owned();
    let anonymous = app.anonymous();

    let page = anonymous.get(&url).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Pflege") && !html.contains("Vergangen"),
        "the form offers open openings only"
    );

    let mut socket = live_counts(&app, &token).await;
    let form = application_form("Ayşe", "ayse@example.org")
        .text("jobOpeningId", opening.clone())
        .part(
            "attachments",
            Part::bytes(b"%PDF-cv".to_vec())
                .file_name("cv.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let response = anonymous.post_form(&url, form).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    wait_for_count(&mut socket, "onlineForm", 1).await;
    let item = admin
        .gql("query($id: ID!) { inboxItem(id: $id) { medium senderName senderEmail subject jobOpening { id } documents { fileName } } }", json!({"id": created["inboxItemId"]}))
        .await;
    assert_eq!(
        item.data()["inboxItem"],
        json!({"medium": "ONLINE_FORM", "senderName": "Ayşe Öztürk", "senderEmail": "ayse@example.org", "subject": "Pflege",
               "jobOpening": {"id": opening}, "documents": [{"fileName": "cv.pdf"}]})
    );
    let before = total(&admin).await;

    let wrong_key = anonymous
        .post_form("/api/public/forms/tpf_nope", application_form("A", "a@example.org"))
        .await;
    assert_eq!(error_of(wrong_key).await, (401, "UNAUTHENTICATED".to_owned(), None));
    let no_email = anonymous.post_form(&url, application_form("B", "not-an-address")).await;
    assert_eq!(
        error_of(no_email).await,
        (400, "INVALID_INPUT".to_owned(), Some("email".to_owned()))
    );
    let closed_opening = anonymous
        .post_form(
            &url,
            application_form("C", "c@example.org").text("jobOpeningId", closed),
        )
        .await;
    assert_eq!(
        error_of(closed_opening).await,
        (400, "INVALID_INPUT".to_owned(), Some("jobOpeningId".to_owned()))
    );
    let too_large = application_form("D", "d@example.org").part(
        "attachments",
        Part::bytes(vec![b'x'; 64 * 1024 + 1]).file_name("huge.pdf"),
    );
    let too_large = anonymous.post_form(&url, too_large).await;
    assert_eq!(
        error_of(too_large).await,
        (413, "PAYLOAD_TOO_LARGE".to_owned(), Some("attachments.0".to_owned()))
    );
    assert_eq!(total(&admin).await, before, "nothing bad was stored");

    // Four submissions per client and minute; every request with a valid key counts.
    let flooded = anonymous.post_form(&url, application_form("E", "e@example.org")).await;
    assert_eq!(error_of(flooded).await, (429, "RATE_LIMITED".to_owned(), None));

    // A new key retires the old one.
    admin
        .gql(
            "mutation { rotateIntakeKey(channel: ONLINE_FORM) { settings { formKey } } }",
            json!({}),
        )
        .await
        .data();
    assert_eq!(anonymous.get(&url).await.status(), 401);
}

fn now_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn sign(secret: &str, timestamp: u64, body: &[u8]) -> String {
    talentpost_server::services::inbox::intake::sms_signature(secret, &timestamp.to_string(), body).unwrap()
}

async fn the_sms_webhook_checks_the_signature_and_matches_the_sender_by_phone(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin().await;
    let token = api_token(&app).await;
    let known = admin
        .gql("mutation { createCandidate(input: {firstName: \"Tom\", lastName: \"Kurz\", phone: \"0151 2345678\"}) { id } }", json!({}))
        .await;
    let known = id(&known.data()["createCandidate"]["id"]);
    let rotated = admin
        .gql(
            "mutation { rotateIntakeKey(channel: SMS) { settings { smsWebhookUrl hasSmsSecret } secret } }",
            json!({}),
        )
        .await;
    let rotated = rotated.data()["rotateIntakeKey"].clone();
    let url = rotated["settings"]["smsWebhookUrl"].as_str().unwrap().to_owned();
    let secret = rotated["secret"].as_str().unwrap().to_owned();
    let shown = admin.gql("{ intakeSettings { hasSmsSecret smsKey } }", json!({})).await;
    assert_eq!(shown.data()["intakeSettings"]["hasSmsSecret"], true);
    assert!(
        !shown.body.to_string().contains(&secret),
        "the secret is never shown again"
    );

    let provider = app.anonymous();
    let body = json!({"from": "+49 151 2345678", "to": "+49 30 999", "text": "Ist die Stelle noch frei?", "messageId": "sms-1"}).to_string().into_bytes();
    let signed = |body: &[u8]| {
        let at = now_seconds();
        vec![
            ("x-talentpost-timestamp", at.to_string()),
            ("x-talentpost-signature", sign(&secret, at, body)),
        ]
    };
    let mut socket = live_counts(&app, &token).await;
    let response = provider.post_with_headers(&url, &signed(&body), body.clone()).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    wait_for_count(&mut socket, "sms", 1).await;
    let item = admin
        .gql(
            "query($id: ID!) { inboxItem(id: $id) { medium senderPhone preview matchedCandidate { id } } }",
            json!({"id": created["inboxItemId"]}),
        )
        .await;
    assert_eq!(
        item.data()["inboxItem"],
        json!({"medium": "SMS", "senderPhone": "+49 151 2345678", "preview": "Ist die Stelle noch frei?", "matchedCandidate": {"id": known}})
    );

    let again = provider.post_with_headers(&url, &signed(&body), body.clone()).await;
    assert_eq!(again.status(), 200, "a repeated delivery is stored once");

    // Taken over, the SMS joins the candidate with that number instead of making a new one.
    let taken = admin
        .gql(
            "mutation($id: ID!) { takeOverInboxItem(id: $id) { createdCandidate candidate { id } application { sourceMedium } } }",
            json!({"id": created["inboxItemId"]}),
        )
        .await;
    assert_eq!(
        taken.data()["takeOverInboxItem"],
        json!({"createdCandidate": false, "candidate": {"id": known}, "application": {"sourceMedium": "SMS"}})
    );
    let history = admin
        .gql(
            "query($id: ID!) { contactHistory(candidateId: $id) { medium note } }",
            json!({"id": known}),
        )
        .await;
    assert_eq!(
        history.data()["contactHistory"],
        json!([{"medium": "SMS_IN", "note": "Ist die Stelle noch frei?"}])
    );
    let before = total(&admin).await;

    let at = now_seconds();
    let forged = vec![
        ("x-talentpost-timestamp", at.to_string()),
        ("x-talentpost-signature", sign("guessed", at, &body)),
    ];
    let (status, code, _) = error_of(provider.post_with_headers(&url, &forged, body.clone()).await).await;
    assert_eq!((status, code.as_str()), (401, "UNAUTHENTICATED"));
    let old = now_seconds() - 3_600;
    let replayed = vec![
        ("x-talentpost-timestamp", old.to_string()),
        ("x-talentpost-signature", sign(&secret, old, &body)),
    ];
    let replay = provider.post_with_headers(&url, &replayed, body.clone()).await;
    assert_eq!(replay.status(), 401, "an old signature is a replay");
    let unsigned = provider.post_with_headers(&url, &[], body.clone()).await;
    let unsigned: Value = unsigned.json().await.unwrap();
    assert!(
        unsigned["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("X-Talentpost-Timestamp"),
        "{unsigned}"
    );
    let malformed = b"{\"from\": \"+49 151 2345678\"}".to_vec();
    let (status, code, field) = error_of(
        provider
            .post_with_headers(&url, &signed(&malformed), malformed.clone())
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str(), field.as_deref()),
        (400, "INVALID_INPUT", Some("body"))
    );
    let wrong_key = provider
        .post_with_headers("/api/intake/sms/tps_unknown", &signed(&body), body.clone())
        .await;
    assert_eq!(wrong_key.status(), 401);
    assert_eq!(total(&admin).await, before, "nothing bad was stored");

    // An unknown number states no name: the take-over asks for it, naming the field.
    let stranger = json!({"from": "0176 9999999", "text": "Bewerbung Fahrer", "messageId": "sms-2"})
        .to_string()
        .into_bytes();
    let response = provider
        .post_with_headers(&url, &signed(&stranger), stranger.clone())
        .await;
    let stranger_item: Value = response.json().await.unwrap();
    let take = |input: Value| {
        let admin = &admin;
        let id = stranger_item["inboxItemId"].clone();
        async move {
            admin
                .gql("mutation($id: ID!, $input: TakeOverInput) { takeOverInboxItem(id: $id, input: $input) { candidate { firstName lastName phone } } }", json!({"id": id, "input": input}))
                .await
        }
    };
    let nameless = take(json!({})).await;
    assert_eq!(
        (nameless.code(), nameless.field()),
        ("INVALID_INPUT".to_owned(), Some("firstName".to_owned()))
    );
    let named = take(json!({"firstName": "Ali", "lastName": "Demir"})).await;
    assert_eq!(
        named.data()["takeOverInboxItem"]["candidate"],
        json!({"firstName": "Ali", "lastName": "Demir", "phone": "0176 9999999"})
    );
}

async fn the_job_agency_import_is_documented_json_and_all_or_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin().await;
    let token = api_token(&app).await;
    let integration = app.with_token(&token);
    let opening = crate::candidate_file::create_opening(&admin, "Elektroniker", "OPEN").await;
    let cv = base64::engine::general_purpose::STANDARD.encode(b"%PDF-agency");
    let applicant = |reference: &str, email: &str| {
        json!({
            "reference": reference, "firstName": "Piotr", "lastName": "Nowak", "email": email, "phone": "+48 600 123 456",
            "birthday": "1990-05-17", "jobOpeningId": opening, "jobOfferReference": "10000-1234567890-S",
            "message": "Vermittlungsvorschlag der Bundesagentur",
            "attachments": [{"fileName": "Lebenslauf.pdf", "contentType": "application/pdf", "contentBase64": cv}]
        })
    };
    let import = |body: Value| {
        let integration = &integration;
        async move {
            integration
                .post_bytes(
                    "/api/intake/job-agency",
                    "application/json",
                    body.to_string().into_bytes(),
                )
                .await
        }
    };

    let mut socket = live_counts(&app, &token).await;
    let response = import(json!({"applicants": [applicant("BA-1", "piotr@example.pl"), applicant("BA-2", "")]})).await;
    assert_eq!(response.status(), 201);
    let imported: Value = response.json().await.unwrap();
    assert_eq!(imported["imported"].as_array().unwrap().len(), 2);
    wait_for_count(&mut socket, "jobAgency", 2).await;
    let first = admin
        .gql(
            "query($id: ID!) { inboxItem(id: $id) { medium senderName senderEmail senderPhone subject documents { fileName sizeBytes } } }",
            json!({"id": imported["imported"][0]["inboxItemId"]}),
        )
        .await;
    assert_eq!(
        first.data()["inboxItem"],
        json!({"medium": "JOB_AGENCY", "senderName": "Piotr Nowak", "senderEmail": "piotr@example.pl", "senderPhone": "+48 600 123 456",
               "subject": "Elektroniker", "documents": [{"fileName": "Lebenslauf.pdf", "sizeBytes": 11}]})
    );
    // Taken over, the birthday from the profile lands on the candidate.
    let taken = admin
        .gql(
            "mutation($id: ID!) { takeOverInboxItem(id: $id) { candidate { birthday } application { sourceMedium } } }",
            json!({"id": imported["imported"][0]["inboxItemId"]}),
        )
        .await;
    assert_eq!(
        taken.data()["takeOverInboxItem"],
        json!({"candidate": {"birthday": "1990-05-17"}, "application": {"sourceMedium": "JOB_AGENCY"}})
    );

    let again = import(json!({"applicants": [applicant("BA-1", "piotr@example.pl")]})).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["imported"][0]["duplicate"], true);
    let before = total(&admin).await;

    let bad_email =
        import(json!({"applicants": [applicant("BA-3", "ok@example.pl"), applicant("BA-4", "kaputt")]})).await;
    assert_eq!(
        error_of(bad_email).await,
        (400, "INVALID_INPUT".to_owned(), Some("applicants.1.email".to_owned()))
    );
    let mut huge = applicant("BA-5", "huge@example.pl");
    huge["attachments"][0]["contentBase64"] =
        json!(base64::engine::general_purpose::STANDARD.encode(vec![0u8; 64 * 1024 + 10]));
    let too_large = import(json!({"applicants": [huge]})).await;
    assert_eq!(
        error_of(too_large).await,
        (
            413,
            "PAYLOAD_TOO_LARGE".to_owned(),
            Some("applicants.0.attachments.0".to_owned())
        )
    );
    let unknown_field =
        import(json!({"applicants": [{"reference": "BA-6", "firstName": "X", "lastName": "Y", "shoeSize": 44}]})).await;
    assert_eq!(error_of(unknown_field).await.2.as_deref(), Some("body"));
    let anonymous = app
        .anonymous()
        .post_bytes("/api/intake/job-agency", "application/json", b"{}".to_vec())
        .await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(total(&admin).await, before, "nothing of a refused import was stored");
}

crate::on_both_databases!(
    the_public_form_delivers_live_and_refuses_bad_keys_bodies_and_floods,
    the_sms_webhook_checks_the_signature_and_matches_the_sender_by_phone,
    the_job_agency_import_is_documented_json_and_all_or_nothing,
);
