//! The job list as an Excel workbook, headed in the caller's language.

use rust_xlsxwriter::{Format, Workbook, XlsxError};
use talentpost_shared::{NurturingEntryState, Weekday};

use crate::auth::Principal;
use crate::error::{ServiceError, ServiceResult};
use crate::services::nurturing::jobs::{self, JobView};
use crate::state::AppState;

pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub struct Export {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

pub async fn jobs_workbook(state: &AppState, principal: &Principal, german: bool) -> ServiceResult<Export> {
    let jobs = jobs::list(state, principal).await?;
    let bytes =
        workbook(&jobs, german).map_err(|error| ServiceError::Internal(format!("writing the workbook: {error}")))?;
    let date = state.clock.now().format("%Y-%m-%d");
    let file_name = if german {
        format!("Kontaktpflege-{date}.xlsx")
    } else {
        format!("nurturing-jobs-{date}.xlsx")
    };
    Ok(Export { file_name, bytes })
}

fn workbook(jobs: &[JobView], german: bool) -> Result<Vec<u8>, XlsxError> {
    let headers: [&str; 15] = if german {
        [
            "Name",
            "Abfrage",
            "Serienbrief",
            "Tage",
            "Uhrzeit",
            "Zeitzone",
            "Vorlauf (Std.)",
            "Aktiv",
            "Nächster Versand",
            "Letzter Versand",
            "Geplant",
            "Gesperrt",
            "Versendet",
            "Dokumentiert",
            "Fehlgeschlagen",
        ]
    } else {
        [
            "Name",
            "Query",
            "Form letter",
            "Days",
            "Time",
            "Time zone",
            "Lead time (h)",
            "Active",
            "Next dispatch",
            "Last dispatch",
            "Planned",
            "Blocked",
            "Sent",
            "Documented",
            "Failed",
        ]
    };
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Jobs")?;
    let bold = Format::new().set_bold();
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *header, &bold)?;
    }
    for (index, view) in jobs.iter().enumerate() {
        let row = index as u32 + 1;
        let schedule = view.schedule();
        let days: Vec<&str> = Weekday::from_mask(view.job.weekdays)
            .into_iter()
            .map(|day| day_name(day, german))
            .collect();
        let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
            at.map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default()
        };
        sheet.write_string(row, 0, &view.job.name)?;
        sheet.write_string(row, 1, &view.query_name)?;
        sheet.write_string(row, 2, &view.letter_name)?;
        sheet.write_string(row, 3, days.join(", "))?;
        sheet.write_string(row, 4, schedule.dispatch_time())?;
        sheet.write_string(row, 5, schedule.zone_name())?;
        sheet.write_number(row, 6, f64::from(view.job.lead_time_hours))?;
        sheet.write_string(
            row,
            7,
            match (view.job.enabled, german) {
                (true, true) => "ja",
                (false, true) => "nein",
                (true, false) => "yes",
                (false, false) => "no",
            },
        )?;
        sheet.write_string(row, 8, when(view.next_dispatch_at))?;
        sheet.write_string(row, 9, when(view.last_dispatch_at))?;
        let counts = [
            view.count(NurturingEntryState::Planned),
            view.count(NurturingEntryState::Blocked),
            view.count(NurturingEntryState::Sent) + view.count(NurturingEntryState::Queued),
            view.count(NurturingEntryState::DocumentedNotSent),
            view.count(NurturingEntryState::Failed),
        ];
        for (offset, count) in counts.into_iter().enumerate() {
            sheet.write_number(row, 10 + offset as u16, count as f64)?;
        }
    }
    sheet.autofit();
    book.save_to_buffer()
}

fn day_name(day: Weekday, german: bool) -> &'static str {
    let (de, en) = match day {
        Weekday::Monday => ("Mo", "Mon"),
        Weekday::Tuesday => ("Di", "Tue"),
        Weekday::Wednesday => ("Mi", "Wed"),
        Weekday::Thursday => ("Do", "Thu"),
        Weekday::Friday => ("Fr", "Fri"),
        Weekday::Saturday => ("Sa", "Sat"),
        Weekday::Sunday => ("So", "Sun"),
    };
    if german { de } else { en }
}
