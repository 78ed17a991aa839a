//! Mail handed to Talentpost directly: the HTTP intake, the `ingest-mail` pipe, mail
//! that cannot be read, auto-replies, and the real-world Zammad corpus.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::fixtures::cast;
use crate::helpers::{Backend, Client, TestApp, id};

const INTAKE: &str = "/api/mail/intake";

async fn admin_token(admin: &Client) -> String {
    let created = admin
        .gql("mutation { createApiToken(name: \"mta\") { token } }", json!({}))
        .await;
    created.data()["createApiToken"]["token"].as_str().unwrap().to_owned()
}

async fn item(client: &Client, item_id: &str) -> Value {
    let found = client
        .gql(
            "query($id: ID!) { inboxItem(id: $id) { id state subject senderName senderEmail preview legalEntity { id name } \
             documents { fileName contentType } \
             mail { parseStatus parseProblem automaticReason intakeRecipient rawSize rawSource rawUrl messageId htmlBody hasRemoteContent textBody } } }",
            json!({"id": item_id}),
        )
        .await;
    found.data()["inboxItem"].clone()
}

async fn post_mail(client: &Client, raw: &[u8]) -> (u16, Value) {
    let response = client.post_bytes(INTAKE, "message/rfc822", raw.to_vec()).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn forwarded_mail_lands_in_the_legal_entity_of_its_intake_address(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let c = cast(&app).await;
    let entities = c
        .admin
        .gql("{ legalEntities { id name isMain intakeAddress } }", json!({}))
        .await;
    let entities = entities.data()["legalEntities"].as_array().unwrap().clone();
    let main = entities.iter().find(|e| e["isMain"] == true).unwrap();
    let other = entities.iter().find(|e| e["isMain"] == false).unwrap();
    assert_eq!(main["intakeAddress"], "intake@intake.talentpost.localhost");
    let other_address = other["intakeAddress"].as_str().unwrap().to_owned();
    assert_eq!(
        other_address,
        format!("intake+{}@intake.talentpost.localhost", id(&other["id"]))
    );

    let mta = app.with_token(&admin_token(&c.admin).await);
    // Redirected by the company's server: the original sender and headers stay.
    let raw = format!(
        "Return-Path: <bewerber@example.org>\r\nX-Original-To: {other_address}\r\nDelivered-To: {other_address}\r\n\
         Resent-From: jobs@tochter.example\r\nResent-To: {other_address}\r\n\
         From: Paula Berg <bewerber@example.org>\r\nTo: jobs@tochter.example\r\nSubject: Initiativbewerbung\r\n\
         Message-ID: <fwd-1@example.org>\r\n\r\nHallo!\r\n"
    );
    let (status, body) = post_mail(&mta, raw.as_bytes()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["duplicate"], false);
    let created = item(&c.admin, body["inboxItemId"].as_str().unwrap()).await;
    assert_eq!(created["legalEntity"]["id"], other["id"]);
    assert_eq!(created["senderEmail"], "bewerber@example.org");
    assert_eq!(created["senderName"], "Paula Berg");
    assert_eq!(created["mail"]["intakeRecipient"], json!(other_address));

    // The MTA retries: the same mail is stored once.
    let (status, again) = post_mail(&mta, raw.as_bytes()).await;
    assert_eq!(
        (status, again["duplicate"].clone(), again["inboxItemId"].clone()),
        (200, json!(true), body["inboxItemId"].clone())
    );

    // The same mail piped with LF line endings is the same mail.
    let (status, lf) = post_mail(&mta, raw.replace("\r\n", "\n").as_bytes()).await;
    assert_eq!((status, lf["inboxItemId"].clone()), (200, body["inboxItemId"].clone()));
    // Sent to two companies, it is in both inboxes.
    let to_main = raw.replace(&other_address, main["intakeAddress"].as_str().unwrap());
    let (status, second) = post_mail(&mta, to_main.as_bytes()).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(
        item(&c.admin, second["inboxItemId"].as_str().unwrap()).await["legalEntity"]["id"],
        main["id"]
    );

    // Not addressed to a known intake: the main entity takes it, nothing is refused.
    let (status, stray) = post_mail(
        &mta,
        b"From: x@example.org\r\nTo: someone@else.example\r\nSubject: Irrl\xc3\xa4ufer\r\n\r\n.\r\n",
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        item(&c.admin, stray["inboxItemId"].as_str().unwrap()).await["legalEntity"]["id"],
        main["id"]
    );

    // Only administrators' credentials may deliver.
    assert_eq!(
        app.anonymous()
            .post_bytes(INTAKE, "message/rfc822", raw.clone().into_bytes())
            .await
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        c.recruiter_in_g
            .post_bytes(INTAKE, "message/rfc822", raw.clone().into_bytes())
            .await
            .status()
            .as_u16(),
        403
    );
    let (status, empty) = post_mail(&mta, b"").await;
    assert_eq!(
        (status, empty["errors"][0]["extensions"]["field"].clone()),
        (400, json!("message"))
    );
}

/// Runs `talentpost ingest-mail` with the mail on stdin, as an MTA pipe does.
pub(crate) fn ingest_mail_command(env: &[(&str, &str)], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_talentpost"))
        .arg("ingest-mail")
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

async fn the_ingest_mail_command_reads_one_mail_from_stdin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let data_dir = app.data_dir.path().display().to_string();
    let key = "11".repeat(32);
    let run = |input: &[u8]| {
        ingest_mail_command(
            &[
                ("DATABASE_URL", app.database_url.as_str()),
                ("TALENTPOST_DATA_DIR", &data_dir),
                ("TALENTPOST_SECRET_KEY", &key),
            ],
            input,
        )
    };
    // An MTA pipe often prefixes the mbox "From " line; it is not part of the mail.
    let raw = b"From bewerber@example.org  Mon Nov 30 09:00:00 2026\nFrom: Kai Sommer <kai@example.org>\nTo: intake@intake.talentpost.localhost\nSubject: Per Pipe\nMessage-ID: <pipe-1@example.org>\n\nHallo per Pipe\n";
    let output = run(raw);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("stored as inbox item"));
    let listed = admin
        .gql(
            "{ inboxItems(medium: EMAIL) { edges { node { id subject senderEmail mail { source rawSource } } } } }",
            json!({}),
        )
        .await;
    let node = listed.data()["inboxItems"]["edges"][0]["node"].clone();
    assert_eq!(
        (node["subject"].clone(), node["senderEmail"].clone()),
        (json!("Per Pipe"), json!("kai@example.org"))
    );
    assert_eq!(node["mail"]["source"], "FORWARDED");
    assert!(
        node["mail"]["rawSource"]
            .as_str()
            .unwrap()
            .starts_with("From: Kai Sommer")
    );

    assert!(
        run(raw).status.success(),
        "a repeated delivery is accepted (and stored once)"
    );
    assert_eq!(
        admin.gql("{ inboxCounts { email } }", json!({})).await.data()["inboxCounts"]["email"],
        1
    );
    let empty = run(b"");
    assert_eq!(
        empty.status.code(),
        Some(65),
        "an empty mail is refused for good (the MTA bounces it)"
    );
}

