//! Translated names of the shared enums.

use talentpost_shared::{
    ApplicationStatus, CandidateStatus, ContactMedium, DashboardPeriod, DuplicateReason, DuplicateStatus,
    InboundStatus, InboxMedium, JobOpeningStatus, MailProblem, MailSecurity, MailSource, OutboxChannel, OutboxStatus,
    ParseStatus, Role, SenderChannel, SenderNameMode, SourceMedium, SuggestionReason,
};

use crate::i18n::*;
use leptos_i18n::I18nContext;

pub fn source_medium(i18n: I18nContext<Locale>, source: SourceMedium) -> String {
    match source {
        SourceMedium::Email => t_string!(i18n, medium_email).to_string(),
        SourceMedium::OnlineForm => t_string!(i18n, medium_online_form).to_string(),
        SourceMedium::JobAgency => t_string!(i18n, medium_job_agency).to_string(),
        SourceMedium::Sms => t_string!(i18n, medium_sms).to_string(),
        SourceMedium::Manual => t_string!(i18n, medium_manual).to_string(),
    }
}

pub fn duplicate_reason(i18n: I18nContext<Locale>, reason: DuplicateReason) -> String {
    match reason {
        DuplicateReason::Email => t_string!(i18n, duplicates_same_email).to_string(),
        DuplicateReason::Phone => t_string!(i18n, duplicates_same_phone).to_string(),
        DuplicateReason::NameAndBirthday => t_string!(i18n, duplicates_same_name).to_string(),
    }
}

pub fn duplicate_status(i18n: I18nContext<Locale>, status: DuplicateStatus) -> String {
    match status {
        DuplicateStatus::Open => t_string!(i18n, duplicates_open).to_string(),
        DuplicateStatus::Confirmed => t_string!(i18n, duplicates_confirmed).to_string(),
        DuplicateStatus::Dismissed => t_string!(i18n, duplicates_dismissed).to_string(),
    }
}

pub fn suggestion_reason(i18n: I18nContext<Locale>, reason: SuggestionReason) -> String {
    match reason {
        SuggestionReason::Email => t_string!(i18n, suggestion_email).to_string(),
        SuggestionReason::Name => t_string!(i18n, suggestion_name).to_string(),
        SuggestionReason::Phone => t_string!(i18n, suggestion_phone).to_string(),
    }
}

pub fn dashboard_period(i18n: I18nContext<Locale>, period: DashboardPeriod) -> String {
    match period {
        DashboardPeriod::Week => t_string!(i18n, period_week).to_string(),
        DashboardPeriod::Month => t_string!(i18n, period_month).to_string(),
        DashboardPeriod::Quarter => t_string!(i18n, period_quarter).to_string(),
        DashboardPeriod::Year => t_string!(i18n, period_year).to_string(),
    }
}

pub fn medium(i18n: I18nContext<Locale>, medium: InboxMedium) -> String {
    match medium {
        InboxMedium::Email => t_string!(i18n, medium_email).to_string(),
        InboxMedium::OnlineForm => t_string!(i18n, medium_online_form).to_string(),
        InboxMedium::JobAgency => t_string!(i18n, medium_job_agency).to_string(),
        InboxMedium::Sms => t_string!(i18n, medium_sms).to_string(),
    }
}

pub fn role(i18n: I18nContext<Locale>, role: Role) -> String {
    match role {
        Role::Admin => t_string!(i18n, role_admin).to_string(),
        Role::CompanyAdmin => t_string!(i18n, role_company_admin).to_string(),
        Role::Recruiter => t_string!(i18n, role_recruiter).to_string(),
    }
}

pub fn candidate_status(i18n: I18nContext<Locale>, status: CandidateStatus) -> String {
    match status {
        CandidateStatus::Active => t_string!(i18n, status_active).to_string(),
        CandidateStatus::InProcess => t_string!(i18n, status_in_process).to_string(),
        CandidateStatus::Rejected => t_string!(i18n, status_rejected).to_string(),
        CandidateStatus::Hired => t_string!(i18n, status_hired).to_string(),
        CandidateStatus::Archived => t_string!(i18n, status_archived).to_string(),
    }
}

pub fn application_status(i18n: I18nContext<Locale>, status: ApplicationStatus) -> String {
    match status {
        ApplicationStatus::New => t_string!(i18n, status_new).to_string(),
        ApplicationStatus::InProcess => t_string!(i18n, status_in_process).to_string(),
        ApplicationStatus::Interview => t_string!(i18n, status_interview).to_string(),
        ApplicationStatus::Rejected => t_string!(i18n, status_rejected).to_string(),
        ApplicationStatus::Hired => t_string!(i18n, status_hired).to_string(),
    }
}

