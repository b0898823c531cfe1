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

    /// Parses `HONG_KONG`, `REGION_HONG_KONG` or `hong-kong` (any case),
    /// naming `field` on error.
    pub fn parse(value: &str, field: &str) -> Result<Self> {
        let upper = super::text::enum_word(value);
        let bare = upper.strip_prefix("REGION_").unwrap_or(&upper);
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
    /// Never changes: eligibility is decided on it.
    pub region: Region,
    pub ror_id: Option<RorId>,
    pub create_time: Timestamp,
    /// Raised by every update; the etag.
    pub version: i64,
    pub update_time: Timestamp,
}

/// The fields UpdateInstitution may change.
pub const UPDATABLE_FIELDS: [&str; 3] = ["display_name", "local_name", "ror_id"];

impl Institution {
    pub fn etag(&self) -> String {
        self.version.to_string()
    }

    /// The institution with the masked fields of `input` (validated as a
    /// registration's), if `etag` is current; the region never changes.
    pub fn updated(&self, etag: &str, input: InstitutionInput, mask: &[String], now: Timestamp) -> Result<Self> {
        if etag != self.etag() {
            return Err(Error::Aborted {
                reason: super::Reason::EtagMismatch,
                message: format!(
                    "{} changed since it was read (etag {}); read it again",
                    self.name,
                    self.etag()
                ),
            });
        }
        if mask.is_empty() {
            return Err(Error::invalid("update_mask", "must name at least one field, or *"));
        }
        let all = mask.iter().any(|m| m == "*");
        let mut v = Violations::new();
        for path in mask.iter().filter(|m| *m != "*") {
            if !UPDATABLE_FIELDS.contains(&path.as_str()) {
                v.add(
                    "update_mask",
                    format!(
                        "{} cannot be updated; updatable: {} (the region never changes)",
                        text::excerpt(path),
                        UPDATABLE_FIELDS.join(", ")
                    ),
                );
            }
        }
        v.finish()?;
        let has = |field: &str| all || mask.iter().any(|m| m == field);
        let merged = InstitutionInput {
            display_name: if has("display_name") {
                input.display_name
            } else {
                self.display_name.clone()
            },
            local_name: if has("local_name") {
                input.local_name
            } else {
                self.local_name.clone()
            },
            region: Some(self.region),
            ror_id: if has("ror_id") {
                input.ror_id
            } else {
                self.ror_id.as_ref().map(|r| r.as_str().to_owned()).unwrap_or_default()
            },
        };
        let valid = NewInstitution::parse(merged, "institution")?;
        Ok(Self {
            display_name: valid.display_name,
            local_name: valid.local_name,
            ror_id: valid.ror_id,
            version: self.version + 1,
            update_time: now,
            ..self.clone()
        })
    }
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
