//! The authorisation matrix: every principal against every operation.

use serde_json::{Value, json};

use crate::fixtures::{Cast, cast};
use crate::helpers::{Backend, TestApp};

/// What a principal must get: success (optionally a list length at a path) or an error code.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Ok,
    Len(&'static str, usize),
    Code(&'static str),
}
use Expect::{Code, Len, Ok as Allowed};

const UNAUTH: Expect = Code("UNAUTHENTICATED");
const FORBIDDEN: Expect = Code("FORBIDDEN");
const NOT_FOUND: Expect = Code("NOT_FOUND");

/// Expectations in the order of `Cast::all`: admin, company admin A, company admin B,
/// recruiter in G, recruiter outside G, API token (of the admin), anonymous.
async fn check(cast: &Cast, operation: &str, query: &str, variables: Value, expected: [Expect; 7]) -> Vec<String> {
    let mut failures = Vec::new();
    for ((who, client), expect) in cast.all().into_iter().zip(expected) {
        // Unique values per principal, so creating things twice does not collide.
        let variables: Value = serde_json::from_str(&variables.to_string().replace("{who}", who)).expect("variables");
        let response = client.gql(query, variables).await;
        let outcome_ok = match expect {
            Allowed => response.code() == "OK",
            Len(path, n) => {
                response.code() == "OK"
                    && path
                        .split('.')
                        .fold(&response.body["data"], |v, key| &v[key])
                        .as_array()
                        .map(Vec::len)
                        == Some(n)
            }
            Code(code) => response.code() == code,
        };
        if !outcome_ok {
            failures.push(format!(
                "{operation} as {who}: expected {expect:?}, got {}",
                response.body
            ));
        }
    }
    failures
}

async fn authorization_matrix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let c = cast(&app).await;
    let mut failures = Vec::new();

    failures.extend(
        check(
            &c,
            "me",
            "{ me { id } }",
            json!({}),
            [Allowed, Allowed, Allowed, Allowed, Allowed, Allowed, UNAUTH],
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "legalEntities",
            "{ legalEntities { id } }",
            json!({}),
            [
                Len("legalEntities", 2),
                Len("legalEntities", 1),
                Len("legalEntities", 1),
                Len("legalEntities", 2),
                Len("legalEntities", 2),
                Len("legalEntities", 2),
                UNAUTH,
            ],
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "createLegalEntity",
            "mutation($n: String!) { createLegalEntity(input: {name: $n}) { id } }",
            json!({"n": "Neu {who} GmbH"}),
            [Allowed, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, Allowed, UNAUTH],
        )
        .await,
    );
    let update_entity = "mutation($id: ID!, $n: String!) { updateLegalEntity(id: $id, input: {name: $n}) { id } }";
    failures.extend(
        check(
            &c,
            "updateLegalEntity(A)",
            update_entity,
            json!({"id": c.entity_a, "n": "A by {who}"}),
            [Allowed, Allowed, FORBIDDEN, FORBIDDEN, FORBIDDEN, Allowed, UNAUTH],
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "updateLegalEntity(B)",
            update_entity,
            json!({"id": c.entity_b, "n": "B by {who}"}),
            [Allowed, FORBIDDEN, Allowed, FORBIDDEN, FORBIDDEN, Allowed, UNAUTH],
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "users",
            "{ users { id } }",
            json!({}),
            [Allowed, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, Allowed, UNAUTH],
        )
        .await,
    );
    failures.extend(
        check(&c, "createUser",
            "mutation($e: String!) { createUser(input: {email: $e, displayName: \"Neu\", role: RECRUITER, password: \"password-1234\"}) { id } }",
            json!({"e": "new.{who}@example.test"}), [Allowed, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, Allowed, UNAUTH])
        .await,
    );
    failures.extend(
        check(
            &c,
            "updateUser",
            "mutation($id: ID!) { updateUser(id: $id, input: {displayName: \"Rec Out\"}) { id } }",
            json!({"id": c.recruiter_outside_id}),
            [Allowed, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, Allowed, UNAUTH],
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "userGroups",
            "{ userGroups { id } }",
            json!({}),
            [
                Len("userGroups", 2),
                Len("userGroups", 0),
                Len("userGroups", 0),
                Len("userGroups", 1),
                Len("userGroups", 0),
                Len("userGroups", 2),
                UNAUTH,
            ],
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "createUserGroup",
            "mutation($n: String!) { createUserGroup(name: $n) { id } }",
            json!({"n": "Gruppe {who}"}),
            [Allowed, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, Allowed, UNAUTH],
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "setUserGroupMembers",
            "mutation($g: ID!) { setUserGroupMembers(groupId: $g, userIds: []) { id } }",
            json!({"g": "999999"}),
            [NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND, UNAUTH],
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "jobOpenings",
            "{ jobOpenings { edges { node { id } } } }",
            json!({}),
            [
                Len("jobOpenings.edges", 2),
                Len("jobOpenings.edges", 1),
                Len("jobOpenings.edges", 1),
                Len("jobOpenings.edges", 2),
                Len("jobOpenings.edges", 2),
                Len("jobOpenings.edges", 2),
                UNAUTH,
            ],
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "createJobOpening(B)",
            "mutation($e: ID!, $t: String!) { createJobOpening(input: {legalEntityId: $e, title: $t}) { id } }",
            json!({"e": c.entity_b, "t": "Stelle {who}"}),
            [Allowed, FORBIDDEN, Allowed, Allowed, Allowed, Allowed, UNAUTH],
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "updateJobOpening(A)",
            "mutation($id: ID!) { updateJobOpening(id: $id, input: {location: \"Kiel\"}) { id } }",
            json!({"id": c.opening_a}),
            [Allowed, Allowed, NOT_FOUND, Allowed, Allowed, Allowed, UNAUTH],
        )
        .await,
    );
    let all_recruiting = [Allowed, Allowed, Allowed, Allowed, Allowed, Allowed, UNAUTH];
    failures.extend(
        check(
            &c,
            "candidates",
            "{ candidates { edges { node { id } } } }",
            json!({}),
            all_recruiting,
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "candidate",
            "query($id: ID!) { candidate(id: $id) { id } }",
            json!({"id": c.candidate}),
            all_recruiting,
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "createCandidate",
            "mutation($n: String!) { createCandidate(input: {firstName: $n, lastName: \"X\"}) { id } }",
            json!({"n": "{who}"}),
            all_recruiting,
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "updateCandidate",
            "mutation($id: ID!) { updateCandidate(id: $id, input: {phone: \"040 1\"}) { id } }",
            json!({"id": c.candidate}),
            all_recruiting,
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "inboxItems",
            "{ inboxItems { edges { node { id } } } }",
            json!({}),
            [
                Len("inboxItems.edges", 3),
                Len("inboxItems.edges", 2),
                Len("inboxItems.edges", 2),
                Len("inboxItems.edges", 2),
                Len("inboxItems.edges", 1),
                Len("inboxItems.edges", 3),
                UNAUTH,
            ],
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "inboxItem(in G)",
            "query($id: ID!) { inboxItem(id: $id) { id } }",
            json!({"id": c.item_in_g}),
            [Allowed, Allowed, NOT_FOUND, Allowed, NOT_FOUND, Allowed, UNAUTH],
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "inboxItem(in H)",
            "query($id: ID!) { inboxItem(id: $id) { id } }",
            json!({"id": c.item_in_h}),
            [Allowed, NOT_FOUND, Allowed, NOT_FOUND, NOT_FOUND, Allowed, UNAUTH],
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "inboxCounts",
            "{ inboxCounts { total } }",
            json!({}),
            all_recruiting,
        )
        .await,
    );
    for (who, client, total) in [
        ("admin", &c.admin, 3),
        ("recruiter_in_g", &c.recruiter_in_g, 2),
        ("recruiter_outside", &c.recruiter_outside, 1),
    ] {
        let counts = client.gql("{ inboxCounts { total onlineForm } }", json!({})).await;
        if counts.data()["inboxCounts"]["total"] != json!(total)
            || counts.data()["inboxCounts"]["onlineForm"] != json!(total)
        {
            failures.push(format!("inboxCounts as {who}: expected {total}, got {}", counts.body));
        }
    }
    failures.extend(
        check(
            &c,
            "submitApplication",
            "mutation($e: String!) { submitApplication(input: {firstName: \"A\", lastName: \"B\", email: $e}) { id } }",
            json!({"e": "{who}@applicant.test"}),
            all_recruiting,
        )
        .await,
    );
    failures.extend(
        check(
            &c,
            "createApiToken",
            "mutation { createApiToken(name: \"t\") { token } }",
            json!({}),
            [Allowed, Allowed, Allowed, Allowed, Allowed, FORBIDDEN, UNAUTH],
        )
        .await,
    );
    failures.extend(check(&c, "apiTokens", "{ apiTokens { id } }", json!({}), all_recruiting).await);
    failures.extend(
        check(
            &c,
            "auditLog",
            "{ auditLog { edges { node { action } } } }",
            json!({}),
            [Allowed, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, Allowed, UNAUTH],
        )
        .await,
    );

    // Deleting: only who sees an item may delete it; admins restore, others only what
    // they deleted themselves (undo). Checked
    // last because it changes what the inbox shows.
    let delete = "mutation($ids: [ID!]!) { deleteInboxItems(ids: $ids) { id state } }";
    for (who, client, expected) in [
        ("anonymous", &c.anonymous, "UNAUTHENTICATED"),
        ("recruiter_outside", &c.recruiter_outside, "NOT_FOUND"),
        ("company_admin_b", &c.company_admin_b, "NOT_FOUND"),
        ("recruiter_in_g", &c.recruiter_in_g, "OK"),
    ] {
        let response = client.gql(delete, json!({"ids": [c.item_in_g]})).await;
        if response.code() != expected {
            failures.push(format!(
                "deleteInboxItems as {who}: expected {expected}, got {}",
                response.body
            ));
        }
    }
    let restore = "mutation($ids: [ID!]!) { restoreInboxItems(ids: $ids) { id state } }";
    for (who, client, expected) in [
        ("company_admin_a", &c.company_admin_a, "FORBIDDEN"),
        ("recruiter_in_g (who deleted it)", &c.recruiter_in_g, "OK"),
        ("recruiter_in_g (deleting again)", &c.recruiter_in_g, "DELETE"),
        ("admin", &c.admin, "OK"),
    ] {
        let response = if expected == "DELETE" {
            client.gql(delete, json!({"ids": [c.item_in_g]})).await
        } else {
            client.gql(restore, json!({"ids": [c.item_in_g]})).await
        };
        let expected = if expected == "DELETE" { "OK" } else { expected };
        if response.code() != expected {
            failures.push(format!(
                "restoreInboxItems as {who}: expected {expected}, got {}",
                response.body
            ));
        }
    }
    let _ = (&c.group_g, &c.opening_b, &c.item_without_group);
    assert!(
        failures.is_empty(),
        "authorisation matrix violations:\n{}",
        failures.join("\n")
    );
}

crate::on_both_databases!(authorization_matrix);
