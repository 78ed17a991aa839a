use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    talentpost_server::cli::run().await
}
