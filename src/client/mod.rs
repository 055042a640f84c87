//! The console side of the API: HTTP client, sync engine, local cache.

pub mod api;
