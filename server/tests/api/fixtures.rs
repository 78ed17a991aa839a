//! An organisation with two legal entities, every role, two user groups and inbox
//! items of different visibility: the cast of the authorisation tests.

use serde_json::{Value, json};

use crate::helpers::{Client, TestApp, id};

pub const PASSWORD: &str = "user-password-123";

pub struct Cast {
    pub admin: Client,
    pub company_admin_a: Client,
    pub company_admin_b: Client,
    pub recruiter_in_g: Client,
    pub recruiter_outside: Client,
    pub token: Client,
    pub anonymous: Client,
    pub entity_a: String,
    pub entity_b: String,
    pub group_g: String,
    pub recruiter_outside_id: String,
    pub opening_a: String,
    pub opening_b: String,
    pub item_in_g: String,
    pub item_without_group: String,
    pub item_in_h: String,
    pub candidate: String,
}

impl Cast {
    /// Principals by the names used in the matrix.
    pub fn all(&self) -> Vec<(&'static str, &Client)> {
        vec![
            ("admin", &self.admin),
            ("company_admin_a", &self.company_admin_a),
            ("company_admin_b", &self.company_admin_b),
            ("recruiter_in_g", &self.recruiter_in_g),
            ("recruiter_outside", &self.recruiter_outside),
            ("api_token", &self.token),
            ("anonymous", &self.anonymous),
        ]
    }
}

pub async fn create_user(admin: &Client, email: &str, role: &str, entities: &[&str]) -> String {
    let response = admin
        .gql(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({"input": {"email": email, "displayName": email, "role": role, "password": PASSWORD, "legalEntityIds": entities}}),
        )
        .await;
    id(&response.data()["createUser"]["id"])
}

pub async fn submit(client: &Client, first_name: &str, extra: Value) -> Value {
    let mut input = json!({"firstName": first_name, "lastName": "Tester", "email": format!("{}@applicant.test", first_name.to_lowercase())});
    if let (Some(target), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
    let response = client
        .gql(
            "mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { id medium state subject senderName senderEmail } }",
            json!({"input": input}),
        )
        .await;
    response.data()["submitApplication"].clone()
}

pub async fn cast(app: &TestApp) -> Cast {
    let admin = app.admin().await;
    let entities = admin.gql("{ legalEntities { id isMain } }", json!({})).await;
    let entity_a = id(&entities.data()["legalEntities"][0]["id"]);
    let created = admin
        .gql(
            "mutation { createLegalEntity(input: {name: \"Tochter B GmbH\"}) { id } }",
            json!({}),
        )
        .await;
    let entity_b = id(&created.data()["createLegalEntity"]["id"]);

    create_user(&admin, "ca.a@example.test", "COMPANY_ADMIN", &[&entity_a]).await;
    create_user(&admin, "ca.b@example.test", "COMPANY_ADMIN", &[&entity_b]).await;
    let recruiter_g = create_user(&admin, "rec.g@example.test", "RECRUITER", &[]).await;
    let recruiter_outside_id = create_user(&admin, "rec.out@example.test", "RECRUITER", &[]).await;

    let group = |name: &str| format!("mutation {{ createUserGroup(name: \"{name}\") {{ id }} }}");
    let group_g = id(&admin.gql(&group("Pflege"), json!({})).await.data()["createUserGroup"]["id"]);
    let group_h = id(&admin.gql(&group("Verwaltung"), json!({})).await.data()["createUserGroup"]["id"]);
    admin
        .gql(
            "mutation($g: ID!, $u: [ID!]!) { setUserGroupMembers(groupId: $g, userIds: $u) { id } }",
            json!({"g": group_g, "u": [recruiter_g]}),
        )
        .await
        .data();

    let opening = |entity: &str, title: &str| json!({"input": {"legalEntityId": entity, "title": title}});
    let create_opening = "mutation($input: CreateJobOpeningInput!) { createJobOpening(input: $input) { id } }";
    let opening_a = id(&admin
        .gql(create_opening, opening(&entity_a, "Pflegefachkraft"))
        .await
        .data()["createJobOpening"]["id"]);
    let opening_b = id(&admin
        .gql(create_opening, opening(&entity_b, "Buchhaltung"))
        .await
        .data()["createJobOpening"]["id"]);

    let item_in_g = id(&submit(
        &admin,
        "Greta",
        json!({"jobOpeningId": opening_a, "userGroupId": group_g}),
    )
    .await["id"]);
    let item_without_group = id(&submit(&admin, "Nora", json!({"legalEntityId": entity_b})).await["id"]);
    let item_in_h = id(&submit(
        &admin,
        "Hanna",
        json!({"jobOpeningId": opening_b, "userGroupId": group_h}),
    )
    .await["id"]);

    let candidate = admin
        .gql(
            "mutation { createCandidate(input: {firstName: \"Clara\", lastName: \"Klein\", emails: [\"clara@example.test\"]}) { id } }",
            json!({}),
        )
        .await;
    let candidate = id(&candidate.data()["createCandidate"]["id"]);

    let token = admin
        .gql(
            "mutation { createApiToken(name: \"Karriereseite\") { token } }",
            json!({}),
        )
        .await;
    let token = token.data()["createApiToken"]["token"]
        .as_str()
        .expect("token")
        .to_owned();

    Cast {
        company_admin_a: app.login("ca.a@example.test", PASSWORD).await,
        company_admin_b: app.login("ca.b@example.test", PASSWORD).await,
        recruiter_in_g: app.login("rec.g@example.test", PASSWORD).await,
        recruiter_outside: app.login("rec.out@example.test", PASSWORD).await,
        token: app.with_token(&token),
        anonymous: app.anonymous(),
        admin,
        entity_a,
        entity_b,
        group_g,
        recruiter_outside_id,
        opening_a,
        opening_b,
        item_in_g,
        item_without_group,
        item_in_h,
        candidate,
    }
}
