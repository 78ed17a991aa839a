//! Turning a composed mail into the RFC 5322 bytes the outbox stores and sends.
//! Header values are checked before lettre sees them: a CR or LF in a subject or name
//! is an input error, never a header injection.

use chrono::{DateTime, Utc};
use lettre::Address;
use lettre::address::Envelope;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

pub struct OutgoingAttachment {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

pub struct OutgoingMail {
    pub from_name: Option<String>,
    pub from: Address,
    pub to_name: Option<String>,
    pub to: Address,
    pub reply_to: Option<Address>,
    pub subject: String,
    pub text: String,
    /// An HTML alternative of `text`; sent as multipart/alternative when present.
    pub html: Option<String>,
    /// Without angle brackets.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub attachments: Vec<OutgoingAttachment>,
    pub date: DateTime<Utc>,
    /// Marks mail that Talentpost writes by itself (RFC 3834), so auto-responders stay quiet.
    pub auto_generated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// A header value holds a line break; names the field.
    #[error("{field} must be a single line")]
    LineBreak { field: &'static str },
    #[error("the attachment \"{0}\" has an invalid content type")]
    ContentType(String),
    #[error("the message cannot be built: {0}")]
    Build(String),
}

pub fn single_line(field: &'static str, value: &str) -> Result<(), MessageError> {
    if value.contains(['\r', '\n']) {
        Err(MessageError::LineBreak { field })
    } else {
        Ok(())
    }
}

pub fn build_message(mail: &OutgoingMail) -> Result<(Envelope, Vec<u8>), MessageError> {
    single_line("subject", &mail.subject)?;
    if let Some(name) = &mail.from_name {
        single_line("senderName", name)?;
    }
    if let Some(name) = &mail.to_name {
        single_line("to", name)?;
    }
    single_line("messageId", &mail.message_id)?;
    if let Some(id) = &mail.in_reply_to {
        single_line("inReplyTo", id)?;
    }
    for reference in &mail.references {
        single_line("references", reference)?;
    }
    for attachment in &mail.attachments {
        single_line("attachments", &attachment.file_name)?;
    }

    let mut builder = lettre::Message::builder()
        .from(Mailbox::new(mail.from_name.clone(), mail.from.clone()))
        .to(Mailbox::new(mail.to_name.clone(), mail.to.clone()))
        .subject(mail.subject.clone())
        .date(mail.date.into())
        .message_id(Some(format!("<{}>", mail.message_id)))
        .user_agent("Talentpost".to_owned());
    if let Some(reply_to) = &mail.reply_to {
        builder = builder.reply_to(Mailbox::new(mail.from_name.clone(), reply_to.clone()));
    }
    if let Some(id) = &mail.in_reply_to {
        builder = builder.in_reply_to(format!("<{id}>"));
    }
    if !mail.references.is_empty() {
        let joined = mail
            .references
            .iter()
            .map(|id| format!("<{id}>"))
            .collect::<Vec<_>>()
            .join(" ");
        builder = builder.references(joined);
    }
    if mail.auto_generated {
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ));
    }

    let body = match &mail.html {
        Some(html) => MultiPart::alternative_plain_html(mail.text.clone(), html.clone()),
        None => MultiPart::mixed().singlepart(SinglePart::plain(mail.text.clone())),
    };
    let message = if mail.attachments.is_empty() {
        match &mail.html {
            Some(_) => builder.multipart(body),
            None => builder.singlepart(SinglePart::plain(mail.text.clone())),
        }
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for attachment in &mail.attachments {
            let content_type = ContentType::parse(&attachment.content_type)
                .map_err(|_| MessageError::ContentType(attachment.file_name.clone()))?;
            mixed = mixed
                .singlepart(Attachment::new(attachment.file_name.clone()).body(attachment.bytes.clone(), content_type));
        }
        builder.multipart(mixed)
    }
    .map_err(|error| MessageError::Build(error.to_string()))?;
    Ok((message.envelope().clone(), message.formatted()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> OutgoingMail {
        OutgoingMail {
            from_name: Some("Müller GmbH".to_owned()),
            from: "jobs@example.test".parse().unwrap(),
            to_name: Some("Anna Schmidt".to_owned()),
            to: "anna@example.test".parse().unwrap(),
            reply_to: Some("jobs+t1@example.test".parse().unwrap()),
            subject: "Ihre Bewerbung – Lagerist".to_owned(),
            text: "Hallo Anna,\n\ndanke.".to_owned(),
            html: None,
            message_id: "tp.abc.1@example.test".to_owned(),
            in_reply_to: Some("cand-1@example.test".to_owned()),
            references: vec!["cand-1@example.test".to_owned()],
            attachments: vec![],
            date: Utc::now(),
            auto_generated: false,
        }
    }

    #[test]
    fn threading_headers_and_envelope_are_set() {
        let (envelope, raw) = build_message(&mail()).unwrap();
        let text = String::from_utf8(raw).unwrap();
        assert!(text.contains("Message-ID: <tp.abc.1@example.test>"), "{text}");
        assert!(text.contains("In-Reply-To: <cand-1@example.test>"), "{text}");
        assert!(text.contains("References: <cand-1@example.test>"), "{text}");
        assert!(text.contains("Reply-To:"), "{text}");
        assert_eq!(envelope.to().len(), 1);
        assert_eq!(
            envelope.from().map(ToString::to_string).as_deref(),
            Some("jobs@example.test")
        );
    }

    #[test]
    fn a_line_break_in_a_header_value_is_refused_by_field() {
        let mut injected = mail();
        injected.subject = "Hello\r\nBcc: victim@example.test".to_owned();
        assert!(matches!(
            build_message(&injected),
            Err(MessageError::LineBreak { field: "subject" })
        ));
        let mut injected = mail();
        injected.from_name = Some("Evil\nBcc: x@example.test".to_owned());
        assert!(matches!(
            build_message(&injected),
            Err(MessageError::LineBreak { field: "senderName" })
        ));
    }
}
