//! Contact nurturing from outside: saved candidate queries (their hits come from the
//! database) and form letters (placeholders checked on save, previews per candidate).

use std::time::Duration as Wait;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::candidate_file::create_opening;
use crate::dovecot::Dovecot;
use crate::helpers::{Backend, Client, TestApp, id};
use crate::mailbox::{header, text_body, wait_for_mail};
use crate::postfix::Postfix;
use crate::subscriptions::api_token;

async fn candidate(admin: &Client, input: Value) -> String {
    let created = admin
        .gql(
            "mutation($input: CreateCandidateInput!) { createCandidate(input: $input) { id } }",
            json!({"input": input}),
        )
        .await;
    id(&created.data()["createCandidate"]["id"])
}

async fn hits(admin: &Client, filter: Value) -> Vec<String> {
    let run = admin
        .gql(
            "query($f: CandidateQueryFilterInput) { runCandidateQuery(filter: $f, first: 100) { totalCount candidates { edges { node { lastName } } } } }",
            json!({"f": filter}),
        )
        .await;
    let data = &run.data()["runCandidateQuery"];
    let mut names: Vec<String> = data["candidates"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["lastName"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(data["totalCount"], names.len(), "the count agrees with the hits");
    names.sort();
    names
}

/// The server's (test) clock in these tests, so their birthdays and contact ages do not
/// depend on the day they run.
fn today() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap()
}

/// A birthday (in 1990) that falls `days` from `today()`.
fn birthday_in(days: i64) -> String {
    let day = today().date_naive() + Duration::days(days);
    let day = day
        .with_year(1990)
        .unwrap_or_else(|| day.with_day(28).unwrap().with_year(1990).unwrap());
    day.to_string()
}

async fn saved_queries_run_in_the_database_and_name_bad_input(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.test_clock = true).await;
    let admin = app.admin().await;
    admin.set_clock(today()).await;
    let opening = create_opening(&admin, "Lager", "OPEN").await;
    candidate(
        &admin,
        json!({"firstName": "A", "lastName": "Soon", "emails": ["soon@example.org"], "birthday": birthday_in(2)}),
    )
    .await;
    candidate(
        &admin,
        json!({"firstName": "B", "lastName": "Later", "emails": ["later@example.org"], "birthday": birthday_in(10)}),
    )
    .await;
    candidate(
        &admin,
        json!({"firstName": "C", "lastName": "Rejected", "birthday": birthday_in(2), "status": "REJECTED"}),
    )
    .await;
    let called = candidate(
        &admin,
        json!({"firstName": "D", "lastName": "Called", "emails": ["called@example.org"]}),
    )
    .await;
    let rang_us = candidate(
        &admin,
        json!({"firstName": "E", "lastName": "RangUs", "emails": ["rang@example.org"]}),
    )
    .await;
    let long_ago = candidate(
        &admin,
        json!({"firstName": "F", "lastName": "LongAgo", "emails": ["long@example.org"], "inTalentPool": true}),
    )
    .await;
    let contact = |candidate: &str, medium: &str, days_ago: i64| json!({"input": {"candidateId": candidate, "medium": medium, "note": "Telefonat", "occurredAt": (today() - Duration::days(days_ago)).to_rfc3339()}});
    for variables in [
        contact(&called, "PHONE_OUT", 3),
        contact(&rang_us, "PHONE_IN", 3),
        contact(&long_ago, "PHONE_OUT", 40),
    ] {
        admin
            .gql(
                "mutation($input: ContactEventInput!) { addContactEvent(input: $input) { id } }",
                variables,
            )
            .await
            .data();
    }
    admin
        .gql("mutation($c: ID!, $o: ID!) { createApplication(candidateId: $c, jobOpeningId: $o, sourceMedium: EMAIL) { id } }", json!({"c": called, "o": opening}))
        .await
        .data();

    // Birthday greetings: not rejected, not hired, birthday in the next week.
    let greetings = json!({"statusNotIn": ["REJECTED", "HIRED"], "birthdayFromDays": 0, "birthdayToDays": 7});
    assert_eq!(hits(&admin, greetings.clone()).await, ["Soon"]);
    // Not forgotten: no counting contact for 30 days. A call we made counts; their call to
    // us without an application does not; a call 40 days ago is too old.
    let forgotten = hits(&admin, json!({"lastContactMoreThanDays": 30, "hasEmail": true})).await;
    assert_eq!(forgotten, ["Later", "LongAgo", "RangUs", "Soon"]);
    assert_eq!(hits(&admin, json!({"lastContactLessThanDays": 30})).await, ["Called"]);
    assert_eq!(hits(&admin, json!({"hasEmail": false})).await, ["Rejected"]);
    assert_eq!(hits(&admin, json!({"inTalentPool": true})).await, ["LongAgo"]);
    assert_eq!(
        hits(&admin, json!({"poolMoreThanMonths": 36})).await,
        Vec::<String>::new(),
        "joined today"
    );
    assert_eq!(
        hits(
            &admin,
            json!({"jobOpeningId": opening, "source": "EMAIL", "applicationNewerThanDays": 1})
        )
        .await,
        ["Called"]
    );
    assert_eq!(
        hits(&admin, json!({"jobOpeningId": opening, "applicationOlderThanDays": 1})).await,
        Vec::<String>::new()
    );

    let saved = admin
        .gql(
            "mutation($f: CandidateQueryFilterInput!) { createCandidateQuery(name: \"Geburtstage\", filter: $f) { id name hitCount filter { statusNotIn birthdayToDays } } }",
            json!({"f": greetings}),
        )
        .await;
    let saved = saved.data()["createCandidateQuery"].clone();
    assert_eq!(saved["hitCount"], 1);
    assert_eq!(
        saved["filter"],
        json!({"statusNotIn": ["REJECTED", "HIRED"], "birthdayToDays": 7})
    );
    let run = admin
        .gql(
            "query($id: ID) { runCandidateQuery(id: $id) { totalCount } }",
            json!({"id": saved["id"]}),
        )
        .await;
    assert_eq!(run.data()["runCandidateQuery"]["totalCount"], 1);
    let listed = admin.gql("{ candidateQueries { name } }", json!({})).await;
    assert_eq!(listed.data()["candidateQueries"], json!([{"name": "Geburtstage"}]));

    let refused = |filter: Value| {
        let admin = &admin;
        async move {
            let response = admin
                .gql("mutation($f: CandidateQueryFilterInput!) { createCandidateQuery(name: \"Neu\", filter: $f) { id } }", json!({"f": filter}))
                .await;
            (response.code(), response.field().unwrap_or_default())
        }
    };
    assert_eq!(
        refused(json!({"birthdayFromDays": 0})).await,
        ("INVALID_INPUT".to_owned(), "filter.birthdayToDays".to_owned())
    );
    assert_eq!(
        refused(json!({"jobOpeningId": "999999"})).await,
        ("INVALID_INPUT".to_owned(), "filter.jobOpeningId".to_owned())
    );
    assert_eq!(
        refused(json!({"lastContactMoreThanDays": -5})).await,
        ("INVALID_INPUT".to_owned(), "filter.lastContactMoreThanDays".to_owned())
    );
    let twice = admin
        .gql(
            "mutation { createCandidateQuery(name: \"Geburtstage\", filter: {}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (twice.code(), twice.field()),
        ("CONFLICT".to_owned(), Some("name".to_owned()))
    );
}

