//! The audit log answers "who did what": every recorded action writes exactly one
//! entry naming the acting user (and the API token it came through), and only
//! administrators may read it.

use serde_json::{Value, json};

use crate::fixtures::{PASSWORD, create_user, submit};
use crate::helpers::{Backend, Client, TestApp, id};

/// All entries, newest first.
async fn entries(admin: &Client) -> Vec<Value> {
    let listed = admin
        .gql(
            "{ auditLog(first: 100) { edges { node { actorId actorName apiTokenId apiTokenName action subjectType subjectId details } } } }",
            json!({}),
        )
        .await;
    listed.data()["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// Runs one mutation and returns the entries it added (and its data).
async fn audited(admin: &Client, actor: &Client, query: &str, variables: Value) -> (Vec<Value>, Value) {
    let before = entries(admin).await.len();
    let response = actor.gql(query, variables).await;
    let data = response.data().clone();
    let after = entries(admin).await;
    (after[..after.len() - before].to_vec(), data)
}

fn one<'a>(added: &'a [Value], action: &str) -> &'a Value {
    assert_eq!(added.len(), 1, "{action}: exactly one entry, got {added:?}");
    assert_eq!(added[0]["action"], action, "{added:?}");
    &added[0]
}

async fn every_recorded_action_names_its_actor_and_only_admins_read_the_log(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let recruiter_id = create_user(&admin, "rita@example.test", "RECRUITER", &[]).await;
    let rita = app.login("rita@example.test", PASSWORD).await;
    let by_rita = |entry: &Value| {
        assert_eq!(
            (entry["actorId"].as_str(), entry["actorName"].as_str()),
            (Some(recruiter_id.as_str()), Some("rita@example.test")),
            "{entry}"
        );
        assert_eq!(entry["apiTokenId"], Value::Null);
    };

    let forbidden = rita.gql("{ auditLog { edges { node { action } } } }", json!({})).await;
    assert_eq!(forbidden.code(), "FORBIDDEN", "a recruiter cannot read the audit log");

    let entities = admin.gql("{ legalEntities { id } }", json!({})).await;
    let main = id(&entities.data()["legalEntities"][0]["id"]);
    let (added, data) = audited(
        &admin,
        &rita,
        "mutation($e: ID!) { createJobOpening(input: {title: \"Fahrer\", legalEntityId: $e}) { id } }",
        json!({"e": main}),
    )
    .await;
    by_rita(one(&added, "job_opening.create"));
    let opening = id(&data["createJobOpening"]["id"]);
    let (added, _) = audited(
        &admin,
        &rita,
        "mutation($id: ID!) { updateJobOpening(id: $id, input: {location: \"Berlin\"}) { id } }",
        json!({"id": opening}),
    )
    .await;
    let entry = one(&added, "job_opening.update");
    by_rita(entry);
    assert_eq!(
        (entry["subjectType"].as_str(), entry["subjectId"].as_str()),
        (Some("job_opening"), Some(opening.as_str()))
    );

    let (added, data) = audited(
        &admin,
        &rita,
        "mutation { createCandidate(input: {firstName: \"Anna\", lastName: \"Schmidt\", emails: [\"anna@example.org\"]}) { id } }",
        json!({}),
    )
    .await;
    let anna = id(&data["createCandidate"]["id"]);
    let entry = one(&added, "candidate.create");
    by_rita(entry);
    assert_eq!(
        (entry["subjectType"].as_str(), entry["subjectId"].as_str()),
        (Some("candidate"), Some(anna.as_str()))
    );

    let (added, _) = audited(
        &admin,
        &rita,
        "mutation($id: ID!) { updateCandidate(id: $id, input: {phone: \"+49 30 1\"}) { id } }",
        json!({"id": anna}),
    )
    .await;
    let entry = one(&added, "candidate.update");
    by_rita(entry);
    assert!(
        entry["details"].as_str().unwrap().contains("phone"),
        "which field changed: {entry}"
    );
    assert!(
        !entry["details"].as_str().unwrap().contains("+49"),
        "never the value: {entry}"
    );

    let (added, data) = audited(
        &admin,
        &rita,
        "mutation($c: ID!, $o: ID!) { createApplication(candidateId: $c, jobOpeningId: $o) { id } }",
        json!({"c": anna, "o": opening}),
    )
    .await;
    by_rita(one(&added, "application.create"));
    let application = id(&data["createApplication"]["id"]);
    let (added, _) = audited(
        &admin,
        &rita,
        "mutation($id: ID!) { setApplicationStatus(id: $id, status: INTERVIEW) { status } }",
        json!({"id": application}),
    )
    .await;
    let entry = one(&added, "application.status");
    by_rita(entry);
    assert!(entry["details"].as_str().unwrap().contains("interview"), "{entry}");

    let first = id(&submit(&admin, "Lena", json!({})).await["id"]);
    let second = id(&submit(&admin, "Anna", json!({"email": "anna@example.org"})).await["id"]);
    let (added, _) = audited(
        &admin,
        &rita,
        "mutation($id: ID!) { takeOverInboxItem(id: $id) { candidate { id } } }",
        json!({"id": first}),
    )
    .await;
    let entry = one(&added, "inbox_item.take_over");
    by_rita(entry);
    assert_eq!(entry["subjectId"], first.as_str());
    let (added, _) = audited(
        &admin,
        &rita,
        "mutation($id: ID!, $c: ID!) { assignInboxItem(id: $id, candidateId: $c) { item { id } } }",
        json!({"id": second, "c": anna}),
    )
    .await;
    by_rita(one(&added, "inbox_item.assign"));
    let third = id(&submit(&admin, "Otto", json!({})).await["id"]);
    let (added, _) = audited(
        &admin,
        &rita,
        "mutation($ids: [ID!]!) { deleteInboxItems(ids: $ids) { id } }",
        json!({"ids": [third]}),
    )
    .await;
    by_rita(one(&added, "inbox_item.delete"));
    let (added, _) = audited(
        &admin,
        &admin,
        "mutation($ids: [ID!]!) { restoreInboxItems(ids: $ids) { id } }",
        json!({"ids": [third]}),
    )
    .await;
    assert_eq!(
        one(&added, "inbox_item.restore")["actorName"],
        "Administrator",
        "{added:?}"
    );

    let (added, data) = audited(
        &admin,
        &rita,
        "mutation { createFormLetter(input: {name: \"Einladung\", subject: \"Hallo\", bodyText: \"Hallo {{ candidate.first_name }}\"}) { id } }",
        json!({}),
    )
    .await;
    by_rita(one(&added, "form_letter.create"));
    let letter = id(&data["createFormLetter"]["id"]);
    let (added, _) = audited(
        &admin,
        &rita,
        "mutation($id: ID!) { updateFormLetter(id: $id, input: {subject: \"Guten Tag\"}) { id } }",
        json!({"id": letter}),
    )
    .await;
    by_rita(one(&added, "form_letter.update"));
    let (added, _) = audited(
        &admin,
        &rita,
        "mutation($l: ID!, $c: ID!) { sendFormLetter(id: $l, candidateId: $c) { documentedOnly } }",
        json!({"l": letter, "c": anna}),
    )
    .await;
    let entry = one(&added, "form_letter.send");
    by_rita(entry);
    assert_eq!(entry["subjectId"], anna.as_str());
    let (added, _) = audited(
        &admin,
        &rita,
        "mutation($id: ID!) { deleteFormLetter(id: $id) }",
        json!({"id": letter}),
    )
    .await;
    by_rita(one(&added, "form_letter.delete"));

    let (added, data) = audited(
        &admin,
        &rita,
        "mutation { createCandidateQuery(name: \"Pool\", filter: {inTalentPool: true}) { id } }",
        json!({}),
    )
    .await;
    by_rita(one(&added, "candidate_query.create"));
    let query = id(&data["createCandidateQuery"]["id"]);
    let (added, _) = audited(
        &admin,
        &rita,
        "mutation($id: ID!) { updateCandidateQuery(id: $id, name: \"Talentpool\") { id } }",
        json!({"id": query}),
    )
    .await;
    by_rita(one(&added, "candidate_query.update"));
    let (added, _) = audited(
        &admin,
        &rita,
        "mutation($id: ID!) { deleteCandidateQuery(id: $id) }",
        json!({"id": query}),
    )
    .await;
    by_rita(one(&added, "candidate_query.delete"));

    // Through an API token the entry names the token and its owner.
    let created = admin
        .gql(
            "mutation { createApiToken(name: \"Import-Skript\") { token apiToken { id } } }",
            json!({}),
        )
        .await;
    let token_id = id(&created.data()["createApiToken"]["apiToken"]["id"]);
    let script = app.with_token(created.data()["createApiToken"]["token"].as_str().unwrap());
    let (added, _) = audited(
        &admin,
        &script,
        "mutation { createCandidate(input: {firstName: \"Max\", lastName: \"Muster\"}) { id } }",
        json!({}),
    )
    .await;
    let entry = one(&added, "candidate.create");
    assert_eq!(
        (entry["apiTokenId"].as_str(), entry["apiTokenName"].as_str()),
        (Some(token_id.as_str()), Some("Import-Skript")),
        "{entry}"
    );
    assert_eq!(entry["actorName"], "Administrator");

    // The filters: by user, by kind, by time.
    let ritas = admin
        .gql(
            "query($u: ID!) { auditLog(filter: {userId: $u}, first: 100) { edges { node { actorId } } } }",
            json!({"u": recruiter_id}),
        )
        .await;
    let ritas = ritas.data()["auditLog"]["edges"].as_array().unwrap().clone();
    assert_eq!(ritas.len(), 16, "{ritas:?}");
    assert!(
        ritas
            .iter()
            .all(|edge| edge["node"]["actorId"] == recruiter_id.as_str())
    );
    let inbox = admin
        .gql(
            "{ auditLog(filter: {kind: \"inbox_item\"}, first: 100) { edges { node { action } } } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = inbox.data()["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "inbox_item.restore",
            "inbox_item.delete",
            "inbox_item.assign",
            "inbox_item.take_over"
        ]
    );
    let future = admin
        .gql(
            "{ auditLog(filter: {from: \"2100-01-01T00:00:00Z\"}) { edges { node { action } } } }",
            json!({}),
        )
        .await;
    assert_eq!(future.data()["auditLog"]["edges"], json!([]));
    let bad = admin
        .gql(
            "{ auditLog(filter: {userId: \"x\"}) { edges { node { action } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (bad.code(), bad.field()),
        ("INVALID_INPUT".to_owned(), Some("filter.userId".to_owned()))
    );
}

crate::on_both_databases!(every_recorded_action_names_its_actor_and_only_admins_read_the_log);
