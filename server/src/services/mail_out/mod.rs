//! Mail out: composing a letter (`messages`), form letters, the sender identities per
//! legal entity, and the outbox every outgoing mail leaves through (`outbox`: queue,
//! claims, delivery, retries).

pub mod form_letters;
pub mod messages;
pub mod outbox;
pub mod sender_identities;
