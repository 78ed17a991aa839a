//! The time nurturing schedules and candidate queries go by. In production it is the
//! system clock; a server started with `TALENTPOST_TEST_CLOCK` lets tests (and demos)
//! set it, so birthdays and dispatch times are reproducible.

use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Utc};

#[derive(Clone, Default)]
pub struct Clock {
    /// `Some` only in test-clock mode; holds the frozen time once one was set.
    settable: Option<Arc<RwLock<Option<DateTime<Utc>>>>>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// Follows the system clock until a time is set, then stands still at that time.
    pub fn settable() -> Self {
        Self {
            settable: Some(Arc::new(RwLock::new(None))),
        }
    }

    pub fn is_settable(&self) -> bool {
        self.settable.is_some()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.settable
            .as_ref()
            .and_then(|fixed| *fixed.read().unwrap_or_else(PoisonError::into_inner))
            .unwrap_or_else(Utc::now)
    }

    /// Returns false when this clock is the system clock.
    pub fn set(&self, at: DateTime<Utc>) -> bool {
        match &self.settable {
            Some(fixed) => {
                *fixed.write().unwrap_or_else(PoisonError::into_inner) = Some(at);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_settable_clock_can_be_set_and_then_stands_still() {
        let at = DateTime::parse_from_rfc3339("2027-03-15T07:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert!(!Clock::system().set(at));
        let clock = Clock::settable();
        assert!(clock.now() > at - chrono::Duration::days(3650));
        assert!(clock.set(at));
        assert_eq!(clock.now(), at);
        assert_eq!(clock.clone().now(), at);
    }
}
