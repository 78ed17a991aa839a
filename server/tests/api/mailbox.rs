//! Reading a Dovecot mailbox the way a mail program does, to see what Talentpost sent.

use std::time::Duration;

use futures_util::TryStreamExt;
use talentpost_server::mail::imap::{ImapSettings, connect};
use talentpost_server::mail::tls::MailTls;

use crate::dovecot::{Dovecot, PASSWORD};

/// Waits (IDLE, with a deadline) until the user's INBOX holds a mail for which `wanted`
/// is true, and returns its raw source.
/// `context` tells what to look at when it does not come (e.g. the MTA's log).
pub async fn wait_for_mail(
    dovecot: &Dovecot,
    user: &str,
    limit: Duration,
    context: impl Fn() -> String,
    wanted: impl Fn(&str) -> bool,
) -> String {
    let settings = ImapSettings {
        host: "127.0.0.1".into(),
        port: dovecot.imap_port,
        security: talentpost_shared::MailSecurity::Unencrypted,
        accept_invalid_certs: false,
        username: user.into(),
        login: talentpost_server::mail::imap::ImapLogin::Password(PASSWORD.into()),
    };
    let tls = MailTls::new().unwrap();
    let mut session = connect(&tls, &settings).await.unwrap();
    session.select("INBOX").await.unwrap();
    let deadline = tokio::time::Instant::now() + limit;
    let mut seen = 0;
    loop {
        let all = all_mail(&mut session).await;
        seen = all.len().max(seen);
        if let Some(found) = all.into_iter().find(|raw| wanted(raw)) {
            let _ = session.logout().await;
            return found;
        }
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        assert!(
            !remaining.is_zero(),
            "the wanted mail did not arrive in {user}'s INBOX within {limit:?} ({seen} other mails); Dovecot:\n{}\n{}",
            dovecot.log(),
            context()
        );
        let mut idle = session.idle();
        idle.init().await.unwrap();
        let (wait, _interrupt) = idle.wait_with_timeout(remaining.min(Duration::from_secs(5)));
        wait.await.unwrap();
        session = idle.done().await.unwrap();
    }
}

/// Every mail in the selected folder.
pub async fn all_mail(session: &mut talentpost_server::mail::imap::ImapSession) -> Vec<String> {
    let uids = session.uid_search("ALL").await.unwrap();
    if uids.is_empty() {
        return Vec::new();
    }
    let set = uids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    let fetched: Vec<_> = session
        .uid_fetch(set, "BODY.PEEK[]")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    fetched
        .iter()
        .filter_map(|fetch| fetch.body().map(|body| String::from_utf8_lossy(body).into_owned()))
        .collect()
}

/// A header of a raw mail, decoded (encoded words, folding), via the same parser the
/// server uses for incoming mail.
pub fn header(raw: &str, name: &str) -> Option<String> {
    let message = mail_parser::MessageParser::default().parse(raw.as_bytes())?;
    message.header(name).map(|value| match value {
        mail_parser::HeaderValue::Text(text) => text.to_string(),
        mail_parser::HeaderValue::TextList(list) => list.join(" "),
        mail_parser::HeaderValue::Address(address) => address
            .iter()
            .map(|addr| match (&addr.name, &addr.address) {
                (Some(name), Some(address)) => format!("{name} <{address}>"),
                (None, Some(address)) => address.to_string(),
                (Some(name), None) => name.to_string(),
                (None, None) => String::new(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => format!("{other:?}"),
    })
}

pub fn text_body(raw: &str) -> String {
    mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .and_then(|message| message.body_text(0).map(|text| text.replace("\r\n", "\n")))
        .unwrap_or_default()
}

pub fn html_body(raw: &str) -> Option<String> {
    mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .and_then(|message| message.body_html(0).map(|html| html.into_owned()))
}