async fn ingest_mail_through_the_running_server_reaches_open_subscriptions(backend: Backend) {
    use crate::subscriptions::{api_token, connect, next_message, subscribe};
    let app = TestApp::spawn(backend).await;
    let token = api_token(&app).await;
    let mut socket = connect(&app, None, json!({"authorization": format!("Bearer {token}")})).await;
    subscribe(
        &mut socket,
        "mail",
        "subscription { inboxItemAdded(medium: EMAIL) { subject } }",
    )
    .await;
    let run = |raw: &[u8], token: &str| {
        ingest_mail_command(
            &[
                ("TALENTPOST_INTAKE_URL", app.address.as_str()),
                ("TALENTPOST_INTAKE_TOKEN", token),
            ],
            raw,
        )
    };
    // The subscription is registered asynchronously: deliver until an event arrives,
    // then the next delivery must arrive too.
    crate::helpers::within(std::time::Duration::from_secs(20), async {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let warmup = format!("From: w@example.org\nSubject: Warm {attempt}\nMessage-ID: <warm-{attempt}@x>\n\nx\n");
            assert!(run(warmup.as_bytes(), &token).status.success());
            if let Ok(Some(_)) =
                tokio::time::timeout(std::time::Duration::from_millis(500), next_message(&mut socket)).await
            {
                break;
            }
        }
    })
    .await;
    while let Ok(Some(_)) = tokio::time::timeout(std::time::Duration::from_millis(300), next_message(&mut socket)).await
    {
    }
    let output = run(
        b"From: Live <live@example.org>\nSubject: Per Pipe live\nMessage-ID: <pipe-live@x>\n\nHallo\n",
        &token,
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let message = crate::helpers::within(std::time::Duration::from_secs(5), next_message(&mut socket))
        .await
        .unwrap();
    assert_eq!(message["payload"]["data"]["inboxItemAdded"]["subject"], "Per Pipe live");
    // A wrong token is the operator's to fix: the MTA keeps the mail and retries.
    assert_eq!(
        run(b"From: x@example.org\nSubject: y\n\nz\n", "tpat_wrong")
            .status
            .code(),
        Some(75)
    );
}

