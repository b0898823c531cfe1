//! The facility resource units gba-grants takes (beam hours, core-hours)
//! and how many smallest steps make one unit: read from
//! `proto/resource-units.txt`, the one source of these facts for the
//! server, grantctl and the page. A leaf module, like `currencies`.

use std::collections::HashMap;
use std::sync::LazyLock;

const TABLE: &str = include_str!("../proto/resource-units.txt");

/// One unit of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    pub symbol: &'static str,
    /// Smallest steps in one unit (2: half-unit steps); divides 1000.
    pub steps_per_unit: i64,
    pub name: &'static str,
}

static UNITS: LazyLock<HashMap<&'static str, Unit>> = LazyLock::new(|| {
    TABLE
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let mut parts = line.splitn(3, ' ');
            let symbol = parts.next()?;
            let steps_per_unit: i64 = parts.next()?.parse().ok()?;
            let name = parts.next()?.trim();
            (steps_per_unit > 0 && 1000 % steps_per_unit == 0).then_some((
                symbol,
                Unit {
                    symbol,
                    steps_per_unit,
                    name,
                },
            ))
        })
        .collect()
});

/// The unit with `symbol`, if gba-grants takes it.
pub fn unit(symbol: &str) -> Option<Unit> {
    UNITS.get(symbol).copied()
}

/// Every unit's symbol, in the table's order (for error messages).
pub fn symbols() -> Vec<&'static str> {
    TABLE
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split(' ').next())
        .collect()
}

/// `steps` of a unit with `steps_per_unit` steps, as an exact decimal in
/// whole units: 193 half-hour steps are `96.5`, -3 are `-1.5`.
pub fn decimal(steps: i64, steps_per_unit: i64) -> String {
    let per = steps_per_unit.max(1);
    let sign = if steps < 0 { "-" } else { "" };
    let magnitude = steps.unsigned_abs();
    let per_u = per.unsigned_abs();
    let whole = magnitude / per_u;
    let rest = magnitude % per_u;
    if rest == 0 {
        return format!("{sign}{whole}");
    }
    // per divides 1000, so rest/per is rest·(1000/per) thousandths.
    let thousandths = rest * (1000 / per_u);
    let fraction = format!("{thousandths:03}");
    format!("{sign}{whole}.{}", fraction.trim_end_matches('0'))
}

/// The smallest step of a unit as an exact decimal (`0.5`, `1`).
pub fn step(steps_per_unit: i64) -> String {
    decimal(1, steps_per_unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_reads_whole() {
        assert_eq!(unit("beam-h").map(|u| u.steps_per_unit), Some(2));
        assert_eq!(unit("core-h").map(|u| u.steps_per_unit), Some(1));
        assert_eq!(unit("CNY"), None);
        let rows = TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .count();
        assert_eq!(UNITS.len(), rows, "every line is a unit");
        assert_eq!(symbols(), vec!["h", "beam-h", "core-h", "node-h", "gpu-h"]);
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(decimal(193, 2), "96.5");
        assert_eq!(decimal(3000, 2), "1500");
        assert_eq!(decimal(-3, 2), "-1.5");
        assert_eq!(decimal(1, 8), "0.125");
        assert_eq!(decimal(250_000, 1), "250000");
        assert_eq!(decimal(i64::MIN, 2), "-4611686018427387904");
        assert_eq!(step(2), "0.5");
        assert_eq!(step(1), "1");
    }
}
