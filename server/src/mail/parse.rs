//! Raw RFC 822 bytes to the fields Talentpost stores. Synchronous and CPU-bound:
//! callers run it on the blocking pool (`parse_off_thread`), never on an async worker.
//!
//! mail-parser 0.11 has no limits of its own beyond three levels of nested encoded
//! messages, so size and nesting are guarded here, before and after parsing.

use chrono::{DateTime, TimeZone, Utc};
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use serde::Serialize;
use talentpost_shared::ParseStatus;

use crate::mail::sanitize::{SanitizedHtml, sanitize_html};

#[derive(Clone, Copy, Debug)]
pub struct ParseLimits {
    /// Mails larger than this are kept raw and not parsed.
    pub max_bytes: usize,
    /// Deepest multipart / message nesting that is parsed.
    pub max_depth: usize,
    /// Most MIME parts a mail may have; a cheap guard before the parser runs.
    pub max_parts: usize,
}

impl ParseLimits {
    pub fn with_max_bytes(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            max_depth: 12,
            max_parts: 500,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MailAddress {
    pub name: Option<String>,
    pub address: String,
}

#[derive(Clone, Debug)]
pub struct ParsedAttachment {
    pub file_name: String,
    pub content_type: String,
    pub content_id: Option<String>,
    pub bytes: Vec<u8>,
}

/// Everything read from one mail. For a mail that could not be parsed, `status` says
/// why and only what the headers gave (if anything) is filled in.
#[derive(Clone, Debug)]
pub struct ParsedMail {
    pub status: ParseStatus,
    pub problem: Option<String>,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Option<String>,
    pub from: Option<MailAddress>,
    pub to: Vec<MailAddress>,
    pub cc: Vec<MailAddress>,
    pub reply_to: Vec<MailAddress>,
    pub subject: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub text_body: Option<String>,
    pub html_body: Option<SanitizedHtml>,
    pub attachments: Vec<ParsedAttachment>,
    /// Why this looks like an auto-reply or delivery report, if it does.
    pub automatic_reason: Option<String>,
    /// Addresses the mail was delivered to, most specific first (X-Original-To,
    /// Delivered-To, Resent-To, To, Cc): the forwarding intake routes by these.
    pub delivery_recipients: Vec<String>,
}

impl ParsedMail {
    /// The fallback when the read values cannot be stored: only who, what and when,
    /// stripped to plain characters, and the reason; the raw source keeps the rest.
    pub fn raw_only(&self, problem: String) -> Self {
        let printable = |text: &str| text.chars().filter(|c| !c.is_control()).collect::<String>();
        let mut mail = Self::unreadable(ParseStatus::Unparseable, problem);
        mail.from = self.from.as_ref().map(|from| MailAddress {
            name: from.name.as_deref().map(printable),
            address: printable(&from.address),
        });
        mail.subject = printable(&self.subject);
        mail.sent_at = self.sent_at;
        mail
    }

    /// PostgreSQL text cannot hold NUL, which encoded words and quoted-printable can
    /// produce (`=00`); it carries no meaning in mail text, so it goes everywhere.
    fn without_nul(mut self) -> Self {
        fn clean(text: &mut String) {
            if text.contains('\0') {
                text.retain(|c| c != '\0');
            }
        }
        fn clean_all(addresses: &mut [MailAddress]) {
            for address in addresses {
                clean(&mut address.address);
                if let Some(name) = &mut address.name {
                    clean(name);
                }
            }
        }
        for text in [
            &mut self.message_id,
            &mut self.in_reply_to,
            &mut self.references,
            &mut self.text_body,
            &mut self.problem,
        ]
        .into_iter()
        .flatten()
        {
            clean(text);
        }
        if let Some(html) = &mut self.html_body {
            clean(&mut html.html);
        }
        clean(&mut self.subject);
        clean_all(self.from.as_mut().map(std::slice::from_mut).unwrap_or_default());
        clean_all(&mut self.to);
        clean_all(&mut self.cc);
        clean_all(&mut self.reply_to);
        for attachment in &mut self.attachments {
            clean(&mut attachment.file_name);
            clean(&mut attachment.content_type);
            if let Some(id) = &mut attachment.content_id {
                clean(id);
            }
        }
        for recipient in &mut self.delivery_recipients {
            clean(recipient);
        }
        if let Some(reason) = &mut self.automatic_reason {
            clean(reason);
        }
        self
    }

    fn unreadable(status: ParseStatus, problem: String) -> Self {
        Self {
            status,
            problem: Some(problem),
            message_id: None,
            in_reply_to: None,
            references: None,
            from: None,
            to: Vec::new(),
            cc: Vec::new(),
            reply_to: Vec::new(),
            subject: String::new(),
            sent_at: None,
            text_body: None,
            html_body: None,
            attachments: Vec::new(),
            automatic_reason: None,
            delivery_recipients: Vec::new(),
        }
    }
}

/// `parse` that never panics: a parser failure marks the mail unparseable instead of
/// losing it.
pub fn parse_guarded(raw: &[u8], limits: ParseLimits) -> ParsedMail {
    std::panic::catch_unwind(|| parse(raw, limits))
        .unwrap_or_else(|_| {
            ParsedMail::unreadable(
                ParseStatus::Unparseable,
                "the mail parser failed on this mail".to_owned(),
            )
        })
        .without_nul()
}

pub fn parse(raw: &[u8], limits: ParseLimits) -> ParsedMail {
    if raw.len() > limits.max_bytes {
        let mut mail = headers_only(raw);
        mail.status = ParseStatus::TooLarge;
        mail.problem = Some(format!(
            "the mail has {} bytes, more than the limit of {} bytes; it is kept unparsed",
            raw.len(),
            limits.max_bytes
        ));
        return mail;
    }
    let boundaries = count_case_insensitive(raw, b"boundary=");
    if boundaries > limits.max_parts {
        let mut mail = headers_only(raw);
        mail.status = ParseStatus::TooDeep;
        mail.problem = Some(format!(
            "the mail declares {boundaries} multipart sections, more than {}",
            limits.max_parts
        ));
        return mail;
    }
    let Some(message) = MessageParser::default().parse(raw) else {
        return ParsedMail::unreadable(ParseStatus::Unparseable, "the data is not an e-mail message".to_owned());
    };
    if !has_standard_header(&message) {
        return ParsedMail::unreadable(ParseStatus::Unparseable, "the data has no mail headers".to_owned());
    }
    let depth = nesting_depth(&message);
    if depth > limits.max_depth || message.parts.len() > limits.max_parts {
        let mut mail = from_headers(&message);
        mail.status = ParseStatus::TooDeep;
        mail.problem = Some(format!(
            "the mail nests {depth} levels deep with {} parts; at most {} levels and {} parts are read",
            message.parts.len(),
            limits.max_depth,
            limits.max_parts
        ));
        return mail;
    }
    let mut mail = from_headers(&message);
    // Several inline text or HTML parts (a signature, a forwarded note) are shown in
    // order, as mail programs do.
    let texts: Vec<&str> = message
        .text_bodies()
        .filter_map(|part| match &part.body {
            PartType::Text(text) => Some(text.as_ref()),
            _ => None,
        })
        .collect();
    mail.text_body = if texts.is_empty() {
        message.body_text(0).map(|text| text.into_owned())
    } else {
        Some(texts.join("\n"))
    };
    let mut htmls: Vec<String> = message
        .html_bodies()
        .filter_map(|part| match &part.body {
            PartType::Html(html) => Some(html.to_string()),
            _ => None,
        })
        .collect();
    let mut body_parts_as_files = Vec::new();
    if htmls.is_empty() {
        // An HTML body in a charset the parser does not know ends up among the
        // attachments; an unnamed inline one is still the body.
        if let Some((index, part)) = message.attachments().enumerate().find(|(_, part)| {
            part.is_content_type("text", "html")
                && part.attachment_name().is_none()
                && !part.content_disposition().is_some_and(|d| d.is_attachment())
        }) {
            htmls.push(String::from_utf8_lossy(part.contents()).into_owned());
            body_parts_as_files.push(index);
        }
    }
    mail.html_body = (!htmls.is_empty()).then(|| sanitize_html(&htmls.join("<hr>")));
    let charset = declared_charset(&message);
    let mut names = FileNames::default();
    mail.attachments = message
        .attachments()
        .enumerate()
        .filter(|(index, _)| !body_parts_as_files.contains(index))
        .map(|(_, part)| attachment(part, part_file_name(&message, part, charset), &mut names))
        .collect();
    mail
}

fn headers_only(raw: &[u8]) -> ParsedMail {
    match MessageParser::default().parse_headers(raw) {
        Some(message) if has_standard_header(&message) => from_headers(&message),
        _ => ParsedMail::unreadable(ParseStatus::Unparseable, String::new()),
    }
}

/// Arbitrary bytes often "parse" into one odd header; a mail has at least one of the
/// headers RFC 5322 or MIME define.
fn has_standard_header(message: &Message<'_>) -> bool {
    message
        .headers()
        .iter()
        .any(|header| !matches!(header.name, mail_parser::HeaderName::Other(_)))
}

fn from_headers(message: &Message<'_>) -> ParsedMail {
    let mut mail = ParsedMail::unreadable(ParseStatus::Parsed, String::new());
    mail.problem = None;
    mail.message_id = message
        .message_id()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    mail.in_reply_to = id_list(message.in_reply_to());
    mail.references = id_list(message.references());
    // A mail without a usable From (spam, broken scripts) still names someone to answer.
    mail.from = [message.from(), message.reply_to(), message.sender()]
        .into_iter()
        .find_map(|address| addresses(address).into_iter().next())
        .or_else(|| {
            message
                .return_address()
                .filter(|a| a.contains('@'))
                .map(|a| MailAddress {
                    name: None,
                    address: a.to_owned(),
                })
        });
    mail.to = addresses(message.to());
    mail.cc = addresses(message.cc());
    mail.reply_to = addresses(message.reply_to());
    mail.subject = message.subject().map(normalise_whitespace).unwrap_or_default();
    let charset = declared_charset(message);
    if mail.subject.contains(REPLACEMENT)
        && let Some(raw) = raw_header_text(message, message.root_part(), "Subject", charset)
    {
        mail.subject = normalise_whitespace(&raw);
    }
    if mail
        .from
        .as_ref()
        .is_some_and(|from| from.name.as_deref().unwrap_or_default().contains(REPLACEMENT))
        && let Some(raw) = raw_header_text(message, message.root_part(), "From", charset)
        && let Some(reparsed) = MessageParser::default().parse_headers(format!("From: {raw}\r\n\r\n").as_bytes())
    {
        mail.from = addresses(reparsed.from()).into_iter().next().or(mail.from);
    }
    mail.sent_at = message
        .date()
        .filter(|date| date.is_valid())
        .and_then(|date| Utc.timestamp_opt(date.to_timestamp(), 0).single());
    mail.automatic_reason = automatic_reason(message);
    mail.delivery_recipients = delivery_recipients(message);
    mail
}

fn addresses(address: Option<&Address<'_>>) -> Vec<MailAddress> {
    let Some(address) = address else {
        return Vec::new();
    };
    address
        .iter()
        .filter_map(|addr| {
            let name = addr.name().map(str::trim).filter(|name| !name.is_empty());
            let email = match addr.address().map(str::trim).filter(|email| !email.is_empty()) {
                Some(email) => email,
                // `From: "someone@example.com"`: the only address is in the name.
                None => name.filter(|name| looks_like_address(name))?,
            };
            let name = name.filter(|name| *name != email);
            Some(MailAddress {
                name: name.map(str::to_owned),
                address: email.to_owned(),
            })
        })
        .collect()
}

fn looks_like_address(text: &str) -> bool {
    let text = text.trim_matches('"');
    text.split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !text.contains(char::is_whitespace))
}

const REPLACEMENT: char = '\u{FFFD}';

fn normalise_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The charset the mail declares anywhere (root first), the best guess for raw 8-bit
/// header bytes, which old mailers send in the body's charset.
fn declared_charset<'a>(message: &'a Message<'_>) -> Option<&'a str> {
    message
        .parts
        .iter()
        .find_map(|part| part.content_type().and_then(|ct| ct.attribute("charset")))
}

/// A header's raw bytes decoded with `charset` (Windows-1252 when none is declared),
/// for values that are neither ASCII nor UTF-8 and came out of the parser with
/// replacement characters.
fn raw_header_text(
    message: &Message<'_>,
    part: &mail_parser::MessagePart<'_>,
    name: &str,
    charset: Option<&str>,
) -> Option<String> {
    let header = part
        .headers
        .iter()
        .find(|header| header.name().eq_ignore_ascii_case(name))?;
    let bytes = message
        .raw_message()
        .get(header.offset_start as usize..header.offset_end as usize)?;
    if std::str::from_utf8(bytes).is_ok() {
        return None;
    }
    let decoder = charset
        .and_then(|charset| charset_decoder(charset.as_bytes()))
        .or_else(|| charset_decoder(b"windows-1252"))?;
    Some(decoder(bytes).trim().to_owned())
}

/// The file name of a part, with raw 8-bit names decoded like other headers.
fn part_file_name(message: &Message<'_>, part: &mail_parser::MessagePart<'_>, charset: Option<&str>) -> Option<String> {
    let name = part.attachment_name().map(str::trim).filter(|name| !name.is_empty())?;
    if !name.contains(REPLACEMENT) {
        return Some(name.to_owned());
    }
    let charset = part.content_type().and_then(|ct| ct.attribute("charset")).or(charset);
    let mut headers = String::new();
    for header in ["Content-Disposition", "Content-Type"] {
        if let Some(raw) = raw_header_text(message, part, header, charset) {
            headers.push_str(&format!("{header}: {raw}\r\n"));
        }
    }
    headers.push_str("\r\n");
    let reparsed = MessageParser::default().parse(headers.as_bytes())?;
    let repaired = reparsed.root_part().attachment_name().map(str::to_owned);
    repaired.or_else(|| Some(name.to_owned()))
}

fn id_list(value: &HeaderValue<'_>) -> Option<String> {
    let ids: Vec<&str> = match value {
        HeaderValue::Text(id) => vec![id.as_ref()],
        HeaderValue::TextList(ids) => ids.iter().map(|id| id.as_ref()).collect(),
        _ => Vec::new(),
    };
    let joined = ids
        .iter()
        .map(|id| id.trim())
        .filter(|id| !id.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!joined.is_empty()).then_some(joined)
}

fn header_text<'a>(message: &'a Message<'_>, name: &str) -> Option<&'a str> {
    message
        .headers()
        .iter()
        .find(|header| header.name().eq_ignore_ascii_case(name))
        .and_then(|header| header.value().as_text())
        .map(str::trim)
}

/// RFC 3834 and the common vendor headers, plus delivery and read reports.
fn automatic_reason(message: &Message<'_>) -> Option<String> {
    if let Some(value) = header_text(message, "Auto-Submitted")
        && !value.to_ascii_lowercase().starts_with("no")
    {
        return Some(format!("Auto-Submitted: {value}"));
    }
    for vendor in ["X-Autoreply", "X-Autorespond", "X-Autoresponder"] {
        if let Some(value) = header_text(message, vendor)
            && !value.eq_ignore_ascii_case("no")
        {
            return Some(format!("{vendor}: {value}"));
        }
    }
    if let Some(value) = header_text(message, "Precedence") {
        let lower = value.to_ascii_lowercase();
        if ["auto_reply", "bulk", "junk", "list"].contains(&lower.as_str()) {
            return Some(format!("Precedence: {value}"));
        }
    }
    if let Some(content_type) = message.root_part().content_type()
        && content_type.ctype().eq_ignore_ascii_case("multipart")
        && content_type.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    {
        let report = content_type.attribute("report-type").unwrap_or("report");
        return Some(format!("multipart/report: {report}"));
    }
    None
}

fn delivery_recipients(message: &Message<'_>) -> Vec<String> {
    let mut found = Vec::new();
    for name in ["X-Original-To", "Delivered-To", "Envelope-To", "X-Envelope-To"] {
        for header in message.headers().iter().filter(|h| h.name().eq_ignore_ascii_case(name)) {
            if let Some(text) = header.value().as_text() {
                found.push(text.trim().trim_matches(['<', '>']).to_owned());
            }
        }
    }
    for address in [message.resent_to(), message.to(), message.cc()] {
        found.extend(addresses(address).into_iter().map(|a| a.address));
    }
    found.retain(|address| address.contains('@'));
    found
}

/// Names given to unnamed parts in one mail, so that two unnamed images become
/// `image.jpg` and `image1.jpg`.
#[derive(Default)]
struct FileNames {
    used: Vec<String>,
}

impl FileNames {
    fn is_used(&self, name: &str) -> bool {
        self.used.iter().any(|used| used == name)
    }

