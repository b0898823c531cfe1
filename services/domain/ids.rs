//! Identifiers: resource names (`institutions/{id}`), and the external
//! identifiers a grant system interoperates with (ROR, ORCID iD).

use std::fmt;

use super::error::{Error, Result};

/// Generates a new, time-ordered resource id (UUIDv7, 32 hex digits), so
/// that ordering by id is ordering by creation.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

fn valid_segment(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 63
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Parses `{collection}/{id}`, naming `field` on error.
fn parse_name<'a>(name: &'a str, collection: &str, field: &str) -> Result<&'a str> {
    match name.strip_prefix(collection).and_then(|r| r.strip_prefix('/')) {
        Some(id) if valid_segment(id) => Ok(id),
        _ => Err(Error::invalid(
            field,
            format!(
                "{} is not a resource name of the form {collection}/{{id}}",
                super::text::excerpt(name)
            ),
        )),
    }
}

macro_rules! resource_name {
    ($(#[$doc:meta])* $ty:ident, $collection:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(String);

        impl $ty {
            pub const COLLECTION: &'static str = $collection;

            /// Parses the resource name, naming `field` on error.
            pub fn parse(name: &str, field: &str) -> Result<Self> {
                parse_name(name, $collection, field).map(|id| Self(id.to_owned()))
            }

            /// Wraps an id read from storage or just generated.
            pub fn from_id(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn generate() -> Self {
                Self(new_id())
            }

            pub fn id(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}/{}", $collection, self.0)
            }
        }
    };
}

resource_name!(
    /// `institutions/{institution}`.
    InstitutionName,
    "institutions"
);
resource_name!(
    /// `programmes/{programme}`.
    ProgrammeName,
    "programmes"
);
resource_name!(
    /// `apiKeys/{api_key}`.
    ApiKeyName,
    "apiKeys"
);

/// `programmes/{programme}/applications/{application}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApplicationName {
    pub programme: ProgrammeName,
    id: String,
}

impl ApplicationName {
    pub fn parse(name: &str, field: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                field,
                format!(
                    "{} is not of the form programmes/{{programme}}/applications/{{application}}",
                    super::text::excerpt(name)
                ),
            )
        };
        let parts: Vec<&str> = name.split('/').collect();
        match parts.as_slice() {
            ["programmes", p, "applications", a] if valid_segment(p) && valid_segment(a) => Ok(Self {
                programme: ProgrammeName::from_id(*p),
                id: (*a).to_owned(),
            }),
            _ => Err(bad()),
        }
    }

    pub fn new(programme: ProgrammeName, id: impl Into<String>) -> Self {
        Self {
            programme,
            id: id.into(),
        }
    }

    pub fn generate(programme: ProgrammeName) -> Self {
        Self {
            programme,
            id: new_id(),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Display for ApplicationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/applications/{}", self.programme, self.id)
    }
}

/// `programmes/{programme}/applications/{application}/disbursements/{disbursement}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DisbursementName {
    pub application: ApplicationName,
    id: String,
}

impl DisbursementName {
    pub fn new(application: ApplicationName, id: impl Into<String>) -> Self {
        Self {
            application,
            id: id.into(),
        }
    }

    pub fn generate(application: ApplicationName) -> Self {
        Self {
            application,
            id: new_id(),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Display for DisbursementName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/disbursements/{}", self.application, self.id)
    }
}

/// `programmes/{programme}/applications/{application}/reviews/{review}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReviewName {
    pub application: ApplicationName,
    id: String,
}

impl ReviewName {
    pub fn parse(name: &str, field: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                field,
                format!(
                    "{} is not of the form programmes/{{programme}}/applications/{{application}}/reviews/{{review}}",
                    super::text::excerpt(name)
                ),
            )
        };
        let (application, id) = name.rsplit_once("/reviews/").ok_or_else(bad)?;
        if !valid_segment(id) {
            return Err(bad());
        }
        let application = ApplicationName::parse(application, field).map_err(|_| bad())?;
        Ok(Self::new(application, id))
    }

    pub fn new(application: ApplicationName, id: impl Into<String>) -> Self {
        Self {
            application,
            id: id.into(),
        }
    }

    pub fn generate(application: ApplicationName) -> Self {
        Self {
            application,
            id: new_id(),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Display for ReviewName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/reviews/{}", self.application, self.id)
    }
}

/// `programmes/{programme}/applications/{application}/documents/{document}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentName {
    pub application: ApplicationName,
    id: String,
}

impl DocumentName {
    pub fn parse(name: &str, field: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                field,
                format!(
                    "{} is not of the form programmes/{{programme}}/applications/{{application}}/documents/{{document}}",
                    super::text::excerpt(name)
                ),
            )
        };
        let (application, id) = name.rsplit_once("/documents/").ok_or_else(bad)?;
        if !valid_segment(id) {
            return Err(bad());
        }
        let application = ApplicationName::parse(application, field).map_err(|_| bad())?;
        Ok(Self::new(application, id))
    }

    pub fn new(application: ApplicationName, id: impl Into<String>) -> Self {
        Self {
            application,
            id: id.into(),
        }
    }

    pub fn generate(application: ApplicationName) -> Self {
        Self::new(application, new_id())
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Display for DocumentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/documents/{}", self.application, self.id)
    }
}

