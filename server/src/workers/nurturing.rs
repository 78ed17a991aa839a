//! The nurturing scheduler: plans the next run of every switched-on job once its lead
//! time has begun, runs a dispatch time missed while no server ran (once, not once per
//! missed day), and dispatches due runs. Several processes may run it on one
//! PostgreSQL: runs are claimed in the database.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use talentpost_shared::NurturingRunState;

use crate::db::entities::{nurturing_job, nurturing_run};
use crate::error::ServiceResult;
use crate::events::DomainEvent;
use crate::services::nurturing::jobs::schedule_of;
use crate::services::nurturing::{dispatch, planning};
use crate::state::AppState;
use crate::workers::LoopControl;

/// Even without a wake-up the scheduler looks again this often.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// After a failed round.
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NurturingReport {
    pub planned_runs: u64,
    pub catch_up_runs: u64,
    pub planned_entries: u64,
    pub dispatched_runs: u64,
    pub queued: u64,
    pub documented: u64,
    pub blocked: u64,
    pub failed: u64,
    /// Jobs or runs that hit an error this round (logged); the loop retries soon.
    pub errors: u64,
}

/// The scheduler's loop in this process; services wake it through
/// `state.signals.nurturing`.
#[derive(Clone)]
pub struct NurturingWorker {
    control: LoopControl,
}

impl NurturingWorker {
    pub fn start(state: &AppState) -> Self {
        let worker = Self {
            control: LoopControl::waking_on(state.signals.nurturing.clone()),
        };
        if state.config.nurturing_worker {
            worker.control.spawn(run_loop(state.clone(), worker.clone()));
        }
        worker
    }

    /// Lets the current round finish its entry (each entry is its own transaction).
    pub async fn stop(&self) {
        self.control.stop(Duration::from_secs(30)).await;
    }
}

/// One round over every organisation's switched-on jobs. A job whose run cannot be
/// planned (its owner lost access, say) is logged and the others go on.
pub async fn run_once(state: &AppState) -> ServiceResult<NurturingReport> {
    let mut report = NurturingReport::default();
    let now = state.clock.now();
    let jobs = nurturing_job::Entity::find()
        .filter(nurturing_job::Column::Enabled.eq(true))
        .order_by_asc(nurturing_job::Column::Id)
        .all(&state.db)
        .await?;
    for job in &jobs {
        if let Err(error) = plan_job(state, job, now, &mut report).await {
            report.errors += 1;
            tracing::error!(job = job.id, error = %error, "planning a nurturing run failed");
        }
    }
    let due = nurturing_run::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(nurturing_run::Column::State.eq(NurturingRunState::Planned.as_str()))
                        .add(nurturing_run::Column::DispatchAt.lte(now)),
                )
                .add(
                    Condition::all()
                        .add(nurturing_run::Column::State.eq(NurturingRunState::Dispatching.as_str()))
                        .add(nurturing_run::Column::ClaimedUntil.lt(Utc::now())),
                ),
        )
        .order_by_asc(nurturing_run::Column::DispatchAt)
        .all(&state.db)
        .await?;
    for run in due {
        if state.signals.shutdown.is_requested() {
            break;
        }
        if !jobs.iter().any(|job| job.id == run.job_id) {
            // Switched off since planning: its planned runs were dropped; a run already
            // being dispatched is finished by its claimant.
            continue;
        }
        match dispatch::dispatch(state, &run, &state.signals.instance).await {
            Ok(Some(dispatched)) => {
                report.dispatched_runs += 1;
                report.queued += dispatched.queued;
                report.documented += dispatched.documented;
                report.blocked += dispatched.blocked;
                report.failed += dispatched.failed;
            }
            Ok(None) => {}
            Err(error) => {
                report.errors += 1;
                tracing::error!(run = run.id, error = %error, "dispatching a nurturing run failed");
            }
        }
    }
    Ok(report)
}