pub fn opening_status(i18n: I18nContext<Locale>, status: JobOpeningStatus) -> String {
    match status {
        JobOpeningStatus::Open => t_string!(i18n, status_open).to_string(),
        JobOpeningStatus::Closed => t_string!(i18n, status_closed).to_string(),
    }
}

pub fn parse_status(i18n: I18nContext<Locale>, status: ParseStatus) -> String {
    match status {
        ParseStatus::Parsed => t_string!(i18n, parse_parsed).to_string(),
        ParseStatus::Unparseable => t_string!(i18n, parse_unparseable).to_string(),
        ParseStatus::TooLarge => t_string!(i18n, parse_too_large).to_string(),
        ParseStatus::TooDeep => t_string!(i18n, parse_too_deep).to_string(),
    }
}

pub fn mail_source(i18n: I18nContext<Locale>, source: MailSource) -> String {
    match source {
        MailSource::Imap => t_string!(i18n, source_imap).to_string(),
        MailSource::Forwarded => t_string!(i18n, source_forwarded).to_string(),
        MailSource::Api => t_string!(i18n, source_api).to_string(),
    }
}

pub fn inbound_status(i18n: I18nContext<Locale>, status: InboundStatus) -> String {
    match status {
        InboundStatus::Pending => t_string!(i18n, account_pending).to_string(),
        InboundStatus::Connected => t_string!(i18n, account_connected).to_string(),
        InboundStatus::Syncing => t_string!(i18n, account_syncing).to_string(),
        InboundStatus::Idle => t_string!(i18n, account_idle).to_string(),
        InboundStatus::Error => t_string!(i18n, account_error).to_string(),
        InboundStatus::Disabled => t_string!(i18n, account_disabled).to_string(),
    }
}

pub fn mail_problem(i18n: I18nContext<Locale>, problem: MailProblem) -> String {
    match problem {
        MailProblem::Dns => t_string!(i18n, problem_dns).to_string(),
        MailProblem::Connect => t_string!(i18n, problem_connect).to_string(),
        MailProblem::Tls => t_string!(i18n, problem_tls).to_string(),
        MailProblem::Login => t_string!(i18n, problem_login).to_string(),
        MailProblem::FolderMissing => t_string!(i18n, problem_folder_missing).to_string(),
        MailProblem::Protocol => t_string!(i18n, problem_protocol).to_string(),
        MailProblem::SenderRefused => t_string!(i18n, problem_sender_refused).to_string(),
        MailProblem::RecipientRefused => t_string!(i18n, problem_recipient_refused).to_string(),
        MailProblem::MessageRefused => t_string!(i18n, problem_message_refused).to_string(),
        MailProblem::Deferred => t_string!(i18n, problem_deferred).to_string(),
        MailProblem::Authorization => t_string!(i18n, problem_authorization).to_string(),
    }
}

pub fn outbox_status(i18n: I18nContext<Locale>, status: OutboxStatus) -> String {
    match status {
        OutboxStatus::Queued => t_string!(i18n, outbox_queued).to_string(),
        OutboxStatus::Sending => t_string!(i18n, outbox_sending).to_string(),
        OutboxStatus::Sent => t_string!(i18n, outbox_sent).to_string(),
        OutboxStatus::NotSent => t_string!(i18n, outbox_not_sent).to_string(),
        OutboxStatus::Retrying => t_string!(i18n, outbox_retrying).to_string(),
        OutboxStatus::Failed => t_string!(i18n, outbox_failed).to_string(),
        OutboxStatus::Cancelled => t_string!(i18n, outbox_cancelled).to_string(),
        OutboxStatus::Bounced => t_string!(i18n, outbox_bounced).to_string(),
    }
}

pub fn contact_medium(i18n: I18nContext<Locale>, medium: ContactMedium) -> String {
    match medium {
        ContactMedium::MailIn => t_string!(i18n, contact_mail_in).to_string(),
        ContactMedium::MailOut => t_string!(i18n, contact_mail_out).to_string(),
        ContactMedium::FormLetterMail => t_string!(i18n, contact_form_letter_mail).to_string(),
        ContactMedium::FormLetterLetter => t_string!(i18n, contact_form_letter_letter).to_string(),
        ContactMedium::LetterOut => t_string!(i18n, contact_letter_out).to_string(),
        ContactMedium::FaxOut => t_string!(i18n, contact_fax_out).to_string(),
        ContactMedium::PhoneOut => t_string!(i18n, contact_phone_out).to_string(),
        ContactMedium::PhoneIn => t_string!(i18n, contact_phone_in).to_string(),
        ContactMedium::InPerson => t_string!(i18n, contact_in_person).to_string(),
        ContactMedium::OnlineFormIn => t_string!(i18n, contact_online_form_in).to_string(),
        ContactMedium::JobAgencyIn => t_string!(i18n, contact_job_agency_in).to_string(),
        ContactMedium::SmsIn => t_string!(i18n, contact_sms_in).to_string(),
    }
}