async fn form_letters_check_placeholders_on_save_and_preview_per_candidate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let opening = create_opening(&admin, "Pflegefachkraft", "OPEN").await;
    let person = candidate(
        &admin,
        json!({"firstName": "Max <b>", "lastName": "Muster", "emails": ["max@example.org"]}),
    )
    .await;
    let application = admin
        .gql(
            "mutation($c: ID!, $o: ID!) { createApplication(candidateId: $c, jobOpeningId: $o) { id } }",
            json!({"c": person, "o": opening}),
        )
        .await;
    let application = id(&application.data()["createApplication"]["id"]);

    let fields = "id name subject bodyText bodyHtml setsCandidateStatus";
    let created = admin
        .gql(
            &format!("mutation($input: FormLetterInput!) {{ createFormLetter(input: $input) {{ {fields} }} }}"),
            json!({"input": {
                "name": "Absage", "subject": "Ihre Bewerbung als {{ job_opening.title }}",
                "bodyText": "Hallo {{ candidate.first_name }},\nleider ...\n{{ legal_entity.name }}",
                "bodyHtml": "<p>Hallo {{ candidate.first_name }}</p><script>alert(1)</script>",
                "setsCandidateStatus": "REJECTED"
            }}),
        )
        .await;
    let letter = created.data()["createFormLetter"].clone();
    assert_eq!(letter["setsCandidateStatus"], "REJECTED");
    assert!(
        !letter["bodyHtml"].as_str().unwrap().contains("script"),
        "the HTML is sanitised: {letter}"
    );

    let typo = admin
        .gql(
            "mutation { createFormLetter(input: {name: \"Tippfehler\", subject: \"Hallo\", bodyText: \"{{ candidate.frist_name }}\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (typo.code(), typo.field()),
        ("INVALID_INPUT".to_owned(), Some("bodyText".to_owned()))
    );
    assert!(
        typo.errors()[0]["message"]
            .as_str()
            .unwrap()
            .contains("candidate.frist_name"),
        "{:?}",
        typo.body
    );

    let preview = admin
        .gql(
            "query($id: ID!, $c: ID!, $a: ID) { previewFormLetter(id: $id, candidateId: $c, applicationId: $a) { subject bodyText bodyHtml to } }",
            json!({"id": letter["id"], "c": person, "a": application}),
        )
        .await;
    let preview = &preview.data()["previewFormLetter"];
    assert_eq!(preview["subject"], "Ihre Bewerbung als Pflegefachkraft");
    assert!(preview["bodyText"].as_str().unwrap().starts_with("Hallo Max <b>,"));
    assert!(
        preview["bodyText"].as_str().unwrap().ends_with("Meine Firma GmbH"),
        "{preview}"
    );
    assert_eq!(
        preview["bodyHtml"], "<p>Hallo Max &lt;b&gt;</p>",
        "values are escaped in HTML"
    );
    assert_eq!(preview["to"], "max@example.org");

    let newest = admin
        .gql(
            "query($id: ID!, $c: ID!) { previewFormLetter(id: $id, candidateId: $c) { subject } }",
            json!({"id": letter["id"], "c": person}),
        )
        .await;
    assert_eq!(
        newest.data()["previewFormLetter"]["subject"],
        "Ihre Bewerbung als Pflegefachkraft",
        "about the newest application"
    );
    let no_application = candidate(&admin, json!({"firstName": "Ohne", "lastName": "Bewerbung"})).await;
    let without_application = admin
        .gql(
            "query($id: ID!, $c: ID!) { previewFormLetter(id: $id, candidateId: $c) { subject } }",
            json!({"id": letter["id"], "c": no_application}),
        )
        .await;
    assert_eq!(without_application.code(), "INVALID_INPUT");
    assert!(
        without_application.errors()[0]["message"]
            .as_str()
            .unwrap()
            .contains("needs a job_opening"),
        "{:?}",
        without_application.body
    );

    let updated = admin
        .gql(
            &format!("mutation($id: ID!) {{ updateFormLetter(id: $id, input: {{clearCandidateStatus: true, bodyHtml: \"\"}}) {{ {fields} }} }}"),
            json!({"id": letter["id"]}),
        )
        .await;
    let updated = &updated.data()["updateFormLetter"];
    assert_eq!(
        (updated["setsCandidateStatus"].clone(), updated["bodyHtml"].clone()),
        (Value::Null, Value::Null)
    );
    let placeholders = admin.gql("{ formLetterPlaceholders }", json!({})).await;
    assert!(
        placeholders.data()["formLetterPlaceholders"]
            .as_array()
            .unwrap()
            .contains(&json!("legal_entity.name"))
    );
}

