//! Mail in, against a real Dovecot per test: inbound accounts over GraphQL, the sync
//! (IDLE, UIDVALIDITY, outages) and what the stored mail looks like from outside.

use std::time::Duration;

use serde_json::{Value, json};

use crate::dovecot::{APPLICATIONS_FOLDER, Dovecot, PASSWORD, application_mail};
use crate::helpers::{Backend, Client, TestApp, id, within};
use crate::subscriptions::{Socket, api_token, connect, next_message, subscribe, wait_for};

const ACCOUNT_FIELDS: &str = "id label host port security username folder active status statusProblem statusDetail \
                              syncDone syncTotal lastSuccessAt legalEntityId userGroupId";

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |config| {
        config.mail_retry_max_seconds = 2;
        config.mail_poll_seconds = 30;
    })
    .await
}

pub(crate) fn account_input(dovecot: &Dovecot, user: &str, folder: &str) -> Value {
    json!({
        "label": format!("Postfach {user}"),
        "host": "127.0.0.1",
        "port": dovecot.imap_port,
        "security": "UNENCRYPTED",
        "allowPlaintext": true,
        "username": user,
        "password": PASSWORD,
        "folder": folder,
    })
}

pub(crate) async fn create_account(admin: &Client, input: Value) -> Value {
    let created = admin
        .gql(
            &format!("mutation($input: InboundAccountInput!) {{ createInboundAccount(input: $input) {{ {ACCOUNT_FIELDS} }} }}"),
            json!({"input": input}),
        )
        .await;
    created.data()["createInboundAccount"].clone()
}

async fn sync(admin: &Client, account: &str) -> Value {
    let synced = admin
        .gql(
            &format!(
                "mutation($id: ID!) {{ syncInboundAccount(id: $id) {{ stored alreadyKnown alreadyRunning account {{ {ACCOUNT_FIELDS} }} }} }}"
            ),
            json!({"id": account}),
        )
        .await;
    synced.data()["syncInboundAccount"].clone()
}

/// Waits for the account's status to satisfy `done`, on the status subscription
/// (which starts with the current state, so nothing reached earlier is missed).
async fn wait_for_account(
    app: &TestApp,
    token: &str,
    account_id: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut socket = connect(app, None, json!({"authorization": format!("Bearer {token}")})).await;
    let query = format!("subscription {{ inboundAccountStatusChanged {{ {ACCOUNT_FIELDS} }} }}");
    let data = wait_for(&mut socket, &query, limit, |data| {
        let account = &data["inboundAccountStatusChanged"];
        account["id"] == account_id && done(account)
    })
    .await;
    data["inboundAccountStatusChanged"].clone()
}

/// Waits until the inbox holds at least `count` unassigned e-mail items.
pub(crate) async fn wait_for_email_count(app: &TestApp, token: &str, count: u64, limit: Duration) {
    let mut socket = connect(app, None, json!({"authorization": format!("Bearer {token}")})).await;
    wait_for(
        &mut socket,
        "subscription { inboxCountsChanged { email } }",
        limit,
        |data| {
            data["inboxCountsChanged"]["email"]
                .as_u64()
                .is_some_and(|email| email >= count)
        },
    )
    .await;
}

/// IMAP APPEND by a plain client, as a mail program filing a message would.
async fn append(dovecot: &Dovecot, user: &str, folder: &str, raw: &[u8]) {
    let settings = talentpost_server::mail::imap::ImapSettings {
        host: "127.0.0.1".into(),
        port: dovecot.imap_port,
        security: talentpost_shared::MailSecurity::Unencrypted,
        accept_invalid_certs: false,
        username: user.into(),
        login: talentpost_server::mail::imap::ImapLogin::Password(PASSWORD.into()),
    };
    let tls = talentpost_server::mail::tls::MailTls::new().unwrap();
    let mut session = talentpost_server::mail::imap::connect(&tls, &settings).await.unwrap();
    session.append(folder, None, None, raw).await.unwrap();
    session.logout().await.unwrap();
}

