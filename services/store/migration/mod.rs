//! Schema migrations: append-only, numbered, one set for SQLite and
//! PostgreSQL. Never edit a migration that has shipped; add a new one.

mod m0001_foundation;
mod m0002_lifecycle;
mod m0003_event_retention;
mod m0004_integrity;
mod m0005_event_positions;
mod m0006_peer_review;
mod m0007_institution_versions;
mod m0008_institution_update_times;
mod m0009_documents;
mod m0010_teams;
mod m0011_post_award;
mod m0012_webhooks;
mod m0013_facilities;

use sea_orm_migration::{MigrationTrait, MigratorTrait};

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_foundation::Migration),
            Box::new(m0002_lifecycle::Migration),
            Box::new(m0003_event_retention::Migration),
            Box::new(m0004_integrity::Migration),
            Box::new(m0005_event_positions::Migration),
            Box::new(m0006_peer_review::Migration),
            Box::new(m0007_institution_versions::Migration),
            Box::new(m0008_institution_update_times::Migration),
            Box::new(m0009_documents::Migration),
            Box::new(m0010_teams::Migration),
            Box::new(m0011_post_award::Migration),
            Box::new(m0012_webhooks::Migration),
            Box::new(m0013_facilities::Migration),
        ]
    }
}
