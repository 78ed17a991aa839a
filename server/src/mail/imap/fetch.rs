//! Read-only IMAP commands. The folder is opened with EXAMINE and every fetch uses
//! BODY.PEEK, so Talentpost never sets \Seen, deletes or moves anything.

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use talentpost_shared::MailProblem;

use crate::mail::imap::connect::{ImapSession, MailError, timed};

#[derive(Clone, Copy, Debug)]
pub struct FolderInfo {
    pub uid_validity: u32,
    pub exists: u32,
}

pub async fn examine(session: &mut ImapSession, folder: &str) -> Result<FolderInfo, MailError> {
    match timed("EXAMINE", session.examine(folder)).await? {
        Ok(mailbox) => Ok(FolderInfo {
            // A server without UIDVALIDITY cannot be synced safely; 0 forces a full
            // rescan every time, which the dedupe keys keep free of duplicates.
            uid_validity: mailbox.uid_validity.unwrap_or(0),
            exists: mailbox.exists,
        }),
        Err(async_imap::error::Error::No(text)) => Err(MailError::new(
            MailProblem::FolderMissing,
            format!(
                "the folder \"{folder}\" does not exist on the server ({}); choose one from \"fetch folders\"",
                text.trim()
            ),
        )),
        Err(error) => Err(MailError::imap("EXAMINE", error)),
    }
}

pub async fn supports_idle(session: &mut ImapSession) -> Result<bool, MailError> {
    let capabilities = timed("CAPABILITY", session.capabilities())
        .await?
        .map_err(|error| MailError::imap("CAPABILITY", error))?;
    Ok(capabilities.has_str("IDLE"))
}

/// UIDs above `last_uid`, ascending. (`n:*` always matches the highest UID, even when
/// it is below `n`, hence the filter.)
pub async fn uids_after(session: &mut ImapSession, last_uid: u32) -> Result<Vec<u32>, MailError> {
    let query = format!("UID {}:*", last_uid.saturating_add(1));
    let mut uids: Vec<u32> = timed("UID SEARCH", session.uid_search(&query))
        .await?
        .map_err(|error| MailError::imap("UID SEARCH", error))?
        .into_iter()
        .filter(|uid| *uid > last_uid)
        .collect();
    uids.sort_unstable();
    Ok(uids)
}

pub async fn uids_since(session: &mut ImapSession, since: NaiveDate) -> Result<Vec<u32>, MailError> {
    let query = format!("SINCE {}", since.format("%-d-%b-%Y"));
    let mut uids: Vec<u32> = timed("UID SEARCH", session.uid_search(&query))
        .await?
        .map_err(|error| MailError::imap("UID SEARCH", error))?
        .into_iter()
        .collect();
    uids.sort_unstable();
    Ok(uids)
}

#[derive(Clone, Debug)]
pub struct HeaderInfo {
    pub uid: u32,
    pub size: Option<u32>,
    pub message_id: Option<String>,
}

/// Size and Message-ID of each message: enough to skip mail that is already known
/// (after a UIDVALIDITY change or a crash) without downloading it again.
pub async fn fetch_headers(session: &mut ImapSession, uids: &[u32]) -> Result<Vec<HeaderInfo>, MailError> {
    let fetched = timed("UID FETCH", async {
        let stream = session
            .uid_fetch(uid_set(uids), "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            .await?;
        stream.try_collect::<Vec<_>>().await
    })
    .await?
    .map_err(|error| MailError::imap("UID FETCH", error))?;
    Ok(fetched
        .iter()
        .filter_map(|fetch| {
            let uid = fetch.uid?;
            let message_id = fetch.header().and_then(|header| {
                mail_parser::MessageParser::default()
                    .parse_headers(header)
                    .and_then(|message| message.message_id().map(str::to_owned))
            });
            Some(HeaderInfo {
                uid,
                size: fetch.size,
                message_id,
            })
        })
        .collect())
}

/// A compact UID set: `1:5,9,12:14`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut iter = uids.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while end.checked_add(1).is_some_and(|next| iter.peek() == Some(&next)) {
            end += 1;
            iter.next();
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::uid_set;

    #[test]
    fn uid_sets_collapse_runs() {
        assert_eq!(uid_set(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(uid_set(&[42]), "42");
    }
}