async fn email_items(client: &Client, state: &str) -> Vec<Value> {
    let listed = client
        .gql(
            "query($state: InboxState) { inboxItems(medium: EMAIL, state: $state, first: 50) { edges { node { \
             id subject senderName senderEmail preview state matchedCandidate { id } \
             documents { fileName contentType sizeBytes } \
             mail { messageId from { name address } to { address } subject sentAt textBody htmlBody parseStatus source automaticReason } \
             } } } }",
            json!({"state": state}),
        )
        .await;
    listed.data()["inboxItems"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

async fn mail_folders_come_from_the_server_and_accounts_keep_their_password_secret(backend: Backend) {
    let app = spawn(backend).await;
    let dovecot = Dovecot::start();
    let admin = app.admin().await;

    // Fetch folders before saving: the form offers the server's own list.
    let folders = admin
        .gql(
            "query($input: MailConnectionInput!) { listMailFolders(input: $input) { name selectable } }",
            json!({"input": {"host": "127.0.0.1", "port": dovecot.imap_port, "security": "UNENCRYPTED", "allowPlaintext": true,
                              "username": "jobs", "password": PASSWORD}}),
        )
        .await;
    let names: Vec<&str> = folders.data()["listMailFolders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["INBOX", APPLICATIONS_FOLDER]);

    // A wrong password names the stage.
    let refused = admin
        .gql(
            "query($input: MailConnectionInput!) { listMailFolders(input: $input) { name } }",
            json!({"input": {"host": "127.0.0.1", "port": dovecot.imap_port, "security": "UNENCRYPTED", "allowPlaintext": true,
                              "username": "jobs", "password": "wrong"}}),
        )
        .await;
    assert_eq!(refused.code(), "MAIL_SERVER");
    assert_eq!(refused.errors()[0]["extensions"]["problem"], "LOGIN");

    // Implicit TLS with Dovecot's self-signed certificate: refused until the admin
    // accepts invalid certificates for this account; STARTTLS likewise.
    let tls_query = "query($input: MailConnectionInput!) { listMailFolders(input: $input) { name } }";
    let tls_input = |port: u16, security: &str, accept: bool| {
        json!({"input": {"host": "localhost", "port": port, "security": security, "acceptInvalidCerts": accept,
                         "username": "jobs", "password": PASSWORD}})
    };
    let untrusted = admin.gql(tls_query, tls_input(dovecot.imaps_port, "TLS", false)).await;
    assert_eq!(
        untrusted.errors()[0]["extensions"]["problem"],
        "TLS",
        "{}",
        untrusted.body
    );
    assert!(
        untrusted.errors()[0]["message"]
            .as_str()
            .unwrap()
            .contains("certificate"),
        "{}",
        untrusted.body
    );
    assert_eq!(
        admin
            .gql(tls_query, tls_input(dovecot.imaps_port, "TLS", true))
            .await
            .code(),
        "OK"
    );
    assert_eq!(
        admin
            .gql(tls_query, tls_input(dovecot.imap_port, "STARTTLS", true))
            .await
            .code(),
        "OK"
    );
    let closed_port = admin.gql(tls_query, tls_input(dovecot.lmtp_port, "TLS", true)).await;
    assert_eq!(closed_port.code(), "MAIL_SERVER");

    // Unencrypted needs an explicit opt-in.
    let mut plain = account_input(&dovecot, "jobs", APPLICATIONS_FOLDER);
    plain["allowPlaintext"] = json!(false);
    let rejected = admin
        .gql(
            "mutation($input: InboundAccountInput!) { createInboundAccount(input: $input) { id } }",
            json!({"input": plain}),
        )
        .await;
    assert_eq!(rejected.code(), "INVALID_INPUT");
    assert_eq!(rejected.field().as_deref(), Some("security"));

    let created = create_account(&admin, account_input(&dovecot, "jobs", APPLICATIONS_FOLDER)).await;
    assert_eq!(created["folder"], APPLICATIONS_FOLDER);
    assert_eq!(created["security"], "UNENCRYPTED");
    // The schema has no password field at all; the listing must not leak it either.
    let listed = admin.gql("{ inboundAccounts { id label username } }", json!({})).await;
    assert!(!listed.body.to_string().contains(PASSWORD));
    let password_query = admin.gql("{ inboundAccounts { password } }", json!({})).await;
    assert!(!password_query.errors().is_empty(), "a password field must not exist");

    // The stored password only ever goes to the server it was entered for.
    let elsewhere = admin
        .gql(
            "query($id: ID!) { listMailFolders(input: {host: \"collector.example.org\"}, accountId: $id) { name } }",
            json!({"id": id(&created["id"])}),
        )
        .await;
    assert_eq!(
        (elsewhere.code(), elsewhere.field()),
        ("INVALID_INPUT".to_owned(), Some("password".to_owned()))
    );
    let moved = admin
        .gql(
            "mutation($id: ID!) { updateInboundAccount(id: $id, input: {host: \"collector.example.org\"}) { host } }",
            json!({"id": id(&created["id"])}),
        )
        .await;
    assert_eq!(moved.field().as_deref(), Some("password"));

    // Editing without a password keeps the stored one: fetching folders for the saved account works.
    let account_id = id(&created["id"]);
    let folders = admin
        .gql(
            "query($id: ID!) { listMailFolders(input: {}, accountId: $id) { name } }",
            json!({"id": account_id}),
        )
        .await;
    assert_eq!(folders.data()["listMailFolders"].as_array().unwrap().len(), 2);
    let renamed = admin
        .gql(
            "mutation($id: ID!) { updateInboundAccount(id: $id, input: {label: \"Bewerbungen Nord\"}) { label } }",
            json!({"id": account_id}),
        )
        .await;
    assert_eq!(renamed.data()["updateInboundAccount"]["label"], "Bewerbungen Nord");

    let deleted = admin
        .gql(
            "mutation($ids: [ID!]!) { deleteInboundAccounts(ids: $ids) }",
            json!({"ids": [account_id]}),
        )
        .await;
    assert_eq!(deleted.data()["deleteInboundAccounts"], json!([account_id]));
    assert_eq!(
        admin.gql("{ inboundAccounts { id } }", json!({})).await.data()["inboundAccounts"],
        json!([])
    );
}

async fn appended_and_delivered_mail_becomes_inbox_items_without_touching_the_mailbox(backend: Backend) {
    let app = spawn(backend).await;
    let dovecot = Dovecot::start();
    let admin = app.admin().await;
    // A known candidate: the mail from her address is matched.
    let candidate = admin
        .gql(
            "mutation { createCandidate(input: {firstName: \"Jana\", lastName: \"Neumann\", emails: [\"jana.neumann@example.org\"]}) { id } }",
            json!({}),
        )
        .await;
    let candidate_id = id(&candidate.data()["createCandidate"]["id"]);

    dovecot.deliver(
        "jobs",
        Some(APPLICATIONS_FOLDER),
        &application_mail(
            "Jana Neumann",
            "Jana.Neumann@example.org",
            "Bewerbung Lager",
            "lager-1@example.org",
        ),
    );
    let with_attachment = concat!(
        "From: =?UTF-8?Q?J=C3=B6rg_B=C3=A4r?= <joerg@example.org>\r\n",
        "To: jobs@firma.example\r\nSubject: =?UTF-8?Q?Bewerbung_f=C3=BCr_IT?=\r\nMessage-ID: <it-1@example.org>\r\n",
        "Date: Tue, 01 Dec 2026 08:30:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n",
        "--XX\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hallo <b>Team</b></p><script>alert(1)</script>\r\n",
        "--XX\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n",
        "Content-Disposition: attachment; filename*=UTF-8''Lebenslauf%20J%C3%B6rg.pdf\r\n\r\nJVBERi0xLjQK\r\n--XX--\r\n"
    );
    append(&dovecot, "jobs", APPLICATIONS_FOLDER, with_attachment.as_bytes()).await;
    // Mail in another folder is not the account's business.
    dovecot.deliver(
        "jobs",
        None,
        &application_mail("Otto", "otto@example.org", "Newsletter", "inbox-1@example.org"),
    );

    let created = create_account(&admin, account_input(&dovecot, "jobs", APPLICATIONS_FOLDER)).await;
    let account_id = id(&created["id"]);
    let token = api_token(&app).await;
    wait_for_account(&app, &token, &account_id, Duration::from_secs(20), |a| {
        a["status"] == "IDLE"
    })
    .await;

    let items = email_items(&admin, "UNASSIGNED").await;
    assert_eq!(items.len(), 2, "{items:?}");
    let jana = items
        .iter()
        .find(|i| i["subject"] == "Bewerbung Lager")
        .expect("Jana's mail");
    assert_eq!(jana["senderName"], "Jana Neumann");
    assert_eq!(jana["senderEmail"], "Jana.Neumann@example.org");
    assert_eq!(jana["matchedCandidate"]["id"], json!(candidate_id));
    assert_eq!(jana["mail"]["messageId"], "lager-1@example.org");
    assert_eq!(jana["mail"]["source"], "IMAP");
    assert!(jana["preview"].as_str().unwrap().contains("anbei meine Bewerbung"));

    let joerg = items
        .iter()
        .find(|i| i["senderEmail"] == "joerg@example.org")
        .expect("Jörg's mail");
    assert_eq!(joerg["subject"], "Bewerbung für IT");
    assert_eq!(joerg["senderName"], "Jörg Bär");
    assert_eq!(joerg["mail"]["sentAt"], "2026-12-01T07:30:00+00:00");
    assert_eq!(joerg["mail"]["to"], json!([{"address": "jobs@firma.example"}]));
    assert!(joerg["matchedCandidate"].is_null());
    let html = joerg["mail"]["htmlBody"].as_str().unwrap();
    assert!(html.contains("<b>Team</b>") && !html.contains("script"), "{html}");
    assert_eq!(
        joerg["documents"],
        json!([{"fileName": "Lebenslauf Jörg.pdf", "contentType": "application/pdf", "sizeBytes": 9}])
    );

    // Nothing was marked read, moved or deleted on the server.
    assert_eq!(dovecot.counts("jobs", APPLICATIONS_FOLDER), (2, 0));
    assert_eq!(dovecot.counts("jobs", "INBOX"), (1, 0));

    // Syncing again stores nothing twice.
    let again = sync(&admin, &account_id).await;
    assert_eq!(again["stored"], 0);
    assert_eq!(email_items(&admin, "UNASSIGNED").await.len(), 2);
}

async fn a_mail_delivered_during_idle_arrives_on_the_subscription_within_two_seconds(backend: Backend) {
    let app = spawn(backend).await;
    let dovecot = Dovecot::start();
    let admin = app.admin().await;
    let created = create_account(&admin, account_input(&dovecot, "jobs", APPLICATIONS_FOLDER)).await;
    let account_id = id(&created["id"]);
    let token = api_token(&app).await;
    wait_for_account(&app, &token, &account_id, Duration::from_secs(20), |a| {
        a["status"] == "IDLE"
    })
    .await;

    let mut socket: Socket = connect(&app, None, json!({"authorization": format!("Bearer {token}")})).await;
    subscribe(
        &mut socket,
        "live",
        "subscription { inboxItemAdded(medium: EMAIL) { subject senderEmail } }",
    )
    .await;
    // The subscription is registered asynchronously: deliver warm-up mails until one
    // arrives, then time a fresh delivery.
    within(Duration::from_secs(20), async {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mail = application_mail(
                "Warm",
                "warm@example.org",
                &format!("Warmup {attempt}"),
                &format!("warm-{attempt}@x"),
            );
            dovecot.deliver("jobs", Some(APPLICATIONS_FOLDER), &mail);
            if let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(1500), next_message(&mut socket)).await {
                break;
            }
        }
    })
    .await;
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(300), next_message(&mut socket)).await {}

    dovecot.deliver(
        "jobs",
        Some(APPLICATIONS_FOLDER),
        &application_mail("Lea", "lea@example.org", "Live per IDLE", "idle-1@example.org"),
    );
    let message = within(Duration::from_secs(2), next_message(&mut socket))
        .await
        .expect("an event");
    assert_eq!(
        message["payload"]["data"]["inboxItemAdded"],
        json!({"subject": "Live per IDLE", "senderEmail": "lea@example.org"})
    );
}

