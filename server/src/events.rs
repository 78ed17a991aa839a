//! In-process event bus that feeds GraphQL subscriptions.

use tokio::sync::broadcast;

use crate::db::entities::inbox_item;

#[derive(Clone, Debug)]
pub enum DomainEvent {
    InboxItemAdded(Box<inbox_item::Model>),
    /// Items changed state (deleted, restored, assigned); counts must be re-read.
    InboxChanged { organisation_id: i64 },
}

impl DomainEvent {
    pub fn organisation_id(&self) -> i64 {
        match self {
            Self::InboxItemAdded(item) => item.organisation_id,
            Self::InboxChanged { organisation_id } => *organisation_id,
        }
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
