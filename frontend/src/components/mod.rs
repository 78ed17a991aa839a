pub mod labels;
pub mod layout;
pub mod status;
pub mod mail_view;
