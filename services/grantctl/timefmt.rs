//! Times in and out: RFC 3339, a bare date (midnight UTC), or a time
//! relative to now (`now`, `today`, `+90d`, `-2h`, `now+90d`, `now-30m`,
//! `today+1w`) in; RFC 3339 in UTC out (0, 3, 6 or 9 fractional digits, as
//! proto3 JSON prints them).

use prost_types::Timestamp;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// What a time flag accepts, for error messages and `--help`.
pub const TIME_FORMS: &str = "RFC 3339 (2026-12-01T09:00:00+08:00), a date (2026-12-01, midnight UTC), or relative: now, today, +90d, -2h, now-30m (units s, m, h, d, w)";

/// Parses `2026-12-01T08:00:00+08:00`, `2026-12-01` (midnight UTC), or a
/// time relative to the current one (see [`parse_at`]).
pub fn parse(text: &str) -> Result<Timestamp, String> {
    parse_at(text, OffsetDateTime::now_utc())
}

/// Like [`parse`], with `now` as the current time: `now`, `today`
/// (midnight UTC of now's date), either followed by `+N<unit>` or
/// `-N<unit>`, or the offset alone (`+90d` is `now+90d`); units `s`, `m`,
/// `h`, `d`, `w`. Case and spaces around the sign do not matter.
pub fn parse_at(text: &str, now: OffsetDateTime) -> Result<Timestamp, String> {
    let text = text.trim();
    let dt = match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(dt) => dt,
        Err(_) => match parse_date(text) {
            Some(date) => PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc(),
            None => relative(text, now)?.ok_or_else(|| format!("{text:?} is not a time: give {TIME_FORMS}"))?,
        },
    };
    Ok(Timestamp {
        seconds: dt.unix_timestamp(),
        nanos: dt.nanosecond() as i32,
    })
}

/// `now`, `today`, `+90d`, `now-30m`, `today+1w`: `Ok(None)` when `text`
/// is not of that shape at all, an error when it is but cannot be used
/// (an unknown unit, an offset out of range).
fn relative(text: &str, now: OffsetDateTime) -> Result<Option<OffsetDateTime>, String> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let (base, offset) = if let Some(rest) = compact.strip_prefix("now") {
        (now, rest)
    } else if let Some(rest) = compact.strip_prefix("today") {
        (PrimitiveDateTime::new(now.date(), Time::MIDNIGHT).assume_utc(), rest)
    } else if compact.starts_with(['+', '-']) {
        (now, compact.as_str())
    } else {
        return Ok(None);
    };
    if offset.is_empty() {
        return Ok(Some(base));
    }
    let (negative, amount) = match (offset.strip_prefix('+'), offset.strip_prefix('-')) {
        (Some(amount), _) => (false, amount),
        (None, Some(amount)) => (true, amount),
        (None, None) => return Ok(None),
    };
    let digits = amount.find(|c: char| !c.is_ascii_digit()).unwrap_or(amount.len());
    let (number, unit) = amount.split_at(digits);
    let bad =
        || format!("{text:?} is not a relative time such as now, today, +90d, -2h or now-30m (units s, m, h, d, w)");
    let n: i64 = number.parse().map_err(|_| bad())?;
    let unit_seconds: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    let seconds = n
        .checked_mul(unit_seconds)
        .map(|s| if negative { -s } else { s })
        .ok_or_else(|| format!("{text:?} is too far from now"))?;
    base.checked_add(time::Duration::seconds(seconds))
        .filter(|dt| (1..=9999).contains(&dt.year()))
        .map(Some)
        .ok_or_else(|| format!("{text:?} is too far from now"))
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

/// A span of whole seconds such as `24h`, `90m`, `7d`, `1w`, `30s` or
/// `0` (a bare number is seconds); zero is allowed.
pub fn parse_seconds(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let bad = || format!("{text:?} is not a duration such as 24h, 90m, 7d or 0 (units s, m, h, d, w)");
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let unit_seconds: i64 = match unit.to_ascii_lowercase().as_str() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_seconds).ok_or_else(bad)
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

    /// 2026-12-06T07:43:09.5Z.
    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_796_542_989).unwrap() + time::Duration::milliseconds(500)
    }

    fn at(text: &str) -> Timestamp {
        parse_at(text, now()).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn relative_times_count_from_now_or_from_midnight_utc_today() {
        let now_ts = Timestamp {
            seconds: 1_796_542_989,
            nanos: 500_000_000,
        };
        assert_eq!(at("now"), now_ts);
        assert_eq!(at("NOW"), now_ts);
        assert_eq!(format(&at("today")), "2026-12-06T00:00:00Z");
        assert_eq!(at("+90d").seconds, now_ts.seconds + 90 * 86_400);
        assert_eq!(at("now+90d"), at("+90d"));
        assert_eq!(at("now + 90d"), at("+90d"));
        assert_eq!(at("-2h").seconds, now_ts.seconds - 7_200);
        assert_eq!(at("now-30m").seconds, now_ts.seconds - 1_800);
        assert_eq!(at("+45s").seconds, now_ts.seconds + 45);
        assert_eq!(at("+2w").seconds, now_ts.seconds + 14 * 86_400);
        assert_eq!(format(&at("today+1d")), "2026-12-07T00:00:00Z");
        assert_eq!(format(&at("today-1w")), "2026-11-29T00:00:00Z");
        assert_eq!(at("+0d"), now_ts);
        // Absolute forms still work, and do not depend on now.
        assert_eq!(format(&at("2026-12-01")), "2026-12-01T00:00:00Z");
        assert_eq!(at("2026-12-01T08:00:00+08:00").seconds, 1_796_083_200);
    }

    #[test]
    fn malformed_relative_times_say_what_is_accepted() {
        for bad in [
            "+90",
            "+90y",
            "now+",
            "now+d",
            "+-3d",
            "now90d",
            "yesterday",
            "+1.5d",
            "today+",
            "now€",
            "+9€",
        ] {
            let e = parse_at(bad, now()).expect_err(bad);
            assert!(e.contains("now") && e.contains("+90d"), "{bad}: {e}");
        }
        let far = parse_at("+999999999999999999w", now()).expect_err("overflow");
        assert!(far.contains("too far"), "{far}");
        let far = parse_at("+9999999d", now()).expect_err("beyond year 9999");
        assert!(far.contains("too far"), "{far}");
    }

    #[test]
    fn spans_of_seconds_take_zero_and_days() {
        assert_eq!(parse_seconds("24h"), Ok(86_400));
        assert_eq!(parse_seconds("0"), Ok(0));
        assert_eq!(parse_seconds("0s"), Ok(0));
        assert_eq!(parse_seconds("90m"), Ok(5_400));
        assert_eq!(parse_seconds("7d"), Ok(604_800));
        assert_eq!(parse_seconds("1W"), Ok(604_800));
        assert_eq!(parse_seconds("3600"), Ok(3_600));
        for bad in [
            "",
            "h",
            "-1h",
            "1.5h",
            "24 hours",
            "99999999999999999999s",
            "9999999999999999w",
        ] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
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
