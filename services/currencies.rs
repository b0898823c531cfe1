//! The currencies gba-grants takes, and the decimal places of each one's
//! minor unit: read from `proto/iso4217.txt`, the one source of these
//! facts for the server, grantctl and the dashboard page. A leaf module
//! (it imports nothing of the service), so grantctl can use it.

use std::collections::HashMap;
use std::sync::LazyLock;

const TABLE: &str = include_str!("../proto/iso4217.txt");

static DIGITS: LazyLock<HashMap<&'static str, u8>> = LazyLock::new(|| {
    TABLE
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let (code, digits) = line.split_once(' ')?;
            Some((code, digits.trim().parse().ok()?))
        })
        .collect()
});

/// The decimal places of `code`'s minor unit, if gba-grants takes it.
pub fn minor_digits(code: &str) -> Option<u8> {
    DIGITS.get(code).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_reads_whole() {
        assert_eq!(minor_digits("CNY"), Some(2));
        assert_eq!(minor_digits("HKD"), Some(2));
        assert_eq!(minor_digits("MOP"), Some(2));
        assert_eq!(minor_digits("JPY"), Some(0));
        assert_eq!(minor_digits("KWD"), Some(3));
        assert_eq!(minor_digits("CLF"), Some(4));
        assert_eq!(minor_digits("XAU"), None, "precious metals are not money here");
        assert_eq!(minor_digits("cny"), None);
        let rows = TABLE.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).count();
        assert_eq!(DIGITS.len(), rows, "every line is a currency");
    }
}
