//! Row of `api_key` (the secret only as its SHA-256 hash), and its
//! conversions.

use sea_orm::entity::prelude::*;

use super::{corrupt, entity, ids};
use crate::domain::Result;
use crate::domain::access::{ApiKey, NewApiKey, Role};
use crate::domain::ids::{ApiKeyName, InstitutionName, ProgrammeName};
use crate::domain::time::Timestamp;

entity! {
    #[sea_orm(table_name = "api_key")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        #[sea_orm(unique)]
        pub secret_hash: String,
        pub role: String,
        pub institution_id: Option<String>,
        /// Comma-separated programme ids.
        pub programme_ids: String,
        pub all_programmes: bool,
        pub display_name: String,
        pub create_time: i64,
        pub revoke_time: Option<i64>,
    }
}

pub fn to_domain(m: Model) -> Result<ApiKey> {
    let Model {
        id,
        secret_hash: _,
        role,
        institution_id,
        programme_ids,
        all_programmes,
        display_name,
        create_time,
        revoke_time,
    } = m;
    Ok(ApiKey {
        name: ApiKeyName::from_id(id),
        role: Role::parse(&role, "role").map_err(|e| corrupt("api key", e))?,
        institution: institution_id.map(InstitutionName::from_id),
        programmes: ids(&programme_ids).map(ProgrammeName::from_id).collect(),
        all_programmes,
        display_name,
        create_time: Timestamp::from_micros(create_time),
        revoke_time: revoke_time.map(Timestamp::from_micros),
    })
}

/// A new key's row.
pub fn new_row(name: &ApiKeyName, new: NewApiKey, secret_hash: String, now: Timestamp) -> Model {
    let NewApiKey {
        role,
        institution,
        programmes,
        all_programmes,
        display_name,
    } = new;
    Model {
        id: name.id().to_owned(),
        secret_hash,
        role: role.as_str().to_owned(),
        institution_id: institution.map(|i| i.id().to_owned()),
        programme_ids: programmes.iter().map(|p| p.id()).collect::<Vec<_>>().join(","),
        all_programmes,
        display_name,
        create_time: now.micros(),
        revoke_time: None,
    }
}

/// A row as kept for replays: without the secret's hash.
pub fn without_hash(m: &Model) -> Model {
    Model {
        secret_hash: String::new(),
        ..m.clone()
    }
}
