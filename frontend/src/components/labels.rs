//! Translated names of the shared enums.

use talentpost_shared::{ApplicationStatus, CandidateStatus, InboxMedium, JobOpeningStatus, Role};

use crate::i18n::*;
use leptos_i18n::I18nContext;

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

/// "2026-11-29T20:15:55.123+00:00" → "29.11.2026 20:15" (UTC; good enough until user time zones exist).
pub fn date_time(text: &str) -> String {
    let (date, time) = text.split_once('T').unwrap_or((text, ""));
    let mut parts = date.split('-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d)) => format!("{d}.{m}.{y} {}", time.get(..5).unwrap_or("")).trim().to_owned(),
        _ => text.to_owned(),
    }
}
