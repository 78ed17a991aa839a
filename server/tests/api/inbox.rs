use serde_json::json;

use crate::fixtures::submit;
use crate::helpers::{Backend, TestApp, id};

const SUBMIT: &str = "mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) {
    id medium state subject senderName senderEmail message
    jobOpening { title } legalEntity { name } matchedCandidate { fullName }
    documents { fileName contentType sizeBytes sha256 downloadUrl } } }";

async fn online_applications_arrive_with_their_attachments(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let entity = id(&admin.gql("{ legalEntities { id } }", json!({})).await.data()["legalEntities"][0]["id"]);
    let opening = admin
        .gql(
            "mutation($e: ID!) { createJobOpening(input: {legalEntityId: $e, title: \"Pflegefachkraft\"}) { id } }",
            json!({"e": entity}),
        )
        .await;
    let opening = id(&opening.data()["createJobOpening"]["id"]);
    admin
        .gql("mutation { createCandidate(input: {firstName: \"Jürgen\", lastName: \"Groß\", emails: [\"j.gross@example.test\"]}) { id } }", json!({}))
        .await
        .data();

    let pdf = b"%PDF-1.4 Lebenslauf".to_vec();
    let response = admin
        .gql_multipart(
            SUBMIT,
            json!({"input": {"firstName": "Jürgen", "lastName": "Groß", "email": "J.Gross@Example.TEST", "jobOpeningId": opening,
                   "message": "Ich bewerbe mich hiermit.", "attachments": [null, null]}}),
            vec![
                ("input.attachments.0", "Lebenslauf Jürgen.pdf", "application/pdf", pdf.clone()),
                ("input.attachments.1", "../../zeugnis.txt", "text/plain", b"Zeugnis".to_vec()),
            ],
        )
        .await;
    let item = &response.data()["submitApplication"];
    assert_eq!(item["medium"], "ONLINE_FORM");
    assert_eq!(item["state"], "UNASSIGNED");
    assert_eq!(item["subject"], "Pflegefachkraft");
    assert_eq!(item["senderName"], "Jürgen Groß");
    assert_eq!(item["senderEmail"], "J.Gross@example.test");
    assert_eq!(item["message"], "Ich bewerbe mich hiermit.");
    assert_eq!(item["jobOpening"]["title"], "Pflegefachkraft");
    assert_eq!(
        item["matchedCandidate"]["fullName"], "Jürgen Groß",
        "matched by e-mail, ignoring case"
    );
    let documents = item["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[0]["fileName"], "Lebenslauf Jürgen.pdf");
    assert_eq!(documents[0]["sizeBytes"], pdf.len());
    assert_eq!(documents[1]["fileName"], "zeugnis.txt", "path parts are dropped");

    let download = admin.get(documents[0]["downloadUrl"].as_str().unwrap()).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    let disposition = download.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        disposition.contains("filename*=UTF-8''Lebenslauf%20J%C3%BCrgen.pdf"),
        "{disposition}"
    );
    assert_eq!(download.bytes().await.unwrap().to_vec(), pdf);
    assert_eq!(
        app.anonymous()
            .get(documents[0]["downloadUrl"].as_str().unwrap())
            .await
            .status(),
        401
    );

    let counts = admin
        .gql("{ inboxCounts { email onlineForm jobAgency sms total } }", json!({}))
        .await;
    assert_eq!(
        counts.data()["inboxCounts"],
        json!({"email": 0, "onlineForm": 1, "jobAgency": 0, "sms": 0, "total": 1})
    );
}

async fn bad_submissions_name_the_field_and_store_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.max_upload_bytes = 1024).await;
    let admin = app.admin().await;
    let cases = [
        (
            json!({"firstName": "A", "lastName": "B", "email": "kein-at-zeichen"}),
            "INVALID_INPUT",
            "email",
        ),
        (
            json!({"firstName": " ", "lastName": "B", "email": "a@b.de"}),
            "INVALID_INPUT",
            "firstName",
        ),
        (
            json!({"firstName": "A", "lastName": "B", "email": "a@b.de", "jobOpeningId": "424242"}),
            "INVALID_INPUT",
            "jobOpeningId",
        ),
        (
            json!({"firstName": "A", "lastName": "B", "email": "a@b.de", "jobOpeningId": "abc"}),
            "INVALID_INPUT",
            "jobOpeningId",
        ),
    ];
    for (input, code, field) in cases {
        let response = admin.gql(SUBMIT, json!({"input": input})).await;
        assert_eq!(
            (response.code().as_str(), response.field().as_deref()),
            (code, Some(field)),
            "{}",
            response.body
        );
    }
    let missing = admin
        .gql(
            "mutation { submitApplication(input: {firstName: \"A\", email: \"a@b.de\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(missing.code(), "INVALID_INPUT");
    assert!(
        missing.errors()[0]["message"].as_str().unwrap().contains("lastName"),
        "{}",
        missing.body
    );

    let too_big = admin
        .gql_multipart(
            SUBMIT,
            json!({"input": {"firstName": "A", "lastName": "B", "email": "a@b.de", "attachments": [null]}}),
            vec![("input.attachments.0", "gross.pdf", "application/pdf", vec![b'x'; 4096])],
        )
        .await;
    assert_eq!(too_big.code(), "PAYLOAD_TOO_LARGE", "{}", too_big.body);

    let counts = admin.gql("{ inboxCounts { total } }", json!({})).await;
    assert_eq!(counts.data()["inboxCounts"]["total"], 0, "nothing half-written");
    let blobs = app.data_dir.path().join("blobs");
    assert!(
        !blobs.exists() || std::fs::read_dir(&blobs).unwrap().next().is_none(),
        "no file stored"
    );
}

