//! The start page's figures: what needs doing now, and where applications come from
//! and which sources lead to hires. Every figure is one grouped query; counting
//! 300,000 applications row by row in Rust would take seconds.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait};
use talentpost_shared::{DashboardPeriod, InboxState, JobOpeningStatus, OutboxStatus, SourceMedium};

use crate::auth::Principal;
use crate::db::entities::{application, candidate, job_opening, legal_entity, outbox_message};
use crate::error::ServiceResult;
use crate::services::inbox;
use crate::state::AppState;

pub struct Dashboard {
    pub period: DashboardPeriod,
    /// First and last day covered (UTC), both included. `to` is today; `from` is the
    /// first day of the first bucket, so every bucket but the last is whole.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub open_job_openings: u64,
    pub new_candidates: u64,
    pub applications: u64,
    pub unassigned_inbox_items: u64,
    /// Scheduled form-letter jobs waiting to be written (contact nurturing).
    pub writing_jobs_due: u64,
    pub failed_outgoing_mail: u64,
    /// Start day of each bucket: days for a week or month, calendar weeks (from Monday)
    /// for a quarter, calendar months for a year. The last bucket runs up to today.
    pub bucket_starts: Vec<NaiveDate>,
    pub by_source: Vec<SourceSeries>,
    pub channels: Vec<ChannelFigures>,
}

pub struct SourceSeries {
    pub source: SourceMedium,
    /// Applications per bucket, aligned with `bucket_starts`.
    pub counts: Vec<u64>,
}

/// How the applications of the period from one source fared.
pub struct ChannelFigures {
    pub source: SourceMedium,
    pub applications: u64,
    /// Applications that reached the interview stage.
    pub interviews: u64,
    pub hires: u64,
    /// Hires per application, 0 to 1; none without applications.
    pub hire_rate: Option<f64>,
    /// Median days from application to hire; none without hires.
    pub median_days_to_hire: Option<f64>,
}

pub async fn dashboard(state: &AppState, principal: &Principal, period: DashboardPeriod) -> ServiceResult<Dashboard> {
    let organisation_id = principal.organisation_id;
    let to = state.clock.now().date_naive();
    let bucket_starts = buckets(period, to);
    let from = bucket_starts.first().copied().unwrap_or(to);
    let since = Utc.from_utc_datetime(&from.and_time(chrono::NaiveTime::MIN));
    let db = &state.db;

    let entities = crate::db::tenancy::scoped::<legal_entity::Entity>(organisation_id)
        .select_only()
        .column(legal_entity::Column::Id)
        .into_query();
    let open_job_openings = job_opening::Entity::find()
        .filter(job_opening::Column::LegalEntityId.in_subquery(entities))
        .filter(job_opening::Column::Status.eq(JobOpeningStatus::Open.as_str()))
        .count(db)
        .await?;
    let new_candidates = crate::db::tenancy::scoped::<candidate::Entity>(organisation_id)
        .filter(candidate::Column::CreatedAt.gte(since))
        .count(db)
        .await?;
    let unassigned_inbox_items = inbox::counts(state, principal, InboxState::Unassigned).await?.total();
    let failed_outgoing_mail = crate::db::tenancy::scoped::<outbox_message::Entity>(organisation_id)
        .filter(
            outbox_message::Column::Status
                .is_in([OutboxStatus::Failed, OutboxStatus::Bounced, OutboxStatus::NotSent].map(OutboxStatus::as_str)),
        )
        .count(db)
        .await?;

    let in_period = || {
        application::Entity::find()
            .filter(application::Column::OrganisationId.eq(organisation_id))
            .filter(application::Column::AppliedAt.gte(since))
    };
    let day = match db.get_database_backend() {
        DatabaseBackend::Postgres => "((applied_at AT TIME ZONE 'UTC')::date)::text",
        // SQLite keeps timestamps as ISO text in UTC; its first ten characters are the day.
        _ => "substr(applied_at, 1, 10)",
    };
    // One pass over the period (index-only): per source and day the applications, and
    // of them those that reached an interview and those hired.
    let per_day: Vec<(SourceMedium, String, i64, i64, i64)> = in_period()
        .select_only()
        .column(application::Column::SourceMedium)
        .column_as(Expr::cust(day), "day")
        .column_as(
            Expr::expr(Func::count(Expr::col(application::Column::Id))),
            "applications",
        )
        .column_as(
            Expr::expr(Func::count(Expr::col(application::Column::InterviewAt))),
            "interviews",
        )
        .column_as(
            Expr::expr(Func::count(Expr::col(application::Column::HiredAt))),
            "hires",
        )
        .group_by(application::Column::SourceMedium)
        .group_by(Expr::cust(day))
        .into_tuple()
        .all(db)
        .await?;
    let mut series: HashMap<SourceMedium, Vec<u64>> = SourceMedium::ALL
        .iter()
        .map(|source| (*source, vec![0; bucket_starts.len()]))
        .collect();
    let mut totals: HashMap<SourceMedium, (u64, u64, u64)> = HashMap::new();
    for (source, day, count, interviews, hires) in per_day {
        let total = totals.entry(source).or_default();
        *total = (
            total.0 + count.max(0) as u64,
            total.1 + interviews.max(0) as u64,
            total.2 + hires.max(0) as u64,
        );
        let (Some(counts), Ok(day)) = (series.get_mut(&source), day.parse::<NaiveDate>()) else {
            continue;
        };
        let index = bucket_starts.partition_point(|start| *start <= day).saturating_sub(1);
        if let Some(slot) = counts.get_mut(index) {
            *slot += count.max(0) as u64;
        }
    }
    let by_source: Vec<SourceSeries> = SourceMedium::ALL
        .iter()
        .map(|source| SourceSeries {
            source: *source,
            counts: series.remove(source).unwrap_or_default(),
        })
        .collect();

    let hires: Vec<(String, chrono::DateTime<Utc>, Option<chrono::DateTime<Utc>>)> = in_period()
        .filter(application::Column::HiredAt.is_not_null())
        .select_only()
        .column(application::Column::SourceMedium)
        .column(application::Column::AppliedAt)
        .column(application::Column::HiredAt)
        .into_tuple()
        .all(db)
        .await?;
    let mut days_to_hire: HashMap<String, Vec<f64>> = HashMap::new();
    for (source, applied_at, hired_at) in hires {
        if let Some(hired_at) = hired_at {
            days_to_hire
                .entry(source)
                .or_default()
                .push((hired_at - applied_at).num_seconds().max(0) as f64 / 86_400.0);
        }
    }
    let mut applications = 0;
    let channels = SourceMedium::ALL
        .iter()
        .map(|source| {
            let (count, interviews, hires) = totals.get(source).copied().unwrap_or_default();
            applications += count;
            ChannelFigures {
                source: *source,
                applications: count,
                interviews,
                hires,
                hire_rate: (count > 0).then(|| hires as f64 / count as f64),
                median_days_to_hire: median(days_to_hire.remove(source.as_str()).unwrap_or_default()),
            }
        })
        .collect();

    Ok(Dashboard {
        period,
        from,
        to,
        open_job_openings,
        new_candidates,
        applications,
        unassigned_inbox_items,
        // Overdue or due within a day: what needs looking at before tomorrow's dispatch.
        writing_jobs_due: crate::services::nurturing::writing_jobs::due_count(
            db,
            principal,
            state.clock.now() + Duration::hours(24),
        )
        .await?,
        failed_outgoing_mail,
        bucket_starts,
        by_source,
        channels,
    })
}