/// At most one run of a job waits at a time. Without one: a dispatch time missed since
/// the last run (or since the schedule was set) is run now, once; otherwise the next
/// dispatch time is planned when its lead time has begun.
async fn plan_job(
    state: &AppState,
    job: &nurturing_job::Model,
    now: DateTime<Utc>,
    report: &mut NurturingReport,
) -> ServiceResult<()> {
    let runs = nurturing_run::Entity::find()
        .filter(nurturing_run::Column::JobId.eq(job.id))
        .order_by_desc(nurturing_run::Column::DispatchAt)
        .all(&state.db)
        .await?;
    if runs.iter().any(|run| run.state != NurturingRunState::Done) {
        return Ok(());
    }
    let schedule = schedule_of(job);
    // Times up to the last dispatch (when it actually ran) are covered.
    let covered = runs
        .first()
        .map(|run| run.dispatched_at.unwrap_or(run.dispatch_at))
        .unwrap_or(job.schedule_since)
        .max(job.schedule_since);
    if let Some(missed) = schedule.last_at_or_before(now).filter(|at| *at > covered) {
        if let Some((run, entries)) = planning::plan(state, job, missed).await? {
            report.planned_runs += 1;
            report.catch_up_runs += u64::from(run.catch_up);
            report.planned_entries += entries;
        }
        return Ok(());
    }
    if let Some(next) = schedule.next_after(now.max(covered))
        && now >= next - chrono::Duration::hours(i64::from(job.lead_time_hours))
        && let Some((_, entries)) = planning::plan(state, job, next).await?
    {
        report.planned_runs += 1;
        report.planned_entries += entries;
    }
    Ok(())
}

/// When the scheduler has something to do next, by the schedule clock.
async fn next_due(state: &AppState) -> ServiceResult<Option<DateTime<Utc>>> {
    let now = state.clock.now();
    let jobs = nurturing_job::Entity::find()
        .filter(nurturing_job::Column::Enabled.eq(true))
        .all(&state.db)
        .await?;
    let mut earliest: Option<DateTime<Utc>> = None;
    for job in jobs {
        if let Some(next) = schedule_of(&job).next_after(now.max(job.schedule_since)) {
            let planning = next - chrono::Duration::hours(i64::from(job.lead_time_hours));
            for at in [planning, next] {
                if at > now {
                    earliest = Some(earliest.map_or(at, |current| current.min(at)));
                }
            }
        }
    }
    Ok(earliest)
}

async fn run_loop(state: AppState, worker: NurturingWorker) {
    let mut events = state.events.subscribe();
    while !worker.control.is_stopping() {
        // A passing failure (a busy database) is retried after a short wait, not after
        // the next dispatch time.
        let failed = match run_once(&state).await {
            Ok(report) => {
                if report != NurturingReport::default() {
                    tracing::info!(?report, "nurturing round");
                }
                report.errors > 0
            }
            Err(error) => {
                tracing::error!(error = %error, "nurturing round failed");
                true
            }
        };
        if worker.control.is_stopping() {
            break;
        }
        let sleep = match next_due(&state).await {
            // A test clock stands still: real time until its next event says nothing.
            Ok(Some(due)) if !state.clock.is_settable() => (due - state.clock.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(MAX_SLEEP),
            Ok(_) => MAX_SLEEP,
            Err(error) => {
                tracing::error!(error = %error, "nurturing: reading the next due time failed");
                MAX_SLEEP
            }
        };
        let sleep = if failed { sleep.min(RETRY_AFTER_ERROR) } else { sleep };
        let deadline = tokio::time::Instant::now() + sleep;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => break,
                () = worker.control.woken() => break,
                // A job changed here or in another process.
                event = events.recv() => match event {
                    Ok(DomainEvent::NurturingChanged { job_id: Some(_), .. })
                    | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                        tokio::time::sleep_until(deadline).await;
                        break;
                    }
                    Ok(_) => {}
                },
            }
        }
    }
}
