//! How the server hands out the app: hashed files cached for good, the page and its
//! client routes revalidated, precompressed files served when accepted, a missing file
//! a 404 (not the app's HTML), API answers never cached.

use serde_json::json;

use crate::helpers::{Backend, TestApp};

async fn assets_are_cached_by_name_and_served_precompressed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let web = app.data_dir.path().join("web");
    std::fs::write(web.join("style-0123456789abcdef.css"), "body{}").unwrap();
    std::fs::write(web.join("style-0123456789abcdef.css.br"), b"\x0b\x02\x80body{}\x03").unwrap();
    let client = reqwest::Client::new();
    let get = |path: &str, encoding: Option<&str>| {
        let mut request = client.get(format!("{}{path}", app.address));
        if let Some(encoding) = encoding {
            request = request.header("accept-encoding", encoding);
        }
        request.send()
    };
    let header = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };

    let asset = get("/style-0123456789abcdef.css", None).await.unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(
        header(&asset, "cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    let compressed = get("/style-0123456789abcdef.css", Some("br")).await.unwrap();
    assert_eq!(
        header(&compressed, "content-encoding").as_deref(),
        Some("br"),
        "the build's brotli copy"
    );
    assert_eq!(compressed.bytes().await.unwrap().as_ref(), b"\x0b\x02\x80body{}\x03");

    for page in ["/", "/inbox", "/candidates/12"] {
        let response = get(page, None).await.unwrap();
        assert_eq!(response.status(), 200, "{page}");
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("no-cache"),
            "{page}"
        );
        assert!(
            response.text().await.unwrap().contains("<title>Talentpost</title>"),
            "{page} is the app"
        );
    }
    let missing = get("/favicon.ico", None).await.unwrap();
    assert_eq!(missing.status(), 404, "a missing file is not the app's HTML");

    let api = client
        .post(format!("{}/graphql", app.address))
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&api, "cache-control").as_deref(), Some("no-store"));
    let health = get("/healthz", None).await.unwrap();
    assert_eq!(header(&health, "cache-control").as_deref(), Some("no-store"));
}

crate::on_both_databases!(assets_are_cached_by_name_and_served_precompressed);
