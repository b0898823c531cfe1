//! Exact money: an ISO 4217 currency and an integer count of its minor
//! units. Never a float; arithmetic is checked.

use std::fmt;

use super::error::{Error, Result};

/// What amounts are counted in: a valid ISO 4217 currency with its
/// minor-unit exponent, or, for facility programmes, a resource unit
/// (`beam-h`, `core-h`) counted in its smallest steps. Amounts of one never
/// mix with the other: they are simply different denominations.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Currency {
    code: String,
    exponent: u8,
    /// Minor units (or steps) in one whole unit.
    per_unit: i64,
    resource: bool,
}

impl Currency {
    /// Parses an upper-case ISO 4217 code (one `proto/iso4217.txt` lists);
    /// `field` names it in the error.
    pub fn parse(code: &str, field: &str) -> Result<Self> {
        let Some(exponent) = crate::currencies::minor_digits(code) else {
            return Err(Error::invalid(
                field,
                format!(
                    "{} is not an ISO 4217 currency code (three upper-case letters, e.g. CNY)",
                    super::text::excerpt(code)
                ),
            ));
        };
        Ok(Self {
            code: code.to_owned(),
            exponent,
            per_unit: 10_i64.pow(u32::from(exponent)),
            resource: false,
        })
    }

    /// Parses a facility resource unit's symbol (one
    /// `proto/resource-units.txt` lists); `field` names it in the error.
    pub fn parse_unit(symbol: &str, field: &str) -> Result<Self> {
        let Some(unit) = crate::units::unit(symbol) else {
            return Err(Error::invalid(
                field,
                format!(
                    "{} is not a resource unit (one of {})",
                    super::text::excerpt(symbol),
                    crate::units::symbols().join(", ")
                ),
            ));
        };
        Ok(Self {
            code: unit.symbol.to_owned(),
            exponent: 0,
            per_unit: unit.steps_per_unit,
            resource: true,
        })
    }

    /// Reads a code as stored: a currency or a resource unit.
    pub fn parse_stored(code: &str, field: &str) -> Result<Self> {
        Self::parse(code, field).or_else(|_| Self::parse_unit(code, field))
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    /// Decimal places of the minor unit (0 for a resource unit, whose
    /// steps need not be a power of ten).
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Whether this is a facility resource unit rather than money.
    pub fn is_resource(&self) -> bool {
        self.resource
    }

    /// Smallest steps in one whole unit (1 for whole core-hours, 2 for
    /// half-hours of beam time; 100 for fen).
    pub fn steps_per_unit(&self) -> i64 {
        self.per_unit
    }

    fn minor_per_unit(&self) -> i64 {
        self.per_unit
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

/// An exact amount: `minor` units of `currency` (fen for CNY, cents for HKD).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Money {
    currency: Currency,
    minor: i64,
}

impl Money {
    /// Builds from the `google.type.Money` shape. `field` is the path of the
    /// money field, e.g. `programme.budget`.
    pub fn from_parts(currency_code: &str, units: i64, nanos: i32, field: &str) -> Result<Self> {
        let currency = Currency::parse(currency_code, &format!("{field}.currency_code"))?;
        if !(-999_999_999..=999_999_999).contains(&nanos) {
            return Err(Error::invalid(format!("{field}.nanos"), "must be within ±999,999,999"));
        }
        if (units > 0 && nanos < 0) || (units < 0 && nanos > 0) {
            return Err(Error::invalid(format!("{field}.nanos"), "must have the sign of units"));
        }
        let nanos_per_minor = 10_i32.pow(9 - u32::from(currency.exponent));
        if nanos % nanos_per_minor != 0 {
            return Err(Error::invalid(
                format!("{field}.nanos"),
                format!("{} allows at most {} decimal places", currency.code, currency.exponent),
            ));
        }
        let minor = units
            .checked_mul(currency.minor_per_unit())
            .and_then(|m| m.checked_add(i64::from(nanos / nanos_per_minor)))
            .ok_or_else(|| Error::invalid(format!("{field}.units"), "amount is too large"))?;
        Ok(Self { currency, minor })
    }

    /// An amount of a resource: `steps` of `unit`'s smallest step (the
    /// `ResourceAmount` shape). `field` is the amount's path.
    pub fn from_steps(unit: &str, steps: i64, field: &str) -> Result<Self> {
        let currency = Currency::parse_unit(unit, &format!("{field}.unit"))?;
        Ok(Self { currency, minor: steps })
    }

    /// An amount of `minor` units, as stored.
    pub fn from_minor(currency: Currency, minor: i64) -> Self {
        Self { currency, minor }
    }

    pub fn zero(currency: Currency) -> Self {
        Self { currency, minor: 0 }
    }

    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    /// Whole units and nanos, the `google.type.Money` shape.
    pub fn units_nanos(&self) -> (i64, i32) {
        let per = self.currency.minor_per_unit();
        let units = self.minor / per;
        let rest = self.minor % per;
        // |rest| < 10^exponent ≤ 10^4, so the product fits in i32.
        let nanos = rest * 10_i64.pow(9 - u32::from(self.currency.exponent));
        (units, i32::try_from(nanos).unwrap_or(0))
    }

    pub fn is_positive(&self) -> bool {
        self.minor > 0
    }

    /// `self + other` in the same currency; `None` on overflow or mismatch.
    pub fn checked_add(&self, other: &Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.minor.checked_add(other.minor))
            .flatten()
            .map(|minor| Money {
                currency: self.currency.clone(),
                minor,
            })
    }

    /// `self - other` in the same currency; `None` on overflow or mismatch.
    pub fn checked_sub(&self, other: &Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.minor.checked_sub(other.minor))
            .flatten()
            .map(|minor| Money {
                currency: self.currency.clone(),
                minor,
            })
    }
}

