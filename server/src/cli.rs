use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::app::{Application, build_state};
use crate::config::Config;
use crate::error::ServiceError;
use crate::services::{org::bootstrap, org::demo};

#[derive(Parser)]
#[command(name = "talentpost", version, about = "Talentpost: the recruiting mail hub")]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Load a small German demo data set into the database, then exit.
    Demo,
    /// Print the GraphQL schema (SDL) to standard output.
    Schema,
    /// Read one RFC 822 mail on standard input and put it into the inbox, as a company
    /// mail server's pipe alias does (`intake: "|talentpost ingest-mail"`). Exits 0 when
    /// stored (or already known), 65 for a mail that can never be taken (the MTA
    /// bounces it), 75 for a temporary failure (the MTA retries).
    IngestMail(IngestTarget),
    /// Check that every file the database refers to is in the file store with the
    /// content it was stored with, and list files nothing refers to. Exits 0 when all
    /// are intact, 1 when any is missing or damaged, 2 when the check could not run.
    Verify,
    /// Delete stored files nothing in the database refers to any more and that were
    /// stored longer ago than TALENTPOST_BLOB_SWEEP_GRACE_SECONDS (the server also does
    /// this periodically). Safe while servers run. Exits 0, or 2 when it could not run.
    SweepBlobs,
    /// Back up the database and the stored files it refers to into a new or empty
    /// folder, while servers run: SQLite as a consistent copy, PostgreSQL by `pg_dump`
    /// (when installed), with `manifest.json` (counts, SHA-256 of every file). The secret
    /// key is not included: keep it apart. Exits 0, or 2 when it could not run.
    Backup(BackupArgs),
    /// Restore a backup into an empty data folder and an empty database (never over
    /// existing data), with the secret key it was made with. Exits 0, or 2.
    Restore(RestoreArgs),
}

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The backup folder (new or empty).
    pub dir: std::path::PathBuf,
    /// PostgreSQL without pg_dump here (the container image has none): back up the files
    /// and the manifest only, and dump the database yourself right after.
    #[arg(long)]
    pub without_database: bool,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The backup folder.
    pub dir: std::path::PathBuf,
    /// Restore only the files; the database was restored from its own dump.
    #[arg(long)]
    pub files_only: bool,
}

