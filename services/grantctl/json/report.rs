//! Proto3 JSON of the post-award messages, both ways: PaymentSchedule,
//! Report, ReportOutputs and ReportActivity out; a schedule (`--schedule
//! FILE`) and a report's outputs (`--outputs FILE`) in. Money in is the
//! `{"currencyCode", "units", "nanos"}` object `-o json` prints, times are
//! RFC 3339 (or relative, as flags take them), enums by value name or as
//! flags take them (`REPORT_KIND_INTERIM`, `INTERIM`, `interim`). The
//! output-only fields of a schedule (`number`, `paidAmount`, `status`,
//! `versions`) are checked for shape and dropped, so what `grantctl
//! reports schedule -o json` printed can be edited and sent back.

use gba_grants::proto::v1;
use gba_grants::proto::v1::application::Closure;
use gba_grants::proto::v1::report_activity::Kind as ActivityKind;
use serde_json::Value;

use super::{Fields, Obj};
use crate::error::Result;

/// `name`'s value in `prefix`: `INTERIM`, `interim`, `REPORT_KIND_INTERIM`
/// all give `REPORT_KIND_INTERIM`; the zero value is never given.
fn by_name<T>(s: &str, prefix: &str, parse: fn(&str) -> Option<T>, zero: T) -> Option<T>
where
    T: PartialEq,
{
    let upper = s.trim().to_ascii_uppercase().replace('-', "_");
    let bare = upper.strip_prefix(prefix).unwrap_or(&upper);
    parse(&format!("{prefix}{bare}")).filter(|v| *v != zero)
}

/// A report kind: `INTERIM`, `final`, `REPORT_KIND_FINAL`.
pub fn report_kind(s: &str) -> Option<i32> {
    by_name(
        s,
        "REPORT_KIND_",
        v1::ReportKind::from_str_name,
        v1::ReportKind::Unspecified,
    )
    .map(|k| k as i32)
}

/// A training level: `DOCTORAL`, `masters`, `TRAINING_LEVEL_POSTDOCTORAL`.
pub fn training_level(s: &str) -> Option<i32> {
    by_name(
        s,
        "TRAINING_LEVEL_",
        v1::TrainingLevel::from_str_name,
        v1::TrainingLevel::Unspecified,
    )
    .map(|l| l as i32)
}

fn report_status(s: &str) -> Option<i32> {
    by_name(
        s,
        "REPORT_STATUS_",
        v1::ReportStatus::from_str_name,
        v1::ReportStatus::Unspecified,
    )
    .map(|k| k as i32)
}

/// A closure: `COMPLETED`, `CLOSURE_TERMINATED`.
pub fn closure(s: &str) -> Option<i32> {
    by_name(s, "CLOSURE_", Closure::from_str_name, Closure::Unspecified).map(|c| c as i32)
}

pub fn report_kind_name(v: i32) -> Option<&'static str> {
    v1::ReportKind::try_from(v).ok().map(|k| k.as_str_name())
}

pub fn report_status_name(v: i32) -> Option<&'static str> {
    v1::ReportStatus::try_from(v).ok().map(|s| s.as_str_name())
}

pub fn closure_name(v: i32) -> Option<&'static str> {
    Closure::try_from(v).ok().map(|c| c.as_str_name())
}

fn level_name(v: i32) -> Option<&'static str> {
    v1::TrainingLevel::try_from(v).ok().map(|l| l.as_str_name())
}

fn activity_name(v: i32) -> Option<&'static str> {
    ActivityKind::try_from(v).ok().map(|k| k.as_str_name())
}

pub fn tranche(t: &v1::Tranche) -> Value {
    Obj::new()
        .int32("number", t.number)
        .money("amount", t.amount.as_ref())
        .time("planned_time", t.planned_time.as_ref())
        .int32("after_report", t.after_report)
        .money("paid_amount", t.paid_amount.as_ref())
        .build()
}

pub fn report_due(r: &v1::ReportDue) -> Value {
    Obj::new()
        .int32("number", r.number)
        .enumeration("kind", r.kind, report_kind_name(r.kind))
        .time("due_time", r.due_time.as_ref())
        .enumeration("status", r.status, report_status_name(r.status))
        .int32("versions", r.versions)
        .build()
}

pub fn schedule(s: &v1::PaymentSchedule) -> Value {
    Obj::new()
        .list("tranches", s.tranches.iter().map(tranche).collect())
        .list("reports", s.reports.iter().map(report_due).collect())
        .build()
}

pub fn outputs(o: &v1::ReportOutputs) -> Value {
    let publications = o
        .publications
        .iter()
        .map(|p| Obj::new().str("doi", &p.doi).str("title", &p.title).build())
        .collect();
    let datasets = o
        .datasets
        .iter()
        .map(|d| {
            Obj::new()
                .str("doi", &d.doi)
                .str("url", &d.url)
                .str("title", &d.title)
                .build()
        })
        .collect();
    let patents = o
        .patents
        .iter()
        .map(|p| Obj::new().str("number", &p.number).str("title", &p.title).build())
        .collect();
    let trained = o
        .people_trained
        .iter()
        .map(|t| {
            Obj::new()
                .enumeration("level", t.level, level_name(t.level))
                .int32("count", t.count)
                .build()
        })
        .collect();
    Obj::new()
        .list("publications", publications)
        .list("datasets", datasets)
        .list("patents", patents)
        .list("people_trained", trained)
        .build()
}

