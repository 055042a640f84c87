//! The console side of the API: HTTP client, sync engine, local cache.
//! Nothing here knows about the terminal.

pub mod api;
pub mod cache;
pub mod drill;
pub mod overlay;
pub mod packing;
pub mod sync;
