//! IMAP client side: connecting with the account's security setting, listing folders,
//! and the read-only fetch commands the sync worker uses.

mod connect;
mod fetch;

pub use connect::{
    COMMAND_TIMEOUT, ImapLogin, ImapSession, ImapSettings, MailError, MailFolder, MailStream, connect, list_folders,
    timed, timed_within,
};
pub use fetch::{FolderInfo, HeaderInfo, examine, fetch_headers, supports_idle, uid_set, uids_after, uids_since};
