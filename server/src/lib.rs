//! Talentpost server library: the binary in `main.rs` and the integration tests both
//! start the application through [`app::Application`].

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod mail;
pub mod metrics;
pub mod services;
pub mod signals;
pub mod state;
pub mod storage;
pub mod workers;
