//! Facility-access programmes: what differs from money. The amounts
//! themselves are `Money` in a resource unit (see `money::Currency`), so
//! budgets, approvals, the funding line and summaries work unchanged; this
//! module holds the periods an applicant prefers and the rules of a usage
//! record (the facility's counterpart of a disbursement).

use super::error::{Error, Result, Violations};
use super::money::Currency;
use super::time::Timestamp;

/// Preferred periods an application may name.
pub const MAX_PERIODS: usize = 10;

/// A span of time: the start included, the end excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// A period as a client sends it: either bound may be missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodInput {
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
}

impl Period {
    /// Checks a period under `field`: both bounds, the end after the start.
    pub fn parse(input: PeriodInput, field: &str) -> Result<Self> {
        match (input.start, input.end) {
            (None, _) => Err(Error::invalid(format!("{field}.start_time"), "is required")),
            (_, None) => Err(Error::invalid(format!("{field}.end_time"), "is required")),
            (Some(start), Some(end)) if end <= start => {
                Err(Error::invalid(format!("{field}.end_time"), "must be after start_time"))
            }
            (Some(start), Some(end)) => Ok(Self { start, end }),
        }
    }
}

/// The preferred periods of an application to a programme counted in
/// `currency`: only a facility programme takes them.
pub fn periods(input: &[PeriodInput], currency: &Currency, field: &str) -> Result<Vec<Period>> {
    if input.is_empty() {
        return Ok(Vec::new());
    }
    if !currency.is_resource() {
        return Err(Error::invalid(
            field,
            "only applications to a facility programme name preferred periods",
        ));
    }
    if input.len() > MAX_PERIODS {
        return Err(Error::invalid(field, format!("at most {MAX_PERIODS} periods")));
    }
    let mut v = Violations::new();
    let periods: Vec<Period> = input
        .iter()
        .enumerate()
        .filter_map(|(i, p)| v.check(Period::parse(*p, &format!("{field}[{i}]"))))
        .collect();
    v.finish()?;
    Ok(periods)
}

/// A usage record as a client sends it; the amount already parsed.
#[derive(Debug, Clone)]
pub struct UsageInput {
    pub amount: Option<super::money::Money>,
    pub period: Option<PeriodInput>,
    pub reference: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Option<Timestamp> {
        Some(Timestamp::from_micros(s * 1_000_000))
    }

    #[test]
    fn periods_need_both_bounds_in_order_and_a_facility() {
        let beam = Currency::parse_unit("beam-h", "u").unwrap();
        let cny = Currency::parse("CNY", "c").unwrap();
        let good = PeriodInput {
            start: at(10),
            end: at(20),
        };
        assert_eq!(periods(&[good], &beam, "p").unwrap().len(), 1);
        let err = periods(&[good], &cny, "p").unwrap_err();
        assert!(err.to_string().contains("facility"), "{err}");
        let backwards = PeriodInput {
            start: at(20),
            end: at(10),
        };
        let err = periods(&[good, backwards], &beam, "p").unwrap_err();
        assert!(err.to_string().contains("p[1].end_time"), "{err}");
        let open = PeriodInput {
            start: at(20),
            end: None,
        };
        assert!(
            periods(&[open], &beam, "p")
                .unwrap_err()
                .to_string()
                .contains("p[0].end_time")
        );
        assert!(periods(&[good; 11], &beam, "p").is_err());
    }
}
