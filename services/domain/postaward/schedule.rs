//! A schedule as the officer gives it, checked against the award; and a
//! revision, which keeps what was paid and what was submitted.

use super::{MAX_REPORTS, MAX_TRANCHES, ReportDue, ReportKind, ReportVersion, Schedule, Tranche, versions_of};
use crate::domain::error::{Error, Reason, Result, Violations};
use crate::domain::money::Money;
use crate::domain::time::Timestamp;

/// A tranche as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrancheInput {
    pub amount: Option<Money>,
    pub planned: Option<Timestamp>,
    pub after_report: i32,
}

/// A report due as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportDueInput {
    pub kind: Option<ReportKind>,
    pub due: Option<Timestamp>,
}

/// A schedule as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleInput {
    pub tranches: Vec<TrancheInput>,
    pub reports: Vec<ReportDueInput>,
}

/// Checks `input` against the award: tranches in the award's currency,
/// each above zero, summing exactly to it; conditions naming reports of
/// the schedule; at most one final report, last. Nothing is paid yet.
pub fn parse(input: &ScheduleInput, awarded: &Money) -> Result<Schedule> {
    let mut v = Violations::new();
    let (nt, nr) = (input.tranches.len(), input.reports.len());
    if nt == 0 || nt > MAX_TRANCHES {
        v.add(
            "schedule.tranches",
            format!("must have 1 to {MAX_TRANCHES} tranches, got {nt}"),
        );
    }
    if nr > MAX_REPORTS {
        v.add(
            "schedule.reports",
            format!("must have at most {MAX_REPORTS} reports, got {nr}"),
        );
    }
    let zero = Money::zero(awarded.currency().clone());
    let mut tranches = Vec::with_capacity(nt);
    let mut sum: i128 = 0;
    for (i, t) in input.tranches.iter().enumerate() {
        let f = |n: &str| format!("schedule.tranches[{i}].{n}");
        match &t.amount {
            None => v.add(f("amount"), "is required"),
            Some(m) if m.currency() != awarded.currency() => v.add(
                f("amount.currency_code"),
                format!("must be the award's currency {}", awarded.currency()),
            ),
            Some(m) if !m.is_positive() => v.add(f("amount"), "must be greater than zero"),
            Some(m) => sum += i128::from(m.minor()),
        }
        if t.after_report < 0 || t.after_report as usize > nr {
            v.add(
                f("after_report"),
                match nr {
                    0 => "must be 0: the schedule asks for no report".to_owned(),
                    _ => format!("must be 0 (no condition) or a report of the schedule, 1 to {nr}"),
                },
            );
        }
        tranches.push(Tranche {
            amount: t.amount.clone().unwrap_or_else(|| zero.clone()),
            planned: t.planned,
            after_report: t.after_report.max(0) as u32,
            paid: zero.clone(),
        });
    }
    if nt > 0 && sum != i128::from(awarded.minor()) {
        let total = Money::from_minor(awarded.currency().clone(), i64::try_from(sum).unwrap_or(i64::MAX));
        v.add(
            "schedule.tranches",
            format!("must sum exactly to the award of {awarded}; they sum to {total}"),
        );
    }
    let mut reports = Vec::with_capacity(nr);
    for (i, r) in input.reports.iter().enumerate() {
        let f = |n: &str| format!("schedule.reports[{i}].{n}");
        match r.kind {
            None => v.add(f("kind"), "is required: INTERIM or FINAL"),
            Some(ReportKind::Final) if i + 1 != nr => v.add(f("kind"), "a FINAL report must be the last one"),
            Some(_) => {}
        }
        if r.due.is_none() {
            v.add(f("due_time"), "is required");
        }
        reports.push(ReportDue {
            kind: r.kind.unwrap_or(ReportKind::Interim),
            due: r.due.unwrap_or(Timestamp::from_micros(0)),
            overdue_marked: false,
        });
    }
    v.finish()?;
    Ok(Schedule { tranches, reports })
}

