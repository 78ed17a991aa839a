//! Pages fetch their data; the components they use only render it.

pub mod candidate_contact;
pub mod candidate_file;
pub mod candidates;
pub mod dashboard;
pub mod inbox;
pub mod job_openings;
pub mod login;
pub mod mail_accounts;
pub mod nurturing;
pub mod nurturing_jobs;
pub mod oauth_callback;
pub mod outbox;
pub mod outgoing_mail;
pub mod public_channels;
pub mod settings;
