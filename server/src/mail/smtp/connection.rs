//! Opening an SMTP session stage by stage on our own socket (TCP_NODELAY: lettre writes
//! the end-of-data marker separately, which Nagle would hold back for a delayed ACK,
//! about 40 ms per mail), and a small pool of open sessions per account.

use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream};
use lettre::transport::smtp::extension::ClientId;
use talentpost_shared::{MailProblem, MailSecurity};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;

use super::diagnose::CheckStep;
use super::{SMTP_TIMEOUT, SmtpFailure, SmtpSettings, Stage, classify, timed_out};
use crate::mail::tls::MailTls;

/// Implicit TLS done by us (the same connector and certificate policy as IMAP), handed
/// to lettre as its transport.
#[derive(Debug)]
struct TlsSocket(TlsStream<TcpStream>);

impl AsyncRead for TlsSocket {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsSocket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for TlsSocket {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

async fn within<T>(
    settings: &SmtpSettings,
    stage: Stage,
    step: impl std::future::Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, SmtpFailure> {
    match tokio::time::timeout(SMTP_TIMEOUT, step).await {
        Ok(result) => result.map_err(|error| classify(&error, settings, stage)),
        Err(_) => Err(timed_out(settings, stage)),
    }
}

/// Connects, secures and logs in, reporting each stage that passed to `passed`.
pub async fn open(
    tls: &MailTls,
    settings: &SmtpSettings,
    passed: &mut (dyn FnMut(CheckStep) + Send),
) -> Result<AsyncSmtpConnection, SmtpFailure> {
    let target = format!("{}:{}", settings.host, settings.port);
    let addresses: Vec<_> = match tokio::time::timeout(SMTP_TIMEOUT, tokio::net::lookup_host(&target)).await {
        Ok(Ok(addresses)) => addresses.collect(),
        Ok(Err(error)) => {
            return Err(SmtpFailure {
                transient: true,
                ..SmtpFailure::new(
                    MailProblem::Dns,
                    format!(
                        "the host name \"{}\" could not be resolved ({error}); check the spelling and the server's DNS",
                        settings.host
                    ),
                )
            });
        }
        Err(_) => {
            return Err(SmtpFailure {
                transient: true,
                ..SmtpFailure::new(
                    MailProblem::Dns,
                    format!("looking up \"{}\" took too long", settings.host),
                )
            });
        }
    };
    let Some(first) = addresses.first() else {
        return Err(SmtpFailure::new(
            MailProblem::Dns,
            format!("the host name \"{}\" has no address", settings.host),
        ));
    };
    passed(CheckStep {
        stage: "dns",
        detail: format!("{} is {}", settings.host, first.ip()),
    });

    let tcp = match tokio::time::timeout(SMTP_TIMEOUT, TcpStream::connect(addresses.as_slice())).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(error)) => {
            let reason = if error.kind() == std::io::ErrorKind::ConnectionRefused {
                "connection refused".to_owned()
            } else {
                error.to_string()
            };
            return Err(SmtpFailure {
                transient: true,
                ..SmtpFailure::new(
                    MailProblem::Connect,
                    format!("nothing accepts connections on {target} ({reason}); check host, port and firewall"),
                )
            });
        }
        Err(_) => {
            return Err(SmtpFailure {
                transient: true,
                ..SmtpFailure::new(
                    MailProblem::Connect,
                    format!(
                        "{target} did not answer within {} seconds; check host, port and firewall",
                        SMTP_TIMEOUT.as_secs()
                    ),
                )
            });
        }
    };
    let _ = tcp.set_nodelay(true);
    let hello = ClientId::default();
    let mut connection = match settings.security {
        MailSecurity::Tls => {
            let name = ServerName::try_from(settings.host.clone()).map_err(|_| {
                SmtpFailure::new(
                    MailProblem::Tls,
                    format!("\"{}\" is not a valid TLS server name", settings.host),
                )
            })?;
            let stream = match tokio::time::timeout(
                SMTP_TIMEOUT,
                tls.connector(settings.accept_invalid_certs).connect(name, tcp),
            )
            .await
            {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    let hint = if error.to_string().contains("certificate") && !settings.accept_invalid_certs {
                        "; if the server uses a self-signed certificate, install its CA on this machine or turn on \"accept invalid certificate\" for this account"
                    } else {
                        "; is this a TLS port (usually 465)?"
                    };
                    return Err(SmtpFailure {
                        transient: true,
                        ..SmtpFailure::new(
                            MailProblem::Tls,
                            format!("TLS handshake with {target} failed: {error}{hint}"),
                        )
                    });
                }
                Err(_) => {
                    return Err(SmtpFailure {
                        transient: true,
                        ..SmtpFailure::new(MailProblem::Tls, "the TLS handshake did not finish in time")
                    });
                }
            };
            let connection = within(
                settings,
                Stage::Connect,
                AsyncSmtpConnection::connect_with_transport(Box::new(TlsSocket(stream)), &hello),
            )
            .await?;
            passed(CheckStep {
                stage: "connect",
                detail: format!("{target} answers: {}", connection.server_info().name()),
            });
            passed(CheckStep {
                stage: "tls",
                detail: tls_detail(settings),
            });
            connection
        }
        MailSecurity::Starttls | MailSecurity::Unencrypted => {
            let mut connection = within(
                settings,
                Stage::Connect,
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello),
            )
            .await?;
            passed(CheckStep {
                stage: "connect",
                detail: format!("{target} answers: {}", connection.server_info().name()),
            });
            if settings.security == MailSecurity::Starttls {
                let parameters = settings.tls_parameters()?;
                within(settings, Stage::StartTls, connection.starttls(parameters, &hello)).await?;
                passed(CheckStep {
                    stage: "tls",
                    detail: format!("STARTTLS: {}", tls_detail(settings)),
                });
            }
            connection
        }
    };
    if let Some((user, password)) = &settings.credentials {
        let credentials = Credentials::new(user.clone(), password.clone());
        let mechanisms: &[Mechanism] = if settings.xoauth2 {
            &[Mechanism::Xoauth2]
        } else {
            &[Mechanism::Plain, Mechanism::Login]
        };
        within(settings, Stage::Auth, connection.auth(mechanisms, &credentials)).await?;
        passed(CheckStep {
            stage: "auth",
            detail: format!("logged in as \"{user}\""),
        });
    }
    Ok(connection)
}