/// Crockford base32 digit value (ROR ids use lower case, no i, l, o, u).
fn crockford(c: u8) -> Option<u64> {
    const DIGITS: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
    DIGITS.iter().position(|d| *d == c).map(|p| p as u64)
}

/// A ROR id: `0`, six Crockford base32 characters, and a two-digit
/// ISO 7064 MOD 97-10 checksum, e.g. `02zhqgq86`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RorId(String);

impl RorId {
    /// Accepts the bare id or its `https://ror.org/` form, in any case.
    pub fn parse(raw: &str, field: &str) -> Result<Self> {
        let lower = raw.trim().to_ascii_lowercase();
        let id = lower.strip_prefix("https://ror.org/").unwrap_or(&lower);
        let bad = |why: &str| Error::invalid(field, format!("{} is not a ROR id: {why}", super::text::excerpt(raw)));
        let bytes = id.as_bytes();
        if bytes.len() != 9 || bytes[0] != b'0' {
            return Err(bad("expected 0 + 6 base32 characters + 2 digits, e.g. 02zhqgq86"));
        }
        let mut value = 0_u64;
        for &c in &bytes[..7] {
            value = value * 32 + crockford(c).ok_or_else(|| bad("invalid base32 character"))?;
        }
        let check: u64 = id[7..]
            .parse()
            .map_err(|_| bad("the last two characters must be digits"))?;
        if 98 - (value * 100) % 97 != check {
            return Err(bad("checksum does not match"));
        }
        Ok(Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ORCID iD, `0000-0002-1825-0097`, with its ISO 7064 11,2 check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrcidId(String);

impl OrcidId {
    pub fn parse(raw: &str, field: &str) -> Result<Self> {
        let id = raw.trim();
        let id = id.strip_prefix("https://orcid.org/").unwrap_or(id);
        let bad = |why: &str| {
            Error::invalid(
                field,
                format!("{} is not an ORCID iD: {why}", super::text::excerpt(raw)),
            )
        };
        let groups: Vec<&str> = id.split('-').collect();
        if groups.len() != 4 || groups.iter().any(|g| g.len() != 4) {
            return Err(bad("expected 0000-0000-0000-000X"));
        }
        let chars: Vec<char> = groups.concat().chars().collect();
        let mut total = 0_u32;
        for c in &chars[..15] {
            let d = c
                .to_digit(10)
                .ok_or_else(|| bad("only digits before the check character"))?;
            total = (total + d) * 2;
        }
        let expected = match (12 - total % 11) % 11 {
            10 => 'X',
            d => char::from_digit(d, 10).unwrap_or('?'),
        };
        if chars[15].to_ascii_uppercase() != expected {
            return Err(bad("check digit does not match"));
        }
        Ok(Self(id.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_parse_only_their_collection() {
        let p = ProgrammeName::parse("programmes/abc-1", "name").unwrap();
        assert_eq!(p.id(), "abc-1");
        assert_eq!(p.to_string(), "programmes/abc-1");
        for bad in [
            "",
            "programmes/",
            "programmes",
            "institutions/abc",
            "programmes/a/b",
            "programmes/ABC",
        ] {
            let err = ProgrammeName::parse(bad, "name").unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { .. }), "{bad}");
        }
    }

    #[test]
    fn application_names_nest_under_their_programme() {
        let a = ApplicationName::parse("programmes/p1/applications/a1", "name").unwrap();
        assert_eq!(a.programme.id(), "p1");
        assert_eq!(a.id(), "a1");
        assert_eq!(a.to_string(), "programmes/p1/applications/a1");
        for bad in [
            "programmes/p1",
            "programmes/p1/applications/",
            "programmes/p1/apps/a1",
            "x/p1/applications/a1",
        ] {
            assert!(ApplicationName::parse(bad, "name").is_err(), "{bad}");
        }
    }

    #[test]
    fn ror_ids_are_checked_by_format_and_checksum() {
        assert_eq!(RorId::parse("02zhqgq86", "f").unwrap().as_str(), "02zhqgq86");
        assert_eq!(
            RorId::parse("https://ror.org/02ZHQGQ86", "f").unwrap().as_str(),
            "02zhqgq86"
        );
        for bad in [
            "",
            "12zhqgq86",
            "02zhqgq87",
            "02zhqgqu6",
            "02zhqgq8",
            "02zhqgq866",
            "0izhqgq86",
        ] {
            assert!(RorId::parse(bad, "f").is_err(), "{bad}");
        }
    }

    #[test]
    fn orcid_ids_are_checked_by_format_and_check_digit() {
        assert!(OrcidId::parse("0000-0002-1825-0097", "f").is_ok());
        assert_eq!(
            OrcidId::parse("0000-0002-1694-233x", "f").unwrap().as_str(),
            "0000-0002-1694-233X"
        );
        for bad in [
            "",
            "0000-0002-1825-0098",
            "0000000218250097",
            "0000-0002-1825-009",
            "000a-0002-1825-0097",
        ] {
            assert!(OrcidId::parse(bad, "f").is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_ids_are_valid_segments_in_creation_order() {
        let a = InstitutionName::generate();
        let b = InstitutionName::generate();
        assert!(valid_segment(a.id()));
        assert!(a < b);
    }
}
