//! Mail out, against a real Postfix relaying into a real Dovecot (and Postfix's
//! smtp-sink for faults), each started per test: outgoing accounts and their
//! diagnostics, the sender per legal entity, the outbox and the contact history.

use std::time::Duration;

use serde_json::{Value, json};

use crate::dovecot::{Dovecot, PASSWORD};
use crate::helpers::{Backend, Client, TestApp, id};
use crate::mailbox::{header, html_body, text_body, wait_for_mail};
use crate::postfix::{Postfix, SmtpSink};
use crate::subscriptions::{api_token, connect, wait_for};

pub(crate) const OUTBOX_FIELDS: &str = "id status purpose channel fromAddress fromName toAddress replyToAddress subject bodyText \
                                        messageId attempts interruptedAttempts lastProblem lastReply lastReplyCode sentAt nextAttemptAt candidateId";
const TEST_RESULT: &str = "ok problem message replyCode steps { stage detail } testMessage { id status lastReply }";
const LIMIT: Duration = Duration::from_secs(20);

pub(crate) async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |config| {
        config.outbox_retry_seconds = 1;
        config.outbox_retry_max_seconds = 2;
        config.mail_workers = false;
    })
    .await
}

pub(crate) fn postfix_account(postfix: &Postfix, user: &str) -> Value {
    json!({
        "label": format!("SMTP {user}"),
        "host": "127.0.0.1",
        "port": postfix.smtp_port,
        "security": "STARTTLS",
        // The test server's certificate is self-signed for "localhost".
        "acceptInvalidCerts": true,
        "username": user,
        "password": PASSWORD,
    })
}

pub(crate) fn sink_account(sink: &SmtpSink) -> Value {
    json!({"label": "Sink", "host": "127.0.0.1", "port": sink.port, "security": "UNENCRYPTED", "allowPlaintext": true, "username": ""})
}

pub(crate) async fn create_outbound(admin: &Client, input: Value) -> Value {
    let created = admin
        .gql(
            "mutation($input: OutboundAccountInput!) { createOutboundAccount(input: $input) { id label isSystemDefault host port security username hasPassword signatureHtml signatureText } }",
            json!({"input": input}),
        )
        .await;
    created.data()["createOutboundAccount"].clone()
}

pub(crate) async fn create_candidate(admin: &Client, first: &str, last: &str, email: &str) -> String {
    let created = admin
        .gql(
            "mutation($input: CreateCandidateInput!) { createCandidate(input: $input) { id } }",
            json!({"input": {"firstName": first, "lastName": last, "emails": [email]}}),
        )
        .await;
    id(&created.data()["createCandidate"]["id"])
}

pub(crate) async fn send(client: &Client, input: Value) -> crate::helpers::GqlResponse {
    client
        .gql(
            &format!("mutation($input: SendMessageInput!) {{ sendMessage(input: $input) {{ {OUTBOX_FIELDS} }} }}"),
            json!({"input": input}),
        )
        .await
}

pub(crate) async fn set_sender(admin: &Client, entity: &str, input: Value) -> crate::helpers::GqlResponse {
    admin
        .gql(
            "mutation($entity: ID!, $input: SenderIdentityInput!) { setSenderIdentity(legalEntityId: $entity, input: $input) { \
             legalEntityId inherited sourceLegalEntityId senderAddress senderNameMode senderName channel usesBuiltinChannel outboundAccount { id } } }",
            json!({"entity": entity, "input": input}),
        )
        .await
}

/// Waits for the mail's status to satisfy `done`, on its status subscription (which
/// starts with the current state, so nothing reached earlier is missed).
pub(crate) async fn wait_for_outbox(
    app: &TestApp,
    token: &str,
    message_id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut socket = connect(app, None, json!({"authorization": format!("Bearer {token}")})).await;
    let query = format!("subscription {{ outboxMessageChanged(id: \"{message_id}\") {{ {OUTBOX_FIELDS} }} }}");
    let data = wait_for(&mut socket, &query, LIMIT, |data| done(&data["outboxMessageChanged"])).await;
    data["outboxMessageChanged"].clone()
}

async fn history(client: &Client, candidate: &str, media: Option<Value>) -> Vec<Value> {
    let listed = client
        .gql(
            "query($id: ID!, $filter: ContactHistoryFilter) { contactHistory(candidateId: $id, filter: $filter) { \
             id medium occurredAt subject note userId outboxMessage { id status } } }",
            json!({"id": candidate, "filter": media.map(|media| json!({"media": media}))}),
        )
        .await;
    listed.data()["contactHistory"].as_array().unwrap().clone()
}

async fn outbox_count(client: &Client) -> usize {
    let listed = client
        .gql("{ outboxMessages(first: 100) { edges { node { id } } } }", json!({}))
        .await;
    listed.data()["outboxMessages"]["edges"].as_array().unwrap().len()
}

async fn test_account(admin: &Client, variables: Value) -> Value {
    let tested = admin
        .gql(
            &format!(
                "mutation($id: ID, $input: OutboundAccountInput, $to: String!, $from: String, $send: Boolean) {{ \
                 testOutboundAccount(id: $id, input: $input, to: $to, from: $from, send: $send) {{ {TEST_RESULT} }} }}"
            ),
            variables,
        )
        .await;
    tested.data()["testOutboundAccount"].clone()
}

