//! Time as whole microseconds since the Unix epoch: exact, ordered, and
//! stored the same way on every database.

use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time, in microseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Self(micros)
    }

    pub fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    /// `by` later (saturating).
    pub fn plus(self, by: std::time::Duration) -> Self {
        Self(self.0.saturating_add(i64::try_from(by.as_micros()).unwrap_or(i64::MAX)))
    }

    /// `by` earlier (saturating).
    pub fn minus(self, by: std::time::Duration) -> Self {
        Self(self.0.saturating_sub(i64::try_from(by.as_micros()).unwrap_or(i64::MAX)))
    }
}

/// RFC 3339 in UTC, e.g. `2026-11-29T19:20:00Z` (with a fraction when
/// there is one); the raw microseconds when out of the calendar's range.
impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
        match text {
            Some(text) => f.write_str(&text),
            None => write!(f, "{} µs after the epoch", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn displays_as_rfc3339() {
        assert_eq!(Timestamp::from_micros(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::from_micros(1_796_065_324_248_483).to_string(),
            "2026-11-30T19:02:04.248483Z"
        );
    }
}
