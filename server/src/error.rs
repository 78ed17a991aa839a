//! The service layer's error type. The GraphQL and HTTP layers map it to a public
//! [`ErrorCode`]; database and I/O causes are logged there and never sent to clients.

use talentpost_shared::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("{field}: {message}")]
    InvalidInput { field: String, message: String },
    #[error("{message}")]
    Conflict { field: Option<String>, message: String },
    #[error("e-mail address or password is wrong")]
    InvalidCredentials,
    #[error("too many failed logins for this account; try again in {retry_after_seconds} seconds")]
    TooManyAttempts { retry_after_seconds: u64 },
    #[error("too many requests; try again in {retry_after_seconds} seconds")]
    RateLimited { retry_after_seconds: u64 },
    /// A key or signature of a public channel (form key, SMS webhook) did not check out;
    /// the message says which.
    #[error("{0}")]
    BadCredential(String),
    #[error("{field}: larger than the limit of {limit} bytes")]
    PayloadTooLarge { field: String, limit: usize },
    #[error("{message}")]
    MailServer {
        problem: talentpost_shared::MailProblem,
        message: String,
    },
    #[error("database")]
    Database(#[from] sea_orm::DbErr),
    #[error("file storage")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::InvalidInput { .. } => ErrorCode::InvalidInput,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::BadCredential(_) => ErrorCode::Unauthenticated,
            Self::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::MailServer { .. } => ErrorCode::MailServer,
            Self::Database(_) | Self::Io(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The input field the error is about, for forms to highlight.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::InvalidInput { field, .. } | Self::PayloadTooLarge { field, .. } => Some(field),
            Self::Conflict { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// The text a client may see. Internal causes stay in the log.
    pub fn public_message(&self) -> String {
        match self.code() {
            ErrorCode::Internal => "internal error; the server log has the details".to_owned(),
            _ => self.to_string(),
        }
    }
}

/// An error with its causes, for the one log line that reports it.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// True when the database refused a row because a unique index already has its key.
pub fn is_unique_violation(error: &sea_orm::DbErr) -> bool {
    matches!(error.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}
