use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::app::{Application, build_state};
use crate::config::Config;
use crate::services::{bootstrap, demo};

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
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .init();
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Demo => load_demo(cli.config).await,
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
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
            None => println!("\nFirst start: administrator {} with the password from TALENTPOST_ADMIN_PASSWORD\n", admin.email),
        }
    }
    println!("Talentpost is running. Log in at {url}  (GraphQL: {url}graphql)");
    app.run_until(shutdown_signal()).await.map_err(|e| e.to_string())
}

async fn load_demo(config: Config) -> Result<(), String> {
    let state = build_state(config).await.map_err(|e| e.to_string())?;
    if let Some(admin) = bootstrap::ensure_initial_admin(&state).await.map_err(|e| e.to_string())?
        && let Some(password) = admin.generated_password
    {
        println!("First start: administrator {} with one-time password {password}", admin.email);
    }
    let summary = demo::load(&state).await.map_err(|e| e.to_string())?;
    println!(
        "Demo data loaded: {} legal entities, {} job openings, {} candidates, {} inbox items.",
        summary.legal_entities, summary.job_openings, summary.candidates, summary.inbox_items
    );
    Ok(())
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
