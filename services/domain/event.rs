//! Events (one per state change and per disbursement) and disbursements.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::access::Role;
use super::application::{Application, State};
use super::error::{Error, Result};
use super::ids::{ApiKeyName, ApplicationName, DisbursementName, InstitutionName, ProgrammeName, ReviewName};
use super::money::{Currency, Money};
use super::time::Timestamp;

/// The identity of one event log (one database), made at its first
/// migration: a cursor names the log it came from, so a cursor of another
/// database or environment is refused instead of silently skipping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogId(pub u64);

impl LogId {
    pub fn parse_hex(text: &str) -> Option<Self> {
        (text.len() == 16).then(|| u64::from_str_radix(text, 16).ok().map(Self))?
    }

    pub fn hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

/// A position in one event log: events are numbered in commit order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor {
    pub log: LogId,
    pub seq: i64,
}

const CURSOR_PREFIX: &str = "gbe2:";

impl Cursor {
    pub fn new(log: LogId, seq: i64) -> Self {
        Self { log, seq }
    }

    /// The opaque form clients see.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{}:{}", self.log.hex(), self.seq))
    }

    /// Parses the opaque form; whether it belongs to this service's log is
    /// for the reader to check.
    pub fn parse(raw: &str, field: &str) -> Result<Self> {
        let bad = || Error::invalid(field, "is not a cursor this service issued");
        if raw.len() > 64 {
            return Err(bad());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (log, seq) = text
            .strip_prefix(CURSOR_PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .ok_or_else(bad)?;
        let log = LogId::parse_hex(log).ok_or_else(bad)?;
        let seq = seq.parse::<i64>().map_err(|_| bad())?;
        if seq < 0 {
            return Err(bad());
        }
        Ok(Self { log, seq })
    }
}

/// How the store tells the log's reader that events were committed: a
/// wake-up, and the newest position it knows was committed (from other
/// replicas' notifications), so the reader keeps looking until it has
/// read that far.
#[derive(Debug, Default)]
pub struct AppendSignal {
    pub wake: tokio::sync::Notify,
    newest: std::sync::atomic::AtomicI64,
}

impl AppendSignal {
    /// Events were committed, up to position `newest` if known.
    pub fn announce(&self, newest: Option<i64>) {
        if let Some(seq) = newest {
            self.newest.fetch_max(seq, std::sync::atomic::Ordering::AcqRel);
        }
        self.wake.notify_one();
    }

    /// The newest position announced as committed.
    pub fn newest(&self) -> i64 {
        self.newest.load(std::sync::atomic::Ordering::Acquire)
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
    pub review: Option<ReviewActivity>,
    pub document: Option<DocumentActivity>,
    /// A team or sign-off event, or endorsements a change cleared.
    pub team: Option<super::team::TeamActivity>,
    /// A post-award event: a schedule revised, a report submitted,
    /// decided on or overdue.
    pub report: Option<super::postaward::ReportActivity>,
    /// The person behind the actor's key, if it names one.
    pub actor_person: Option<super::team::Person>,
}

impl NewEvent {
    /// An event of `caller` moving an application from `previous` to
    /// `new`, with nothing else to say yet.
    pub fn by(caller: &super::access::Caller, previous: Option<State>, new: State, reason: String) -> Self {
        Self {
            previous,
            new,
            actor: caller.key.clone(),
            actor_role: caller.role,
            reason,
            disbursement: None,
            review: None,
            document: None,
            team: None,
            report: None,
            actor_person: caller.person.clone(),
        }
    }
}

/// What a document event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentActivityKind {
    DocumentAdded,
    DocumentReplaced,
    DocumentDeleted,
}

impl DocumentActivityKind {
    pub const ALL: [DocumentActivityKind; 3] = [
        DocumentActivityKind::DocumentAdded,
        DocumentActivityKind::DocumentReplaced,
        DocumentActivityKind::DocumentDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentActivityKind::DocumentAdded => "DOCUMENT_ADDED",
            DocumentActivityKind::DocumentReplaced => "DOCUMENT_REPLACED",
            DocumentActivityKind::DocumentDeleted => "DOCUMENT_DELETED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The document part of an event: what happened, and the document's
/// metadata (never its content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentActivity {
    pub kind: DocumentActivityKind,
    pub document: super::document::Document,
}

/// What a peer-review event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewActivityKind {
    ReviewerAssigned,
    ConflictDeclared,
    ReviewSubmitted,
    ReviewRevised,
    ReviewsOverridden,
}

impl ReviewActivityKind {
    pub const ALL: [ReviewActivityKind; 5] = [
        ReviewActivityKind::ReviewerAssigned,
        ReviewActivityKind::ConflictDeclared,
        ReviewActivityKind::ReviewSubmitted,
        ReviewActivityKind::ReviewRevised,
        ReviewActivityKind::ReviewsOverridden,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewActivityKind::ReviewerAssigned => "REVIEWER_ASSIGNED",
            ReviewActivityKind::ConflictDeclared => "CONFLICT_DECLARED",
            ReviewActivityKind::ReviewSubmitted => "REVIEW_SUBMITTED",
            ReviewActivityKind::ReviewRevised => "REVIEW_REVISED",
            ReviewActivityKind::ReviewsOverridden => "REVIEWS_OVERRIDDEN",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The review part of an event: what happened, to which review, and the
/// application's review progress after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewActivity {
    pub kind: ReviewActivityKind,
    pub review: Option<ReviewName>,
    pub completed: i32,
    pub required: i32,
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
    pub review: Option<ReviewActivity>,
    pub document: Option<DocumentActivity>,
    pub team: Option<super::team::TeamActivity>,
    pub report: Option<super::postaward::ReportActivity>,
    pub actor_person: Option<super::team::Person>,
}

impl ApplicationEvent {
    /// The event as seen in `view`: the snapshot's e-mails, and a
    /// reviewer's identity as the actor of its own actions.
    pub fn in_view(mut self, view: super::application::View) -> Self {
        self.snapshot = self.snapshot.in_view(view);
        if !view.reviewers && self.actor_role == Role::Reviewer {
            self.actor = ApiKeyName::from_id("");
            self.actor_person = None;
        }
        self
    }
}

/// A payment of part of an award.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disbursement {
    pub name: DisbursementName,
    /// In the programme's currency.
    pub amount: Money,
    /// What the payee received, in its own currency: `amount ×
    /// exchange_rate`, rounded half-even to the payee currency's minor
    /// unit, less `bank_charges`.
    pub payee_amount: Money,
    /// Bank charges deducted on the way, in the payee currency.
    pub bank_charges: Money,
    /// Payee currency units per programme currency unit, exact decimal.
    pub exchange_rate: String,
    /// The tranche of the schedule it paid (1-based; 0 for payments
    /// recorded before schedules, or to pay the next tranche).
    pub tranche: u32,
    pub pay_time: Timestamp,
    pub reference: String,
    pub create_time: Timestamp,
    /// Set for usage of a facility award (its amount is in a resource
    /// unit): when the resource was used.
    pub period: Option<super::facility::Period>,
}

/// A disbursement as a client sends it.
#[derive(Debug, Clone, Default)]
pub struct DisbursementInput {
    pub amount: Option<Money>,
    pub payee_amount: Option<Money>,
    pub bank_charges: Option<Money>,
    pub exchange_rate: String,
    pub pay_time: Option<Timestamp>,
    pub reference: String,
    /// The tranche paid; 0: the first with a remainder.
    pub tranche: i32,
}

/// Checks an exchange rate: a positive decimal with at most 12 places.
pub fn parse_rate(raw: &str, field: &str) -> Result<String> {
    let bad = |why: &str| Error::invalid(field, format!("{} {why}", super::text::excerpt(raw)));
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

/// `amount × rate` in `payee` currency, rounded half-even to its minor
/// unit. `rate` is a decimal checked by [`parse_rate`]; `None` when the
/// product is too large to represent.
pub fn convert(amount: &Money, rate: &str, payee: &Currency) -> Option<Money> {
    let (whole, frac) = rate.split_once('.').unwrap_or((rate, ""));
    let digits: u128 = format!("{whole}{frac}").parse().ok()?;
    let scale = u32::try_from(frac.len()).ok()?;
    let negative = amount.minor() < 0;
    let num = u128::from(amount.minor().unsigned_abs())
        .checked_mul(digits)?
        .checked_mul(10_u128.pow(u32::from(payee.exponent())))?;
    let den = 10_u128.checked_pow(scale + u32::from(amount.currency().exponent()))?;
    let (q, r) = (num / den, num % den);
    let q = match (2 * r).cmp(&den) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal if q % 2 == 1 => q + 1,
        _ => q,
    };
    let minor = i64::try_from(q).ok()?;
    Some(Money::from_minor(payee.clone(), if negative { -minor } else { minor }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor::new(LogId(0xfeed_0000_0000_beef), 42);
        assert_eq!(Cursor::parse(&c.encode(), "cursor").unwrap(), c);
        assert!(Cursor::parse("42", "cursor").is_err());
        assert!(Cursor::parse("", "cursor").is_err());
        let old = URL_SAFE_NO_PAD.encode("gbe1:42");
        assert!(Cursor::parse(&old, "cursor").is_err());
    }

    fn m(code: &str, minor: i64) -> Money {
        Money::from_minor(Currency::parse(code, "c").unwrap(), minor)
    }

    #[test]
    fn conversion_rounds_half_even_to_the_payee_minor_unit() {
        let hkd = Currency::parse("HKD", "c").unwrap();
        // 600,000 CNY at 1.0842 is exactly 650,520 HKD.
        assert_eq!(
            convert(&m("CNY", 60_000_000), "1.0842", &hkd),
            Some(m("HKD", 65_052_000))
        );
        // 0.05 CNY at 1.1 = 0.055 HKD: the tie goes to the even cent, 0.06.
        assert_eq!(convert(&m("CNY", 5), "1.1", &hkd), Some(m("HKD", 6)));
        // 0.15 CNY at 1.1 = 0.165: the tie goes to 0.16.
        assert_eq!(convert(&m("CNY", 15), "1.1", &hkd), Some(m("HKD", 16)));
        // 0.01 CNY at 1.0842 = 0.010842: rounds down to 0.01.
        assert_eq!(convert(&m("CNY", 1), "1.0842", &hkd), Some(m("HKD", 1)));
        // Into a currency without minor units: 100.50 CNY at 20 = 2010 JPY.
        let jpy = Currency::parse("JPY", "c").unwrap();
        assert_eq!(convert(&m("CNY", 10_050), "20", &jpy), Some(m("JPY", 2_010)));
        assert_eq!(convert(&m("CNY", i64::MAX), "999999999999.999999999999", &hkd), None);
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
