//! API tests: the server runs on port 0 with a fresh SQLite file or PostgreSQL
//! database per test, and the tests speak HTTP and WebSocket to it like any client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app_shell;
mod audit;
mod authentication;
mod authorization;
mod backup;
mod blob_sweep;
mod browser_security;
mod candidate_file;
mod container;
#[path = "../support/dovecot.rs"]
mod dovecot;
mod events_across_processes;
mod fixtures;
mod helpers;
mod inbox;
mod limits;
mod mail_crash;
mod mail_in;
mod mail_intake;
mod mail_out;
mod mailbox;
mod mailbox_sharing;
mod media;
mod metrics;
mod migrations;
mod nurturing;
mod nurturing_jobs;
mod oauth;
#[path = "../support/oauth_server.rs"]
mod oauth_server;
mod outbox_crash;
#[path = "../support/postfix.rs"]
mod postfix;
mod readiness;
#[path = "../support/s3_server.rs"]
mod s3_server;
mod s3_store;
mod schema;
mod statement_counts;
mod subscriptions;
mod verify;
