//! A payment schedule as `reviews approve` and `reports revise` take it:
//! a file (`--schedule FILE`, `-` for standard input) holding a
//! PaymentSchedule in proto3 JSON (see json/report.rs), or flags, one per
//! tranche and one per report due, in order: `--tranche
//! AMOUNT[@after=N][@planned=TIME]` and `--report KIND@TIME`. Both are
//! checked before any call (exit 4); whether the tranches sum to the
//! award is the server's to say (INVALID_ARGUMENT naming
//! `schedule.tranches`).

use clap::Args;
use gba_grants::proto::v1;

use super::money_arg;
use crate::error::{CliError, Result};
use crate::json::{input, report};
use crate::timefmt;

/// The schedule flags; the ids `schedule`, `tranches` and `reports` may be
/// grouped by a command that needs one of them.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// The payment schedule in proto3 JSON (`-`: standard input), such as
    /// {"tranches": [{"amount": {"currencyCode": "CNY", "units": "300000"}},
    /// {"amount": …, "afterReport": 1}], "reports": [{"kind": "INTERIM",
    /// "dueTime": "2027-06-30T00:00:00Z"}]}; what `grantctl reports schedule
    /// -o json` prints reads back.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["tranches", "reports"])]
    pub schedule: Option<String>,
    /// A tranche, in order (repeat): its amount, such as '300,000 CNY',
    /// then `@after=N` to pay it only once report N is accepted, and
    /// `@planned=TIME` for when it is planned. The tranches sum to the award.
    #[arg(long = "tranche", value_name = "AMOUNT[@after=N][@planned=TIME]")]
    pub tranches: Vec<String>,
    /// A report due, in order (repeat): interim or final, `@`, and when it
    /// is due, such as interim@2027-06-30 or final@+720d. At most one
    /// final, and it comes last.
    #[arg(long = "report", value_name = "KIND@TIME")]
    pub reports: Vec<String>,
}

const TRANCHE_FORM: &str = "write AMOUNT[@after=N][@planned=TIME], such as '450,000 CNY@after=1'";
const REPORT_FORM: &str = "write KIND@TIME, such as interim@2027-06-30 or final@+720d";

impl ScheduleArgs {
    /// The schedule given, or `None` when neither a file nor flags were.
    pub fn schedule(&self) -> Result<Option<v1::PaymentSchedule>> {
        if let Some(path) = &self.schedule {
            let value = input::read_as("--schedule", path)?;
            return report::schedule_in(&value, "schedule").map(Some);
        }
        if self.tranches.is_empty() && self.reports.is_empty() {
            return Ok(None);
        }
        if self.tranches.is_empty() {
            return Err(CliError::invalid(
                "--report",
                "a schedule has its tranches too: give --tranche AMOUNT[@after=N] for each (they sum to the award)",
            ));
        }
        Ok(Some(v1::PaymentSchedule {
            tranches: self.tranches.iter().map(|t| tranche(t)).collect::<Result<_>>()?,
            reports: self.reports.iter().map(|r| report_due(r)).collect::<Result<_>>()?,
        }))
    }
}

/// `300,000 CNY`, `450,000 CNY@after=1`, `450,000 CNY@after=1@planned=2027-07-01`.
fn tranche(text: &str) -> Result<v1::Tranche> {
    let bad = |problem: String| CliError::invalid("--tranche", format!("{text:?}: {problem}; {TRANCHE_FORM}"));
    let mut parts = text.split('@');
    let amount = parts.next().unwrap_or_default().trim();
    let mut t = v1::Tranche {
        amount: Some(money_arg("--tranche", amount)?.to_proto()),
        ..Default::default()
    };
    for part in parts {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| bad(format!("{part:?} is neither after=N nor planned=TIME")))?;
        match key.trim().to_ascii_lowercase().as_str() {
            "after" => {
                t.after_report = value
                    .trim()
                    .parse::<i32>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| bad(format!("after={value} is not a report number")))?;
            }
            "planned" => t.planned_time = Some(timefmt::parse(value).map_err(bad)?),
            other => return Err(bad(format!("{other:?} is neither after nor planned"))),
        }
    }
    Ok(t)
}

/// `interim@2027-06-30`, `FINAL@+720d`.
fn report_due(text: &str) -> Result<v1::ReportDue> {
    let bad = |problem: String| CliError::invalid("--report", format!("{text:?}: {problem}; {REPORT_FORM}"));
    let (kind, due) = text
        .split_once('@')
        .ok_or_else(|| bad("no @ before the due time".into()))?;
    let kind = report::report_kind(kind)
        .ok_or_else(|| bad(format!("{:?} is not a report kind (interim, final)", kind.trim())))?;
    Ok(v1::ReportDue {
        kind,
        due_time: Some(timefmt::parse(due).map_err(bad)?),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(tranches: &[&str], reports: &[&str]) -> ScheduleArgs {
        ScheduleArgs {
            schedule: None,
            tranches: tranches.iter().map(|s| s.to_string()).collect(),
            reports: reports.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn flags_make_a_schedule_in_order() {
        let s = args(
            &["300,000 CNY", "450,000.50 CNY@after=1@planned=2027-07-01"],
            &["interim@2027-06-30", "FINAL@2028-12-31T00:00:00+08:00"],
        )
        .schedule()
        .unwrap()
        .unwrap();
        assert_eq!(s.tranches[0].amount.as_ref().map(|m| m.units), Some(300_000));
        assert_eq!((s.tranches[0].after_report, s.tranches[0].planned_time), (0, None));
        let t = &s.tranches[1];
        assert_eq!(
            t.amount.as_ref().map(|m| (m.units, m.nanos)),
            Some((450_000, 500_000_000))
        );
        assert_eq!(t.after_report, 1);
        assert_eq!(t.planned_time.as_ref().map(|t| t.seconds), Some(1_814_400_000));
        assert_eq!(
            s.reports.iter().map(|r| r.kind).collect::<Vec<_>>(),
            [v1::ReportKind::Interim as i32, v1::ReportKind::Final as i32]
        );
        assert!(args(&[], &[]).schedule().unwrap().is_none());
    }

    #[test]
    fn bad_flags_are_refused_naming_the_flag() {
        let err = |t: &[&str], r: &[&str]| args(t, r).schedule().unwrap_err();
        for (tranches, reports, flag) in [
            (&["300,000"][..], &[][..], "--tranche"),
            (&["1.005 CNY"], &[], "--tranche"),
            (&["300,000 CNY@after=one"], &[], "--tranche"),
            (&["300,000 CNY@afterwards=1"], &[], "--tranche"),
            (&["300,000 CNY@1"], &[], "--tranche"),
            (&["300,000 CNY@planned=soon"], &[], "--tranche"),
            (&["300,000 CNY"], &["midterm@2027-01-01"], "--report"),
            (&["300,000 CNY"], &["final"], "--report"),
            (&["300,000 CNY"], &["final@whenever"], "--report"),
            (&[], &["final@2028-01-01"], "--report"),
        ] {
            let e = err(tranches, reports);
            assert_eq!(e.code, crate::error::exit::INVALID);
            assert!(e.message.starts_with(&format!("invalid {flag}")), "{}", e.message);
        }
    }
}
