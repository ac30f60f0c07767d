//! customerp-chargebee: the mapping, matching and conflict-resolution logic of a two-way sync
//! between Customerp (a custom ERP) and Chargebee.
//!
//! Everything but [`wasm`] is a pure core with no JS dependency; `wasm` converts at the boundary.

pub mod api;
pub mod document;
pub mod engine;
pub mod error;
pub mod flows;
pub mod form;
pub mod json;
pub mod mappings;
pub mod options;
pub mod values;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{ErrorCode, SyncError};
