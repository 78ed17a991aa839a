//! Enumerations stored as text in the database and exposed as GraphQL enums.
//!
//! The database keeps the snake_case `as_str` form so that SQLite and PostgreSQL
//! store the same thing and a row stays readable in a SQL console. With the `db`
//! feature (the server) they are sea-orm active enums, so entity columns are typed.

use serde::{Deserialize, Serialize};

/// Defines a closed set of values with one textual form used in storage and JSON.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        // A column of this type reads back as the enum or fails loudly: an unknown value
        // in the database is an error, never a silent default.
        #[cfg_attr(feature = "db", derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter))]
        #[cfg_attr(feature = "db", sea_orm(rs_type = "String", db_type = "Text"))]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vmeta])* #[cfg_attr(feature = "db", sea_orm(string_value = $text))] $variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_enum!(
    /// What a user may do. Company admins are recruiters who also administer the
    /// legal entities assigned to them.
    Role {
        Admin => "admin",
        CompanyAdmin => "company_admin",
        Recruiter => "recruiter",
    }
);

stored_enum!(
    /// The channel an inbox item arrived through.
    InboxMedium {
        Email => "email",
        OnlineForm => "online_form",
        JobAgency => "job_agency",
        Sms => "sms",
    }
);

stored_enum!(
    InboxState {
        Unassigned => "unassigned",
        Assigned => "assigned",
        Deleted => "deleted",
        /// Auto-replies and delivery reports: kept and searchable, but out of the
        /// application inbox and its counts.
        Automatic => "automatic",
    }
);

stored_enum!(
    /// What kind of mailbox an inbound account is. All are read over IMAP; Gmail and
    /// Microsoft 365 usually sign in through OAuth2 (`authMethod`).
    InboundProtocol {
        Imap => "imap",
        // GraphQL spells it MICROSOFT_365; the JSON form must match what the API takes.
        #[serde(rename = "MICROSOFT_365")]
        Microsoft365 => "microsoft365",
        Gmail => "gmail",
    }
);

stored_enum!(
    /// Transport security of a mail connection.
    MailSecurity {
        /// TLS from the first byte (IMAPS 993, SMTPS 465).
        Tls => "tls",
        /// Plain connection upgraded with STARTTLS before login.
        Starttls => "starttls",
        /// Unencrypted; only accepted with an explicit opt-in.
        Unencrypted => "none",
    }
);

stored_enum!(
    /// What an inbound account is doing right now.
    InboundStatus {
        /// Active, not yet connected since the server started.
        Pending => "pending",
        Connected => "connected",
        /// Fetching mail; `syncDone` of `syncTotal`.
        Syncing => "syncing",
        /// Up to date and waiting for new mail (IDLE or polling).
        Idle => "idle",
        Error => "error",
        Disabled => "disabled",
    }
);

stored_enum!(
    /// Where a connection to a mail server went wrong, so an IT admin knows where to look.
    MailProblem {
        /// The host name does not resolve.
        Dns => "dns",
        /// The host does not answer on that port (refused, unreachable, timed out).
        Connect => "connect",
        /// The TLS handshake failed (certificate, protocol).
        Tls => "tls",
        /// The server refused the user name or password.
        Login => "login",
        /// The chosen folder does not exist on the server.
        FolderMissing => "folder_missing",
        /// The server answered something unexpected or closed the connection.
        Protocol => "protocol",
        /// The SMTP server refused the sender address (MAIL FROM), e.g. because the
        /// login may not send as it.
        SenderRefused => "sender_refused",
        /// The SMTP server refused the recipient (RCPT TO).
        RecipientRefused => "recipient_refused",
        /// The SMTP server refused the message itself (after DATA).
        MessageRefused => "message_refused",
        /// The server asked to try again later (4xx).
        Deferred => "deferred",
        /// The Google or Microsoft sign-in (OAuth) of the account must be renewed by an
        /// admin ("Reconnect"), or was never completed.
        Authorization => "authorization",
    }
);

stored_enum!(
    /// Whether a stored mail could be read.
    ParseStatus {
        Parsed => "parsed",
        /// The bytes are not a readable mail; only the raw source is shown.
        Unparseable => "unparseable",
        /// Larger than the configured limit; kept raw, not parsed.
        TooLarge => "too_large",
        /// Parts nested deeper than the parser is allowed to follow.
        TooDeep => "too_deep",
    }
);

