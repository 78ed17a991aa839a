//! How incoming mail finds the conversation it belongs to: answers to our mail by their
//! References/In-Reply-To, by the per-thread reply address, or by sender and subject;
//! and delivery reports that say one of our mails could not be delivered.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use talentpost_shared::EmailAddress;

use crate::db::entities::{mail_thread, outbox_message};
use crate::error::ServiceResult;
use crate::mail::parse::ParsedMail;
use crate::services::candidates;
use crate::services::mail_out::outbox::thread_token_of;

/// Answers by sender and subject alone count only this long after our mail.
const SUBJECT_MATCH_DAYS: i64 = 90;

/// The conversation an incoming mail continues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadMatch {
    pub thread_id: i64,
    pub candidate_id: i64,
    pub application_id: Option<i64>,
    /// How it was recognised, for the log and the tests.
    pub by: &'static str,
}

/// Finds the thread of our mail that this mail answers, if any.
pub async fn match_reply(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    parsed: &ParsedMail,
) -> ServiceResult<Option<ThreadMatch>> {
    let referenced = parsed
        .in_reply_to
        .iter()
        .chain(parsed.references.iter())
        .flat_map(|ids| ids.split_whitespace())
        .filter_map(thread_token_of);
    for token in referenced {
        if let Some(thread) = thread_by_token(db, organisation_id, token).await? {
            return Ok(Some(found(thread, "references")));
        }
    }
    for recipient in &parsed.delivery_recipients {
        if let Some(token) = reply_address_token(recipient)
            && let Some(thread) = thread_by_token(db, organisation_id, &token).await?
        {
            return Ok(Some(found(thread, "reply address")));
        }
    }
    let Some(sender) = parsed
        .from
        .as_ref()
        .and_then(|from| EmailAddress::parse(&from.address).ok())
    else {
        return Ok(None);
    };
    let Some(candidate) = candidates::find_by_email(db, organisation_id, &sender).await? else {
        return Ok(None);
    };
    let subject = without_reply_prefixes(&parsed.subject);
    if subject.is_empty() || subject.len() == parsed.subject.trim().len() {
        // Not marked as an answer: a new mail from a known candidate is a new inbox item.
        return Ok(None);
    }
    let recent = crate::db::tenancy::scoped::<mail_thread::Entity>(organisation_id)
        .filter(mail_thread::Column::CandidateId.eq(candidate.id))
        .filter(mail_thread::Column::CreatedAt.gt(Utc::now() - Duration::days(SUBJECT_MATCH_DAYS)))
        .order_by_desc(mail_thread::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(recent
        .into_iter()
        .find(|thread| without_reply_prefixes(&thread.subject).eq_ignore_ascii_case(subject))
        .map(|thread| found(thread, "sender and subject")))
}

fn found(thread: mail_thread::Model, by: &'static str) -> ThreadMatch {
    ThreadMatch {
        thread_id: thread.id,
        candidate_id: thread.candidate_id,
        application_id: thread.application_id,
        by,
    }
}

async fn thread_by_token(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    token: &str,
) -> ServiceResult<Option<mail_thread::Model>> {
    Ok(crate::db::tenancy::scoped::<mail_thread::Entity>(organisation_id)
        .filter(mail_thread::Column::Token.eq(token.to_ascii_lowercase()))
        .one(db)
        .await?)
}

/// The thread token of a per-thread reply address `local+r<token>@domain`.
pub fn reply_address_token(address: &str) -> Option<String> {
    let local = address.rsplit_once('@')?.0;
    let tag = local.rsplit_once('+')?.1;
    let token = tag.strip_prefix('r').or_else(|| tag.strip_prefix('R'))?;
    (token.len() >= 8 && token.chars().all(|c| c.is_ascii_alphanumeric())).then(|| token.to_ascii_lowercase())
}

/// "Re: AW: Ihre Bewerbung" → "Ihre Bewerbung" (the prefixes German and English mail
/// programs put in front of answers and forwards).
pub fn without_reply_prefixes(subject: &str) -> &str {
    let mut rest = subject.trim();
    loop {
        let lower = rest.to_ascii_lowercase();
        let Some(prefix) = ["re:", "aw:", "antw:", "wg:", "fw:", "fwd:", "re :", "aw :"]
            .iter()
            .find(|p| lower.starts_with(**p))
        else {
            return rest;
        };
        rest = rest[prefix.len()..].trim_start();
    }
}

/// A delivery report saying that mail could not be delivered for good.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bounce {
    /// Message-IDs of the returned mail found in the report (without brackets).
    pub message_ids: Vec<String>,
    pub failed_recipients: Vec<String>,
    pub status: Option<String>,
    pub diagnostic: Option<String>,
}

