use serde::{Deserialize, Serialize};
use std::fmt;

/// A syntactically plausible mailbox address (`local@domain`), trimmed, with the
/// domain lower-cased. The local part keeps its case: RFC 5321 lets servers treat it
/// case-sensitively, but matching against candidates uses [`EmailAddress::match_key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailAddressError {
    #[error("the e-mail address is empty")]
    Empty,
    #[error("the e-mail address is longer than 254 characters")]
    TooLong,
    #[error("the e-mail address needs exactly one @ with text on both sides")]
    MissingAt,
    #[error("the e-mail address contains a space, a control character or one of <>()[],;:\"")]
    ForbiddenCharacter,
    #[error("the domain of the e-mail address is not a valid host name")]
    InvalidDomain,
}

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, EmailAddressError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailAddressError::Empty);
        }
        if trimmed.len() > 254 {
            return Err(EmailAddressError::TooLong);
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or(EmailAddressError::MissingAt)?;
        if local.is_empty() || domain.is_empty() || local.len() > 64 {
            return Err(EmailAddressError::MissingAt);
        }
        let forbidden = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\@".contains(c);
        if local.chars().any(forbidden) || domain.chars().any(forbidden) {
            return Err(EmailAddressError::ForbiddenCharacter);
        }
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if !labels_ok {
            return Err(EmailAddressError::InvalidDomain);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(local, _)| local)
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }

    /// The address with `+tag` added to the local part (subaddressing), or `None` if
    /// the result would be too long.
    pub fn with_tag(&self, tag: &str) -> Option<Self> {
        Self::parse(&format!("{}+{tag}@{}", self.local_part(), self.domain())).ok()
    }

    /// The form used to recognise the same person across mails and candidate records.
    pub fn match_key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailAddressError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_normalises_the_domain() {
        let address = EmailAddress::parse("  Anna.Schmidt+jobs@Example.DE ");
        assert_eq!(address.map(String::from), Ok("Anna.Schmidt+jobs@example.de".to_owned()));
        assert!(EmailAddress::parse("jürgen@müller.de").is_ok());
    }

    #[test]
    fn rejects_broken_addresses_with_a_reason() {
        assert_eq!(EmailAddress::parse(""), Err(EmailAddressError::Empty));
        assert_eq!(EmailAddress::parse("no-at-sign"), Err(EmailAddressError::MissingAt));
        assert_eq!(EmailAddress::parse("@example.de"), Err(EmailAddressError::MissingAt));
        assert_eq!(
            EmailAddress::parse("a b@example.de"),
            Err(EmailAddressError::ForbiddenCharacter)
        );
        assert_eq!(
            EmailAddress::parse("a@exa..mple"),
            Err(EmailAddressError::InvalidDomain)
        );
        assert_eq!(EmailAddress::parse("a@-x.de"), Err(EmailAddressError::InvalidDomain));
        assert_eq!(
            EmailAddress::parse("a@x.de\r\nBcc: evil@x.de"),
            Err(EmailAddressError::ForbiddenCharacter)
        );
    }

    #[test]
    fn match_key_ignores_case() {
        let a = EmailAddress::parse("Anna@Example.de").map(|a| a.match_key());
        let b = EmailAddress::parse("anna@example.DE").map(|a| a.match_key());
        assert_eq!(a, b);
    }
}
