//! The outbox's state machine as plain data: what may happen to a mail in each status,
//! and what it becomes. No database, no clock, no I/O; `store` writes what these
//! functions decide, and nothing else changes an outbox row's status.
//!
//! ```text
//!  queued ──claim──▶ sending ──accepted──▶ sent ──bounce──▶ bounced
//!    ▲ │               │  │ └──dropped──▶ not sent
//!    │ cancel          │  └──passing failure──▶ retrying ──claim──▶ sending
//!    │ ▼               └──final failure / too old──▶ failed
//!  cancelled      (lease lost: sending ──▶ retrying; too old: queued/retrying ──▶ failed)
//!    └──── retry (failed, bounced, retrying, cancelled, not sent) ──▶ queued
//! ```

use chrono::{DateTime, Duration, Utc};
use talentpost_shared::{MailProblem, OutboxChannel, OutboxStatus};

use crate::mail::smtp::{Delivered, SmtpFailure};

/// Statuses a worker may claim a mail from.
pub const CLAIMABLE: [OutboxStatus; 2] = [OutboxStatus::Queued, OutboxStatus::Retrying];

/// How long the outbox keeps trying, from the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first_retry_seconds: u64,
    pub max_retry_seconds: u64,
    pub max_age_hours: u64,
}

impl RetryPolicy {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            first_retry_seconds: config.outbox_retry_seconds,
            max_retry_seconds: config.outbox_retry_max_seconds,
            max_age_hours: config.outbox_max_age_hours,
        }
    }

    /// How long a mail may wait in all, from its queueing (or a "try again").
    pub fn max_age(&self) -> Duration {
        let hours = i64::try_from(self.max_age_hours).unwrap_or(48).clamp(1, 24 * 365);
        Duration::try_hours(hours).unwrap_or(Duration::days(365))
    }

    /// Doubling waits from the first retry up to the maximum wait.
    pub fn next_retry(&self, attempts: i32, now: DateTime<Utc>) -> DateTime<Utc> {
        let base = Ord::max(self.first_retry_seconds, 1);
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        let wait = Ord::min(
            base.saturating_mul(2u64.saturating_pow(exponent)),
            Ord::max(self.max_retry_seconds, base),
        );
        let wait = Ord::min(i64::try_from(wait).unwrap_or(i64::MAX), 365 * 24 * 3600);
        now + Duration::try_seconds(wait).unwrap_or(Duration::days(365))
    }
}

/// What one delivery attempt came to.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Handed over, through the channel that took it (the built-in channel may have
    /// changed from drop folder to relay since the mail was queued).
    Delivered(Delivered, OutboxChannel),
    Failed(SmtpFailure),
}

/// The mail's facts a decision depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facts {
    pub status: OutboxStatus,
    /// Attempts so far, the current one included.
    pub attempts: i32,
    pub expires_at: DateTime<Utc>,
}

/// A change of an outbox row: its new status and what is recorded with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    /// A worker takes the mail for one attempt (the attempt is counted).
    Claim,
    /// The server took the mail.
    Sent {
        reply: String,
        channel: OutboxChannel,
    },
    /// Written to the drop folder: it reached nobody, so it is never called sent.
    NotSent {
        reply: String,
        channel: OutboxChannel,
    },
    /// A passing failure (or an attempt cut off): tried again at `at`.
    Retry {
        at: DateTime<Utc>,
        problem: MailProblem,
        reply_code: Option<u16>,
        reply: String,
        /// The attempt was cut off (worker gone): counted apart from real failures.
        interrupted: bool,
    },
    /// Given up for good. `problem: None` keeps the one recorded last.
    Fail {
        problem: Option<(MailProblem, Option<u16>)>,
        reply: String,
    },
    /// "Try again": back in the queue now, with a fresh time limit.
    Requeue {
        expires_at: DateTime<Utc>,
    },
    Cancel,
    /// The mail came back undeliverable after it was sent.
    Bounce {
        reply: String,
    },
}

impl Transition {
    pub fn status(&self) -> OutboxStatus {
        match self {
            Self::Claim => OutboxStatus::Sending,
            Self::Sent { .. } => OutboxStatus::Sent,
            Self::NotSent { .. } => OutboxStatus::NotSent,
            Self::Retry { .. } => OutboxStatus::Retrying,
            Self::Fail { .. } => OutboxStatus::Failed,
            Self::Requeue { .. } => OutboxStatus::Queued,
            Self::Cancel => OutboxStatus::Cancelled,
            Self::Bounce { .. } => OutboxStatus::Bounced,
        }
    }
}

