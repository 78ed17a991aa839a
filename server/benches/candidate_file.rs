//! Candidate list and dashboard at scale: seeds 100,000 candidates (with addresses and
//! phone numbers) and 300,000 applications spread over two years, then times the
//! service calls the GraphQL resolvers make: the list's first page with each filter,
//! and the dashboard for each period. Reports p50 and p99 per query, on SQLite and, when
//! a PostgreSQL server is configured, on PostgreSQL. Then a nurturing job over the same
//! candidates: evaluating its query and planning a run (an entry and a writing job per
//! recipient).
//!
//! Run: `scripts/bench` (or `cargo bench -p talentpost-server --bench candidate_file`).
//! `BENCH_CANDIDATES` changes the size (applications are three per candidate),
//! `BENCH_POSTGRES_URL` (default: `TALENTPOST_TEST_POSTGRES_URL`) names the server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/state.rs"]
mod support;

use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};
use talentpost_server::db::entities::{application, candidate, candidate_email, job_opening, legal_entity};
use talentpost_server::ids::JobOpeningId;
use talentpost_server::services::candidates::{self, CandidateFilter};
use talentpost_server::services::org::dashboard;
use talentpost_server::services::pagination::PageRequest;
use talentpost_shared::{ApplicationStatus, CandidateStatus, DashboardPeriod, SourceMedium, matching};

