//! `/readyz` for a load balancer or an orchestrator: ready only while the database
//! answers with exactly this release's schema and the file store takes files; otherwise
//! 503 naming the check, without paths. `/healthz` (liveness) stays "ok" throughout.

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::Value;

use crate::helpers::{Backend, TestApp};

async fn readiness(app: &TestApp) -> (u16, Value) {
    let response = app.anonymous().get("/readyz").await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("readiness is JSON"))
}

async fn ready_only_with_this_releases_schema_and_a_writable_file_store(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["blobs"], "ok");

    // A migration this release has is missing in the database (a rollback by hand, an
    // older process's `down`): not ready, and it says which.
    let db = Database::connect(&app.database_url).await.unwrap();
    let backend_kind = db.get_database_backend();
    let newest = db
        .query_one_raw(Statement::from_string(
            backend_kind,
            "SELECT version, applied_at FROM seaql_migrations ORDER BY version DESC LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap();
    let version: String = newest.try_get("", "version").unwrap();
    let applied_at: i64 = newest.try_get("", "applied_at").unwrap();
    db.execute_raw(Statement::from_string(
        backend_kind,
        format!("DELETE FROM seaql_migrations WHERE version = '{version}'"),
    ))
    .await
    .unwrap();
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not ready");
    let database = body["checks"]["database"].as_str().unwrap();
    assert!(database.contains(&version), "{database}");
    assert_eq!(body["checks"]["blobs"], "ok");
    db.execute_raw(Statement::from_string(
        backend_kind,
        format!("INSERT INTO seaql_migrations (version, applied_at) VALUES ('{version}', {applied_at})"),
    ))
    .await
    .unwrap();
    assert_eq!(readiness(&app).await.0, 200);

    // The file store cannot take files (here its folder is a file): not ready, without
    // the path in the unauthenticated answer.
    let blobs = app.data_dir.path().join("blobs");
    std::fs::remove_dir_all(&blobs).unwrap();
    std::fs::write(&blobs, b"not a folder").unwrap();
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["blobs"], "the file store cannot be written");
    assert!(!body.to_string().contains(&app.data_dir.path().display().to_string()));
    let health = app.anonymous().get("/healthz").await;
    assert_eq!(health.status(), 200, "liveness does not depend on readiness");
    std::fs::remove_file(&blobs).unwrap();
    assert_eq!(readiness(&app).await.0, 200);
}

crate::on_both_databases!(ready_only_with_this_releases_schema_and_a_writable_file_store);