async fn a_retried_submission_with_the_same_key_is_stored_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let first = submit(&admin, "Ida", json!({"idempotencyKey": "form-123"})).await;
    let second = submit(&admin, "Ida", json!({"idempotencyKey": "form-123"})).await;
    assert_eq!(first["id"], second["id"]);
    assert_eq!(
        admin.gql("{ inboxCounts { total } }", json!({})).await.data()["inboxCounts"]["total"],
        1
    );
}

async fn an_idempotency_key_never_reveals_an_item_the_caller_cannot_see(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let c = crate::fixtures::cast(&app).await;
    submit(
        &c.admin,
        "Verborgen",
        json!({"idempotencyKey": "secret-key", "userGroupId": c.group_g}),
    )
    .await;
    let response = c
        .recruiter_outside
        .gql(
            SUBMIT,
            json!({"input": {"firstName": "X", "lastName": "Y", "email": "x@y.de", "idempotencyKey": "secret-key"}}),
        )
        .await;
    assert_eq!(
        (response.code().as_str(), response.field().as_deref()),
        ("CONFLICT", Some("idempotencyKey")),
        "{}",
        response.body
    );
    assert!(!response.body.to_string().contains("Verborgen"));
}

async fn the_inbox_pages_newest_first_without_gaps(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let mut submitted = Vec::new();
    for name in ["Anna", "Berta", "Carla", "Dora", "Emma"] {
        submitted.push(submit(&admin, name, json!({})).await["id"].clone());
    }
    submitted.reverse();
    let query = "query($after: String) { inboxItems(medium: ONLINE_FORM, first: 2, after: $after) {
        edges { cursor node { id } } pageInfo { hasNextPage } } }";
    let mut seen = Vec::new();
    let mut after = serde_json::Value::Null;
    loop {
        let page = admin.gql(query, json!({"after": after})).await;
        let connection = &page.data()["inboxItems"];
        let edges = connection["edges"].as_array().unwrap();
        seen.extend(edges.iter().map(|e| e["node"]["id"].clone()));
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = edges.last().unwrap()["cursor"].clone();
    }
    assert_eq!(seen, submitted);
    let bad = admin
        .gql("{ inboxItems(first: 1000) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(
        (bad.code().as_str(), bad.field().as_deref()),
        ("INVALID_INPUT", Some("first"))
    );
    let bad = admin
        .gql("{ inboxItems(after: \"garbage\") { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(
        (bad.code().as_str(), bad.field().as_deref()),
        ("INVALID_INPUT", Some("after"))
    );
}

async fn deleting_several_items_is_all_or_nothing_and_an_admin_can_restore(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let a = submit(&admin, "Anna", json!({})).await["id"].clone();
    let b = submit(&admin, "Berta", json!({})).await["id"].clone();
    let c = submit(&admin, "Carla", json!({})).await["id"].clone();
    let delete = "mutation($ids: [ID!]!) { deleteInboxItems(ids: $ids) { id state } }";

    let stale = admin.gql(delete, json!({"ids": [a, "999999"]})).await;
    assert_eq!(stale.code(), "NOT_FOUND");
    assert_eq!(
        admin.gql("{ inboxCounts { total } }", json!({})).await.data()["inboxCounts"]["total"],
        3
    );

    let deleted = admin.gql(delete, json!({"ids": [a, b]})).await;
    assert_eq!(deleted.data()["deleteInboxItems"][0]["state"], "DELETED");
    let unassigned = admin.gql("{ inboxItems { edges { node { id } } } }", json!({})).await;
    assert_eq!(unassigned.data()["inboxItems"]["edges"], json!([{"node": {"id": c}}]));
    let trash = admin
        .gql(
            "{ inboxItems(state: DELETED) { edges { node { id deletedAt } } } }",
            json!({}),
        )
        .await;
    assert_eq!(trash.data()["inboxItems"]["edges"].as_array().unwrap().len(), 2);

    let restored = admin
        .gql(
            "mutation($ids: [ID!]!) { restoreInboxItems(ids: $ids) { state } }",
            json!({"ids": [a]}),
        )
        .await;
    assert_eq!(restored.data()["restoreInboxItems"][0]["state"], "UNASSIGNED");
    assert_eq!(
        admin.gql("{ inboxCounts { total } }", json!({})).await.data()["inboxCounts"]["total"],
        2
    );
}

crate::on_both_databases!(
    online_applications_arrive_with_their_attachments,
    bad_submissions_name_the_field_and_store_nothing,
    a_retried_submission_with_the_same_key_is_stored_once,
    an_idempotency_key_never_reveals_an_item_the_caller_cannot_see,
    the_inbox_pages_newest_first_without_gaps,
    deleting_several_items_is_all_or_nothing_and_an_admin_can_restore,
);
