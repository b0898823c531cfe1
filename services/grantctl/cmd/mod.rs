//! The commands, one module per noun, and what they share: the context
//! (connection, output format), request ids, list flags, application
//! references, region, role and relation values, and parsing of typed money,
//! resource amounts (`96.5 beam-h`), periods and times.

pub mod application_fields;
pub mod applications;
pub mod awards;
pub mod config;
pub mod documents;
pub mod events;
pub mod export;
pub mod institutions;
pub mod keys;
pub mod programmes;
pub mod reports;
pub mod review;
pub mod reviews;
pub mod schedule;
pub mod signoff;
pub mod summary;
pub mod system;
pub mod team;
pub mod usage;
pub mod watch;
pub mod webhooks;
pub mod whoami;

use clap::{Args, ValueEnum};
use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;

use crate::client::{Conn, Paging};
use crate::error::{CliError, Result};
use crate::output::Format;
use crate::{money, names, resource, timefmt};

/// What every command gets.
pub struct Ctx {
    pub conn: Conn,
    pub format: Format,
    /// The saved context in use, if any.
    pub context: Option<String>,
}

/// The idempotency key of a write.
#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Idempotency key; default: a fresh UUID. Retries (of UNAVAILABLE and
    /// DEADLINE_EXCEEDED, 3 attempts) reuse it, so a write happens once.
    #[arg(long, value_name = "ID")]
    pub request_id: Option<String>,
}

impl WriteArgs {
    pub fn id(&self) -> String {
        self.request_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().hyphenated().to_string())
    }
}

/// Flags of every list command.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// AIP filter, passed to the server as is (e.g. `state = SUBMITTED`;
    /// values in any case).
    #[arg(long)]
    pub filter: Option<String>,
    /// Results per page (the server's default is 50; at most 1000).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..=1000))]
    pub page_size: Option<i32>,
    /// Stop after N results (default: page through all of them).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
}

impl ListArgs {
    pub fn paging(&self) -> Paging {
        Paging {
            page_size: self.page_size,
            limit: self.limit.map(|l| l as usize),
        }
    }

    pub fn filter(&self) -> String {
        self.filter.clone().unwrap_or_default()
    }

    /// The filter with `field = value` shortcut terms added by AND; a
    /// shortcut whose field the filter names already is refused (exit 4),
    /// as the server would keep only one of the two.
    pub fn filter_with(&self, shortcuts: &[(&str, &str, Option<String>)]) -> Result<String> {
        let named = filter_fields(&self.filter());
        let mut extra = Vec::new();
        for (flag, field, value) in shortcuts {
            let Some(value) = value else { continue };
            if named.iter().any(|f| f == field) {
                return Err(CliError::invalid(
                    flag,
                    format!("--filter already has a {field} term: give the {field} in one place"),
                ));
            }
            extra.push(format!("{field} = {value}"));
        }
        Ok(and_filter(&self.filter(), &extra))
    }
}

/// An application: `programmes/P/applications/A`, `P/A`, or `A --programme P`.
#[derive(Debug, Args)]
pub struct AppRef {
    /// The application: programmes/P/applications/A, P/A, or a bare id with --programme.
    #[arg(value_name = "APPLICATION")]
    pub application: String,
    /// The programme of a bare application id.
    #[arg(long, value_name = "PROGRAMME")]
    pub programme: Option<String>,
}

impl AppRef {
    pub fn name(&self) -> Result<String> {
        names::application(&self.application, self.programme.as_deref())
            .map_err(|e| CliError::invalid("APPLICATION", e))
    }
}

/// An application state, as `--state` takes it: `submitted`,
/// `UNDER_REVIEW`, `under-review` (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    #[value(alias = "state_draft")]
    Draft,
    #[value(alias = "state_submitted")]
    Submitted,
    #[value(alias = "under_review", alias = "state_under_review")]
    UnderReview,
    #[value(alias = "changes_requested", alias = "state_changes_requested")]
    ChangesRequested,
    #[value(alias = "state_approved")]
    Approved,
    #[value(alias = "state_active")]
    Active,
    #[value(alias = "state_closed")]
    Closed,
    #[value(alias = "state_rejected")]
    Rejected,
    #[value(alias = "state_withdrawn")]
    Withdrawn,
}

