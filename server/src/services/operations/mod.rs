//! Operating the installation rather than recruiting: checks an IT admin runs against
//! the database and the file store together (`talentpost verify`). Serves every
//! organisation of the installation at once.

pub mod verify;