pub fn sender_channel(i18n: I18nContext<Locale>, channel: SenderChannel) -> String {
    match channel {
        SenderChannel::SystemDefault => t_string!(i18n, channel_system_default).to_string(),
        SenderChannel::Account => t_string!(i18n, channel_account).to_string(),
        SenderChannel::Google => "Google".to_string(),
        SenderChannel::Microsoft => "Microsoft 365".to_string(),
    }
}

pub fn sender_name_mode(i18n: I18nContext<Locale>, mode: SenderNameMode) -> String {
    match mode {
        SenderNameMode::Recruiter => t_string!(i18n, sender_name_recruiter).to_string(),
        SenderNameMode::Company => t_string!(i18n, sender_name_company).to_string(),
        SenderNameMode::Custom => t_string!(i18n, sender_name_custom).to_string(),
    }
}

pub fn outbox_channel(i18n: I18nContext<Locale>, channel: OutboxChannel) -> String {
    match channel {
        OutboxChannel::Account => t_string!(i18n, outbox_channel_account).to_string(),
        OutboxChannel::Relay => t_string!(i18n, outbox_channel_relay).to_string(),
        OutboxChannel::DropFolder => t_string!(i18n, outbox_channel_drop).to_string(),
    }
}

pub fn mail_security(i18n: I18nContext<Locale>, security: MailSecurity) -> String {
    match security {
        MailSecurity::Tls => t_string!(i18n, security_tls).to_string(),
        MailSecurity::Starttls => t_string!(i18n, security_starttls).to_string(),
        MailSecurity::Unencrypted => t_string!(i18n, security_none).to_string(),
    }
}

pub fn entry_state(i18n: I18nContext<Locale>, state: talentpost_shared::NurturingEntryState) -> String {
    use talentpost_shared::NurturingEntryState as S;
    match state {
        S::Planned => t_string!(i18n, entry_planned).to_string(),
        S::Blocked => t_string!(i18n, entry_blocked).to_string(),
        S::Queued => t_string!(i18n, entry_queued).to_string(),
        S::Sent => t_string!(i18n, entry_sent).to_string(),
        S::DocumentedNotSent => t_string!(i18n, entry_documented).to_string(),
        S::Failed => t_string!(i18n, entry_failed).to_string(),
    }
}

/// One reason a candidate is a recipient, with its value.
pub fn match_reason(i18n: I18nContext<Locale>, code: talentpost_shared::MatchReasonCode, value: &str) -> String {
    use talentpost_shared::MatchReasonCode as C;
    let value = match code {
        C::Birthday | C::LastContact | C::InPoolSince | C::Application if !value.is_empty() => {
            super::time::date(i18n, value)
        }
        C::Status => CandidateStatus::parse(&value.to_lowercase())
            .map(|s| candidate_status(i18n, s))
            .unwrap_or_else(|| value.to_owned()),
        _ => value.to_owned(),
    };
    let label = match code {
        C::Birthday => t_string!(i18n, reason_birthday).to_string(),
        C::LastContact if value.is_empty() => {
            return t_string!(i18n, reason_never_contacted).to_string();
        }
        C::LastContact => t_string!(i18n, reason_last_contact).to_string(),
        C::InPoolSince => t_string!(i18n, reason_in_pool_since).to_string(),
        C::Status => t_string!(i18n, reason_status).to_string(),
        C::Application => t_string!(i18n, reason_application).to_string(),
        C::DuplicateSet => t_string!(i18n, reason_duplicate_set).to_string(),
        C::NoEmail => return t_string!(i18n, reason_no_email).to_string(),
    };
    format!("{label}: {value}")
}

pub fn writing_job_kind(i18n: I18nContext<Locale>, kind: talentpost_shared::WritingJobKind) -> String {
    use talentpost_shared::WritingJobKind as K;
    match kind {
        K::Nurturing => t_string!(i18n, writing_kind_nurturing).to_string(),
        K::Invitation => t_string!(i18n, writing_kind_invitation).to_string(),
        K::AppointmentRejection => t_string!(i18n, writing_kind_appointment_rejection).to_string(),
        K::Rejection => t_string!(i18n, writing_kind_rejection).to_string(),
        K::Other => t_string!(i18n, writing_kind_other).to_string(),
    }
}