impl StateArg {
    /// The value a filter takes: `UNDER_REVIEW`.
    pub fn filter_value(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::Submitted => "SUBMITTED",
            Self::UnderReview => "UNDER_REVIEW",
            Self::ChangesRequested => "CHANGES_REQUESTED",
            Self::Approved => "APPROVED",
            Self::Active => "ACTIVE",
            Self::Closed => "CLOSED",
            Self::Rejected => "REJECTED",
            Self::Withdrawn => "WITHDRAWN",
        }
    }
}

/// The fields a filter's `field = value` terms name (loosely: for
/// refusing a shortcut flag that would repeat one).
pub fn filter_fields(filter: &str) -> Vec<String> {
    filter
        .split(" AND ")
        .filter_map(|term| term.split_once('=').map(|(field, _)| field.trim().to_owned()))
        .collect()
}

/// `filter AND extra…`, leaving out empty parts.
pub fn and_filter(filter: &str, extra: &[String]) -> String {
    std::iter::once(filter.trim().to_owned())
        .chain(extra.iter().cloned())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" AND ")
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RegionArg {
    #[value(name = "hong-kong", alias = "hk", alias = "hong_kong", alias = "region_hong_kong")]
    HongKong,
    #[value(alias = "macau", alias = "mo", alias = "region_macao")]
    Macao,
    #[value(alias = "gd", alias = "region_guangdong")]
    Guangdong,
}

impl RegionArg {
    /// The value a filter takes: `HONG_KONG`.
    pub fn filter_value(self) -> &'static str {
        match self {
            Self::HongKong => "HONG_KONG",
            Self::Macao => "MACAO",
            Self::Guangdong => "GUANGDONG",
        }
    }

    pub fn proto(self) -> i32 {
        match self {
            Self::HongKong => v1::Region::HongKong as i32,
            Self::Macao => v1::Region::Macao as i32,
            Self::Guangdong => v1::Region::Guangdong as i32,
        }
    }
}

/// Whose applications an applicant institution's key lists or watches:
/// its own, or those naming it as a partner (`own`, `PARTNER`, any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RelationArg {
    #[value(alias = "relation_own")]
    Own,
    #[value(alias = "relation_partner")]
    Partner,
}

