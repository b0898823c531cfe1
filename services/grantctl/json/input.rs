//! Reading whole messages from `--from-file F` (`-` is standard input) in
//! the proto3 JSON mapping. Output-only fields are accepted, so what
//! `-o json` printed can be edited and sent back.

use std::io::Read;

use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use serde_json::Value;

use super::{Fields, team};
use crate::error::{CliError, Result};

/// Reads and parses the JSON document at `path` (`-`: standard input).
pub fn read(path: &str) -> Result<Value> {
    read_as("--from-file", path)
}

/// Like [`read`], for the flag `flag` (`--schedule`, `--outputs`), which
/// errors name.
pub fn read_as(flag: &str, path: &str) -> Result<Value> {
    let text = if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CliError::invalid(&format!("{flag} -"), format!("cannot read standard input: {e}")))?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| CliError::invalid(&format!("{flag} {path}"), e))?
    };
    serde_json::from_str(&text).map_err(|e| CliError::invalid(&format!("{flag} {path}"), format!("not JSON: {e}")))
}

fn region(s: &str) -> Option<i32> {
    v1::Region::from_str_name(s).map(|r| r as i32)
}

/// `APPLICANT`, `ENDORSEMENT_REQUIREMENT_PARTNERS`, `applicant-and-partners`.
pub fn endorsement_requirement(s: &str) -> Option<i32> {
    let upper = s.trim().to_ascii_uppercase().replace('-', "_");
    let bare = upper.strip_prefix("ENDORSEMENT_REQUIREMENT_").unwrap_or(&upper);
    let bare = if bare == "NONE" { "UNSPECIFIED" } else { bare };
    v1::EndorsementRequirement::from_str_name(&format!("ENDORSEMENT_REQUIREMENT_{bare}")).map(|r| r as i32)
}

fn role(s: &str) -> Option<i32> {
    Role::from_str_name(s).map(|r| r as i32)
}

fn state(s: &str) -> Option<i32> {
    v1::application::State::from_str_name(s).map(|r| r as i32)
}

const INSTITUTION: &[&str] = &[
    "name",
    "display_name",
    "local_name",
    "region",
    "ror_id",
    "create_time",
    "etag",
    "update_time",
];

pub fn institution(v: &Value) -> Result<v1::Institution> {
    let f = Fields::new(v, "institution", INSTITUTION)?;
    Ok(v1::Institution {
        name: f.string("name")?.unwrap_or_default(),
        display_name: f.string("display_name")?.unwrap_or_default(),
        local_name: f.string("local_name")?.unwrap_or_default(),
        region: f.enum_one("region", region)?.unwrap_or_default(),
        ror_id: f.string("ror_id")?.unwrap_or_default(),
        create_time: f.time("create_time")?,
        etag: f.string("etag")?.unwrap_or_default(),
        update_time: f.time("update_time")?,
    })
}

pub const PROGRAMME: &[&str] = &[
    "name",
    "display_name",
    "local_name",
    "funder",
    "currency_code",
    "budget",
    "committed",
    "eligible_regions",
    "requires_guangdong_partner",
    "max_award",
    "open_time",
    "close_time",
    "etag",
    "create_time",
    "update_time",
    "review_settings",
    "document_requirements",
    "endorsement_requirement",
    "facility",
];

const FACILITY: &[&str] = &[
    "facility",
    "local_name",
    "resource",
    "unit",
    "step",
    "capacity",
    "allocated",
    "max_request",
];

/// `facility` of a programme: what it awards and how much (`step` and
/// `allocated` are output only: checked, then dropped).
fn facility(f: &Fields) -> Result<Option<v1::Facility>> {
    let Some(r) = f.object("facility", FACILITY)? else {
        return Ok(None);
    };
    r.string("step")?;
    r.resource("allocated")?;
    Ok(Some(v1::Facility {
        facility: r.string("facility")?.unwrap_or_default(),
        local_name: r.string("local_name")?.unwrap_or_default(),
        resource: r.string("resource")?.unwrap_or_default(),
        unit: r.string("unit")?.unwrap_or_default(),
        capacity: r.resource("capacity")?,
        max_request: r.resource("max_request")?,
        ..Default::default()
    }))
}

