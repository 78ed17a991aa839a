//! In-process event bus that feeds GraphQL subscriptions.

use tokio::sync::broadcast;

use crate::db::entities::{inbound_account, inbox_item};

#[derive(Clone, Debug)]
pub enum DomainEvent {
    InboxItemAdded(Box<inbox_item::Model>),
    /// Items changed state (deleted, restored, assigned); counts must be re-read.
    InboxChanged { organisation_id: i64 },
    /// What a user may see changed (logout, role, groups, deactivation, revoked token):
    /// their open subscriptions end, and a reconnect authenticates afresh.
    /// `user_id: None` means every user of the organisation.
    AccessChanged { organisation_id: i64, user_id: Option<i64> },
    /// An inbound account's settings or sync status changed.
    InboundAccountStatusChanged(Box<inbound_account::Model>),
}

impl DomainEvent {
    pub fn organisation_id(&self) -> i64 {
        match self {
            Self::InboxItemAdded(item) => item.organisation_id,
            Self::InboundAccountStatusChanged(account) => account.organisation_id,
            Self::InboxChanged { organisation_id } | Self::AccessChanged { organisation_id, .. } => *organisation_id,
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
}

impl EventBus {
    pub fn new() -> Self {
        // Subscribers that fall this far behind get a `Lagged` and resynchronise by
        // re-reading counts; 1024 covers a burst of a large first mail sync.
        let (sender, _) = broadcast::channel(1024);
        Self { sender }
    }

    pub fn publish(&self, event: DomainEvent) {
        // No subscriber is a normal state, not an error.
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DomainEvent> {
        self.sender.subscribe()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}