/// A revision of `old` to `input`: tranches already paid keep their
/// amount and condition (`TRANCHE_PAID`), reports already submitted keep
/// their kind; what was paid and marked carries over.
pub fn revise(old: &Schedule, versions: &[ReportVersion], input: &ScheduleInput, awarded: &Money) -> Result<Schedule> {
    let mut new = parse(input, awarded)?;
    for (i, paid) in old.tranches.iter().enumerate().filter(|(_, t)| t.paid.minor() > 0) {
        let n = i + 1;
        let kept = new
            .tranches
            .get(i)
            .is_some_and(|t| t.amount == paid.amount && t.after_report == paid.after_report);
        if !kept {
            return Err(Error::precondition(
                Reason::TranchePaid,
                format!(
                    "tranche {n} is paid ({} of {}): it keeps its amount and condition",
                    paid.paid, paid.amount
                ),
            ));
        }
        if let Some(t) = new.tranches.get_mut(i) {
            t.paid = paid.paid.clone();
        }
    }
    for (i, r) in old.reports.iter().enumerate() {
        let n = i as u32 + 1;
        let submitted = versions_of(versions, n) > 0;
        match new.reports.get_mut(i) {
            Some(kept) if submitted && kept.kind != r.kind => {
                return Err(Error::invalid(
                    format!("schedule.reports[{i}].kind"),
                    format!(
                        "report {n} was submitted as {}: it stays {}",
                        r.kind.as_str(),
                        r.kind.as_str()
                    ),
                ));
            }
            Some(kept) => kept.overdue_marked = r.overdue_marked && kept.due == r.due,
            None if submitted => {
                return Err(Error::invalid(
                    "schedule.reports",
                    format!("report {n} was submitted: it stays in the schedule"),
                ));
            }
            None => {}
        }
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;

    fn cny(minor: i64) -> Money {
        Money::from_minor(Currency::parse("CNY", "c").expect("CNY"), minor)
    }

    fn input(amounts: &[i64], after: &[i32], reports: &[ReportKind]) -> ScheduleInput {
        ScheduleInput {
            tranches: amounts
                .iter()
                .zip(after)
                .map(|(a, r)| TrancheInput {
                    amount: Some(cny(*a)),
                    planned: None,
                    after_report: *r,
                })
                .collect(),
            reports: reports
                .iter()
                .map(|k| ReportDueInput {
                    kind: Some(*k),
                    due: Some(Timestamp::from_micros(1)),
                })
                .collect(),
        }
    }

    #[test]
    fn tranches_sum_exactly_to_the_award() {
        use ReportKind::*;
        assert!(parse(&input(&[100, 200], &[0, 1], &[Interim, Final]), &cny(300)).is_ok());
        let fields = |r: Result<Schedule>| match r {
            Err(Error::InvalidArgument { violations, .. }) => {
                violations.into_iter().map(|v| v.field).collect::<Vec<_>>()
            }
            other => panic!("accepted: {other:?}"),
        };
        assert_eq!(
            fields(parse(&input(&[100, 201], &[0, 0], &[]), &cny(300))),
            ["schedule.tranches"]
        );
        assert_eq!(
            fields(parse(&input(&[300], &[3], &[Interim]), &cny(300))),
            ["schedule.tranches[0].after_report"]
        );
        assert_eq!(
            fields(parse(&input(&[300], &[0], &[Final, Interim]), &cny(300))),
            ["schedule.reports[0].kind"]
        );
    }

    #[test]
    fn a_paid_tranche_keeps_its_terms() {
        use ReportKind::*;
        let mut old = parse(&input(&[100, 200], &[0, 1], &[Interim]), &cny(300)).expect("schedule");
        old.tranches[0].paid = cny(50);
        let moved = input(&[150, 150], &[0, 1], &[Interim]);
        assert!(matches!(
            revise(&old, &[], &moved, &cny(300)),
            Err(Error::FailedPrecondition {
                reason: Reason::TranchePaid,
                ..
            })
        ));
        let split = input(&[100, 100, 100], &[0, 1, 1], &[Interim]);
        let new = revise(&old, &[], &split, &cny(300)).expect("revised");
        assert_eq!(new.tranches[0].paid, cny(50));
    }
}
