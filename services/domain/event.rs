//! Events (one per state change and per disbursement) and disbursements.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::access::Role;
use super::application::{Application, State};
use super::error::{Error, Result};
use super::ids::{ApiKeyName, ApplicationName, DisbursementName, InstitutionName, ProgrammeName};
use super::money::Money;
use super::time::Timestamp;

/// A position in the event log: events are numbered in commit order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor(pub i64);

const CURSOR_PREFIX: &str = "gbe1:";

impl Cursor {
    /// The opaque form clients see.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{}", self.0))
    }

    pub fn parse(raw: &str, field: &str) -> Result<Self> {
        let bad = || Error::invalid(field, "is not a cursor this service issued");
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let seq = text
            .strip_prefix(CURSOR_PREFIX)
            .ok_or_else(bad)?
            .parse::<i64>()
            .map_err(|_| bad())?;
        if seq < 0 {
            return Err(bad());
        }
        Ok(Self(seq))
    }
}

/// What a change appends to the log; the store adds position and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub previous: Option<State>,
    pub new: State,
    pub actor: ApiKeyName,
    pub actor_role: Role,
    pub reason: String,
    pub disbursement: Option<DisbursementName>,
}

/// A committed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationEvent {
    pub cursor: Cursor,
    pub application: ApplicationName,
    pub programme: ProgrammeName,
    pub applicant: InstitutionName,
    pub previous: Option<State>,
    pub new: State,
    pub actor: ApiKeyName,
    pub actor_role: Role,
    pub reason: String,
    pub time: Timestamp,
    /// The application as it stood after the change.
    pub snapshot: Application,
    pub disbursement: Option<DisbursementName>,
}

/// A payment of part of an award.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disbursement {
    pub name: DisbursementName,
    /// In the programme's currency.
    pub amount: Money,
    /// What the payee received, in its own currency.
    pub payee_amount: Money,
    /// Payee currency units per programme currency unit, exact decimal.
    pub exchange_rate: String,
    pub pay_time: Timestamp,
    pub reference: String,
    pub create_time: Timestamp,
}

/// A disbursement as a client sends it.
#[derive(Debug, Clone, Default)]
pub struct DisbursementInput {
    pub amount: Option<Money>,
    pub payee_amount: Option<Money>,
    pub exchange_rate: String,
    pub pay_time: Option<Timestamp>,
    pub reference: String,
}

/// Checks an exchange rate: a positive decimal with at most 12 places.
pub fn parse_rate(raw: &str, field: &str) -> Result<String> {
    let bad = |why: &str| Error::invalid(field, format!("{raw:?} {why}"));
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("is not a decimal number such as 1.0842"));
    }
    if raw.ends_with('.') || frac.len() > 12 || whole.len() > 12 {
        return Err(bad("must have at most 12 digits before and after the point"));
    }
    if raw.bytes().all(|b| b == b'0' || b == b'.') {
        return Err(bad("must be greater than zero"));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor(42);
        assert_eq!(Cursor::parse(&c.encode(), "cursor").unwrap(), c);
        assert!(Cursor::parse("42", "cursor").is_err());
        assert!(Cursor::parse("", "cursor").is_err());
    }

    #[test]
    fn rates_are_positive_exact_decimals() {
        assert_eq!(parse_rate("1.0842", "r").unwrap(), "1.0842");
        assert!(parse_rate("7", "r").is_ok());
        for bad in ["", "0", "0.000", "-1.2", "1.", ".5", "1,2", "1e3", "1.0000000000001"] {
            assert!(parse_rate(bad, "r").is_err(), "{bad}");
        }
    }
}