stored_enum!(
    /// How a mail reached Talentpost.
    MailSource {
        Imap => "imap",
        /// Redirected by the company's own mail server (pipe or HTTP intake).
        Forwarded => "forwarded",
        /// Posted raw through the API.
        Api => "api",
    }
);

stored_enum!(
    /// Every way Talentpost and a candidate can have been in touch.
    ContactMedium {
        MailIn => "mail_in",
        MailOut => "mail_out",
        FormLetterMail => "form_letter_mail",
        FormLetterLetter => "form_letter_letter",
        LetterOut => "letter_out",
        FaxOut => "fax_out",
        PhoneOut => "phone_out",
        PhoneIn => "phone_in",
        InPerson => "in_person",
        /// An application through the online form.
        OnlineFormIn => "online_form_in",
        /// An applicant profile delivered by the job agency.
        JobAgencyIn => "job_agency_in",
        SmsIn => "sms_in",
    }
);

stored_enum!(
    ApplicationStatus {
        New => "new",
        InProcess => "in_process",
        /// Invited to (or had) an interview; the dashboard counts interviews per source.
        Interview => "interview",
        Rejected => "rejected",
        Hired => "hired",
    }
);

stored_enum!(
    /// Where an application came from; the inbox media plus what recruiters enter by hand.
    SourceMedium {
        Email => "email",
        OnlineForm => "online_form",
        JobAgency => "job_agency",
        Sms => "sms",
        Manual => "manual",
    }
);

stored_enum!(
    CandidateStatus {
        Active => "active",
        InProcess => "in_process",
        Rejected => "rejected",
        Hired => "hired",
        Archived => "archived",
    }
);

stored_enum!(
    /// Where a mail in the outbox stands.
    OutboxStatus {
        Queued => "queued",
        /// Claimed by a worker; an attempt is in progress.
        Sending => "sending",
        Sent => "sent",
        /// Never handed to a mail server: no relay is configured, so the built-in channel
        /// wrote it to the server's drop folder. It does not count as a contact; once a
        /// relay or an outgoing account is set up it can be sent again.
        NotSent => "not_sent",
        /// The last attempt failed temporarily; `nextAttemptAt` says when it tries again.
        Retrying => "retrying",
        /// Refused for good, or still undelivered at the maximum age; the reply is kept.
        Failed => "failed",
        Cancelled => "cancelled",
        /// Accepted, but a delivery report came back saying it could not be delivered.
        Bounced => "bounced",
    }
);

stored_enum!(
    /// Why a mail was written.
    OutboxPurpose {
        /// Written by a recruiter or an integration to a candidate.
        Message => "message",
        /// "Send test email" of an outgoing account.
        Test => "test",
        /// Sent by Talentpost itself (notifications, scheduled jobs).
        System => "system",
    }
);

stored_enum!(
    /// What carried (or will carry) a mail out.
    OutboxChannel {
        /// One of the organisation's outgoing accounts.
        Account => "account",
        /// The relay configured for the server (`TALENTPOST_SMTP_RELAY_URL`).
        Relay => "relay",
        /// No relay configured: written as a file into the drop folder under the data
        /// directory, so nothing is lost and an admin can see what would have gone out.
        DropFolder => "drop_folder",
    }
);

stored_enum!(
    /// How a legal entity's mail leaves.
    SenderChannel {
        /// The organisation's default outgoing account, else the built-in channel.
        SystemDefault => "system_default",
        /// A chosen outgoing account.
        Account => "account",
        Google => "google",
        Microsoft => "microsoft",
    }
);

stored_enum!(
    /// Whose name appears as the sender.
    SenderNameMode {
        /// The name of the recruiter who writes; the company's for automatic mail.
        Recruiter => "recruiter",
        Company => "company",
        /// A fixed name entered by the admin.
        Custom => "custom",
    }
);

stored_enum!(
    JobOpeningStatus {
        Open => "open",
        Closed => "closed",
    }
);

stored_enum!(
    /// What makes candidates a duplicate set.
    DuplicateReason {
        Email => "email",
        Phone => "phone",
        NameAndBirthday => "name_birthday",
    }
);

stored_enum!(
    /// A recruiter's verdict on a duplicate set.
    DuplicateStatus {
        /// Not looked at yet (or a new member joined since).
        Open => "open",
        /// The same person: kept apart for now, but mailed only once.
        Confirmed => "confirmed",
        /// Different people who happen to share a detail; not shown again.
        Dismissed => "dismissed",
    }
);

