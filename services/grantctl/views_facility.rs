//! Views of facility-access programmes, which award a facility's resource
//! (beam time, core-hours) instead of money: the facility of a programme,
//! an application's request, allocation, use and preferred periods, usage
//! records, and the summary line in the programme's unit (`allocated
//! 1,240.5 of 1,500 beam-h, used 980`). Amounts read as `96.5 beam-h`
//! (see resource.rs); money programmes look as they always did.

use gba_grants::proto::v1;
use gba_grants::units;
use serde_json::Value;

use crate::json::out;
use crate::names;
use crate::resource;
use crate::views::{Resource, region_word, time};

fn show(r: Option<&v1::ResourceAmount>) -> String {
    crate::views::resource(r)
}

/// `beam-h (beam hours, in steps of 0.5)`, `core-h (core-hours, whole)`.
pub fn unit_word(f: &v1::Facility) -> String {
    match resource::unit(&f.unit) {
        Some(u) if u.steps_per_unit == 1 => format!("{} ({}, whole)", u.symbol, u.name),
        Some(u) => format!(
            "{} ({}, in steps of {})",
            u.symbol,
            u.name,
            units::step(u.steps_per_unit)
        ),
        None if !f.step.is_empty() => format!("{} (in steps of {})", f.unit, f.step),
        None => f.unit.clone(),
    }
}

/// Capacity less what is allocated, exactly; empty when unknown.
fn free(f: &v1::Facility) -> String {
    f.capacity
        .as_ref()
        .and_then(|c| resource::minus(c, f.allocated.as_ref()))
        .map(|r| resource::format(&r))
        .unwrap_or_default()
}

/// A facility programme's field-list lines, in place of budget,
/// committed and max award.
pub fn programme_details(f: &v1::Facility) -> Vec<(&'static str, String)> {
    let max_request = match &f.max_request {
        Some(m) => resource::format(m),
        None => "the capacity".to_owned(),
    };
    vec![
        ("Facility", format!("{}  {}", f.facility, f.local_name)),
        ("Resource", f.resource.clone()),
        ("Unit", unit_word(f)),
        ("Capacity", show(f.capacity.as_ref())),
        ("Allocated", show(f.allocated.as_ref())),
        ("Free", free(f)),
        ("Max request", max_request),
    ]
}

/// `2026-03-02 08:00:00Z – 2026-03-04 20:00:00Z`.
pub fn period_word(p: &v1::Period) -> String {
    format!("{} – {}", time(p.start_time.as_ref()), time(p.end_time.as_ref()))
}

/// Whether an application is of a facility programme (an amount of a
/// resource or a preferred period is set).
pub fn is_facility_application(a: &v1::Application) -> bool {
    a.requested_resource.is_some()
        || a.awarded_resource.is_some()
        || a.used_resource.is_some()
        || !a.preferred_periods.is_empty()
}

/// A facility application's lines in place of awarded and disbursed:
/// once allocated, what was allocated, used and is left, in the unit; and
/// the preferred periods.
pub fn application_details(a: &v1::Application) -> Vec<(&'static str, String)> {
    let left = a
        .awarded_resource
        .as_ref()
        .and_then(|r| resource::minus(r, a.used_resource.as_ref()))
        .map(|r| resource::format(&r))
        .unwrap_or_default();
    if a.awarded_resource.is_none() {
        return vec![("Preferred periods", periods(a))];
    }
    vec![
        ("Allocated", show(a.awarded_resource.as_ref())),
        ("Used", show(a.used_resource.as_ref())),
        ("Left", left),
        ("Preferred periods", periods(a)),
    ]
}

/// The preferred periods, one a line; empty when there are none.
pub fn periods(a: &v1::Application) -> String {
    a.preferred_periods
        .iter()
        .map(period_word)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Resource for v1::UsageRecord {
    const PLURAL: &'static str = "usage records";

    fn name(&self) -> String {
        self.name.clone()
    }

    fn json(&self) -> Value {
        out::usage_record(self)
    }

    fn header() -> &'static [&'static str] {
        &["USAGE RECORD", "AMOUNT", "FROM", "UNTIL", "REFERENCE", "RECORDED"]
    }

    fn row(&self) -> Vec<String> {
        let p = self.period.unwrap_or_default();
        vec![
            names::id(&self.name).to_owned(),
            show(self.amount.as_ref()),
            time(p.start_time.as_ref()),
            time(p.end_time.as_ref()),
            self.reference.clone(),
            time(self.create_time.as_ref()),
        ]
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Name", self.name.clone()),
            ("Amount", show(self.amount.as_ref())),
            ("Period", self.period.as_ref().map(period_word).unwrap_or_default()),
            ("Reference", self.reference.clone()),
            ("Recorded", time(self.create_time.as_ref())),
        ]
    }
}