async fn a_uidvalidity_change_rescans_without_duplicates(backend: Backend) {
    let app = spawn(backend).await;
    let dovecot = Dovecot::start();
    let admin = app.admin().await;
    dovecot.deliver(
        "jobs",
        Some(APPLICATIONS_FOLDER),
        &application_mail("A", "a@example.org", "Eins", "one@example.org"),
    );
    dovecot.deliver(
        "jobs",
        Some(APPLICATIONS_FOLDER),
        &application_mail("B", "b@example.org", "Zwei", "two@example.org"),
    );
    // Without a Message-ID the content hash recognises the mail.
    dovecot.deliver(
        "jobs",
        Some(APPLICATIONS_FOLDER),
        b"From: C <c@example.org>\r\nTo: jobs@firma.example\r\nSubject: Drei ohne ID\r\n\r\nText\r\n",
    );
    let mut input = account_input(&dovecot, "jobs", APPLICATIONS_FOLDER);
    input["active"] = json!(false);
    let account_id = id(&create_account(&admin, input).await["id"]);
    assert_eq!(sync(&admin, &account_id).await["stored"], 3);

    dovecot.set_uid_validity("jobs", APPLICATIONS_FOLDER, 4242);
    let rescanned = sync(&admin, &account_id).await;
    assert_eq!(
        (rescanned["stored"].as_u64(), rescanned["alreadyKnown"].as_u64()),
        (Some(0), Some(2)),
        "{rescanned}"
    );
    assert_eq!(email_items(&admin, "UNASSIGNED").await.len(), 3);

    // A new mail after the change is picked up normally.
    dovecot.deliver(
        "jobs",
        Some(APPLICATIONS_FOLDER),
        &application_mail("D", "d@example.org", "Vier", "four@example.org"),
    );
    assert_eq!(sync(&admin, &account_id).await["stored"], 1);
    assert_eq!(email_items(&admin, "UNASSIGNED").await.len(), 4);

    // "Fetch again since" looks at everything from that date and still stores nothing twice.
    let refetch = admin
        .gql(
            "mutation($id: ID!) { syncInboundAccount(id: $id, since: \"2020-01-01\") { stored alreadyKnown } }",
            json!({"id": account_id}),
        )
        .await;
    assert_eq!(refetch.data()["syncInboundAccount"]["stored"], 0);
    assert_eq!(email_items(&admin, "UNASSIGNED").await.len(), 4);
}

