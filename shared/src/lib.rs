//! Vocabulary shared by the Talentpost server and its web app.
//!
//! Everything here must compile for `wasm32-unknown-unknown`, so it carries no I/O and
//! only light dependencies. The `graphql` feature lets the server expose the enums
//! directly, which keeps the API's names and the app's names from drifting apart.

pub mod email;
pub mod error;
pub mod matching;
pub mod model;
pub mod nurturing;

pub use email::{EmailAddress, EmailAddressError};
pub use error::ErrorCode;
pub use model::*;
