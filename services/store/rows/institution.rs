//! Row of `institution`, and its conversions.

use sea_orm::entity::prelude::*;

use super::{corrupt, entity};
use crate::domain::Result;
use crate::domain::ids::{InstitutionName, RorId};
use crate::domain::institution::{Institution, Region};
use crate::domain::time::Timestamp;

entity! {
    #[sea_orm(table_name = "institution")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub display_name: String,
        pub local_name: String,
        pub region: String,
        pub ror_id: Option<String>,
        pub create_time: i64,
        /// Added by m0007.
        pub version: i64,
        /// Added by m0007.
        pub update_time: i64,
    }
}

pub fn to_domain(m: Model) -> Result<Institution> {
    let Model {
        id,
        display_name,
        local_name,
        region,
        ror_id,
        create_time,
        version,
        update_time,
    } = m;
    Ok(Institution {
        name: InstitutionName::from_id(id),
        display_name,
        local_name,
        region: Region::parse(&region, "region").map_err(|e| corrupt("institution", e))?,
        ror_id: ror_id
            .map(|r| RorId::parse(&r, "ror_id"))
            .transpose()
            .map_err(|e| corrupt("institution", e))?,
        create_time: Timestamp::from_micros(create_time),
        version,
        update_time: Timestamp::from_micros(update_time),
    })
}

pub fn to_model(i: &Institution) -> Model {
    Model {
        id: i.name.id().to_owned(),
        display_name: i.display_name.clone(),
        local_name: i.local_name.clone(),
        region: i.region.as_str().to_owned(),
        ror_id: i.ror_id.as_ref().map(|r| r.as_str().to_owned()),
        create_time: i.create_time.micros(),
        version: i.version,
        update_time: i.update_time.micros(),
    }
}
