//! Exact amounts of a facility resource as people type and read them:
//! `96.5 beam-h`, `250,000 core-h` in, `96.5 beam-h`, `250,000 core-h`
//! out. A count of the unit's smallest steps (`proto/resource-units.txt`,
//! read through `gba_grants::units`), never a float. Self-contained (no
//! crate imports besides the proto types and the units table), so the
//! tests can include it whole.

use gba_grants::proto::v1;
use gba_grants::units;

/// The unit of `symbol` in any case (`Beam-H` is `beam-h`), if the table
/// has it.
pub fn unit(symbol: &str) -> Option<units::Unit> {
    units::unit(symbol).or_else(|| units::unit(&symbol.to_ascii_lowercase()))
}

/// Whether `text` names one of the table's units (`96.5 beam-h`,
/// `1500core-h`): what tells a resource amount from money.
pub fn names_unit(text: &str) -> bool {
    split(text).is_some()
}

/// The number and the unit of `12.5 beam-h`, `beam-h 12.5` or `12.5beam-h`.
fn split(text: &str) -> Option<(&str, units::Unit)> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    match parts.as_slice() {
        [n, u] if unit(u).is_some() => Some((*n, unit(u)?)),
        [u, n] if unit(u).is_some() => Some((*n, unit(u)?)),
        [one] => {
            // `12.5beam-h`: the unit is what follows the last digit.
            let at = one.rfind(|c: char| c.is_ascii_digit())? + 1;
            let (n, u) = one.split_at(at);
            unit(u).map(|u| (n, u))
        }
        _ => None,
    }
}

fn example() -> &'static str {
    "such as 96.5 beam-h or 250,000 core-h"
}

/// Parses `96.5 beam-h`, `250000 core-h` or `250,000 core-h`. Refuses an
/// amount that is not a whole number of the unit's steps (`96.25 beam-h`:
/// beam-h goes in steps of 0.5), and a unit the table does not have.
pub fn parse(text: &str) -> Result<v1::ResourceAmount, String> {
    let Some((number, u)) = split(text) else {
        return Err(format!(
            "needs an amount and a unit ({}), {}",
            units::symbols().join(", "),
            example()
        ));
    };
    let steps = steps(number, u)?;
    Ok(v1::ResourceAmount {
        unit: u.symbol.to_owned(),
        steps,
        value: String::new(),
    })
}

/// `number` as a count of `u`'s steps, exactly.
fn steps(number: &str, u: units::Unit) -> Result<i64, String> {
    let bad = || format!("{number:?} is not an amount {}", example());
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
    let not_a_step = || {
        format!(
            "{number} is finer than {}'s step of {} {}",
            u.symbol,
            units::step(u.steps_per_unit),
            u.symbol
        )
    };
    // Every step is a whole number of thousandths (steps per unit divide
    // 1000), so finer than a thousandth is never a step.
    let significant = frac.trim_end_matches('0');
    if significant.len() > 3 {
        return Err(not_a_step());
    }
    let mut thousandths: i128 = 0;
    let too_large = || format!("{number} is too large");
    for b in whole.bytes().chain(format!("{significant:0<3}").bytes()) {
        thousandths = thousandths
            .checked_mul(10)
            .and_then(|t| t.checked_add(i128::from(b - b'0')))
            .filter(|t| *t <= i128::from(i64::MAX) * 1000)
            .ok_or_else(too_large)?;
    }
    let scaled = thousandths * i128::from(u.steps_per_unit);
    if scaled % 1000 != 0 {
        return Err(not_a_step());
    }
    let steps = i64::try_from(scaled / 1000).map_err(|_| too_large())?;
    Ok(if negative { -steps } else { steps })
}

/// Digits of `whole`, with `,` thousands separators checked and removed.
fn ungroup(whole: &str) -> Option<String> {
    let groups: Vec<&str> = whole.split(',').collect();
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let ok = groups.iter().all(|g| digits(g))
        && (groups.len() == 1 || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3)));
    ok.then(|| groups.concat())
}

/// `96.5`: the exact decimal in whole units, without separators or unit
/// (what exports write). A unit the table lacks (a newer server) shows
/// the server's `value`.
pub fn plain(r: &v1::ResourceAmount) -> String {
    match unit(&r.unit) {
        Some(u) => units::decimal(r.steps, u.steps_per_unit),
        None if !r.value.is_empty() => r.value.clone(),
        None => format!("{} steps", r.steps),
    }
}

/// `1,240.5`: the exact decimal with thousands separators, no unit.
pub fn number(r: &v1::ResourceAmount) -> String {
    let plain = plain(r);
    let (sign, rest) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.as_str()),
    };
    let (whole, frac) = match rest.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (rest, None),
    };
    if !whole.bytes().all(|b| b.is_ascii_digit()) {
        return plain;
    }
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `96.5 beam-h`, `250,000 core-h`: the amount, then its unit.
pub fn format(r: &v1::ResourceAmount) -> String {
    format!("{} {}", number(r), r.unit)
}

