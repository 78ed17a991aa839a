use serde::{Deserialize, Serialize};

/// The stable code every API error carries in `extensions.code`.
///
/// Clients (our app, integrators' scripts) branch and translate on these, so the
/// serialised names are a public contract: add new variants, never rename old ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// No valid session cookie or API token was presented.
    Unauthenticated,
    /// The caller is known but their role or legal-entity scope does not cover this.
    Forbidden,
    /// The id does not exist, or exists outside what the caller may see.
    NotFound,
    /// An input value was rejected; `extensions.field` names it.
    InvalidInput,
    /// The change collides with existing data (a duplicate e-mail, a second main entity).
    Conflict,
    /// Login failed: unknown user or wrong password (deliberately not distinguished).
    InvalidCredentials,
    /// The request or one of its uploads is larger than allowed.
    PayloadTooLarge,
    /// The query is deeper or more complex than the server allows.
    QueryTooComplex,
    /// Too many failed logins for this account; wait and try again.
    TooManyAttempts,
    /// Too many requests from this client (a public form, a webhook); wait and try again.
    RateLimited,
    /// A mail server could not be reached or refused us; `extensions.problem` names
    /// the stage (DNS, CONNECT, TLS, LOGIN, FOLDER_MISSING, PROTOCOL).
    MailServer,
    /// Something failed on our side; the server log has the details.
    Internal,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::InvalidInput => "INVALID_INPUT",
            Self::Conflict => "CONFLICT",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::TooManyAttempts => "TOO_MANY_ATTEMPTS",
            Self::RateLimited => "RATE_LIMITED",
            Self::MailServer => "MAIL_SERVER",
            Self::Internal => "INTERNAL",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    pub const ALL: [Self; 12] = [
        Self::Unauthenticated,
        Self::Forbidden,
        Self::NotFound,
        Self::InvalidInput,
        Self::Conflict,
        Self::InvalidCredentials,
        Self::PayloadTooLarge,
        Self::QueryTooComplex,
        Self::TooManyAttempts,
        Self::RateLimited,
        Self::MailServer,
        Self::Internal,
    ];
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialised_names_match_as_str() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
    }
}
