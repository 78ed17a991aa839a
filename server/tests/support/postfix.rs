//! A real Postfix (SMTP with STARTTLS and SMTPS, SASL logins checked by Dovecot, mail
//! for example.test delivered into Dovecot by LMTP) and Postfix's `smtp-sink` for
//! faults, each in a temp dir on loopback ports and started per test.
//!
//! Needs Debian's postfix; `scripts/test` installs it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::dovecot::{Dovecot, free_ports};

/// Which addresses each Dovecot login may send as.
pub const SENDER_LOGINS: &[(&str, &str)] = &[
    ("jobs@example.test", "jobs"),
    ("karriere@example.test", "jobs"),
    ("sales@example.test", "sales"),
];

pub struct Postfix {
    dir: tempfile::TempDir,
    /// Plain SMTP offering STARTTLS and AUTH.
    pub smtp_port: u16,
    /// SMTPS: TLS from the first byte.
    pub smtps_port: u16,
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} could not start: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Reads the SMTP greeting (220) of a server that is known to listen.
fn expect_greeting(port: u16, describe: impl Fn() -> String) {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("no connection to port {port}: {e}; {}", describe()));
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).expect("greeting");
    assert!(line.starts_with("220"), "unexpected greeting {line:?}; {}", describe());
}

impl Postfix {
    pub fn start(dovecot: &Dovecot) -> Self {
        Self::start_with(Some(dovecot))
    }

    /// Accepts mail for example.test without login and throws it away after queueing:
    /// for measuring what goes into Postfix without the cost of delivering it.
    pub fn start_discarding() -> Self {
        Self::start_with(None)
    }

    /// A port chosen free can be taken by another test's server before Postfix binds
    /// it; `postfix start` then fails, and a second try with new ports is the fix.
    fn start_with(dovecot: Option<&Dovecot>) -> Self {
        let mut last = String::new();
        for _ in 0..3 {
            match Self::try_start(dovecot) {
                Ok(postfix) => return postfix,
                Err(why) => last = why,
            }
        }
        panic!("Postfix did not start: {last}");
    }

    fn try_start(dovecot: Option<&Dovecot>) -> Result<Self, String> {
        assert!(
            Path::new("/usr/sbin/postfix").exists(),
            "Postfix is not installed; scripts/test installs it"
        );
        let dir = tempfile::Builder::new()
            .prefix("tp-postfix-")
            .tempdir()
            .expect("temp dir");
        let root = dir.path();
        run(Command::new("chmod").arg("755").arg(root));
        std::fs::create_dir_all(root.join("queue")).expect("queue dir");
        std::fs::create_dir_all(root.join("data")).expect("data dir");
        run(Command::new("chown").arg("postfix").arg(root.join("data")));
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
        let logins: String = SENDER_LOGINS
            .iter()
            .map(|(address, login)| format!("{address} {login}\n"))
            .collect();
        std::fs::write(root.join("sender_logins"), logins).expect("sender logins");
        let [smtp_port, smtps_port] = free_ports::<2>();
        let parent = root.parent().unwrap_or(Path::new("/")).display().to_string();
        let fill = |template: &str| {
            template
                .replace("@DIR@", &root.display().to_string())
                .replace("@PARENT@", &parent)
                .replace("@SMTP_PORT@", &smtp_port.to_string())
                .replace("@SMTPS_PORT@", &smtps_port.to_string())
                .replace("@LMTP_PORT@", &dovecot.map_or(0, |d| d.lmtp_port).to_string())
                .replace("@AUTH_PORT@", &dovecot.map_or(0, |d| d.auth_port).to_string())
        };
        let mut main_cf = fill(include_str!("postfix.main.cf.in"));
        if dovecot.is_none() {
            // Later settings win in main.cf.
            main_cf.push_str("virtual_transport = discard:\nsmtpd_sasl_auth_enable = no\n");
        }
        std::fs::write(root.join("main.cf"), main_cf).expect("main.cf");
        std::fs::write(root.join("master.cf"), fill(include_str!("postfix.master.cf.in"))).expect("master.cf");
        let postfix = Self {
            dir,
            smtp_port,
            smtps_port,
        };
        // `postfix start` returns once the master daemon reports it initialised, and it
        // binds its listeners before that.
        let started = Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(postfix.dir.path())
            .arg("start")
            .output()
            .map_err(|e| e.to_string())?;
        if !started.status.success() {
            return Err(format!(
                "{}{}{}",
                String::from_utf8_lossy(&started.stdout),
                String::from_utf8_lossy(&started.stderr),
                postfix.log()
            ));
        }
        expect_greeting(smtp_port, || postfix.log());
        Ok(postfix)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postfix.log")).unwrap_or_default()
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(self.dir.path())
            .arg("abort")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Postfix's `smtp-sink`: accepts (or, with options, refuses) every mail and writes each
/// accepted one to a file, so a test can count what arrived.
pub struct SmtpSink {
    dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
}

impl SmtpSink {
    /// `options` are smtp-sink's own, e.g. `["-r", "data"]` for a 4xx after DATA or
    /// `["-f", "rcpt"]` for a 5xx to RCPT TO.
    pub fn start(options: &[&str]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("tp-smtp-sink-")
            .tempdir()
            .expect("temp dir");
        run(Command::new("chmod").arg("777").arg(dir.path()));
        let [port] = free_ports::<1>();
        let mut sink = Self { dir, port, child: None };
        sink.restart(options);
        sink
    }

    /// Runs again on the same port with other options; what arrived so far stays.
    pub fn restart(&mut self, options: &[&str]) {
        self.stop();
        let mut child = Command::new("/usr/sbin/smtp-sink")
            .args(["-v", "-u", "nobody", "-d"])
            .arg(format!("{}/%Y%m%d%H%M%S.", self.dir.path().display()))
            .args(options)
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("64")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("smtp-sink starts");
        // With -v, smtp-sink logs "trying... [127.0.0.1]:port" as it binds; the thread
        // reports that line and keeps draining the log so the sink never blocks on it.
        let stderr = child.stderr.take().expect("smtp-sink stderr");
        let (bound, binding) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("trying...") {
                    let _ = bound.send(());
                }
            }
        });
        self.child = Some(child);
        assert!(
            binding.recv_timeout(Duration::from_secs(10)).is_ok(),
            "smtp-sink did not start on port {}",
            self.port
        );
        // listen() follows the log line within microseconds.
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "smtp-sink does not listen on port {}",
                self.port
            );
            std::thread::yield_now();
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every mail accepted so far, as written by smtp-sink (its own headers first).
    pub fn messages(&self) -> Vec<String> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("sink dir")
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|path| {
                let mut text = String::new();
                std::fs::File::open(path)
                    .and_then(|mut file| file.read_to_string(&mut text))
                    .expect("sink file");
                text
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}