async fn unreadable_and_automatic_mail_is_kept_and_shown_with_the_reason(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.max_mail_bytes = 4_000).await;
    let admin = app.admin().await;
    let mta = app.with_token(&admin_token(&admin).await);

    let big = format!(
        "From: Big <big@example.org>\r\nSubject: Riesig\r\nMessage-ID: <big@x>\r\n\r\n{}\r\n",
        "x".repeat(6_000)
    );
    let (status, body) = post_mail(&mta, big.as_bytes()).await;
    assert_eq!(status, 201, "{body}");
    let too_large = item(&admin, body["inboxItemId"].as_str().unwrap()).await;
    assert_eq!(too_large["state"], "UNASSIGNED", "kept in the inbox, shown as such");
    assert_eq!(too_large["mail"]["parseStatus"], "TOO_LARGE");
    assert_eq!(too_large["subject"], "Riesig");
    assert!(too_large["mail"]["parseProblem"].as_str().unwrap().contains("4000"));
    assert_eq!(too_large["mail"]["rawSource"], json!(big));
    let download = admin.get(too_large["mail"]["rawUrl"].as_str().unwrap()).await;
    assert_eq!(download.headers()["content-type"], "message/rfc822");
    assert_eq!(download.bytes().await.unwrap().as_ref(), big.as_bytes());

    let garbage: Vec<u8> = (0u8..=255).cycle().take(600).collect();
    let (status, body) = post_mail(&mta, &garbage).await;
    assert_eq!(status, 201);
    let unparseable = item(&admin, body["inboxItemId"].as_str().unwrap()).await;
    assert_eq!(unparseable["mail"]["parseStatus"], "UNPARSEABLE");
    assert_eq!(unparseable["mail"]["rawSize"], 600);

    let mut deep = String::from("From: d@example.org\r\nSubject: Tief\r\n");
    for level in 0..40 {
        deep.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=b{level}\r\n\r\n--b{level}\r\n"
        ));
    }
    deep.push_str("Content-Type: text/plain\r\n\r\nunten\r\n");
    let (status, body) = post_mail(&mta, deep.as_bytes()).await;
    assert_eq!(status, 201);
    let too_deep = item(&admin, body["inboxItemId"].as_str().unwrap()).await;
    assert_eq!(too_deep["mail"]["parseStatus"], "TOO_DEEP");
    assert_eq!(too_deep["subject"], "Tief");

    // A NUL byte (from `=00`) is nothing PostgreSQL can store; the mail still is.
    let nul = b"From: n@example.org\r\nSubject: =?utf-8?q?Null=00Byte?=\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nA=00B\r\n";
    let (status, body) = post_mail(&mta, nul).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        item(&admin, body["inboxItemId"].as_str().unwrap()).await["subject"],
        "NullByte"
    );

    // A Message-ID of kilobytes (hostile or broken) does not stop the mail either.
    let long_id = format!(
        "From: l@example.org\r\nSubject: Lang\r\nMessage-ID: <{}@x>\r\n\r\nText\r\n",
        "a".repeat(3_000)
    );
    assert_eq!(post_mail(&mta, long_id.as_bytes()).await.0, 201);

    // Auto-replies and delivery reports are kept, but out of the application inbox.
    let auto_reply = b"From: Urlaub <hr@example.org>\r\nAuto-Submitted: auto-replied\r\nSubject: Abwesenheitsnotiz\r\n\r\nBin weg.\r\n";
    let bounce = b"From: MAILER-DAEMON@example.org\r\nSubject: Undelivered Mail\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--R--\r\n";
    for raw in [&auto_reply[..], &bounce[..]] {
        let (status, body) = post_mail(&mta, raw).await;
        assert_eq!(status, 201);
        let automatic = item(&admin, body["inboxItemId"].as_str().unwrap()).await;
        assert_eq!(automatic["state"], "AUTOMATIC", "{automatic}");
        assert!(automatic["mail"]["automaticReason"].is_string());
    }
    let counts = admin
        .gql(
            "{ inboxCounts { email } automatic: inboxCounts(state: AUTOMATIC) { email } }",
            json!({}),
        )
        .await;
    assert_eq!(
        counts.data()["inboxCounts"]["email"],
        5,
        "too large, unparseable, too deep, NUL and long-id mail stay visible"
    );
    assert_eq!(counts.data()["automatic"]["email"], 2);
}

