//! The outbox worker: sends due mail, a few at a time, through pooled connections.
//! It sleeps until the next mail is due or it is woken (a mail was queued, here or in
//! another process); on shutdown it stops claiming and lets started sends finish.

use std::time::Duration;

use futures_util::StreamExt;

use crate::error::ServiceResult;
use crate::events::DomainEvent;
use crate::services::mail_out::outbox;
use crate::state::AppState;
use crate::workers::LoopControl;

/// Mails sent at the same time (and the connections kept per account). A round claims
/// no more than it sends at once and records their outcomes in one commit, so a crash
/// can cut off at most this many attempts (the others stay queued, unclaimed).
pub const IN_FLIGHT: usize = crate::mail::smtp::transport::POOL_SIZE as usize;
const CLAIM_BATCH: u64 = IN_FLIGHT as u64;
/// Even without a wake-up the worker looks again this often (lease take-overs).
const MAX_SLEEP: Duration = Duration::from_secs(30);
/// How long shutdown waits for sends already started.
const DRAIN: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxReport {
    pub claimed: u64,
    pub sent: u64,
    pub retrying: u64,
    pub failed: u64,
    /// Claims of a vanished worker taken back into the queue.
    pub released: u64,
    /// Mails that reached their maximum age unsent and failed.
    pub expired: u64,
}

#[derive(Clone, Default)]
pub struct OutboxWorker {
    control: LoopControl,
}

impl OutboxWorker {
    pub fn is_stopping(&self) -> bool {
        self.control.is_stopping()
    }

    pub fn start(&self, state: &AppState) {
        if state.config.outbox_worker {
            self.control.spawn(run_loop(state.clone(), self.clone()));
        }
    }

    /// Stops claiming and waits (bounded) for the current round to record its results,
    /// so an ordinary restart leaves no mail in `sending`.
    pub async fn stop(&self) {
        self.control.stop(DRAIN).await;
    }
}

/// One round: take back expired claims, then claim and send what is due.
pub async fn run_once(state: &AppState) -> ServiceResult<OutboxReport> {
    let mut report = OutboxReport {
        released: outbox::release_expired_claims(state).await?,
        expired: outbox::fail_expired(state).await?,
        ..Default::default()
    };
    loop {
        // On shutdown the round ends after the batch in hand: no new claims.
        if state.signals.shutdown.is_requested() {
            return Ok(report);
        }
        let claimed = outbox::claim(state, None, CLAIM_BATCH).await?;
        if claimed.is_empty() {
            return Ok(report);
        }
        let batch_len = claimed.len() as u64;
        report.claimed += batch_len;
        let accounts = outbox::accounts_for(state, &claimed).await?;
        // Each attempt runs as its own task: a panic in the mail library ends that
        // attempt (its claim runs out and it is retried), never the worker.
        let attempted: Vec<_> = futures_util::stream::iter(claimed)
            .map(|message| {
                let state = state.clone();
                let account = message.outbound_account_id.and_then(|id| accounts.get(&id).cloned());
                async move {
                    let id = message.id;
                    let attempt = tokio::spawn(async move { outbox::deliver(&state, message, account.as_ref()).await }).await;
                    if let Err(panic) = &attempt {
                        tracing::error!(message = id, %panic, "sending an outbox message panicked; it is retried after its claim expires");
                    }
                    attempt.ok()
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .filter_map(std::future::ready)
            .collect()
            .await;
        for message in outbox::record_outcomes(state, attempted).await? {
            match message.status {
                talentpost_shared::OutboxStatus::Sent => report.sent += 1,
                talentpost_shared::OutboxStatus::Retrying => report.retrying += 1,
                _ => report.failed += 1,
            }
        }
        if batch_len < CLAIM_BATCH {
            // A short batch means nothing more is due right now.
            return Ok(report);
        }
    }
}

async fn run_loop(state: AppState, worker: OutboxWorker) {
    let mut events = state.events.subscribe();
    while !worker.is_stopping() {
        if let Err(error) = run_once(&state).await {
            tracing::error!(error = %error, "outbox round failed");
        }
        if worker.is_stopping() {
            break;
        }
        let sleep = match outbox::next_due(&state).await {
            Ok(Some(due)) => (due - chrono::Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(MAX_SLEEP),
            Ok(None) => MAX_SLEEP,
            Err(error) => {
                tracing::error!(error = %error, "outbox: reading the next due time failed");
                MAX_SLEEP
            }
        };
        if sleep.is_zero() {
            tokio::task::yield_now().await;
            continue;
        }
        let deadline = tokio::time::Instant::now() + sleep;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => break,
                () = worker.control.woken() => break,
                // Mail queued by another process (PostgreSQL relays its events).
                event = events.recv() => match event {
                    Ok(DomainEvent::OutboxChanged { status: talentpost_shared::OutboxStatus::Queued, .. })
                    | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                        tokio::time::sleep_until(deadline).await;
                        break;
                    }
                    Ok(_) => {}
                },
            }
        }
    }
}