const REVIEW_SETTINGS: &[&str] = &[
    "criteria",
    "max_score",
    "required_reviews",
    "reviewers_see_investigator_email",
    "locked",
];

/// `review_settings` of a programme: criteria with weights, the scale, the
/// reviews required (`locked` is output only: checked, then dropped).
fn review_settings(f: &Fields) -> Result<Option<v1::ReviewSettings>> {
    let Some(r) = f.object("review_settings", REVIEW_SETTINGS)? else {
        return Ok(None);
    };
    r.bool("locked")?;
    let criteria = r
        .objects("criteria", &["name", "weight"])?
        .unwrap_or_default()
        .iter()
        .map(|c| {
            Ok(v1::ReviewCriterion {
                name: c.string("name")?.unwrap_or_default(),
                weight: c.double("weight")?.unwrap_or_default(),
            })
        })
        .collect::<Result<_>>()?;
    Ok(Some(v1::ReviewSettings {
        criteria,
        max_score: r.int32("max_score")?.unwrap_or_default(),
        required_reviews: r.int32("required_reviews")?.unwrap_or_default(),
        reviewers_see_investigator_email: r.bool("reviewers_see_investigator_email")?.unwrap_or_default(),
        locked: false,
    }))
}

/// A document kind by its value name (`DOCUMENT_KIND_PROPOSAL`), or as
/// flags take it (`PROPOSAL`, `partner-letter`).
fn document_kind(s: &str) -> Option<i32> {
    let upper = s.trim().to_ascii_uppercase().replace('-', "_");
    let bare = upper.strip_prefix("DOCUMENT_KIND_").unwrap_or(&upper);
    v1::DocumentKind::from_str_name(&format!("DOCUMENT_KIND_{bare}"))
        .filter(|k| *k != v1::DocumentKind::Unspecified)
        .map(|k| k as i32)
}

const DOCUMENT_REQUIREMENT: &[&str] = &["kind", "required", "media_types", "max_size_bytes"];

/// `document_requirements` of a programme: each kind taken, whether it
/// is required, its media types and size limit.
fn document_requirements(f: &Fields) -> Result<Vec<v1::DocumentRequirement>> {
    f.objects("document_requirements", DOCUMENT_REQUIREMENT)?
        .unwrap_or_default()
        .iter()
        .map(|r| {
            Ok(v1::DocumentRequirement {
                kind: r.enum_one("kind", document_kind)?.unwrap_or_default(),
                required: r.bool("required")?.unwrap_or_default(),
                media_types: r.strings("media_types")?.unwrap_or_default(),
                max_size_bytes: r.int64("max_size_bytes")?.unwrap_or_default(),
            })
        })
        .collect()
}

/// The programme, and the names of the fields the file set.
pub fn programme(v: &Value) -> Result<(v1::Programme, Vec<String>)> {
    let f = Fields::new(v, "programme", PROGRAMME)?;
    let p = v1::Programme {
        name: f.string("name")?.unwrap_or_default(),
        display_name: f.string("display_name")?.unwrap_or_default(),
        local_name: f.string("local_name")?.unwrap_or_default(),
        funder: f.string("funder")?.unwrap_or_default(),
        currency_code: f.string("currency_code")?.unwrap_or_default(),
        budget: f.money("budget")?,
        committed: f.money("committed")?,
        eligible_regions: f.enum_list("eligible_regions", region)?.unwrap_or_default(),
        requires_guangdong_partner: f.bool("requires_guangdong_partner")?.unwrap_or_default(),
        max_award: f.money("max_award")?,
        open_time: f.time("open_time")?,
        close_time: f.time("close_time")?,
        etag: f.string("etag")?.unwrap_or_default(),
        create_time: f.time("create_time")?,
        update_time: f.time("update_time")?,
        review_settings: review_settings(&f)?,
        document_requirements: document_requirements(&f)?,
        endorsement_requirement: f
            .enum_one("endorsement_requirement", endorsement_requirement)?
            .unwrap_or_default(),
        facility: facility(&f)?,
    };
    Ok((p, f.present()))
}

