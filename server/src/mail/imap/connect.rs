//! Opening an IMAP session, with every failure sorted into a stage an IT admin can act on.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::TryStreamExt;
use talentpost_shared::{MailProblem, MailSecurity};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;

use crate::mail::tls::MailTls;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The plain or TLS stream under an IMAP session, one type for both.
#[derive(Debug)]
pub enum MailStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for MailStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MailStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}

pub type ImapSession = async_imap::Session<MailStream>;

#[derive(Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
    pub accept_invalid_certs: bool,
    pub username: String,
    pub login: ImapLogin,
}

/// How the session signs in.
#[derive(Clone)]
pub enum ImapLogin {
    Password(String),
    /// XOAUTH2 with an access token (Google, Microsoft 365).
    XOauth2 {
        access_token: String,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    },
}

impl std::fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A failure talking to a mail server: the stage it happened in and a sentence that
/// tells an admin what to check. The server's own words are included where it gave any.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct MailError {
    pub problem: MailProblem,
    pub message: String,
}

impl MailError {
    pub fn new(problem: MailProblem, message: impl Into<String>) -> Self {
        Self {
            problem,
            message: message.into(),
        }
    }

    pub fn protocol(context: &str, error: impl std::fmt::Display) -> Self {
        Self::new(MailProblem::Protocol, format!("{context}: {error}"))
    }

    /// An IMAP command failed: a dropped connection is a connection problem (the
    /// server went away), anything else a protocol problem.
    pub fn imap(context: &str, error: async_imap::error::Error) -> Self {
        match error {
            async_imap::error::Error::Io(io) => Self::new(
                MailProblem::Connect,
                format!("the connection to the server was lost during {context} ({io})"),
            ),
            async_imap::error::Error::ConnectionLost => Self::new(
                MailProblem::Connect,
                format!("the server closed the connection during {context}"),
            ),
            other => Self::protocol(context, other),
        }
    }
}

pub async fn connect(tls: &MailTls, settings: &ImapSettings) -> Result<ImapSession, MailError> {
    let target = format!("{}:{}", settings.host, settings.port);
    let addresses: Vec<_> = match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::lookup_host(&target)).await {
        Ok(Ok(addresses)) => addresses.collect(),
        Ok(Err(error)) => {
            return Err(MailError::new(
                MailProblem::Dns,
                format!(
                    "the host name \"{}\" could not be resolved ({error}); check the spelling and the server's DNS",
                    settings.host
                ),
            ));
        }
        Err(_) => {
            return Err(MailError::new(
                MailProblem::Dns,
                format!(
                    "looking up \"{}\" took longer than {} seconds",
                    settings.host,
                    CONNECT_TIMEOUT.as_secs()
                ),
            ));
        }
    };
    if addresses.is_empty() {
        return Err(MailError::new(
            MailProblem::Dns,
            format!("the host name \"{}\" has no address", settings.host),
        ));
    }
    let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addresses.as_slice())).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(error)) => {
            return Err(MailError::new(
                MailProblem::Connect,
                format!("no connection to {target} ({error}); check host, port and firewall"),
            ));
        }
        Err(_) => {
            return Err(MailError::new(
                MailProblem::Connect,
                format!(
                    "{target} did not answer within {} seconds; check host, port and firewall",
                    CONNECT_TIMEOUT.as_secs()
                ),
            ));
        }
    };
    let _ = tcp.set_nodelay(true);

    let client = match settings.security {
        MailSecurity::Tls => {
            let stream = tls_handshake(tls, settings, tcp).await?;
            let mut client = async_imap::Client::new(MailStream::Tls(Box::new(stream)));
            read_greeting(&mut client).await?;
            client
        }
        MailSecurity::Starttls => {
            let mut plain = async_imap::Client::new(MailStream::Plain(tcp));
            read_greeting(&mut plain).await?;
            timed("STARTTLS", plain.run_command_and_check_ok("STARTTLS", None))
                .await?
                .map_err(|error| {
                    MailError::new(
                        MailProblem::Tls,
                        format!("the server refused STARTTLS ({error}); try implicit TLS on port 993"),
                    )
                })?;
            let MailStream::Plain(tcp) = plain.into_inner() else {
                return Err(MailError::protocol("STARTTLS", "unexpected stream"));
            };
            let stream = tls_handshake(tls, settings, tcp).await?;
            // No second greeting after STARTTLS (RFC 3501 6.2.1).
            async_imap::Client::new(MailStream::Tls(Box::new(stream)))
        }
        MailSecurity::Unencrypted => {
            let mut client = async_imap::Client::new(MailStream::Plain(tcp));
            read_greeting(&mut client).await?;
            client
        }
    };
    let login = match &settings.login {
        ImapLogin::Password(password) => {
            tokio::time::timeout(CONNECT_TIMEOUT, client.login(&settings.username, password)).await
        }
        ImapLogin::XOauth2 { access_token, .. } => {
            let authenticator = crate::mail::oauth::XOauth2 {
                user: settings.username.clone(),
                access_token: access_token.clone(),
            };
            match tokio::time::timeout(CONNECT_TIMEOUT, client.authenticate("XOAUTH2", &authenticator)).await {
                Ok(Err((async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text), _))) => {
                    return Err(MailError::new(
                        MailProblem::Login,
                        format!(
                            "the server refused the OAuth token for \"{}\": {}",
                            settings.username,
                            text.trim()
                        ),
                    ));
                }
                other => other,
            }
        }
    };
    match login {
        Ok(Ok(session)) => Ok(session),
        Ok(Err((async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text), _))) => Err(MailError::new(
            MailProblem::Login,
            format!(
                "the server refused the login for \"{}\": {}",
                settings.username,
                text.trim()
            ),
        )),
        Ok(Err((error, _))) => Err(MailError::protocol("login", error)),
        Err(_) => Err(MailError::new(
            MailProblem::Login,
            "the server did not answer the login in time",
        )),
    }
}

