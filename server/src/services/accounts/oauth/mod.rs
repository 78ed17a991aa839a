//! Google and Microsoft mailboxes through OAuth2: the organisation's client
//! registrations, connecting and disconnecting mailboxes, and keeping their tokens alive,
//! and telling the admins when a sign-in lapsed.

pub mod clients;
pub mod connect;
pub mod lapse_notices;
pub mod tokens;