async fn failing_accounts_report_why_and_the_others_keep_syncing(backend: Backend) {
    let app = spawn(backend).await;
    let mut dovecot = Dovecot::start();
    let admin = app.admin().await;
    let mut wrong_password = account_input(&dovecot, "sales", "INBOX");
    wrong_password["password"] = json!("not-the-password");
    let wrong_password = id(&create_account(&admin, wrong_password).await["id"]);
    let mut unknown_host = account_input(&dovecot, "sales", "INBOX");
    unknown_host["host"] = json!("mail.does-not-exist.invalid");
    let unknown_host = id(&create_account(&admin, unknown_host).await["id"]);
    let missing_folder = id(&create_account(&admin, account_input(&dovecot, "sales", "Gibt-es-nicht")).await["id"]);
    let good = id(&create_account(&admin, account_input(&dovecot, "jobs", APPLICATIONS_FOLDER)).await["id"]);

    let limit = Duration::from_secs(20);
    let token = api_token(&app).await;
    let login = wait_for_account(&app, &token, &wrong_password, limit, |a| a["status"] == "ERROR").await;
    assert_eq!(login["statusProblem"], "LOGIN", "{login}");
    assert!(
        login["statusDetail"].as_str().unwrap().contains("refused the login"),
        "{login}"
    );
    let dns = wait_for_account(&app, &token, &unknown_host, limit, |a| a["status"] == "ERROR").await;
    assert_eq!(dns["statusProblem"], "DNS", "{dns}");
    let folder = wait_for_account(&app, &token, &missing_folder, limit, |a| a["status"] == "ERROR").await;
    assert_eq!(folder["statusProblem"], "FOLDER_MISSING", "{folder}");
    assert!(
        folder["statusDetail"].as_str().unwrap().contains("Gibt-es-nicht"),
        "{folder}"
    );

    let idle = wait_for_account(&app, &token, &good, limit, |a| a["status"] == "IDLE").await;
    assert!(idle["lastSuccessAt"].is_string());
    dovecot.deliver(
        "jobs",
        Some(APPLICATIONS_FOLDER),
        &application_mail("Ok", "ok@example.org", "Trotzdem da", "ok-1@example.org"),
    );
    wait_for_email_count(&app, &token, 1, limit).await;

    // The server goes away: the account says so, with the stage.
    dovecot.stop();
    let down = wait_for_account(&app, &token, &good, limit, |a| a["status"] == "ERROR").await;
    assert_eq!(down["statusProblem"], "CONNECT", "{down}");
    assert!(down["lastSuccessAt"].is_string(), "the last success stays visible");

    // It comes back: the account recovers by itself and picks up what arrived meanwhile.
    dovecot.resume();
    dovecot.deliver(
        "jobs",
        Some(APPLICATIONS_FOLDER),
        &application_mail("Zurück", "back@example.org", "Nach dem Ausfall", "back-1@example.org"),
    );
    wait_for_account(&app, &token, &good, Duration::from_secs(30), |a| a["status"] == "IDLE").await;
    wait_for_email_count(&app, &token, 2, limit).await;
}

