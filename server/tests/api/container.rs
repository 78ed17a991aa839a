//! The container image (deploy/Containerfile, packed by scripts/build-image) run against
//! the test PostgreSQL: ready at /readyz, a login works, and it runs as the unprivileged
//! user. Where podman cannot run containers at all, the test says so and is skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, Client, KEY_HEX, database_url};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate sits in the repository")
        .to_path_buf()
}

/// `podman` with this project's settings for sandboxes (scripts/lib.sh `podman_here`).
fn podman(args: &[&str]) -> Output {
    let quoted: Vec<String> = args
        .iter()
        .map(|arg| format!("'{}'", arg.replace('\'', "'\\''")))
        .collect();
    Command::new("bash")
        .arg("-c")
        .arg(format!("source scripts/lib.sh && podman_here {}", quoted.join(" ")))
        .current_dir(repository())
        .output()
        .expect("bash runs")
}

/// Removes the container and the image, also when an assertion fails.
struct Cleanup {
    container: String,
    image: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = podman(&["rm", "--force", &self.container]);
        let _ = podman(&["rmi", "--force", &self.image]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_container_image_serves_against_postgresql() {
    let probe = podman(&["run", "--rm", "--help"]);
    let can_run = Command::new("bash")
        .arg("-c")
        .arg("command -v podman >/dev/null")
        .status()
        .is_ok_and(|status| status.success())
        && probe.status.success();
    if !can_run {
        eprintln!(
            "SKIPPED the container test: podman is not installed or cannot run here ({})",
            String::from_utf8_lossy(&probe.stderr).trim()
        );
        return;
    }
    let pid = std::process::id();
    let image = format!("localhost/talentpost-test:{pid}");
    let container = format!("talentpost-test-{pid}");
    let _cleanup = Cleanup {
        container: container.clone(),
        image: image.clone(),
    };
    let built = Command::new(repository().join("scripts/build-image"))
        .arg(&image)
        .env("TALENTPOST_BINARY", env!("CARGO_BIN_EXE_talentpost"))
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "the image was not built: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let user = podman(&["image", "inspect", "--format", "{{.Config.User}}", &image]);
    assert_eq!(String::from_utf8_lossy(&user.stdout).trim(), "10001:10001", "not root");

    let data = tempfile::tempdir().unwrap();
    let database = database_url(Backend::Postgres, data.path()).await;
    let port = crate::dovecot::free_ports::<1>()[0];
    let env = [
        format!("DATABASE_URL={database}"),
        format!("TALENTPOST_BIND=127.0.0.1:{port}"),
        format!("TALENTPOST_SECRET_KEY={KEY_HEX}"),
        format!("TALENTPOST_ADMIN_EMAIL={ADMIN_EMAIL}"),
        format!("TALENTPOST_ADMIN_PASSWORD={ADMIN_PASSWORD}"),
    ];
    let mut args = vec!["run", "--detach", "--name", &container, "--network", "host"];
    for setting in &env {
        args.extend(["--env", setting.as_str()]);
    }
    args.push(&image);
    let started = podman(&args);
    assert!(
        started.status.success(),
        "the container did not start: {}",
        String::from_utf8_lossy(&started.stderr)
    );

    // The server says when it listens: that line in the container's log is the event.
    let mut logs = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source scripts/lib.sh && podman_here logs --follow '{container}' 2>&1"
        ))
        .current_dir(repository())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = logs.stdout.take().unwrap();
    let listening = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut seen = Vec::new();
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("Talentpost is running") {
                return Ok(());
            }
            seen.push(line);
        }
        Err(seen.join("\n"))
    });
    let listening = tokio::time::timeout(Duration::from_secs(60), listening).await;
    let _ = logs.kill();
    let _ = logs.wait();
    match listening {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(log))) => panic!("the container stopped before serving:\n{log}"),
        other => panic!("the container did not serve within a minute: {other:?}"),
    }
    let base = format!("http://127.0.0.1:{port}");
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200, "{:?}", ready.text().await);
    let client = Client::for_address(&base);
    let login = client
        .gql(
            "mutation($input: LoginInput!) { login(input: $input) { email } }",
            json!({"input": {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}}),
        )
        .await;
    assert_eq!(login.data()["login"]["email"], ADMIN_EMAIL);
}
