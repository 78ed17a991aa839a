//! The inbox: every medium's items (`receive` and the listing in this module's main
//! part), the public doors besides mail (`intake`: form, SMS, job agency), and turning
//! an item into a candidate (`takeover`).

mod items;
pub use items::*;

pub mod intake;
pub mod takeover;
