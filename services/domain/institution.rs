//! Institutions: who applies and who partners, each in one region.

use super::error::{Error, Result, Violations};
use super::filter;
use super::ids::{InstitutionName, RorId};
use super::text;
use super::time::Timestamp;

pub const MAX_NAME_CHARS: usize = 200;

/// A region of the Greater Bay Area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    HongKong,
    Macao,
    Guangdong,
}

impl Region {
    pub const ALL: [Region; 3] = [Region::HongKong, Region::Macao, Region::Guangdong];

    pub fn as_str(self) -> &'static str {
        match self {
            Region::HongKong => "HONG_KONG",
            Region::Macao => "MACAO",
            Region::Guangdong => "GUANGDONG",
        }
    }

    /// Parses `HONG_KONG` or `REGION_HONG_KONG`, naming `field` on error.
    pub fn parse(value: &str, field: &str) -> Result<Self> {
        let bare = value.strip_prefix("REGION_").unwrap_or(value);
        Region::ALL.into_iter().find(|r| r.as_str() == bare).ok_or_else(|| {
            Error::invalid(
                field,
                format!(
                    "{} is not a region (HONG_KONG, MACAO, GUANGDONG)",
                    super::text::excerpt(value)
                ),
            )
        })
    }
}

/// A registered institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Institution {
    pub name: InstitutionName,
    pub display_name: String,
    pub local_name: String,
    pub region: Region,
    pub ror_id: Option<RorId>,
    pub create_time: Timestamp,
}

/// What a client sends to register an institution, before validation.
#[derive(Debug, Clone, Default)]
pub struct InstitutionInput {
    pub display_name: String,
    pub local_name: String,
    /// `None` when the client left the region unset.
    pub region: Option<Region>,
    pub ror_id: String,
}

/// A validated institution to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInstitution {
    pub display_name: String,
    pub local_name: String,
    pub region: Region,
    pub ror_id: Option<RorId>,
}

impl NewInstitution {
    /// Validates every field, reporting all bad ones at once under `prefix`.
    pub fn parse(input: InstitutionInput, prefix: &str) -> Result<Self> {
        let InstitutionInput {
            display_name,
            local_name,
            region,
            ror_id,
        } = input;
        let mut v = Violations::new();
        let display_name = v.check(text::line(
            &display_name,
            &format!("{prefix}.display_name"),
            MAX_NAME_CHARS,
        ));
        let local_name = v.check(text::line(&local_name, &format!("{prefix}.local_name"), MAX_NAME_CHARS));
        if region.is_none() {
            v.add(
                format!("{prefix}.region"),
                "is required (HONG_KONG, MACAO or GUANGDONG)",
            );
        }
        let ror_id = if ror_id.is_empty() {
            Some(None)
        } else {
            v.check(RorId::parse(&ror_id, &format!("{prefix}.ror_id")).map(Some))
        };
        match (display_name, local_name, region, ror_id) {
            (Some(display_name), Some(local_name), Some(region), Some(ror_id)) if v.is_empty() => Ok(Self {
                display_name,
                local_name,
                region,
                ror_id,
            }),
            _ => v.finish().and(Err(Error::internal("validation lost its violations"))),
        }
    }
}

/// Which institutions a list returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstitutionFilter {
    pub region: Option<Region>,
}

impl InstitutionFilter {
    pub fn parse(filter: &str) -> Result<Self> {
        let mut out = Self::default();
        for term in filter::parse(filter, &["region"])? {
            out.region = Some(Region::parse(&term.value, "filter")?);
        }
        Ok(out)
    }
}
