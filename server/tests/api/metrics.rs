//! `GET /metrics`: Prometheus text a real parser reads, whose counters match what the
//! test made happen; only with the token on the main port, open on the separate address.

use serde_json::json;

use crate::helpers::{Backend, TestApp, id};
use crate::mail_out::{create_candidate, create_outbound, send, sink_account, wait_for_outbox};
use crate::postfix::SmtpSink;
use crate::subscriptions::api_token;

const TOKEN: &str = "metrics-scrape-token";

fn parse(text: &str) -> prometheus_parse::Scrape {
    prometheus_parse::Scrape::parse(text.lines().map(|line| Ok(line.to_owned())))
        .unwrap_or_else(|error| panic!("not Prometheus text ({error}):\n{text}"))
}

/// The value of the sample `name` whose labels include all of `labels`.
fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|sample| {
            sample.metric == name
                && labels
                    .iter()
                    .all(|(key, wanted)| sample.labels.get(key) == Some(*wanted))
        })
        .map(|sample| match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Histogram(_) | prometheus_parse::Value::Summary(_) => f64::NAN,
        })
}

async fn scrape(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("scrape")
}

async fn metrics_count_what_happened_and_need_the_token(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.outbox_retry_seconds = 1;
        config.mail_workers = false;
        config.metrics_token = Some(TOKEN.to_owned());
        config.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let url = format!("{}/metrics", app.address);
    assert_eq!(scrape(&url, None).await.status(), 401);
    assert_eq!(scrape(&url, Some("wrong")).await.status(), 401);

    let admin = app.admin().await;
    for n in 0..3 {
        let raw = format!(
            "From: Bewerber {n} <b{n}@example.org>\r\nTo: jobs@firma.example\r\nSubject: Bewerbung {n}\r\n\
             Message-ID: <metrics-{n}@example.org>\r\n\r\nHallo\r\n"
        );
        let stored = admin
            .post_bytes("/api/mail/intake", "message/rfc822", raw.into_bytes())
            .await;
        assert_eq!(stored.status(), 201);
    }
    // The same mail again is known already: not counted a second time.
    let again = "From: Bewerber 0 <b0@example.org>\r\nTo: jobs@firma.example\r\nSubject: Bewerbung 0\r\n\
                 Message-ID: <metrics-0@example.org>\r\n\r\nHallo\r\n";
    admin
        .post_bytes("/api/mail/intake", "message/rfc822", again.as_bytes().to_vec())
        .await;

    let token = api_token(&app).await;
    let sink = SmtpSink::start(&[]);
    create_outbound(&admin, sink_account(&sink)).await;
    let candidate = create_candidate(&admin, "Mia", "Metrik", "mia@example.test").await;
    for subject in ["Eins", "Zwei"] {
        let queued = send(
            &admin,
            json!({"candidateId": candidate, "subject": subject, "body": "Test"}),
        )
        .await;
        wait_for_outbox(&app, &token, &id(&queued.data()["sendMessage"]["id"]), |m| {
            m["status"] == "SENT"
        })
        .await;
    }

    let response = scrape(&url, Some(TOKEN)).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let metrics = parse(&text);
    let ingested = value(
        &metrics,
        "talentpost_mails_ingested_total",
        &[("source", "forwarded"), ("parse_status", "parsed")],
    );
    assert_eq!(ingested, Some(3.0), "{text}");
    assert_eq!(
        value(&metrics, "talentpost_mail_ingest_duration_seconds_count", &[]),
        Some(4.0),
        "every ingest is timed, the known one too: {text}"
    );
    assert_eq!(
        value(&metrics, "talentpost_send_attempts_total", &[("outcome", "delivered")]),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(&metrics, "talentpost_outbox_messages", &[("status", "sent")]),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(&metrics, "talentpost_outbox_oldest_queued_age_seconds", &[]),
        Some(0.0),
        "{text}"
    );
    let blob_files = value(&metrics, "talentpost_blob_store_files", &[]).unwrap_or_default();
    assert_eq!(blob_files, 3.0, "the three raw mails: {text}");
    assert!(
        value(&metrics, "talentpost_blob_store_bytes", &[]).unwrap_or_default() > 0.0,
        "{text}"
    );
    assert!(
        value(
            &metrics,
            "talentpost_http_request_duration_seconds_count",
            &[("route", "/api/mail/intake"), ("status", "2xx")]
        )
        .is_some_and(|count| count >= 4.0),
        "{text}"
    );
    assert!(
        value(
            &metrics,
            "talentpost_graphql_request_duration_seconds_count",
            &[("operation", "anonymous")]
        )
        .is_some(),
        "{text}"
    );
    assert!(
        value(&metrics, "talentpost_database_pool_connections", &[("state", "idle")]).is_some(),
        "{text}"
    );
    assert!(
        !text.contains("example.org") && !text.contains("mia@"),
        "no personal data in labels: {text}"
    );

    // The separate address serves the same without a token.
    let separate = app.metrics_address.expect("metrics address");
    let open = scrape(&format!("http://{separate}/metrics"), None).await;
    assert_eq!(open.status(), 200);
    let open = parse(&open.text().await.unwrap());
    assert_eq!(
        value(&open, "talentpost_mails_ingested_total", &[("source", "forwarded")]),
        Some(3.0)
    );
}

crate::on_both_databases!(metrics_count_what_happened_and_need_the_token);