pub const APPLICATION: &[&str] = &[
    "name",
    "applicant_institution",
    "title",
    "abstract",
    "principal_investigator",
    "partner_institutions",
    "requested_amount",
    "duration_months",
    "state",
    "etag",
    "create_time",
    "update_time",
    "submit_time",
    "decision",
    "award_number",
    "awarded_amount",
    "disbursed_amount",
    "team",
    "endorsements",
    "schedule",
    "closure",
    "requested_resource",
    "awarded_resource",
    "used_resource",
    "preferred_periods",
];

/// The application, and the names of the fields the file set.
pub fn application(v: &Value) -> Result<(v1::Application, Vec<String>)> {
    let f = Fields::new(v, "application", APPLICATION)?;
    let pi = match f.object("principal_investigator", &["name", "email", "orcid"])? {
        None => None,
        Some(pi) => Some(v1::Investigator {
            name: pi.string("name")?.unwrap_or_default(),
            email: pi.string("email")?.unwrap_or_default(),
            orcid: pi.string("orcid")?.unwrap_or_default(),
        }),
    };
    // Output only; checked for shape, then dropped.
    f.object("decision", &["reason", "actor", "decide_time"])?;
    team::check_endorsements(&f)?;
    // Output only, as are the schedule and the closure.
    if let Some(schedule) = v.get("schedule").filter(|s| !s.is_null()) {
        super::report::schedule_in(schedule, "application.schedule")?;
    }
    f.enum_one("closure", super::report::closure)?;
    f.resource("awarded_resource")?;
    f.resource("used_resource")?;
    let a = v1::Application {
        name: f.string("name")?.unwrap_or_default(),
        applicant_institution: f.string("applicant_institution")?.unwrap_or_default(),
        title: f.string("title")?.unwrap_or_default(),
        r#abstract: f.string("abstract")?.unwrap_or_default(),
        principal_investigator: pi,
        partner_institutions: f.strings("partner_institutions")?.unwrap_or_default(),
        requested_amount: f.money("requested_amount")?,
        duration_months: f.int32("duration_months")?.unwrap_or_default(),
        state: f.enum_one("state", state)?.unwrap_or_default(),
        etag: f.string("etag")?.unwrap_or_default(),
        award_number: f.string("award_number")?.unwrap_or_default(),
        team: team::team_in(&f)?.unwrap_or_default(),
        requested_resource: f.resource("requested_resource")?,
        preferred_periods: f.periods("preferred_periods")?.unwrap_or_default(),
        ..Default::default()
    };
    Ok((a, f.present()))
}

const DISBURSEMENT: &[&str] = &[
    "name",
    "amount",
    "payee_amount",
    "exchange_rate",
    "pay_time",
    "reference",
    "create_time",
    "bank_charges",
    "tranche",
];

pub fn disbursement(v: &Value) -> Result<v1::Disbursement> {
    let f = Fields::new(v, "disbursement", DISBURSEMENT)?;
    Ok(v1::Disbursement {
        name: f.string("name")?.unwrap_or_default(),
        amount: f.money("amount")?,
        payee_amount: f.money("payee_amount")?,
        exchange_rate: f.string("exchange_rate")?.unwrap_or_default(),
        pay_time: f.time("pay_time")?,
        reference: f.string("reference")?.unwrap_or_default(),
        create_time: f.time("create_time")?,
        bank_charges: f.money("bank_charges")?,
        tranche: f.int32("tranche")?.unwrap_or_default(),
    })
}

const USAGE_RECORD: &[&str] = &["name", "amount", "period", "reference", "create_time"];

/// A usage record to record (`name` and `create_time` are output only:
/// checked, then dropped).
pub fn usage_record(v: &Value) -> Result<v1::UsageRecord> {
    let f = Fields::new(v, "usageRecord", USAGE_RECORD)?;
    f.string("name")?;
    f.time("create_time")?;
    Ok(v1::UsageRecord {
        amount: f.resource("amount")?,
        period: f.period("period")?,
        reference: f.string("reference")?.unwrap_or_default(),
        ..Default::default()
    })
}

const API_KEY: &[&str] = &[
    "name",
    "role",
    "institution",
    "programmes",
    "all_programmes",
    "display_name",
    "create_time",
    "revoke_time",
    "person",
];

