//! Exchange for disbursements: the payee amount the service expects,
//! `amount × rate` rounded half-even to the payee currency's minor unit,
//! less bank charges, computed exactly with integers.

use crate::money::{Amount, exponent, is_code};

/// Checks an exchange rate: a positive decimal such as `1.0842`.
pub fn check_rate(rate: &str) -> Result<(), String> {
    let (whole, frac) = rate.split_once('.').unwrap_or((rate, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || rate.ends_with('.') {
        return Err(format!("{rate:?} is not a decimal number such as 1.0842"));
    }
    if whole.len() > 12 || frac.len() > 12 {
        return Err(format!("{rate} has more than 12 digits before or after the point"));
    }
    if rate.bytes().all(|b| b == b'0' || b == b'.') {
        return Err("the rate must be greater than zero".into());
    }
    Ok(())
}

/// `amount × rate` in `payee` currency, rounded half-even to its minor
/// unit, less `charges` (payee currency): the payee amount the service
/// expects.
pub fn payee_amount(amount: &Amount, rate: &str, payee: &str, charges: Option<&Amount>) -> Result<Amount, String> {
    check_rate(rate)?;
    let payee = payee.to_ascii_uppercase();
    if !is_code(&payee) {
        return Err(format!("{payee:?} is not a currency code such as HKD"));
    }
    let too_large = || "the payee amount is too large".to_owned();
    let (whole, frac) = rate.split_once('.').unwrap_or((rate, ""));
    let digits: i128 = format!("{whole}{frac}").parse().map_err(|_| too_large())?;
    let num = amount
        .minor
        .unsigned_abs()
        .checked_mul(digits as u128)
        .and_then(|n| n.checked_mul(10_u128.pow(exponent(&payee))))
        .ok_or_else(too_large)?;
    let den = 10_u128
        .checked_pow(frac.len() as u32 + exponent(&amount.currency))
        .ok_or_else(too_large)?;
    let (q, r) = (num / den, num % den);
    let q = match (2 * r).cmp(&den) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal if q % 2 == 1 => q + 1,
        _ => q,
    };
    let mut minor = i128::try_from(q).map_err(|_| too_large())?;
    if amount.minor < 0 {
        minor = -minor;
    }
    if let Some(c) = charges {
        if c.currency != payee {
            return Err(format!("bank charges must be in {payee}, the payee currency"));
        }
        minor -= c.minor;
    }
    Ok(Amount { currency: payee, minor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse;

    fn cny(minor: i128) -> Amount {
        Amount {
            currency: "CNY".into(),
            minor,
        }
    }

    #[test]
    fn payee_amounts_round_half_even_less_charges() {
        let hkd = |s| parse(s).unwrap();
        assert_eq!(
            payee_amount(&cny(10_000_000), "1.0842", "HKD", None).unwrap(),
            hkd("108,420 HKD")
        );
        // 0.05 CNY at 1.1 = 0.055: the tie goes to the even cent.
        assert_eq!(payee_amount(&cny(5), "1.1", "HKD", None).unwrap().minor, 6);
        assert_eq!(payee_amount(&cny(15), "1.1", "HKD", None).unwrap().minor, 16);
        let charges = hkd("25 HKD");
        assert_eq!(
            payee_amount(&cny(10_000_000), "1.0842", "hkd", Some(&charges)).unwrap(),
            hkd("108,395 HKD")
        );
        assert_eq!(payee_amount(&cny(10_050), "20", "JPY", None).unwrap().minor, 2_010);
        assert!(payee_amount(&cny(1), "0", "HKD", None).is_err());
        assert!(payee_amount(&cny(1), "1,08", "HKD", None).is_err());
    }
}
