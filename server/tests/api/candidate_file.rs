//! From inbox to candidate, as clients see it: take-over of mail fetched from a real
//! Dovecot, suggestions, duplicate sets and merges, the candidate list's filters, and
//! the dashboard's figures on a seeded data set.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use crate::dovecot::{APPLICATIONS_FOLDER, Dovecot};
use crate::fixtures::submit;
use crate::helpers::{Backend, Client, TestApp, id};
use crate::mail_in::{account_input, create_account, wait_for_email_count};
use crate::mail_out::create_candidate;
use crate::subscriptions::api_token;

const ASSIGNMENT: &str = "item { id state candidate { id } } candidate { id firstName lastName phone emails } \
                          application { id sourceMedium status jobOpening { id } } createdCandidate";

/// A job opening of the main legal entity.
pub(crate) async fn create_opening(admin: &Client, title: &str, status: &str) -> String {
    let entities = admin.gql("{ legalEntities { id isMain } }", json!({})).await;
    let main = entities.data()["legalEntities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["isMain"] == true)
        .unwrap()["id"]
        .clone();
    let created = admin
        .gql(
            "mutation($e: ID!, $t: String!, $s: JobOpeningStatus) { createJobOpening(input: {legalEntityId: $e, title: $t, status: $s}) { id } }",
            json!({"e": main, "t": title, "s": status}),
        )
        .await;
    id(&created.data()["createJobOpening"]["id"])
}

async fn unassigned(client: &Client, medium: &str) -> Vec<Value> {
    let listed = client
        .gql(
            &format!("{{ inboxItems(medium: {medium}, first: 50) {{ edges {{ node {{ id subject senderEmail senderPhone documents {{ id }} }} }} }} }}"),
            json!({}),
        )
        .await;
    listed.data()["inboxItems"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn candidate_file(client: &Client, candidate: &str) -> Value {
    let file = client
        .gql(
            "query($id: ID!) { candidate(id: $id) { id firstName lastName phone emails \
             applications { id status sourceMedium jobOpening { id } } \
             documents { id fileName contentType sizeBytes downloadUrl } \
             duplicateSets { id reason status members { id } } } \
             contactHistory(candidateId: $id) { medium subject note } }",
            json!({"id": candidate}),
        )
        .await;
    file.data().clone()
}

fn mail_with_cv(from: &str, message_id: &str) -> Vec<u8> {
    format!(
        "From: Lena Vogt <{from}>\r\nTo: jobs@firma.example\r\nSubject: Bewerbung als Fachinformatikerin\r\n\
         Message-ID: <{message_id}>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=XX\r\n\r\n\
         --XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSehr geehrte Damen und Herren,\r\nanbei meine Unterlagen.\r\n\
         Viele Grüße\r\nLena Vogt\r\nTel.: +49 171 5550123\r\n\
         --XX\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"Lebenslauf.pdf\"\r\n\r\nJVBERi0xLjQK\r\n--XX--\r\n"
    )
    .into_bytes()
}

async fn taking_over_a_mail_from_dovecot_makes_a_candidate_and_the_next_mail_is_suggested(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dovecot = Dovecot::start();
    let admin = app.admin().await;
    let token = api_token(&app).await;
    let opening_id = create_opening(&admin, "Fachinformatikerin", "OPEN").await;

    dovecot.deliver(
        "jobs",
        Some(APPLICATIONS_FOLDER),
        &mail_with_cv("lena.vogt@example.org", "lena-1@example.org"),
    );
    create_account(&admin, account_input(&dovecot, "jobs", APPLICATIONS_FOLDER)).await;
    wait_for_email_count(&app, &token, 1, Duration::from_secs(20)).await;
    let items = unassigned(&admin, "EMAIL").await;
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(
        item["senderPhone"], "+49 171 5550123",
        "the phone stated in the mail is read"
    );

    let taken = admin
        .gql(
            &format!("mutation($id: ID!, $input: TakeOverInput) {{ takeOverInboxItem(id: $id, input: $input) {{ {ASSIGNMENT} }} }}"),
            json!({"id": item["id"], "input": {"jobOpeningId": opening_id}}),
        )
        .await;
    let taken = &taken.data()["takeOverInboxItem"];
    assert_eq!(taken["createdCandidate"], true);
    assert_eq!(taken["candidate"]["firstName"], "Lena");
    assert_eq!(taken["candidate"]["lastName"], "Vogt");
    assert_eq!(taken["candidate"]["emails"], json!(["lena.vogt@example.org"]));
    assert_eq!(taken["candidate"]["phone"], "+49 171 5550123");
    assert_eq!(taken["application"]["sourceMedium"], "EMAIL");
    assert_eq!(taken["application"]["jobOpening"]["id"], json!(opening_id));
    assert_eq!(taken["item"]["state"], "ASSIGNED");
    let candidate = id(&taken["candidate"]["id"]);
    assert!(
        unassigned(&admin, "EMAIL").await.is_empty(),
        "the item left the unassigned view"
    );

    let file = candidate_file(&admin, &candidate).await;
    let documents = file["candidate"]["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 1, "{file}");
    assert_eq!(documents[0]["fileName"], "Lebenslauf.pdf");
    let download = admin.get(documents[0]["downloadUrl"].as_str().unwrap()).await;
    assert_eq!(download.status(), 200);
    assert_eq!(
        download.bytes().await.unwrap().as_ref(),
        b"%PDF-1.4\n",
        "the document is kept as stored"
    );
    let history = file["contactHistory"].as_array().unwrap();
    assert_eq!(history.len(), 1, "{file}");
    assert_eq!(history[0]["medium"], "MAIL_IN");
    assert_eq!(history[0]["subject"], "Bewerbung als Fachinformatikerin");

    // Taking it over again is refused, naming why.
    let again = admin
        .gql(
            &format!("mutation($id: ID!) {{ takeOverInboxItem(id: $id) {{ {ASSIGNMENT} }} }}"),
            json!({"id": item["id"]}),
        )
        .await;
    assert_eq!(again.code(), "CONFLICT", "{:?}", again.body);

    // A second mail from the same address: suggested to Lena first, then assigned.
    let similar = create_candidate(&admin, "Lena", "Voigt", "l.voigt@example.net").await;
    dovecot.deliver(
        "jobs",
        Some(APPLICATIONS_FOLDER),
        &mail_with_cv("LENA.VOGT@example.org", "lena-2@example.org"),
    );
    wait_for_email_count(&app, &token, 1, Duration::from_secs(20)).await;
    let second = unassigned(&admin, "EMAIL").await[0]["id"].clone();
    let suggestions = admin
        .gql(
            "query($id: ID!) { candidateSuggestions(inboxItemId: $id) { candidate { id } reasons nameSimilarity } }",
            json!({"id": second}),
        )
        .await;
    let suggestions = suggestions.data()["candidateSuggestions"].as_array().unwrap().clone();
    assert_eq!(suggestions[0]["candidate"]["id"], json!(candidate), "{suggestions:?}");
    assert_eq!(suggestions[0]["reasons"], json!(["EMAIL", "NAME", "PHONE"]));
    assert_eq!(
        suggestions[1]["candidate"]["id"],
        json!(similar),
        "a similar name ranks after the address: {suggestions:?}"
    );
    assert_eq!(suggestions[1]["reasons"], json!(["NAME"]));

    let assigned = admin
        .gql(
            &format!("mutation($id: ID!, $candidate: ID!, $application: ID) {{ assignInboxItem(id: $id, candidateId: $candidate, applicationId: $application) {{ {ASSIGNMENT} }} }}"),
            json!({"id": second, "candidate": candidate, "application": taken["application"]["id"]}),
        )
        .await;
    assert_eq!(assigned.data()["assignInboxItem"]["createdCandidate"], false);
    let file = candidate_file(&admin, &candidate).await;
    assert_eq!(file["contactHistory"].as_array().unwrap().len(), 2);
    assert_eq!(file["candidate"]["documents"].as_array().unwrap().len(), 2);
    assert_eq!(
        file["candidate"]["applications"].as_array().unwrap().len(),
        1,
        "joined the existing application"
    );
}

async fn bulk_take_over_gives_one_sender_one_candidate_and_is_all_or_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let first = submit(
        &admin,
        "Paula",
        json!({"email": "paula@example.org", "lastName": "Berg"}),
    )
    .await;
    let second = submit(
        &admin,
        "Paula",
        json!({"email": "Paula@Example.org", "lastName": "Berg"}),
    )
    .await;
    let other = submit(
        &admin,
        "Karl",
        json!({"email": "karl@example.org", "lastName": "Klein"}),
    )
    .await;

    let missing = admin
        .gql(
            &format!("mutation($ids: [ID!]!) {{ takeOverInboxItems(ids: $ids) {{ {ASSIGNMENT} }} }}"),
            json!({"ids": [first["id"], "999999"]}),
        )
        .await;
    assert_eq!(missing.code(), "NOT_FOUND");
    assert_eq!(
        unassigned(&admin, "ONLINE_FORM").await.len(),
        3,
        "nothing was taken over"
    );

    let taken = admin
        .gql(
            &format!("mutation($ids: [ID!]!) {{ takeOverInboxItems(ids: $ids) {{ {ASSIGNMENT} }} }}"),
            json!({"ids": [first["id"], second["id"], other["id"]]}),
        )
        .await;
    let taken = taken.data()["takeOverInboxItems"].as_array().unwrap().clone();
    assert_eq!(taken.len(), 3);
    assert_eq!(
        taken[0]["candidate"]["id"], taken[1]["candidate"]["id"],
        "one sender, one candidate"
    );
    assert_eq!(taken[1]["createdCandidate"], false);
    assert_ne!(taken[0]["candidate"]["id"], taken[2]["candidate"]["id"]);
    assert_eq!(taken[2]["application"]["sourceMedium"], "ONLINE_FORM");
    assert!(unassigned(&admin, "ONLINE_FORM").await.is_empty());
}

async fn counts_of(client: &Client, candidate: &str) -> (usize, usize, usize, usize) {
    let file = candidate_file(client, candidate).await;
    let c = &file["candidate"];
    let len = |v: &Value| v.as_array().map_or(0, Vec::len);
    (
        len(&c["applications"]),
        len(&c["documents"]),
        len(&file["contactHistory"]),
        len(&c["emails"]),
    )
}

async fn duplicate_sets_are_found_and_merging_keeps_every_record(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let create = |input: Value| {
        let admin = &admin;
        async move {
            let created = admin
                .gql(
                    "mutation($input: CreateCandidateInput!) { createCandidate(input: $input) { id } }",
                    json!({"input": input}),
                )
                .await;
            id(&created.data()["createCandidate"]["id"])
        }
    };
    let anna = create(json!({"firstName": "Anna", "lastName": "Schmidt", "emails": ["anna@example.org"], "phone": "+49 170 1234567", "birthday": "1992-03-14"})).await;
    let same_mail = create(
        json!({"firstName": "A.", "lastName": "Schmidt", "emails": ["ANNA@example.org", "a.schmidt@example.net"]}),
    )
    .await;
    let same_phone = create(json!({"firstName": "Anne", "lastName": "Schmitt", "phone": "0170 / 123 45 67"})).await;
    let same_name = create(json!({"firstName": "anna", "lastName": "SCHMIDT", "birthday": "1992-03-14"})).await;
    let unrelated = create(
        json!({"firstName": "Bernd", "lastName": "Brot", "emails": ["bernd@example.org"], "birthday": "1992-03-14"}),
    )
    .await;

    let sets = admin
        .gql(
            "{ duplicateSets { edges { node { id reason status members { id } } } } }",
            json!({}),
        )
        .await;
    let sets: Vec<Value> = sets.data()["duplicateSets"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let reasons: Vec<&str> = sets.iter().map(|s| s["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["EMAIL", "NAME_AND_BIRTHDAY", "PHONE"], "{sets:?}");
    let members = |reason: &str| -> Vec<String> {
        let set = sets.iter().find(|s| s["reason"] == reason).unwrap();
        let mut ids: Vec<String> = set["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| id(&m["id"]))
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut ids: Vec<String>| {
        ids.sort();
        ids
    };
    assert_eq!(members("EMAIL"), sorted(vec![anna.clone(), same_mail.clone()]));
    assert_eq!(members("PHONE"), sorted(vec![anna.clone(), same_phone.clone()]));
    assert_eq!(
        members("NAME_AND_BIRTHDAY"),
        sorted(vec![anna.clone(), same_name.clone()])
    );
    let on_unrelated = candidate_file(&admin, &unrelated).await;
    assert_eq!(on_unrelated["candidate"]["duplicateSets"], json!([]));
    assert_eq!(
        candidate_file(&admin, &anna).await["candidate"]["duplicateSets"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Dismissing the phone set hides it; confirming the name set keeps it on the candidate.
    let phone_set = sets.iter().find(|s| s["reason"] == "PHONE").unwrap()["id"].clone();
    let dismissed = admin
        .gql(
            "mutation($id: ID!) { dismissDuplicate(setId: $id) { status } }",
            json!({"id": phone_set}),
        )
        .await;
    assert_eq!(dismissed.data()["dismissDuplicate"]["status"], "DISMISSED");
    let name_set = sets.iter().find(|s| s["reason"] == "NAME_AND_BIRTHDAY").unwrap()["id"].clone();
    admin
        .gql(
            "mutation($id: ID!) { confirmDuplicate(setId: $id) { status } }",
            json!({"id": name_set}),
        )
        .await
        .data();
    let open = admin
        .gql("{ duplicateSets { edges { node { reason } } } }", json!({}))
        .await;
    assert_eq!(
        open.data()["duplicateSets"]["edges"],
        json!([{"node": {"reason": "EMAIL"}}])
    );
    let gone = admin
        .gql(
            "{ duplicateSets(filter: {status: DISMISSED}) { edges { node { reason } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        gone.data()["duplicateSets"]["edges"],
        json!([{"node": {"reason": "PHONE"}}])
    );

    // Give the duplicate records of every kind, then merge it into Anna.
    admin
        .gql(
            "mutation($c: ID!) { createApplication(candidateId: $c, sourceMedium: JOB_AGENCY) { id } }",
            json!({"c": same_mail}),
        )
        .await
        .data();
    admin
        .gql(
            "mutation($c: ID!) { createApplication(candidateId: $c) { id } }",
            json!({"c": anna}),
        )
        .await
        .data();
    admin
        .gql(
            "mutation($input: ContactEventInput!) { addContactEvent(input: $input) { id } }",
            json!({"input": {"candidateId": same_mail, "medium": "PHONE_IN", "note": "Rückruf"}}),
        )
        .await
        .data();
    let item = admin
        .gql_multipart(
            "mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }",
            json!({"input": {"firstName": "A.", "lastName": "Schmidt", "email": "a.schmidt@example.net", "attachments": [null]}}),
            vec![("input.attachments.0", "Zeugnis.pdf", "application/pdf", b"%PDF-zeugnis".to_vec())],
        )
        .await;
    let item_id = item.data()["submitApplication"]["id"].clone();
    admin
        .gql(
            &format!("mutation($id: ID!) {{ takeOverInboxItem(id: $id) {{ {ASSIGNMENT} }} }}"),
            json!({"id": item_id}),
        )
        .await
        .data();

    let (a_apps, a_docs, a_events, _) = counts_of(&admin, &anna).await;
    let (m_apps, m_docs, m_events, _) = counts_of(&admin, &same_mail).await;
    assert_eq!(
        (m_apps, m_docs, m_events),
        (2, 1, 2),
        "the duplicate has an application, a document and contacts of its own"
    );

    let merged = admin
        .gql(
            "mutation($target: ID!, $sources: [ID!]!) { mergeCandidates(targetId: $target, sourceIds: $sources) { \
             candidate { id phone emails } movedApplications movedDocuments movedContactEvents movedEmails } }",
            json!({"target": anna, "sources": [same_mail]}),
        )
        .await;
    let merged = &merged.data()["mergeCandidates"];
    assert_eq!(merged["movedApplications"], m_apps);
    assert_eq!(merged["movedDocuments"], m_docs);
    assert_eq!(merged["movedContactEvents"], m_events);
    assert_eq!(
        merged["candidate"]["emails"],
        json!(["anna@example.org", "a.schmidt@example.net"]),
        "addresses are united once"
    );
    assert_eq!(
        counts_of(&admin, &anna).await,
        (a_apps + m_apps, a_docs + m_docs, a_events + m_events, 2)
    );
    let source = admin
        .gql(
            "query($id: ID!) { candidate(id: $id) { id } }",
            json!({"id": same_mail}),
        )
        .await;
    assert_eq!(source.code(), "NOT_FOUND", "the merged candidate is gone");
    let open = admin
        .gql("{ duplicateSets { edges { node { reason } } } }", json!({}))
        .await;
    assert_eq!(
        open.data()["duplicateSets"]["edges"],
        json!([]),
        "the e-mail set dissolved with the merge"
    );

    let into_itself = admin
        .gql(
            "mutation($id: ID!) { mergeCandidates(targetId: $id, sourceIds: [$id]) { movedApplications } }",
            json!({"id": anna}),
        )
        .await;
    assert_eq!(
        (into_itself.code(), into_itself.field()),
        ("INVALID_INPUT".to_owned(), Some("sourceIds".to_owned()))
    );
}

async fn the_candidate_list_filters_by_text_status_opening_and_source(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let opening_id = create_opening(&admin, "Lager", "OPEN").await;
    let jana = create_candidate(&admin, "Jana", "Müller", "jana.mueller@example.org").await;
    let otto = create_candidate(&admin, "Otto", "Schulz", "otto@example.org").await;
    let _ = create_candidate(&admin, "Maria", "Lange", "maria@example.net").await;
    admin
        .gql(
            "mutation($id: ID!) { updateCandidate(id: $id, input: {phone: \"+49 30 1234567\", status: HIRED}) { id } }",
            json!({"id": otto}),
        )
        .await
        .data();
    admin
        .gql("mutation($c: ID!, $o: ID!) { createApplication(candidateId: $c, jobOpeningId: $o, sourceMedium: SMS) { id } }", json!({"c": jana, "o": opening_id}))
        .await
        .data();

    let names = |filter: String| {
        let admin = &admin;
        async move {
            let listed = admin
                .gql(
                    &format!("{{ candidates({filter}) {{ edges {{ node {{ firstName }} }} }} }}"),
                    json!({}),
                )
                .await;
            let mut names: Vec<String> = listed.data()["candidates"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["firstName"].as_str().unwrap().to_owned())
                .collect();
            names.sort();
            names
        }
    };
    assert_eq!(
        names("search: \"MÜLL\"".to_owned()).await,
        ["Jana"],
        "case-insensitive, umlauts too"
    );
    assert_eq!(names("search: \"example.org\"".to_owned()).await, ["Jana", "Otto"]);
    assert_eq!(names("search: \"1234567\"".to_owned()).await, ["Otto"], "phone digits");
    assert_eq!(
        names("search: \"0%\"".to_owned()).await,
        Vec::<String>::new(),
        "a % is a character, not a wildcard"
    );
    assert_eq!(names("search: \"_\"".to_owned()).await, Vec::<String>::new());
    assert_eq!(names("status: HIRED".to_owned()).await, ["Otto"]);
    assert_eq!(names(format!("jobOpeningId: \"{opening_id}\"")).await, ["Jana"]);
    assert_eq!(names("source: SMS".to_owned()).await, ["Jana"]);
    assert_eq!(names("source: EMAIL".to_owned()).await, Vec::<String>::new());
}

async fn dashboard_figures_match_a_seeded_data_set(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.test_clock = true).await;
    let admin = app.admin().await;
    // A fixed day, so the figures do not depend on the day the test runs; not the 1st,
    // where a rolling year once happened to line up with the calendar months.
    let today = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
    admin.set_clock(today).await;
    let opening_id = create_opening(&admin, "Vertrieb", "OPEN").await;
    create_opening(&admin, "Alt", "CLOSED").await;

    // Source: applications, of which interviewed, of which hired.
    let seed = [
        ("EMAIL", 4, 2, 1),
        ("ONLINE_FORM", 3, 1, 0),
        ("JOB_AGENCY", 2, 2, 2),
        ("MANUAL", 1, 0, 0),
    ];
    let mut candidates = 0;
    for (source, applications, interviews, hires) in seed {
        for n in 0..applications {
            candidates += 1;
            let person = create_candidate(
                &admin,
                "Seed",
                &format!("{source}{n}"),
                &format!("seed{candidates}@example.org"),
            )
            .await;
            let created = admin
                .gql(
                    "mutation($c: ID!, $o: ID!, $s: SourceMedium!) { createApplication(candidateId: $c, jobOpeningId: $o, sourceMedium: $s) { id } }",
                    json!({"c": person, "o": opening_id, "s": source}),
                )
                .await;
            let application = id(&created.data()["createApplication"]["id"]);
            let mut steps = Vec::new();
            if n < interviews {
                steps.push("INTERVIEW");
            }
            if n < hires {
                steps.push("HIRED");
            }
            for status in steps {
                admin
                    .gql("mutation($id: ID!, $s: ApplicationStatus!) { setApplicationStatus(id: $id, status: $s) { status } }", json!({"id": application, "s": status}))
                    .await
                    .data();
            }
        }
    }
    submit(&admin, "Offen", json!({})).await;
    submit(&admin, "Nochoffen", json!({})).await;

    let dashboard = admin
        .gql(
            "{ dashboard(period: WEEK) { period from to openJobOpenings newCandidates applications \
             openTasks { unassignedInboxItems writingJobsDue failedOutgoingMail } bucketStarts \
             applicationsBySource { source counts } \
             channelEffectiveness { source applications interviews hires hireRate medianDaysToHire } } }",
            json!({}),
        )
        .await;
    let d = &dashboard.data()["dashboard"];
    assert_eq!(d["openJobOpenings"], 1);
    assert_eq!(d["newCandidates"], candidates);
    assert_eq!(d["applications"], 10);
    assert_eq!(
        d["openTasks"],
        json!({"unassignedInboxItems": 2, "writingJobsDue": 0, "failedOutgoingMail": 0})
    );
    let buckets = d["bucketStarts"].as_array().unwrap();
    assert_eq!(buckets.len(), 7);
    assert_eq!(buckets.last().unwrap(), &d["to"]);
    let series = |source: &str| {
        d["applicationsBySource"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["source"] == source)
            .unwrap()["counts"]
            .clone()
    };
    assert_eq!(
        series("EMAIL"),
        json!([0, 0, 0, 0, 0, 0, 4]),
        "today's bucket holds today's applications"
    );
    assert_eq!(series("SMS"), json!([0, 0, 0, 0, 0, 0, 0]));
    let channel = |source: &str| {
        d["channelEffectiveness"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["source"] == source)
            .unwrap()
            .clone()
    };
    let email = channel("EMAIL");
    assert_eq!(
        (
            email["applications"].clone(),
            email["interviews"].clone(),
            email["hires"].clone()
        ),
        (json!(4), json!(2), json!(1))
    );
    assert_eq!(email["hireRate"], 0.25);
    assert!(
        email["medianDaysToHire"].as_f64().unwrap() < 0.01,
        "hired the same day: {email}"
    );
    let agency = channel("JOB_AGENCY");
    assert_eq!(agency["hireRate"], 1.0);
    let form = channel("ONLINE_FORM");
    assert_eq!(
        (form["hireRate"].clone(), form["medianDaysToHire"].clone()),
        (json!(0.0), Value::Null)
    );
    assert_eq!(channel("SMS")["hireRate"], Value::Null, "no applications, no rate");

    assert_eq!(
        (d["from"].clone(), d["to"].clone()),
        (json!("2026-12-01"), json!("2026-12-07"))
    );

    let year = admin
        .gql(
            "{ dashboard(period: YEAR) { from to bucketStarts applications } }",
            json!({}),
        )
        .await;
    let y = &year.data()["dashboard"];
    let months = y["bucketStarts"].as_array().unwrap();
    assert_eq!(months.len(), 12, "the last 12 calendar months");
    assert_eq!(
        (months[0].clone(), months[11].clone()),
        (json!("2026-01-01"), json!("2026-12-01"))
    );
    assert_eq!(
        (y["from"].clone(), y["to"].clone()),
        (json!("2026-01-01"), json!("2026-12-07"))
    );
    assert_eq!(y["applications"], 10);

    // A month later the December applications are still in the year, and no longer in the week.
    admin.set_clock(today + chrono::Duration::days(25)).await;
    let later = admin.gql("{ week: dashboard(period: WEEK) { applications } year: dashboard(period: YEAR) { bucketStarts applications } }", json!({})).await;
    assert_eq!(later.data()["week"]["applications"], 0);
    assert_eq!(later.data()["year"]["applications"], 10);
    assert_eq!(later.data()["year"]["bucketStarts"][0], "2026-02-01");
    assert_eq!(later.data()["year"]["bucketStarts"][11], "2027-01-01");
}

async fn a_take_over_can_be_undone_by_its_author_and_leaves_nothing_behind(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    crate::fixtures::create_user(&admin, "rita@example.test", "RECRUITER", &[]).await;
    crate::fixtures::create_user(&admin, "bob@example.test", "RECRUITER", &[]).await;
    let rita = app.login("rita@example.test", crate::fixtures::PASSWORD).await;
    let bob = app.login("bob@example.test", crate::fixtures::PASSWORD).await;
    let take_over = "mutation($id: ID!) { takeOverInboxItem(id: $id) { candidate { id } createdCandidate } }";
    let undo = "mutation($id: ID!) { undoTakeOver(id: $id) { state candidate { id } matchedCandidate { id } } }";
    let count_candidates = || async {
        admin
            .gql("{ candidates(first: 100) { edges { node { id } } } }", json!({}))
            .await
            .data()["candidates"]["edges"]
            .as_array()
            .unwrap()
            .len()
    };

    // A new candidate from the item, undone: the item is back and the candidate gone.
    let before = count_candidates().await;
    let item = id(&submit(&admin, "Lena", json!({})).await["id"]);
    let taken = rita.gql(take_over, json!({"id": item})).await;
    let lena = id(&taken.data()["takeOverInboxItem"]["candidate"]["id"]);
    assert_eq!(taken.data()["takeOverInboxItem"]["createdCandidate"], true);
    let refused = bob.gql(undo, json!({"id": item})).await;
    assert_eq!(refused.code(), "FORBIDDEN", "only who took it over: {:?}", refused.body);
    let undone = rita.gql(undo, json!({"id": item})).await;
    assert_eq!(
        undone.data()["undoTakeOver"],
        json!({"state": "UNASSIGNED", "candidate": null, "matchedCandidate": null})
    );
    assert_eq!(
        admin
            .gql("query($id: ID!) { candidate(id: $id) { id } }", json!({"id": lena}))
            .await
            .code(),
        "NOT_FOUND"
    );
    assert_eq!(count_candidates().await, before, "no candidate left behind");
    let again = rita.gql(undo, json!({"id": item})).await;
    assert_eq!(again.code(), "CONFLICT", "twice is once too often");

    // Taken over to a known candidate (same address), undone: she stays, without the
    // application, and is suggested again.
    let anna = create_candidate(&admin, "Anna", "Schmidt", "anna@example.org").await;
    let item = id(&submit(&admin, "Anna", json!({"email": "anna@example.org"})).await["id"]);
    let taken = rita.gql(take_over, json!({"id": item})).await;
    assert_eq!(
        (
            taken.data()["takeOverInboxItem"]["candidate"]["id"].as_str(),
            taken.data()["takeOverInboxItem"]["createdCandidate"].as_bool()
        ),
        (Some(anna.as_str()), Some(false))
    );
    let undone = admin.gql(undo, json!({"id": item})).await;
    assert_eq!(
        undone.data()["undoTakeOver"]["state"],
        "UNASSIGNED",
        "an administrator may undo too"
    );
    let file = admin
        .gql(
            "query($id: ID!) { candidate(id: $id) { applications { id } } }",
            json!({"id": anna}),
        )
        .await;
    assert_eq!(file.data()["candidate"]["applications"], json!([]));
    let history = admin
        .gql(
            "query($id: ID!) { contactHistory(candidateId: $id) { id } }",
            json!({"id": anna}),
        )
        .await;
    assert_eq!(history.data()["contactHistory"], json!([]));

    // Once the application has moved on, undo refuses rather than lose that work.
    let taken = rita.gql(take_over, json!({"id": item})).await;
    assert!(taken.errors().is_empty(), "{:?}", taken.body);
    let application = admin
        .gql(
            "query($id: ID!) { candidate(id: $id) { applications { id } } }",
            json!({"id": anna}),
        )
        .await;
    let application = id(&application.data()["candidate"]["applications"][0]["id"]);
    rita.gql(
        "mutation($id: ID!) { setApplicationStatus(id: $id, status: INTERVIEW) { status } }",
        json!({"id": application}),
    )
    .await
    .data();
    let refused = rita.gql(undo, json!({"id": item})).await;
    assert_eq!(
        (refused.code(), refused.field()),
        ("CONFLICT".to_owned(), Some("id".to_owned()))
    );
    let audit = admin
        .gql(
            "{ auditLog(filter: {kind: \"inbox_item\"}) { edges { node { action } } } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = audit.data()["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "inbox_item.undo_take_over").count(),
        2,
        "{actions:?}"
    );
}

crate::on_both_databases!(
    taking_over_a_mail_from_dovecot_makes_a_candidate_and_the_next_mail_is_suggested,
    bulk_take_over_gives_one_sender_one_candidate_and_is_all_or_nothing,
    duplicate_sets_are_found_and_merging_keeps_every_record,
    the_candidate_list_filters_by_text_status_opening_and_source,
    dashboard_figures_match_a_seeded_data_set,
    a_take_over_can_be_undone_by_its_author_and_leaves_nothing_behind,
);
