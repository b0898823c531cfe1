//! Institution messages.

use super::common::{region_in, region_out, time_out};
use crate::domain::Result;
use crate::domain::institution::{Institution, InstitutionInput};
use crate::proto::v1;

pub fn input(value: Option<v1::Institution>) -> Result<InstitutionInput> {
    let v1::Institution {
        name: _,
        display_name,
        local_name,
        region,
        ror_id,
        create_time: _,
        etag: _,
        update_time: _,
    } = value.unwrap_or_default();
    Ok(InstitutionInput {
        display_name,
        local_name,
        region: region_in(region, "institution.region")?,
        ror_id,
    })
}

pub fn output(value: Institution) -> v1::Institution {
    let Institution {
        name,
        display_name,
        local_name,
        region,
        ror_id,
        create_time,
        version,
        update_time,
    } = value;
    v1::Institution {
        name: name.to_string(),
        display_name,
        local_name,
        region: region_out(region).into(),
        ror_id: ror_id.map(|r| r.as_str().to_owned()).unwrap_or_default(),
        create_time: Some(time_out(create_time)),
        etag: version.to_string(),
        update_time: Some(time_out(update_time)),
    }
}
