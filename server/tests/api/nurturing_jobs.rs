//! Nurturing jobs from outside, on a server whose schedule clock the test sets: runs
//! planned ahead by the lead time, blocked in the file or the work centre, dispatched
//! through the outbox to Postfix and read back from Dovecot.

use std::time::Duration as Wait;

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use serde_json::{Value, json};

use crate::dovecot::Dovecot;
use crate::helpers::{Backend, Client, TestApp, id};
use crate::mailbox::{header, text_body, wait_for_mail};
use crate::postfix::Postfix;
use crate::subscriptions::{api_token, connect, wait_for};

const LIMIT: Wait = Wait::from_secs(30);

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |config| {
        config.test_clock = true;
        config.outbox_retry_seconds = 1;
        config.outbox_retry_max_seconds = 2;
        config.mail_workers = false;
    })
    .await
}

pub(crate) async fn set_clock(_app: &TestApp, admin: &Client, at: DateTime<Utc>) {
    admin.set_clock(at).await;
}

/// 08:00 in Berlin on the given date, as an instant.
fn berlin_eight(date: chrono::NaiveDate) -> DateTime<Utc> {
    Berlin
        .from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(8, 0, 0).unwrap()))
        .unwrap()
        .with_timezone(&Utc)
}

/// Postfix delivering into Dovecot, and the main entity sending through it.
pub(crate) async fn mail_route(admin: &Client) -> (Dovecot, Postfix) {
    let dovecot = Dovecot::start();
    let postfix = Postfix::start(&dovecot);
    let account = crate::mail_out::create_outbound(admin, crate::mail_out::postfix_account(&postfix, "jobs")).await;
    let entities = admin.gql("{ legalEntities { id isMain } }", json!({})).await;
    let main = id(&entities.data()["legalEntities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["isMain"] == true)
        .unwrap()["id"]);
    let sender = crate::mail_out::set_sender(
        admin,
        &main,
        json!({"senderAddress": "karriere@example.test", "senderNameMode": "COMPANY", "channel": "ACCOUNT", "outboundAccountId": account["id"]}),
    )
    .await;
    assert!(sender.errors().is_empty(), "{:?}", sender.body);
    (dovecot, postfix)
}

async fn candidate(admin: &Client, input: Value) -> String {
    let created = admin
        .gql(
            "mutation($input: CreateCandidateInput!) { createCandidate(input: $input) { id } }",
            json!({"input": input}),
        )
        .await;
    id(&created.data()["createCandidate"]["id"])
}

async fn query(admin: &Client, name: &str, filter: Value) -> String {
    let created = admin
        .gql("mutation($n: String!, $f: CandidateQueryFilterInput!) { createCandidateQuery(name: $n, filter: $f) { id } }", json!({"n": name, "f": filter}))
        .await;
    id(&created.data()["createCandidateQuery"]["id"])
}

async fn letter(admin: &Client, input: Value) -> String {
    let created = admin
        .gql(
            "mutation($i: FormLetterInput!) { createFormLetter(input: $i) { id } }",
            json!({"i": input}),
        )
        .await;
    id(&created.data()["createFormLetter"]["id"])
}

pub(crate) async fn job(admin: &Client, input: Value) -> Value {
    let created = admin
        .gql(
            "mutation($i: NurturingJobInput!) { createNurturingJob(input: $i) { id name enabled weekdays dispatchTime timeZone leadTimeHours nextDispatchAt } }",
            json!({"i": input}),
        )
        .await;
    assert!(created.errors().is_empty(), "{:?}", created.body);
    created.data()["createNurturingJob"].clone()
}

pub(crate) async fn entries(admin: &Client, job: &str) -> Vec<Value> {
    let listed = admin
        .gql(
            "query($j: ID!) { nurturingJobEntries(jobId: $j, first: 200) { totalCount entries { edges { node { \
             id candidateId candidate { lastName } plannedFor state problem reasons { code value } } } } } }",
            json!({"j": job}),
        )
        .await;
    let data = &listed.data()["nurturingJobEntries"];
    let nodes: Vec<Value> = data["entries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect();
    // The count and the page are two reads; while the scheduler writes they may differ.
    if data["totalCount"] != nodes.len() {
        return Box::pin(entries(admin, job)).await;
    }
    nodes
}

/// Waits on the job's subscription until its entry counts satisfy `done` (the scheduler
/// and the outbox work in the background), then reads the dispatch tab.
pub(crate) async fn entries_when(
    app: &TestApp,
    token: &str,
    admin: &Client,
    job: &str,
    done: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let mut socket = connect(app, None, json!({"authorization": format!("Bearer {token}")})).await;
    let query = format!(
        "subscription {{ nurturingJobChanged(id: \"{job}\") {{ counts {{ planned blocked queued sent documentedNotSent failed }} }} }}"
    );
    wait_for(&mut socket, &query, LIMIT, |data| {
        done(&data["nurturingJobChanged"]["counts"])
    })
    .await;
    entries(admin, job).await
}

fn state_of<'a>(entries: &'a [Value], last_name: &str) -> Option<&'a str> {
    entries
        .iter()
        .find(|entry| entry["candidate"]["lastName"] == last_name)
        .and_then(|entry| entry["state"].as_str())
}