stored_enum!(
    /// Why an inbox item is suggested for a candidate, strongest first.
    SuggestionReason {
        Email => "email",
        Name => "name",
        Phone => "phone",
    }
);

stored_enum!(
    /// What happens to the data of a candidate who is finally rejected.
    DataRetention {
        /// Keep only what statistics need (the default): name, applications with source,
        /// status and dates, the dates and media of contacts.
        Minimise => "minimise",
        /// Keep everything (the organisation deletes by its own process).
        Keep => "keep",
    }
);

stored_enum!(
    /// The time span the dashboard covers, ending today.
    DashboardPeriod {
        /// The last 7 days, by day.
        Week => "week",
        /// The last 30 days, by day.
        Month => "month",
        /// The last 13 calendar weeks (Monday to Sunday), by week; the last one is this week so far.
        Quarter => "quarter",
        /// The last 12 calendar months, by month; the last one is this month so far.
        Year => "year",
    }
);

impl OutboxStatus {
    /// "Try again" applies: the mail failed, bounced, waits, was cancelled or never left.
    pub const fn can_retry(self) -> bool {
        matches!(
            self,
            Self::Failed | Self::Retrying | Self::Cancelled | Self::Bounced | Self::NotSent
        )
    }

    /// "Cancel" applies: the mail has not gone out and no attempt is running.
    pub const fn can_cancel(self) -> bool {
        matches!(self, Self::Queued | Self::Retrying)
    }
}

impl From<InboxMedium> for ContactMedium {
    fn from(medium: InboxMedium) -> Self {
        match medium {
            InboxMedium::Email => Self::MailIn,
            InboxMedium::OnlineForm => Self::OnlineFormIn,
            InboxMedium::JobAgency => Self::JobAgencyIn,
            InboxMedium::Sms => Self::SmsIn,
        }
    }
}

impl From<InboxMedium> for SourceMedium {
    fn from(medium: InboxMedium) -> Self {
        match medium {
            InboxMedium::Email => Self::Email,
            InboxMedium::OnlineForm => Self::OnlineForm,
            InboxMedium::JobAgency => Self::JobAgency,
            InboxMedium::Sms => Self::Sms,
        }
    }
}

/// Number of items per medium in one inbox state, as the inbox tabs show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediumCounts {
    pub email: u64,
    pub online_form: u64,
    pub job_agency: u64,
    pub sms: u64,
}

impl MediumCounts {
    pub fn get(&self, medium: InboxMedium) -> u64 {
        match medium {
            InboxMedium::Email => self.email,
            InboxMedium::OnlineForm => self.online_form,
            InboxMedium::JobAgency => self.job_agency,
            InboxMedium::Sms => self.sms,
        }
    }

    pub fn set(&mut self, medium: InboxMedium, count: u64) {
        match medium {
            InboxMedium::Email => self.email = count,
            InboxMedium::OnlineForm => self.online_form = count,
            InboxMedium::JobAgency => self.job_agency = count,
            InboxMedium::Sms => self.sms = count,
        }
    }

    pub fn total(&self) -> u64 {
        self.email + self.online_form + self.job_agency + self.sms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_round_trips() {
        for medium in ContactMedium::ALL {
            assert_eq!(ContactMedium::parse(medium.as_str()), Some(*medium));
        }
        assert_eq!(Role::parse("superuser"), None);
    }

    /// The app sends these enums as serde JSON; GraphQL must take that spelling
    /// (MICROSOFT_365 was once sent as MICROSOFT365 and refused).
    #[cfg(feature = "graphql")]
    #[test]
    fn json_spelling_is_the_graphql_name() {
        fn check<T: async_graphql::resolver_utils::EnumType + Serialize>() {
            for item in T::items() {
                assert_eq!(
                    serde_json::to_value(item.value).ok(),
                    Some(serde_json::Value::String(item.name.to_owned()))
                );
            }
        }
        check::<Role>();
        check::<InboxMedium>();
        check::<InboxState>();
        check::<InboundProtocol>();
        check::<MailSecurity>();
        check::<InboundStatus>();
        check::<MailProblem>();
        check::<ParseStatus>();
        check::<MailSource>();
        check::<ContactMedium>();
        check::<ApplicationStatus>();
        check::<SourceMedium>();
        check::<CandidateStatus>();
        check::<OutboxStatus>();
        check::<OutboxPurpose>();
        check::<OutboxChannel>();
        check::<SenderChannel>();
        check::<SenderNameMode>();
        check::<JobOpeningStatus>();
        check::<DuplicateReason>();
        check::<DuplicateStatus>();
        check::<SuggestionReason>();
        check::<DataRetention>();
        check::<DashboardPeriod>();
        check::<Weekday>();
        check::<NurturingRunState>();
        check::<NurturingEntryState>();
        check::<MatchReasonCode>();
        check::<WritingJobKind>();
        check::<InboundAuthMethod>();
        check::<OauthProvider>();
        check::<OauthPurpose>();
        check::<OauthAccountState>();
    }
}

stored_enum!(
    /// A day of the week a nurturing job dispatches on.
    Weekday {
        Monday => "mon",
        Tuesday => "tue",
        Wednesday => "wed",
        Thursday => "thu",
        Friday => "fri",
        Saturday => "sat",
        Sunday => "sun",
    }
);

impl Weekday {
    /// Bit in a stored weekday mask (Monday is bit 0).
    pub const fn bit(self) -> i32 {
        1 << (self as i32)
    }

