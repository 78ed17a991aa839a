//! A page of 200 inbox items or candidates (or of 40 job openings) costs as many SQL
//! statements as a page of two: per-item relations (opening, legal entity, matched and
//! assigned candidate, addresses, last contact) are loaded in batches. Counted by the
//! server itself at `GET /metrics`.

use serde_json::{Value, json};

use crate::fixtures::submit;
use crate::helpers::{Backend, Client, TestApp, id};

const PAGE: usize = 200;
const OPENINGS: usize = 40;

const METRICS_TOKEN: &str = "statement-counts-metrics-token";

async fn statements(app: &TestApp) -> u64 {
    let response = reqwest::Client::new()
        .get(format!("{}/metrics", app.address))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("metrics");
    text.lines()
        .find_map(|line| line.strip_prefix("talentpost_database_statements_total "))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or_else(|| panic!("no statement count in {text}"))
}

/// The statements one query costs, and its data.
async fn counted(app: &TestApp, client: &Client, query: &str, first: usize) -> (u64, Value) {
    let before = statements(app).await;
    let response = client.gql(query, json!({"first": first})).await;
    let after = statements(app).await;
    assert!(response.errors().is_empty(), "{:?}", response.errors());
    (after - before, response.data().clone())
}

fn edges(data: &Value, root: &str) -> usize {
    data[root]["edges"].as_array().map_or(0, Vec::len)
}

async fn pages_of_200_cost_as_many_statements_as_pages_of_2(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        // Nothing else may run statements while the queries are counted.
        config.outbox_worker = false;
        config.blob_sweep_interval_seconds = 0;
        config.metrics_token = Some(METRICS_TOKEN.to_owned());
        config.nurturing_worker = false;
        config.public_form_per_minute = 10_000;
    })
    .await;
    let admin = app.admin().await;
    let entities = admin.gql("{ legalEntities { id } }", json!({})).await;
    let main = id(&entities.data()["legalEntities"][0]["id"]);
    let opening = admin
        .gql(
            "mutation($e: ID!) { createJobOpening(input: {title: \"Fahrer\", legalEntityId: $e}) { id } }",
            json!({"e": main}),
        )
        .await;
    let opening = id(&opening.data()["createJobOpening"]["id"]);
    for n in 1..OPENINGS {
        let created = admin
            .gql(
                "mutation($e: ID!, $t: String!) { createJobOpening(input: {title: $t, legalEntityId: $e}) { id } }",
                json!({"e": main, "t": format!("Opening {n}")}),
            )
            .await;
        assert!(created.errors().is_empty(), "{:?}", created.errors());
    }
    for n in 0..PAGE {
        let created = admin
            .gql(
                "mutation($first: String!, $email: String!) { createCandidate(input: {firstName: $first, lastName: \"Pool\", emails: [$email]}) { id } }",
                json!({"first": format!("Cand{n}"), "email": format!("cand{n}@applicant.test")}),
            )
            .await;
        assert!(created.errors().is_empty(), "{:?}", created.errors());
        // The applicant's address is a known candidate's: every item has a match.
        let item = submit(&admin, &format!("Cand{n}"), json!({"jobOpeningId": opening})).await;
        if n % 50 == 0 {
            let taken = admin
                .gql(
                    "mutation($id: ID!) { takeOverInboxItem(id: $id) { candidate { id } } }",
                    json!({"id": item["id"]}),
                )
                .await;
            assert!(taken.errors().is_empty(), "{:?}", taken.errors());
        }
    }

    let inbox = "query($first: Int) { inboxItems(first: $first) { edges { node { id legalEntity { name } \
                 jobOpening { title } matchedCandidate { id fullName emails lastContactAt } candidate { id fullName } } } } }";
    let candidates = "query($first: Int) { candidates(first: $first) { edges { node { id firstName lastName emails \
                      status lastContactAt } } } }";
    let openings =
        "query($first: Int) { jobOpenings(first: $first) { edges { node { id title legalEntity { name } } } } }";
    for (query, root, full) in [
        (inbox, "inboxItems", PAGE),
        (candidates, "candidates", PAGE),
        (openings, "jobOpenings", OPENINGS),
    ] {
        counted(&app, &admin, query, 2).await;
        let (small, data) = counted(&app, &admin, query, 2).await;
        assert_eq!(edges(&data, root), 2);
        let (large, data) = counted(&app, &admin, query, full).await;
        assert!(edges(&data, root) >= full - 4, "{root}: {} rows", edges(&data, root));
        if root == "inboxItems" {
            let nodes = data[root]["edges"].as_array().unwrap();
            assert!(nodes.iter().all(|edge| edge["node"]["jobOpening"]["title"] == "Fahrer"));
            assert!(
                nodes
                    .iter()
                    .all(|edge| edge["node"]["matchedCandidate"]["emails"][0].is_string())
            );
        }
        assert_eq!(
            large, small,
            "{root}: a page of {full} ran {large} statements, a page of 2 ran {small}"
        );
    }
}

crate::on_both_databases!(pages_of_200_cost_as_many_statements_as_pages_of_2);
