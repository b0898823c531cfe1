//! The domain: grant rules and decisions, in plain Rust types. It knows
//! neither tonic nor SeaORM; storage is reached through [`ports`].

pub mod access;
pub mod application;
pub mod document;
pub mod error;
pub mod event;
pub mod facility;
pub mod filter;
pub mod ids;
pub mod institution;
pub mod lifecycle;
pub mod money;
pub mod page;
pub mod ports;
pub mod postaward;
pub mod programme;
pub mod review;
pub mod service;
pub mod signoff;
pub mod team;
pub mod text;
pub mod time;
pub mod watch;
pub mod webhook;

pub use error::{Error, FieldViolation, Reason, Result};
pub use service::{DocumentLimits, Grants, RequestKey};
