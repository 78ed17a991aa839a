use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp};

async fn login_sets_a_strict_http_only_cookie_and_logout_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.anonymous();
    let login = client
        .gql(
            "mutation($i: LoginInput!) { login(input: $i) { email role } }",
            json!({"i": {"email": ADMIN_EMAIL.to_uppercase(), "password": ADMIN_PASSWORD}}),
        )
        .await;
    assert_eq!(login.data()["login"]["role"], "ADMIN");
    let cookie = login
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.starts_with("tp_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    assert_eq!(
        client.gql("{ me { email } }", json!({})).await.data()["me"]["email"],
        ADMIN_EMAIL
    );
    client.gql("mutation { logout }", json!({})).await.data();
    assert_eq!(
        client.gql("{ me { email } }", json!({})).await.code(),
        "UNAUTHENTICATED"
    );
}

async fn wrong_password_and_unknown_user_get_the_same_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.anonymous();
    let query = "mutation($i: LoginInput!) { login(input: $i) { id } }";
    let wrong = client
        .gql(
            query,
            json!({"i": {"email": ADMIN_EMAIL, "password": "wrong-password"}}),
        )
        .await;
    let unknown = client
        .gql(
            query,
            json!({"i": {"email": "nobody@example.test", "password": "wrong-password"}}),
        )
        .await;
    assert_eq!(wrong.code(), "INVALID_CREDENTIALS");
    assert_eq!(unknown.code(), "INVALID_CREDENTIALS");
    assert_eq!(wrong.errors()[0]["message"], unknown.errors()[0]["message"]);
    assert!(wrong.headers.get("set-cookie").is_none());
}

async fn api_tokens_are_shown_once_work_as_bearer_and_stop_after_revocation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let created = admin
        .gql(
            "mutation { createApiToken(name: \"Karriereseite\") { token apiToken { id prefix } } }",
            json!({}),
        )
        .await;
    let token = created.data()["createApiToken"]["token"].as_str().unwrap().to_owned();
    let token_id = created.data()["createApiToken"]["apiToken"]["id"].clone();
    assert!(token.starts_with(created.data()["createApiToken"]["apiToken"]["prefix"].as_str().unwrap()));

    // Listing never shows the secret again.
    let listed = admin
        .gql("{ apiTokens { id name prefix lastUsedAt } }", json!({}))
        .await;
    assert!(!listed.body.to_string().contains(&token));

    let script = app.with_token(&token);
    assert_eq!(
        script.gql("{ me { email } }", json!({})).await.data()["me"]["email"],
        ADMIN_EMAIL
    );
    let listed = admin.gql("{ apiTokens { lastUsedAt } }", json!({})).await;
    assert!(
        listed.data()["apiTokens"][0]["lastUsedAt"].is_string(),
        "use is recorded"
    );

    admin
        .gql(
            "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
            json!({"id": token_id}),
        )
        .await
        .data();
    assert_eq!(
        script.gql("{ me { email } }", json!({})).await.code(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.with_token("tpat_made_up")
            .gql("{ me { email } }", json!({}))
            .await
            .code(),
        "UNAUTHENTICATED"
    );
}

async fn deactivated_users_lose_their_sessions_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let user_id = crate::fixtures::create_user(&admin, "leaving@example.test", "RECRUITER", &[]).await;
    let leaving = app.login("leaving@example.test", crate::fixtures::PASSWORD).await;
    assert_eq!(leaving.gql("{ me { email } }", json!({})).await.code(), "OK");
    admin
        .gql(
            "mutation($id: ID!) { updateUser(id: $id, input: {active: false}) { active } }",
            json!({"id": user_id}),
        )
        .await
        .data();
    assert_eq!(
        leaving.gql("{ me { email } }", json!({})).await.code(),
        "UNAUTHENTICATED"
    );
    let again = app
        .anonymous()
        .gql(
            "mutation { login(input: {email: \"leaving@example.test\", password: \"user-password-123\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(again.code(), "INVALID_CREDENTIALS");
}

async fn a_new_password_ends_existing_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let user_id = crate::fixtures::create_user(&admin, "moving@example.test", "RECRUITER", &[]).await;
    let old_session = app.login("moving@example.test", crate::fixtures::PASSWORD).await;
    admin
        .gql(
            "mutation($id: ID!) { updateUser(id: $id, input: {password: \"brand-new-password\"}) { id } }",
            json!({"id": user_id}),
        )
        .await
        .data();
    assert_eq!(
        old_session.gql("{ me { email } }", json!({})).await.code(),
        "UNAUTHENTICATED"
    );
    app.login("moving@example.test", "brand-new-password").await;
}

async fn the_last_admin_cannot_be_demoted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let me = admin.gql("{ me { id } }", json!({})).await;
    let response = admin
        .gql(
            "mutation($id: ID!) { updateUser(id: $id, input: {role: RECRUITER}) { id } }",
            json!({"id": me.data()["me"]["id"]}),
        )
        .await;
    assert_eq!(response.code(), "CONFLICT");
    assert_eq!(response.field().as_deref(), Some("role"));
}

crate::on_both_databases!(
    login_sets_a_strict_http_only_cookie_and_logout_ends_the_session,
    wrong_password_and_unknown_user_get_the_same_answer,
    api_tokens_are_shown_once_work_as_bearer_and_stop_after_revocation,
    deactivated_users_lose_their_sessions_at_once,
    a_new_password_ends_existing_sessions,
    the_last_admin_cannot_be_demoted,
    repeated_wrong_passwords_lock_the_account_for_a_while,
);

async fn repeated_wrong_passwords_lock_the_account_for_a_while(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.anonymous();
    let query = "mutation($i: LoginInput!) { login(input: $i) { id } }";
    for _ in 0..5 {
        let wrong = client
            .gql(query, json!({"i": {"email": ADMIN_EMAIL, "password": "guess-guess"}}))
            .await;
        assert_eq!(wrong.code(), "INVALID_CREDENTIALS");
    }
    let right = client
        .gql(query, json!({"i": {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}}))
        .await;
    assert_eq!(right.code(), "TOO_MANY_ATTEMPTS", "{}", right.body);
    assert!(right.errors()[0]["message"].as_str().unwrap().contains("try again"));
}
