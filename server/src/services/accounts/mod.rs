//! Mail accounts an organisation connects: incoming (IMAP) and outgoing (SMTP)
//! accounts, the connection part they share, and OAuth connections with their tokens.

pub mod inbound_accounts;
pub mod mail_connection;
pub mod oauth;
pub mod outbound_accounts;