impl RelationArg {
    /// The value a filter takes: `PARTNER`.
    pub fn filter_value(self) -> &'static str {
        match self {
            Self::Own => "OWN",
            Self::Partner => "PARTNER",
        }
    }

    pub fn proto(self) -> i32 {
        match self {
            Self::Own => v1::Relation::Own as i32,
            Self::Partner => v1::Relation::Partner as i32,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    #[value(alias = "role_admin")]
    Admin,
    #[value(alias = "role_officer")]
    Officer,
    #[value(alias = "role_applicant")]
    Applicant,
    #[value(alias = "role_viewer")]
    Viewer,
    #[value(alias = "role_reviewer")]
    Reviewer,
}

impl RoleArg {
    pub fn proto(self) -> i32 {
        match self {
            Self::Admin => Role::Admin as i32,
            Self::Officer => Role::Officer as i32,
            Self::Applicant => Role::Applicant as i32,
            Self::Viewer => Role::Viewer as i32,
            Self::Reviewer => Role::Reviewer as i32,
        }
    }
}

/// Typed money from flag `flag`, checked before any call (exit 4).
pub fn money_arg(flag: &str, text: &str) -> Result<money::Amount> {
    money::parse(text).map_err(|e| CliError::invalid(flag, e))
}

/// An amount a flag takes on both kinds of programme: money (`1,000,000
/// CNY`) for a money programme, or a resource in its unit (`96.5 beam-h`)
/// for a facility programme; which one is told by the unit.
#[derive(Debug, Clone, PartialEq)]
pub enum Amount {
    Money(v1::Money),
    Resource(v1::ResourceAmount),
}

/// Typed money or a typed resource amount from flag `flag`, checked
/// before any call (exit 4).
pub fn amount_arg(flag: &str, text: &str) -> Result<Amount> {
    if resource::names_unit(text) {
        return resource::parse(text)
            .map(Amount::Resource)
            .map_err(|e| CliError::invalid(flag, e));
    }
    money::parse(text).map(|m| Amount::Money(m.to_proto())).map_err(|e| {
        let e = if e.starts_with("needs an amount") {
            format!(
                "needs an amount and a currency or unit, such as 1,200,000 CNY or 96.5 beam-h (units: {})",
                gba_grants::units::symbols().join(", ")
            )
        } else {
            e
        };
        CliError::invalid(flag, e)
    })
}

/// A resource amount from flag `flag`; money is refused, naming what to use.
pub fn resource_arg(flag: &str, text: &str, money_instead: &str) -> Result<v1::ResourceAmount> {
    match amount_arg(flag, text)? {
        Amount::Resource(r) => Ok(r),
        Amount::Money(_) => Err(CliError::invalid(
            flag,
            format!("takes an amount of the facility's resource, such as 12.5 beam-h; {money_instead}"),
        )),
    }
}

/// `START/END`: a period of two times (RFC 3339, a date, or relative),
/// the end after the start.
pub fn period_arg(flag: &str, text: &str) -> Result<v1::Period> {
    let bad = |problem: String| CliError::invalid(flag, problem);
    let Some((start, end)) = text.split_once('/') else {
        return Err(bad(format!(
            "{text:?} is not START/END, such as 2026-03-02T08:00:00Z/2026-03-04T20:00:00Z"
        )));
    };
    let start = timefmt::parse(start.trim()).map_err(|e| bad(format!("its start: {e}")))?;
    let end = timefmt::parse(end.trim()).map_err(|e| bad(format!("its end: {e}")))?;
    if (end.seconds, end.nanos) <= (start.seconds, start.nanos) {
        return Err(bad(format!("{text:?} ends before it starts")));
    }
    Ok(v1::Period {
        start_time: Some(start),
        end_time: Some(end),
    })
}

pub fn time_opt(flag: &str, text: Option<&String>) -> Result<Option<prost_types::Timestamp>> {
    text.map(|t| timefmt::parse(t).map_err(|e| CliError::invalid(flag, e)))
        .transpose()
}

pub fn institution_arg(flag: &str, text: &str) -> Result<String> {
    names::institution(text).map_err(|e| CliError::invalid(flag, e))
}

pub fn programme_arg(flag: &str, text: &str) -> Result<String> {
    names::programme(text).map_err(|e| CliError::invalid(flag, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_money_or_a_resource_by_their_unit() {
        let Ok(Amount::Money(m)) = amount_arg("--requested", "1,000,000 CNY") else {
            panic!("money");
        };
        assert_eq!((m.currency_code.as_str(), m.units), ("CNY", 1_000_000));
        let Ok(Amount::Resource(r)) = amount_arg("--requested", "96.5 beam-h") else {
            panic!("a resource");
        };
        assert_eq!((r.unit.as_str(), r.steps), ("beam-h", 193));
        let err = amount_arg("--requested", "96.25 beam-h").unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            (
                crate::error::exit::INVALID,
                "invalid --requested: 96.25 is finer than beam-h's step of 0.5 beam-h"
            )
        );
        let err = amount_arg("--budget", "1500 beam hours").unwrap_err().message;
        assert!(
            err.starts_with("invalid --budget: needs an amount and a currency or unit"),
            "{err}"
        );
        let err = amount_arg("--budget", "1.005 CNY").unwrap_err().message;
        assert!(err.contains("minor unit"), "money keeps its own refusals: {err}");
        let err = resource_arg("--amount", "5 CNY", "money is paid with grantctl awards disburse")
            .unwrap_err()
            .message;
        assert!(err.contains("awards disburse"), "{err}");
    }

    #[test]
    fn periods_are_start_slash_end_the_end_after_the_start() {
        let p = period_arg("--period", "2026-03-02T08:00:00Z/2026-03-02T20:30:00Z").unwrap();
        let (start, end) = (p.start_time.unwrap(), p.end_time.unwrap());
        assert_eq!(end.seconds - start.seconds, 45_000);
        assert!(period_arg("--period", "2026-03-02/2026-03-03").is_ok(), "dates");
        for bad in [
            "2026-03-02T08:00:00Z",
            "2026-03-02T08:00:00Z/2026-03-02T08:00:00Z",
            "2026-03-03/2026-03-02",
            "yesterday/today",
        ] {
            let err = period_arg("--period", bad).unwrap_err().message;
            assert!(err.starts_with("invalid --period: "), "{bad}: {err}");
        }
    }
}
