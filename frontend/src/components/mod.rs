pub mod charts;
pub mod documents;
pub mod labels;
pub mod layout;
pub mod mail_connection;
pub mod selection;
pub mod status;
pub mod mail_view;
