//! Nurturing jobs: a saved candidate query and a form letter on a schedule. Each
//! dispatch time is a run; a run's entries are its recipients, planned ahead by the
//! job's lead time so recruiters see and can block them, then written through the
//! outbox when the run is due.

pub mod dispatch;
pub mod entries;
pub mod export;
pub mod jobs;
pub mod planning;
pub mod recipients;
pub mod schedule;
pub mod writing_jobs;