async fn a_rejection_letter_is_mailed_rejects_and_reduces_the_candidate_to_minimal_data(backend: Backend) {
    let app = crate::mail_out::spawn(backend).await;
    let dovecot = Dovecot::start();
    let postfix = Postfix::start(&dovecot);
    let admin = app.admin().await;
    let token = api_token(&app).await;
    let account = crate::mail_out::create_outbound(&admin, crate::mail_out::postfix_account(&postfix, "jobs")).await;
    let entities = admin.gql("{ legalEntities { id isMain } }", json!({})).await;
    let main = id(&entities.data()["legalEntities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["isMain"] == true)
        .unwrap()["id"]);
    let sender = crate::mail_out::set_sender(
        &admin,
        &main,
        json!({"senderAddress": "karriere@example.test", "senderNameMode": "COMPANY", "channel": "ACCOUNT", "outboundAccountId": account["id"]}),
    )
    .await;
    assert!(sender.errors().is_empty(), "{:?}", sender.body);

    let opening = create_opening(&admin, "Lagerist", "OPEN").await;
    let person = candidate(
        &admin,
        json!({"firstName": "Rita", "lastName": "Raus", "emails": ["bulk@example.test"], "phone": "+49 170 5551234", "birthday": "1991-04-01", "inTalentPool": true}),
    )
    .await;
    let application = admin
        .gql(
            "mutation($c: ID!, $o: ID!) { createApplication(candidateId: $c, jobOpeningId: $o) { id } }",
            json!({"c": person, "o": opening}),
        )
        .await;
    let application = id(&application.data()["createApplication"]["id"]);
    // A document of hers: a form application from her address, taken over (it joins her).
    let form = admin
        .gql_multipart(
            "mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }",
            json!({"input": {"firstName": "Rita", "lastName": "Raus", "email": "bulk@example.test", "message": "Mein Anschreiben", "attachments": [null]}}),
            vec![("input.attachments.0", "cv.pdf", "application/pdf", b"%PDF-rita".to_vec())],
        )
        .await;
    admin
        .gql(
            "mutation($id: ID!) { takeOverInboxItem(id: $id) { createdCandidate } }",
            json!({"id": form.data()["submitApplication"]["id"]}),
        )
        .await
        .data();
    admin
        .gql(
            "mutation($input: ContactEventInput!) { addContactEvent(input: $input) { id } }",
            json!({"input": {"candidateId": person, "medium": "PHONE_OUT", "note": "Hat nach dem Stand gefragt"}}),
        )
        .await
        .data();

    let letter = admin
        .gql(
            "mutation { createFormLetter(input: {name: \"Absage\", subject: \"Ihre Bewerbung als {{ job_opening.title }}\", \
             bodyText: \"Hallo {{ candidate.first_name }},\\nleider müssen wir absagen.\", setsCandidateStatus: REJECTED}) { id } }",
            json!({}),
        )
        .await;
    let letter = id(&letter.data()["createFormLetter"]["id"]);
    let sent = admin
        .gql(
            "mutation($l: ID!, $c: ID!, $a: ID) { sendFormLetter(id: $l, candidateId: $c, applicationId: $a) { documentedOnly \
             outboxMessage { id messageId status } candidate { status inTalentPool emails phone birthday } } }",
            json!({"l": letter, "c": person, "a": application}),
        )
        .await;
    let sent = sent.data()["sendFormLetter"].clone();
    assert_eq!(sent["documentedOnly"], false);
    assert_eq!(
        sent["candidate"],
        json!({"status": "REJECTED", "inTalentPool": false, "emails": [], "phone": null, "birthday": null})
    );
    let message_id = sent["outboxMessage"]["messageId"].as_str().unwrap().to_owned();
    crate::mail_out::wait_for_outbox(&app, &token, &id(&sent["outboxMessage"]["id"]), |m| {
        m["status"] == "SENT"
    })
    .await;
    let raw = wait_for_mail(
        &dovecot,
        "bulk",
        Wait::from_secs(20),
        || postfix.log(),
        |raw| raw.contains(&message_id),
    )
    .await;
    assert_eq!(header(&raw, "Subject").unwrap(), "Ihre Bewerbung als Lagerist");
    assert!(
        text_body(&raw).contains("Hallo Rita,"),
        "the letter went out before the address was dropped"
    );

    // What statistics need stays; documents, free text and contact details are gone.
    let file = admin
        .gql(
            "query($id: ID!) { candidate(id: $id) { firstName lastName documents { id } applications { status sourceMedium } } \
             contactHistory(candidateId: $id) { medium note subject } }",
            json!({"id": person}),
        )
        .await;
    let file = file.data().clone();
    assert_eq!(
        (
            file["candidate"]["firstName"].clone(),
            file["candidate"]["documents"].clone()
        ),
        (json!("Rita"), json!([]))
    );
    let statuses: Vec<&str> = file["candidate"]["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"REJECTED"), "{statuses:?}");
    let history = file["contactHistory"].as_array().unwrap();
    assert!(history.iter().any(|e| e["medium"] == "FORM_LETTER_MAIL"), "{history:?}");
    assert!(
        history.iter().all(|e| e["note"].is_null() && e["subject"].is_null()),
        "{history:?}"
    );
    let audit = admin
        .gql(
            "{ auditLog(first: 20) { edges { node { action details } } } }",
            json!({}),
        )
        .await;
    let rejected = audit.data()["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["action"] == "candidate.rejected_by_form_letter")
        .expect("the rejection is audited")
        .clone();
    assert!(
        rejected["node"]["details"]
            .as_str()
            .unwrap()
            .contains("\"minimised\":true"),
        "{rejected}"
    );

    // Without an address the letter is documented, not sent.
    let unreachable = candidate(&admin, json!({"firstName": "Ohne", "lastName": "Adresse"})).await;
    let documented = admin
        .gql(
            "mutation($l: ID!, $c: ID!) { sendFormLetter(id: $l, candidateId: $c) { documentedOnly outboxMessage { id } } }",
            json!({"l": letter, "c": unreachable}),
        )
        .await;
    assert_eq!(
        documented.code(),
        "INVALID_INPUT",
        "the letter needs a job opening: {:?}",
        documented.body
    );
    let plain = admin
        .gql("mutation { createFormLetter(input: {name: \"Gruß\", subject: \"Hallo\", bodyText: \"Hallo {{ candidate.name }}\"}) { id } }", json!({}))
        .await;
    let plain = id(&plain.data()["createFormLetter"]["id"]);
    let documented = admin
        .gql(
            "mutation($l: ID!, $c: ID!) { sendFormLetter(id: $l, candidateId: $c) { documentedOnly outboxMessage { id } } }",
            json!({"l": plain, "c": unreachable}),
        )
        .await;
    assert_eq!(
        documented.data()["sendFormLetter"],
        json!({"documentedOnly": true, "outboxMessage": null})
    );
    let history = admin
        .gql(
            "query($id: ID!) { contactHistory(candidateId: $id) { medium subject } }",
            json!({"id": unreachable}),
        )
        .await;
    assert_eq!(
        history.data()["contactHistory"],
        json!([{"medium": "FORM_LETTER_LETTER", "subject": "Hallo"}])
    );
}

async fn with_retention_keep_a_rejection_keeps_the_data_and_only_admins_change_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    crate::fixtures::create_user(&admin, "rec@example.test", "RECRUITER", &[]).await;
    let recruiter = app.login("rec@example.test", "user-password-123").await;
    let refused = recruiter
        .gql(
            "mutation { setDataRetention(dataRetention: KEEP) { dataRetention } }",
            json!({}),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    let shown = recruiter
        .gql("{ organisationSettings { dataRetention } }", json!({}))
        .await;
    assert_eq!(
        shown.data()["organisationSettings"]["dataRetention"],
        "MINIMISE",
        "the default"
    );
    let set = admin
        .gql(
            "mutation { setDataRetention(dataRetention: KEEP) { dataRetention } }",
            json!({}),
        )
        .await;
    assert_eq!(set.data()["setDataRetention"]["dataRetention"], "KEEP");

    let person = candidate(
        &admin,
        json!({"firstName": "Kai", "lastName": "Behalten", "phone": "+49 170 5550000", "birthday": "1985-02-03"}),
    )
    .await;
    let letter = admin
        .gql("mutation { createFormLetter(input: {name: \"Absage\", subject: \"Absage\", bodyText: \"Leider nein, {{ candidate.name }}.\", setsCandidateStatus: REJECTED}) { id } }", json!({}))
        .await;
    let sent = admin
        .gql(
            "mutation($l: ID!, $c: ID!) { sendFormLetter(id: $l, candidateId: $c) { documentedOnly candidate { status phone birthday } } }",
            json!({"l": letter.data()["createFormLetter"]["id"], "c": person}),
        )
        .await;
    assert_eq!(
        sent.data()["sendFormLetter"],
        json!({"documentedOnly": true, "candidate": {"status": "REJECTED", "phone": "+49 170 5550000", "birthday": "1985-02-03"}})
    );
    let history = admin
        .gql(
            "query($id: ID!) { contactHistory(candidateId: $id) { medium note } }",
            json!({"id": person}),
        )
        .await;
    assert_eq!(
        history.data()["contactHistory"],
        json!([{"medium": "FORM_LETTER_LETTER", "note": "Leider nein, Kai Behalten."}])
    );
}

crate::on_both_databases!(
    with_retention_keep_a_rejection_keeps_the_data_and_only_admins_change_it,
    saved_queries_run_in_the_database_and_name_bad_input,
    form_letters_check_placeholders_on_save_and_preview_per_candidate,
    a_rejection_letter_is_mailed_rejects_and_reduces_the_candidate_to_minimal_data,
);