pub fn api_key(v: &Value) -> Result<v1::ApiKey> {
    let f = Fields::new(v, "apiKey", API_KEY)?;
    Ok(v1::ApiKey {
        name: f.string("name")?.unwrap_or_default(),
        role: f.enum_one("role", role)?.unwrap_or_default(),
        institution: f.string("institution")?.unwrap_or_default(),
        programmes: f.strings("programmes")?.unwrap_or_default(),
        all_programmes: f.bool("all_programmes")?.unwrap_or_default(),
        display_name: f.string("display_name")?.unwrap_or_default(),
        create_time: f.time("create_time")?,
        revoke_time: f.time("revoke_time")?,
        person: team::person_in(&f)?,
    })
}

fn recommendation(s: &str) -> Option<i32> {
    v1::review::Recommendation::from_str_name(s).map(|r| r as i32)
}

fn review_state(s: &str) -> Option<i32> {
    v1::review::State::from_str_name(s).map(|r| r as i32)
}

const REVIEW: &[&str] = &[
    "name",
    "reviewer",
    "reviewer_institution",
    "reviewer_label",
    "state",
    "scores",
    "recommendation",
    "applicant_comment",
    "officer_comment",
    "weighted_score",
    "conflict_reason",
    "assigned_by",
    "assign_time",
    "submit_time",
    "update_time",
    "revision",
];

