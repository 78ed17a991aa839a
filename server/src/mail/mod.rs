//! Mail plumbing: protocols and formats only (IMAP, SMTP, TLS, OAuth providers' XOAUTH2,
//! parsing, sanitising). It knows nothing of inboxes, candidates or the application's
//! state; what happens to a mail is `services::mail_in`'s and `services::mail_out::outbox`'s.

pub mod imap;
pub mod oauth;
pub mod parse;
pub mod sanitize;
pub mod smtp;
pub mod tls;
