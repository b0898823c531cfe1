//! SeaORM entities: rows as stored. They never leave the store module.

pub mod api_key;
pub mod application;
pub mod application_event;
pub mod disbursement;
pub mod idempotency_record;
pub mod institution;
pub mod programme;
pub mod review;
