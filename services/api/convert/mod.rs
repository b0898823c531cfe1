//! Conversions between proto messages and domain types. Each destructures
//! the proto message whole, so a new field cannot be silently ignored, and
//! names the offending field on error.

pub mod access;
pub mod application;
pub mod common;
pub mod document;
pub mod institution;
pub mod programme;
pub mod report;
pub mod review;
pub mod team;
pub mod webhook;