/// `a - b` in `a`'s unit, or `None` when the units differ.
pub fn minus(a: &v1::ResourceAmount, b: Option<&v1::ResourceAmount>) -> Option<v1::ResourceAmount> {
    let less = match b {
        Some(b) if b.steps != 0 && b.unit != a.unit => return None,
        Some(b) => b.steps,
        None => 0,
    };
    Some(v1::ResourceAmount {
        unit: a.unit.clone(),
        steps: a.steps.checked_sub(less)?,
        value: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(unit: &str, steps: i64) -> v1::ResourceAmount {
        v1::ResourceAmount {
            unit: unit.into(),
            steps,
            value: String::new(),
        }
    }

    #[test]
    fn parses_what_people_type_exactly() {
        assert_eq!(parse("96.5 beam-h").unwrap(), amount("beam-h", 193));
        assert_eq!(parse("250000 core-h").unwrap(), amount("core-h", 250_000));
        assert_eq!(parse("250,000 core-h").unwrap(), amount("core-h", 250_000));
        assert_eq!(parse("1,500 beam-h").unwrap(), amount("beam-h", 3_000));
        assert_eq!(parse("beam-h 12.5").unwrap(), amount("beam-h", 25));
        assert_eq!(parse("12.5beam-h").unwrap(), amount("beam-h", 25));
        assert_eq!(parse("12.50 Beam-H").unwrap(), amount("beam-h", 25), "any case");
        assert_eq!(parse("0.5 h").unwrap(), amount("h", 1));
        assert_eq!(parse("3 gpu-h").unwrap(), amount("gpu-h", 3));
        assert_eq!(
            parse("12.000 node-h").unwrap(),
            amount("node-h", 12),
            "trailing zeros are exact"
        );
        assert_eq!(parse("-1.5 beam-h").unwrap(), amount("beam-h", -3));
        assert!(names_unit("96.5 beam-h") && names_unit("1500core-h"));
        assert!(!names_unit("1,000,000 CNY") && !names_unit("96.5 beam-hours"));
    }

    #[test]
    fn refuses_what_is_finer_than_a_step_or_not_an_amount() {
        let err = parse("96.25 beam-h").unwrap_err();
        assert_eq!(err, "96.25 is finer than beam-h's step of 0.5 beam-h");
        assert!(parse("0.5 core-h").unwrap_err().contains("core-h's step of 1 core-h"));
        assert!(parse("1.0001 beam-h").unwrap_err().contains("finer"));
        for bad in [
            "",
            "beam-h",
            "96.5",
            "96.5 beam-hours",
            "96.5 CNY",
            "1,2 core-h",
            "12,0000 core-h",
            "1. beam-h",
            ".5 beam-h",
            "1e3 core-h",
            "1 2 core-h",
            "abc core-h",
        ] {
            assert!(parse(bad).is_err(), "{bad} must be refused");
        }
        assert!(parse("99999999999999999999 core-h").unwrap_err().contains("too large"));
        assert_eq!(
            parse("9223372036854775807 core-h").unwrap().steps,
            i64::MAX,
            "the largest count of steps"
        );
        assert!(parse("9223372036854775807 beam-h").unwrap_err().contains("too large"));
        let err = parse("96.5 beam-hours").unwrap_err();
        assert!(err.contains("h, beam-h, core-h, node-h, gpu-h"), "{err}");
    }

    #[test]
    fn prints_exact_decimals_with_separators_and_the_unit() {
        assert_eq!(format(&amount("beam-h", 193)), "96.5 beam-h");
        assert_eq!(format(&amount("core-h", 250_000)), "250,000 core-h");
        assert_eq!(format(&amount("beam-h", 2_481)), "1,240.5 beam-h");
        assert_eq!(format(&amount("beam-h", 3_000)), "1,500 beam-h");
        assert_eq!(format(&amount("beam-h", 0)), "0 beam-h");
        assert_eq!(format(&amount("beam-h", -3)), "-1.5 beam-h");
        assert_eq!(number(&amount("core-h", 1_234_567)), "1,234,567");
        assert_eq!(plain(&amount("beam-h", 2_481)), "1240.5");
        assert_eq!(plain(&amount("core-h", 250_000)), "250000");
        let mut newer = amount("qpu-h", 7);
        newer.value = "0.7".into();
        assert_eq!(
            format(&newer),
            "0.7 qpu-h",
            "a unit the table lacks shows the server's value"
        );
        for text in ["96.5 beam-h", "250,000 core-h", "1,240.5 beam-h", "0.5 h"] {
            assert_eq!(format(&parse(text).unwrap()), text, "round trip");
        }
    }

    #[test]
    fn differences_are_exact_in_one_unit() {
        let cap = amount("beam-h", 3_000);
        assert_eq!(minus(&cap, Some(&amount("beam-h", 2_481))), Some(amount("beam-h", 519)));
        assert_eq!(minus(&cap, None), Some(cap.clone()));
        assert_eq!(minus(&cap, Some(&amount("core-h", 5))), None);
        assert_eq!(minus(&cap, Some(&amount("core-h", 0))), Some(cap.clone()));
    }
}
