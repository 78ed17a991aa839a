use serde_json::json;

use crate::helpers::{Backend, TestApp};

async fn deep_and_expensive_queries_are_refused_with_a_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let deep = String::from(
        "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } } } } } }",
    );
    let response = admin.gql(&deep, json!({})).await;
    assert_eq!(response.code(), "QUERY_TOO_COMPLEX", "{}", response.body);

    let page =
        "(first: 200) { edges { node { id subject senderName senderEmail preview documents { fileName sizeBytes }
                 matchedCandidate { fullName emails } jobOpening { title legalEntity { name } } } } }";
    let expensive = format!("{{ a: inboxItems{page} b: inboxItems{page} c: inboxItems{page} }}");
    let expensive = expensive.as_str();
    let response = admin.gql(expensive, json!({})).await;
    assert_eq!(response.code(), "QUERY_TOO_COMPLEX", "{}", response.body);
}

async fn oversized_bodies_and_garbage_get_clear_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let huge = json!({"query": "{ me { id } }", "variables": {"padding": "x".repeat(2 * 1024 * 1024)}}).to_string();
    let response = admin.post_raw("application/json", huge.into_bytes()).await;
    assert_eq!(response.status, 413);
    assert_eq!(response.code(), "PAYLOAD_TOO_LARGE");

    let response = admin.post_raw("application/json", b"{not json".to_vec()).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.code(), "INVALID_INPUT");

    let response = admin.gql("{ me { noSuchField } }", json!({})).await;
    assert_eq!(response.code(), "INVALID_INPUT");
    assert!(
        response.errors()[0]["message"]
            .as_str()
            .unwrap()
            .contains("noSuchField")
    );
}

async fn the_server_serves_the_app_for_client_routes_and_reports_health(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.anonymous();
    assert_eq!(client.get("/healthz").await.text().await.unwrap(), "ok");
    let page = client.get("/settings/users").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<title>Talentpost</title>"));
    let graphiql = client.get("/graphql").await;
    assert!(graphiql.text().await.unwrap().contains("graphiql"));
}

crate::on_both_databases!(
    deep_and_expensive_queries_are_refused_with_a_code,
    oversized_bodies_and_garbage_get_clear_errors,
    the_server_serves_the_app_for_client_routes_and_reports_health,
    batches_and_anonymous_uploads_are_refused,
);

async fn batches_and_anonymous_uploads_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let batch = json!([{"query": "{ me { id } }"}, {"query": "{ me { id } }"}]).to_string();
    let response = admin.post_raw("application/json", batch.into_bytes()).await;
    assert_eq!(
        (response.status.as_u16(), response.code().as_str()),
        (400, "INVALID_INPUT"),
        "{}",
        response.body
    );

    let upload = app
        .anonymous()
        .gql_multipart(
            "mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }",
            json!({"input": {"firstName": "A", "lastName": "B", "email": "a@b.de", "attachments": [null]}}),
            vec![("input.attachments.0", "cv.pdf", "application/pdf", vec![b'x'; 1024])],
        )
        .await;
    assert_eq!(
        (upload.status.as_u16(), upload.code().as_str()),
        (401, "UNAUTHENTICATED"),
        "{}",
        upload.body
    );
}
