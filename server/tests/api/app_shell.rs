//! How the server hands out the app: hashed files cached for good, the page and its
//! client routes revalidated, precompressed files served when accepted, a missing file
//! a 404 (not the app's HTML), API answers never cached; without a built app, a page
//! saying so (not a bare 404) until one is built there.

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

async fn without_a_built_app_browsers_are_told_and_a_later_build_is_served(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.web_dir = Some(config.data_dir.join("not-built"))
    })
    .await;
    let web = app.data_dir.path().join("not-built");
    let client = reqwest::Client::new();
    let page = client.get(format!("{}/inbox", app.address)).send().await.unwrap();
    assert_eq!(page.status(), 503);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        page.headers()
    );
    let text = page.text().await.unwrap();
    assert!(
        text.contains("nicht installiert") && text.contains("not installed"),
        "{text}"
    );
    assert!(
        !text.contains("not-built") && !text.contains("TALENTPOST_"),
        "no paths or settings: {text}"
    );
    let missing = client.get(format!("{}/favicon.ico", app.address)).send().await.unwrap();
    assert_eq!(missing.status(), 404, "a missing file stays a 404");

    // Built while the server runs: served from the next request on, no restart.
    std::fs::create_dir_all(&web).unwrap();
    std::fs::write(web.join("index.html"), "<!doctype html><title>Talentpost app</title>").unwrap();
    let page = client.get(format!("{}/inbox", app.address)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Talentpost app"));
}

crate::on_both_databases!(
    assets_are_cached_by_name_and_served_precompressed,
    without_a_built_app_browsers_are_told_and_a_later_build_is_served
);

/// The binary started from an empty folder, without TALENTPOST_WEB_DIR, serves the app
/// built into it: the app as `frontend/dist` held when it was compiled (the build script
/// recompiles the server after each app build). Compiled before any app build, it has
/// none, and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_its_built_in_app_from_any_folder() {
    use std::io::BufRead;
    let folder = tempfile::tempdir().unwrap();
    let port = crate::dovecot::free_ports::<1>()[0];
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_talentpost"))
        .arg("serve")
        .current_dir(folder.path())
        .env_remove("TALENTPOST_WEB_DIR")
        .env_remove("DATABASE_URL")
        .env("TALENTPOST_BIND", format!("127.0.0.1:{port}"))
        .env("TALENTPOST_DATA_DIR", folder.path().join("data"))
        .env("TALENTPOST_ADMIN_PASSWORD", "built-in-app-password")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let ready = tokio::task::spawn_blocking(move || {
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains("Talentpost is running"))
    });
    let ready = tokio::time::timeout(std::time::Duration::from_secs(30), ready).await;
    let page = reqwest::get(format!("http://127.0.0.1:{port}/inbox")).await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(matches!(ready, Ok(Ok(true))), "the server did not come up");
    let page = page.unwrap();
    let status = page.status();
    let text = page.text().await.unwrap();
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/dist/index.html");
    match std::fs::read_to_string(&built) {
        Ok(index) => {
            assert_eq!(status, 200);
            assert_eq!(text, index, "the app's page as built");
        }
        Err(_) => {
            assert_eq!(status, 503);
            assert!(text.contains("not installed"), "{text}");
        }
    }
}
