//! Row of `api_key` (the secret only as its SHA-256 hash), and its
//! conversions.

use sea_orm::entity::prelude::*;

use super::{corrupt, entity, ids};
use crate::domain::Result;
use crate::domain::access::{ApiKey, NewApiKey, Role};
use crate::domain::ids::{ApiKeyName, InstitutionName, OrcidId, ProgrammeName};
use crate::domain::team::Person;
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
        /// Added by m0010: the holder, when the key names one.
        #[serde(default)]
        pub person_name: Option<String>,
        #[serde(default)]
        pub person_orcid: Option<String>,
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
        person_name,
        person_orcid,
    } = m;
    let person = match person_name {
        Some(name) => Some(Person {
            name,
            orcid: person_orcid
                .map(|o| OrcidId::parse(&o, "person_orcid"))
                .transpose()
                .map_err(|e| corrupt("api key", e))?,
        }),
        None => None,
    };
    Ok(ApiKey {
        name: ApiKeyName::from_id(id),
        role: Role::parse(&role, "role").map_err(|e| corrupt("api key", e))?,
        institution: institution_id.map(InstitutionName::from_id),
        programmes: ids(&programme_ids).map(ProgrammeName::from_id).collect(),
        all_programmes,
        display_name,
        create_time: Timestamp::from_micros(create_time),
        revoke_time: revoke_time.map(Timestamp::from_micros),
        person,
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
        person,
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
        person_orcid: person
            .as_ref()
            .and_then(|p| p.orcid.as_ref())
            .map(|o| o.as_str().to_owned()),
        person_name: person.map(|p| p.name),
    }
}

/// A row as kept for replays: without the secret's hash.
pub fn without_hash(m: &Model) -> Model {
    Model {
        secret_hash: String::new(),
        ..m.clone()
    }
}