fn tls_detail(settings: &SmtpSettings) -> String {
    if settings.accept_invalid_certs {
        "encrypted; the certificate was NOT checked (accept invalid certificate is on)".to_owned()
    } else {
        "encrypted; the certificate is valid for this host".to_owned()
    }
}

/// Idle sessions are dropped after this; servers close them after a few minutes anyway.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// Open sessions of one account, reused across mails.
pub struct SmtpPool {
    settings: SmtpSettings,
    tls: MailTls,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    max_idle: usize,
}

impl SmtpPool {
    pub fn new(settings: SmtpSettings, tls: MailTls, max_idle: usize) -> Self {
        Self {
            settings,
            tls,
            idle: Mutex::new(Vec::new()),
            max_idle,
        }
    }

    pub fn settings(&self) -> &SmtpSettings {
        &self.settings
    }

    /// An idle session that still answers NOOP, else a new one. The check comes before
    /// anything of the mail is sent, so a stale session never causes a second copy.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, SmtpFailure> {
        loop {
            let candidate = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
            match candidate {
                Some((mut connection, since)) => {
                    if since.elapsed() < IDLE_LIMIT
                        && matches!(
                            tokio::time::timeout(SMTP_TIMEOUT, connection.test_connected()).await,
                            Ok(true)
                        )
                    {
                        return Ok(connection);
                    }
                }
                None => return open(&self.tls, &self.settings, &mut |_| {}).await,
            }
        }
    }

    fn checkin(&self, connection: AsyncSmtpConnection) {
        if connection.has_broken() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.max_idle {
            idle.push((connection, Instant::now()));
        }
    }

    /// Sends one mail; returns the server's final reply.
    pub async fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<String, SmtpFailure> {
        let mut connection = self.checkout().await?;
        // lettre times out nothing on a connection of ours; this bounds the transaction.
        let limit = SMTP_TIMEOUT * 4;
        match tokio::time::timeout(limit, connection.send(envelope, raw)).await {
            Ok(Ok(response)) => {
                self.checkin(connection);
                Ok(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                ))
            }
            Ok(Err(error)) => {
                let failure = classify(&error, &self.settings, Stage::Unknown);
                // A refused mail leaves a usable session once the transaction is reset.
                if error.status().is_some()
                    && !connection.has_broken()
                    && matches!(
                        tokio::time::timeout(
                            SMTP_TIMEOUT,
                            connection.command(lettre::transport::smtp::commands::Rset)
                        )
                        .await,
                        Ok(Ok(_))
                    )
                {
                    self.checkin(connection);
                }
                Err(failure)
            }
            Err(_) => Err(SmtpFailure {
                transient: true,
                ..SmtpFailure::new(
                    MailProblem::Connect,
                    format!(
                        "sending through {}:{} did not finish within {} seconds",
                        self.settings.host,
                        self.settings.port,
                        limit.as_secs()
                    ),
                )
            }),
        }
    }
}
