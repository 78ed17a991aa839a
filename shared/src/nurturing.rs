//! Contact nurturing vocabulary: what a saved candidate query filters on.

use serde::{Deserialize, Serialize};

use crate::{CandidateStatus, SourceMedium};

/// The filters of a saved candidate query; every given filter must hold. Stored as
/// JSON with the query and edited as one form, so server, API and app share it.
///
/// Application filters (opening, legal entity, source, age) must all hold for the same
/// application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::SimpleObject, async_graphql::InputObject),
    graphql(input_name = "CandidateQueryFilterInput")
)]
#[serde(rename_all = "camelCase", default)]
pub struct CandidateQueryFilter {
    /// Only candidates in one of these states (empty: any).
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub status_in: Vec<CandidateStatus>,
    /// Never candidates in these states (e.g. REJECTED, HIRED).
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub status_not_in: Vec<CandidateStatus>,
    /// Birthday (day and month) from this many days from today on; negative is past.
    pub birthday_from_days: Option<i32>,
    /// … up to this many days from today (both included; give both or neither).
    pub birthday_to_days: Option<i32>,
    /// No contact in the last N days (or never).
    pub last_contact_more_than_days: Option<i32>,
    /// A contact within the last N days.
    pub last_contact_less_than_days: Option<i32>,
    pub in_talent_pool: Option<bool>,
    /// In the talent pool for more than N months.
    pub pool_more_than_months: Option<i32>,
    /// Has (or has not) an e-mail address that has not bounced.
    pub has_email: Option<bool>,
    /// Id of a job opening applied for.
    pub job_opening_id: Option<String>,
    /// Id of the legal entity of an application.
    pub legal_entity_id: Option<String>,
    pub source: Option<SourceMedium>,
    /// An application older than N days.
    pub application_older_than_days: Option<i32>,
    /// An application from the last N days.
    pub application_newer_than_days: Option<i32>,
}

/// Contact media that count as "having been in touch" for the last-contact filters
/// even without an application; every contact about an application counts too.
pub const OUTGOING_CONTACT_MEDIA: [crate::ContactMedium; 7] = [
    crate::ContactMedium::FormLetterLetter,
    crate::ContactMedium::FormLetterMail,
    crate::ContactMedium::MailOut,
    crate::ContactMedium::FaxOut,
    crate::ContactMedium::PhoneOut,
    crate::ContactMedium::LetterOut,
    crate::ContactMedium::InPerson,
];