const FIRST_NAMES: [&str; 20] = [
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Ilias", "Jana", "Karl", "Lena", "Max",
    "Nina", "Oskar", "Paula", "Quentin", "Rosa", "Samir", "Tara",
];
const LAST_NAMES: [&str; 25] = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Yılmaz",
];

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let count: usize = std::env::var("BENCH_CANDIDATES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    println!("candidates: {count}, applications: {}", count * 3);

    runtime.block_on(run("SQLite", None, data_dir.path(), count));
    let postgres = std::env::var("BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("TALENTPOST_TEST_POSTGRES_URL"))
        .ok();
    match postgres {
        Some(admin_url) => runtime.block_on(async {
            let name = format!("talentpost_bench_{}", std::process::id());
            let admin = Database::connect(&admin_url).await.unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
            run("PostgreSQL", Some(url), data_dir.path(), count).await;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .unwrap();
        }),
        None => println!("PostgreSQL: skipped (set BENCH_POSTGRES_URL)"),
    }
}

async fn run(label: &str, database_url: Option<String>, data_dir: &std::path::Path, count: usize) {
    let dir = data_dir.join(label);
    std::fs::create_dir_all(&dir).unwrap();
    let (state, principal) = support::bench_state(&dir, database_url).await;

    let started = Instant::now();
    let openings = seed(&state.db, principal.organisation_id, count).await;
    println!("\n{label}: seeded in {:.1} s", started.elapsed().as_secs_f64());

    let page = PageRequest::parse(Some(50), None).unwrap();
    let filters: Vec<(&str, CandidateFilter)> = vec![
        ("list, first page", CandidateFilter::default()),
        (
            "search \"müller\" (4 % match)",
            CandidateFilter {
                search: Some("müller".into()),
                ..Default::default()
            },
        ),
        (
            "search one address",
            CandidateFilter {
                search: Some(format!("c{}@", count / 2)),
                ..Default::default()
            },
        ),
        (
            "search phone digits",
            CandidateFilter {
                search: Some("1701234".into()),
                ..Default::default()
            },
        ),
        (
            "status HIRED + pool",
            CandidateFilter {
                status: Some(CandidateStatus::Hired),
                in_talent_pool: Some(true),
                ..Default::default()
            },
        ),
        (
            "job opening",
            CandidateFilter {
                job_opening_id: Some(JobOpeningId(openings[1])),
                ..Default::default()
            },
        ),
        (
            "source SMS",
            CandidateFilter {
                source: Some(SourceMedium::Sms),
                ..Default::default()
            },
        ),
        (
            "no match",
            CandidateFilter {
                search: Some("zzzzqqq".into()),
                ..Default::default()
            },
        ),
    ];
    println!("{:<44} {:>9} {:>9}", "query", "p50 ms", "p99 ms");
    for (name, filter) in filters {
        let timings = measure(60, || async {
            let filter = CandidateFilter {
                search: filter.search.clone(),
                status: filter.status,
                in_talent_pool: filter.in_talent_pool,
                job_opening_id: filter.job_opening_id,
                source: filter.source,
            };
            candidates::list(&state, &principal, filter, &page).await.unwrap();
        })
        .await;
        report(&format!("candidates: {name}"), &timings);
    }
    for period in DashboardPeriod::ALL {
        let timings = measure(30, || async {
            dashboard::dashboard(&state, &principal, *period).await.unwrap();
        })
        .await;
        report(&format!("dashboard: {}", period.as_str()), &timings);
    }
    nurturing(&state, &principal).await;
}

/// A nurturing job over every candidate: evaluating its query (with duplicate sets and
/// the letter's application) and planning a run, i.e. inserting an entry and a writing
/// job per recipient in one transaction.
async fn nurturing(state: &talentpost_server::state::AppState, principal: &talentpost_server::auth::Principal) {
    use talentpost_server::ids::{CandidateQueryId, FormLetterId};
    use talentpost_server::services::nurturing::{jobs, planning, recipients};
    use talentpost_server::services::{candidates::candidate_queries, mail_out::form_letters};
    let everyone = candidate_queries::create(state, principal, "Alle", Default::default())
        .await
        .unwrap();
    let active = candidate_queries::create(
        state,
        principal,
        "Nicht abgesagt, nicht eingestellt",
        talentpost_shared::nurturing::CandidateQueryFilter {
            status_not_in: vec![CandidateStatus::Rejected, CandidateStatus::Hired],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let letter = form_letters::create(
        state,
        principal,
        form_letters::FormLetterInput {
            name: Some("Gruß".into()),
            subject: Some("Hallo".into()),
            body_text: Some("Hallo {{ candidate.first_name }}".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for (label, query) in [("all candidates", everyone.id), ("not rejected, not hired", active.id)] {
        let filter = candidate_queries::check(
            &state.db,
            principal,
            &candidate_queries::filter_of(
                &candidate_queries::find(&state.db, principal, CandidateQueryId(query))
                    .await
                    .unwrap(),
            ),
        )
        .await
        .unwrap();
        let started = Instant::now();
        let recipients = recipients::recipients(state, principal.organisation_id, &filter, Utc::now())
            .await
            .unwrap();
        println!(
            "nurturing: evaluate \"{label}\": {} recipients in {:.0} ms",
            recipients.len(),
            started.elapsed().as_secs_f64() * 1e3
        );
        let job = jobs::create(
            state,
            principal,
            jobs::JobInput {
                name: Some(format!("Bench {label}")),
                candidate_query_id: Some(CandidateQueryId(query)),
                form_letter_id: Some(FormLetterId(letter.id)),
                weekdays: Some(talentpost_shared::Weekday::ALL.to_vec()),
                dispatch_time: Some("08:00".into()),
                time_zone: Some("UTC".into()),
                enabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let started = Instant::now();
        let (_, entries) = planning::plan(state, &job, Utc::now() + Days::days(1))
            .await
            .unwrap()
            .unwrap();
        println!(
            "nurturing: plan a run of \"{label}\" ({entries} entries and writing jobs) in {:.0} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
    }
}

async fn measure<F, Fut>(runs: usize, mut call: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    call().await; // warm the caches once
    let mut timings = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        call().await;
        timings.push(started.elapsed());
    }
    timings.sort();
    timings
}

fn report(name: &str, sorted: &[Duration]) {
    let at = |q: f64| {
        sorted[((sorted.len() as f64 * q).ceil() as usize)
            .saturating_sub(1)
            .min(sorted.len() - 1)]
    };
    println!(
        "{name:<44} {:>9.2} {:>9.2}",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    );
}

/// A deterministic pseudo-random sequence, so every run seeds the same data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// Inserts the data set in chunks; returns the ids of the job openings.
async fn seed(db: &sea_orm::DatabaseConnection, organisation_id: i64, count: usize) -> Vec<i64> {
    let entity = legal_entity::Entity::find()
        .filter(legal_entity::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let now = Utc::now();
    let mut openings = Vec::new();
    for title in ["Lager", "Vertrieb", "Pflege", "IT", "Buchhaltung"] {
        let opening = job_opening::ActiveModel {
            legal_entity_id: Set(entity.id),
            title: Set(title.into()),
            status: Set(talentpost_shared::JobOpeningStatus::Open),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        openings.push(
            job_opening::Entity::insert(opening)
                .exec(db)
                .await
                .unwrap()
                .last_insert_id,
        );
    }
    let mut random = Lcg(42);
    const CHUNK: usize = 1_000;
    for start in (0..count).step_by(CHUNK) {
        let txn = db.begin().await.unwrap();
        let end = (start + CHUNK).min(count);
        let mut people = Vec::with_capacity(end - start);
        let mut details = Vec::with_capacity(end - start);
        for n in start..end {
            let first = FIRST_NAMES[random.next(FIRST_NAMES.len() as u64) as usize];
            let last = LAST_NAMES[random.next(LAST_NAMES.len() as u64) as usize];
            let email = format!("c{n}@example.org");
            let phone = format!("+49 170 {:07}", random.next(10_000_000));
            let status = [
                CandidateStatus::Active,
                CandidateStatus::InProcess,
                CandidateStatus::Rejected,
                CandidateStatus::Hired,
            ][random.next(4) as usize];
            let created = now - Days::minutes(random.next(2 * 365 * 24 * 60) as i64);
            people.push(candidate::ActiveModel {
                organisation_id: Set(organisation_id),
                first_name: Set(first.into()),
                last_name: Set(last.into()),
                phone: Set(Some(phone.clone())),
                birthday: Set(None),
                in_talent_pool: Set(random.next(3) == 0),
                pool_joined_on: Set(None),
                status: Set(status),
                created_at: Set(created),
                updated_at: Set(created),
                search_text: Set(matching::search_text(
                    first,
                    last,
                    std::slice::from_ref(&email),
                    Some(&phone),
                )),
                name_key: Set(matching::name_key(first, last)),
                phone_key: Set(matching::phone_key(&phone)),
                ..Default::default()
            });
            details.push((email, created));
        }
        // One writer: the chunk's ids follow the highest id before it.
        let before = candidate::Entity::find()
            .order_by_desc(candidate::Column::Id)
            .one(&txn)
            .await
            .unwrap()
            .map_or(0, |c| c.id);
        candidate::Entity::insert_many(people).exec(&txn).await.unwrap();
        let first_id = before + 1;
        let mut emails = Vec::with_capacity(details.len());
        let mut applications = Vec::with_capacity(details.len() * 3);
        for (offset, (email, created)) in details.into_iter().enumerate() {
            let candidate_id = first_id + offset as i64;
            emails.push(candidate_email::ActiveModel {
                candidate_id: Set(candidate_id),
                email_key: Set(email.clone()),
                email: Set(email),
                position: Set(0),
                ..Default::default()
            });
            for _ in 0..3 {
                let applied = created + Days::minutes(random.next(60 * 24 * 30) as i64);
                let applied = applied.min(now);
                let source = SourceMedium::ALL[random.next(SourceMedium::ALL.len() as u64) as usize];
                let roll = random.next(100);
                let (status, interview_at, hired_at) = match roll {
                    0..=4 => (
                        ApplicationStatus::Hired,
                        Some(applied + Days::days(10)),
                        Some(applied + Days::days(30)),
                    ),
                    5..=19 => (ApplicationStatus::Interview, Some(applied + Days::days(10)), None),
                    20..=59 => (ApplicationStatus::Rejected, None, None),
                    _ => (ApplicationStatus::New, None, None),
                };
                let opening = openings[random.next(openings.len() as u64) as usize];
                applications.push(application::ActiveModel {
                    candidate_id: Set(candidate_id),
                    organisation_id: Set(Some(organisation_id)),
                    job_opening_id: Set(Some(opening)),
                    legal_entity_id: Set(Some(entity.id)),
                    source_medium: Set(source),
                    status: Set(status),
                    applied_at: Set(applied),
                    status_changed_at: Set(applied),
                    created_at: Set(applied),
                    interview_at: Set(interview_at),
                    hired_at: Set(hired_at),
                    ..Default::default()
                });
            }
        }
        candidate_email::Entity::insert_many(emails).exec(&txn).await.unwrap();
        for part in applications.chunks(1_000) {
            application::Entity::insert_many(part.to_vec())
                .exec(&txn)
                .await
                .unwrap();
        }
        txn.commit().await.unwrap();
    }
    // As autovacuum would after a bulk load: fresh statistics, and on PostgreSQL a
    // visibility map, without which no index-only scan is possible.
    let maintenance = if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    };
    db.execute_unprepared(maintenance).await.unwrap();
    openings
}
