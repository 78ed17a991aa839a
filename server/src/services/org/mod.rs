//! The organisation and its people: sign-in and sessions (`auth`), users and groups,
//! legal entities, settings, the audit log, the first start (`bootstrap`), the start
//! page's figures (`dashboard`) and the demo data.

pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod dashboard;
pub mod demo;
pub mod legal_entities;
pub mod organisation_settings;
pub mod users;