/// `allocated 1,240.5 of 1,500 beam-h, used 980, free 259.5`: the
/// amounts after the unit is said once (each in full when one differs).
pub fn allocation_words(
    allocated: Option<&v1::ResourceAmount>,
    capacity: Option<&v1::ResourceAmount>,
    used: Option<&v1::ResourceAmount>,
) -> String {
    let Some(capacity) = capacity else {
        return format!("allocated {}, used {}", show(allocated), show(used));
    };
    let bare = |r: Option<&v1::ResourceAmount>| match r {
        None => "0".to_owned(),
        Some(r) if r.unit == capacity.unit => resource::number(r),
        Some(r) => resource::format(r),
    };
    let mut text = format!(
        "allocated {} of {}, used {}",
        bare(allocated),
        resource::format(capacity),
        bare(used)
    );
    if let Some(free) = resource::minus(capacity, allocated) {
        text.push_str(&format!(", free {}", resource::number(&free)));
    }
    text
}

/// The summary of a facility programme on one line: counts by state, then
/// what was requested, allocated and used in its unit, and by region.
pub fn summary_line(s: &v1::ProgrammeSummary, counts: &str) -> String {
    let mut line = format!(
        "{}  {counts}  requested {}  {}  awards {}",
        names::id(&s.programme),
        show(s.requested_resource.as_ref()),
        allocation_words(s.allocated.as_ref(), s.capacity.as_ref(), s.used.as_ref()),
        s.award_count,
    );
    if s.reviews_required > 0 {
        line.push_str(&format!("  reviews {}/{}", s.reviews_completed, s.reviews_required));
    }
    let reports = crate::views_report::summary_reports(s);
    if !reports.is_empty() {
        line.push_str(&format!("  {reports}"));
    }
    let regions: Vec<String> = s
        .region_totals
        .iter()
        .map(|r| {
            let mut text = format!("{} {}", region_word(r.region), show(r.allocated.as_ref()));
            if let Some(used) = r.used.as_ref().filter(|u| u.steps != 0) {
                text.push_str(&format!(" (used {})", resource::number(used)));
            }
            text
        })
        .collect();
    if !regions.is_empty() {
        line.push_str(&format!("  allocated by region: {}", regions.join(", ")));
    }
    line
}

/// Whether a summary is of a facility programme.
pub fn is_facility(s: &v1::ProgrammeSummary) -> bool {
    s.capacity.is_some() || s.allocated.is_some() || s.requested_resource.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beam(steps: i64) -> Option<v1::ResourceAmount> {
        Some(v1::ResourceAmount {
            unit: "beam-h".into(),
            steps,
            value: String::new(),
        })
    }

    #[test]
    fn allocations_say_the_unit_once() {
        assert_eq!(
            allocation_words(beam(2_481).as_ref(), beam(3_000).as_ref(), beam(1_960).as_ref()),
            "allocated 1,240.5 of 1,500 beam-h, used 980, free 259.5"
        );
        assert_eq!(
            allocation_words(None, beam(3_000).as_ref(), None),
            "allocated 0 of 1,500 beam-h, used 0, free 1,500"
        );
    }

    #[test]
    fn a_facility_summary_reads_in_its_unit() {
        let s = v1::ProgrammeSummary {
            programme: "programmes/p".into(),
            requested_resource: beam(3_200),
            allocated: beam(2_481),
            used: beam(1_960),
            free: beam(519),
            capacity: beam(3_000),
            award_count: 2,
            region_totals: vec![
                v1::RegionTotals {
                    region: v1::Region::HongKong as i32,
                    allocated: beam(1_600),
                    used: beam(1_000),
                    ..Default::default()
                },
                v1::RegionTotals {
                    region: v1::Region::Macao as i32,
                    allocated: beam(881),
                    used: beam(0),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        assert!(is_facility(&s));
        assert_eq!(
            summary_line(&s, "APPROVED 2"),
            "p  APPROVED 2  requested 1,600 beam-h  allocated 1,240.5 of 1,500 beam-h, used 980, free 259.5  \
             awards 2  allocated by region: Hong Kong 800 beam-h (used 500), Macao 440.5 beam-h"
        );
    }

    #[test]
    fn programme_and_usage_lines() {
        let f = v1::Facility {
            facility: "China Spallation Neutron Source".into(),
            local_name: "中国散裂中子源".into(),
            resource: "beam time, GPPD".into(),
            unit: "beam-h".into(),
            step: "0.5".into(),
            capacity: beam(3_000),
            allocated: beam(2_481),
            max_request: None,
        };
        let lines = programme_details(&f);
        let get = |k: &str| {
            lines
                .iter()
                .find(|(l, _)| *l == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(get("Unit"), "beam-h (beam hours, in steps of 0.5)");
        assert_eq!(get("Capacity"), "1,500 beam-h");
        assert_eq!(get("Free"), "259.5 beam-h");
        assert_eq!(get("Max request"), "the capacity");
        let u = v1::UsageRecord {
            name: "programmes/p/applications/a/usageRecords/u1".into(),
            amount: beam(25),
            reference: "EXP-2026-0042".into(),
            ..Default::default()
        };
        assert_eq!(u.row()[..2], ["u1".to_owned(), "12.5 beam-h".to_owned()]);
    }
}
