//! "Check connection": walks DNS, connect, TLS, AUTH, MAIL FROM and RCPT TO one stage
//! at a time and stops before DATA, so nothing is sent. Every passed stage is reported,
//! and the first failing one names itself with the server's reply.

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::ClientId;
use talentpost_shared::{MailProblem, MailSecurity};

use super::{SMTP_TIMEOUT, SmtpFailure, SmtpSettings, Stage, classify};

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

pub async fn check_connection(settings: &SmtpSettings, sender: &Address, recipient: &Address) -> CheckOutcome {
    let mut steps = Vec::new();
    let failure = run_checks(settings, sender, recipient, &mut steps).await.err();
    CheckOutcome { steps, failure }
}

async fn run_checks(
    settings: &SmtpSettings,
    sender: &Address,
    recipient: &Address,
    steps: &mut Vec<CheckStep>,
) -> Result<(), SmtpFailure> {
    let target = format!("{}:{}", settings.host, settings.port);
    let addresses: Vec<_> = match tokio::time::timeout(SMTP_TIMEOUT, tokio::net::lookup_host(&target)).await {
        Ok(Ok(addresses)) => addresses.collect(),
        Ok(Err(error)) => {
            return Err(SmtpFailure::new(
                MailProblem::Dns,
                format!("the host name \"{}\" could not be resolved ({error}); check the spelling and the server's DNS", settings.host),
            ));
        }
        Err(_) => return Err(SmtpFailure::new(MailProblem::Dns, format!("looking up \"{}\" took too long", settings.host))),
    };
    let Some(first) = addresses.first() else {
        return Err(SmtpFailure::new(MailProblem::Dns, format!("the host name \"{}\" has no address", settings.host)));
    };
    steps.push(CheckStep { stage: "dns", detail: format!("{} is {}", settings.host, first.ip()) });

    let hello = ClientId::default();
    let wrapper = match settings.security {
        MailSecurity::Tls => Some(settings.tls_parameters()?),
        MailSecurity::Starttls | MailSecurity::Unencrypted => None,
    };
    let stage = if settings.security == MailSecurity::Tls { Stage::StartTls } else { Stage::Connect };
    let connecting = AsyncSmtpConnection::connect_tokio1(
        (settings.host.as_str(), settings.port),
        Some(SMTP_TIMEOUT),
        &hello,
        wrapper,
        None,
    );
    let mut connection = match tokio::time::timeout(SMTP_TIMEOUT, connecting).await {
        Ok(Ok(connection)) => connection,
        // A refused or unanswered connection is a connect problem even where TLS was to follow.
        Ok(Err(error)) if is_refused(&error) => return Err(classify(&error, settings, Stage::Connect)),
        Ok(Err(error)) => return Err(classify(&error, settings, stage)),
        Err(_) => {
            return Err(SmtpFailure {
                transient: true,
                ..SmtpFailure::new(MailProblem::Connect, format!("{target} did not answer within {} seconds", SMTP_TIMEOUT.as_secs()))
            });
        }
    };
    steps.push(CheckStep { stage: "connect", detail: format!("{target} answers: {}", connection.server_info().name()) });
    if settings.security == MailSecurity::Tls {
        steps.push(CheckStep { stage: "tls", detail: tls_detail(settings) });
    }

    let result = converse(&mut connection, settings, &hello, sender, recipient, steps).await;
    // Leave politely, unless the connection is gone (a failed STARTTLS leaves nothing
    // to speak on); the check's outcome does not depend on QUIT.
    if !result.as_ref().is_err_and(|failure| failure.problem == MailProblem::Tls) && !connection.has_broken() {
        let _ = tokio::time::timeout(SMTP_TIMEOUT, connection.command(Rset)).await;
        let _ = tokio::time::timeout(SMTP_TIMEOUT, connection.quit()).await;
    }
    result
}

async fn converse(
    connection: &mut AsyncSmtpConnection,
    settings: &SmtpSettings,
    hello: &ClientId,
    sender: &Address,
    recipient: &Address,
    steps: &mut Vec<CheckStep>,
) -> Result<(), SmtpFailure> {
    if settings.security == MailSecurity::Starttls {
        let parameters = settings.tls_parameters()?;
        step(settings, Stage::StartTls, connection.starttls(parameters, hello)).await?;
        steps.push(CheckStep { stage: "tls", detail: format!("STARTTLS: {}", tls_detail(settings)) });
    }
    if let Some((user, password)) = &settings.credentials {
        let credentials = Credentials::new(user.clone(), password.clone());
        step(settings, Stage::Auth, connection.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)).await?;
        steps.push(CheckStep { stage: "auth", detail: format!("logged in as \"{user}\"") });
    }
    step(settings, Stage::MailFrom, connection.command(Mail::new(Some(sender.clone()), vec![]))).await?;
    steps.push(CheckStep { stage: "sender", detail: format!("the server accepts {sender} as sender") });
    step(settings, Stage::RcptTo, connection.command(Rcpt::new(recipient.clone(), vec![]))).await?;
    steps.push(CheckStep { stage: "recipient", detail: format!("the server accepts {recipient} as recipient") });
    Ok(())
}

fn tls_detail(settings: &SmtpSettings) -> String {
    if settings.accept_invalid_certs {
        "encrypted; the certificate was NOT checked (accept invalid certificate is on)".to_owned()
    } else {
        "encrypted; the certificate is valid for this host".to_owned()
    }
}

fn is_refused(error: &lettre::transport::smtp::Error) -> bool {
    use std::error::Error as _;
    let mut current: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(cause) = current {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && matches!(io.kind(), std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        current = cause.source();
    }
    false
}

/// A command that never answers is a failure of its stage, not a hung request.
async fn step<T>(
    settings: &SmtpSettings,
    stage: Stage,
    command: impl std::future::Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, SmtpFailure> {
    match tokio::time::timeout(SMTP_TIMEOUT, command).await {
        Ok(result) => result.map_err(|error| classify(&error, settings, stage)),
        Err(_) => Err(SmtpFailure {
            transient: true,
            ..SmtpFailure::new(
                MailProblem::Protocol,
                format!("{}:{} did not answer within {} seconds", settings.host, settings.port, SMTP_TIMEOUT.as_secs()),
            )
        }),
    }
}