async fn hostile_html_is_sanitised_and_remote_images_are_flagged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let mta = app.with_token(&admin_token(&admin).await);
    let raw = concat!(
        "From: Mallory <mallory@example.org>\r\nSubject: Lebenslauf\r\nMIME-Version: 1.0\r\n",
        "Content-Type: text/html; charset=utf-8\r\n\r\n",
        "<p onclick=\"steal()\">Hallo</p><script>alert(1)</script><img src=\"x\" onerror=\"alert(2)\">",
        "<a href=\"javascript:alert(3)\">klick</a><img src=\"https://tracker.example/p.gif\">",
        "<iframe src=\"https://evil.example\"></iframe><form action=\"https://evil.example\"><input></form>\r\n"
    );
    let (_, body) = post_mail(&mta, raw.as_bytes()).await;
    let shown = item(&admin, body["inboxItemId"].as_str().unwrap()).await;
    let html = shown["mail"]["htmlBody"].as_str().unwrap();
    for forbidden in ["<script", "onclick", "onerror", "javascript:", "<iframe", "<form"] {
        assert!(!html.contains(forbidden), "{forbidden} survived: {html}");
    }
    assert!(
        html.contains("https://tracker.example/p.gif"),
        "remote images stay, blocked by the view until asked: {html}"
    );
    assert_eq!(shown["mail"]["hasRemoteContent"], true);
    assert!(
        shown["mail"]["textBody"].as_str().unwrap().contains("Hallo"),
        "a text alternative exists"
    );
}

