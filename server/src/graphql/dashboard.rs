use async_graphql::{Context, Object, SimpleObject};
use chrono::NaiveDate;
use talentpost_shared::{DashboardPeriod, SourceMedium};

use super::support::{GqlResult, ServiceResultExt, caller};
use crate::services::org::dashboard as service;

#[derive(SimpleObject)]
pub struct Dashboard {
    pub period: DashboardPeriod,
    /// First and last day covered (UTC), both included: `to` is today, `from` the start
    /// of the first bucket.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub open_job_openings: u64,
    /// Candidates created in the period.
    pub new_candidates: u64,
    /// Applications received in the period.
    pub applications: u64,
    pub open_tasks: OpenTasks,
    /// Start day of each bucket of `applicationsBySource`: days for WEEK and MONTH,
    /// calendar weeks (from Monday) for QUARTER, calendar months for YEAR. The last
    /// bucket is the current one, up to today.
    pub bucket_starts: Vec<NaiveDate>,
    pub applications_by_source: Vec<SourceSeries>,
    /// Per source, for the applications received in the period.
    pub channel_effectiveness: Vec<ChannelFigures>,
}

#[derive(SimpleObject)]
pub struct OpenTasks {
    /// Unassigned inbox items the caller sees.
    pub unassigned_inbox_items: u64,
    /// Scheduled form-letter jobs waiting to be written.
    pub writing_jobs_due: u64,
    /// Outgoing mail that failed, bounced or was not sent (no relay), and was not retried
    /// or cancelled.
    pub failed_outgoing_mail: u64,
}

#[derive(SimpleObject)]
pub struct SourceSeries {
    pub source: SourceMedium,
    /// Applications per bucket, aligned with `bucketStarts`.
    pub counts: Vec<u64>,
}

#[derive(SimpleObject)]
pub struct ChannelFigures {
    pub source: SourceMedium,
    pub applications: u64,
    /// Applications that reached the interview stage.
    pub interviews: u64,
    pub hires: u64,
    /// Hires per application, 0 to 1; null without applications.
    pub hire_rate: Option<f64>,
    /// Median days from application to hire; null without hires.
    pub median_days_to_hire: Option<f64>,
}

#[derive(Default)]
pub struct DashboardQuery;

#[Object]
impl DashboardQuery {
    /// The start page's figures for the period (default MONTH).
    async fn dashboard(&self, ctx: &Context<'_>, period: Option<DashboardPeriod>) -> GqlResult<Dashboard> {
        let (state, principal) = caller(ctx)?;
        let figures = service::dashboard(state, principal, period.unwrap_or(DashboardPeriod::Month))
            .await
            .gql()?;
        Ok(Dashboard {
            period: figures.period,
            from: figures.from,
            to: figures.to,
            open_job_openings: figures.open_job_openings,
            new_candidates: figures.new_candidates,
            applications: figures.applications,
            open_tasks: OpenTasks {
                unassigned_inbox_items: figures.unassigned_inbox_items,
                writing_jobs_due: figures.writing_jobs_due,
                failed_outgoing_mail: figures.failed_outgoing_mail,
            },
            bucket_starts: figures.bucket_starts,
            applications_by_source: figures
                .by_source
                .into_iter()
                .map(|series| SourceSeries {
                    source: series.source,
                    counts: series.counts,
                })
                .collect(),
            channel_effectiveness: figures
                .channels
                .into_iter()
                .map(|c| ChannelFigures {
                    source: c.source,
                    applications: c.applications,
                    interviews: c.interviews,
                    hires: c.hires,
                    hire_rate: c.hire_rate,
                    median_days_to_hire: c.median_days_to_hire,
                })
                .collect(),
        })
    }
}
