//! Exact money as people type and read it: `1,200,000 CNY`, `HKD 850000.50`
//! in, `CNY 1,200,000.00` out. String and integer arithmetic only, never
//! floats. Self-contained (no crate imports besides the proto types and
//! the currency table), so the tests can include it whole.

use gba_grants::proto::v1;

/// Decimal places of a currency's minor unit, from the table the server
/// reads too (`proto/iso4217.txt`); 2 for a code it does not list (the
/// server refuses those, naming the field).
pub fn exponent(code: &str) -> u32 {
    gba_grants::currencies::minor_digits(code).map_or(2, u32::from)
}

/// An amount: currency and an integer count of its minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    pub currency: String,
    pub minor: i128,
}

/// Parses `1,200,000 CNY`, `850000.50 HKD` or `HKD 850000.50`. Refuses
/// more precision than the currency's minor unit (`1.005 CNY`).
pub fn parse(text: &str) -> Result<Amount, String> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let (number, code) = match parts.as_slice() {
        [a, b] if is_code(a) => (*b, *a),
        [a, b] if is_code(b) => (*a, *b),
        [one] => {
            // `850000.50HKD` or `HKD850000.50`.
            let head = (one.len() > 3 && one.is_char_boundary(3)).then(|| one.split_at(3));
            let tail = one
                .len()
                .checked_sub(3)
                .filter(|i| one.is_char_boundary(*i))
                .map(|i| one.split_at(i));
            match (head, tail) {
                (Some((c, n)), _) if is_code(c) => (n, c),
                (_, Some((n, c))) if is_code(c) && !n.is_empty() => (n, c),
                _ => return Err("needs an amount and a currency, such as 1,200,000 CNY".into()),
            }
        }
        _ => return Err("needs an amount and a currency, such as 1,200,000 CNY".into()),
    };
    let code = code.to_ascii_uppercase();
    let minor = parse_decimal(number, exponent(&code), &code)?;
    Ok(Amount { currency: code, minor })
}

pub fn is_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

/// `number` in minor units of a currency with `exp` decimal places.
fn parse_decimal(number: &str, exp: u32, code: &str) -> Result<i128, String> {
    let bad = || format!("{number:?} is not an amount such as 1,200,000 or 850000.50");
    let (negative, digits) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number.strip_prefix('+').unwrap_or(number)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || (digits.contains('.') && frac.is_empty()) {
        return Err(bad());
    }
    let whole = ungroup(whole).ok_or_else(bad)?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let significant = frac.trim_end_matches('0');
    if significant.len() > exp as usize {
        return Err(format!(
            "{number} has more decimal places than {code}'s minor unit allows ({exp})"
        ));
    }
    let mut minor: i128 = 0;
    let padded = format!("{significant:0<width$}", width = exp as usize);
    for b in whole.bytes().chain(padded.bytes()) {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(b - b'0')))
            .filter(|m| *m <= i128::from(i64::MAX))
            .ok_or_else(|| format!("{number} is too large"))?;
    }
    Ok(if negative { -minor } else { minor })
}

/// Digits of `whole`, with `,` thousands separators checked and removed.
fn ungroup(whole: &str) -> Option<String> {
    let groups: Vec<&str> = whole.split(',').collect();
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let ok = groups.iter().all(|g| digits(g))
        && (groups.len() == 1 || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3)));
    ok.then(|| groups.concat())
}

impl Amount {
    /// The `google.type.Money` shape: units and nanos of the same sign.
    pub fn to_proto(&self) -> v1::Money {
        let scale = 10_i128.pow(exponent(&self.currency));
        let units = self.minor / scale;
        let nanos = (self.minor % scale) * (1_000_000_000 / scale);
        v1::Money {
            currency_code: self.currency.clone(),
            units: units as i64,
            nanos: nanos as i32,
        }
    }

    /// From the proto shape; nanos below the minor unit are truncated
    /// (the service never sends them).
    pub fn from_proto(m: &v1::Money) -> Self {
        let scale = 10_i128.pow(exponent(&m.currency_code));
        let minor = i128::from(m.units) * scale + i128::from(m.nanos) / (1_000_000_000 / scale);
        Self {
            currency: m.currency_code.clone(),
            minor,
        }
    }
}

impl Amount {
    /// `1234567.89`: the exact decimal with the currency's decimal places,
    /// without separators or code (what exports write).
    pub fn plain(&self) -> String {
        let exp = exponent(&self.currency);
        let scale = 10_u128.pow(exp);
        let abs = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        if exp == 0 {
            return format!("{sign}{abs}");
        }
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = exp as usize)
    }
}

