//! Mail out over SMTP: connection settings, failures sorted into the stage an IT admin
//! can act on, the stage-by-stage connection check, and building the messages.

pub mod connection;
pub mod diagnose;
pub mod message;
pub mod transport;

use std::error::Error as _;
use std::time::Duration;

use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::client::TlsParameters;
use talentpost_shared::{MailProblem, MailSecurity};

pub use diagnose::{CheckStep, check_connection};
pub use message::{OutgoingMail, build_message};
pub use transport::{Delivered, Deliverer, Transports};

/// Per command, and for the whole connection set-up.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
    pub accept_invalid_certs: bool,
    /// User name and password; `None` sends without AUTH (a relay that trusts the network).
    pub credentials: Option<(String, String)>,
    /// The second half of `credentials` is an OAuth access token, sent with XOAUTH2.
    pub xoauth2: bool,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("username", &self.credentials.as_ref().map(|(user, _)| user))
            .finish_non_exhaustive()
    }
}

impl SmtpSettings {
    pub fn tls_parameters(&self) -> Result<TlsParameters, SmtpFailure> {
        TlsParameters::builder(self.host.clone())
            .dangerous_accept_invalid_certs(self.accept_invalid_certs)
            // "Accept invalid certificate" means the certificate is not checked at all,
            // including the name in it (self-signed ones rarely match).
            .dangerous_accept_invalid_hostnames(self.accept_invalid_certs)
            .build_rustls()
            .map_err(|error| {
                SmtpFailure::new(
                    MailProblem::Tls,
                    format!("TLS cannot be set up for \"{}\": {error}", self.host),
                )
            })
    }
}

/// Where sending went wrong, in a sentence an admin can act on, with the server's own
/// reply kept apart so the outbox can show it verbatim.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct SmtpFailure {
    pub problem: MailProblem,
    pub message: String,
    pub reply_code: Option<u16>,
    pub reply: Option<String>,
    /// Worth trying again later (4xx, connection trouble); otherwise final.
    pub transient: bool,
}

impl SmtpFailure {
    pub fn new(problem: MailProblem, message: impl Into<String>) -> Self {
        Self {
            problem,
            message: message.into(),
            reply_code: None,
            reply: None,
            transient: false,
        }
    }

    fn transient(mut self) -> Self {
        self.transient = true;
        self
    }
}

/// The SMTP command a failure happened in, when the caller knows it (the connection
/// check does; a pooled transport send does not, and the reply decides).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Connect,
    StartTls,
    Auth,
    MailFrom,
    RcptTo,
    Data,
    Unknown,
}

/// A stage that got no answer in time, named so an admin knows where it hung.
pub fn timed_out(settings: &SmtpSettings, stage: Stage) -> SmtpFailure {
    let (problem, during) = match stage {
        Stage::Connect => (MailProblem::Connect, "the greeting"),
        Stage::StartTls => (MailProblem::Tls, "the TLS handshake"),
        Stage::Auth => (MailProblem::Login, "the login"),
        Stage::MailFrom => (MailProblem::Protocol, "MAIL FROM"),
        Stage::RcptTo => (MailProblem::Protocol, "RCPT TO"),
        Stage::Data | Stage::Unknown => (MailProblem::Protocol, "sending the message"),
    };
    SmtpFailure {
        transient: true,
        ..SmtpFailure::new(
            problem,
            format!(
                "{}:{} did not answer within {} seconds during {during}",
                settings.host,
                settings.port,
                SMTP_TIMEOUT.as_secs()
            ),
        )
    }
}