async fn the_status_subscription_reports_progress(backend: Backend) {
    let app = spawn(backend).await;
    let dovecot = Dovecot::start();
    let admin = app.admin().await;
    dovecot.fill_maildir(
        "bulk",
        APPLICATIONS_FOLDER,
        (0..30).map(|n| application_mail("S", "s@example.org", &format!("S{n}"), &format!("s-{n}@x"))),
    );
    let mut input = account_input(&dovecot, "bulk", APPLICATIONS_FOLDER);
    input["active"] = json!(false);
    let account_id = id(&create_account(&admin, input).await["id"]);

    let token = api_token(&app).await;
    let mut socket: Socket = connect(&app, None, json!({"authorization": format!("Bearer {token}")})).await;
    subscribe(
        &mut socket,
        "s",
        "subscription { inboundAccountStatusChanged { label status syncDone syncTotal } }",
    )
    .await;
    // The subscription starts with the current state, so once that arrives it is live.
    let first = within(Duration::from_secs(5), next_message(&mut socket))
        .await
        .expect("the current state");
    assert_eq!(
        first["payload"]["data"]["inboundAccountStatusChanged"]["status"], "DISABLED",
        "{first}"
    );
    let activated = admin
        .gql(
            "mutation($id: ID!) { updateInboundAccount(id: $id, input: {active: true}) { status } }",
            json!({"id": account_id}),
        )
        .await;
    assert_eq!(activated.data()["updateInboundAccount"]["status"], "PENDING");
    let mut seen = Vec::new();
    within(Duration::from_secs(20), async {
        while let Some(message) = next_message(&mut socket).await {
            let status = message["payload"]["data"]["inboundAccountStatusChanged"].clone();
            seen.push(status.clone());
            if status["status"] == "IDLE" {
                break;
            }
        }
    })
    .await;
    assert!(
        seen.iter().any(|s| s["status"] == "SYNCING" && s["syncTotal"] == 30),
        "{seen:?}"
    );
    assert_eq!(seen.last().unwrap()["syncDone"], 30, "{seen:?}");
}

