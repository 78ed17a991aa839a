//! Background work. Every worker has a `run_once` that both its loop and the tests call.

pub mod inbound_sync;
pub mod nurturing;
pub mod outbox;
