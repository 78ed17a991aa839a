//! One module per table. Relations are expressed in the services' queries, not here.
pub mod api_token;
pub mod app_user;
pub mod application;
pub mod audit_log;
pub mod candidate;
pub mod candidate_email;
pub mod contact_event;
pub mod document;
pub mod inbox_item;
pub mod job_opening;
pub mod legal_entity;
pub mod organisation;
pub mod session;
pub mod user_group;
pub mod user_group_member;
pub mod user_legal_entity;
