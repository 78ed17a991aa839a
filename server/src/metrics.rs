//! Counters an operator (or a test) reads at `GET /metrics`, in Prometheus' text
//! format. Counts only, no labels with data in them: the endpoint needs no sign-in.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    database_statements: AtomicU64,
}

impl Metrics {
    /// Called by the database connection for every statement it runs.
    pub fn count_statement(&self) {
        self.database_statements.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "# HELP talentpost_database_statements_total SQL statements run since the start.\n\
             # TYPE talentpost_database_statements_total counter\n\
             talentpost_database_statements_total {}",
            self.database_statements.load(Ordering::Relaxed)
        );
        text
    }
}