async fn an_eml_file_can_be_imported_through_graphql(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let c = cast(&app).await;
    let query =
        "mutation($file: Upload!) { importMail(file: $file) { id subject senderEmail mail { source parseStatus } } }";
    let eml = b"From: Ina Alt <ina@example.org>\r\nSubject: Alte Bewerbung\r\nMessage-ID: <import-1@example.org>\r\n\r\nAus dem Archiv.\r\n".to_vec();
    let imported = c
        .admin
        .gql_multipart(
            query,
            json!({"file": null}),
            vec![("file", "bewerbung.eml", "message/rfc822", eml.clone())],
        )
        .await;
    let item = imported.data()["importMail"].clone();
    assert_eq!(
        (item["subject"].clone(), item["senderEmail"].clone()),
        (json!("Alte Bewerbung"), json!("ina@example.org"))
    );
    assert_eq!(item["mail"], json!({"source": "API", "parseStatus": "PARSED"}));
    // Importing it again is a no-op that returns the same item.
    let again = c
        .admin
        .gql_multipart(
            query,
            json!({"file": null}),
            vec![("file", "bewerbung.eml", "message/rfc822", eml.clone())],
        )
        .await;
    assert_eq!(again.data()["importMail"]["id"], item["id"]);
    let refused = c
        .recruiter_in_g
        .gql_multipart(
            query,
            json!({"file": null}),
            vec![("file", "x.eml", "message/rfc822", eml)],
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
}

crate::on_both_databases!(
    an_eml_file_can_be_imported_through_graphql,
    forwarded_mail_lands_in_the_legal_entity_of_its_intake_address,
    the_ingest_mail_command_reads_one_mail_from_stdin,
    ingest_mail_through_the_running_server_reaches_open_subscriptions,
    unreadable_and_automatic_mail_is_kept_and_shown_with_the_reason,
    hostile_html_is_sanitised_and_remote_images_are_flagged,
    the_zammad_corpus_is_read_as_zammad_reads_it,
);

// ---------------------------------------------------------------------------------
// The Zammad corpus

/// The team's corpus lives in `shared/` beside the repository (`../shared`); a clone
/// elsewhere finds it through TALENTPOST_CORPUS_DIR or the workplace's `/work/shared`.
fn corpus_dir() -> PathBuf {
    const CORPUS: &str = "shared/corpus/zammad-mail";
    if let Ok(dir) = std::env::var("TALENTPOST_CORPUS_DIR") {
        return PathBuf::from(dir);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .skip(2)
        .map(|dir| dir.join(CORPUS))
        .chain([Path::new("/work").join(CORPUS)])
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| {
            panic!("the Zammad corpus ({CORPUS}) is not beside the repository; set TALENTPOST_CORPUS_DIR")
        })
}

/// What Zammad expects for one mail, from its `.yml`.
struct Expectation {
    from_email: String,
    from_display_name: String,
    subject: String,
    attachments: Vec<String>,
}

fn expectation(path: &Path) -> Expectation {
    let text = std::fs::read_to_string(path).unwrap();
    // Ruby type tags mean nothing to us; a `!binary` value is then plain base64 text.
    let text = text
        .replace("!ruby/hash:ActiveSupport::HashWithIndifferentAccess", "")
        .replace("!binary", "");
    let yaml: serde_norway::Value = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let field = |name: &str| match &yaml[name] {
        serde_norway::Value::String(s) => s.clone(),
        serde_norway::Value::Null => String::new(),
        other => serde_norway::to_string(other).unwrap().trim().to_owned(),
    };
    let attachments = yaml["attachments"]
        .as_sequence()
        .map(|list| {
            list.iter()
                .filter_map(|a| {
                    a["filename"]
                        .as_str()
                        .or_else(|| a["preferences"]["filename"].as_str())
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    Expectation {
        from_email: field("from_email"),
        from_display_name: field("from_display_name"),
        subject: field("subject"),
        attachments,
    }
}

/// Where Talentpost reads a mail differently from Zammad on purpose. Every entry must
/// still occur (a stale entry fails the test), and every difference must be listed.
const DELIBERATE_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "mail035",
        "from_email",
        "From holds only a quoted address; Talentpost takes the address without the quotes",
    ),
    (
        "mail042",
        "attachments",
        "an unnamed part is named by its Content-Description (\"MIME Versions Identification\"), Zammad says \"file\"",
    ),
    (
        "mail046",
        "from_display_name",
        "raw GB2312 bytes while the mail declares ISO-8859-1: Talentpost decodes with the declared charset and does not guess",
    ),
    (
        "mail046",
        "subject",
        "same: raw GB2312 subject under a declared ISO-8859-1",
    ),
    (
        "mail046",
        "attachments",
        "same, in the subject of the attached original message",
    ),
    (
        "mail053",
        "attachments",
        "an unnamed part is named by its Content-Description (\"Undelivered Message Headers\")",
    ),
    (
        "mail054",
        "attachments",
        "the boundary parameter sits on an unindented line (broken folding); the parser cannot split the body, so it is kept as a file and the raw source shows it",
    ),
    (
        "mail064",
        "attachments",
        "Talentpost decodes the NFD file name correctly; Zammad's expectation is mojibake",
    ),
    (
        "mail065",
        "from_display_name",
        "Talentpost decodes the encoded word (\"Bürling, Andreas\"); Zammad's expectation is a broken fragment",
    ),
    (
        "mail073",
        "attachments",
        "Talentpost decodes the raw 8-bit file name (\"Wölbung\"); Zammad keeps a replacement character",
    ),
    (
        "mail076",
        "from_email",
        "From is malformed (quote and bracket mismatch); neither reading is an address",
    ),
    ("mail076", "from_display_name", "same malformed From"),
    (
        "mail078",
        "attachments",
        "mail-parser 0.11 does not find the delivery-status and original-message parts of this nested report; the raw source keeps them",
    ),
    (
        "mail085",
        "attachments",
        "a second inline HTML part is shown as part of the body, not offered as a file",
    ),
    (
        "mail087",
        "from_display_name",
        "`From: Test test@example.com` has no angle brackets; Talentpost reads the address and no display name",
    ),
    (
        "mail092",
        "from_display_name",
        "the RFC 5322 comment \"(Mail Delivery System)\" is kept with the name",
    ),
    (
        "mail093",
        "from_display_name",
        "Shift_JIS bytes labelled ISO-2022-JP: Talentpost trusts the label",
    ),
    (
        "mail093",
        "subject",
        "raw Shift_JIS subject under a declared ISO-2022-JP",
    ),
    (
        "mail102",
        "attachments",
        "two attachments with the same name keep it; Zammad renames the second (\"091.00.38\")",
    ),
];

/// Same Message-ID, sender, subject and body as an earlier corpus mail (mail002), only
/// trace headers differ: a re-delivery, stored once.
const DELIBERATE_DUPLICATES: &[&str] = &["mail105"];

async fn the_zammad_corpus_is_read_as_zammad_reads_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let mta = app.with_token(&admin_token(&admin).await);
    let mut boxes: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap_or_else(|e| panic!("corpus at {}: {e}", corpus_dir().display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "box"))
        .collect();
    boxes.sort();
    assert_eq!(boxes.len(), 106);

    let mut differences: Vec<(String, &'static str, String)> = Vec::new();
    let mut duplicates = Vec::new();
    for path in &boxes {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let raw = std::fs::read(path).unwrap();
        let (status, body) = post_mail(&mta, &raw).await;
        assert!(status == 201 || status == 200, "{name}: not ingested: {status} {body}");
        if status == 200 {
            duplicates.push(name.clone());
        }
        let stored = item(&admin, body["inboxItemId"].as_str().unwrap()).await;
        let expected = expectation(&path.with_extension("yml"));
        let mut compare = |field: &'static str, ours: String, theirs: String| {
            if ours != theirs {
                differences.push((name.clone(), field, format!("ours {ours:?}, Zammad {theirs:?}")));
            }
        };
        compare(
            "from_email",
            stored["senderEmail"].as_str().unwrap_or_default().to_owned(),
            expected.from_email.clone(),
        );
        compare(
            "from_display_name",
            stored["senderName"].as_str().unwrap_or_default().to_owned(),
            expected.from_display_name.clone(),
        );
        // Deliberate: Talentpost unfolds and trims subjects and collapses runs of
        // whitespace (Zammad keeps folding tabs and trailing blanks).
        let collapse = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        compare(
            "subject",
            collapse(stored["subject"].as_str().unwrap_or_default()),
            collapse(&expected.subject),
        );
        let mut ours: Vec<String> = stored["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["fileName"].as_str().unwrap().to_owned())
            .collect();
        // Zammad files the original HTML body as an attachment; Talentpost shows it as the body.
        let mut theirs: Vec<String> = expected
            .attachments
            .into_iter()
            .filter(|a| a != "message.html")
            .collect();
        ours.sort();
        theirs.sort();
        compare("attachments", ours.join(" | "), theirs.join(" | "));
    }
    let listed: Vec<(String, &str)> = DELIBERATE_DIFFERENCES
        .iter()
        .map(|(mail, field, _)| (mail.to_string(), *field))
        .collect();
    let unexplained: Vec<_> = differences
        .iter()
        .filter(|(mail, field, _)| !listed.contains(&(mail.clone(), *field)))
        .collect();
    let stale: Vec<_> = listed
        .iter()
        .filter(|(mail, field)| !differences.iter().any(|(m, f, _)| m == mail && f == field))
        .collect();
    assert_eq!(duplicates, DELIBERATE_DUPLICATES, "mails treated as re-deliveries");
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "unexplained differences ({}):\n{}\nstale entries: {stale:?}\nduplicates: {duplicates:?}",
        unexplained.len(),
        unexplained
            .iter()
            .map(|(m, f, d)| format!("{m} {f}: {d}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
