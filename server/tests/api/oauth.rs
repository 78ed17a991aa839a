//! Google and Microsoft mailboxes through OAuth2, against the test authorisation server
//! (code flow with PKCE, refresh-token rotation, revocation, introspection), a Dovecot
//! whose oauth2 passdb asks that server about every XOAUTH2 login, and a Postfix that
//! checks SMTP XOAUTH2 through Dovecot.

use std::time::Duration;

use serde_json::{Value, json};

use crate::dovecot::{Dovecot, application_mail};
use crate::helpers::{ADMIN_EMAIL, Backend, Client, TestApp, id, within};
use crate::mail_in::wait_for_email_count;
use crate::mail_out::{create_candidate, send, wait_for_outbox};
use crate::mailbox::wait_for_mail;
use crate::oauth_server::{CLIENT_SECRET, OauthServer};
use crate::postfix::Postfix;
use crate::subscriptions::{api_token, connect, pushed_until, subscribe, wait_for};

const LIMIT: Duration = Duration::from_secs(30);
const ACCOUNT_FIELDS: &str = "id label protocol authMethod host port username status statusProblem statusDetail syncTotal \
                              oauth { id state mailboxAddress problem }";

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |config| {
        config.mail_retry_max_seconds = 2;
        config.mail_poll_seconds = 30;
        config.outbox_retry_seconds = 1;
        config.outbox_retry_max_seconds = 2;
    })
    .await
}

/// A provider, a Dovecot checking tokens with it, a Postfix relaying into Dovecot, and
/// Talentpost with the provider registered: what every scenario starts from.
struct World {
    server: OauthServer,
    dovecot: Dovecot,
    postfix: Postfix,
    app: TestApp,
    admin: Client,
    token: String,
}

async fn world(backend: Backend, provider_args: &[&str]) -> World {
    let server = OauthServer::start_with(provider_args);
    let dovecot = Dovecot::start_with_introspection(&server.introspection_url());
    let postfix = Postfix::start(&dovecot);
    let app = spawn(backend).await;
    let admin = app.admin().await;
    let token = api_token(&app).await;
    World {
        server,
        dovecot,
        postfix,
        app,
        admin,
        token,
    }
}

async fn register_client(admin: &Client, server: &OauthServer, dovecot: &Dovecot, postfix: &Postfix) -> Value {
    let set = admin
        .gql(
            "mutation($input: OauthClientInput!) { setOauthClient(provider: MICROSOFT, input: $input) { \
             provider clientId hasClientSecret tenant tokenUrl imapHost imapPort smtpPort smtpSecurity } }",
            json!({"input": server.client_input(Some(dovecot.imap_port), Some(postfix.smtp_port))}),
        )
        .await;
    assert!(set.errors().is_empty(), "{:?}", set.body);
    set.data()["setOauthClient"].clone()
}

async fn create_microsoft_account(admin: &Client, label: &str) -> Value {
    let created = admin
        .gql(
            &format!("mutation($input: InboundAccountInput!) {{ createInboundAccount(input: $input) {{ {ACCOUNT_FIELDS} }} }}"),
            // No host, port, user or password: the client registration and the
            // connection provide them.
            json!({"input": {"label": label, "protocol": "MICROSOFT_365", "authMethod": "OAUTH", "security": "STARTTLS", "acceptInvalidCerts": true}}),
        )
        .await;
    assert!(created.errors().is_empty(), "{:?}", created.body);
    created.data()["createInboundAccount"].clone()
}

async fn start_connect(admin: &Client, purpose: &str, target: &str) -> String {
    let started = admin
        .gql(
            "mutation($purpose: OauthPurpose!, $target: ID!) { startOauthConnect(provider: MICROSOFT, purpose: $purpose, targetId: $target) { url } }",
            json!({"purpose": purpose, "target": target}),
        )
        .await;
    assert!(started.errors().is_empty(), "{:?}", started.body);
    started.data()["startOauthConnect"]["url"].as_str().unwrap().to_owned()
}