/// Sorts a lettre error into a stage and explains it.
pub fn classify(error: &SmtpError, settings: &SmtpSettings, stage: Stage) -> SmtpFailure {
    let target = format!("{}:{}", settings.host, settings.port);
    if let Some(code) = error.status() {
        let code_text = code.to_string();
        let reply_code = code_text.parse::<u16>().ok();
        let reply = error.source().map(|source| source.to_string()).unwrap_or_default();
        let said = format!("{code_text} {reply}").trim().to_owned();
        let lower = reply.to_ascii_lowercase();
        let transient = error.is_transient();
        let problem = if transient {
            MailProblem::Deferred
        } else {
            match stage {
                Stage::Auth => MailProblem::Login,
                Stage::MailFrom => MailProblem::SenderRefused,
                // Servers commonly judge the sender only at RCPT TO (Postfix does by
                // default), so the reply tells which of the two was refused.
                Stage::RcptTo if refuses_sender(&lower) => MailProblem::SenderRefused,
                Stage::RcptTo => MailProblem::RecipientRefused,
                Stage::Data => MailProblem::MessageRefused,
                Stage::Connect | Stage::StartTls => MailProblem::Protocol,
                Stage::Unknown => problem_from_reply(reply_code, &lower),
            }
        };
        let message = match problem {
            MailProblem::Deferred => format!("the server asked to try again later: {said}"),
            MailProblem::Login => match &settings.credentials {
                Some((user, _)) if settings.xoauth2 => {
                    format!("the server refused the OAuth token for \"{user}\": {said}")
                }
                Some((user, _)) => {
                    format!("the server refused the login for \"{user}\": {said}; check user name and password")
                }
                None => {
                    format!("the server requires a login: {said}; enter a user name and password")
                }
            },
            MailProblem::SenderRefused => {
                format!(
                    "the server refused the sender address: {said}; the account's login may not be allowed to send as this address"
                )
            }
            MailProblem::RecipientRefused => format!("the server refused the recipient: {said}"),
            MailProblem::MessageRefused => format!("the server refused the message: {said}"),
            _ => format!("the server answered with an error: {said}"),
        };
        return SmtpFailure {
            problem,
            message,
            reply_code,
            reply: Some(said),
            transient,
        };
    }

    let chain = error_chain(error);
    if error.is_tls() || has_tls_cause(error) || stage == Stage::StartTls {
        let hint = if chain.contains("certificate") && !settings.accept_invalid_certs {
            "; if the server uses a self-signed certificate, install its CA on this machine or turn on \"accept invalid certificate\" for this account"
        } else if chain.contains("STARTTLS is not supported") {
            "; the server does not offer STARTTLS on this port: choose TLS (port 465) or check the port"
        } else {
            ""
        };
        return SmtpFailure::new(MailProblem::Tls, format!("TLS with {target} failed: {chain}{hint}")).transient();
    }
    // lettre's XOAUTH2 does not answer the server's error challenge (a 334 with JSON);
    // that is the server refusing the token.
    if settings.xoauth2 && stage == Stage::Auth && chain.contains("does not expect a challenge") {
        let user = settings
            .credentials
            .as_ref()
            .map(|(user, _)| user.as_str())
            .unwrap_or_default();
        return SmtpFailure::new(
            MailProblem::Login,
            format!("{target} refused the OAuth token for \"{user}\""),
        );
    }
    if chain.contains("No compatible authentication mechanism") {
        return SmtpFailure::new(
            MailProblem::Login,
            format!(
                "{target} offers no login method Talentpost can use (PLAIN or LOGIN) on this connection; many servers offer it only after STARTTLS or TLS"
            ),
        );
    }
    if let Some(io) = io_cause(error) {
        use std::io::ErrorKind;
        let lookup_failed =
            chain.contains("lookup") || chain.contains("resolve") || chain.contains("Name or service not known");
        return match io.kind() {
            ErrorKind::ConnectionRefused => SmtpFailure::new(
                MailProblem::Connect,
                format!("nothing accepts connections on {target} (connection refused); check host, port and firewall"),
            )
            .transient(),
            ErrorKind::TimedOut | ErrorKind::WouldBlock => SmtpFailure::new(
                MailProblem::Connect,
                format!("{target} did not answer in time; check host, port and firewall"),
            )
            .transient(),
            _ if lookup_failed && stage == Stage::Connect => SmtpFailure::new(
                MailProblem::Dns,
                format!("the host name \"{}\" could not be resolved ({chain})", settings.host),
            )
            .transient(),
            ErrorKind::UnexpectedEof
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe => SmtpFailure::new(
                MailProblem::Connect,
                format!("the connection to {target} was lost ({chain})"),
            )
            .transient(),
            _ => SmtpFailure::new(MailProblem::Connect, format!("no connection to {target} ({chain})")).transient(),
        };
    }
    if error.is_timeout() {
        return SmtpFailure::new(MailProblem::Connect, format!("{target} did not answer in time")).transient();
    }
    if chain.contains("incomplete response") {
        return SmtpFailure::new(
            MailProblem::Connect,
            format!("{target} closed the connection ({chain})"),
        )
        .transient();
    }
    let hint = if stage == Stage::Connect {
        "; is this an SMTP port with the right security setting (TLS on 465, STARTTLS on 587)?"
    } else {
        ""
    };
    SmtpFailure::new(
        MailProblem::Protocol,
        format!("unexpected answer from {target}: {chain}{hint}"),
    )
    .transient()
}

/// For a send through a pooled connection the stage is unknown; the reply tells.
fn problem_from_reply(code: Option<u16>, lower_reply: &str) -> MailProblem {
    let enhanced = |code: &str| lower_reply.contains(code);
    match code {
        Some(530 | 534 | 535 | 538) => MailProblem::Login,
        _ if refuses_sender(lower_reply) => MailProblem::SenderRefused,
        _ if lower_reply.contains("recipient")
            || lower_reply.contains("user unknown")
            || enhanced("5.1.1")
            || enhanced("5.1.2")
            || enhanced("5.1.3") =>
        {
            MailProblem::RecipientRefused
        }
        _ => MailProblem::MessageRefused,
    }
}

fn refuses_sender(lower_reply: &str) -> bool {
    lower_reply.contains("sender") || lower_reply.contains("5.1.7") || lower_reply.contains("5.1.8")
}

fn error_chain(error: &SmtpError) -> String {
    let mut text = String::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(cause) = current {
        let part = cause.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
        current = cause.source();
    }
    if text.is_empty() { error.to_string() } else { text }
}

fn has_tls_cause(error: &SmtpError) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(cause) = current {
        if cause.downcast_ref::<tokio_rustls::rustls::Error>().is_some() {
            return true;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<tokio_rustls::rustls::Error>().is_some())
        {
            return true;
        }
        current = cause.source();
    }
    false
}

fn io_cause(error: &SmtpError) -> Option<&std::io::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(cause) = current {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        current = cause.source();
    }
    None
}
