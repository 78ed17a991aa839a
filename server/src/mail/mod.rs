//! Mail plumbing, independent of GraphQL: connecting to mail servers, parsing and
//! sanitising mail, and the one ingest path every incoming mail takes.

pub mod imap;
pub mod ingest;
pub mod oauth;
pub mod parse;
pub mod sanitize;
pub mod smtp;
pub mod threading;
pub mod tls;
