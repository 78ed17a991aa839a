//! Slows password guessing: after a few failed logins an account is locked for a
//! while, whatever the password. Kept in memory per process, which is enough to make
//! online guessing impractical; a restart clears it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{ServiceError, ServiceResult};

pub const MAX_FAILURES: u32 = 5;
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Default)]
pub struct LoginThrottle {
    failures: Arc<Mutex<HashMap<String, (u32, Instant)>>>,
}

impl LoginThrottle {
    /// Counts an attempt before the password is checked, so concurrent guesses cannot
    /// all slip through while the slow hash runs; refuses it while the account is locked.
    /// A successful login clears the count again.
    pub fn begin_attempt(&self, account: &str) -> ServiceResult<()> {
        let now = Instant::now();
        let mut failures = self
            .failures
            .lock()
            .map_err(|_| ServiceError::Internal("login throttle poisoned".into()))?;
        failures.retain(|_, (_, since)| now.duration_since(*since) < LOCKOUT);
        let entry = failures.entry(account.to_owned()).or_insert((0, now));
        if entry.0 >= MAX_FAILURES {
            return Err(ServiceError::TooManyAttempts {
                retry_after_seconds: LOCKOUT.saturating_sub(now.duration_since(entry.1)).as_secs().max(1),
            });
        }
        entry.0 += 1;
        entry.1 = now;
        Ok(())
    }

    pub fn record_success(&self, account: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(account);
        }
    }
}

/// Counts requests per key in fixed windows: enough to keep a public form or webhook
/// from being used to flood the inbox. In memory per process, like the login throttle.
#[derive(Clone, Default)]
pub struct RateLimiter {
    windows: Arc<Mutex<HashMap<String, (u32, Instant)>>>,
}

impl RateLimiter {
    /// Counts one request for `key`; refuses it once `limit` requests fell in the window.
    pub fn check(&self, key: &str, limit: u32, window: Duration) -> ServiceResult<()> {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .map_err(|_| ServiceError::Internal("rate limiter poisoned".into()))?;
        if windows.len() > 10_000 {
            windows.retain(|_, (_, start)| now.duration_since(*start) < window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((0, now));
        if now.duration_since(entry.1) >= window {
            *entry = (0, now);
        }
        if entry.0 >= limit {
            let retry_after_seconds = window.saturating_sub(now.duration_since(entry.1)).as_secs().max(1);
            return Err(ServiceError::RateLimited { retry_after_seconds });
        }
        entry.0 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_maximum_and_success_resets() {
        let throttle = LoginThrottle::default();
        for _ in 0..MAX_FAILURES {
            assert!(throttle.begin_attempt("a@example.test").is_ok());
        }
        throttle.record_success("a@example.test");
        for _ in 0..MAX_FAILURES {
            assert!(throttle.begin_attempt("a@example.test").is_ok());
        }
        assert!(matches!(
            throttle.begin_attempt("a@example.test"),
            Err(ServiceError::TooManyAttempts { .. })
        ));
        assert!(
            throttle.begin_attempt("b@example.test").is_ok(),
            "other accounts are not affected"
        );
    }

    #[test]
    fn the_rate_limiter_refuses_past_the_limit_per_key() {
        let limiter = RateLimiter::default();
        let minute = Duration::from_secs(60);
        for _ in 0..3 {
            assert!(limiter.check("form:1.2.3.4", 3, minute).is_ok());
        }
        assert!(matches!(
            limiter.check("form:1.2.3.4", 3, minute),
            Err(ServiceError::RateLimited { .. })
        ));
        assert!(limiter.check("form:5.6.7.8", 3, minute).is_ok());
        assert!(
            limiter.check("form:1.2.3.4", 3, Duration::ZERO).is_ok(),
            "a new window starts afresh"
        );
    }
}
