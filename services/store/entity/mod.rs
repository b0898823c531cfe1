//! SeaORM entities: rows as stored. They never leave the store module.

pub mod api_key;
pub mod idempotency_record;
pub mod institution;
pub mod programme;