/// Checks that `amount` is in `currency` (a programme's). On a mismatch,
/// the field to name and why: a money field on a facility programme, a
/// resource on a money programme, or another currency or unit. Money is
/// given in `money_field`, a resource in `resource_field`.
pub fn mismatch(
    amount: &Money,
    currency: &Currency,
    money_field: &str,
    resource_field: &str,
) -> Option<(String, String)> {
    if amount.currency() == currency {
        return None;
    }
    Some(match (amount.currency().is_resource(), currency.is_resource()) {
        (false, true) => (
            money_field.to_owned(),
            format!("a facility programme awards {currency}, not money: give {resource_field} instead"),
        ),
        (true, false) => (
            resource_field.to_owned(),
            format!("a money programme awards {currency}: give {money_field} instead"),
        ),
        (true, true) => (
            format!("{resource_field}.unit"),
            format!("must be the programme's unit {currency}"),
        ),
        (false, false) => (
            format!("{money_field}.currency_code"),
            format!("must be the programme currency {currency}"),
        ),
    })
}

/// A sum of many amounts of one currency, wide enough never to overflow
/// (totals of a programme's applications).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Total {
    currency: Currency,
    minor: i128,
}

impl Total {
    pub fn zero(currency: Currency) -> Self {
        Self { currency, minor: 0 }
    }

    /// Adds `minor` units.
    pub fn add_minor(&mut self, minor: i128) {
        self.minor = self.minor.saturating_add(minor);
    }

    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    pub fn minor(&self) -> i128 {
        self.minor
    }

    /// Whole units and nanos, the `google.type.Money` shape. Units beyond
    /// the range of i64 (more than 9.2 × 10^18 whole units) saturate.
    pub fn units_nanos(&self) -> (i64, i32) {
        let per = i128::from(self.currency.minor_per_unit());
        let units = self.minor / per;
        let rest = self.minor % per;
        let nanos = rest * 10_i128.pow(9 - u32::from(self.currency.exponent));
        match i64::try_from(units) {
            Ok(units) => (units, i32::try_from(nanos).unwrap_or(0)),
            Err(_) if units > 0 => (i64::MAX, 999_999_999),
            Err(_) => (i64::MIN, -999_999_999),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.currency.resource {
            return write!(
                f,
                "{} {}",
                crate::units::decimal(self.minor, self.currency.per_unit),
                self.currency
            );
        }
        let exp = usize::from(self.currency.exponent);
        let per = self.currency.minor_per_unit();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let per = per.unsigned_abs();
        if exp == 0 {
            write!(f, "{} {sign}{abs}", self.currency)
        } else {
            write!(f, "{} {sign}{}.{:0exp$}", self.currency, abs / per, abs % per)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_through_minor_units() {
        let m = Money::from_parts("CNY", 1_234, 560_000_000, "m").unwrap();
        assert_eq!(m.minor(), 123_456);
        assert_eq!(m.units_nanos(), (1_234, 560_000_000));
        assert_eq!(m.to_string(), "CNY 1234.56");
        let yen = Money::from_parts("JPY", 7, 0, "m").unwrap();
        assert_eq!(yen.minor(), 7);
        let dinar = Money::from_parts("KWD", -1, -5_000_000, "m").unwrap();
        assert_eq!(dinar.minor(), -1_005);
        assert_eq!(dinar.units_nanos(), (-1, -5_000_000));
    }

    #[test]
    fn refuses_precision_below_the_minor_unit_and_naming_the_field() {
        let err = Money::from_parts("HKD", 1, 1, "budget").unwrap_err();
        assert_eq!(
            err,
            Error::invalid("budget.nanos", "HKD allows at most 2 decimal places")
        );
        assert!(Money::from_parts("JPY", 1, 500_000_000, "x").is_err());
    }

    #[test]
    fn refuses_unknown_codes_mixed_signs_and_overflow() {
        for code in ["", "cny", "XYZ", "CNYY", "RMB"] {
            assert!(Money::from_parts(code, 1, 0, "x").is_err(), "{code}");
        }
        assert!(Money::from_parts("CNY", 1, -10_000_000, "x").is_err());
        assert!(Money::from_parts("CNY", i64::MAX, 0, "x").is_err());
        assert!(Money::from_parts("CNY", 0, 1_000_000_000, "x").is_err());
    }

    #[test]
    fn totals_do_not_overflow() {
        let cny = Currency::parse("CNY", "c").unwrap();
        let mut total = Total::zero(cny);
        total.add_minor(i128::from(i64::MAX));
        total.add_minor(i128::from(i64::MAX));
        assert_eq!(total.minor(), 2 * i128::from(i64::MAX));
        assert_eq!(total.units_nanos(), (184_467_440_737_095_516, 140_000_000));
    }

    #[test]
    fn arithmetic_is_checked_and_currency_strict() {
        let a = Money::from_parts("MOP", 10, 0, "a").unwrap();
        let b = Money::from_parts("HKD", 1, 0, "b").unwrap();
        assert!(a.checked_add(&b).is_none());
        let c = Money::from_parts("MOP", 2, 500_000_000, "c").unwrap();
        assert_eq!(a.checked_sub(&c).unwrap().to_string(), "MOP 7.50");
    }
}