/// What the app's callback page does with the provider's redirect: hands `code` and
/// `state` (or `error`) to `completeOauthConnect` in the admin's session.
async fn finish(client: &Client, callback: &str) -> crate::helpers::GqlResponse {
    let url = reqwest::Url::parse(callback).unwrap();
    let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    client
        .gql(
            "mutation($state: String, $code: String, $error: String) { completeOauthConnect(state: $state, code: $code, error: $error) { mailbox appPath } }",
            json!({"state": query.get("state"), "code": query.get("code"), "error": query.get("error")}),
        )
        .await
}

/// The whole browser round trip: Talentpost's URL, the provider's consent, the app's
/// callback page (in the admin's session). Returns the app page it goes on to.
async fn connect_mailbox(
    app: &TestApp,
    admin: &Client,
    server: &OauthServer,
    purpose: &str,
    target: &str,
    mailbox: &str,
) -> String {
    let url = start_connect(admin, purpose, target).await;
    let callback = server.consent(&url, mailbox, true).await;
    assert!(
        callback.starts_with(&format!("{}/oauth/callback?", app.address)),
        "the provider returns to Talentpost: {callback}"
    );
    let finished = finish(admin, &callback).await;
    assert!(finished.errors().is_empty(), "{:?}", finished.body);
    assert_eq!(finished.data()["completeOauthConnect"]["mailbox"], mailbox);
    finished.data()["completeOauthConnect"]["appPath"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn account(admin: &Client, account_id: &str) -> Value {
    let read = admin
        .gql(
            &format!("query($id: ID!) {{ inboundAccount(id: $id) {{ {ACCOUNT_FIELDS} }} }}"),
            json!({"id": account_id}),
        )
        .await;
    read.data()["inboundAccount"].clone()
}

async fn wait_for_account(app: &TestApp, token: &str, account_id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut socket = connect(app, None, json!({"authorization": format!("Bearer {token}")})).await;
    let query = format!("subscription {{ inboundAccountStatusChanged {{ {ACCOUNT_FIELDS} }} }}");
    let data = wait_for(&mut socket, &query, LIMIT, |data| {
        let account = &data["inboundAccountStatusChanged"];
        account["id"] == account_id && done(account)
    })
    .await;
    data["inboundAccountStatusChanged"].clone()
}

async fn main_entity(admin: &Client) -> String {
    let entities = admin.gql("{ legalEntities { id isMain } }", json!({})).await;
    id(&entities.data()["legalEntities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["isMain"] == true)
        .unwrap()["id"])
}

async fn a_microsoft_mailbox_is_connected_through_the_callback_and_reads_and_sends_by_xoauth2(backend: Backend) {
    let World {
        server,
        dovecot,
        postfix,
        app,
        admin,
        token,
    } = world(backend, &[]).await;

    // Without a registration there is nothing to connect with, and the error says so.
    let entity = main_entity(&admin).await;
    let unregistered = admin
        .gql(
            "mutation($id: ID!) { startOauthConnect(provider: GOOGLE, purpose: SENDER_IDENTITY, targetId: $id) { url } }",
            json!({"id": entity}),
        )
        .await;
    assert_eq!(unregistered.code(), "INVALID_INPUT");
    assert!(
        unregistered.errors()[0]["message"]
            .as_str()
            .unwrap()
            .contains("no OAuth client is registered for Google")
    );

    let client = register_client(&admin, &server, &dovecot, &postfix).await;
    assert_eq!(client["hasClientSecret"], true);
    let listed = admin
        .gql(
            "{ oauthClients { provider clientId hasClientSecret } oauthRedirectUri }",
            json!({}),
        )
        .await;
    assert!(
        !listed.body.to_string().contains(CLIENT_SECRET),
        "the client secret is never returned: {}",
        listed.body
    );
    assert_eq!(
        listed.data()["oauthRedirectUri"],
        format!("{}/oauth/callback", app.address)
    );
    // A bad endpoint is refused with the field named.
    let bad = admin
        .gql(
            "mutation { setOauthClient(provider: MICROSOFT, input: {tokenUrl: \"not a url\"}) { clientId } }",
            json!({}),
        )
        .await;
    assert_eq!(bad.field().as_deref(), Some("tokenUrl"));

    let inbound = create_microsoft_account(&admin, "Bewerbungen M365").await;
    let account_id = id(&inbound["id"]);
    // The account waits for its connection and says so.
    let waiting = wait_for_account(&app, &token, &account_id, |a| a["statusProblem"] == "AUTHORIZATION").await;
    assert_eq!(waiting["authMethod"], "OAUTH");
    assert_eq!(
        waiting["port"], dovecot.imap_port,
        "the port comes from the client registration"
    );

    let url = start_connect(&admin, "INBOUND_ACCOUNT", &account_id).await;
    let parsed = reqwest::Url::parse(&url).unwrap();
    let query: std::collections::HashMap<String, String> = parsed.query_pairs().into_owned().collect();
    assert!(url.starts_with(&format!("{}/authorize?", server.url)), "{url}");
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["redirect_uri"], format!("{}/oauth/callback", app.address));
    for scope in [
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/SMTP.Send",
        "offline_access",
    ] {
        assert!(
            query["scope"].split(' ').any(|s| s == scope),
            "scope {scope} asked for: {}",
            query["scope"]
        );
    }
    let callback = server.consent(&url, "jobs@example.test", true).await;
    // Finishing belongs to the admin's session: a browser without it is turned away.
    assert_eq!(finish(&app.anonymous(), &callback).await.code(), "UNAUTHENTICATED");
    let finished = finish(&admin, &callback).await;
    assert!(finished.errors().is_empty(), "{:?}", finished.body);
    assert_eq!(
        finished.data()["completeOauthConnect"],
        json!({"mailbox": "jobs@example.test", "appPath": "/settings/mail"})
    );
    // The code is used up: the same callback again fails and names it.
    let replay = finish(&admin, &callback).await;
    assert_eq!(replay.field().as_deref(), Some("code"), "{:?}", replay.body);

    let connected = wait_for_account(&app, &token, &account_id, |a| a["status"] == "IDLE").await;
    assert_eq!(
        connected["username"], "jobs@example.test",
        "the mailbox comes from the ID token"
    );
    assert_eq!(connected["oauth"]["state"], "CONNECTED");
    assert_eq!(connected["oauth"]["mailboxAddress"], "jobs@example.test");
    dovecot.deliver(
        "jobs",
        None,
        &application_mail(
            "Mia Berg",
            "mia@example.org",
            "Bewerbung Buchhaltung",
            "mia-1@example.org",
        ),
    );
    within(LIMIT, wait_for_email_count(&app, &token, 1, LIMIT)).await;
    assert!(
        server.stats().await["introspections"].as_u64().unwrap() >= 1,
        "Dovecot asked the provider about the token"
    );

    // The main entity's sender: connect, then a mail to a candidate leaves by XOAUTH2.
    let landed = connect_mailbox(&app, &admin, &server, "SENDER_IDENTITY", &entity, "jobs@example.test").await;
    assert_eq!(landed, "/settings/outgoing");
    let sender = admin
        .gql(
            "query($id: ID!) { senderIdentity(legalEntityId: $id) { senderAddress channel outboundAccount { id host port username hasPassword oauth { state mailboxAddress } } } }",
            json!({"id": entity}),
        )
        .await;
    let sender = sender.data()["senderIdentity"].clone();
    assert_eq!(sender["channel"], "MICROSOFT");
    assert_eq!(sender["senderAddress"], "jobs@example.test");
    assert_eq!(sender["outboundAccount"]["port"], postfix.smtp_port);
    assert_eq!(sender["outboundAccount"]["hasPassword"], false);
    assert_eq!(sender["outboundAccount"]["oauth"]["state"], "CONNECTED");

    let candidate = create_candidate(&admin, "Mia", "Berg", "bulk@example.test").await;
    let queued = send(
        &admin,
        json!({"candidateId": candidate, "subject": "Ihre Bewerbung", "body": "Danke, Mia."}),
    )
    .await;
    let queued = queued.data()["sendMessage"].clone();
    let sent = wait_for_outbox(&app, &token, &id(&queued["id"]), |m| {
        m["status"] == "SENT" || m["status"] == "FAILED"
    })
    .await;
    assert_eq!(sent["status"], "SENT", "{sent}");
    let message_id = sent["messageId"].as_str().unwrap().to_owned();
    let raw = wait_for_mail(
        &dovecot,
        "bulk",
        LIMIT,
        || postfix.log(),
        |raw| raw.contains(&message_id),
    )
    .await;
    assert!(raw.contains("jobs@example.test"), "{raw}");
    assert!(
        postfix.log().contains("sasl_method=XOAUTH2"),
        "Postfix saw an XOAUTH2 login: {}",
        postfix.log()
    );

    // A state we did not issue, or one past its time, is refused, naming it.
    let forged = finish(
        &admin,
        &format!("{}/oauth/callback?code=abc&state=v1%3Aforged", app.address),
    )
    .await;
    assert_eq!(forged.field().as_deref(), Some("state"));
    assert!(
        forged.errors()[0]["message"]
            .as_str()
            .unwrap()
            .contains("not started by Talentpost")
    );
    let key = talentpost_server::crypto::SecretBox::from_key(&[0x11; 32]).unwrap();
    let expired = key.encrypt(
        &json!({"kind": "talentpost.oauth-connect.v1", "organisation_id": 1, "user_id": 1, "provider": "MICROSOFT",
                "purpose": "INBOUND_ACCOUNT", "target_id": account_id.parse::<i64>().unwrap(), "verifier": "x",
                "expires_at": chrono::Utc::now().timestamp() - 1})
        .to_string(),
    );
    let expired_url = reqwest::Url::parse_with_params(
        &format!("{}/oauth/callback", app.address),
        &[("code", "abc"), ("state", expired.as_str())],
    )
    .unwrap();
    let refused = finish(&admin, expired_url.as_str()).await;
    assert_eq!(refused.field().as_deref(), Some("state"));
    assert!(
        refused.errors()[0]["message"].as_str().unwrap().contains("expired"),
        "{:?}",
        refused.body
    );
    // Declining at the provider is reported as such.
    let url = start_connect(&admin, "INBOUND_ACCOUNT", &account_id).await;
    let declined = finish(&admin, &server.consent(&url, "jobs@example.test", false).await).await;
    assert!(
        declined.errors()[0]["message"]
            .as_str()
            .unwrap()
            .contains("cancelled or refused"),
        "{:?}",
        declined.body
    );

    // The API never returns a token.
    let everything = admin
        .gql(
            "{ oauthAccounts { id provider mailboxAddress state accessExpiresAt } }",
            json!({}),
        )
        .await;
    assert_eq!(everything.data()["oauthAccounts"].as_array().unwrap().len(), 2);
    for token in server.issued_refresh_tokens("jobs@example.test").await {
        assert!(!everything.body.to_string().contains(&token));
    }

    // Deleting the account deletes its connection and revokes the grant at the provider.
    let before = server.stats().await["revocations"].as_u64().unwrap();
    let deleted = admin
        .gql(
            "mutation($ids: [ID!]!) { deleteInboundAccounts(ids: $ids) }",
            json!({"ids": [account_id]}),
        )
        .await;
    assert!(deleted.errors().is_empty(), "{:?}", deleted.body);
    server.wait_for("revocations", before + 1).await;
    let left = admin.gql("{ oauthAccounts { mailboxAddress } }", json!({})).await;
    assert_eq!(
        left.data()["oauthAccounts"].as_array().unwrap().len(),
        1,
        "the sender's connection stays: {:?}",
        left.body
    );
}

async fn tokens_are_refreshed_before_expiry_and_a_rotated_refresh_token_replaces_the_old(backend: Backend) {
    // Access tokens live 4 seconds: the IMAP session ends before its token does and
    // signs in again with a refreshed one.
    let World {
        server,
        dovecot,
        postfix,
        app,
        admin,
        token,
    } = world(backend, &["--access-lifetime", "4"]).await;
    register_client(&admin, &server, &dovecot, &postfix).await;
    let account_id = id(&create_microsoft_account(&admin, "Bewerbungen").await["id"]);
    connect_mailbox(
        &app,
        &admin,
        &server,
        "INBOUND_ACCOUNT",
        &account_id,
        "jobs@example.test",
    )
    .await;

    dovecot.deliver(
        "jobs",
        None,
        &application_mail("Ali Kaya", "ali@example.org", "Bewerbung 1", "ali-1@example.org"),
    );
    within(LIMIT, wait_for_email_count(&app, &token, 1, LIMIT)).await;
    server.wait_for("refresh_token", 2).await;
    // Mail that arrives after the token changed hands is fetched too: nothing lost.
    dovecot.deliver(
        "jobs",
        None,
        &application_mail("Ali Kaya", "ali@example.org", "Bewerbung 2", "ali-2@example.org"),
    );
    within(LIMIT, wait_for_email_count(&app, &token, 2, LIMIT)).await;

    // Each refresh rotated the refresh token; Talentpost kept the newest, so the first
    // one is dead and Talentpost never presented a retired one.
    let issued = server.issued_refresh_tokens("jobs@example.test").await;
    assert!(issued.len() >= 3, "{issued:?}");
    assert_eq!(
        server.refresh_with(&issued[0]).await,
        400,
        "the first refresh token was retired by rotation"
    );
    let before = server.stats().await;
    server
        .wait_for("refresh_token", before["refresh_token"].as_u64().unwrap() + 1)
        .await;
    assert_eq!(
        server.stats().await["refresh_refused"],
        1,
        "only the test's own attempt with the retired token was refused"
    );
    let account = account(&admin, &account_id).await;
    assert_eq!(account["oauth"]["state"], "CONNECTED", "{account}");
}

async fn a_revoked_grant_needs_reauthorisation_tells_the_admins_and_spares_other_accounts(backend: Backend) {
    let World {
        server,
        mut dovecot,
        postfix,
        app,
        admin,
        token,
    } = world(backend, &[]).await;
    register_client(&admin, &server, &dovecot, &postfix).await;
    let oauth_account = id(&create_microsoft_account(&admin, "Microsoft jobs").await["id"]);
    connect_mailbox(
        &app,
        &admin,
        &server,
        "INBOUND_ACCOUNT",
        &oauth_account,
        "jobs@example.test",
    )
    .await;
    let password_account = id(&crate::mail_in::create_account(
        &admin,
        crate::mail_in::account_input(&dovecot, "sales", "INBOX"),
    )
    .await["id"]);
    wait_for_account(&app, &token, &oauth_account, |a| a["status"] == "IDLE").await;
    dovecot.deliver(
        "jobs",
        None,
        &application_mail("Eva Lind", "eva@example.org", "Bewerbung", "eva-1@example.org"),
    );
    dovecot.deliver(
        "sales",
        None,
        &application_mail("Tom Hahn", "tom@example.org", "Bewerbung", "tom-1@example.org"),
    );
    within(LIMIT, wait_for_email_count(&app, &token, 2, LIMIT)).await;
    let mut outbox_changes = connect(&app, None, json!({"authorization": format!("Bearer {token}")})).await;
    subscribe(
        &mut outbox_changes,
        "outbox",
        "subscription { outboxMessageChanged { purpose } }",
    )
    .await;

    // The mailbox owner withdraws consent; the servers drop every session.
    server.revoke_user("jobs@example.test").await;
    dovecot.stop();
    dovecot.resume();
    let failed = wait_for_account(&app, &token, &oauth_account, |a| a["statusProblem"] == "AUTHORIZATION").await;
    assert_eq!(failed["status"], "ERROR");
    assert_eq!(failed["oauth"]["state"], "REAUTHORIZATION_NEEDED");
    let detail = failed["statusDetail"].as_str().unwrap();
    assert!(
        detail.contains("Microsoft sign-in of jobs@example.test must be renewed") && detail.contains("invalid_grant"),
        "{detail}"
    );

    // The admins hear of it by mail through the system channel, once.
    pushed_until(&mut outbox_changes, LIMIT, |data| {
        data["outboxMessageChanged"]["purpose"] == "SYSTEM"
    })
    .await;
    let outbox = admin
        .gql(
            "{ outboxMessages(first: 20) { edges { node { purpose channel toAddress subject bodyText } } } }",
            json!({}),
        )
        .await;
    let notices: Vec<Value> = outbox.data()["outboxMessages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .filter(|mail| mail["purpose"] == "SYSTEM")
        .collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["toAddress"], ADMIN_EMAIL);
    assert_eq!(
        notices[0]["subject"],
        "Action needed: reconnect the mailbox jobs@example.test"
    );
    assert!(
        notices[0]["bodyText"]
            .as_str()
            .unwrap()
            .contains("Other mailboxes are not affected")
    );

    // The password account goes on as before.
    wait_for_account(&app, &token, &password_account, |a| a["status"] == "IDLE").await;
    dovecot.deliver(
        "sales",
        None,
        &application_mail("Ina Roth", "ina@example.org", "Bewerbung", "ina-1@example.org"),
    );
    within(LIMIT, wait_for_email_count(&app, &token, 3, LIMIT)).await;

    // Reconnecting revives the account where it left off: the next sync looks only at
    // the one new mail, not at the whole folder again.
    dovecot.deliver(
        "jobs",
        None,
        &application_mail("Eva Lind", "eva@example.org", "Nachtrag", "eva-2@example.org"),
    );
    connect_mailbox(
        &app,
        &admin,
        &server,
        "INBOUND_ACCOUNT",
        &oauth_account,
        "jobs@example.test",
    )
    .await;
    within(LIMIT, wait_for_email_count(&app, &token, 4, LIMIT)).await;
    let revived = wait_for_account(&app, &token, &oauth_account, |a| a["status"] == "IDLE").await;
    assert_eq!(revived["oauth"]["state"], "CONNECTED");
    assert_eq!(
        revived["syncTotal"], 1,
        "the sync position survived the reconnect: {revived}"
    );

    // Disconnecting deletes the tokens and says so on the account.
    let connection = id(&revived["oauth"]["id"]);
    let disconnected = admin
        .gql(
            "mutation($id: ID!) { disconnectOauth(accountId: $id) { state } }",
            json!({"id": connection}),
        )
        .await;
    assert_eq!(disconnected.data()["disconnectOauth"]["state"], "DISCONNECTED");
    server.wait_for("revocations", 1).await;
    let after = account(&admin, &oauth_account).await;
    assert_eq!(after["statusProblem"], "AUTHORIZATION", "{after}");
}

async fn concurrent_uses_share_one_refresh_and_mail_waits_for_a_reconnect(backend: Backend) {
    let World {
        server,
        dovecot,
        postfix,
        app,
        admin,
        token,
    } = world(backend, &[]).await;
    register_client(&admin, &server, &dovecot, &postfix).await;
    connect_mailbox(
        &app,
        &admin,
        &server,
        "SENDER_IDENTITY",
        &main_entity(&admin).await,
        "jobs@example.test",
    )
    .await;

    // The provider ends the tokens early: the servers refuse the one Talentpost holds,
    // five mails fail their first attempt together, and their retries share a refresh.
    server.expire_access_tokens().await;
    let candidate = create_candidate(&admin, "Lea", "Vogt", "bulk@example.test").await;
    let mut queued = Vec::new();
    for n in 0..5 {
        let mail = send(
            &admin,
            json!({"candidateId": candidate, "subject": format!("Nachricht {n}"), "body": "Hallo Lea"}),
        )
        .await;
        queued.push(id(&mail.data()["sendMessage"]["id"]));
    }
    for message in &queued {
        let done = wait_for_outbox(&app, &token, message, |m| {
            m["status"] == "SENT" || m["status"] == "FAILED"
        })
        .await;
        assert_eq!(done["status"], "SENT", "{done}");
    }
    let stats = server.stats().await;
    assert_eq!(stats["refresh_token"], 1, "one refresh for all five mails: {stats}");

    // Without a connection, mail waits in the outbox saying why, and goes out once the
    // mailbox is connected again.
    let connections = admin.gql("{ oauthAccounts { id } }", json!({})).await;
    let connection = id(&connections.data()["oauthAccounts"][0]["id"]);
    let disconnected = admin
        .gql(
            "mutation($id: ID!) { disconnectOauth(accountId: $id) { state } }",
            json!({"id": connection}),
        )
        .await;
    assert_eq!(disconnected.data()["disconnectOauth"]["state"], "DISCONNECTED");
    let waiting = send(
        &admin,
        json!({"candidateId": candidate, "subject": "Nach dem Trennen", "body": "Hallo Lea"}),
    )
    .await;
    let waiting = id(&waiting.data()["sendMessage"]["id"]);
    let held = wait_for_outbox(&app, &token, &waiting, |m| m["lastProblem"] == "AUTHORIZATION").await;
    assert_eq!(held["status"], "RETRYING", "{held}");
    connect_mailbox(
        &app,
        &admin,
        &server,
        "SENDER_IDENTITY",
        &main_entity(&admin).await,
        "jobs@example.test",
    )
    .await;
    let sent = wait_for_outbox(&app, &token, &waiting, |m| m["status"] == "SENT").await;
    let message_id = sent["messageId"].as_str().unwrap().to_owned();
    wait_for_mail(
        &dovecot,
        "bulk",
        LIMIT,
        || postfix.log(),
        |raw| raw.contains(&message_id),
    )
    .await;
}

crate::on_both_databases!(
    a_microsoft_mailbox_is_connected_through_the_callback_and_reads_and_sends_by_xoauth2,
    tokens_are_refreshed_before_expiry_and_a_rotated_refresh_token_replaces_the_old,
    a_revoked_grant_needs_reauthorisation_tells_the_admins_and_spares_other_accounts,
    concurrent_uses_share_one_refresh_and_mail_waits_for_a_reconnect,
);

/// Two server processes on one PostgreSQL send through one connection whose token the
/// provider ended early: both find it refused, and the claim on the row lets only one of
/// them refresh (with rotation, a second refresh with the same token would be refused
/// and wrongly ask for reauthorisation).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_share_one_refresh() {
    let World {
        server,
        dovecot,
        postfix,
        app,
        admin,
        token,
    } = world(Backend::Postgres, &[]).await;
    let database_url = app.database_url.clone();
    let second = TestApp::spawn_with(Backend::Postgres, move |config| {
        config.database_url = Some(database_url);
        config.outbox_retry_seconds = 1;
        config.outbox_retry_max_seconds = 2;
        config.mail_workers = false;
    })
    .await;
    let other_admin = second.admin().await;
    register_client(&admin, &server, &dovecot, &postfix).await;
    connect_mailbox(
        &app,
        &admin,
        &server,
        "SENDER_IDENTITY",
        &main_entity(&admin).await,
        "jobs@example.test",
    )
    .await;
    let candidate = create_candidate(&admin, "Nora", "Weiss", "bulk@example.test").await;

    // Refreshes take a while, so the two processes' overlap; with rotation, a second
    // refresh with the same token would be refused.
    server.settings(json!({"refresh_delay": 1.5})).await;
    server.expire_access_tokens().await;
    let mut queued = Vec::new();
    for n in 0..10 {
        let client = if n % 2 == 0 { &admin } else { &other_admin };
        let mail = send(
            client,
            json!({"candidateId": candidate, "subject": format!("Zwei Prozesse {n}"), "body": "Hallo Nora"}),
        )
        .await;
        queued.push(id(&mail.data()["sendMessage"]["id"]));
    }
    for message in &queued {
        let done = wait_for_outbox(&app, &token, message, |m| {
            m["status"] == "SENT" || m["status"] == "FAILED"
        })
        .await;
        assert_eq!(done["status"], "SENT", "{done}");
    }
    let stats = server.stats().await;
    assert_eq!(stats["refresh_token"], 1, "one refresh across both processes: {stats}");
    assert_eq!(stats["refresh_refused"], 0, "{stats}");
    let connections = admin.gql("{ oauthAccounts { state } }", json!({})).await;
    assert_eq!(connections.data()["oauthAccounts"][0]["state"], "CONNECTED");
}