/// A review to submit: its scores, recommendation and comments (the
/// output-only fields are checked for shape, then dropped).
pub fn review(v: &Value) -> Result<v1::Review> {
    let f = Fields::new(v, "review", REVIEW)?;
    f.enum_one("state", review_state)?;
    f.double("weighted_score")?;
    f.int32("revision")?;
    for name in ["assign_time", "submit_time", "update_time"] {
        f.time(name)?;
    }
    let scores = f
        .objects("scores", &["criterion", "score"])?
        .unwrap_or_default()
        .iter()
        .map(|s| {
            Ok(v1::CriterionScore {
                criterion: s.string("criterion")?.unwrap_or_default(),
                score: s.int32("score")?.unwrap_or_default(),
            })
        })
        .collect::<Result<_>>()?;
    Ok(v1::Review {
        name: f.string("name")?.unwrap_or_default(),
        scores,
        recommendation: f.enum_one("recommendation", recommendation)?.unwrap_or_default(),
        applicant_comment: f.string("applicant_comment")?.unwrap_or_default(),
        officer_comment: f.string("officer_comment")?.unwrap_or_default(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn camel_and_snake_names_enums_by_name_int64_as_strings() {
        let v =
            json!({"displayName": "HKU", "local_name": "香港大學", "region": "REGION_HONG_KONG", "rorId": "02zhqgq86"});
        let i = institution(&v).unwrap();
        assert_eq!(
            (i.display_name.as_str(), i.region),
            ("HKU", v1::Region::HongKong as i32)
        );
        let v = json!({"budget": {"currencyCode": "CNY", "units": "10000000"}, "eligibleRegions": ["REGION_MACAO"]});
        let (p, present) = programme(&v).unwrap();
        assert_eq!(p.budget.unwrap().units, 10_000_000);
        assert_eq!(present.len(), 2);
        assert!(institution(&json!({"colour": "red"})).is_err());
        assert!(institution(&json!({"region": "REGION_ATLANTIS"})).is_err());
        let sub_cent = json!({"amount": {"currencyCode": "CNY", "units": "1", "nanos": 5_000_000}});
        assert!(disbursement(&sub_cent).is_err());
    }

    #[test]
    fn review_settings_and_reviews_read_from_json() {
        let v = json!({"reviewSettings": {
            "criteria": [{"name": "scientific merit", "weight": 0.5}, {"name": "impact", "weight": "0.2"}],
            "max_score": 5, "requiredReviews": 2, "locked": true
        }});
        let (p, present) = programme(&v).unwrap();
        let r = p.review_settings.unwrap();
        assert_eq!(present, vec!["review_settings".to_owned()]);
        assert_eq!((r.criteria[0].weight, r.criteria[1].weight), (0.5, 0.2));
        assert_eq!((r.max_score, r.required_reviews, r.locked), (5, 2, false));
        let bad = json!({"reviewSettings": {"criteria": [{"name": "x", "weight": 1, "colour": "red"}]}});
        let err = programme(&bad).unwrap_err().message;
        assert!(err.contains("programme.review_settings.criteria[0]"), "{err}");
        assert!(programme(&json!({"reviewSettings": {"criteria": [{"weight": "heavy"}]}})).is_err());

        let v = json!({"name": "programmes/p/applications/a/reviews/r", "state": "STATE_COMPLETED",
            "scores": [{"criterion": "impact", "score": 4}], "recommendation": "RECOMMENDATION_FUND",
            "weightedScore": 4.0, "applicantComment": "Clear."});
        let r = review(&v).unwrap();
        assert_eq!(r.scores[0].score, 4);
        assert_eq!(r.recommendation, v1::review::Recommendation::Fund as i32);
        assert_eq!(r.state, 0, "output only");
        assert!(review(&json!({"recommendation": "RECOMMENDATION_MAYBE"})).is_err());
    }

    #[test]
    fn facilities_resources_and_periods_read_from_json() {
        let v = json!({"displayName": "CSNS beam time", "facility": {
            "facility": "China Spallation Neutron Source", "localName": "中国散裂中子源",
            "resource": "beam time, GPPD", "unit": "beam-h", "step": "0.5",
            "capacity": {"unit": "beam-h", "steps": "3000", "value": "1500"},
            "allocated": {"unit": "beam-h", "steps": 10}
        }});
        let (p, present) = programme(&v).unwrap();
        let f = p.facility.unwrap();
        assert_eq!(present.len(), 2);
        assert_eq!((f.unit.as_str(), f.capacity.unwrap().steps), ("beam-h", 3000));
        assert_eq!((f.allocated, f.step.as_str()), (None, ""), "output only");
        assert!(programme(&json!({"facility": {"colour": "red"}})).is_err());
        let v = json!({"requestedResource": {"unit": "beam-h", "steps": "193"},
            "preferred_periods": [{"startTime": "2026-03-02T08:00:00Z", "endTime": "2026-03-04T20:00:00Z"}],
            "usedResource": {"unit": "beam-h", "steps": "4"}});
        let (a, present) = application(&v).unwrap();
        assert_eq!(a.requested_resource.unwrap().steps, 193);
        assert_eq!(a.preferred_periods.len(), 1);
        assert_eq!(a.used_resource, None, "output only");
        assert!(present.contains(&"preferred_periods".to_owned()));
        let err = application(&json!({"preferredPeriods": [{"start": "x"}]}))
            .unwrap_err()
            .message;
        assert!(err.contains("application.preferred_periods[0]"), "{err}");
        let u = usage_record(&json!({"amount": {"unit": "beam-h", "steps": "25", "value": "12.5"},
            "period": {"startTime": "2026-03-02T08:00:00Z", "endTime": "2026-03-02T20:30:00Z"},
            "reference": "EXP-2026-0042", "name": "programmes/p/applications/a/usageRecords/u"}))
        .unwrap();
        assert_eq!((u.amount.unwrap().steps, u.reference.as_str()), (25, "EXP-2026-0042"));
        assert!(u.name.is_empty() && u.period.is_some());
        assert!(usage_record(&json!({"amount": {"steps": 1.5}})).is_err());
    }

    #[test]
    fn document_requirements_read_from_json() {
        let v = json!({"documentRequirements": [
            {"kind": "DOCUMENT_KIND_PROPOSAL", "required": true, "mediaTypes": ["application/pdf"],
             "maxSizeBytes": "20971520"},
            {"kind": "partner-letter"}
        ]});
        let (p, present) = programme(&v).unwrap();
        assert_eq!(present, vec!["document_requirements".to_owned()]);
        let r = &p.document_requirements;
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].kind, r[0].required, r[0].max_size_bytes),
            (v1::DocumentKind::Proposal as i32, true, 20 << 20)
        );
        assert_eq!(r[0].media_types, vec!["application/pdf".to_owned()]);
        assert_eq!(
            (r[1].kind, r[1].required),
            (v1::DocumentKind::PartnerLetter as i32, false)
        );
        let err = programme(&json!({"documentRequirements": [{"kind": "THESIS"}]}))
            .unwrap_err()
            .message;
        assert!(err.contains("programme.document_requirements[0].kind"), "{err}");
        assert!(programme(&json!({"documentRequirements": [{"kind": "BUDGET", "colour": "red"}]})).is_err());
    }
}