crate::on_both_databases!(
    mail_folders_come_from_the_server_and_accounts_keep_their_password_secret,
    appended_and_delivered_mail_becomes_inbox_items_without_touching_the_mailbox,
    a_mail_delivered_during_idle_arrives_on_the_subscription_within_two_seconds,
    a_uidvalidity_change_rescans_without_duplicates,
    failing_accounts_report_why_and_the_others_keep_syncing,
    the_status_subscription_reports_progress,
);

mod access {
    use serde_json::json;

    use crate::fixtures::cast;
    use crate::helpers::{Backend, TestApp, id};

    /// Who may see and change which mail accounts: admins all, company admins those of
    /// their legal entities, recruiters none. Creating an inactive account needs no server.
    async fn mail_accounts_follow_the_legal_entity_scope(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let c = cast(&app).await;
        let create =
            "mutation($input: InboundAccountInput!) { createInboundAccount(input: $input) { id legalEntityId } }";
        let input = |label: &str, entity: &str| {
            json!({"input": {"label": label, "host": "imap.example.org", "username": "jobs", "password": "pw",
                             "legalEntityId": entity, "active": false}})
        };
        let of_a =
            id(&c.company_admin_a.gql(create, input("A", &c.entity_a)).await.data()["createInboundAccount"]["id"]);
        let of_b = id(&c.admin.gql(create, input("B", &c.entity_b)).await.data()["createInboundAccount"]["id"]);
        assert_eq!(
            c.company_admin_a.gql(create, input("A2", &c.entity_b)).await.code(),
            "FORBIDDEN"
        );

        let listed = |labels: &serde_json::Value| {
            labels["inboundAccounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["label"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        let list = "{ inboundAccounts { label } }";
        assert_eq!(listed(c.admin.gql(list, json!({})).await.data()), vec!["A", "B"]);
        assert_eq!(listed(c.company_admin_a.gql(list, json!({})).await.data()), vec!["A"]);
        assert_eq!(listed(c.token.gql(list, json!({})).await.data()), vec!["A", "B"]);
        assert_eq!(c.recruiter_in_g.gql(list, json!({})).await.code(), "FORBIDDEN");
        assert_eq!(c.anonymous.gql(list, json!({})).await.code(), "UNAUTHENTICATED");

        let rename = "mutation($id: ID!) { updateInboundAccount(id: $id, input: {label: \"X\"}) { label } }";
        assert_eq!(
            c.company_admin_a.gql(rename, json!({"id": of_b})).await.code(),
            "NOT_FOUND"
        );
        assert_eq!(c.company_admin_b.gql(rename, json!({"id": of_b})).await.code(), "OK");
        let delete = "mutation($ids: [ID!]!) { deleteInboundAccounts(ids: $ids) }";
        // All or nothing: one account out of scope keeps both.
        assert_eq!(
            c.company_admin_a.gql(delete, json!({"ids": [of_a, of_b]})).await.code(),
            "NOT_FOUND"
        );
        assert_eq!(listed(c.admin.gql(list, json!({})).await.data()).len(), 2);
        // Moving an account to a company one does not administer is refused.
        let move_to_b =
            "mutation($id: ID!, $e: ID!) { updateInboundAccount(id: $id, input: {legalEntityId: $e}) { id } }";
        assert_eq!(
            c.company_admin_a
                .gql(move_to_b, json!({"id": of_a, "e": c.entity_b}))
                .await
                .code(),
            "FORBIDDEN"
        );
    }

    crate::on_both_databases!(mail_accounts_follow_the_legal_entity_scope);
}
