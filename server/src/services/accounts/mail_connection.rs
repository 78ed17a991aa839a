//! The connection part of a mail account form (host, port, security, login), shared by
//! incoming (IMAP) and outgoing (SMTP) accounts: validation, and the rule that a stored
//! password only ever goes to the server it was entered for.

use talentpost_shared::MailSecurity;

use crate::auth::Principal;
use crate::error::{ServiceError, ServiceResult};
use crate::services::required_text;
use crate::state::AppState;

/// Where and how to connect, as entered; `None` keeps the stored value when editing.
#[derive(Clone, Default)]
pub struct ConnectionInput {
    pub host: Option<String>,
    pub port: Option<i32>,
    pub security: Option<MailSecurity>,
    pub allow_plaintext: Option<bool>,
    pub accept_invalid_certs: Option<bool>,
    /// `Some("")` removes the login (SMTP relays that trust the network).
    pub username: Option<String>,
    /// `None` or empty keeps the stored password.
    pub password: Option<String>,
}

/// An account's stored connection, whichever kind of account it is.
pub struct StoredConnection<'a> {
    pub host: &'a str,
    pub port: i32,
    pub security: MailSecurity,
    pub allow_plaintext: bool,
    pub accept_invalid_certs: bool,
    pub username: Option<&'a str>,
    pub password_secret: Option<&'a str>,
}

/// What differs between IMAP and SMTP accounts.
pub struct Protocol {
    pub name: &'static str,
    pub tls_port: u16,
    pub plain_port: u16,
    pub example_host: &'static str,
    pub login_required: bool,
}

pub const IMAP: Protocol = Protocol {
    name: "IMAP",
    tls_port: 993,
    plain_port: 143,
    example_host: "imap.example.com",
    login_required: true,
};
pub const SMTP: Protocol = Protocol {
    name: "SMTP",
    tls_port: 465,
    plain_port: 587,
    example_host: "smtp.example.com",
    login_required: false,
};

/// Connection settings after validation; the password is still clear text here and is
/// sealed before it is stored.
pub struct ValidConnection {
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
    pub allow_plaintext: bool,
    pub accept_invalid_certs: bool,
    pub username: Option<String>,
}

pub fn validate(
    protocol: &Protocol,
    input: &ConnectionInput,
    current: Option<&StoredConnection<'_>>,
) -> ServiceResult<ValidConnection> {
    let host = match (&input.host, current) {
        (Some(host), _) => host.trim().to_owned(),
        (None, Some(stored)) => stored.host.to_owned(),
        (None, None) => String::new(),
    };
    if host.is_empty() {
        return Err(ServiceError::invalid("host", "enter the mail server's host name"));
    }
    if host.len() > 253
        || host
            .chars()
            .any(|c| c.is_whitespace() || c == '/' || c == '@' || c.is_control())
    {
        return Err(ServiceError::invalid(
            "host",
            format!(
                "a host name like {}, without spaces, slashes or @",
                protocol.example_host
            ),
        ));
    }
    let security = input
        .security
        .or_else(|| current.map(|stored| stored.security))
        .unwrap_or(MailSecurity::Tls);
    let port = match (input.port, current) {
        (Some(port), _) => port,
        (None, Some(stored)) => stored.port,
        (None, None) => i32::from(match security {
            MailSecurity::Tls => protocol.tls_port,
            MailSecurity::Starttls | MailSecurity::Unencrypted => protocol.plain_port,
        }),
    };
    let port = u16::try_from(port).ok().filter(|port| *port > 0).ok_or_else(|| {
        ServiceError::invalid(
            "port",
            format!(
                "a port between 1 and 65535 ({}: {} with TLS, {} with STARTTLS)",
                protocol.name, protocol.tls_port, protocol.plain_port
            ),
        )
    })?;
    let allow_plaintext = input
        .allow_plaintext
        .or(current.map(|stored| stored.allow_plaintext))
        .unwrap_or(false);
    if security == MailSecurity::Unencrypted && !allow_plaintext {
        return Err(ServiceError::invalid(
            "security",
            "an unencrypted connection sends the password and the mail in clear text; confirm it with allowPlaintext or choose TLS or STARTTLS",
        ));
    }
    let accept_invalid_certs = input
        .accept_invalid_certs
        .or(current.map(|stored| stored.accept_invalid_certs))
        .unwrap_or(false);
    let username = match (&input.username, current) {
        (Some(name), _) if name.trim().is_empty() => None,
        (Some(name), _) => Some(required_text("username", name, 320)?),
        (None, Some(stored)) => stored.username.map(str::to_owned),
        (None, None) => None,
    };
    if protocol.login_required && username.is_none() {
        return Err(ServiceError::invalid("username", "enter the mailbox's user name"));
    }
    Ok(ValidConnection {
        host,
        port,
        security,
        allow_plaintext,
        accept_invalid_certs,
        username,
    })
}

/// Whether the validated settings still point at the server the stored password was
/// entered for.
pub fn same_destination(connection: &ValidConnection, stored: &StoredConnection<'_>) -> bool {
    connection.host.eq_ignore_ascii_case(stored.host)
        && i32::from(connection.port) == stored.port
        && connection.security == stored.security
        && connection.username.as_deref() == stored.username
        && (!connection.accept_invalid_certs || stored.accept_invalid_certs)
}

fn new_password(input: &ConnectionInput) -> Option<&str> {
    input.password.as_deref().filter(|password| !password.is_empty())
}

/// The stored password only goes to the server it was entered for: pointing an account
/// at another host, port, user or weaker security needs the password typed again, so a
/// changed setting cannot send it somewhere else.
pub fn require_password_for_new_destination(
    connection: &ValidConnection,
    input: &ConnectionInput,
    stored: &StoredConnection<'_>,
) -> ServiceResult<()> {
    if new_password(input).is_some() || connection.username.is_none() || same_destination(connection, stored) {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "password",
            "enter the password again when you change the server, port, security, user name or certificate check",
        ))
    }
}

/// The password to log in with: the one entered, else the stored one; `None` without a login.
pub fn password_of(
    state: &AppState,
    connection: &ValidConnection,
    input: &ConnectionInput,
    stored: Option<&StoredConnection<'_>>,
) -> ServiceResult<Option<String>> {
    if connection.username.is_none() {
        return Ok(None);
    }
    if let Some(password) = new_password(input) {
        if password.len() > 1000 {
            return Err(ServiceError::invalid("password", "at most 1000 characters"));
        }
        return Ok(Some(password.to_owned()));
    }
    match stored.and_then(|stored| stored.password_secret) {
        Some(secret) => state.secrets.decrypt(secret).map(Some).map_err(|_| {
            ServiceError::invalid(
                "password",
                "the stored password cannot be read with this server's key; enter it again",
            )
        }),
        None => Err(ServiceError::invalid(
            "password",
            "enter the password for this user name",
        )),
    }
}

/// Mail accounts are set up by admins, and by company admins for their legal entities.
pub fn require_mail_admin(principal: &Principal) -> ServiceResult<()> {
    if principal.is_admin() || principal.role == talentpost_shared::Role::CompanyAdmin {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("only administrators manage mail accounts"))
    }
}
