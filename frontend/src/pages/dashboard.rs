use leptos::prelude::*;
use leptos_router::components::A;
use talentpost_shared::{DashboardPeriod, InboxMedium, SourceMedium};

use crate::api::generated as gql;
use crate::api::live::LiveInbox;
use crate::api::{self, ApiError};
use crate::app::Session;
use crate::components::charts::{RateBars, RateRow, Series, StackedBars};
use crate::components::labels;
use crate::components::status::{EmptyState, ErrorView, Loading};
use crate::components::time;
use crate::i18n::*;

type Dashboard = gql::dashboard::DashboardDashboard;

/// One colour per source, the same in every chart.
fn color(source: SourceMedium) -> &'static str {
    match source {
        SourceMedium::Email => "#2563eb",
        SourceMedium::OnlineForm => "#16a34a",
        SourceMedium::JobAgency => "#d97706",
        SourceMedium::Sms => "#9333ea",
        SourceMedium::Manual => "#64748b",
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = expect_context::<Session>();
    let live = expect_context::<LiveInbox>();
    let name = session.user.display_name.clone();
    let period = RwSignal::new(DashboardPeriod::Month);
    let figures = LocalResource::new(move || {
        live.version.track();
        let p = Some(period.get());
        async move {
            api::run::<gql::Dashboard>(gql::dashboard::Variables { p })
                .await
                .map(|data| data.dashboard)
        }
    });
    let tiles = move || {
        InboxMedium::ALL
            .iter()
            .map(|medium| {
                let medium = *medium;
                let count = move || live.counts.get().map(|c| c.get(medium)).unwrap_or(0);
                view! {
                    <A href=format!("/inbox?medium={}", medium.as_str()) attr:class="tile">
                        <span class="tile-count">{count}</span>
                        <span class="tile-label">{move || labels::medium(i18n, medium)}</span>
                    </A>
                }
            })
            .collect_view()
    };
    view! {
        <main class="page dashboard">
            <div class="page-head">
                <h1>{t!(i18n, dashboard_welcome, name = move || name.clone())}</h1>
                <label>{t!(i18n, dashboard_period)}
                    <select data-testid="dashboard-period" on:change=move |ev| if let Some(p) = DashboardPeriod::parse(&event_target_value(&ev)) { period.set(p) }>
                        {DashboardPeriod::ALL.iter().map(|p| {
                            let p = *p;
                            view! { <option value=p.as_str() selected=move || period.get() == p>{move || labels::dashboard_period(i18n, p)}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <section>
                <h2>{t!(i18n, dashboard_unassigned)}</h2>
                <div class="tiles">{tiles}</div>
                <A href="/inbox" attr:class="button primary">{t!(i18n, dashboard_open_inbox)}</A>
            </section>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                    {move || Suspend::new(async move {
                        let figures = figures.await?;
                        Ok::<_, ApiError>(view! { <Figures figures/> })
                    })}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

#[component]
fn Figures(figures: Dashboard) -> impl IntoView {
    let i18n = use_i18n();
    let kpi = |testid: &'static str, value: i64, label: String, href: Option<&'static str>| {
        let body = view! { <span class="tile-count">{value}</span><span class="tile-label">{label}</span> };
        match href {
            Some(href) => view! { <A href=href attr:class="tile" attr:data-testid=testid>{body}</A> }.into_any(),
            None => view! { <div class="tile" data-testid=testid>{body}</div> }.into_any(),
        }
    };
    let tasks = figures.open_tasks.clone();
    // A year's buckets are calendar months, the others start on a day.
    let by_month = figures.period == DashboardPeriod::Year;
    let labels_short: Vec<String> = figures
        .bucket_starts
        .iter()
        .map(|day| {
            if by_month {
                time::month_label(i18n, day)
            } else {
                time::day_label(i18n, day)
            }
        })
        .collect();
    let nothing_yet = figures.applications == 0;
    let series: Vec<Series> = figures
        .applications_by_source
        .iter()
        .map(|s| Series {
            label: labels::source_medium(i18n, s.source),
            color: color(s.source),
            values: s
                .counts
                .iter()
                .map(|&count| u64::try_from(count).unwrap_or(0))
                .collect(),
        })
        .collect();
    let rows: Vec<RateRow> = figures
        .channel_effectiveness
        .iter()
        .map(|c| RateRow {
            label: labels::source_medium(i18n, c.source),
            color: color(c.source),
            rate: c.hire_rate,
            caption: match c.hire_rate {
                Some(rate) => format!("{:.0} % ({}/{})", rate * 100.0, c.hires, c.applications),
                None => "–".to_owned(),
            },
        })
        .collect();
    let table = figures.channel_effectiveness.clone();
    view! {
        <section>
            <h2>{t!(i18n, dashboard_figures)}<span class="muted" data-testid="dashboard-range">{
                let (from, to) = (figures.from.clone(), figures.to.clone());
                move || format!(" {} – {}", time::date(i18n, &from), time::date(i18n, &to))
            }</span></h2>
            <div class="tiles">
                {kpi("kpi-openings", figures.open_job_openings, t_string!(i18n, dashboard_open_openings).to_string(), Some("/job-openings"))}
                {kpi("kpi-new-candidates", figures.new_candidates, t_string!(i18n, dashboard_new_candidates).to_string(), Some("/candidates"))}
                {kpi("kpi-applications", figures.applications, t_string!(i18n, dashboard_applications).to_string(), None)}
            </div>
            <h2>{t!(i18n, dashboard_open_tasks)}</h2>
            <div class="tiles">
                {kpi("task-unassigned", tasks.unassigned_inbox_items, t_string!(i18n, dashboard_task_unassigned).to_string(), Some("/inbox"))}
                {kpi("task-writing-jobs", tasks.writing_jobs_due, t_string!(i18n, dashboard_task_writing_jobs).to_string(), None)}
                {kpi("task-failed-mail", tasks.failed_outgoing_mail, t_string!(i18n, dashboard_task_failed_mail).to_string(), Some("/outbox"))}
            </div>
        </section>
        {nothing_yet.then(|| view! { <EmptyState message=Signal::derive(move || t_string!(i18n, dashboard_no_applications).to_string())/> })}
        <div class="dashboard-charts" hidden=nothing_yet>
        <section>
            <h2>{t!(i18n, dashboard_by_source)}</h2>
            <StackedBars labels=labels_short series title=t_string!(i18n, dashboard_by_source).to_string()/>
        </section>
        <section>
            <h2>{t!(i18n, dashboard_channels)}</h2>
            <RateBars rows title=t_string!(i18n, dashboard_channels).to_string()/>
            <table class="list" data-testid="channel-table">
                <thead><tr>
                    <th>{t!(i18n, application_source)}</th><th>{t!(i18n, dashboard_applications)}</th>
                    <th>{t!(i18n, dashboard_interviews)}</th><th>{t!(i18n, dashboard_hires)}</th>
                    <th>{t!(i18n, dashboard_hire_rate)}</th><th>{t!(i18n, dashboard_time_to_hire)}</th>
                </tr></thead>
                <tbody>{table.into_iter().map(|c| view! {
                    <tr>
                        <td>{labels::source_medium(i18n, c.source)}</td>
                        <td>{c.applications}</td>
                        <td>{c.interviews}</td>
                        <td>{c.hires}</td>
                        <td>{c.hire_rate.map(|r| format!("{:.0} %", r * 100.0)).unwrap_or_else(|| "–".to_owned())}</td>
                        <td>{c.median_days_to_hire.map(|d| format!("{d:.1}")).unwrap_or_else(|| "–".to_owned())}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table>
        </section>
        </div>
    }
}
