//! Schema changes, one migration per change, named by the date they were written.
//! Every migration must run forwards and backwards on SQLite and PostgreSQL; the
//! server's test suite runs `up`, `down` and `up` again on both.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

mod m20261129_000001_foundation;
mod m20261130_000002_mail_in;
mod m20261130_000003_mail_out;
mod m20261130_000004_candidate_file;
mod m20261130_000005_queries_and_form_letters;
mod m20261130_000006_nurturing_jobs;
mod m20261201_000007_oauth;
mod m20261207_000008_outbox_not_sent;
mod m20261207_000009_audit_actor;
mod m20261207_000010_form_embed_origins;
mod m20261207_000011_oauth_lapse_notice;
mod m20261207_000012_leases;
mod m20261207_000013_server_processes;
mod m20261208_000014_blob_claims;
mod support;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_foundation::Migration),
            Box::new(m20261130_000002_mail_in::Migration),
            Box::new(m20261130_000003_mail_out::Migration),
            Box::new(m20261130_000004_candidate_file::Migration),
            Box::new(m20261130_000005_queries_and_form_letters::Migration),
            Box::new(m20261130_000006_nurturing_jobs::Migration),
            Box::new(m20261201_000007_oauth::Migration),
            Box::new(m20261207_000008_outbox_not_sent::Migration),
            Box::new(m20261207_000009_audit_actor::Migration),
            Box::new(m20261207_000010_form_embed_origins::Migration),
            Box::new(m20261207_000011_oauth_lapse_notice::Migration),
            Box::new(m20261207_000012_leases::Migration),
            Box::new(m20261207_000013_server_processes::Migration),
            Box::new(m20261208_000014_blob_claims::Migration),
        ]
    }
}
