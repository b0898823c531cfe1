//! Sizes in bytes as people read and write them: `12.0 MiB` in tables,
//! and `20MiB`, `500 KB`, `1048576` in flags.

const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];

/// `523 B`, `1.5 KiB`, `12.0 MiB` (binary units, one decimal).
pub fn human(bytes: i64) -> String {
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `12,582,912`: a byte count with thousands separators.
pub fn grouped(bytes: i64) -> String {
    let digits = bytes.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if bytes < 0 { format!("-{out}") } else { out }
}

/// Parses `1048576`, `20MiB`, `20 MB`, `1.5GiB`, `500k`: a number and an
/// optional unit, in any case. KB, MB, GB, TB are powers of 1000; KiB,
/// MiB, GiB, TiB and the bare K, M, G, T are powers of 1024. A fraction is
/// rounded down to whole bytes.
pub fn parse(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not a size such as 20MiB, 500KB or 1048576 (bytes)");
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_' || c == ','))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: String = number.chars().filter(|c| *c != '_' && *c != ',').collect();
    if number.is_empty() || number.starts_with('.') {
        return Err(bad());
    }
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let value: f64 = number.parse().map_err(|_| bad())?;
    let bytes = (value * factor).floor();
    if !bytes.is_finite() || bytes >= i64::MAX as f64 {
        return Err(format!("{text:?} is too large"));
    }
    Ok(bytes as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_and_print_as_people_write_them() {
        assert_eq!(human(0), "0 B");
        assert_eq!(human(1023), "1023 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(12 << 20), "12.0 MiB");
        assert_eq!(human(3 << 30), "3.0 GiB");
        assert_eq!(grouped(12_582_912), "12,582,912");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(parse("1048576"), Ok(1 << 20));
        assert_eq!(parse("20MiB"), Ok(20 << 20));
        assert_eq!(parse("20 mib"), Ok(20 << 20));
        assert_eq!(parse("20M"), Ok(20 << 20));
        assert_eq!(parse("20MB"), Ok(20_000_000));
        assert_eq!(parse("1.5KiB"), Ok(1536));
        assert_eq!(parse("500k"), Ok(512_000));
        assert_eq!(parse("1,000,000"), Ok(1_000_000));
        for bad in ["", "MiB", "twenty", "20 furlongs", "-5", ".5M", "1e3"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("99999999999 TiB").is_err());
    }
}