/// Reads a delivery status notification (RFC 3464) from the raw mail: the returned
/// mail's Message-ID from its enclosed headers, and the failed recipients with their
/// status. Reports of delays (4.x.x, "Action: delayed") are not bounces.
pub fn read_bounce(parsed: &ParsedMail, raw: &[u8]) -> Option<Bounce> {
    // A report carries a message/delivery-status part; its top-level headers vary
    // (Postfix also says Auto-Submitted), so the part decides.
    parsed.automatic_reason.as_ref()?;
    let text = String::from_utf8_lossy(raw);
    if !text.to_ascii_lowercase().contains("message/delivery-status") {
        return None;
    }
    let own_id = parsed
        .message_id
        .as_deref()
        .map(|id| id.trim_matches(['<', '>']).to_owned());
    let mut bounce = Bounce::default();
    let mut failed = false;
    for line in text.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "message-id" => {
                let id = value.trim_matches(['<', '>']).to_owned();
                if Some(&id) != own_id.as_ref() && !id.is_empty() && !bounce.message_ids.contains(&id) {
                    bounce.message_ids.push(id);
                }
            }
            "final-recipient" | "original-recipient" => {
                let address = value
                    .rsplit_once(';')
                    .map_or(value, |(_, address)| address)
                    .trim()
                    .trim_matches(['<', '>']);
                if address.contains('@')
                    && !bounce
                        .failed_recipients
                        .iter()
                        .any(|known| known.eq_ignore_ascii_case(address))
                {
                    bounce.failed_recipients.push(address.to_owned());
                }
            }
            "action" => failed |= value.eq_ignore_ascii_case("failed"),
            "status" if bounce.status.is_none() && value.starts_with(['4', '5']) => {
                failed |= value.starts_with('5');
                bounce.status = Some(value.to_owned());
            }
            "diagnostic-code" if bounce.diagnostic.is_none() => {
                bounce.diagnostic = Some(value.rsplit_once(';').map_or(value, |(_, text)| text).trim().to_owned());
            }
            _ => {}
        }
    }
    (failed && !bounce.message_ids.is_empty()).then_some(bounce)
}

/// The sent mails a bounce reports on.
pub async fn bounced_messages(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    bounce: &Bounce,
) -> ServiceResult<Vec<outbox_message::Model>> {
    Ok(crate::db::tenancy::scoped::<outbox_message::Entity>(organisation_id)
        .filter(outbox_message::Column::MessageId.is_in(bounce.message_ids.iter().cloned()))
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_prefixes_are_removed_in_any_number() {
        assert_eq!(without_reply_prefixes("Re: AW: Ihre Bewerbung"), "Ihre Bewerbung");
        assert_eq!(without_reply_prefixes("WG: re:Termin"), "Termin");
        assert_eq!(without_reply_prefixes("Bewerbung"), "Bewerbung");
    }

    #[test]
    fn per_thread_reply_addresses_give_their_token() {
        assert_eq!(
            reply_address_token("karriere+rabcdef1234567890@example.test").as_deref(),
            Some("abcdef1234567890")
        );
        assert_eq!(reply_address_token("karriere+newsletter@example.test"), None);
        assert_eq!(reply_address_token("karriere@example.test"), None);
    }
}