pub fn report(r: &v1::Report) -> Value {
    Obj::new()
        .str("name", &r.name)
        .int32("number", r.number)
        .enumeration("kind", r.kind, report_kind_name(r.kind))
        .int32("version", r.version)
        .enumeration("status", r.status, report_status_name(r.status))
        .str("document", &r.document)
        .object("outputs", r.outputs.as_ref().map(outputs))
        .time("submit_time", r.submit_time.as_ref())
        .str("submitted_by", &r.submitted_by)
        .time("decide_time", r.decide_time.as_ref())
        .str("decided_by", &r.decided_by)
        .str("decision_reason", &r.decision_reason)
        .build()
}

pub fn activity(a: &v1::ReportActivity) -> Value {
    Obj::new()
        .enumeration("kind", a.kind, activity_name(a.kind))
        .int32("number", a.number)
        .int32("version", a.version)
        .build()
}

const SCHEDULE: &[&str] = &["tranches", "reports"];
const TRANCHE: &[&str] = &["number", "amount", "planned_time", "after_report", "paid_amount"];
const REPORT_DUE: &[&str] = &["number", "kind", "due_time", "status", "versions"];

/// A PaymentSchedule from its JSON; `path` names it in errors
/// (`schedule`, or `application.schedule`).
pub fn schedule_in(v: &Value, path: &str) -> Result<v1::PaymentSchedule> {
    let f = Fields::new(v, path, SCHEDULE)?;
    let tranches = f
        .objects("tranches", TRANCHE)?
        .unwrap_or_default()
        .iter()
        .map(|t| {
            // Output only: checked for shape, then dropped.
            t.int32("number")?;
            t.money("paid_amount")?;
            Ok(v1::Tranche {
                amount: t.money("amount")?,
                planned_time: t.time("planned_time")?,
                after_report: t.int32("after_report")?.unwrap_or_default(),
                ..Default::default()
            })
        })
        .collect::<Result<_>>()?;
    let reports = f
        .objects("reports", REPORT_DUE)?
        .unwrap_or_default()
        .iter()
        .map(|r| {
            r.int32("number")?;
            r.enum_one("status", report_status)?;
            r.int32("versions")?;
            Ok(v1::ReportDue {
                kind: r.enum_one("kind", report_kind)?.unwrap_or_default(),
                due_time: r.time("due_time")?,
                ..Default::default()
            })
        })
        .collect::<Result<_>>()?;
    Ok(v1::PaymentSchedule { tranches, reports })
}

const OUTPUTS: &[&str] = &["publications", "datasets", "patents", "people_trained"];