fn stages(result: &Value) -> Vec<String> {
    result["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["stage"].as_str().unwrap().to_owned())
        .collect()
}

async fn accounts_are_checked_stage_by_stage_and_keep_their_password_secret(backend: Backend) {
    let app = spawn(backend).await;
    let dovecot = Dovecot::start();
    let postfix = Postfix::start(&dovecot);
    let admin = app.admin().await;

    let account = create_outbound(&admin, postfix_account(&postfix, "jobs")).await;
    assert_eq!(account["hasPassword"], true);
    assert_eq!(
        account["isSystemDefault"], true,
        "the first account an admin creates carries system mail"
    );
    let listed = admin
        .gql("{ outboundAccounts { id label username hasPassword } }", json!({}))
        .await;
    assert!(!listed.body.to_string().contains(PASSWORD));
    let password_query = admin.gql("{ outboundAccounts { password } }", json!({})).await;
    assert!(!password_query.errors().is_empty(), "a password field must not exist");
    let account_id = id(&account["id"]);

    // Every stage up to RCPT TO passes; nothing is sent.
    let checked = test_account(
        &admin,
        json!({"id": account_id, "to": "sales@example.test", "from": "jobs@example.test"}),
    )
    .await;
    assert_eq!(checked["ok"], true, "{checked}");
    assert_eq!(
        stages(&checked),
        ["dns", "connect", "tls", "auth", "sender", "recipient"]
    );

    // While editing: a wrong password fails at the login and says so.
    let wrong = test_account(&admin, json!({"id": account_id, "input": {"password": "wrong"}, "to": "sales@example.test", "from": "jobs@example.test"})).await;
    assert_eq!(wrong["ok"], false);
    assert_eq!(wrong["problem"], "LOGIN", "{wrong}");
    assert_eq!(wrong["replyCode"], 535, "{wrong}");
    assert!(wrong["message"].as_str().unwrap().contains("\"jobs\""), "{wrong}");
    assert_eq!(stages(&wrong), ["dns", "connect", "tls"]);

    // Unsaved settings: nothing listens there.
    let closed_port = crate::dovecot::free_ports::<1>()[0];
    let mut refused_input = postfix_account(&postfix, "jobs");
    refused_input["port"] = json!(closed_port);
    let refused = test_account(&admin, json!({"input": refused_input, "to": "sales@example.test"})).await;
    assert_eq!(refused["problem"], "CONNECT", "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("connection refused"),
        "{refused}"
    );

    // SMTPS with the self-signed certificate: refused unless the admin accepts it.
    let mut tls_input = postfix_account(&postfix, "jobs");
    tls_input["port"] = json!(postfix.smtps_port);
    tls_input["security"] = json!("TLS");
    tls_input["acceptInvalidCerts"] = json!(false);
    let untrusted = test_account(&admin, json!({"input": tls_input.clone(), "to": "sales@example.test"})).await;
    assert_eq!(untrusted["problem"], "TLS", "{untrusted}");
    assert!(
        untrusted["message"].as_str().unwrap().contains("certificate"),
        "{untrusted}"
    );
    tls_input["acceptInvalidCerts"] = json!(true);
    let accepted = test_account(
        &admin,
        json!({"input": tls_input, "to": "sales@example.test", "from": "jobs@example.test"}),
    )
    .await;
    assert_eq!(accepted["ok"], true, "{accepted}");

    // Without a sender it may use, the login is refused at the sender stage, and the
    // message says what to do. (The test server, like Postfix by default, judges the
    // sender only at RCPT TO.)
    let foreign = test_account(
        &admin,
        json!({"id": account_id, "to": "sales@example.test", "from": "fremd@example.test"}),
    )
    .await;
    assert_eq!(foreign["problem"], "SENDER_REFUSED", "{foreign}");
    assert!(
        foreign["message"].as_str().unwrap().contains("not owned by user jobs"),
        "{foreign}"
    );

    // The login may only send as its own addresses.
    let mut stranger = postfix_account(&postfix, "sales");
    stranger["label"] = json!("Sales");
    let sales = create_outbound(&admin, stranger).await;
    let sales_id = id(&sales["id"]);
    assert_eq!(sales["isSystemDefault"], false, "there is one default");

    // Changing the server needs the password again, so the stored one never goes elsewhere.
    let moved = admin
        .gql(
            "mutation($id: ID!) { updateOutboundAccount(id: $id, input: {host: \"localhost\"}) { id } }",
            json!({"id": account_id}),
        )
        .await;
    assert_eq!(moved.code(), "INVALID_INPUT");
    assert_eq!(moved.field().as_deref(), Some("password"));

    // "Send test email" goes through the outbox and arrives.
    let sent = test_account(
        &admin,
        json!({"id": account_id, "to": "sales@example.test", "from": "jobs@example.test", "send": true}),
    )
    .await;
    assert_eq!(sent["ok"], true, "{sent}");
    assert_eq!(sent["testMessage"]["status"], "SENT", "{sent}");
    let raw = wait_for_mail(
        &dovecot,
        "sales",
        LIMIT,
        || postfix.log(),
        |raw| raw.contains("Talentpost test mail"),
    )
    .await;
    assert_eq!(header(&raw, "From").unwrap(), "Talentpost <jobs@example.test>");

    // An account a sender uses cannot be deleted; the others can, all or nothing.
    let main = id(&admin.gql("{ legalEntities { id isMain } }", json!({})).await.data()["legalEntities"][0]["id"]);
    let set = set_sender(
        &admin,
        &main,
        json!({"senderAddress": "karriere@example.test", "channel": "ACCOUNT", "outboundAccountId": account_id}),
    )
    .await;
    assert!(set.errors().is_empty(), "{:?}", set.body);
    let in_use = admin
        .gql(
            "mutation($ids: [ID!]!) { deleteOutboundAccounts(ids: $ids) }",
            json!({"ids": [sales_id, account_id]}),
        )
        .await;
    assert_eq!(in_use.code(), "CONFLICT");
    assert!(
        in_use.errors()[0]["message"]
            .as_str()
            .unwrap()
            .contains("sender channel"),
        "{:?}",
        in_use.body
    );
    assert_eq!(
        admin.gql("{ outboundAccounts { id } }", json!({})).await.data()["outboundAccounts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let deleted = admin
        .gql(
            "mutation($ids: [ID!]!) { deleteOutboundAccounts(ids: $ids) }",
            json!({"ids": [sales_id]}),
        )
        .await;
    assert_eq!(deleted.data()["deleteOutboundAccounts"], json!([sales_id]));
}

async fn mail_to_a_candidate_leaves_from_the_entity_sender_with_threading_headers(backend: Backend) {
    let app = spawn(backend).await;
    let dovecot = Dovecot::start();
    let postfix = Postfix::start(&dovecot);
    let admin = app.admin().await;
    let token = api_token(&app).await;

    let mut input = postfix_account(&postfix, "jobs");
    input["signatureText"] = json!("Mit freundlichen Grüßen\nIhr Recruiting-Team");
    input["signatureHtml"] = json!("<p>Mit <b>freundlichen</b> Grüßen</p><script>alert(1)</script>");
    let account = create_outbound(&admin, input).await;
    assert!(
        !account["signatureHtml"].as_str().unwrap().contains("script"),
        "signatures are sanitised: {account}"
    );
    let account_id = id(&account["id"]);

    let entities = admin.gql("{ legalEntities { id name isMain } }", json!({})).await;
    let main = entities.data()["legalEntities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["isMain"] == true)
        .unwrap()
        .clone();
    let main_id = id(&main["id"]);
    let daughter = admin
        .gql(
            "mutation { createLegalEntity(input: {name: \"Tochter B GmbH\"}) { id } }",
            json!({}),
        )
        .await;
    let daughter_id = id(&daughter.data()["createLegalEntity"]["id"]);

    // A sender address the login does not own is refused before anything changes.
    let foreign = set_sender(
        &admin,
        &main_id,
        json!({"senderAddress": "fremd@example.test", "channel": "ACCOUNT", "outboundAccountId": account_id}),
    )
    .await;
    assert_eq!(foreign.code(), "INVALID_INPUT");
    assert_eq!(foreign.field().as_deref(), Some("senderAddress"));
    let message = foreign.errors()[0]["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("\"jobs\"") && message.contains("not owned"),
        "{message}"
    );
    let unchanged = admin
        .gql(
            "query($id: ID!) { senderIdentity(legalEntityId: $id) { inherited channel } }",
            json!({"id": main_id}),
        )
        .await;
    assert_eq!(unchanged.data()["senderIdentity"]["inherited"], true);

    let set = set_sender(&admin, &main_id, json!({"senderAddress": "karriere@example.test", "senderNameMode": "COMPANY", "channel": "ACCOUNT", "outboundAccountId": account_id})).await;
    assert!(set.errors().is_empty(), "{:?}", set.body);
    // The daughter has no sender of its own: it sends like the main entity.
    let inherited = admin
        .gql(
            "query($id: ID!) { senderIdentity(legalEntityId: $id) { inherited sourceLegalEntityId senderAddress } }",
            json!({"id": daughter_id}),
        )
        .await;
    assert_eq!(inherited.data()["senderIdentity"]["inherited"], true);
    assert_eq!(
        inherited.data()["senderIdentity"]["senderAddress"],
        "karriere@example.test"
    );

    let opening = admin
        .gql(
            "mutation($entity: ID!) { createJobOpening(input: {title: \"Lagerist (m/w/d)\", legalEntityId: $entity}) { id } }",
            json!({"entity": daughter_id}),
        )
        .await;
    let opening_id = id(&opening.data()["createJobOpening"]["id"]);
    let candidate = create_candidate(&admin, "Anna", "Schmidt", "bulk@example.test").await;
    let application = admin
        .gql(
            "mutation($c: ID!, $o: ID!) { createApplication(candidateId: $c, jobOpeningId: $o) { id } }",
            json!({"c": candidate, "o": opening_id}),
        )
        .await;
    let application_id = id(&application.data()["createApplication"]["id"]);

    let queued = send(
        &admin,
        json!({
            "candidateId": candidate,
            "applicationId": application_id,
            "subject": "Ihre Bewerbung als {{ job_opening.title }}",
            "body": "Hallo {{ candidate.first_name }},\n\nvielen Dank für Ihre Bewerbung bei {{ sender.company }}.",
        }),
    )
    .await;
    let queued = queued.data()["sendMessage"].clone();
    assert_eq!(queued["status"], "QUEUED", "{queued}");
    let sent = wait_for_outbox(&app, &token, &id(&queued["id"]), |m| m["status"] == "SENT").await;
    assert_eq!(sent["attempts"], 1);

    let message_id = sent["messageId"].as_str().unwrap().to_owned();
    let raw = wait_for_mail(
        &dovecot,
        "bulk",
        LIMIT,
        || postfix.log(),
        |raw| raw.contains(&message_id),
    )
    .await;
    assert_eq!(header(&raw, "Subject").unwrap(), "Ihre Bewerbung als Lagerist (m/w/d)");
    let company = main["name"].as_str().unwrap();
    assert_eq!(
        header(&raw, "From").unwrap(),
        format!("{company} <karriere@example.test>"),
        "the daughter falls back to the main sender"
    );
    let reply_to = header(&raw, "Reply-To").unwrap();
    assert!(
        reply_to.contains("karriere+r") && reply_to.ends_with("@example.test>"),
        "a per-thread reply address: {reply_to}"
    );
    assert!(
        message_id.starts_with("tp.") && message_id.ends_with("@example.test"),
        "{message_id}"
    );
    let text = text_body(&raw);
    assert!(text.contains("Hallo Anna,"), "{text}");
    assert!(text.contains(&format!("Bewerbung bei {company}.")), "{text}");
    assert!(
        text.contains("-- \nMit freundlichen Grüßen\nIhr Recruiting-Team"),
        "{text}"
    );
    let html = html_body(&raw).unwrap();
    assert!(
        html.contains("<b>freundlichen</b>") && !html.contains("script"),
        "{html}"
    );

    // Now the daughter gets a sender of its own, with a fixed name.
    let own = set_sender(&admin, &daughter_id, json!({"senderAddress": "jobs@example.test", "senderNameMode": "CUSTOM", "senderName": "Tochter B Recruiting", "channel": "ACCOUNT", "outboundAccountId": account_id})).await;
    assert_eq!(own.data()["setSenderIdentity"]["inherited"], false, "{:?}", own.body);
    let second = send(&admin, json!({"candidateId": candidate, "applicationId": application_id, "subject": "Termin", "body": "Passt Dienstag?"})).await;
    let second = second.data()["sendMessage"].clone();
    wait_for_outbox(&app, &token, &id(&second["id"]), |m| m["status"] == "SENT").await;
    let second_id = second["messageId"].as_str().unwrap().to_owned();
    let raw = wait_for_mail(
        &dovecot,
        "bulk",
        LIMIT,
        || postfix.log(),
        |raw| raw.contains(&second_id),
    )
    .await;
    assert_eq!(
        header(&raw, "From").unwrap(),
        "Tochter B Recruiting <jobs@example.test>"
    );

    // Both mails are in the candidate's history, newest first, with their status.
    let entries = history(&admin, &candidate, None).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["subject"], "Termin");
    assert_eq!(entries[0]["medium"], "MAIL_OUT");
    assert_eq!(entries[0]["outboxMessage"]["status"], "SENT");
    assert_eq!(entries[1]["subject"], "Ihre Bewerbung als Lagerist (m/w/d)");
    let last = admin
        .gql(
            "query($id: ID!) { candidate(id: $id) { lastContactAt } }",
            json!({"id": candidate}),
        )
        .await;
    assert_eq!(last.data()["candidate"]["lastContactAt"], entries[0]["occurredAt"]);
}

async fn a_deferred_mail_is_retried_and_sent_once_and_a_refused_one_fails_with_the_reply(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin().await;
    let token = api_token(&app).await;
    // 450 after DATA: the server takes nothing and asks to try again later.
    let mut sink = SmtpSink::start(&["-r", "data"]);
    create_outbound(&admin, sink_account(&sink)).await;
    let candidate = create_candidate(&admin, "Ben", "Berger", "ben@example.test").await;

    let queued = send(
        &admin,
        json!({"candidateId": candidate, "subject": "Hallo", "body": "Test"}),
    )
    .await;
    let queued_id = id(&queued.data()["sendMessage"]["id"]);
    let deferred = wait_for_outbox(&app, &token, &queued_id, |m| m["status"] == "RETRYING").await;
    assert_eq!(deferred["lastProblem"], "DEFERRED", "{deferred}");
    assert_eq!(deferred["lastReplyCode"], 450, "{deferred}");
    assert!(deferred["nextAttemptAt"].is_string(), "{deferred}");
    assert!(sink.messages().is_empty());

    // The server recovers: the retry goes through, and the mail arrives exactly once.
    sink.restart(&[]);
    let sent = wait_for_outbox(&app, &token, &queued_id, |m| m["status"] == "SENT").await;
    assert!(sent["attempts"].as_i64().unwrap() >= 2, "{sent}");
    let message_id = sent["messageId"].as_str().unwrap();
    let arrived: Vec<String> = sink
        .messages()
        .into_iter()
        .filter(|raw| raw.contains(message_id))
        .collect();
    assert_eq!(arrived.len(), 1, "sent exactly once");

    // 5xx: fails at once, the reply kept; a retry by hand is possible.
    sink.restart(&["-f", "rcpt"]);
    let refused = send(
        &admin,
        json!({"candidateId": candidate, "subject": "Zweite", "body": "Test"}),
    )
    .await;
    let refused_id = id(&refused.data()["sendMessage"]["id"]);
    let failed = wait_for_outbox(&app, &token, &refused_id, |m| m["status"] == "FAILED").await;
    assert_eq!(failed["attempts"], 1, "a permanent refusal is not retried: {failed}");
    assert!(failed["lastReplyCode"].as_i64().unwrap() >= 500, "{failed}");
    assert!(failed["lastReply"].as_str().unwrap().contains("5"), "{failed}");

    // Nobody listens: connection failures are retried; a waiting mail can be cancelled.
    sink.stop();
    let waiting = send(
        &admin,
        json!({"candidateId": candidate, "subject": "Dritte", "body": "Test"}),
    )
    .await;
    let waiting_id = id(&waiting.data()["sendMessage"]["id"]);
    let retrying = wait_for_outbox(&app, &token, &waiting_id, |m| m["status"] == "RETRYING").await;
    assert_eq!(retrying["lastProblem"], "CONNECT", "{retrying}");
    // The worker keeps trying every second; a cancel that meets an attempt in flight
    // is refused with a reason, and works once the attempt is over.
    loop {
        let cancelled = admin
            .gql(
                &format!("mutation($id: ID!) {{ cancelOutboxMessage(id: $id) {{ {OUTBOX_FIELDS} }} }}"),
                json!({"id": waiting_id}),
            )
            .await;
        if cancelled.errors().is_empty() {
            assert_eq!(cancelled.data()["cancelOutboxMessage"]["status"], "CANCELLED");
            break;
        }
        assert!(
            cancelled.errors()[0]["message"]
                .as_str()
                .unwrap()
                .contains("being sent"),
            "{:?}",
            cancelled.body
        );
        wait_for_outbox(&app, &token, &waiting_id, |m| m["status"] == "RETRYING").await;
    }
    let again = admin
        .gql(
            "mutation($id: ID!) { cancelOutboxMessage(id: $id) { id } }",
            json!({"id": waiting_id}),
        )
        .await;
    assert_eq!(again.code(), "CONFLICT");

    // Once its account is gone, a cancelled mail cannot be retried through another way.
    let accounts = admin.gql("{ outboundAccounts { id } }", json!({})).await;
    let account_id = id(&accounts.data()["outboundAccounts"][0]["id"]);
    let deleted = admin
        .gql(
            "mutation($ids: [ID!]!) { deleteOutboundAccounts(ids: $ids) }",
            json!({"ids": [account_id]}),
        )
        .await;
    assert!(
        deleted.errors().is_empty(),
        "nothing waits for it any more: {:?}",
        deleted.body
    );
    let orphan = admin
        .gql(
            "mutation($id: ID!) { retryOutboxMessage(id: $id) { id } }",
            json!({"id": waiting_id}),
        )
        .await;
    assert_eq!(orphan.code(), "CONFLICT");
    assert!(
        orphan.errors()[0]["message"].as_str().unwrap().contains("deleted"),
        "{:?}",
        orphan.body
    );

    // History: mail that did not go out is listed with its status but is no contact.
    let entries = history(&admin, &candidate, Some(json!(["MAIL_OUT"]))).await;
    let statuses: Vec<&str> = entries
        .iter()
        .map(|e| e["outboxMessage"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["CANCELLED", "FAILED", "SENT"]);
    let last = admin
        .gql(
            "query($id: ID!) { candidate(id: $id) { lastContactAt } }",
            json!({"id": candidate}),
        )
        .await;
    assert_eq!(last.data()["candidate"]["lastContactAt"], entries[2]["occurredAt"]);
}

async fn bad_input_names_the_field_and_queues_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.max_outgoing_bytes = 2_000).await;
    let admin = app.admin().await;
    let candidate = create_candidate(&admin, "Cem", "Celik", "cem@example.test").await;

    let cases = [
        (
            json!({"candidateId": candidate, "subject": "Hallo\r\nBcc: victim@example.test", "body": "x"}),
            "INVALID_INPUT",
            "subject",
        ),
        (
            json!({"candidateId": candidate, "subject": "Hallo", "body": "x", "to": "not an address"}),
            "INVALID_INPUT",
            "to",
        ),
        (
            json!({"candidateId": candidate, "subject": "Hallo", "body": "Hallo {{ candidate.frist_name }}"}),
            "INVALID_INPUT",
            "body",
        ),
        (
            json!({"candidateId": candidate, "subject": "{{ job_opening.title }}", "body": "x"}),
            "INVALID_INPUT",
            "subject",
        ),
        (
            json!({"candidateId": candidate, "subject": "", "body": "x"}),
            "INVALID_INPUT",
            "subject",
        ),
    ];
    for (input, code, field) in cases {
        let response = send(&admin, input.clone()).await;
        assert_eq!(response.code(), code, "{input}: {:?}", response.body);
        assert_eq!(response.field().as_deref(), Some(field), "{input}: {:?}", response.body);
    }
    let placeholder = send(
        &admin,
        json!({"candidateId": candidate, "subject": "Hallo", "body": "Hallo {{ candidate.frist_name }}"}),
    )
    .await;
    assert!(
        placeholder.errors()[0]["message"]
            .as_str()
            .unwrap()
            .contains("frist_name"),
        "{:?}",
        placeholder.body
    );

    // An attachment over the limit.
    let big = vec![b'x'; 4_000];
    let response = admin
        .gql_multipart(
            &format!("mutation($input: SendMessageInput!) {{ sendMessage(input: $input) {{ {OUTBOX_FIELDS} }} }}"),
            json!({"input": {"candidateId": candidate, "subject": "Anhang", "body": "x", "attachments": [null]}}),
            vec![("input.attachments.0", "lebenslauf.pdf", "application/pdf", big)],
        )
        .await;
    assert_eq!(response.code(), "PAYLOAD_TOO_LARGE", "{:?}", response.body);
    assert_eq!(response.field().as_deref(), Some("attachments.0"));

    // A sender address that is no address.
    let main = id(&admin.gql("{ legalEntities { id } }", json!({})).await.data()["legalEntities"][0]["id"]);
    let bad_sender = set_sender(&admin, &main, json!({"senderAddress": "karriere at example"})).await;
    assert_eq!(bad_sender.field().as_deref(), Some("senderAddress"));
    let injected_name = set_sender(
        &admin,
        &main,
        json!({"senderAddress": "k@example.test", "senderNameMode": "CUSTOM", "senderName": "A\nBcc: x@y.test"}),
    )
    .await;
    assert_eq!(injected_name.field().as_deref(), Some("senderName"));

    // Names end up in mail headers: they are single lines from the start.
    let two_lines = admin
        .gql(
            "mutation($input: CreateCandidateInput!) { createCandidate(input: $input) { id } }",
            json!({"input": {"firstName": "Cem\r\nBcc: x@example.test", "lastName": "Celik"}}),
        )
        .await;
    assert_eq!(two_lines.field().as_deref(), Some("firstName"));

    assert_eq!(outbox_count(&admin).await, 0, "nothing was queued");
    assert!(
        history(&admin, &candidate, None).await.is_empty(),
        "and nothing entered the history"
    );
}

async fn without_a_relay_the_builtin_channel_drops_mail_into_the_data_folder(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin().await;
    let token = api_token(&app).await;
    let candidate = create_candidate(&admin, "Dora", "Dietz", "dora@example.test").await;
    let main = id(&admin.gql("{ legalEntities { id } }", json!({})).await.data()["legalEntities"][0]["id"]);
    let identity = admin
        .gql(
            "query($id: ID!) { senderIdentity(legalEntityId: $id) { inherited usesBuiltinChannel senderAddress } }",
            json!({"id": main}),
        )
        .await;
    assert_eq!(identity.data()["senderIdentity"]["usesBuiltinChannel"], true);

    let queued = send(
        &admin,
        json!({"candidateId": candidate, "subject": "Hallo {{ candidate.name }}", "body": "Willkommen"}),
    )
    .await;
    let queued_id = id(&queued.data()["sendMessage"]["id"]);
    // Written to a file, handed to no mail server: NOT_SENT, never SENT.
    let sent = wait_for_outbox(&app, &token, &queued_id, |m| {
        m["status"] != "QUEUED" && m["status"] != "SENDING"
    })
    .await;
    assert_eq!(
        (sent["status"].as_str(), sent["channel"].as_str()),
        (Some("NOT_SENT"), Some("DROP_FOLDER")),
        "{sent}"
    );
    assert!(
        sent["lastReply"].as_str().unwrap().contains("no relay configured"),
        "{sent}"
    );
    // It is in the history as what it is, and is no contact: neither the last contact nor
    // a nurturing query's "contacted recently" moves.
    let entries = history(&admin, &candidate, None).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["outboxMessage"]["status"], "NOT_SENT");
    let file = admin
        .gql(
            "query($id: ID!) { candidate(id: $id) { lastContactAt } }",
            json!({"id": candidate}),
        )
        .await;
    assert_eq!(file.data()["candidate"]["lastContactAt"], Value::Null);
    let recent = admin
        .gql(
            "{ runCandidateQuery(filter: {lastContactLessThanDays: 30}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        recent.data()["runCandidateQuery"]["totalCount"],
        0,
        "a mail that never left is no contact"
    );
    let stale = admin
        .gql(
            "{ runCandidateQuery(filter: {lastContactMoreThanDays: 30}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(stale.data()["runCandidateQuery"]["totalCount"], 1);
    let tasks = admin
        .gql("{ dashboard { openTasks { failedOutgoingMail } } }", json!({}))
        .await;
    assert_eq!(
        tasks.data()["dashboard"]["openTasks"]["failedOutgoingMail"],
        1,
        "the dashboard asks for a look"
    );
    let folder = app.data_dir.path().join("outbox-drop");
    let files: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert_eq!(files.len(), 1);
    assert!(files[0].contains(sent["messageId"].as_str().unwrap()));
    assert_eq!(header(&files[0], "Subject").unwrap(), "Hallo Dora Dietz");
}

async fn contacts_by_letter_phone_and_in_person_are_recorded_by_hand(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let candidate = create_candidate(&admin, "Emil", "Ernst", "emil@example.test").await;
    let add = |medium: &str, at: &str, note: &str| {
        admin.gql(
            "mutation($input: ContactEventInput!) { addContactEvent(input: $input) { id medium occurredAt note } }",
            json!({"input": {"candidateId": candidate, "medium": medium, "occurredAt": at, "note": note}}),
        )
    };
    assert!(
        add("PHONE_OUT", "2026-11-02T10:00:00Z", "Telefoninterview vereinbart")
            .await
            .errors()
            .is_empty()
    );
    assert!(
        add("LETTER_OUT", "2026-11-05T10:00:00Z", "Vertrag per Post")
            .await
            .errors()
            .is_empty()
    );
    assert!(
        add("IN_PERSON", "2026-11-03T10:00:00Z", "Vorstellungsgespräch")
            .await
            .errors()
            .is_empty()
    );
    let mail_in = add("MAIL_IN", "2026-11-04T10:00:00Z", "x").await;
    assert_eq!(mail_in.field().as_deref(), Some("medium"));
    let future = add("PHONE_IN", "2099-01-01T10:00:00Z", "x").await;
    assert_eq!(future.field().as_deref(), Some("occurredAt"));
    let empty = add("FAX_OUT", "2026-11-04T10:00:00Z", "").await;
    assert_eq!(empty.field().as_deref(), Some("note"));

    let entries = history(&admin, &candidate, None).await;
    let media: Vec<&str> = entries.iter().map(|e| e["medium"].as_str().unwrap()).collect();
    assert_eq!(media, ["LETTER_OUT", "IN_PERSON", "PHONE_OUT"], "newest first");
    let phone_only = history(&admin, &candidate, Some(json!(["PHONE_OUT", "PHONE_IN"]))).await;
    assert_eq!(phone_only.len(), 1);
    let last = admin
        .gql(
            "query($id: ID!) { candidate(id: $id) { lastContactAt } }",
            json!({"id": candidate}),
        )
        .await;
    assert_eq!(last.data()["candidate"]["lastContactAt"], entries[0]["occurredAt"]);
    assert!(
        entries[0]["occurredAt"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-05T10:00:00")
    );
}

async fn answers_join_the_candidates_history_and_bounces_mark_the_mail(backend: Backend) {
    let app = spawn(backend).await;
    let dovecot = Dovecot::start();
    let postfix = Postfix::start(&dovecot);
    let admin = app.admin().await;
    let token = api_token(&app).await;

    // jobs@example.test sends, and its mailbox is the one Talentpost reads.
    let account = create_outbound(&admin, postfix_account(&postfix, "jobs")).await;
    let main = id(&admin.gql("{ legalEntities { id } }", json!({})).await.data()["legalEntities"][0]["id"]);
    let set = set_sender(
        &admin,
        &main,
        json!({"senderAddress": "jobs@example.test", "channel": "ACCOUNT", "outboundAccountId": id(&account["id"])}),
    )
    .await;
    assert!(set.errors().is_empty(), "{:?}", set.body);
    let inbound = admin
        .gql(
            "mutation($input: InboundAccountInput!) { createInboundAccount(input: $input) { id } }",
            json!({"input": {"label": "jobs", "host": "127.0.0.1", "port": dovecot.imap_port, "security": "UNENCRYPTED",
                             "allowPlaintext": true, "username": "jobs", "password": PASSWORD}}),
        )
        .await;
    let inbound_id = id(&inbound.data()["createInboundAccount"]["id"]);
    let candidate = create_candidate(&admin, "Anna", "Schmidt", "bulk@example.test").await;

    let first = send(
        &admin,
        json!({"candidateId": candidate, "subject": "Ihre Bewerbung", "body": "Hallo Anna"}),
    )
    .await;
    let first = wait_for_outbox(&app, &token, &id(&first.data()["sendMessage"]["id"]), |m| {
        m["status"] == "SENT"
    })
    .await;
    let second = send(
        &admin,
        json!({"candidateId": candidate, "subject": "Termin", "body": "Passt Dienstag?"}),
    )
    .await;
    let second = wait_for_outbox(&app, &token, &id(&second.data()["sendMessage"]["id"]), |m| {
        m["status"] == "SENT"
    })
    .await;
    let first_id = first["messageId"].as_str().unwrap();
    let reply_address = first["replyToAddress"].as_str().unwrap();
    assert!(reply_address.starts_with("jobs+r"), "{first}");

    let mail = |headers: &str, body: &str| {
        format!("From: Anna Schmidt <bulk@example.test>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0100\r\n{headers}\r\n\r\n{body}\r\n").into_bytes()
    };
    // An answer with References, one that only kept the reply address, one that only
    // kept "AW:" and the subject, and a new application from the same person.
    dovecot.deliver(
        "jobs",
        None,
        &mail(&format!("To: jobs@example.test\r\nSubject: Re: Ihre Bewerbung\r\nMessage-ID: <a1@anna.test>\r\nIn-Reply-To: <{first_id}>\r\nReferences: <{first_id}>"), "Danke!"),
    );
    dovecot.deliver(
        "jobs",
        None,
        &mail(
            &format!("To: {reply_address}\r\nSubject: Eine Frage\r\nMessage-ID: <a2@anna.test>"),
            "Wie lange dauert es?",
        ),
    );
    dovecot.deliver(
        "jobs",
        None,
        &mail(
            "To: jobs@example.test\r\nSubject: AW: Termin\r\nMessage-ID: <a3@anna.test>",
            "Dienstag passt.",
        ),
    );
    dovecot.deliver(
        "jobs",
        None,
        &mail(
            "To: jobs@example.test\r\nSubject: Bewerbung als Fahrerin\r\nMessage-ID: <a4@anna.test>",
            "Anbei.",
        ),
    );
    let synced = admin
        .gql(
            "mutation($id: ID!) { syncInboundAccount(id: $id) { stored } }",
            json!({"id": inbound_id}),
        )
        .await;
    assert_eq!(synced.data()["syncInboundAccount"]["stored"], 4, "{:?}", synced.body);

    let entries = history(&admin, &candidate, Some(json!(["MAIL_IN"]))).await;
    let mut subjects: Vec<&str> = entries.iter().map(|e| e["subject"].as_str().unwrap()).collect();
    subjects.sort_unstable();
    assert_eq!(subjects, ["AW: Termin", "Eine Frage", "Re: Ihre Bewerbung"]);
    let inbox = admin
        .gql("{ inboxItems(medium: EMAIL, state: UNASSIGNED, first: 10) { edges { node { subject matchedCandidate { id } } } } }", json!({}))
        .await;
    let unassigned = inbox.data()["inboxItems"]["edges"].as_array().unwrap().clone();
    assert_eq!(
        unassigned.len(),
        1,
        "only the new application waits in the inbox: {unassigned:?}"
    );
    assert_eq!(unassigned[0]["node"]["subject"], "Bewerbung als Fahrerin");
    assert_eq!(unassigned[0]["node"]["matchedCandidate"]["id"], candidate.as_str());
    assert!(second["messageId"].is_string());

    // A mail to an address the server does not know comes back; the report reaches the
    // sender's mailbox, and reading it marks the mail and the address.
    let nobody = create_candidate(&admin, "Nora", "Niemand", "niemand@example.test").await;
    let lost = send(
        &admin,
        json!({"candidateId": nobody, "subject": "Einladung", "body": "Hallo Nora"}),
    )
    .await;
    let lost = wait_for_outbox(&app, &token, &id(&lost.data()["sendMessage"]["id"]), |m| {
        m["status"] == "SENT"
    })
    .await;
    let lost_id = lost["messageId"].as_str().unwrap().to_owned();
    wait_for_mail(
        &dovecot,
        "jobs",
        LIMIT,
        || postfix.log(),
        |raw| raw.contains("delivery-status") && raw.contains(&lost_id),
    )
    .await;
    admin
        .gql(
            "mutation($id: ID!) { syncInboundAccount(id: $id) { stored } }",
            json!({"id": inbound_id}),
        )
        .await;
    let bounced = wait_for_outbox(&app, &token, &id(&lost["id"]), |m| m["status"] == "BOUNCED").await;
    assert!(bounced["lastReply"].as_str().unwrap().contains("5.1.1"), "{bounced}");
    let nora = history(&admin, &nobody, None).await;
    assert_eq!(nora[0]["outboxMessage"]["status"], "BOUNCED");
    let last = admin
        .gql(
            "query($id: ID!) { candidate(id: $id) { lastContactAt } }",
            json!({"id": nobody}),
        )
        .await;
    assert!(
        last.data()["candidate"]["lastContactAt"].is_null(),
        "a bounced mail is no contact"
    );
    // Her only address bounced: writing again needs an address that works.
    let again = send(
        &admin,
        json!({"candidateId": nobody, "subject": "Noch einmal", "body": "Hallo"}),
    )
    .await;
    assert_eq!(again.field().as_deref(), Some("to"), "{:?}", again.body);
    assert!(
        again.errors()[0]["message"].as_str().unwrap().contains("undeliverable"),
        "{:?}",
        again.body
    );
}

crate::on_both_databases!(
    accounts_are_checked_stage_by_stage_and_keep_their_password_secret,
    mail_to_a_candidate_leaves_from_the_entity_sender_with_threading_headers,
    a_deferred_mail_is_retried_and_sent_once_and_a_refused_one_fails_with_the_reply,
    bad_input_names_the_field_and_queues_nothing,
    without_a_relay_the_builtin_channel_drops_mail_into_the_data_folder,
    contacts_by_letter_phone_and_in_person_are_recorded_by_hand,
    answers_join_the_candidates_history_and_bounces_mark_the_mail,
);
