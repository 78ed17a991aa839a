//! Runtime configuration. Read once from `TALENTPOST_*` variables in `main` and then
//! passed down through the application state; nothing reads the environment later.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use talentpost_shared::MailSecurity;

fn parse_mail_security(text: &str) -> Result<MailSecurity, String> {
    MailSecurity::parse(text).ok_or_else(|| format!("\"{text}\" is not one of tls, starttls, none"))
}

/// A web origin as browsers send it in `Origin`: scheme, host and port, nothing else
/// (`https://careers.example.com`). The default port is left out, as browsers do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebOrigin(String);

impl WebOrigin {
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text.trim())
            .map_err(|error| format!("\"{text}\" is not an origin like https://example.com ({error})"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!("\"{text}\" is not an http or https origin"));
        }
        Ok(Self(url.origin().ascii_serialization()))
    }

    /// True when `host` (a `Host` header: name and optional port) is this origin's host.
    pub fn is_host(&self, host: &str) -> bool {
        let Ok(url) = url::Url::parse(&self.0) else {
            return false;
        };
        let Some(name) = url.host_str() else {
            return false;
        };
        let port = url.port_or_known_default();
        // "[::1]:8080" keeps its brackets, as `host_str` does; "[::1]" has no port.
        let split = if host.starts_with('[') {
            host.rfind("]:").map(|at| (&host[..=at], &host[at + 2..]))
        } else {
            host.rsplit_once(':')
        };
        let (host_name, host_port) = match split {
            Some((name, port)) => (name, port.parse::<u16>().ok()),
            None => (host, None),
        };
        let host_port = host_port.or(port);
        host_name.eq_ignore_ascii_case(name) && host_port == port
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A comma-separated list of origins; empty entries (an empty variable, a trailing
/// comma in an env file) mean nothing, a malformed one stops the start with its text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebOrigins(pub Vec<WebOrigin>);

impl WebOrigins {
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(WebOrigin::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

/// Where an S3-compatible store keeps the stored files: `s3://bucket/prefix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Folder inside the bucket, without slashes at either end; may be empty.
    pub prefix: String,
}

impl S3Location {
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text.trim().strip_prefix("s3://").ok_or_else(|| {
            format!("TALENTPOST_BLOB_STORE must look like s3://bucket/prefix (or be unset for the data folder), not {text:?}")
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        // S3's bucket naming rules, which MinIO, Ceph and Garage share.
        let bucket_valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !bucket_valid {
            return Err(format!(
                "TALENTPOST_BLOB_STORE: {bucket:?} is not a bucket name (3 to 63 of a-z, 0-9, '-' and '.')"
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix
            .split('/')
            .any(|part| part == "." || part == ".." || (part.is_empty() && !prefix.is_empty()))
        {
            return Err(format!(
                "TALENTPOST_BLOB_STORE: the prefix {prefix:?} has an empty, '.' or '..' part"
            ));
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

impl std::fmt::Display for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// How to reach the S3 store, in the variables every S3 tool reads.
#[derive(Clone, Args)]
pub struct S3Settings {
    /// The S3 region.
    #[arg(long = "s3-region", env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,

    /// The store's address when it is not AWS (MinIO, Ceph RGW, Garage), e.g.
    /// https://s3.example.internal:9000. An http:// address is used without TLS.
    #[arg(long = "s3-endpoint", env = "AWS_ENDPOINT_URL")]
    pub endpoint: Option<String>,

    /// Access key; without one, the machine's role (instance metadata) is asked.
    #[arg(long = "s3-access-key-id", env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub access_key_id: Option<String>,

    #[arg(long = "s3-secret-access-key", env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub secret_access_key: Option<String>,

    #[arg(long = "s3-session-token", env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    pub session_token: Option<String>,
}

impl Default for S3Settings {
    fn default() -> Self {
        Self {
            region: "us-east-1".to_owned(),
            endpoint: None,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
        }
    }
}

#[derive(Clone, Args)]
pub struct Config {
    /// Address the HTTP server listens on (API, WebSocket and the web app).
    #[arg(long, env = "TALENTPOST_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Folder for the SQLite database, stored files and the generated secret key.
    #[arg(long, env = "TALENTPOST_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Where stored files (raw mails, attachments, documents) go. Unset: `blobs/` in the
    /// data folder. `s3://bucket/prefix`: an S3-compatible store, which processes on
    /// several machines share (AWS S3, MinIO, Ceph RGW, Garage); see the AWS_* settings.
    #[arg(long, env = "TALENTPOST_BLOB_STORE", value_parser = S3Location::parse)]
    pub blob_store: Option<S3Location>,

    #[command(flatten)]
    pub s3: S3Settings,

    /// Database connection. Defaults to the SQLite file `talentpost.db` in the data folder.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Folder with a built web app (`trunk build` output) to serve instead of the one
    /// built into the binary; for development, where the app is rebuilt while the server runs.
    #[arg(long, env = "TALENTPOST_WEB_DIR")]
    pub web_dir: Option<PathBuf>,

    /// 32-byte key for secrets at rest, base64 or hex. Generated into the data folder when unset.
    #[arg(long, env = "TALENTPOST_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// E-mail address of the first administrator, used only when the database has no users.
    #[arg(long, env = "TALENTPOST_ADMIN_EMAIL", default_value = "admin@talentpost.localhost")]
    pub admin_email: String,

    /// Password of the first administrator; a one-time password is generated and printed when unset.
    #[arg(long, env = "TALENTPOST_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Name of the organisation created on first start (also the name of its main legal entity).
    #[arg(long, env = "TALENTPOST_ORGANISATION_NAME", default_value = "Meine Firma GmbH")]
    pub organisation_name: String,

    /// Largest single upload (attachments of an online application), in bytes.
    #[arg(long, env = "TALENTPOST_MAX_UPLOAD_BYTES", default_value_t = 25 * 1024 * 1024)]
    pub max_upload_bytes: usize,

    /// Applications one client (IP address) may send through the public form per minute.
    #[arg(long, env = "TALENTPOST_PUBLIC_FORM_PER_MINUTE", default_value_t = 10)]
    pub public_form_per_minute: u32,

    /// Behind a reverse proxy: take the client's address for rate limits from the last
    /// entry of `X-Forwarded-For` (only set this when the proxy always sets it).
    #[arg(long, env = "TALENTPOST_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,

    /// Requests per minute one webhook key (SMS provider) or form key may make in all.
    #[arg(long, env = "TALENTPOST_INTAKE_KEY_PER_MINUTE", default_value_t = 600)]
    pub intake_key_per_minute: u32,

    /// Largest job-agency import request (applicant profiles with Base64 files), in bytes.
    #[arg(long, env = "TALENTPOST_MAX_AGENCY_IMPORT_BYTES", default_value_t = 100 * 1024 * 1024)]
    pub max_agency_import_bytes: usize,

    /// Largest mail that is parsed; larger mail is kept raw and shown as "too large".
    #[arg(long, env = "TALENTPOST_MAX_MAIL_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_mail_bytes: usize,

    /// Domain of the legal entities' intake addresses (`intake+<id>@<domain>`), to which
    /// companies redirect application mail.
    #[arg(
        long,
        env = "TALENTPOST_INTAKE_DOMAIN",
        default_value = "intake.talentpost.localhost"
    )]
    pub intake_domain: String,

    /// Seconds between polls of a mailbox, also under IDLE, as a safety net.
    #[arg(long, env = "TALENTPOST_MAIL_POLL_SECONDS", default_value_t = 120)]
    pub mail_poll_seconds: u64,

    /// Longest wait, in seconds, before a failing mail account is tried again (the
    /// wait doubles from 2 seconds up to this).
    #[arg(long, env = "TALENTPOST_MAIL_RETRY_MAX_SECONDS", default_value_t = 300)]
    pub mail_retry_max_seconds: u64,

    /// Run the inbound mail sync workers in this process.
    #[arg(long, env = "TALENTPOST_MAIL_WORKERS", default_value_t = true, action = clap::ArgAction::Set)]
    pub mail_workers: bool,

    /// Seconds a process holds a mailbox without renewing (it renews every third of
    /// that). With several processes on one database each mailbox is synced by one;
    /// when that process dies, another takes the mailbox over after this long.
    #[arg(long, env = "TALENTPOST_MAILBOX_LEASE_SECONDS", default_value_t = 30)]
    pub mailbox_lease_seconds: u64,

    /// Run the outbox worker (sends queued mail) in this process.
    #[arg(long, env = "TALENTPOST_OUTBOX_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub outbox_worker: bool,

    /// Seconds before the first retry of a mail the server deferred (4xx) or could not
    /// be reached for; the wait doubles with every attempt.
    #[arg(long, env = "TALENTPOST_OUTBOX_RETRY_SECONDS", default_value_t = 60)]
    pub outbox_retry_seconds: u64,

    /// Longest wait between two attempts, in seconds.
    #[arg(long, env = "TALENTPOST_OUTBOX_RETRY_MAX_SECONDS", default_value_t = 3600)]
    pub outbox_retry_max_seconds: u64,

    /// Hours a mail is retried before it fails for good.
    #[arg(long, env = "TALENTPOST_OUTBOX_MAX_AGE_HOURS", default_value_t = 48)]
    pub outbox_max_age_hours: u64,

    /// Seconds after which a mail claimed by a worker that vanished (crash, kill) is
    /// taken over by another; longer than any single send may take.
    #[arg(long, env = "TALENTPOST_OUTBOX_LEASE_SECONDS", default_value_t = 300)]
    pub outbox_lease_seconds: u64,

    /// Largest outgoing mail with its attachments, in bytes.
    #[arg(long, env = "TALENTPOST_MAX_OUTGOING_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub max_outgoing_bytes: usize,

    /// Sender address of mail sent through the built-in channel when a legal entity
    /// has no sender of its own.
    #[arg(
        long,
        env = "TALENTPOST_SYSTEM_SENDER",
        default_value = "talentpost@talentpost.localhost"
    )]
    pub system_sender: String,

    /// SMTP relay of the built-in channel. Without it, mail of the built-in channel is
    /// written to the drop folder `outbox-drop` in the data folder.
    #[arg(long, env = "TALENTPOST_SMTP_RELAY_HOST")]
    pub smtp_relay_host: Option<String>,

    #[arg(long, env = "TALENTPOST_SMTP_RELAY_PORT", default_value_t = 587)]
    pub smtp_relay_port: u16,

    /// `tls`, `starttls` or `none`.
    #[arg(long, env = "TALENTPOST_SMTP_RELAY_SECURITY", default_value = "starttls", value_parser = parse_mail_security)]
    pub smtp_relay_security: MailSecurity,

    #[arg(long, env = "TALENTPOST_SMTP_RELAY_USERNAME")]
    pub smtp_relay_username: Option<String>,

    #[arg(long, env = "TALENTPOST_SMTP_RELAY_PASSWORD", hide_env_values = true)]
    pub smtp_relay_password: Option<String>,

    #[arg(long, env = "TALENTPOST_SMTP_RELAY_ACCEPT_INVALID_CERTS", default_value_t = false, action = clap::ArgAction::Set)]
    pub smtp_relay_accept_invalid_certs: bool,

    /// Hours a login session stays valid.
    #[arg(long, env = "TALENTPOST_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: i64,

    /// Run the nurturing scheduler (plans and dispatches nurturing jobs) in this process.
    #[arg(long, env = "TALENTPOST_NURTURING_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub nurturing_worker: bool,

    /// Seconds a process may take to dispatch a nurturing run before another takes it over.
    #[arg(long, env = "TALENTPOST_NURTURING_LEASE_SECONDS", default_value_t = 300)]
    pub nurturing_lease_seconds: u64,

    /// Bearer token `GET /metrics` on the main port asks for. Without it (and without
    /// TALENTPOST_METRICS_BIND) the main port has no /metrics.
    #[arg(long, env = "TALENTPOST_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// A second address that serves only /metrics, without a token: for a monitoring
    /// network or loopback, e.g. `127.0.0.1:9464`.
    #[arg(long, env = "TALENTPOST_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

    /// Seconds between sweeps of the file store, which delete stored files nothing refers
    /// to any more (a minimised candidate's CV, say). One process of several sweeps. 0: no
    /// periodic sweep (`talentpost sweep-blobs` still works).
    #[arg(long, env = "TALENTPOST_BLOB_SWEEP_INTERVAL_SECONDS", default_value_t = 3600)]
    pub blob_sweep_interval_seconds: u64,

    /// Seconds a file nothing refers to is kept after it was stored: an ingest stores its
    /// files before the rows that refer to them are committed. Far longer than any ingest.
    /// At least 600: less could delete the files of an ingest still writing its rows.
    #[arg(long, env = "TALENTPOST_BLOB_SWEEP_GRACE_SECONDS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(600..))]
    pub blob_sweep_grace_seconds: u64,

    /// For tests and demos only: the clock of schedules and candidate queries can be set
    /// by an administrator through `POST /api/test/clock`. Never in production.
    #[arg(long, env = "TALENTPOST_TEST_CLOCK", default_value_t = false, action = clap::ArgAction::Set, hide = true)]
    pub test_clock: bool,

    /// Mark the session cookie `Secure` (set when served behind HTTPS).
    #[arg(long, env = "TALENTPOST_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// The address browsers use to reach Talentpost, e.g. https://talentpost.example.com.
    /// Google and Microsoft send admins back to <this>/api/oauth/callback, which must be
    /// registered there as redirect URI. Default: http:// and the bound address.
    #[arg(long, env = "TALENTPOST_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Further web origins whose pages may use a signed-in session (comma-separated,
    /// e.g. https://ats.example.com). Requests with an `Origin` that is neither this
    /// nor the public address are refused when they carry the session cookie.
    #[arg(long, env = "TALENTPOST_ALLOWED_ORIGINS", value_parser = WebOrigins::parse, default_value = "")]
    pub allowed_origins: WebOrigins,
}

impl Config {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("talentpost.db").display()),
        }
    }

    /// The drop folder of the built-in channel when no relay is configured.
    pub fn drop_folder(&self) -> PathBuf {
        self.data_dir.join("outbox-drop")
    }

    /// A configuration for tests and tools: everything under `data_dir`, port chosen by the OS.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            web_dir: Some(data_dir.join("web")),
            data_dir,
            blob_store: None,
            s3: S3Settings::default(),
            database_url: None,
            secret_key: None,
            admin_email: "admin@talentpost.localhost".to_owned(),
            admin_password: None,
            organisation_name: "Meine Firma GmbH".to_owned(),
            max_upload_bytes: 25 * 1024 * 1024,
            max_mail_bytes: 50 * 1024 * 1024,
            public_form_per_minute: 10,
            trust_proxy: false,
            intake_key_per_minute: 600,
            max_agency_import_bytes: 100 * 1024 * 1024,
            intake_domain: "intake.talentpost.localhost".to_owned(),
            mail_poll_seconds: 120,
            mail_retry_max_seconds: 300,
            mail_workers: true,
            mailbox_lease_seconds: 30,
            outbox_worker: true,
            outbox_retry_seconds: 60,
            outbox_retry_max_seconds: 3600,
            outbox_max_age_hours: 48,
            outbox_lease_seconds: 300,
            max_outgoing_bytes: 20 * 1024 * 1024,
            system_sender: "talentpost@talentpost.localhost".to_owned(),
            smtp_relay_host: None,
            smtp_relay_port: 587,
            smtp_relay_security: MailSecurity::Starttls,
            smtp_relay_username: None,
            smtp_relay_password: None,
            smtp_relay_accept_invalid_certs: false,
            session_hours: 12,
            secure_cookies: false,
            public_url: None,
            allowed_origins: WebOrigins::default(),
            nurturing_worker: true,
            nurturing_lease_seconds: 300,
            metrics_token: None,
            metrics_bind: None,
            blob_sweep_interval_seconds: 3600,
            blob_sweep_grace_seconds: 3600,
            test_clock: false,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets or a database URL that may carry a password.
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("blob_store", &self.blob_store.as_ref().map(ToString::to_string))
            .field("database", &self.database_url.as_ref().map(|_| "<set>"))
            .field("web_dir", &self.web_dir)
            .field("admin_email", &self.admin_email)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod origin_tests {
    use super::*;

    #[test]
    fn origin_lists_ignore_empty_entries_and_name_bad_ones() {
        assert_eq!(WebOrigins::parse(""), Ok(WebOrigins::default()));
        let list = WebOrigins::parse(" https://ats.example.com/path, ,http://LOCALHOST:8080,").unwrap();
        let texts: Vec<&str> = list.0.iter().map(WebOrigin::as_str).collect();
        assert_eq!(texts, ["https://ats.example.com", "http://localhost:8080"]);
        let error = WebOrigins::parse("https://ok.example, ats example").unwrap_err();
        assert!(error.contains("ats example"), "{error}");
        assert!(WebOrigins::parse("ftp://files.example").is_err());
    }

    #[test]
    fn blob_store_locations_name_bucket_and_prefix_or_what_is_wrong() {
        let location = S3Location::parse("s3://talentpost-files/prod/blobs/").unwrap();
        assert_eq!(
            (location.bucket.as_str(), location.prefix.as_str()),
            ("talentpost-files", "prod/blobs")
        );
        assert_eq!(S3Location::parse("s3://files").unwrap().prefix, "");
        assert!(
            S3Location::parse("/var/lib/files")
                .unwrap_err()
                .contains("s3://bucket/prefix")
        );
        assert!(S3Location::parse("s3://Files/x").unwrap_err().contains("\"Files\""));
        assert!(S3Location::parse("s3://files/a//b").is_err());
        assert!(S3Location::parse("s3://files/../b").is_err());
    }
}