fn states(entries: &[Value]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = entries
        .iter()
        .map(|entry| {
            (
                entry["candidate"]["lastName"].as_str().unwrap_or("?").to_owned(),
                entry["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

async fn writing_jobs(admin: &Client, job: &str) -> Vec<Value> {
    let listed = admin
        .gql(
            "query($j: ID!) { writingJobs(filter: {nurturingJobId: $j}, first: 100) { totalCount jobs { edges { node { id kind title candidate { lastName } nurturingEntryId dueAt } } } } }",
            json!({"j": job}),
        )
        .await;
    listed.data()["writingJobs"]["jobs"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

fn every_day() -> Value {
    json!([
        "MONDAY",
        "TUESDAY",
        "WEDNESDAY",
        "THURSDAY",
        "FRIDAY",
        "SATURDAY",
        "SUNDAY"
    ])
}

async fn birthday_greetings_are_planned_ahead_and_sent_on_the_day(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin().await;
    let token = api_token(&app).await;
    let (dovecot, postfix) = mail_route(&admin).await;
    // The day of the greetings: the day after tomorrow, so the clock never runs behind
    // the real contacts the server records.
    let day = Utc::now().date_naive() + Duration::days(2);
    let birthday = |date: chrono::NaiveDate| {
        date.with_year(1990)
            .unwrap_or_else(|| date.with_day(28).unwrap().with_year(1990).unwrap())
            .to_string()
    };
    candidate(&admin, json!({"firstName": "Anna", "lastName": "Geburtstag", "emails": ["bulk+anna@example.test"], "birthday": birthday(day)})).await;
    candidate(
        &admin,
        json!({"firstName": "Dora", "lastName": "Ohnepost", "birthday": birthday(day)}),
    )
    .await;
    candidate(&admin, json!({"firstName": "Ben", "lastName": "Abgesagt", "emails": ["bulk+ben@example.test"], "birthday": birthday(day), "status": "REJECTED"})).await;
    candidate(&admin, json!({"firstName": "Carla", "lastName": "Spaeter", "emails": ["bulk+carla@example.test"], "birthday": birthday(day + Duration::days(20))})).await;
    let greetings = query(
        &admin,
        "Geburtstage heute",
        json!({"statusNotIn": ["REJECTED", "HIRED"], "birthdayFromDays": 0, "birthdayToDays": 0}),
    )
    .await;
    let card = letter(&admin, json!({"name": "Geburtstagsgruß", "subject": "Alles Gute, {{ candidate.first_name }}!", "bodyText": "Liebe(r) {{ candidate.first_name }},\nherzlichen Glückwunsch!"})).await;

    // The day before at 09:00: the job (08:00, a day's lead) plans the greetings at once.
    set_clock(&app, &admin, berlin_eight(day - Duration::days(1)) + Duration::hours(1)).await;
    let created = job(
        &admin,
        json!({"name": "Geburtstagsgrüße", "candidateQueryId": greetings, "formLetterId": card, "weekdays": every_day(),
               "dispatchTime": "08:00", "timeZone": "Europe/Berlin", "leadTimeHours": 24, "enabled": true}),
    )
    .await;
    assert_eq!(
        created["nextDispatchAt"]
            .as_str()
            .map(|t| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc)),
        Some(berlin_eight(day))
    );
    let job_id = id(&created["id"]);
    let planned = entries_when(&app, &token, &admin, &job_id, |counts| counts["planned"] == 2).await;
    assert_eq!(
        states(&planned),
        [
            ("Geburtstag".to_owned(), "PLANNED".to_owned()),
            ("Ohnepost".to_owned(), "PLANNED".to_owned())
        ]
    );
    let anna = planned
        .iter()
        .find(|e| e["candidate"]["lastName"] == "Geburtstag")
        .unwrap();
    assert_eq!(
        anna["plannedFor"]
            .as_str()
            .map(|t| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc)),
        Some(berlin_eight(day))
    );
    assert!(
        anna["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!({"code": "BIRTHDAY", "value": birthday(day)})),
        "{anna}"
    );
    let dora = planned
        .iter()
        .find(|e| e["candidate"]["lastName"] == "Ohnepost")
        .unwrap();
    assert!(
        dora["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!({"code": "NO_EMAIL", "value": ""})),
        "{dora}"
    );
    // Both wait in the work centre until the dispatch.
    let waiting = writing_jobs(&admin, &job_id).await;
    assert_eq!(waiting.len(), 2, "{waiting:?}");
    assert!(
        waiting
            .iter()
            .all(|w| w["kind"] == "NURTURING" && w["title"] == "Geburtstagsgruß"),
        "{waiting:?}"
    );
    let dashboard = admin
        .gql(
            "{ dashboard(period: WEEK) { openTasks { writingJobsDue } } }",
            json!({}),
        )
        .await;
    assert_eq!(dashboard.data()["dashboard"]["openTasks"]["writingJobsDue"], 2);

    // 08:00 on the day: sent through Postfix into Dovecot; no address: documented.
    set_clock(&app, &admin, berlin_eight(day) + Duration::seconds(30)).await;
    let done = entries_when(&app, &token, &admin, &job_id, |counts| {
        counts["sent"] == 1 && counts["documentedNotSent"] == 1
    })
    .await;
    assert_eq!(
        states(&done),
        [
            ("Geburtstag".to_owned(), "SENT".to_owned()),
            ("Ohnepost".to_owned(), "DOCUMENTED_NOT_SENT".to_owned())
        ]
    );
    let raw = wait_for_mail(
        &dovecot,
        "bulk",
        LIMIT,
        || postfix.log(),
        |raw| raw.contains("Alles Gute, Anna!"),
    )
    .await;
    assert!(
        header(&raw, "To")
            .unwrap_or_default()
            .contains("bulk+anna@example.test"),
        "{raw}"
    );
    assert!(text_body(&raw).contains("herzlichen Glückwunsch"));
    assert!(
        writing_jobs(&admin, &job_id).await.is_empty(),
        "sent entries leave the work centre"
    );
    let history = admin
        .gql(
            "query($id: ID!) { contactHistory(candidateId: $id) { medium subject } }",
            json!({"id": dora["candidateId"]}),
        )
        .await;
    assert_eq!(
        history.data()["contactHistory"],
        json!([{"medium": "FORM_LETTER_LETTER", "subject": "Alles Gute, Dora!"}])
    );
    let listed = admin
        .gql(
            "{ nurturingJobs { name lastDispatchAt counts { sent documentedNotSent planned } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed.data()["nurturingJobs"][0]["counts"],
        json!({"sent": 1, "documentedNotSent": 1, "planned": 0})
    );
}

async fn not_forgotten_mail_skips_recent_contacts_and_catches_up_once_after_downtime(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin().await;
    let token = api_token(&app).await;
    let (dovecot, postfix) = mail_route(&admin).await;
    candidate(
        &admin,
        json!({"firstName": "Eva", "lastName": "Vergessen", "emails": ["bulk+eva@example.test"]}),
    )
    .await;
    let called = candidate(
        &admin,
        json!({"firstName": "Finn", "lastName": "Angerufen", "emails": ["bulk+finn@example.test"]}),
    )
    .await;
    admin
        .gql(
            "mutation($input: ContactEventInput!) { addContactEvent(input: $input) { id } }",
            json!({"input": {"candidateId": called, "medium": "PHONE_OUT", "note": "Kurz gesprochen"}}),
        )
        .await
        .data();
    let stale = query(
        &admin,
        "Ohne Kontakt seit 30 Tagen",
        json!({"statusNotIn": ["REJECTED", "HIRED"], "lastContactMoreThanDays": 30, "hasEmail": true}),
    )
    .await;
    let note = letter(&admin, json!({"name": "Nicht vergessen", "subject": "Wir haben Sie nicht vergessen", "bodyText": "Hallo {{ candidate.first_name }}, es geht weiter."})).await;
    let tomorrow = Utc::now().date_naive() + Duration::days(1);
    set_clock(&app, &admin, berlin_eight(tomorrow) - Duration::hours(2)).await;
    let created = job(
        &admin,
        json!({"name": "Nicht vergessen", "candidateQueryId": stale, "formLetterId": note, "weekdays": every_day(),
               "dispatchTime": "08:00", "timeZone": "Europe/Berlin", "leadTimeHours": 0, "enabled": true}),
    )
    .await;
    let job_id = id(&created["id"]);

    // Without lead time the run is planned and sent at 08:00; the phone call of
    // yesterday keeps Finn out.
    set_clock(&app, &admin, berlin_eight(tomorrow)).await;
    let sent = entries_when(&app, &token, &admin, &job_id, |counts| counts["sent"] == 1).await;
    assert_eq!(states(&sent), [("Vergessen".to_owned(), "SENT".to_owned())]);
    wait_for_mail(
        &dovecot,
        "bulk",
        LIMIT,
        || postfix.log(),
        |raw| raw.contains("Hallo Eva, es geht weiter."),
    )
    .await;

    // The mail counts as contact (the default): Eva is no longer a hit …
    let hits = admin
        .gql(
            "query($id: ID) { runCandidateQuery(id: $id) { totalCount } }",
            json!({"id": stale}),
        )
        .await;
    assert_eq!(hits.data()["runCandidateQuery"]["totalCount"], 0);
    // … unless the organisation says nurturing mail does not count.
    let setting = admin
        .gql(
            "mutation { setNurturingCountsAsContact(counts: false) { nurturingCountsAsContact } }",
            json!({}),
        )
        .await;
    assert_eq!(
        setting.data()["setNurturingCountsAsContact"]["nurturingCountsAsContact"],
        false
    );
    let hits = admin
        .gql(
            "query($id: ID) { runCandidateQuery(id: $id) { totalCount } }",
            json!({"id": stale}),
        )
        .await;
    assert_eq!(hits.data()["runCandidateQuery"]["totalCount"], 1);

    // Three days without a server: one catch-up run, not three.
    set_clock(
        &app,
        &admin,
        berlin_eight(tomorrow + Duration::days(3)) + Duration::hours(1),
    )
    .await;
    let caught_up = entries_when(&app, &token, &admin, &job_id, |counts| counts["sent"] == 2).await;
    assert_eq!(caught_up.len(), 2, "{caught_up:?}");
    let times: Vec<&str> = caught_up.iter().map(|e| e["plannedFor"].as_str().unwrap()).collect();
    assert_eq!(
        times
            .iter()
            .map(|t| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc))
            .collect::<Vec<_>>(),
        [berlin_eight(tomorrow + Duration::days(3)), berlin_eight(tomorrow)],
        "the latest missed time runs, once"
    );
    // Another round at the same time changes nothing.
    set_clock(
        &app,
        &admin,
        berlin_eight(tomorrow + Duration::days(3)) + Duration::hours(2),
    )
    .await;
    let listed = admin
        .gql("{ nurturingJobs { counts { sent queued planned } } }", json!({}))
        .await;
    let counts = &listed.data()["nurturingJobs"][0]["counts"];
    assert_eq!(
        counts["sent"].as_u64().unwrap() + counts["queued"].as_u64().unwrap(),
        2,
        "{counts}"
    );
}

async fn final_rejection_of_long_time_pool_candidates_minimises_and_audits(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin().await;
    let token = api_token(&app).await;
    let (dovecot, postfix) = mail_route(&admin).await;
    let pool = candidate(
        &admin,
        json!({"firstName": "Paul", "lastName": "Pool", "emails": ["bulk+paul@example.test"], "phone": "+49 170 5550101", "birthday": "1980-05-05", "inTalentPool": true}),
    )
    .await;
    let fresh = candidate(
        &admin,
        json!({"firstName": "Nina", "lastName": "Neu", "emails": ["bulk+nina@example.test"]}),
    )
    .await;
    let long_time = query(
        &admin,
        "Länger als 36 Monate im Pool",
        json!({"inTalentPool": true, "poolMoreThanMonths": 36}),
    )
    .await;
    let farewell = letter(
        &admin,
        json!({"name": "Endgültige Absage", "subject": "Ihre Daten bei uns", "bodyText": "Hallo {{ candidate.first_name }}, wir löschen Ihre Daten.", "setsCandidateStatus": "REJECTED"}),
    )
    .await;
    // Thirty-seven months on (the pool date is today's).
    let later = Utc::now()
        .date_naive()
        .checked_add_months(chrono::Months::new(37))
        .unwrap();
    set_clock(&app, &admin, later.and_hms_opt(6, 0, 0).unwrap().and_utc()).await;
    let created = job(
        &admin,
        json!({"name": "Pool aufräumen", "candidateQueryId": long_time, "formLetterId": farewell, "weekdays": every_day(),
               "dispatchTime": "08:00", "timeZone": "UTC", "leadTimeHours": 0, "enabled": true}),
    )
    .await;
    let job_id = id(&created["id"]);
    set_clock(&app, &admin, later.and_hms_opt(8, 0, 0).unwrap().and_utc()).await;
    let done = entries_when(&app, &token, &admin, &job_id, |counts| counts["sent"] == 1).await;
    assert_eq!(done.len(), 1, "only the long-time pool candidate: {done:?}");
    assert!(
        done[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "IN_POOL_SINCE"),
        "{:?}",
        done[0]
    );
    wait_for_mail(
        &dovecot,
        "bulk",
        LIMIT,
        || postfix.log(),
        |raw| raw.contains("wir l") && raw.contains("Paul"),
    )
    .await;
    let reduced = admin
        .gql(
            "query($id: ID!) { candidate(id: $id) { firstName status inTalentPool emails phone birthday } }",
            json!({"id": pool}),
        )
        .await;
    assert_eq!(
        reduced.data()["candidate"],
        json!({"firstName": "Paul", "status": "REJECTED", "inTalentPool": false, "emails": [], "phone": null, "birthday": null})
    );
    let untouched = admin
        .gql(
            "query($id: ID!) { candidate(id: $id) { status emails } }",
            json!({"id": fresh}),
        )
        .await;
    assert_ne!(untouched.data()["candidate"]["status"], "REJECTED");
    let audit = admin
        .gql(
            "{ auditLog(first: 50) { edges { node { action subjectId } } } }",
            json!({}),
        )
        .await;
    assert!(
        audit.data()["auditLog"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["action"] == "candidate.rejected_by_form_letter"),
        "{:?}",
        audit.body
    );
}

async fn a_duplicate_set_gets_one_mail_and_blocking_mirrors_the_work_centre(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin().await;
    let token = api_token(&app).await;
    let (dovecot, postfix) = mail_route(&admin).await;
    let older = candidate(&admin, json!({"firstName": "Max", "lastName": "Alt", "emails": ["bulk+maxalt@example.test"], "phone": "+49 170 1234567", "inTalentPool": true})).await;
    let newer = candidate(&admin, json!({"firstName": "Max", "lastName": "Neu", "emails": ["bulk+maxneu@example.test"], "phone": "0170 1234567", "inTalentPool": true})).await;
    for (candidate_id, days_ago) in [(&older, 20), (&newer, 2)] {
        admin
            .gql(
                "mutation($input: ContactEventInput!) { addContactEvent(input: $input) { id } }",
                json!({"input": {"candidateId": candidate_id, "medium": "LETTER_OUT", "note": "Brief", "occurredAt": (Utc::now() - Duration::days(days_ago)).to_rfc3339()}}),
            )
            .await
            .data();
    }
    candidate(&admin, json!({"firstName": "Xaver", "lastName": "Gesperrt", "emails": ["bulk+xaver@example.test"], "inTalentPool": true})).await;
    candidate(&admin, json!({"firstName": "Yvonne", "lastName": "Geloescht", "emails": ["bulk+yvonne@example.test"], "inTalentPool": true})).await;
    let pool = query(&admin, "Pool", json!({"inTalentPool": true})).await;
    let news = letter(&admin, json!({"name": "Neuigkeiten", "subject": "Neues aus dem Pool für {{ candidate.last_name }}", "bodyText": "Hallo {{ candidate.first_name }}"})).await;
    let day = Utc::now().date_naive() + Duration::days(2);
    // Twenty hours ahead of a daily dispatch: only the next run is planned.
    set_clock(&app, &admin, berlin_eight(day) - Duration::hours(19)).await;
    let job_id = id(&job(
        &admin,
        json!({"name": "Pool-News", "candidateQueryId": pool, "formLetterId": news, "weekdays": every_day(),
               "dispatchTime": "08:00", "timeZone": "Europe/Berlin", "leadTimeHours": 20, "enabled": true}),
    )
    .await["id"]);
    let planned = entries_when(&app, &token, &admin, &job_id, |counts| counts["planned"] == 3).await;
    assert_eq!(
        state_of(&planned, "Alt"),
        None,
        "one entry per duplicate set: {planned:?}"
    );
    let chosen = planned
        .iter()
        .find(|e| e["candidate"]["lastName"] == "Neu")
        .expect("the member written to last");
    assert!(
        chosen["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!({"code": "DUPLICATE_SET", "value": "2"})),
        "{chosen}"
    );

    // Blocking in the job's file removes the writing job …
    let xaver = planned
        .iter()
        .find(|e| e["candidate"]["lastName"] == "Gesperrt")
        .unwrap();
    let blocked = admin
        .gql(
            "mutation($ids: [ID!]!) { blockNurturingEntries(ids: $ids) { state problem } }",
            json!({"ids": [xaver["id"]]}),
        )
        .await;
    assert_eq!(blocked.data()["blockNurturingEntries"][0]["state"], "BLOCKED");
    let waiting = writing_jobs(&admin, &job_id).await;
    let names: Vec<&str> = waiting
        .iter()
        .map(|w| w["candidate"]["lastName"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(!names.contains(&"Gesperrt"), "{names:?}");
    // … and deleting the writing job blocks the entry.
    let yvonne = waiting
        .iter()
        .find(|w| w["candidate"]["lastName"] == "Geloescht")
        .unwrap();
    let deleted = admin
        .gql(
            "mutation($ids: [ID!]!) { deleteWritingJobs(ids: $ids) }",
            json!({"ids": [yvonne["id"]]}),
        )
        .await;
    assert_eq!(deleted.data()["deleteWritingJobs"], 1);
    let after = entries(&admin, &job_id).await;
    assert_eq!(state_of(&after, "Geloescht"), Some("BLOCKED"));
    assert_eq!(writing_jobs(&admin, &job_id).await.len(), 1);

    set_clock(&app, &admin, berlin_eight(day)).await;
    let done = entries_when(&app, &token, &admin, &job_id, |counts| counts["sent"] == 1).await;
    assert_eq!(
        states(&done),
        [
            ("Geloescht".to_owned(), "BLOCKED".to_owned()),
            ("Gesperrt".to_owned(), "BLOCKED".to_owned()),
            ("Neu".to_owned(), "SENT".to_owned())
        ]
    );
    let raw = wait_for_mail(
        &dovecot,
        "bulk",
        LIMIT,
        || postfix.log(),
        |raw| raw.contains("Neues aus dem Pool"),
    )
    .await;
    assert!(
        header(&raw, "To")
            .unwrap_or_default()
            .contains("bulk+maxneu@example.test"),
        "{raw}"
    );
    let outbox = admin
        .gql(
            "{ outboxMessages(first: 50) { edges { node { toAddress subject } } } }",
            json!({}),
        )
        .await;
    let letters: Vec<&Value> = outbox.data()["outboxMessages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["node"]["subject"]
                .as_str()
                .unwrap_or("")
                .starts_with("Neues aus dem Pool")
        })
        .collect();
    assert_eq!(
        letters.len(),
        1,
        "exactly one mail for the set and none for blocked entries: {letters:?}"
    );
    // A written entry cannot be blocked any more.
    let sent_entry = done.iter().find(|e| e["candidate"]["lastName"] == "Neu").unwrap();
    let refused = admin
        .gql(
            "mutation($ids: [ID!]!) { blockNurturingEntries(ids: $ids) { state } }",
            json!({"ids": [sent_entry["id"]]}),
        )
        .await;
    assert_eq!(refused.code(), "CONFLICT");
}

async fn jobs_are_edited_copied_exported_and_deleted_and_name_bad_input(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin().await;
    let pool = query(&admin, "Pool", json!({"inTalentPool": true})).await;
    let news = letter(
        &admin,
        json!({"name": "Neuigkeiten", "subject": "Hallo", "bodyText": "Hallo {{ candidate.first_name }}"}),
    )
    .await;
    let base = json!({"name": "Wochenpost", "candidateQueryId": pool, "formLetterId": news, "weekdays": ["MONDAY"], "dispatchTime": "09:30", "timeZone": "Europe/Berlin"});
    let refused = |patch: Value| {
        let mut input = base.clone();
        input
            .as_object_mut()
            .unwrap()
            .extend(patch.as_object().unwrap().clone());
        let admin = &admin;
        async move {
            let response = admin
                .gql(
                    "mutation($i: NurturingJobInput!) { createNurturingJob(input: $i) { id } }",
                    json!({"i": input}),
                )
                .await;
            (response.code(), response.field().unwrap_or_default())
        }
    };
    assert_eq!(
        refused(json!({"weekdays": []})).await,
        ("INVALID_INPUT".to_owned(), "weekdays".to_owned())
    );
    assert_eq!(
        refused(json!({"dispatchTime": "9 Uhr"})).await,
        ("INVALID_INPUT".to_owned(), "dispatchTime".to_owned())
    );
    assert_eq!(
        refused(json!({"timeZone": "Europe/Atlantis"})).await,
        ("INVALID_INPUT".to_owned(), "timeZone".to_owned())
    );
    assert_eq!(
        refused(json!({"leadTimeHours": 10000})).await,
        ("INVALID_INPUT".to_owned(), "leadTimeHours".to_owned())
    );
    assert_eq!(
        refused(json!({"candidateQueryId": "999"})).await,
        ("INVALID_INPUT".to_owned(), "candidateQueryId".to_owned())
    );

    let created = job(&admin, base.clone()).await;
    assert_eq!(
        (created["enabled"].clone(), created["leadTimeHours"].clone()),
        (json!(false), json!(24)),
        "new jobs are off with a day's lead"
    );
    let job_id = id(&created["id"]);
    let updated = admin
        .gql(
            "mutation($id: ID!) { updateNurturingJob(id: $id, input: {weekdays: [MONDAY, THURSDAY], dispatchTime: \"07:15\", enabled: true}) { weekdays dispatchTime enabled } }",
            json!({"id": job_id}),
        )
        .await;
    assert_eq!(
        updated.data()["updateNurturingJob"],
        json!({"weekdays": ["MONDAY", "THURSDAY"], "dispatchTime": "07:15", "enabled": true})
    );
    let copied = admin
        .gql(
            "mutation($id: ID!) { copyNurturingJob(id: $id) { id name enabled dispatchTime } }",
            json!({"id": job_id}),
        )
        .await;
    assert_eq!(copied.data()["copyNurturingJob"]["name"], "Wochenpost (copy)");
    assert_eq!(copied.data()["copyNurturingJob"]["enabled"], false);
    // What a job uses cannot be deleted under it.
    let in_use = admin
        .gql("mutation($id: ID!) { deleteFormLetter(id: $id) }", json!({"id": news}))
        .await;
    assert_eq!(in_use.code(), "CONFLICT");
    assert!(
        in_use.errors()[0]["message"].as_str().unwrap().contains("Wochenpost"),
        "{:?}",
        in_use.body
    );

    let export = admin
        .gql(
            "mutation { exportNurturingJobs(language: \"de\") { fileName contentType contentBase64 } }",
            json!({}),
        )
        .await;
    let file = &export.data()["exportNurturingJobs"];
    assert!(file["fileName"].as_str().unwrap().ends_with(".xlsx"));
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(file["contentBase64"].as_str().unwrap())
        .unwrap();
    assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
    let mut archive = zip_entry(&bytes, "xl/sharedStrings.xml");
    assert!(
        archive.contains("Wochenpost (copy)") && archive.contains("Serienbrief"),
        "{archive}"
    );
    archive.clear();

    for id in [&job_id, &id(&copied.data()["copyNurturingJob"]["id"])] {
        let deleted = admin
            .gql("mutation($id: ID!) { deleteNurturingJob(id: $id) }", json!({"id": id}))
            .await;
        assert_eq!(deleted.data()["deleteNurturingJob"], true);
    }
    let listed = admin.gql("{ nurturingJobs { id } }", json!({})).await;
    assert_eq!(listed.data()["nurturingJobs"], json!([]));
    let freed = admin
        .gql("mutation($id: ID!) { deleteFormLetter(id: $id) }", json!({"id": news}))
        .await;
    assert_eq!(freed.data()["deleteFormLetter"], true);
}

/// The text of one file of a zip archive (stored or deflated), read with the
/// command-line `unzip` the test machines have.
fn zip_entry(bytes: &[u8], name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let output = std::process::Command::new("unzip")
        .arg("-p")
        .arg(&path)
        .arg(name)
        .output()
        .expect("unzip runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Two server processes on one PostgreSQL, both woken at the dispatch time: every
/// entry is written once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_postgres_send_each_entry_once() {
    let first = spawn(Backend::Postgres).await;
    let database_url = first.database_url.clone();
    let second = TestApp::spawn_with(Backend::Postgres, move |config| {
        config.database_url = Some(database_url);
        config.test_clock = true;
        config.mail_workers = false;
    })
    .await;
    let admin = first.admin().await;
    let other_admin = second.admin().await;
    let token = api_token(&first).await;
    let (dovecot, postfix) = mail_route(&admin).await;
    for n in 0..20 {
        candidate(&admin, json!({"firstName": format!("P{n}"), "lastName": format!("Person{n:02}"), "emails": [format!("bulk+p{n}@example.test")], "inTalentPool": true})).await;
    }
    let pool = query(&admin, "Pool", json!({"inTalentPool": true})).await;
    let news = letter(
        &admin,
        json!({"name": "Rundbrief", "subject": "Rundbrief an {{ candidate.last_name }}", "bodyText": "Hallo"}),
    )
    .await;
    let day = Utc::now().date_naive() + Duration::days(1);
    let before = berlin_eight(day) - Duration::hours(1);
    set_clock(&first, &admin, before).await;
    set_clock(&second, &other_admin, before).await;
    let job_id = id(&job(
        &admin,
        json!({"name": "Rundbrief", "candidateQueryId": pool, "formLetterId": news, "weekdays": every_day(),
               "dispatchTime": "08:00", "timeZone": "Europe/Berlin", "leadTimeHours": 0, "enabled": true}),
    )
    .await["id"]);
    let at = berlin_eight(day);
    tokio::join!(set_clock(&first, &admin, at), set_clock(&second, &other_admin, at));
    let done = entries_when(&first, &token, &admin, &job_id, |counts| counts["sent"] == 20).await;
    assert_eq!(done.len(), 20);
    let outbox = admin
        .gql(
            "{ outboxMessages(first: 100) { edges { node { toAddress subject status } } } }",
            json!({}),
        )
        .await;
    let mut recipients: Vec<String> = outbox.data()["outboxMessages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["subject"].as_str().unwrap_or("").starts_with("Rundbrief"))
        .map(|e| e["node"]["toAddress"].as_str().unwrap().to_owned())
        .collect();
    recipients.sort();
    let before_dedup = recipients.len();
    recipients.dedup();
    assert_eq!((before_dedup, recipients.len()), (20, 20), "one mail per entry");
    // Every mail was accepted and nothing else is queued: Dovecot holds exactly 20.
    for n in 0..20 {
        let subject = format!("Rundbrief an Person{n:02}");
        wait_for_mail(&dovecot, "bulk", LIMIT, || postfix.log(), |raw| raw.contains(&subject)).await;
    }
    assert_eq!(dovecot.counts("bulk", "INBOX").0, 20);
}

crate::on_both_databases!(
    birthday_greetings_are_planned_ahead_and_sent_on_the_day,
    not_forgotten_mail_skips_recent_contacts_and_catches_up_once_after_downtime,
    final_rejection_of_long_time_pool_candidates_minimises_and_audits,
    a_duplicate_set_gets_one_mail_and_blocking_mirrors_the_work_centre,
    jobs_are_edited_copied_exported_and_deleted_and_name_bad_input,
);