/// `1234567.89` for an amount of the proto shape (see [`Amount::plain`]).
pub fn plain(m: &v1::Money) -> String {
    Amount::from_proto(m).plain()
}

/// `CNY 1,200,000.00`: code, then the amount with thousands separators and
/// the currency's decimal places.
pub fn format(m: &v1::Money) -> String {
    let a = Amount::from_proto(m);
    let exp = exponent(&a.currency);
    let scale = 10_i128.pow(exp);
    let abs = a.minor.unsigned_abs();
    let whole = (abs / scale as u128).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if a.minor < 0 { "-" } else { "" };
    if exp == 0 {
        return format!("{} {sign}{grouped}", a.currency);
    }
    let frac = abs % scale as u128;
    format!("{} {sign}{grouped}.{frac:0width$}", a.currency, width = exp as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(minor: i128) -> Amount {
        Amount {
            currency: "CNY".into(),
            minor,
        }
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(parse("1,200,000 CNY").unwrap(), cny(120_000_000));
        assert_eq!(parse("850000.50 HKD").unwrap().minor, 85_000_050);
        assert_eq!(parse("HKD 850000.50").unwrap().currency, "HKD");
        assert_eq!(parse("hkd 850,000.5").unwrap().minor, 85_000_050);
        assert_eq!(parse("750,000CNY").unwrap(), cny(75_000_000));
        assert_eq!(parse("1.000 CNY").unwrap(), cny(100), "trailing zeros are exact");
        assert_eq!(parse("1200 JPY").unwrap().minor, 1_200);
        let m = parse("108,420.00 HKD").unwrap().to_proto();
        assert_eq!((m.units, m.nanos), (108_420, 0));
        assert_eq!(parse("0.05 CNY").unwrap().to_proto().nanos, 50_000_000);
    }

    #[test]
    fn refuses_what_is_not_exact_or_not_money() {
        let err = parse("1.005 CNY").unwrap_err();
        assert!(err.contains("minor unit"), "{err}");
        assert!(parse("1.5 JPY").is_err());
        for bad in [
            "abc",
            "abc CNY",
            "1,2 CNY",
            "12,0000 CNY",
            "1. CNY",
            ".5 CNY",
            "CNY",
            "100",
            "1 2 CNY",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad} must be refused");
        }
        assert!(parse("99999999999999999999 CNY").is_err());
    }

    #[test]
    fn formats_with_separators_and_minor_units() {
        let m = |code: &str, units, nanos| v1::Money {
            currency_code: code.into(),
            units,
            nanos,
        };
        assert_eq!(format(&m("CNY", 1_200_000, 0)), "CNY 1,200,000.00");
        assert_eq!(format(&m("HKD", 850_000, 500_000_000)), "HKD 850,000.50");
        assert_eq!(format(&m("JPY", 1_200, 0)), "JPY 1,200");
        assert_eq!(format(&m("CNY", 0, 0)), "CNY 0.00");
        assert_eq!(format(&m("CNY", 999, 0)), "CNY 999.00");
        assert_eq!(format(&m("CNY", -5, -50_000_000)), "CNY -5.05");
    }

    #[test]
    fn plain_decimals_are_exact_without_separators() {
        let m = |code: &str, units, nanos| v1::Money {
            currency_code: code.into(),
            units,
            nanos,
        };
        assert_eq!(plain(&m("CNY", 1_234_567, 890_000_000)), "1234567.89");
        assert_eq!(plain(&m("CNY", 750_000, 0)), "750000.00");
        assert_eq!(plain(&m("HKD", 0, 50_000_000)), "0.05");
        assert_eq!(plain(&m("CNY", -5, -50_000_000)), "-5.05");
        assert_eq!(plain(&m("JPY", 1_200, 0)), "1200");
        assert_eq!(
            plain(&m("CNY", 9_007_199_254_740_993, 10_000_000)),
            "9007199254740993.01"
        );
        assert_eq!(parse("1,234,567.89 CNY").unwrap().plain(), "1234567.89");
        let remaining = Amount {
            currency: "CNY".into(),
            minor: parse("1,234,567.89 CNY").unwrap().minor - parse("100,000.10 CNY").unwrap().minor,
        };
        assert_eq!(remaining.plain(), "1134567.79");
    }
}
