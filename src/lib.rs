//! Beyaz Masa: a citizen call-centre console and its central API.
//!
//! Module boundaries (see DESIGN.md §2):
//! - [`domain`] is pure: types and rules, no I/O, depends on nothing else here.
//! - [`protocol`] holds the serde DTOs shared by server and console.
//! - [`server`] is the axum central API and its stores.
//! - [`client`] is the console's API client, sync engine and local cache.
//! - [`console`] is the terminal UI; it talks to the server only over HTTP.

pub mod client;
pub mod console;
pub mod domain;
pub mod protocol;
pub mod search_index;
pub mod server;
