pub mod labels;
pub mod layout;
pub mod status;
