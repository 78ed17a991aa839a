//! Operating the installation rather than recruiting: checks and clean-ups an IT admin
//! runs against the database and the file store together (`talentpost verify`,
//! `talentpost sweep-blobs`, the periodic sweep). Serves every organisation at once.

pub mod backup;
pub mod snapshot;
pub mod sweep;
pub mod verify;