/// Why a change does not apply to a mail in its current status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Only failed, waiting, cancelled, bounced or not-sent mail can be tried again.
    NotRetryable(OutboxStatus),
    /// An attempt is running right now.
    Sending,
    /// The mail went out or is over already.
    Final(OutboxStatus),
    /// The event does not concern a mail in this status (e.g. an attempt's outcome for
    /// a mail whose claim was taken over); nothing is written.
    NotApplicable(OutboxStatus),
}

pub fn on_claim(status: OutboxStatus) -> Result<Transition, Refused> {
    if CLAIMABLE.contains(&status) {
        Ok(Transition::Claim)
    } else {
        Err(Refused::NotApplicable(status))
    }
}

/// The outcome of an attempt on a claimed mail.
pub fn on_attempt(
    facts: Facts,
    outcome: Outcome,
    now: DateTime<Utc>,
    policy: &RetryPolicy,
) -> Result<Transition, Refused> {
    if facts.status != OutboxStatus::Sending {
        return Err(Refused::NotApplicable(facts.status));
    }
    Ok(match outcome {
        Outcome::Delivered(Delivered::Accepted { reply }, channel) => Transition::Sent { reply, channel },
        Outcome::Delivered(Delivered::Dropped { file }, channel) => Transition::NotSent {
            reply: format!("not sent, no relay configured: written to the drop folder as {file}"),
            channel,
        },
        Outcome::Failed(failure) => {
            let retry_at = policy.next_retry(facts.attempts, now);
            if failure.transient && retry_at <= facts.expires_at {
                Transition::Retry {
                    at: retry_at,
                    problem: failure.problem,
                    reply_code: failure.reply_code,
                    reply: failure.message,
                    interrupted: false,
                }
            } else {
                let reply = if failure.transient {
                    format!(
                        "gave up after {} attempts in {} hours: {}",
                        facts.attempts, policy.max_age_hours, failure.message
                    )
                } else {
                    failure.message
                };
                Transition::Fail {
                    problem: Some((failure.problem, failure.reply_code)),
                    reply,
                }
            }
        }
    })
}

/// A claim whose worker vanished (crash, kill): the attempt may have reached the
/// server, so it is tried again now and counted as interrupted.
pub fn on_lease_expired(status: OutboxStatus, now: DateTime<Utc>) -> Result<Transition, Refused> {
    if status != OutboxStatus::Sending {
        return Err(Refused::NotApplicable(status));
    }
    Ok(Transition::Retry {
        at: now,
        problem: MailProblem::Connect,
        reply_code: None,
        reply: "the previous attempt was interrupted (the server stopped while sending); it is tried again".to_owned(),
        interrupted: true,
    })
}

/// A waiting mail past its maximum age (e.g. the worker was off for days).
pub fn on_expired(
    facts: Facts,
    last_reply: Option<&str>,
    now: DateTime<Utc>,
    policy: &RetryPolicy,
) -> Result<Transition, Refused> {
    if !CLAIMABLE.contains(&facts.status) || facts.expires_at >= now {
        return Err(Refused::NotApplicable(facts.status));
    }
    Ok(Transition::Fail {
        problem: None,
        reply: format!(
            "not delivered within {} hours{}",
            policy.max_age_hours,
            last_reply.map(|reply| format!("; last: {reply}")).unwrap_or_default()
        ),
    })
}

/// "Try again now".
pub fn on_retry(status: OutboxStatus, now: DateTime<Utc>, policy: &RetryPolicy) -> Result<Transition, Refused> {
    if status.can_retry() {
        Ok(Transition::Requeue {
            expires_at: now + policy.max_age(),
        })
    } else if status == OutboxStatus::Sending {
        Err(Refused::Sending)
    } else {
        Err(Refused::NotRetryable(status))
    }
}

pub fn on_cancel(status: OutboxStatus) -> Result<Transition, Refused> {
    match status {
        OutboxStatus::Queued | OutboxStatus::Retrying => Ok(Transition::Cancel),
        OutboxStatus::Sending => Err(Refused::Sending),
        other => Err(Refused::Final(other)),
    }
}

