//! Typed ids: a candidate id cannot be passed where a legal entity id is expected.

macro_rules! typed_id {
    ($($name:ident => $label:literal),+ $(,)?) => {$(
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl $name {
            /// What the API calls this kind of record, for error messages.
            pub const LABEL: &'static str = $label;
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )+};
}

typed_id!(
    LegalEntityId => "legal entity",
    UserId => "user",
    UserGroupId => "user group",
    JobOpeningId => "job opening",
    CandidateId => "candidate",
    InboxItemId => "inbox item",
    ApiTokenId => "API token",
    DocumentId => "document",
    InboundAccountId => "inbound account",
    OutboundAccountId => "outgoing account",
    OutboxMessageId => "outbox message",
    ApplicationId => "application",
    ContactEventId => "contact event",
    CandidateQueryId => "candidate query",
    FormLetterId => "form letter",
    NurturingJobId => "nurturing job",
    NurturingEntryId => "nurturing entry",
    WritingJobId => "writing job",
    OauthAccountId => "OAuth connection",
);