    fn take(&mut self, name: String) -> String {
        self.used.push(name.clone());
        name
    }

    fn numbered(&mut self, stem: &str, extension: &str) -> String {
        let mut candidate = format!("{stem}{extension}");
        let mut counter = 1;
        while self.is_used(&candidate) {
            candidate = format!("{stem}{counter}{extension}");
            counter += 1;
        }
        self.take(candidate)
    }
}

fn attachment(part: &mail_parser::MessagePart<'_>, name: Option<String>, names: &mut FileNames) -> ParsedAttachment {
    let content_type = part
        .content_type()
        .map(|ct| match ct.subtype() {
            Some(subtype) => format!("{}/{}", ct.ctype(), subtype).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        })
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let content_id = part
        .content_id()
        .map(|id| id.trim().trim_matches(['<', '>']).to_owned());
    let extension = extension_for(&content_type);
    // Unnamed parts get the most telling name available: a forwarded mail's subject,
    // an Outlook-style Content-ID ("image001.jpg@01CD…"), the sender's description
    // ("Delivery report"), else a name by type.
    let nested_subject = match &part.body {
        PartType::Message(nested) => nested
            .subject()
            .map(normalise_whitespace)
            .filter(|s| !s.is_empty())
            .map(|s| format!("{s}.eml")),
        _ => None,
    };
    let from_content_id = content_id
        .as_deref()
        .and_then(|id| id.split('@').next())
        .filter(|local| local.contains('.') && local.len() <= 100 && !names.is_used(local))
        .map(str::to_owned);
    let described = part
        .content_description()
        .map(normalise_whitespace)
        .filter(|text| !text.is_empty() && text.len() <= 100)
        .map(|text| format!("{text}{extension}"));
    let file_name = match name.or(nested_subject).or(from_content_id).or(described) {
        Some(name) => names.take(name),
        None => names.numbered(stem_for(&content_type), extension),
    };
    ParsedAttachment {
        file_name,
        content_type,
        content_id,
        bytes: part.contents().to_vec(),
    }
}

fn stem_for(content_type: &str) -> &'static str {
    match content_type.split('/').next().unwrap_or_default() {
        "image" => "image",
        "video" => "video",
        "audio" => "audio",
        "text" if content_type == "text/html" => "document",
        "message" if content_type == "message/delivery-status" => "delivery-status",
        "message" => "message",
        _ => "file",
    }
}

fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => ".pdf",
        "image/png" => ".png",
        "image/jpeg" | "image/jpg" | "image/pjpeg" => ".jpg",
        "video/quicktime" => ".mov",
        "video/mp4" => ".mp4",
        "image/gif" => ".gif",
        "text/plain" => ".txt",
        "text/html" => ".html",
        "text/calendar" => ".ics",
        "message/rfc822" => ".eml",
        "message/delivery-status" => ".txt",
        _ => "",
    }
}

fn nesting_depth(message: &Message<'_>) -> usize {
    // Iterative walk: a hostile mail must not be able to overflow our stack either.
    let mut deepest = 0;
    let mut pending: Vec<(&Message<'_>, usize, usize)> = vec![(message, 0, 1)];
    while let Some((current, part_index, depth)) = pending.pop() {
        deepest = deepest.max(depth);
        let Some(part) = current.parts.get(part_index) else {
            continue;
        };
        match &part.body {
            PartType::Multipart(children) => {
                for child in children {
                    pending.push((current, *child as usize, depth + 1));
                }
            }
            PartType::Message(nested) => pending.push((nested, 0, depth + 1)),
            _ => {}
        }
    }
    deepest
}

fn count_case_insensitive(haystack: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() || haystack.len() < needle.len() {
        return 0;
    }
    haystack
        .windows(needle.len())
        .filter(|window| window.eq_ignore_ascii_case(needle))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ParseLimits {
        ParseLimits::with_max_bytes(1024 * 1024)
    }

    #[test]
    fn reads_headers_bodies_and_attachment_names() {
        let raw = concat!(
            "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <Juergen@Example.com>\r\n",
            "To: jobs@firma.de, \"HR\" <hr@firma.de>\r\n",
            "Subject: =?UTF-8?B?QmV3ZXJidW5n?= als Entwickler\r\n",
            "Message-ID: <abc@example.com>\r\n",
            "In-Reply-To: <prev@firma.de>\r\n",
            "References: <first@firma.de> <prev@firma.de>\r\n",
            "Date: Tue, 1 Sep 2026 10:00:00 +0200\r\n",
            "Content-Type: multipart/mixed; boundary=b1\r\n\r\n",
            "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo!\r\n",
            "--b1\r\nContent-Type: application/pdf\r\n",
            "Content-Disposition: attachment; filename*=UTF-8''Lebenslauf%20J%C3%BCrgen.pdf\r\n",
            "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b1--\r\n"
        );
        let mail = parse(raw.as_bytes(), limits());
        assert_eq!(mail.status, ParseStatus::Parsed);
        assert_eq!(
            mail.from,
            Some(MailAddress {
                name: Some("Jürgen Müller".into()),
                address: "Juergen@Example.com".into()
            })
        );
        assert_eq!(mail.to.len(), 2);
        assert_eq!(mail.subject, "Bewerbung als Entwickler");
        assert_eq!(mail.message_id.as_deref(), Some("abc@example.com"));
        assert_eq!(mail.in_reply_to.as_deref(), Some("prev@firma.de"));
        assert_eq!(mail.references.as_deref(), Some("first@firma.de prev@firma.de"));
        assert_eq!(
            mail.sent_at.map(|d| d.to_rfc3339()),
            Some("2026-09-01T08:00:00+00:00".into())
        );
        assert_eq!(mail.text_body.as_deref().map(str::trim), Some("Hallo!"));
        assert_eq!(mail.attachments.len(), 1);
        assert_eq!(mail.attachments[0].file_name, "Lebenslauf Jürgen.pdf");
        assert_eq!(mail.attachments[0].content_type, "application/pdf");
        assert_eq!(mail.attachments[0].bytes, b"%PDF-");
        assert!(mail.automatic_reason.is_none());
    }

    #[test]
    fn flags_auto_replies_and_reports() {
        let auto = "From: a@b.c\r\nAuto-Submitted: auto-replied\r\nSubject: Abwesend\r\n\r\nweg";
        assert!(parse(auto.as_bytes(), limits()).automatic_reason.is_some());
        let human = "From: a@b.c\r\nAuto-Submitted: no\r\nSubject: Hi\r\n\r\nhi";
        assert!(parse(human.as_bytes(), limits()).automatic_reason.is_none());
        let bounce = "From: MAILER-DAEMON@x\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x--\r\n";
        assert_eq!(
            parse(bounce.as_bytes(), limits()).automatic_reason.as_deref(),
            Some("multipart/report: delivery-status")
        );
    }

    #[test]
    fn oversized_and_deeply_nested_mail_is_kept_with_the_reason() {
        let big = format!("From: a@b.c\r\nSubject: Big\r\n\r\n{}", "x".repeat(2000));
        let mail = parse(big.as_bytes(), ParseLimits::with_max_bytes(1000));
        assert_eq!(mail.status, ParseStatus::TooLarge);
        assert_eq!(mail.subject, "Big");
        assert!(mail.problem.is_some_and(|p| p.contains("1000")));

        let mut deep = String::from("From: a@b.c\r\nSubject: Deep\r\n");
        for level in 0..30 {
            deep.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=b{level}\r\n\r\n--b{level}\r\n"
            ));
        }
        deep.push_str("Content-Type: text/plain\r\n\r\nbottom\r\n");
        let mail = parse(deep.as_bytes(), limits());
        assert_eq!(mail.status, ParseStatus::TooDeep);
        assert_eq!(mail.subject, "Deep");
    }

    #[test]
    fn garbage_is_unparseable_not_lost() {
        let mail = parse(&[0u8, 159, 146, 150], limits());
        assert_eq!(mail.status, ParseStatus::Unparseable);
        assert!(mail.problem.is_some());
    }
}
