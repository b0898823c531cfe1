//! gba-grants: a gRPC service tracking cross-border research grants in the
//! Guangdong–Hong Kong–Macao Greater Bay Area.
//!
//! Layers point one way: [`api`] (gRPC) → [`domain`] ← [`store`] (SQL).

pub mod api;
pub mod cli;
pub mod currencies;
pub mod demo;
pub mod domain;
pub mod exporter;
pub mod hub;
pub mod jobs;
pub mod proto;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod units;
pub mod webhooks;
