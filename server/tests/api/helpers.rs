//! Spawns Talentpost on port 0 with a fresh database and talks to it as clients do.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use reqwest::multipart;
use serde_json::{Value, json};
use talentpost_server::app::Application;
use talentpost_server::config::Config;
use tokio::sync::oneshot;

pub const ADMIN_EMAIL: &str = "admin@example.test";
pub const ADMIN_PASSWORD: &str = "admin-password-123";

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one test per database backend from an async fn taking a `Backend`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )+
        }
    };
}

pub struct TestApp {
    pub address: String,
    pub data_dir: tempfile::TempDir,
    pub database_url: String,
    /// The separate metrics address, when the test asked for one.
    pub metrics_address: Option<std::net::SocketAddr>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
    }
}

static DATABASE_COUNTER: AtomicU32 = AtomicU32::new(0);

/// The PostgreSQL server the test command provides (started by scripts/test if needed).
fn postgres_admin_url() -> String {
    std::env::var("TALENTPOST_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

async fn fresh_postgres_database() -> String {
    use sea_orm::{ConnectionTrait, Database};
    let admin_url = postgres_admin_url();
    let name = format!(
        "tp_test_{}_{}_{}",
        std::process::id(),
        DATABASE_COUNTER.fetch_add(1, Ordering::SeqCst),
        rand_suffix()
    );
    let admin = Database::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is needed for this test (scripts/test starts it): {e}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let (base, _) = admin_url.rsplit_once('/').expect("database URL has a path");
    format!("{base}/{name}")
}

fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    hasher.finish() as u32
}

pub async fn database_url(backend: Backend, data_dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", data_dir.join("test.db").display()),
        Backend::Postgres => fresh_postgres_database().await,
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::for_data_dir(data_dir.path().to_path_buf());
        config.database_url = Some(database_url(backend, data_dir.path()).await);
        config.admin_email = ADMIN_EMAIL.to_owned();
        config.admin_password = Some(ADMIN_PASSWORD.to_owned());
        config.secret_key = Some(KEY_HEX.to_owned());
        let web_dir = config.data_dir.join("web");
        config.web_dir = Some(web_dir.clone());
        std::fs::create_dir_all(&web_dir).expect("web dir");
        std::fs::write(web_dir.join("index.html"), "<!doctype html><title>Talentpost</title>").expect("index");
        adjust(&mut config);
        let database_url = config.database_url();
        let app = Application::build(config).await.expect("application starts");
        let address = format!("http://{}", app.address);
        let metrics_address = app.metrics_address;
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Self {
            address,
            data_dir,
            database_url,
            metrics_address,
            shutdown: Some(shutdown),
        }
    }

    pub fn ws_url(&self) -> String {
        format!("{}/graphql/ws", self.address.replacen("http", "ws", 1))
    }

    /// A client with its own cookie jar, not signed in.
    pub fn anonymous(&self) -> Client {
        Client::new(&self.address, None)
    }

    pub async fn login(&self, email: &str, password: &str) -> Client {
        let client = self.anonymous();
        let response = client
            .gql(
                "mutation($input: LoginInput!) { login(input: $input) { id } }",
                json!({"input": {"email": email, "password": password}}),
            )
            .await;
        assert!(
            response.errors().is_empty(),
            "login of {email} failed: {:?}",
            response.body
        );
        client
    }

    pub async fn admin(&self) -> Client {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    pub fn with_token(&self, token: &str) -> Client {
        Client::new(&self.address, Some(token.to_owned()))
    }
}

pub struct Client {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

pub struct GqlResponse {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl GqlResponse {
    pub fn errors(&self) -> Vec<Value> {
        self.body["errors"].as_array().cloned().unwrap_or_default()
    }

    /// The `extensions.code` of the first error, or "OK" when there is none.
    pub fn code(&self) -> String {
        self.errors()
            .first()
            .map(|e| e["extensions"]["code"].as_str().unwrap_or("<no code>").to_owned())
            .unwrap_or_else(|| "OK".to_owned())
    }

    pub fn field(&self) -> Option<String> {
        self.errors()
            .first()
            .and_then(|e| e["extensions"]["field"].as_str().map(str::to_owned))
    }

    /// The data, asserting that there was no error.
    pub fn data(&self) -> &Value {
        assert!(self.errors().is_empty(), "unexpected errors: {}", self.body);
        &self.body["data"]
    }
}

impl Client {
    /// A client for a server started outside `TestApp` (a real process).
    pub fn for_address(base: &str) -> Self {
        Self::new(base, None)
    }

    fn new(base: &str, token: Option<String>) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Self {
            base: base.to_owned(),
            http,
            token,
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn gql(&self, query: &str, variables: Value) -> GqlResponse {
        let response = self
            .request(reqwest::Method::POST, "/graphql")
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .expect("request sent");
        Self::read(response).await
    }

    pub async fn post_raw(&self, content_type: &str, body: Vec<u8>) -> GqlResponse {
        let response = self
            .request(reqwest::Method::POST, "/graphql")
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent");
        Self::read(response).await
    }

    /// A GraphQL multipart request: `files` map to `variables.<path>` in order.
    pub async fn gql_multipart(
        &self,
        query: &str,
        variables: Value,
        files: Vec<(&str, &str, &str, Vec<u8>)>,
    ) -> GqlResponse {
        let mut map = serde_json::Map::new();
        let mut form = multipart::Form::new().text(
            "operations",
            json!({"query": query, "variables": variables}).to_string(),
        );
        for (index, (path, _, _, _)) in files.iter().enumerate() {
            map.insert(index.to_string(), json!([format!("variables.{path}")]));
        }
        form = form.text("map", Value::Object(map).to_string());
        for (index, (_, name, content_type, bytes)) in files.into_iter().enumerate() {
            let part = multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str(content_type)
                .expect("mime");
            form = form.part(index.to_string(), part);
        }
        let response = self
            .request(reqwest::Method::POST, "/graphql")
            .multipart(form)
            .send()
            .await
            .expect("request sent");
        Self::read(response).await
    }

    /// A plain HTTP POST with a raw body (the mail intake).
    pub async fn post_bytes(&self, path: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
        self.request(reqwest::Method::POST, path)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    /// A plain HTTP POST of a multipart form (the public application form).
    pub async fn post_form(&self, path: &str, form: multipart::Form) -> reqwest::Response {
        self.request(reqwest::Method::POST, path)
            .multipart(form)
            .send()
            .await
            .expect("request sent")
    }

    /// A plain HTTP POST with extra headers (signed webhooks).
    pub async fn post_with_headers(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> reqwest::Response {
        let mut request = self
            .request(reqwest::Method::POST, path)
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.body(body).send().await.expect("request sent")
    }

    /// Sets the server's clock (a server spawned with `config.test_clock`; admins only),
    /// so a test does not depend on the day it runs.
    pub async fn set_clock(&self, at: chrono::DateTime<chrono::Utc>) {
        let response = self
            .post_with_headers(
                "/api/test/clock",
                &[],
                json!({"now": at.to_rfc3339()}).to_string().into_bytes(),
            )
            .await;
        assert!(
            response.status().is_success(),
            "setting the clock of {} failed: {}",
            self.base,
            response.status()
        );
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("request sent")
    }

    async fn read(response: reqwest::Response) -> GqlResponse {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({"raw": text}));
        GqlResponse { status, headers, body }
    }
}

/// Waits for a condition with a deadline instead of sleeping a fixed time.
pub async fn within<T>(limit: Duration, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(limit, future)
        .await
        .expect("did not happen within the deadline")
}

pub fn id(value: &Value) -> String {
    value.as_str().expect("id is a string").to_owned()
}

/// The secret key TestApp's servers use, for a `talentpost` command on their data.
pub const KEY_HEX: &str = "1111111111111111111111111111111111111111111111111111111111111111";

/// Runs `talentpost <command>` against the app's database and data folder.
pub fn cli(app: &TestApp, command: &str) -> (i32, String) {
    cli_with(app, &[command], &[])
}

/// `cli` with arguments and further settings (an S3 store's, say).
pub fn cli_with(app: &TestApp, args: &[&str], env: &[(&str, String)]) -> (i32, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_talentpost"))
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("TALENTPOST_DATA_DIR", app.data_dir.path())
        .env("TALENTPOST_SECRET_KEY", KEY_HEX)
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
}
