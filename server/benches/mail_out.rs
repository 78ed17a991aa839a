//! Mail-out benchmark: queues 5,000 mails to a candidate through the compose path
//! (placeholders, sender resolution, outbox row and history entry per mail), then sends
//! them with the outbox worker's `run_once` through a real local Postfix, and in the
//! same run lets Postfix's own `smtp-source` send the same number of mails of the same
//! size to the same Postfix. Postfix queues and then discards the mail, so both sides
//! measure handing mail to the MTA, not its delivery.
//!
//! Run: `scripts/bench` (or `cargo bench -p talentpost-server --bench mail_out`).
//! `BENCH_MAILS` changes the number of mails, `BENCH_DATABASE_URL` uses PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/dovecot.rs"]
mod dovecot;
#[path = "../tests/support/postfix.rs"]
mod postfix;
#[path = "support/state.rs"]
mod support;

use std::process::Command;
use std::time::Instant;

use postfix::Postfix;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use talentpost_server::auth::Principal;
use talentpost_server::db::entities::legal_entity;
use talentpost_server::ids::{CandidateId, LegalEntityId, OutboundAccountId};
use talentpost_server::services::accounts::mail_connection::ConnectionInput;
use talentpost_server::services::accounts::outbound_accounts::{self, OutboundAccountInput};
use talentpost_server::services::{candidates, mail_out::messages, mail_out::sender_identities};
use talentpost_shared::{EmailAddress, MailSecurity, SenderChannel};

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let count: usize = std::env::var("BENCH_MAILS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let postfix = Postfix::start_discarding();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let data_dir = tempfile::tempdir().unwrap();

    let (state, principal) = runtime.block_on(setup(data_dir.path(), postfix.smtp_port));
    let candidate = runtime.block_on(async {
        let input = candidates::CandidateInput {
            first_name: Some("Anna".into()),
            last_name: Some("Schmidt".into()),
            emails: Some(vec![EmailAddress::parse("bulk@example.test").unwrap()]),
            ..Default::default()
        };
        CandidateId(candidates::create(&state, &principal, input).await.unwrap().id)
    });

    let queue_started = Instant::now();
    let sizes: Vec<i64> = runtime.block_on(async {
        let mut sizes = Vec::with_capacity(count);
        for index in 0..count {
            let input = messages::SendMessageInput {
                candidate_id: candidate,
                application_id: None,
                to: None,
                subject: format!("Ihre Bewerbung Nr. {index}"),
                body: "Hallo {{ candidate.first_name }},\n\nvielen Dank für Ihre Bewerbung bei {{ sender.company }}. \
                       Wir melden uns in den nächsten Tagen bei Ihnen.\n\nViele Grüße\n{{ sender.name }}"
                    .into(),
                attachments: Vec::new(),
                in_reply_to_inbox_item_id: None,
            };
            sizes.push(messages::send(&state, &principal, input).await.unwrap().size_bytes);
        }
        sizes
    });
    let queued = queue_started.elapsed();
    let average = sizes.iter().sum::<i64>() / sizes.len().max(1) as i64;
    println!("mails: {count}, about {average} bytes each");
    println!(
        "queueing (compose, outbox row, history entry): {:.2} s, {:.0} mails/s",
        queued.as_secs_f64(),
        count as f64 / queued.as_secs_f64()
    );

    // The yardstick: Postfix's own load generator, as many parallel sessions as the
    // outbox sends at once (8), same number and size of mails.
    let started = Instant::now();
    let status = Command::new("/usr/sbin/smtp-source")
        .args(["-s", "8", "-m", &count.to_string(), "-l", &average.to_string()])
        .args(["-f", "jobs@example.test", "-t", "bulk@example.test"])
        .arg(format!("127.0.0.1:{}", postfix.smtp_port))
        .status()
        .unwrap();
    assert!(status.success());
    let baseline = started.elapsed();
    println!(
        "smtp-source (8 sessions): {:.2} s, {:.0} mails/s",
        baseline.as_secs_f64(),
        count as f64 / baseline.as_secs_f64()
    );

    let started = Instant::now();
    let sent = runtime.block_on(async {
        let mut sent = 0;
        loop {
            let report = talentpost_server::workers::outbox::run_once(&state).await.unwrap();
            assert_eq!(report.failed + report.retrying, 0, "{report:?}");
            sent += report.sent;
            if report.claimed == 0 {
                break sent;
            }
        }
    });
    let elapsed = started.elapsed();
    assert_eq!(sent, count as u64);
    println!(
        "Talentpost outbox (run_once, pooled connections): {:.2} s, {:.0} mails/s ({:.1}x smtp-source's time)",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "database: {}",
        if std::env::var("BENCH_DATABASE_URL").is_ok() {
            "BENCH_DATABASE_URL"
        } else {
            "SQLite (default)"
        }
    );
    // Pooled SMTP connections close on their runtime.
    runtime.block_on(async move { drop(state) });
}

async fn setup(data_dir: &std::path::Path, smtp_port: u16) -> (talentpost_server::state::AppState, Principal) {
    let (state, principal) = support::bench_state(data_dir, std::env::var("BENCH_DATABASE_URL").ok()).await;
    let account = outbound_accounts::create(
        &state,
        &principal,
        OutboundAccountInput {
            label: Some("Postfix".into()),
            connection: ConnectionInput {
                host: Some("127.0.0.1".into()),
                port: Some(i32::from(smtp_port)),
                security: Some(MailSecurity::Unencrypted),
                allow_plaintext: Some(true),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let main = legal_entity::Entity::find()
        .filter(legal_entity::Column::OrganisationId.eq(principal.organisation_id))
        .one(&state.db)
        .await
        .unwrap()
        .unwrap();
    sender_identities::set(
        &state,
        &principal,
        LegalEntityId(main.id),
        sender_identities::SenderIdentityInput {
            sender_address: Some("jobs@example.test".into()),
            channel: Some(SenderChannel::Account),
            outbound_account_id: Some(OutboundAccountId(account.id)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (state, principal)
}
