//! Pure domain types and rules. No I/O, no async, no dependency on the rest
//! of the crate: everything here can be unit-tested in isolation.

pub mod calendar;
pub mod model;
pub mod phone;
pub mod places;
pub mod query;
pub mod reference;
pub mod search;
pub mod status;
pub mod suggest;
pub mod tckn;
pub mod templates;
pub mod text;
pub mod tracking;
