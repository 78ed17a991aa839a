//! Events between processes on one PostgreSQL database: NOTIFY out, LISTEN in. Only
//! ids travel (a NOTIFY payload is small); the receiving side loads the rows itself.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::{DomainEvent, EventBus};
use crate::db::entities::{inbound_account, inbox_item};

const CHANNEL: &str = "talentpost_events";

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Wire {
    InboxItemAdded {
        item_id: i64,
    },
    InboxChanged {
        organisation_id: i64,
    },
    AccessChanged {
        organisation_id: i64,
        user_id: Option<i64>,
    },
    InboundAccountStatusChanged {
        account_id: i64,
    },
    OutboxChanged {
        organisation_id: i64,
        message_id: i64,
        status: talentpost_shared::OutboxStatus,
    },
    ContactHistoryChanged {
        organisation_id: i64,
        candidate_id: i64,
    },
    NurturingChanged {
        organisation_id: i64,
        job_id: Option<i64>,
    },
    OauthAccountChanged {
        organisation_id: i64,
        oauth_account_id: i64,
    },
    InboundAccountCommand {
        organisation_id: i64,
        account_id: i64,
        command: super::InboundCommand,
    },
}

impl From<&DomainEvent> for Wire {
    fn from(event: &DomainEvent) -> Self {
        match event {
            DomainEvent::InboxItemAdded(item) => Self::InboxItemAdded { item_id: item.id },
            DomainEvent::InboxChanged { organisation_id } => Self::InboxChanged {
                organisation_id: *organisation_id,
            },
            DomainEvent::AccessChanged {
                organisation_id,
                user_id,
            } => Self::AccessChanged {
                organisation_id: *organisation_id,
                user_id: *user_id,
            },
            DomainEvent::InboundAccountStatusChanged(account) => {
                Self::InboundAccountStatusChanged { account_id: account.id }
            }
            DomainEvent::OutboxChanged {
                organisation_id,
                message_id,
                status,
            } => Self::OutboxChanged {
                organisation_id: *organisation_id,
                message_id: *message_id,
                status: *status,
            },
            DomainEvent::ContactHistoryChanged {
                organisation_id,
                candidate_id,
            } => Self::ContactHistoryChanged {
                organisation_id: *organisation_id,
                candidate_id: *candidate_id,
            },
            DomainEvent::NurturingChanged {
                organisation_id,
                job_id,
            } => Self::NurturingChanged {
                organisation_id: *organisation_id,
                job_id: *job_id,
            },
            DomainEvent::OauthAccountChanged {
                organisation_id,
                oauth_account_id,
            } => Self::OauthAccountChanged {
                organisation_id: *organisation_id,
                oauth_account_id: *oauth_account_id,
            },
            DomainEvent::InboundAccountCommand {
                organisation_id,
                account_id,
                command,
            } => Self::InboundAccountCommand {
                organisation_id: *organisation_id,
                account_id: *account_id,
                command: *command,
            },
        }
    }
}

pub enum Outgoing {
    Event(Wire),
    Flush(oneshot::Sender<()>),
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    /// The sending process, so that it ignores its own events when they come back.
    origin: u64,
    event: Wire,
}

/// Starts the sender for this process; returns the channel the event bus writes to
/// and this process's origin id.
pub fn start_sending(db: DatabaseConnection) -> (mpsc::UnboundedSender<Outgoing>, u64) {
    let origin = rand::random::<u64>();
    let (sender, mut outgoing) = mpsc::unbounded_channel::<Outgoing>();
    tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            match message {
                Outgoing::Event(event) => {
                    let Ok(payload) = serde_json::to_string(&Envelope { origin, event }) else {
                        continue;
                    };
                    let notify = Statement::from_sql_and_values(
                        DatabaseBackend::Postgres,
                        "SELECT pg_notify($1, $2)",
                        [CHANNEL.into(), payload.into()],
                    );
                    if let Err(error) = db.execute_raw(notify).await {
                        // Live updates elsewhere are late, not lost: lists re-read on the next event.
                        tracing::warn!(%error, "could not tell the other processes about an event");
                    }
                }
                Outgoing::Flush(done) => {
                    let _ = done.send(());
                }
            }
        }
    });
    (sender, origin)
}

/// Listens for the other processes' events and hands them to this process's
/// subscribers. Runs for the life of the server; reconnects when the connection drops.
pub fn start_listening(db: DatabaseConnection, bus: EventBus, url: String, own_origin: u64) {
    tokio::spawn(async move {
        loop {
            match sea_orm::sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut listener) => {
                    if let Err(error) = listener.listen(CHANNEL).await {
                        tracing::warn!(%error, "could not listen for other processes' events");
                    } else {
                        loop {
                            match listener.recv().await {
                                Ok(notification) => receive(&db, &bus, own_origin, notification.payload()).await,
                                Err(error) => {
                                    tracing::warn!(%error, "lost the connection for other processes' events");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "could not connect for other processes' events")
                }
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
}

async fn receive(db: &DatabaseConnection, bus: &EventBus, own_origin: u64, payload: &str) {
    let Ok(envelope) = serde_json::from_str::<Envelope>(payload) else {
        return;
    };
    if envelope.origin == own_origin {
        return;
    }
    let event = match envelope.event {
        Wire::InboxItemAdded { item_id } => match inbox_item::Entity::find_by_id(item_id).one(db).await {
            Ok(Some(item)) => DomainEvent::InboxItemAdded(Box::new(item)),
            _ => return,
        },
        Wire::InboxChanged { organisation_id } => DomainEvent::InboxChanged { organisation_id },
        Wire::AccessChanged {
            organisation_id,
            user_id,
        } => DomainEvent::AccessChanged {
            organisation_id,
            user_id,
        },
        Wire::InboundAccountStatusChanged { account_id } => {
            match inbound_account::Entity::find_by_id(account_id).one(db).await {
                Ok(Some(account)) => DomainEvent::InboundAccountStatusChanged(Box::new(account)),
                _ => return,
            }
        }
        Wire::OutboxChanged {
            organisation_id,
            message_id,
            status,
        } => DomainEvent::OutboxChanged {
            organisation_id,
            message_id,
            status,
        },
        Wire::ContactHistoryChanged {
            organisation_id,
            candidate_id,
        } => DomainEvent::ContactHistoryChanged {
            organisation_id,
            candidate_id,
        },
        Wire::NurturingChanged {
            organisation_id,
            job_id,
        } => DomainEvent::NurturingChanged {
            organisation_id,
            job_id,
        },
        Wire::OauthAccountChanged {
            organisation_id,
            oauth_account_id,
        } => DomainEvent::OauthAccountChanged {
            organisation_id,
            oauth_account_id,
        },
        Wire::InboundAccountCommand {
            organisation_id,
            account_id,
            command,
        } => DomainEvent::InboundAccountCommand {
            organisation_id,
            account_id,
            command,
        },
    };
    bus.publish_here(event);
}
