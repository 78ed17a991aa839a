//! The event bus that feeds GraphQL subscriptions. Within one process it is a
//! broadcast channel; on PostgreSQL every event is also sent to the other processes
//! on the same database (more server instances, `talentpost ingest-mail`) by
//! NOTIFY, and theirs arrive by LISTEN (see `relay`).

pub mod relay;

use tokio::sync::{broadcast, mpsc, oneshot};

use crate::db::entities::{inbound_account, inbox_item};

#[derive(Clone, Debug)]
pub enum DomainEvent {
    InboxItemAdded(Box<inbox_item::Model>),
    /// Items changed state (deleted, restored, assigned); counts must be re-read.
    InboxChanged {
        organisation_id: i64,
    },
    /// What a user may see changed (logout, role, groups, deactivation, revoked token):
    /// their open subscriptions end, and a reconnect authenticates afresh.
    /// `user_id: None` means every user of the organisation.
    AccessChanged {
        organisation_id: i64,
        user_id: Option<i64>,
    },
    /// An inbound account's settings or sync status changed.
    InboundAccountStatusChanged(Box<inbound_account::Model>),
    /// A mail was queued or its delivery status changed. Carries ids only: the message
    /// holds the whole mail, which neither the bus nor NOTIFY should copy.
    OutboxChanged {
        organisation_id: i64,
        message_id: i64,
        status: talentpost_shared::OutboxStatus,
    },
    /// A candidate's contact history gained or changed an entry.
    ContactHistoryChanged {
        organisation_id: i64,
        candidate_id: i64,
    },
    /// A nurturing job, its entries or writing jobs changed (`job_id: None`: manual
    /// writing jobs); schedulers re-plan and open views re-read.
    NurturingChanged {
        organisation_id: i64,
        job_id: Option<i64>,
    },
    /// A Google or Microsoft connection was made, renewed, lost or removed.
    OauthAccountChanged {
        organisation_id: i64,
        oauth_account_id: i64,
    },
    /// What the process syncing an inbound account should do about it: relayed, so it
    /// reaches that process wherever the account was changed.
    InboundAccountCommand {
        organisation_id: i64,
        account_id: i64,
        command: InboundCommand,
    },
}

/// What the sync of one inbound account is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum InboundCommand {
    /// Its settings changed (or it was created): start its sync afresh.
    Restart,
    /// It was deleted: end its sync.
    Stop,
    /// End a backoff or an IDLE early ("sync now").
    Wake,
    /// Read every mail again from that date ("fetch again since"), in the process that
    /// syncs the account, so the mailbox keeps its one session.
    FetchSince(chrono::NaiveDate),
}

impl DomainEvent {
    pub fn organisation_id(&self) -> i64 {
        match self {
            Self::InboxItemAdded(item) => item.organisation_id,
            Self::InboundAccountStatusChanged(account) => account.organisation_id,
            Self::InboxChanged { organisation_id }
            | Self::AccessChanged { organisation_id, .. }
            | Self::OutboxChanged { organisation_id, .. }
            | Self::ContactHistoryChanged { organisation_id, .. }
            | Self::NurturingChanged { organisation_id, .. }
            | Self::OauthAccountChanged { organisation_id, .. }
            | Self::InboundAccountCommand { organisation_id, .. } => *organisation_id,
        }
    }

    /// Whether this event ends the subscriptions of the given user.
    pub fn revokes_access_of(&self, organisation_id: i64, user_id: i64) -> bool {
        matches!(self, Self::AccessChanged { organisation_id: org, user_id: affected }
            if *org == organisation_id && affected.is_none_or(|id| id == user_id))
    }
}

#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<DomainEvent>,
    /// Set on PostgreSQL: events for the other processes.
    relay: Option<mpsc::UnboundedSender<relay::Outgoing>>,
    /// This process's id on the relay.
    origin: Option<u64>,
}

impl EventBus {
    pub fn new() -> Self {
        // Subscribers that fall this far behind get a `Lagged` and resynchronise by
        // re-reading counts; 1024 covers a burst of a large first mail sync.
        let (sender, _) = broadcast::channel(1024);
        Self {
            sender,
            relay: None,
            origin: None,
        }
    }

    /// A bus that also tells the other processes on the same database.
    pub fn with_relay(relay: mpsc::UnboundedSender<relay::Outgoing>, origin: u64) -> Self {
        Self {
            relay: Some(relay),
            origin: Some(origin),
            ..Self::new()
        }
    }

    pub fn relay_origin(&self) -> Option<u64> {
        self.origin
    }

    pub fn publish(&self, event: DomainEvent) {
        if let Some(relay) = &self.relay {
            // The relay task ends only with the process.
            let _ = relay.send(relay::Outgoing::Event(relay::Wire::from(&event)));
        }
        self.publish_here(event);
    }

    /// Only to this process's subscribers: for events that came from another process.
    pub fn publish_here(&self, event: DomainEvent) {
        // No subscriber is a normal state, not an error.
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DomainEvent> {
        self.sender.subscribe()
    }

    /// Waits until the events published so far have reached the other processes
    /// (a short-lived command calls this before it exits).
    pub async fn flush(&self) {
        let Some(relay) = &self.relay else { return };
        let (done, sent) = oneshot::channel();
        if relay.send(relay::Outgoing::Flush(done)).is_ok() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), sent).await;
        }
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}