/// The buckets of a period ending `today`. A week and a month are the last 7 and 30
/// days; a quarter is the last 13 calendar weeks and a year the last 12 calendar months,
/// each including the current, partial one. Whole calendar units keep the count of
/// buckets the same on every day and give labels people read at a glance ("KW 49",
/// "Dez."); a rolling 365 days would start with a partial month on every day but the
/// first of one.
fn buckets(period: DashboardPeriod, today: NaiveDate) -> Vec<NaiveDate> {
    match period {
        DashboardPeriod::Week | DashboardPeriod::Month => {
            let days = if period == DashboardPeriod::Week { 7 } else { 30 };
            (0..days).rev().map(|back| today - Duration::days(back)).collect()
        }
        DashboardPeriod::Quarter => {
            let this_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
            (0..13).rev().map(|back| this_monday - Duration::weeks(back)).collect()
        }
        DashboardPeriod::Year => {
            let this_month = today.with_day(1).unwrap_or(today);
            (0..12)
                .rev()
                .filter_map(|back| this_month.checked_sub_months(chrono::Months::new(back)))
                .collect()
        }
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn every_period_has_the_same_buckets_on_every_day() {
        for today in [
            day(2026, 12, 1),
            day(2026, 12, 7),
            day(2026, 12, 31),
            day(2027, 1, 1),
            day(2028, 2, 29),
            day(2026, 3, 30),
        ] {
            let week = buckets(DashboardPeriod::Week, today);
            assert_eq!((week.len(), *week.last().unwrap()), (7, today), "{today}");
            let month = buckets(DashboardPeriod::Month, today);
            assert_eq!((month.len(), month[0]), (30, today - Duration::days(29)), "{today}");
            let quarter = buckets(DashboardPeriod::Quarter, today);
            assert_eq!(quarter.len(), 13, "{today}");
            assert!(
                quarter.iter().all(|start| start.weekday() == chrono::Weekday::Mon),
                "{today}: weeks start on Monday"
            );
            assert!(
                quarter[12] <= today && today < quarter[12] + Duration::days(7),
                "{today}: the last week holds today"
            );
            let year = buckets(DashboardPeriod::Year, today);
            assert_eq!(year.len(), 12, "{today}");
            assert!(
                year.iter().all(|start| start.day() == 1),
                "{today}: months start on the 1st"
            );
            assert_eq!(
                (year[11].year(), year[11].month()),
                (today.year(), today.month()),
                "{today}: the last month is this one"
            );
            assert!(
                year.windows(2)
                    .all(|pair| pair[0].checked_add_months(chrono::Months::new(1)) == Some(pair[1])),
                "{today}: no gaps"
            );
        }
        assert_eq!(buckets(DashboardPeriod::Year, day(2026, 12, 7))[0], day(2026, 1, 1));
        assert_eq!(buckets(DashboardPeriod::Quarter, day(2026, 12, 7))[0], day(2026, 9, 14));
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