async fn tls_handshake(
    tls: &MailTls,
    settings: &ImapSettings,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, MailError> {
    let name = ServerName::try_from(settings.host.clone()).map_err(|_| {
        MailError::new(
            MailProblem::Tls,
            format!("\"{}\" is not a valid TLS server name", settings.host),
        )
    })?;
    match tokio::time::timeout(
        CONNECT_TIMEOUT,
        tls.connector(settings.accept_invalid_certs).connect(name, tcp),
    )
    .await
    {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(error)) => {
            let hint = if error.to_string().contains("certificate") && !settings.accept_invalid_certs {
                "; if the server uses a self-signed certificate, install its CA on this machine or allow invalid certificates for this account"
            } else {
                ""
            };
            Err(MailError::new(
                MailProblem::Tls,
                format!("TLS handshake with {} failed: {error}{hint}", settings.host),
            ))
        }
        Err(_) => Err(MailError::new(
            MailProblem::Tls,
            "the TLS handshake did not finish in time",
        )),
    }
}

async fn read_greeting(client: &mut async_imap::Client<MailStream>) -> Result<(), MailError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, client.read_response()).await {
        Ok(Ok(Some(_))) => Ok(()),
        Ok(Ok(None)) => Err(MailError::protocol(
            "greeting",
            "the server closed the connection; is this an IMAP port?",
        )),
        Ok(Err(error)) => Err(MailError::protocol(
            "greeting",
            format!("{error}; is this an IMAP port with the right security setting?"),
        )),
        Err(_) => Err(MailError::protocol(
            "greeting",
            "no IMAP greeting; the port may expect TLS (993) or plain/STARTTLS (143)",
        )),
    }
}

/// Runs one IMAP command with the command timeout, turning a stall into a clear error.
pub async fn timed<T>(what: &str, command: impl std::future::Future<Output = T>) -> Result<T, MailError> {
    timed_within(what, COMMAND_TIMEOUT, command).await
}

/// `timed` with a longer limit, for answers that carry much data.
pub async fn timed_within<T>(
    what: &str,
    limit: Duration,
    command: impl std::future::Future<Output = T>,
) -> Result<T, MailError> {
    tokio::time::timeout(limit, command)
        .await
        .map_err(|_| MailError::protocol(what, format!("no answer within {} seconds", limit.as_secs())))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailFolder {
    pub name: String,
    pub selectable: bool,
}

pub async fn list_folders(session: &mut ImapSession) -> Result<Vec<MailFolder>, MailError> {
    let names = timed("LIST", async {
        let stream = session.list(Some(""), Some("*")).await?;
        stream.try_collect::<Vec<_>>().await
    })
    .await?
    .map_err(|error| MailError::imap("LIST", error))?;
    let mut folders: Vec<MailFolder> = names
        .iter()
        .map(|name| MailFolder {
            name: name.name().to_owned(),
            selectable: !name
                .attributes()
                .iter()
                .any(|a| matches!(a, async_imap::types::NameAttribute::NoSelect)),
        })
        .collect();
    folders.sort_by_key(|folder| (folder.name != "INBOX", folder.name.to_lowercase()));
    Ok(folders)
}
