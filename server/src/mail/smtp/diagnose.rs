//! "Check connection": walks DNS, connect, TLS, AUTH, MAIL FROM and RCPT TO one stage
//! at a time and stops before DATA, so nothing is sent. Every passed stage is reported,
//! and the first failing one names itself with the server's reply.

use lettre::Address;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Mail, Rcpt, Rset};

use super::connection::open;
use super::{SMTP_TIMEOUT, SmtpFailure, SmtpSettings, Stage, classify, timed_out};
use crate::mail::tls::MailTls;

/// One stage that passed, with what the server said or what was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckStep {
    pub stage: &'static str,
    pub detail: String,
}

pub struct CheckOutcome {
    pub steps: Vec<CheckStep>,
    /// `None` when every stage passed.
    pub failure: Option<SmtpFailure>,
}

pub async fn check_connection(
    tls: &MailTls,
    settings: &SmtpSettings,
    sender: &Address,
    recipient: &Address,
) -> CheckOutcome {
    let mut steps = Vec::new();
    let failure = run_checks(tls, settings, sender, recipient, &mut steps).await.err();
    CheckOutcome { steps, failure }
}

async fn run_checks(
    tls: &MailTls,
    settings: &SmtpSettings,
    sender: &Address,
    recipient: &Address,
    steps: &mut Vec<CheckStep>,
) -> Result<(), SmtpFailure> {
    let mut connection = open(tls, settings, &mut |step| steps.push(step)).await?;
    let result = envelope_checks(&mut connection, settings, sender, recipient, steps).await;
    // Leave politely unless the connection is gone; the outcome does not depend on QUIT.
    if !connection.has_broken() {
        let _ = tokio::time::timeout(SMTP_TIMEOUT, connection.command(Rset)).await;
        let _ = tokio::time::timeout(SMTP_TIMEOUT, connection.quit()).await;
    }
    result
}

async fn envelope_checks(
    connection: &mut AsyncSmtpConnection,
    settings: &SmtpSettings,
    sender: &Address,
    recipient: &Address,
    steps: &mut Vec<CheckStep>,
) -> Result<(), SmtpFailure> {
    step(
        settings,
        Stage::MailFrom,
        connection.command(Mail::new(Some(sender.clone()), vec![])),
    )
    .await?;
    steps.push(CheckStep {
        stage: "sender",
        detail: format!("the server accepts {sender} as sender"),
    });
    step(
        settings,
        Stage::RcptTo,
        connection.command(Rcpt::new(recipient.clone(), vec![])),
    )
    .await?;
    steps.push(CheckStep {
        stage: "recipient",
        detail: format!("the server accepts {recipient} as recipient"),
    });
    Ok(())
}

/// A command that never answers is a failure of its stage, not a hung request.
async fn step<T>(
    settings: &SmtpSettings,
    stage: Stage,
    command: impl std::future::Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, SmtpFailure> {
    match tokio::time::timeout(SMTP_TIMEOUT, command).await {
        Ok(result) => result.map_err(|error| classify(&error, settings, stage)),
        Err(_) => Err(timed_out(settings, stage)),
    }
}
