//! Mail in: everything that happens to a mail once a server or a person hands it to us.
//! - `ingest`: the one path every incoming mail takes (parse, store, deduplicate, route
//!   to a legal entity, announce);
//! - `threading`: answers to our own mail and delivery reports matched to what we sent;
//! - `intake`: the doors besides IMAP (HTTP intake, `importMail`, the MTA pipe);
//! - `stored`: reading a stored mail back (its HTML view, the raw source);
//! - `sync`: an IMAP folder brought into the inbox (one pass, or watched with IDLE).
//!
//! The protocols and formats it uses live in `crate::mail`, which never calls back here.

pub mod ingest;
pub mod intake;
pub mod sharing;
pub mod stored;
pub mod sync;
pub mod threading;