/// A delivery status notification for a mail: only sent mail can come back.
pub fn on_bounce(status: OutboxStatus, reason: &str) -> Result<Transition, Refused> {
    if status == OutboxStatus::Sent {
        Ok(Transition::Bounce {
            reply: format!("returned as undeliverable: {reason}"),
        })
    } else {
        Err(Refused::NotApplicable(status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [OutboxStatus; 8] = [
        OutboxStatus::Queued,
        OutboxStatus::Sending,
        OutboxStatus::Retrying,
        OutboxStatus::Sent,
        OutboxStatus::NotSent,
        OutboxStatus::Failed,
        OutboxStatus::Cancelled,
        OutboxStatus::Bounced,
    ];

    fn policy() -> RetryPolicy {
        RetryPolicy {
            first_retry_seconds: 60,
            max_retry_seconds: 3600,
            max_age_hours: 48,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().to_utc()
    }

    fn facts(status: OutboxStatus, attempts: i32) -> Facts {
        Facts {
            status,
            attempts,
            expires_at: now() + Duration::hours(1),
        }
    }

    fn outcomes() -> Vec<Outcome> {
        vec![
            Outcome::Delivered(
                Delivered::Accepted {
                    reply: "250 ok".to_owned(),
                },
                OutboxChannel::Relay,
            ),
            Outcome::Delivered(
                Delivered::Dropped {
                    file: "1.eml".to_owned(),
                },
                OutboxChannel::DropFolder,
            ),
            Outcome::Failed(SmtpFailure {
                transient: true,
                ..SmtpFailure::new(MailProblem::Connect, "refused")
            }),
            Outcome::Failed(SmtpFailure::new(MailProblem::RecipientRefused, "550 no such user")),
        ]
    }

    #[test]
    fn the_module_covers_every_status() {
        // A new status must be placed in the machine (and in ALL) before this compiles.
        for status in ALL {
            match status {
                OutboxStatus::Queued
                | OutboxStatus::Sending
                | OutboxStatus::Retrying
                | OutboxStatus::Sent
                | OutboxStatus::NotSent
                | OutboxStatus::Failed
                | OutboxStatus::Cancelled
                | OutboxStatus::Bounced => {}
            }
        }
    }

    #[test]
    fn only_queued_and_waiting_mail_is_claimed() {
        for status in ALL {
            assert_eq!(
                on_claim(status).is_ok(),
                matches!(status, OutboxStatus::Queued | OutboxStatus::Retrying),
                "{status:?}"
            );
            if let Ok(transition) = on_claim(status) {
                assert_eq!(transition.status(), OutboxStatus::Sending);
            }
        }
    }

    #[test]
    fn an_outcome_counts_only_for_a_mail_being_sent() {
        for status in ALL {
            for outcome in outcomes() {
                let decided = on_attempt(facts(status, 1), outcome.clone(), now(), &policy());
                if status == OutboxStatus::Sending {
                    let expected = match &outcome {
                        Outcome::Delivered(Delivered::Accepted { .. }, _) => OutboxStatus::Sent,
                        Outcome::Delivered(Delivered::Dropped { .. }, _) => OutboxStatus::NotSent,
                        Outcome::Failed(failure) if failure.transient => OutboxStatus::Retrying,
                        Outcome::Failed(_) => OutboxStatus::Failed,
                    };
                    assert_eq!(decided.map(|t| t.status()), Ok(expected), "{status:?} {outcome:?}");
                } else {
                    assert_eq!(decided, Err(Refused::NotApplicable(status)), "{status:?} {outcome:?}");
                }
            }
        }
    }

    #[test]
    fn a_drop_folder_file_is_never_called_sent() {
        let decided = on_attempt(
            facts(OutboxStatus::Sending, 1),
            Outcome::Delivered(
                Delivered::Dropped {
                    file: "7.eml".to_owned(),
                },
                OutboxChannel::DropFolder,
            ),
            now(),
            &policy(),
        );
        assert_eq!(
            decided,
            Ok(Transition::NotSent {
                reply: "not sent, no relay configured: written to the drop folder as 7.eml".to_owned(),
                channel: OutboxChannel::DropFolder,
            })
        );
    }

    #[test]
    fn passing_failures_wait_longer_each_time_and_give_up_at_the_maximum_age() {
        let failure = || {
            Outcome::Failed(SmtpFailure {
                transient: true,
                reply_code: Some(451),
                ..SmtpFailure::new(MailProblem::Connect, "try later")
            })
        };
        let at = |attempts| match on_attempt(facts(OutboxStatus::Sending, attempts), failure(), now(), &policy()) {
            Ok(Transition::Retry { at, .. }) => Some(at - now()),
            _ => None,
        };
        assert_eq!(at(1), Some(Duration::seconds(60)));
        assert_eq!(at(2), Some(Duration::seconds(120)));
        assert_eq!(at(3), Some(Duration::seconds(240)));
        // The seventh wait (64 minutes) is capped at the maximum of one hour, which
        // still ends inside the mail's one hour left; one more does not.
        assert_eq!(at(7), Some(Duration::seconds(3600)));
        let late = Facts {
            expires_at: now() + Duration::minutes(59),
            ..facts(OutboxStatus::Sending, 7)
        };
        assert_eq!(
            on_attempt(late, failure(), now(), &policy()),
            Ok(Transition::Fail {
                problem: Some((MailProblem::Connect, Some(451))),
                reply: "gave up after 7 attempts in 48 hours: try later".to_owned(),
            })
        );
    }

    #[test]
    fn a_final_failure_keeps_the_servers_words() {
        let decided = on_attempt(
            facts(OutboxStatus::Sending, 1),
            Outcome::Failed(SmtpFailure {
                reply_code: Some(550),
                ..SmtpFailure::new(MailProblem::RecipientRefused, "550 no such user")
            }),
            now(),
            &policy(),
        );
        assert_eq!(
            decided,
            Ok(Transition::Fail {
                problem: Some((MailProblem::RecipientRefused, Some(550))),
                reply: "550 no such user".to_owned(),
            })
        );
    }

    #[test]
    fn only_a_claimed_mail_loses_its_lease() {
        for status in ALL {
            let decided = on_lease_expired(status, now());
            if status == OutboxStatus::Sending {
                assert!(
                    matches!(decided, Ok(Transition::Retry { at, interrupted: true, .. }) if at == now()),
                    "{decided:?}"
                );
            } else {
                assert_eq!(decided, Err(Refused::NotApplicable(status)));
            }
        }
    }

    #[test]
    fn only_waiting_mail_past_its_age_expires() {
        for status in ALL {
            let old = Facts {
                expires_at: now() - Duration::seconds(1),
                ..facts(status, 3)
            };
            let decided = on_expired(old, Some("451 busy"), now(), &policy());
            if matches!(status, OutboxStatus::Queued | OutboxStatus::Retrying) {
                assert_eq!(
                    decided,
                    Ok(Transition::Fail {
                        problem: None,
                        reply: "not delivered within 48 hours; last: 451 busy".to_owned()
                    })
                );
            } else {
                assert!(decided.is_err(), "{status:?}");
            }
            assert!(
                on_expired(facts(status, 3), None, now(), &policy()).is_err(),
                "not yet old"
            );
        }
    }

    #[test]
    fn retry_and_cancel_follow_the_status() {
        for status in ALL {
            let retried = on_retry(status, now(), &policy());
            match status {
                OutboxStatus::Failed
                | OutboxStatus::Retrying
                | OutboxStatus::Cancelled
                | OutboxStatus::Bounced
                | OutboxStatus::NotSent => assert_eq!(
                    retried,
                    Ok(Transition::Requeue {
                        expires_at: now() + Duration::hours(48)
                    })
                ),
                OutboxStatus::Sending => assert_eq!(retried, Err(Refused::Sending)),
                OutboxStatus::Queued | OutboxStatus::Sent => assert_eq!(retried, Err(Refused::NotRetryable(status))),
            }
            let cancelled = on_cancel(status);
            match status {
                OutboxStatus::Queued | OutboxStatus::Retrying => assert_eq!(cancelled, Ok(Transition::Cancel)),
                OutboxStatus::Sending => assert_eq!(cancelled, Err(Refused::Sending)),
                _ => assert_eq!(cancelled, Err(Refused::Final(status))),
            }
        }
    }

    #[test]
    fn only_sent_mail_bounces() {
        for status in ALL {
            let decided = on_bounce(status, "5.1.1 unknown");
            if status == OutboxStatus::Sent {
                assert_eq!(
                    decided,
                    Ok(Transition::Bounce {
                        reply: "returned as undeliverable: 5.1.1 unknown".to_owned()
                    })
                );
            } else {
                assert_eq!(decided, Err(Refused::NotApplicable(status)));
            }
        }
    }
}