/// A report's outputs from their JSON (`--outputs FILE`).
pub fn outputs_in(v: &Value) -> Result<v1::ReportOutputs> {
    let f = Fields::new(v, "outputs", OUTPUTS)?;
    let publications = f
        .objects("publications", &["doi", "title"])?
        .unwrap_or_default()
        .iter()
        .map(|p| {
            Ok(v1::Publication {
                doi: p.string("doi")?.unwrap_or_default(),
                title: p.string("title")?.unwrap_or_default(),
            })
        })
        .collect::<Result<_>>()?;
    let datasets = f
        .objects("datasets", &["doi", "url", "title"])?
        .unwrap_or_default()
        .iter()
        .map(|d| {
            Ok(v1::Dataset {
                doi: d.string("doi")?.unwrap_or_default(),
                url: d.string("url")?.unwrap_or_default(),
                title: d.string("title")?.unwrap_or_default(),
            })
        })
        .collect::<Result<_>>()?;
    let patents = f
        .objects("patents", &["number", "title"])?
        .unwrap_or_default()
        .iter()
        .map(|p| {
            Ok(v1::Patent {
                number: p.string("number")?.unwrap_or_default(),
                title: p.string("title")?.unwrap_or_default(),
            })
        })
        .collect::<Result<_>>()?;
    let people_trained = f
        .objects("people_trained", &["level", "count"])?
        .unwrap_or_default()
        .iter()
        .map(|t| {
            Ok(v1::PeopleTrained {
                level: t.enum_one("level", training_level)?.unwrap_or_default(),
                count: t.int32("count")?.unwrap_or_default(),
            })
        })
        .collect::<Result<_>>()?;
    Ok(v1::ReportOutputs {
        publications,
        datasets,
        patents,
        people_trained,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_schedule_reads_money_times_and_kinds_and_drops_output_only_fields() {
        let v = json!({
            "tranches": [
                {"amount": {"currencyCode": "CNY", "units": "300000"}, "plannedTime": "2027-01-01T00:00:00Z"},
                {"number": 2, "amount": {"currency_code": "CNY", "units": 450000, "nanos": 500000000},
                 "after_report": 1, "paidAmount": {"currencyCode": "CNY"}}
            ],
            "reports": [
                {"kind": "INTERIM", "dueTime": "2027-06-30"},
                {"number": 2, "kind": "REPORT_KIND_FINAL", "due_time": "2028-12-31T00:00:00+08:00",
                 "status": "REPORT_STATUS_DUE", "versions": 0}
            ]
        });
        let s = schedule_in(&v, "schedule").unwrap();
        assert_eq!(s.tranches.len(), 2);
        let t = &s.tranches[1];
        assert_eq!(
            t.amount.as_ref().map(|m| (m.units, m.nanos)),
            Some((450_000, 500_000_000))
        );
        assert_eq!((t.after_report, t.number, t.paid_amount.is_none()), (1, 0, true));
        assert_eq!(
            s.tranches[0].planned_time.as_ref().map(|t| t.seconds),
            Some(1_798_761_600)
        );
        assert_eq!(s.reports[0].kind, v1::ReportKind::Interim as i32);
        assert_eq!(
            (s.reports[1].kind, s.reports[1].status),
            (v1::ReportKind::Final as i32, 0)
        );
        // What -o json prints reads back the same.
        let printed = schedule(&s);
        assert_eq!(schedule_in(&printed, "schedule").unwrap(), s);
    }

    #[test]
    fn a_bad_schedule_names_its_field() {
        let err = |v: Value| schedule_in(&v, "schedule").unwrap_err().message;
        let e = err(json!({"tranches": [{"amount": {"currencyCode": "CNY", "units": "1"}, "colour": "red"}]}));
        assert!(e.contains("schedule.tranches[0]") && e.contains("\"colour\""), "{e}");
        let e = err(json!({"reports": [{"kind": "MIDTERM", "dueTime": "2027-01-01"}]}));
        assert!(e.contains("schedule.reports[0].kind"), "{e}");
        let e = err(json!({"reports": [{"kind": "FINAL", "dueTime": "next spring"}]}));
        assert!(e.contains("schedule.reports[0].due_time"), "{e}");
        let e = err(json!({"tranches": [{"amount": "CNY 300000.00"}]}));
        assert!(e.contains("schedule.tranches[0].amount: must be a JSON object"), "{e}");
        let e = err(json!({"tranches": [{"amount": {"currencyCode": "CNY", "units": "1", "nanos": 5000000}}]}));
        assert!(e.contains("minor unit"), "{e}");
        assert!(err(json!({"trances": []})).contains("unknown field \"trances\""));
        assert!(err(json!([])).contains("must be a JSON object"));
    }

    #[test]
    fn outputs_read_and_print_in_proto3_json() {
        let v = json!({
            "publications": [{"doi": "10.1038/s41586-020-2649-2", "title": "Array programming with NumPy"}],
            "datasets": [{"url": "https://data.example.org/surge", "title": "Surge 2025"}],
            "patents": [{"number": "CN202410123456.7", "title": "Sensor buoy"}],
            "peopleTrained": [{"level": "doctoral", "count": 2}, {"level": "TRAINING_LEVEL_MASTERS", "count": "1"}]
        });
        let o = outputs_in(&v).unwrap();
        assert_eq!(o.people_trained[0].level, v1::TrainingLevel::Doctoral as i32);
        assert_eq!(o.people_trained[1].count, 1);
        let printed = outputs(&o);
        assert_eq!(printed["peopleTrained"][0]["level"], "TRAINING_LEVEL_DOCTORAL");
        assert_eq!(printed["datasets"][0].get("doi"), None, "empty strings are left out");
        assert_eq!(outputs_in(&printed).unwrap(), o);
        let e = outputs_in(&json!({"publications": [{"doi": "10.1/x", "journal": "Nature"}]}))
            .unwrap_err()
            .message;
        assert!(
            e.contains("outputs.publications[0]") && e.contains("\"journal\""),
            "{e}"
        );
        let e = outputs_in(&json!({"peopleTrained": [{"level": "PROFESSOR", "count": 1}]}))
            .unwrap_err()
            .message;
        assert!(e.contains("outputs.people_trained[0].level"), "{e}");
    }

    #[test]
    fn enum_values_by_name_or_as_flags_take_them() {
        assert_eq!(report_kind("interim"), Some(v1::ReportKind::Interim as i32));
        assert_eq!(report_kind("REPORT_KIND_FINAL"), Some(v1::ReportKind::Final as i32));
        assert_eq!(report_kind("UNSPECIFIED"), None);
        assert_eq!(training_level("post-doctoral"), None);
        assert_eq!(
            training_level("postdoctoral"),
            Some(v1::TrainingLevel::Postdoctoral as i32)
        );
        assert_eq!(closure("completed"), Some(Closure::Completed as i32));
    }
}
