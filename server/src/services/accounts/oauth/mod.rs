//! Google and Microsoft mailboxes through OAuth2: the organisation's client
//! registrations, connecting and disconnecting mailboxes, and keeping their tokens alive.

pub mod clients;
pub mod connect;
pub mod tokens;