    pub fn from_mask(mask: i32) -> Vec<Self> {
        Self::ALL.iter().copied().filter(|day| mask & day.bit() != 0).collect()
    }

    pub fn mask(days: &[Self]) -> i32 {
        days.iter().fold(0, |mask, day| mask | day.bit())
    }
}

stored_enum!(
    /// Where a nurturing run stands.
    NurturingRunState {
        /// Entries exist; waiting for the dispatch time.
        Planned => "planned",
        /// A server process is sending it.
        Dispatching => "dispatching",
        Done => "done",
    }
);

stored_enum!(
    /// Where one recipient of a nurturing job stands.
    NurturingEntryState {
        /// Waiting for the dispatch time; shown as a writing job.
        Planned => "planned",
        /// Will not be written (by a recruiter, or because the candidate no longer matched).
        Blocked => "blocked",
        /// In the outbox, not yet accepted by the mail server.
        Queued => "queued",
        Sent => "sent",
        /// No working address: recorded as a letter to send by post, not mailed.
        DocumentedNotSent => "documented_not_sent",
        Failed => "failed",
    }
);

stored_enum!(
    /// Why a candidate is among a nurturing job's recipients (shown in the dispatch tab).
    MatchReasonCode {
        /// Value: the birthday (YYYY-MM-DD).
        Birthday => "birthday",
        /// Value: the date of the last contact that counts, empty if never.
        LastContact => "last_contact",
        /// Value: the date the candidate joined the talent pool.
        InPoolSince => "in_pool_since",
        /// Value: the candidate's status.
        Status => "status",
        /// Value: the date of the application the letter is about.
        Application => "application",
        /// Value: the number of candidates in the duplicate set; this one has the latest
        /// outgoing contact and is the only one written.
        DuplicateSet => "duplicate_set",
        /// No working e-mail address: the letter is documented, not mailed.
        NoEmail => "no_email",
    }
);

stored_enum!(
    /// What a writing job in the work centre is for.
    WritingJobKind {
        /// A recipient of a nurturing job, before dispatch.
        Nurturing => "nurturing",
        Invitation => "invitation",
        AppointmentRejection => "appointment_rejection",
        Rejection => "rejection",
        Other => "other",
    }
);

stored_enum!(
    /// How an inbound account signs in to its IMAP server.
    InboundAuthMethod {
        Password => "password",
        /// XOAUTH2 with a token of its Google or Microsoft connection.
        Oauth => "oauth",
    }
);

stored_enum!(
    /// An OAuth2 identity provider whose mailboxes Talentpost can connect.
    OauthProvider {
        Google => "google",
        Microsoft => "microsoft",
    }
);

stored_enum!(
    /// What a connection is made for.
    OauthPurpose {
        /// An inbound account (`targetId`) reads its mailbox with the connection.
        InboundAccount => "inbound_account",
        /// The sender of a legal entity (`targetId`) sends through the connected mailbox.
        SenderIdentity => "sender_identity",
    }
);

stored_enum!(
    /// Whether a connected mailbox can still be used.
    OauthAccountState {
        Connected => "connected",
        /// The provider refused the stored grant (revoked, expired, password changed) or
        /// refreshing failed repeatedly: an admin must reconnect.
        ReauthorizationNeeded => "reauthorization_needed",
        /// Disconnected by an admin; the tokens are deleted.
        Disconnected => "disconnected",
    }
);
