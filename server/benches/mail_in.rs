//! Mail-in benchmark: fills a real Dovecot with 10,000 mails of realistic sizes (a
//! third with a 100–300 KB PDF-like attachment), then measures in one run
//! - a bare `UID FETCH 1:* BODY.PEEK[]` of the folder by a plain client, and
//! - Talentpost's first sync of the same folder (release binary, SQLite by default,
//!   `BENCH_DATABASE_URL` for PostgreSQL), until every mail is an inbox item,
//!
//! and reports throughput and the server's peak memory (VmHWM); then, on the data the
//! sync left, `talentpost backup` (server running), `restore` and `verify`, each next to
//! its yardstick: `cp -a` of the data folder, `cp -a` of the backup, `sha256sum` of every
//! stored file.
//!
//! Run: `scripts/bench` (or `cargo bench -p talentpost-server --bench mail_in`).
//! `BENCH_MAILS` changes the number of mails; `BENCH_S3=1` puts the stored files into an
//! S3 store (s3s-fs on loopback) instead of the data folder.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/dovecot.rs"]
mod dovecot;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dovecot::{APPLICATIONS_FOLDER, Dovecot, PASSWORD};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

fn mail(index: usize, rng: &mut rand::rngs::StdRng) -> Vec<u8> {
    let name = format!("Bewerber{index}");
    let text: String = (0..rng.gen_range(40..160))
        .map(|_| {
            [
                "Sehr",
                "geehrte",
                "Damen",
                "und",
                "Herren",
                "hiermit",
                "bewerbe",
                "ich",
                "mich",
                "als",
                "Fachkraft",
                "Lager",
            ][rng.gen_range(0..12)]
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut mail = format!(
        "From: {name} <bewerber{index}@example.org>\r\nTo: jobs@firma.example\r\nSubject: Bewerbung Nr. {index}\r\n\
         Message-ID: <bench-{index}@example.org>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n\
         --alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <html><body><p>{text}</p><p>Mit freundlichen Grüßen<br>{name}</p></body></html>\r\n--alt--\r\n"
    );
    if index.is_multiple_of(3) {
        let size = rng.gen_range(100_000..300_000);
        let mut pdf = b"%PDF-1.4\n".to_vec();
        pdf.extend((0..size).map(|_| rng.r#gen::<u8>()));
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(&pdf);
        mail.push_str("--outer\r\nContent-Type: application/pdf; name=\"Lebenslauf.pdf\"\r\nContent-Transfer-Encoding: base64\r\n");
        mail.push_str("Content-Disposition: attachment; filename=\"Lebenslauf.pdf\"\r\n\r\n");
        for line in encoded.as_bytes().chunks(76) {
            mail.push_str(std::str::from_utf8(line).unwrap());
            mail.push_str("\r\n");
        }
    }
    mail.push_str("--outer--\r\n");
    mail.into_bytes()
}

/// The baseline: log in, EXAMINE, `UID FETCH 1:* BODY.PEEK[]`, read to the tagged OK.
fn bare_fetch(port: u16) -> (Duration, usize) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut buffer = vec![0u8; 1 << 20];
    let read_until = |stream: &mut TcpStream, buffer: &mut [u8], tag: &[u8]| -> usize {
        let mut total = 0usize;
        let mut tail: Vec<u8> = Vec::new();
        loop {
            let read = stream.read(buffer).unwrap();
            assert!(read > 0, "connection closed");
            total += read;
            tail.extend_from_slice(&buffer[..read]);
            if tail.windows(tag.len()).any(|w| w == tag) {
                return total;
            }
            let keep = tail.len().saturating_sub(tag.len());
            tail.drain(..keep);
        }
    };
    read_until(&mut stream, &mut buffer, b"\r\n");
    stream
        .write_all(format!("a1 LOGIN bulk {PASSWORD}\r\n").as_bytes())
        .unwrap();
    read_until(&mut stream, &mut buffer, b"a1 OK");
    stream
        .write_all(format!("a2 EXAMINE {APPLICATIONS_FOLDER}\r\n").as_bytes())
        .unwrap();
    read_until(&mut stream, &mut buffer, b"a2 OK");
    let started = Instant::now();
    stream.write_all(b"a3 UID FETCH 1:* BODY.PEEK[]\r\n").unwrap();
    let bytes = read_until(&mut stream, &mut buffer, b"\r\na3 OK");
    (started.elapsed(), bytes)
}

fn gql(agent: &reqwest::blocking::Client, base: &str, query: &str, variables: Value) -> Value {
    let response: Value = agent
        .post(format!("{base}/graphql"))
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(response["errors"].is_null(), "{response}");
    response["data"].clone()
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// User plus system CPU seconds the process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields
        .get(11..13)
        .map(|f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum())
        .unwrap_or(0.0);
    ticks / 100.0
}

/// `BENCH_S3=1`: an s3s-fs server whose bucket `bench` keeps the stored files.
struct S3 {
    server: std::process::Child,
    root: tempfile::TempDir,
    endpoint: String,
}

impl S3 {
    fn start() -> Option<Self> {
        std::env::var("BENCH_S3").ok().filter(|value| value == "1")?;
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("bench")).unwrap();
        let mut server = Command::new("s3s-fs")
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--access-key",
                "bench",
                "--secret-key",
                "bench-secret",
            ])
            .arg(root.path())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .spawn()
            .expect("s3s-fs (scripts/test installs it)");
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(server.stdout.take().unwrap()).lines();
        let endpoint = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                line.split_once("server is running at ")
                    .map(|(_, at)| at.trim().to_owned())
            })
            .expect("s3s-fs says where it listens");
        std::thread::spawn(move || lines.for_each(drop));
        Some(Self { server, root, endpoint })
    }

    fn env(&self, prefix: &str) -> Vec<(String, String)> {
        [
            ("TALENTPOST_BLOB_STORE", format!("s3://bench/{prefix}")),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "bench".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "bench-secret".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    fn folder(&self, prefix: &str) -> std::path::PathBuf {
        self.root.path().join("bench").join(prefix)
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// Runs a `talentpost` maintenance command on the bench's data; its duration.
fn talentpost(data_dir: &std::path::Path, args: &[&str], env: &[(String, String)]) -> Duration {
    let started = Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_talentpost"));
    command
        .args(args)
        .envs(env.iter().cloned())
        .env("TALENTPOST_DATA_DIR", data_dir)
        .env("TALENTPOST_SECRET_KEY", "33".repeat(32))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
        command.env("DATABASE_URL", url);
    }
    let status = command.status().unwrap();
    assert!(status.success(), "talentpost {args:?} failed");
    started.elapsed()
}

fn shell(script: &str) -> Duration {
    let started = Instant::now();
    let status = Command::new("sh").arg("-c").arg(script).status().unwrap();
    assert!(status.success(), "{script} failed");
    started.elapsed()
}

fn folder_bytes(dir: &std::path::Path) -> u64 {
    let output = Command::new("du").arg("-sb").arg(dir).output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .and_then(|bytes| bytes.parse().ok())
        .unwrap_or(0)
}

/// Backup (while the server runs), restore and verify on the synced data, each beside
/// its yardstick. PostgreSQL (BENCH_DATABASE_URL) is skipped: its restore needs an empty
/// database of its own. With S3, the files are restored into another prefix.
fn backup_restore_verify(data_dir: &std::path::Path, s3: Option<&S3>) -> Vec<String> {
    if std::env::var("BENCH_DATABASE_URL").is_ok() {
        return vec!["backup/restore/verify: measured on SQLite only".to_owned()];
    }
    let (live_env, restored_env) = s3.map_or((Vec::new(), Vec::new()), |s3| (s3.env("live"), s3.env("restored")));
    // What cp -a copies for the yardsticks: the data folder and, with S3, the bucket's files.
    let live_files = match s3 {
        Some(s3) => format!("'{}' '{}'", data_dir.display(), s3.folder("live").display()),
        None => format!("'{}'", data_dir.display()),
    };
    let work = tempfile::tempdir().unwrap();
    let backup = work.path().join("backup");
    let copy = work.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    let took = talentpost(data_dir, &["backup", backup.to_str().unwrap()], &live_env);
    let yardstick = shell(&format!("cp -a {live_files} '{}'", copy.display()));
    let mut lines = vec![format!(
        "backup (server running): {:.2} s for {:.1} MB; yardstick cp -a of the data folder{}: {:.2} s",
        took.as_secs_f64(),
        folder_bytes(&backup) as f64 / 1e6,
        if s3.is_some() { " and the bucket's files" } else { "" },
        yardstick.as_secs_f64()
    )];
    let restored = work.path().join("restored");
    let took = talentpost(&restored, &["restore", backup.to_str().unwrap()], &restored_env);
    let yardstick = shell(&format!(
        "cp -a '{}' '{}'",
        backup.display(),
        work.path().join("copy2").display()
    ));
    lines.push(format!(
        "restore: {:.2} s; yardstick cp -a of the backup: {:.2} s",
        took.as_secs_f64(),
        yardstick.as_secs_f64()
    ));
    let took = talentpost(&restored, &["verify"], &restored_env);
    let restored_files = s3.map_or_else(|| restored.join("blobs"), |s3| s3.folder("restored"));
    let yardstick = shell(&format!(
        "find '{}' -type f -exec sha256sum {{}} + > /dev/null",
        restored_files.display()
    ));
    lines.push(format!(
        "verify: {:.2} s; yardstick sha256sum of every stored file: {:.2} s",
        took.as_secs_f64(),
        yardstick.as_secs_f64()
    ));
    lines
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let count: usize = std::env::var("BENCH_MAILS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dovecot = Dovecot::start();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mails: Vec<Vec<u8>> = (0..count).map(|index| mail(index, &mut rng)).collect();
    let total_bytes: usize = mails.iter().map(Vec::len).sum();
    println!("mails: {count}, {:.1} MB in the folder", total_bytes as f64 / 1e6);
    dovecot.fill_maildir("bulk", APPLICATIONS_FOLDER, mails);
    // Let Dovecot index the folder once, so neither run below pays for that.
    dovecot.doveadm(&["mailbox", "status", "-u", "bulk", "messages", APPLICATIONS_FOLDER]);

    let (bare, bare_bytes) = bare_fetch(dovecot.imap_port);
    println!(
        "bare UID FETCH 1:* BODY.PEEK[]: {:.2} s, {:.0} mails/s, {:.1} MB/s",
        bare.as_secs_f64(),
        count as f64 / bare.as_secs_f64(),
        bare_bytes as f64 / 1e6 / bare.as_secs_f64()
    );

    let data_dir = tempfile::tempdir().unwrap();
    let s3 = S3::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_talentpost"));
    command
        .arg("serve")
        .env("TALENTPOST_BIND", format!("127.0.0.1:{port}"))
        .env("TALENTPOST_DATA_DIR", data_dir.path())
        .env("TALENTPOST_SECRET_KEY", "33".repeat(32))
        .env("TALENTPOST_ADMIN_EMAIL", "bench@example.org")
        .env("TALENTPOST_ADMIN_PASSWORD", "bench-password-123")
        .env("RUST_LOG", "warn")
        .envs(s3.as_ref().map(|s3| s3.env("live")).unwrap_or_default())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
        command.env("DATABASE_URL", url);
    }
    let mut server = command.spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let agent = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let up = Instant::now();
    while agent.get(format!("{base}/healthz")).send().is_err() {
        assert!(up.elapsed() < Duration::from_secs(60), "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    gql(
        &agent,
        &base,
        "mutation { login(input: {email: \"bench@example.org\", password: \"bench-password-123\"}) { id } }",
        json!({}),
    );
    let idle_rss = peak_rss_kib(server.id());
    let idle_cpu = cpu_seconds(server.id());

    let started = Instant::now();
    gql(
        &agent,
        &base,
        "mutation($input: InboundAccountInput!) { createInboundAccount(input: $input) { id } }",
        json!({"input": {"label": "Bench", "host": "127.0.0.1", "port": dovecot.imap_port, "security": "UNENCRYPTED",
                          "allowPlaintext": true, "username": "bulk", "password": PASSWORD, "folder": APPLICATIONS_FOLDER}}),
    );
    loop {
        let counts = gql(&agent, &base, "{ inboxCounts { email } }", json!({}));
        if counts["inboxCounts"]["email"].as_u64() == Some(count as u64) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "sync did not finish: {counts}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let ingest = started.elapsed();
    let peak = peak_rss_kib(server.id());
    let cpu = cpu_seconds(server.id()) - idle_cpu;
    let operations = backup_restore_verify(data_dir.path(), s3.as_ref());
    let _ = server.kill();
    let _ = server.wait();

    println!(
        "Talentpost first sync to inbox items: {:.2} s, {:.0} mails/s, {:.1} MB/s ({:.1}x the bare fetch time)",
        ingest.as_secs_f64(),
        count as f64 / ingest.as_secs_f64(),
        total_bytes as f64 / 1e6 / ingest.as_secs_f64(),
        ingest.as_secs_f64() / bare.as_secs_f64()
    );
    println!(
        "server CPU time for the sync: {cpu:.1} s ({:.2} ms per mail)",
        cpu * 1000.0 / count as f64
    );
    println!(
        "server peak memory (VmHWM): {:.0} MB (after start-up: {:.0} MB)",
        peak as f64 / 1024.0,
        idle_rss as f64 / 1024.0
    );
    for line in operations {
        println!("{line}");
    }
    println!(
        "database: {}; stored files: {}",
        if std::env::var("BENCH_DATABASE_URL").is_ok() {
            "BENCH_DATABASE_URL"
        } else {
            "SQLite (default)"
        },
        if s3.is_some() {
            "S3 (s3s-fs on loopback)"
        } else {
            "the data folder"
        }
    );
}
