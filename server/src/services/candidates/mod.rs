//! Candidates and what hangs on them: their records (this module's main part), saved
//! candidate queries (`candidate_queries`), the contact history, job openings and
//! duplicate sets.

mod records;
pub use records::*;

pub mod candidate_queries;
pub mod contact_history;
pub mod duplicates;
pub mod job_openings;
