//! Times in and out: RFC 3339 or a bare date (midnight UTC) in, RFC 3339
//! in UTC out (0, 3, 6 or 9 fractional digits, as proto3 JSON prints them).

use prost_types::Timestamp;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// Parses `2026-12-01T08:00:00+08:00` or `2026-12-01` (midnight UTC).
pub fn parse(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    let dt = match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(dt) => dt,
        Err(_) => {
            let date = parse_date(text).ok_or_else(|| {
                format!("{text:?} is not a time: give RFC 3339 (2026-12-01T09:00:00+08:00) or a date (2026-12-01)")
            })?;
            PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc()
        }
    };
    Ok(Timestamp {
        seconds: dt.unix_timestamp(),
        nanos: dt.nanosecond() as i32,
    })
}

/// `2026-12-01`.
fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// RFC 3339 in UTC: `2026-12-01T00:00:00Z`, `…:00.250Z`.
pub fn format(ts: &Timestamp) -> String {
    let Ok(dt) = OffsetDateTime::from_unix_timestamp(ts.seconds) else {
        return format!("{}s", ts.seconds);
    };
    let nanos = ts.nanos.clamp(0, 999_999_999);
    let frac = if nanos == 0 {
        String::new()
    } else if nanos % 1_000_000 == 0 {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos % 1_000 == 0 {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// For tables: to the second, `2026-12-01 00:00:00Z`.
pub fn short(ts: &Timestamp) -> String {
    let full = format(&Timestamp {
        seconds: ts.seconds,
        nanos: 0,
    });
    full.replacen('T', " ", 1)
}

/// A duration such as `10s`, `500ms`, `2m` or `1h` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 10s, 500ms or 2m"))?;
    let ms = match unit {
        "ms" => n,
        "" | "s" => n.saturating_mul(1_000),
        "m" => n.saturating_mul(60_000),
        "h" => n.saturating_mul(3_600_000),
        _ => return Err(format!("{text:?} is not a duration such as 10s, 500ms or 2m")),
    };
    if ms == 0 {
        return Err("the timeout must be longer than zero".into());
    }
    Ok(std::time::Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_midnight_utc_and_offsets_are_honoured() {
        assert_eq!(parse("2026-12-01").unwrap().seconds, 1_796_083_200);
        assert_eq!(parse("2026-12-01T08:00:00+08:00").unwrap().seconds, 1_796_083_200);
        assert_eq!(format(&parse("2026-12-01").unwrap()), "2026-12-01T00:00:00Z");
        assert_eq!(
            format(&parse("2026-12-01T00:00:00.25Z").unwrap()),
            "2026-12-01T00:00:00.250Z"
        );
        assert!(parse("next tuesday").is_err());
        assert!(parse("2026-13-01").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s").unwrap().as_secs(), 10);
        assert_eq!(parse_duration("500ms").unwrap().as_millis(), 500);
        assert_eq!(parse_duration("2m").unwrap().as_secs(), 120);
        assert_eq!(parse_duration("30").unwrap().as_secs(), 30);
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("ten").is_err());
    }
}
