//! A real S3 protocol server: `s3s-fs`, which keeps each bucket as a folder, started per
//! test on a loopback port the OS chooses. `scripts/test` installs it (crates.io).

#![allow(dead_code)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use talentpost_server::config::{Config, S3Location, S3Settings};

pub const BUCKET: &str = "talentpost";
const ACCESS_KEY: &str = "talentpost-test";
const SECRET_KEY: &str = "talentpost-test-secret";

pub struct S3Server {
    root: tempfile::TempDir,
    child: Child,
    pub endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    /// Starts s3s-fs with an empty bucket and waits for the line saying where it listens.
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(root.path().join(BUCKET)).expect("bucket folder");
        let mut child = Command::new("s3s-fs")
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("s3s-fs could not start ({e}); scripts/test installs it"));
        let stdout = child.stdout.take().expect("stdout");
        let listening = tokio::task::spawn_blocking(move || {
            let mut lines = std::io::BufReader::new(stdout).lines();
            let address = lines.by_ref().map_while(Result::ok).find_map(|line| {
                line.split_once("server is running at ")
                    .map(|(_, at)| at.trim().to_owned())
            });
            // Keep reading, so the server never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            address
        });
        let endpoint = tokio::time::timeout(Duration::from_secs(30), listening)
            .await
            .expect("s3s-fs said within 30 s where it listens")
            .expect("reader")
            .expect("s3s-fs printed its address");
        Self { root, child, endpoint }
    }

    /// The settings that point a server at `s3://talentpost/<prefix>` here.
    pub fn configure(&self, config: &mut Config, prefix: &str) {
        config.blob_store = Some(S3Location {
            bucket: BUCKET.to_owned(),
            prefix: prefix.to_owned(),
        });
        config.s3 = S3Settings {
            endpoint: Some(self.endpoint.clone()),
            access_key_id: Some(ACCESS_KEY.to_owned()),
            secret_access_key: Some(SECRET_KEY.to_owned()),
            ..S3Settings::default()
        };
    }

    /// The same as environment variables, for the `talentpost` binary.
    pub fn env(&self, prefix: &str) -> Vec<(&'static str, String)> {
        vec![
            ("TALENTPOST_BLOB_STORE", format!("s3://{BUCKET}/{prefix}")),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
        ]
    }

    /// Where s3s-fs keeps the object a store under `prefix` names after `sha256`.
    pub fn object_path(&self, prefix: &str, sha256: &str) -> PathBuf {
        self.prefix_folder(prefix).join(&sha256[..2]).join(sha256)
    }

    pub fn prefix_folder(&self, prefix: &str) -> PathBuf {
        self.root.path().join(BUCKET).join(prefix)
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }
}