pub fn weekday(i18n: I18nContext<Locale>, day: talentpost_shared::Weekday) -> String {
    use talentpost_shared::Weekday as W;
    match day {
        W::Monday => t_string!(i18n, day_mon).to_string(),
        W::Tuesday => t_string!(i18n, day_tue).to_string(),
        W::Wednesday => t_string!(i18n, day_wed).to_string(),
        W::Thursday => t_string!(i18n, day_thu).to_string(),
        W::Friday => t_string!(i18n, day_fri).to_string(),
        W::Saturday => t_string!(i18n, day_sat).to_string(),
        W::Sunday => t_string!(i18n, day_sun).to_string(),
    }
}

pub fn oauth_provider(provider: talentpost_shared::OauthProvider) -> &'static str {
    match provider {
        talentpost_shared::OauthProvider::Google => "Google",
        talentpost_shared::OauthProvider::Microsoft => "Microsoft 365",
    }
}

pub fn oauth_state(i18n: I18nContext<Locale>, state: talentpost_shared::OauthAccountState) -> String {
    match state {
        talentpost_shared::OauthAccountState::Connected => t_string!(i18n, oauth_state_connected).to_string(),
        talentpost_shared::OauthAccountState::ReauthorizationNeeded => {
            t_string!(i18n, oauth_state_reauthorization).to_string()
        }
        talentpost_shared::OauthAccountState::Disconnected => t_string!(i18n, oauth_state_disconnected).to_string(),
    }
}

/// What an audit entry records, for the kinds of change the app knows; others show
/// their code.
pub fn audit_action(i18n: I18nContext<Locale>, action: &str) -> String {
    let text = match action {
        "inbox_item.delete" => t_string!(i18n, audit_inbox_delete),
        "inbox_item.restore" => t_string!(i18n, audit_inbox_restore),
        "inbox_item.take_over" => t_string!(i18n, audit_inbox_take_over),
        "inbox_item.assign" => t_string!(i18n, audit_inbox_assign),
        "candidate.create" => t_string!(i18n, audit_candidate_create),
        "candidate.update" => t_string!(i18n, audit_candidate_update),
        "candidates.merge" => t_string!(i18n, audit_candidates_merge),
        "candidate.rejected_by_form_letter" => t_string!(i18n, audit_candidate_rejected),
        "application.create" => t_string!(i18n, audit_application_create),
        "application.status" => t_string!(i18n, audit_application_status),
        "job_opening.create" => t_string!(i18n, audit_opening_create),
        "job_opening.update" => t_string!(i18n, audit_opening_update),
        "form_letter.create" => t_string!(i18n, audit_letter_create),
        "form_letter.update" => t_string!(i18n, audit_letter_update),
        "form_letter.delete" => t_string!(i18n, audit_letter_delete),
        "form_letter.send" => t_string!(i18n, audit_letter_send),
        "candidate_query.create" => t_string!(i18n, audit_query_create),
        "candidate_query.update" => t_string!(i18n, audit_query_update),
        "candidate_query.delete" => t_string!(i18n, audit_query_delete),
        "nurturing_job.created" => t_string!(i18n, audit_job_create),
        "nurturing_job.updated" => t_string!(i18n, audit_job_update),
        "nurturing_job.copied" => t_string!(i18n, audit_job_copy),
        "nurturing_job.deleted" => t_string!(i18n, audit_job_delete),
        "api_token.create" => t_string!(i18n, audit_token_create),
        "api_token.revoke" => t_string!(i18n, audit_token_revoke),
        "user.update" => t_string!(i18n, audit_user_update),
        "legal_entity.create" => t_string!(i18n, audit_entity_create),
        "legal_entity.update" => t_string!(i18n, audit_entity_update),
        _ => return action.to_owned(),
    };
    text.to_string()
}

/// The kind of record an audit entry is about.
pub fn audit_kind(i18n: I18nContext<Locale>, kind: &str) -> String {
    let text = match kind {
        "inbox_item" => t_string!(i18n, audit_kind_inbox_item),
        "candidate" => t_string!(i18n, audit_kind_candidate),
        "job_opening" => t_string!(i18n, audit_kind_job_opening),
        "form_letter" => t_string!(i18n, audit_kind_form_letter),
        "candidate_query" => t_string!(i18n, audit_kind_candidate_query),
        "nurturing_job" => t_string!(i18n, audit_kind_nurturing_job),
        "user" => t_string!(i18n, audit_kind_user),
        "user_group" => t_string!(i18n, audit_kind_user_group),
        "legal_entity" => t_string!(i18n, audit_kind_legal_entity),
        "api_token" => t_string!(i18n, audit_kind_api_token),
        "inbound_account" => t_string!(i18n, audit_kind_inbound_account),
        "outbound_account" => t_string!(i18n, audit_kind_outbound_account),
        "organisation" => t_string!(i18n, audit_kind_organisation),
        _ => return kind.to_owned(),
    };
    text.to_string()
}
