//! A real Dovecot (IMAP with IDLE, LMTP, doveadm) in a temp dir on loopback ports,
//! started per test. Shared by the API tests and the mail benchmark.
//!
//! Needs Debian's dovecot-imapd and dovecot-lmtpd; `scripts/test` installs them.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const PASSWORD: &str = "secret-imap-password";
/// Mailbox users every instance has.
pub const USERS: [&str; 3] = ["jobs", "sales", "bulk"];
/// Further mailboxes, `box0` … `box11`, for the tests of several processes sharing them.
pub const NUMBERED_MAILBOXES: usize = 12;
pub const APPLICATIONS_FOLDER: &str = "Bewerbungen";

pub struct Dovecot {
    dir: tempfile::TempDir,
    pub imap_port: u16,
    pub imaps_port: u16,
    pub lmtp_port: u16,
    /// Dovecot's authentication service, for Postfix's SMTP logins.
    pub auth_port: u16,
    child: Option<Child>,
    /// How many lines Dovecot has logged (logins and logouts among them), for waiting
    /// on the next one.
    log_lines: std::sync::Arc<(std::sync::Mutex<u64>, std::sync::Condvar)>,
}

pub fn free_ports<const N: usize>() -> [u16; N] {
    // Hold all listeners until every port is chosen, so the same port is not handed out twice.
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("free port"))
        .collect();
    let mut ports = [0u16; N];
    for (slot, listener) in ports.iter_mut().zip(&listeners) {
        *slot = listener.local_addr().expect("port").port();
    }
    ports
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} could not start: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Dovecot {
    pub fn start() -> Self {
        // Nothing listens on the discard port: XOAUTH2 logins fail, password logins work.
        Self::start_with_introspection("http://127.0.0.1:9/introspect")
    }

    /// A Dovecot that checks XOAUTH2 logins at this introspection endpoint (the test
    /// authorisation server's).
    pub fn start_with_introspection(introspection_url: &str) -> Self {
        assert!(
            Path::new("/usr/sbin/dovecot").exists(),
            "Dovecot is not installed; scripts/test installs dovecot-imapd and dovecot-lmtpd"
        );
        let dir = tempfile::Builder::new()
            .prefix("tp-dovecot-")
            .tempdir()
            .expect("temp dir");
        let root = dir.path();
        // Dovecot's unprivileged processes must reach their sockets and the mail.
        run(Command::new("chmod").arg("755").arg(root));
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(root.join(sub)).expect("dovecot dir");
        }
        run(Command::new("chown").arg("mail:mail").arg(root.join("mail")));
        run(Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
            ])
            .arg("-keyout")
            .arg(root.join("key.pem"))
            .arg("-out")
            .arg(root.join("cert.pem"))
            .stderr(Stdio::null()));
        let users: String = USERS
            .iter()
            .map(|user| (*user).to_owned())
            .chain((0..NUMBERED_MAILBOXES).map(|n| format!("box{n}")))
            .map(|user| format!("{user}:{{PLAIN}}{PASSWORD}::::::\n"))
            .collect();
        std::fs::write(root.join("users"), users).expect("users file");
        let [imap_port, imaps_port, lmtp_port, auth_port] = free_ports::<4>();
        // The log goes to stderr, where `resume` watches for the start.
        let config = include_str!("dovecot.conf.in")
            .replace("log_path = @DIR@/dovecot.log", "log_path = /dev/stderr")
            .replace("@DIR@", &root.display().to_string())
            .replace("@IMAP_PORT@", &imap_port.to_string())
            .replace("@IMAPS_PORT@", &imaps_port.to_string())
            .replace("@LMTP_PORT@", &lmtp_port.to_string())
            .replace("@AUTH_PORT@", &auth_port.to_string());
        std::fs::write(root.join("dovecot.conf"), config).expect("dovecot.conf");
        let oauth = include_str!("dovecot-oauth2.conf.ext.in").replace("@INTROSPECTION_URL@", introspection_url);
        std::fs::write(root.join("dovecot-oauth2.conf.ext"), oauth).expect("dovecot-oauth2.conf.ext");
        let mut dovecot = Self {
            dir,
            imap_port,
            imaps_port,
            lmtp_port,
            auth_port,
            child: None,
            log_lines: Default::default(),
        };
        dovecot.resume();
        dovecot
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("dovecot.conf")
    }

    /// Starts the server again on the same ports and mail (after `stop`).
    pub fn resume(&mut self) {
        let mut child = Command::new("/usr/sbin/dovecot")
            .arg("-F")
            .arg("-c")
            .arg(self.config_path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dovecot starts");
        // Dovecot logs to stderr here (see `start`); a thread copies the log to a file
        // and reports the "starting up" line, which Dovecot writes once it listens.
        let stderr = child.stderr.take().expect("dovecot stderr");
        let log_path = self.dir.path().join("dovecot.log");
        let (started, ready) = std::sync::mpsc::channel();
        let log_lines = self.log_lines.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log_path)
                .ok();
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(log) = &mut log {
                    let _ = writeln!(log, "{line}");
                }
                if line.contains("starting up") {
                    let _ = started.send(());
                }
                let (count, logged) = &*log_lines;
                if let Ok(mut count) = count.lock() {
                    *count += 1;
                }
                logged.notify_all();
            }
        });
        self.child = Some(child);
        assert!(
            ready.recv_timeout(Duration::from_secs(15)).is_ok(),
            "Dovecot did not start; log:\n{}",
            self.log()
        );
        // The greeting says "ready" once the auth process answers; logins before that wait.
        let mut stream = TcpStream::connect(("127.0.0.1", self.imap_port)).expect("Dovecot listens once started");
        stream.set_read_timeout(Some(Duration::from_secs(15))).expect("timeout");
        let mut greeting = Vec::new();
        let mut buffer = [0u8; 256];
        while !String::from_utf8_lossy(&greeting).contains("ready") {
            let read = read_some(&mut stream, &mut buffer)
                .unwrap_or_else(|e| panic!("no IMAP greeting: {e}; log:\n{}", self.log()));
            assert!(read > 0, "Dovecot closed the connection; log:\n{}", self.log());
            greeting.extend_from_slice(&buffer[..read]);
        }
    }

    /// Stops the server; its mail stays for `resume`.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let _ = child.wait();
            // The master exits after its login processes, so the port is closed now.
            assert!(
                TcpStream::connect(("127.0.0.1", self.imap_port)).is_err(),
                "Dovecot still listens after stopping"
            );
        }
    }

    /// Open IMAP sessions per user, as `doveadm who` lists them.
    pub fn imap_sessions(&self) -> std::collections::BTreeMap<String, u32> {
        self.doveadm(&["who"])
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut columns = line.split_whitespace();
                let user = columns.next()?;
                let count = columns.next()?.parse::<u32>().ok()?;
                (columns.next()? == "imap").then(|| (user.to_owned(), count))
            })
            .fold(std::collections::BTreeMap::new(), |mut sessions, (user, count)| {
                *sessions.entry(user).or_default() += count;
                sessions
            })
    }

    /// Lines logged so far; pass it to `next_log_line` to wait for what comes after.
    pub fn log_lines_seen(&self) -> u64 {
        *self.log_lines.0.lock().expect("log counter")
    }

    /// Waits until Dovecot logs a line beyond the first `seen` (a login or a logout,
    /// say), or `limit` passes; false when it passed.
    pub async fn next_log_line(&self, seen: u64, limit: Duration) -> bool {
        let log_lines = self.log_lines.clone();
        tokio::task::spawn_blocking(move || {
            let (count, logged) = &*log_lines;
            let count = count.lock().expect("log counter");
            let (count, _) = logged
                .wait_timeout_while(count, limit, |count| *count <= seen)
                .expect("log counter");
            *count > seen
        })
        .await
        .expect("log waiter")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// Delivers a mail over LMTP, as the company's MTA would; `folder` uses
    /// `user+folder` addressing.
    pub fn deliver(&self, user: &str, folder: Option<&str>, raw: &[u8]) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.lmtp_port)).expect("LMTP connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let recipient = match folder {
            Some(folder) => format!("{user}+{folder}"),
            None => user.to_owned(),
        };
        expect_reply(&mut stream, "220");
        for (command, reply) in [
            ("LHLO test.localhost".to_owned(), "250 "),
            ("MAIL FROM:<sender@example.org>".to_owned(), "250"),
            (format!("RCPT TO:<{recipient}>"), "250"),
            ("DATA".to_owned(), "354"),
        ] {
            stream
                .write_all(format!("{command}\r\n").as_bytes())
                .expect("LMTP write");
            expect_reply(&mut stream, reply);
        }
        let mut data = Vec::with_capacity(raw.len() + 16);
        for line in raw.split_inclusive(|b| *b == b'\n') {
            if line.starts_with(b".") {
                data.push(b'.');
            }
            data.extend_from_slice(line);
        }
        if !data.ends_with(b"\r\n") {
            data.extend_from_slice(b"\r\n");
        }
        data.extend_from_slice(b".\r\n");
        stream.write_all(&data).expect("LMTP data");
        expect_reply(&mut stream, "250");
        let _ = stream.write_all(b"QUIT\r\n");
    }

    /// Writes mails straight into the user's maildir folder (fast bulk filling);
    /// Dovecot assigns UIDs when the folder is next opened.
    pub fn fill_maildir(&self, user: &str, folder: &str, mails: impl IntoIterator<Item = Vec<u8>>) {
        let base = self.dir.path().join("mail").join(user);
        let folder_dir = if folder == "INBOX" {
            base.clone()
        } else {
            base.join(format!(".{folder}"))
        };
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(folder_dir.join(sub)).expect("maildir");
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        for (index, mail) in mails.into_iter().enumerate() {
            let name = format!("{stamp}.M{index}P{}.talentpost-test", std::process::id());
            std::fs::write(folder_dir.join("new").join(name), mail).expect("maildir file");
        }
        run(Command::new("chown")
            .arg("-R")
            .arg("mail:mail")
            .arg(self.dir.path().join("mail")));
    }

    pub fn doveadm(&self, args: &[&str]) -> String {
        let output = Command::new("/usr/bin/doveadm")
            .arg("-c")
            .arg(self.config_path())
            .args(args)
            .output()
            .expect("doveadm runs");
        assert!(
            output.status.success(),
            "doveadm {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn set_uid_validity(&self, user: &str, folder: &str, value: u32) {
        self.doveadm(&[
            "mailbox",
            "update",
            "--uid-validity",
            &value.to_string(),
            "-u",
            user,
            folder,
        ]);
    }

    /// How many mails the folder holds and how many of them are marked \Seen.
    pub fn counts(&self, user: &str, folder: &str) -> (u32, u32) {
        let status = self.doveadm(&["mailbox", "status", "-u", user, "messages unseen", folder]);
        let value = |key: &str| {
            status
                .split_whitespace()
                .find_map(|part| part.strip_prefix(&format!("{key}=")))
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or_else(|| panic!("no {key} in {status}"))
        };
        let messages = value("messages");
        (messages, messages - value("unseen"))
    }
}

/// A read that survives signals. Tests share one process, and another test's child exiting
/// delivers SIGCHLD; a socket read with a timeout is not restarted then but fails with EINTR.
fn read_some(stream: &mut TcpStream, buffer: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match stream.read(buffer) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn expect_reply(stream: &mut TcpStream, prefix: &str) {
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        let read = read_some(stream, &mut byte).expect("LMTP reply");
        assert!(read > 0, "LMTP closed the connection");
        reply.push(byte[0]);
        if reply.ends_with(b"\r\n") {
            let line = String::from_utf8_lossy(&reply).into_owned();
            // Multi-line replies continue with "250-".
            if line.len() > 3 && line.as_bytes()[3] == b'-' {
                reply.clear();
                continue;
            }
            assert!(
                line.starts_with(prefix.trim_end()),
                "LMTP expected {prefix}, got {line}"
            );
            return;
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A small application mail with a unique Message-ID.
pub fn application_mail(from_name: &str, from: &str, subject: &str, message_id: &str) -> Vec<u8> {
    format!(
        "From: {from_name} <{from}>\r\nTo: jobs@firma.example\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
         Date: Mon, 30 Nov 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Guten Tag,\r\nanbei meine Bewerbung.\r\n"
    )
    .into_bytes()
}