/// Where `ingest-mail` delivers. With a server URL and token the mail goes through the
/// running server's HTTP intake, so open apps see it at once; without, it is written
/// to the database directly (it then shows on the next refresh).
#[derive(clap::Args)]
pub struct IngestTarget {
    /// The running server, e.g. `http://127.0.0.1:8080`.
    #[arg(long, env = "TALENTPOST_INTAKE_URL")]
    pub server_url: Option<String>,
    /// An administrator's API token for the intake.
    #[arg(long, env = "TALENTPOST_INTAKE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// async-imap traces every command it sends, LOGIN with the password included, and
/// every mail it receives: never below info, whatever RUST_LOG says.
fn quiet_mail_protocol(filter: EnvFilter) -> EnvFilter {
    match "async_imap=info".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    }
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(quiet_mail_protocol(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        ))
        .init();
    if let Some(Command::IngestMail(target)) = cli.command {
        return match (target.server_url, target.token) {
            (Some(url), Some(token)) => ingest_mail_via_server(&url, &token, cli.config.max_mail_bytes).await,
            (None, None) => ingest_mail(cli.config).await,
            _ => {
                eprintln!(
                    "talentpost ingest-mail: set both TALENTPOST_INTAKE_URL and TALENTPOST_INTAKE_TOKEN, or neither"
                );
                ExitCode::from(EX_TEMPFAIL)
            }
        };
    }
    match cli.command {
        Some(Command::Verify) => return verify(cli.config).await,
        Some(Command::SweepBlobs) => return sweep_blobs(cli.config).await,
        Some(Command::Backup(args)) => return backup(cli.config, &args.dir, args.without_database).await,
        Some(Command::Restore(args)) => return restore(cli.config, &args.dir, args.files_only).await,
        _ => {}
    }
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Demo => load_demo(cli.config).await,
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::IngestMail(_) | Command::Verify | Command::SweepBlobs | Command::Backup(_) | Command::Restore(_) => {
            Ok(())
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("talentpost: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let app = Application::build(config).await.map_err(|e| e.to_string())?;
    let url = format!("http://{}/", app.address);
    if let Some(admin) = &app.initial_admin {
        match &admin.generated_password {
            Some(password) => println!(
                "\nFirst start: administrator {} with one-time password {password}\n(shown only now; change it after logging in)\n",
                admin.email
            ),
            None => println!(
                "\nFirst start: administrator {} with the password from TALENTPOST_ADMIN_PASSWORD\n",
                admin.email
            ),
        }
    }
    println!("Talentpost is running. Log in at {url}  (GraphQL: {url}graphql)");
    app.run_until(shutdown_signal()).await.map_err(|e| e.to_string())
}

async fn load_demo(config: Config) -> Result<(), String> {
    let state = build_state(config).await.map_err(|e| e.to_string())?;
    if let Some(admin) = bootstrap::ensure_initial_admin(&state)
        .await
        .map_err(|e| e.to_string())?
        && let Some(password) = admin.generated_password
    {
        println!(
            "First start: administrator {} with one-time password {password}",
            admin.email
        );
    }
    let summary = demo::load(&state).await.map_err(|e| e.to_string())?;
    println!(
        "Demo data loaded: {} legal entities, {} job openings, {} candidates, {} inbox items.",
        summary.legal_entities, summary.job_openings, summary.candidates, summary.inbox_items
    );
    Ok(())
}

async fn verify(config: Config) -> ExitCode {
    let state = match state_for("verify", config).await {
        Ok(state) => state,
        Err(exit) => return exit,
    };
    let report = match crate::services::operations::verify::verify(&state).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("talentpost verify: {}", crate::error::chain(&error));
            return ExitCode::from(COULD_NOT_RUN);
        }
    };
    println!(
        "{} stored files referenced: {} intact, {} missing, {} damaged; {} not referenced",
        report.referenced,
        report.intact,
        report.missing.len(),
        report.damaged.len(),
        report.unreferenced.len()
    );
    for (what, references) in [("missing", &report.missing), ("damaged", &report.damaged)] {
        for reference in references {
            println!(
                "{what}: {} (referred to by {} document(s), {} mail(s))",
                reference.sha256, reference.documents, reference.mails
            );
        }
    }
    for sha256 in &report.unreferenced {
        println!("not referenced: {sha256}");
    }
    if report.has_problems() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

async fn sweep_blobs(config: Config) -> ExitCode {
    let grace = std::time::Duration::from_secs(config.blob_sweep_grace_seconds);
    let state = match state_for("sweep-blobs", config).await {
        Ok(state) => state,
        Err(exit) => return exit,
    };
    match crate::services::operations::sweep::sweep(&state, grace).await {
        Ok(report) => {
            println!(
                "{} stored files, {} referenced: {} removed ({} bytes), {} kept as recent, {} stored again meanwhile; \
                 {} leftovers of interrupted writes removed",
                report.stored,
                report.referenced,
                report.removed,
                report.removed_bytes,
                report.kept_recent,
                report.stored_again,
                report.leftovers
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("talentpost sweep-blobs: {}", crate::error::chain(&error));
            ExitCode::from(COULD_NOT_RUN)
        }
    }
}

async fn backup(config: Config, dir: &std::path::Path, without_database: bool) -> ExitCode {
    let state = match state_for("backup", config).await {
        Ok(state) => state,
        Err(exit) => return exit,
    };
    match crate::services::operations::backup::backup(&state, dir, without_database).await {
        Ok(report) => {
            let manifest = &report.manifest;
            println!(
                "Backup in {}: {} candidates, {} inbox items, {} mails, {} documents; {} stored files ({} bytes); schema {}",
                dir.display(),
                manifest.counts.candidates,
                manifest.counts.inbox_items,
                manifest.counts.mail_messages,
                manifest.counts.documents,
                manifest.blobs.len(),
                manifest.blobs.iter().map(|blob| blob.size).sum::<u64>(),
                manifest.schema_version
            );
            if report.database_missing {
                println!(
                    "The database is not in the backup (--without-database): dump it now (pg_dump --format=custom) \
                     and keep the dump beside it."
                );
            }
            println!("The secret key is not in the backup; keep it apart: restoring needs it.");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("talentpost backup: {}", crate::error::chain(&error));
            ExitCode::from(COULD_NOT_RUN)
        }
    }
}

async fn restore(config: Config, dir: &std::path::Path, files_only: bool) -> ExitCode {
    match crate::services::operations::backup::restore(&config, dir, files_only).await {
        Ok(report) => {
            println!(
                "Restored from {} (made {}): {} candidates, {} inbox items, {} mails, {} documents; {} stored files",
                dir.display(),
                report.manifest.created_at.to_rfc3339(),
                report.counts.candidates,
                report.counts.inbox_items,
                report.counts.mail_messages,
                report.counts.documents,
                report.manifest.blobs.len()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("talentpost restore: {}", crate::error::chain(&error));
            ExitCode::from(COULD_NOT_RUN)
        }
    }
}

/// Exit code of the maintenance commands when they could not run at all.
const COULD_NOT_RUN: u8 = 2;

/// The app state for a maintenance command, or its exit after saying why not.
async fn state_for(command: &str, config: Config) -> Result<crate::state::AppState, ExitCode> {
    build_state(config).await.map_err(|error| {
        eprintln!("talentpost {command}: {error}");
        ExitCode::from(COULD_NOT_RUN)
    })
}

/// sysexits(3) codes, which MTAs understand: bounce on DATAERR, retry on TEMPFAIL.
const EX_DATAERR: u8 = 65;
const EX_TEMPFAIL: u8 = 75;

async fn ingest_mail(config: Config) -> ExitCode {
    let state = match build_state(config).await {
        Ok(state) => state,
        Err(error) => {
            eprintln!("talentpost ingest-mail: {error}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    let limit = crate::services::mail_in::intake::hard_limit(&state);
    let raw = match read_stdin(limit).await {
        Ok(raw) => raw,
        Err(error) => {
            eprintln!("talentpost ingest-mail: could not read the mail: {error}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    let outcome = crate::services::mail_in::intake::submit_from_pipe(&state, raw).await;
    // On PostgreSQL, running servers hear of the new item before this process ends.
    state.events.flush().await;
    match outcome {
        Ok(ingested) => {
            let what = if ingested.created { "stored" } else { "already stored" };
            println!("{what} as inbox item {}", ingested.item.id);
            ExitCode::SUCCESS
        }
        Err(error @ (ServiceError::InvalidInput { .. } | ServiceError::PayloadTooLarge { .. })) => {
            eprintln!("talentpost ingest-mail: {error}");
            ExitCode::from(EX_DATAERR)
        }
        Err(error) => {
            eprintln!("talentpost ingest-mail: {error}; the mail server should retry");
            ExitCode::from(EX_TEMPFAIL)
        }
    }
}

async fn read_stdin(limit: usize) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut raw = Vec::new();
    tokio::io::stdin().take(limit as u64 + 1).read_to_end(&mut raw).await?;
    Ok(raw)
}

async fn ingest_mail_via_server(url: &str, token: &str, max_mail_bytes: usize) -> ExitCode {
    let limit = max_mail_bytes.saturating_mul(crate::services::mail_in::intake::HARD_LIMIT_FACTOR);
    let raw = match read_stdin(limit).await {
        Ok(raw) => raw,
        Err(error) => {
            eprintln!("talentpost ingest-mail: could not read the mail: {error}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    let endpoint = format!("{}/api/mail/intake", url.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&endpoint)
        .bearer_auth(token)
        .header("content-type", "message/rfc822")
        .body(raw)
        .timeout(std::time::Duration::from_secs(120))
        .send()
        .await;
    match response {
        Ok(response) if response.status().is_success() => {
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            let what = if body["duplicate"] == true {
                "already stored"
            } else {
                "stored"
            };
            println!("{what} as inbox item {}", body["inboxItemId"].as_str().unwrap_or("?"));
            ExitCode::SUCCESS
        }
        // The mail itself is refused (empty, too large): the MTA bounces it.
        Ok(response) if response.status() == 400 || response.status() == 413 => {
            eprintln!(
                "talentpost ingest-mail: refused by {endpoint}: {}",
                response.text().await.unwrap_or_default()
            );
            ExitCode::from(EX_DATAERR)
        }
        // A wrong token or a server error is ours to fix; the MTA keeps the mail and retries.
        Ok(response) => {
            eprintln!(
                "talentpost ingest-mail: {endpoint} answered {}; the mail server should retry",
                response.status()
            );
            ExitCode::from(EX_TEMPFAIL)
        }
        Err(error) => {
            eprintln!("talentpost ingest-mail: {endpoint} unreachable ({error}); the mail server should retry");
            ExitCode::from(EX_TEMPFAIL)
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
