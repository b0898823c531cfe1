//! Proto3 JSON of the messages grantctl prints: Institution, Programme
//! (with its Facility), Application, Disbursement, UsageRecord, ApiKey,
//! ApplicationEvent, ProgrammeSummary, Review, ReviewRanking and Document (teams and sign-off: `team.rs`;
//! schedules, reports and post-award activity: `report.rs`).

use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use gba_grants::proto::v1::application::State;
use serde_json::Value;

use super::{Obj, report, team};

fn region(v: i32) -> Option<&'static str> {
    v1::Region::try_from(v).ok().map(|r| r.as_str_name())
}

fn state(v: i32) -> Option<&'static str> {
    State::try_from(v).ok().map(|s| s.as_str_name())
}

fn role(v: i32) -> Option<&'static str> {
    Role::try_from(v).ok().map(|r| r.as_str_name())
}

fn review_state(v: i32) -> Option<&'static str> {
    v1::review::State::try_from(v).ok().map(|s| s.as_str_name())
}

fn recommendation(v: i32) -> Option<&'static str> {
    v1::review::Recommendation::try_from(v).ok().map(|r| r.as_str_name())
}

fn activity_kind(v: i32) -> Option<&'static str> {
    v1::review_activity::Kind::try_from(v).ok().map(|k| k.as_str_name())
}

fn document_kind(v: i32) -> Option<&'static str> {
    v1::DocumentKind::try_from(v).ok().map(|k| k.as_str_name())
}

fn document_activity_kind(v: i32) -> Option<&'static str> {
    v1::document_activity::Kind::try_from(v).ok().map(|k| k.as_str_name())
}

pub fn institution(i: &v1::Institution) -> Value {
    Obj::new()
        .str("name", &i.name)
        .str("display_name", &i.display_name)
        .str("local_name", &i.local_name)
        .enumeration("region", i.region, region(i.region))
        .str("ror_id", &i.ror_id)
        .time("create_time", i.create_time.as_ref())
        .str("etag", &i.etag)
        .time("update_time", i.update_time.as_ref())
        .build()
}

pub fn programme(p: &v1::Programme) -> Value {
    let regions = p
        .eligible_regions
        .iter()
        .map(|r| region(*r).map_or_else(|| Value::from(*r), Value::from))
        .collect();
    Obj::new()
        .str("name", &p.name)
        .str("display_name", &p.display_name)
        .str("local_name", &p.local_name)
        .str("funder", &p.funder)
        .str("currency_code", &p.currency_code)
        .money("budget", p.budget.as_ref())
        .money("committed", p.committed.as_ref())
        .list("eligible_regions", regions)
        .bool("requires_guangdong_partner", p.requires_guangdong_partner)
        .money("max_award", p.max_award.as_ref())
        .time("open_time", p.open_time.as_ref())
        .time("close_time", p.close_time.as_ref())
        .str("etag", &p.etag)
        .time("create_time", p.create_time.as_ref())
        .time("update_time", p.update_time.as_ref())
        .object("review_settings", p.review_settings.as_ref().map(review_settings))
        .list(
            "document_requirements",
            p.document_requirements.iter().map(document_requirement).collect(),
        )
        .enumeration(
            "endorsement_requirement",
            p.endorsement_requirement,
            team::requirement_name(p.endorsement_requirement),
        )
        .object("facility", p.facility.as_ref().map(facility))
        .build()
}

pub fn facility(f: &v1::Facility) -> Value {
    Obj::new()
        .str("facility", &f.facility)
        .str("local_name", &f.local_name)
        .str("resource", &f.resource)
        .str("unit", &f.unit)
        .str("step", &f.step)
        .resource("capacity", f.capacity.as_ref())
        .resource("allocated", f.allocated.as_ref())
        .resource("max_request", f.max_request.as_ref())
        .build()
}

pub fn usage_record(u: &v1::UsageRecord) -> Value {
    Obj::new()
        .str("name", &u.name)
        .resource("amount", u.amount.as_ref())
        .object("period", u.period.as_ref().map(super::period))
        .str("reference", &u.reference)
        .time("create_time", u.create_time.as_ref())
        .build()
}

/// `{"usageRecord": …, "application": …}`: the RecordUsage response.
pub fn recorded_usage(r: &v1::RecordUsageResponse) -> Value {
    Obj::new()
        .object("usage_record", r.usage_record.as_ref().map(usage_record))
        .object("application", r.application.as_ref().map(application))
        .build()
}

pub fn document_requirement(r: &v1::DocumentRequirement) -> Value {
    Obj::new()
        .enumeration("kind", r.kind, document_kind(r.kind))
        .bool("required", r.required)
        .strs("media_types", &r.media_types)
        .int64("max_size_bytes", r.max_size_bytes)
        .build()
}

pub fn document(d: &v1::Document) -> Value {
    Obj::new()
        .str("name", &d.name)
        .enumeration("kind", d.kind, document_kind(d.kind))
        .int32("version", d.version)
        .str("file_name", &d.file_name)
        .str("media_type", &d.media_type)
        .int64("size_bytes", d.size_bytes)
        .str("sha256", &d.sha256)
        .str("uploader", &d.uploader)
        .time("create_time", d.create_time.as_ref())
        .bool("superseded", d.superseded)
        .build()
}

pub fn document_activity(a: &v1::DocumentActivity) -> Value {
    Obj::new()
        .enumeration("kind", a.kind, document_activity_kind(a.kind))
        .object("document", a.document.as_ref().map(document))
        .build()
}

pub fn review_settings(r: &v1::ReviewSettings) -> Value {
    let criteria = r
        .criteria
        .iter()
        .map(|c| Obj::new().str("name", &c.name).double("weight", c.weight).build())
        .collect();
    Obj::new()
        .list("criteria", criteria)
        .int32("max_score", r.max_score)
        .int32("required_reviews", r.required_reviews)
        .bool("reviewers_see_investigator_email", r.reviewers_see_investigator_email)
        .bool("locked", r.locked)
        .build()
}

pub fn application(a: &v1::Application) -> Value {
    let pi = a.principal_investigator.as_ref().map(|pi| {
        Obj::new()
            .str("name", &pi.name)
            .str("email", &pi.email)
            .str("orcid", &pi.orcid)
            .build()
    });
    let decision = a.decision.as_ref().map(|d| {
        Obj::new()
            .str("reason", &d.reason)
            .str("actor", &d.actor)
            .time("decide_time", d.decide_time.as_ref())
            .build()
    });
    Obj::new()
        .str("name", &a.name)
        .str("applicant_institution", &a.applicant_institution)
        .str("title", &a.title)
        .str("abstract", &a.r#abstract)
        .object("principal_investigator", pi)
        .strs("partner_institutions", &a.partner_institutions)
        .money("requested_amount", a.requested_amount.as_ref())
        .int32("duration_months", a.duration_months)
        .enumeration("state", a.state, state(a.state))
        .str("etag", &a.etag)
        .time("create_time", a.create_time.as_ref())
        .time("update_time", a.update_time.as_ref())
        .time("submit_time", a.submit_time.as_ref())
        .object("decision", decision)
        .str("award_number", &a.award_number)
        .money("awarded_amount", a.awarded_amount.as_ref())
        .money("disbursed_amount", a.disbursed_amount.as_ref())
        .list("team", a.team.iter().map(team::member).collect())
        .list("endorsements", a.endorsements.iter().map(team::endorsement).collect())
        .object("schedule", a.schedule.as_ref().map(report::schedule))
        .enumeration("closure", a.closure, report::closure_name(a.closure))
        .resource("requested_resource", a.requested_resource.as_ref())
        .resource("awarded_resource", a.awarded_resource.as_ref())
        .resource("used_resource", a.used_resource.as_ref())
        .list(
            "preferred_periods",
            a.preferred_periods.iter().map(super::period).collect(),
        )
        .build()
}

pub fn disbursement(d: &v1::Disbursement) -> Value {
    Obj::new()
        .str("name", &d.name)
        .money("amount", d.amount.as_ref())
        .money("payee_amount", d.payee_amount.as_ref())
        .str("exchange_rate", &d.exchange_rate)
        .time("pay_time", d.pay_time.as_ref())
        .str("reference", &d.reference)
        .time("create_time", d.create_time.as_ref())
        .money("bank_charges", d.bank_charges.as_ref())
        .int32("tranche", d.tranche)
        .build()
}

pub fn api_key(k: &v1::ApiKey) -> Value {
    Obj::new()
        .str("name", &k.name)
        .enumeration("role", k.role, role(k.role))
        .str("institution", &k.institution)
        .strs("programmes", &k.programmes)
        .bool("all_programmes", k.all_programmes)
        .str("display_name", &k.display_name)
        .time("create_time", k.create_time.as_ref())
        .time("revoke_time", k.revoke_time.as_ref())
        .object("person", k.person.as_ref().map(team::person))
        .build()
}

pub fn event(e: &v1::ApplicationEvent) -> Value {
    Obj::new()
        .str("cursor", &e.cursor)
        .str("application", &e.application)
        .str("programme", &e.programme)
        .str("applicant_institution", &e.applicant_institution)
        .enumeration("previous_state", e.previous_state, state(e.previous_state))
        .enumeration("new_state", e.new_state, state(e.new_state))
        .str("actor", &e.actor)
        .enumeration("actor_role", e.actor_role, role(e.actor_role))
        .str("reason", &e.reason)
        .time("event_time", e.event_time.as_ref())
        .object("snapshot", e.snapshot.as_ref().map(application))
        .str("disbursement", &e.disbursement)
        .object("review_activity", e.review_activity.as_ref().map(review_activity))
        .object("document_activity", e.document_activity.as_ref().map(document_activity))
        .object("team_activity", e.team_activity.as_ref().map(team::activity))
        .object("actor_person", e.actor_person.as_ref().map(team::person))
        .object("report_activity", e.report_activity.as_ref().map(report::activity))
        .str("usage_record", &e.usage_record)
        .build()
}

pub fn review_activity(a: &v1::ReviewActivity) -> Value {
    Obj::new()
        .enumeration("kind", a.kind, activity_kind(a.kind))
        .str("review", &a.review)
        .int32("completed_reviews", a.completed_reviews)
        .int32("required_reviews", a.required_reviews)
        .build()
}

pub fn review(r: &v1::Review) -> Value {
    let scores = r
        .scores
        .iter()
        .map(|s| {
            Obj::new()
                .str("criterion", &s.criterion)
                .int32("score", s.score)
                .build()
        })
        .collect();
    Obj::new()
        .str("name", &r.name)
        .str("reviewer", &r.reviewer)
        .str("reviewer_institution", &r.reviewer_institution)
        .str("reviewer_label", &r.reviewer_label)
        .enumeration("state", r.state, review_state(r.state))
        .list("scores", scores)
        .enumeration("recommendation", r.recommendation, recommendation(r.recommendation))
        .str("applicant_comment", &r.applicant_comment)
        .str("officer_comment", &r.officer_comment)
        .double("weighted_score", r.weighted_score)
        .str("conflict_reason", &r.conflict_reason)
        .str("assigned_by", &r.assigned_by)
        .time("assign_time", r.assign_time.as_ref())
        .time("submit_time", r.submit_time.as_ref())
        .time("update_time", r.update_time.as_ref())
        .int32("revision", r.revision)
        .build()
}

pub fn ranked(e: &v1::RankedApplication) -> Value {
    Obj::new()
        .int32("rank", e.rank)
        .str("application", &e.application)
        .str("title", &e.title)
        .str("applicant_institution", &e.applicant_institution)
        .double("mean_score", e.mean_score)
        .int32("completed_reviews", e.completed_reviews)
        .int32("required_reviews", e.required_reviews)
        .double("score_spread", e.score_spread)
        .money("requested_amount", e.requested_amount.as_ref())
        .money("cumulative_requested", e.cumulative_requested.as_ref())
        .bool("above_funding_line", e.above_funding_line)
        .time("submit_time", e.submit_time.as_ref())
        .resource("requested_resource", e.requested_resource.as_ref())
        .resource(
            "cumulative_requested_resource",
            e.cumulative_requested_resource.as_ref(),
        )
        .build()
}

pub fn ranking(r: &v1::ReviewRanking) -> Value {
    Obj::new()
        .str("programme", &r.programme)
        .list("entries", r.entries.iter().map(ranked).collect())
        .money("remaining_budget", r.remaining_budget.as_ref())
        .int32("funded_count", r.funded_count)
        .time("compute_time", r.compute_time.as_ref())
        .resource("remaining_capacity", r.remaining_capacity.as_ref())
        .build()
}

pub fn summary(s: &v1::ProgrammeSummary) -> Value {
    let counts = s
        .state_counts
        .iter()
        .map(|c| {
            Obj::new()
                .enumeration("state", c.state, state(c.state))
                .int64("count", c.count)
                .build()
        })
        .collect();
    let regions = s
        .region_totals
        .iter()
        .map(|r| {
            Obj::new()
                .enumeration("region", r.region, region(r.region))
                .money("requested", r.requested.as_ref())
                .money("committed", r.committed.as_ref())
                .money("disbursed", r.disbursed.as_ref())
                .int64("award_count", r.award_count)
                .resource("requested_resource", r.requested_resource.as_ref())
                .resource("allocated", r.allocated.as_ref())
                .resource("used", r.used.as_ref())
                .build()
        })
        .collect();
    Obj::new()
        .str("programme", &s.programme)
        .list("state_counts", counts)
        .money("requested", s.requested.as_ref())
        .money("committed", s.committed.as_ref())
        .money("disbursed", s.disbursed.as_ref())
        .money("remaining_budget", s.remaining_budget.as_ref())
        .time("compute_time", s.compute_time.as_ref())
        .int64("award_count", s.award_count)
        .list("region_totals", regions)
        .int64("reviews_completed", s.reviews_completed)
        .int64("reviews_required", s.reviews_required)
        .int64("reports_due", s.reports_due)
        .int64("reports_overdue", s.reports_overdue)
        .int64("reports_accepted", s.reports_accepted)
        .resource("requested_resource", s.requested_resource.as_ref())
        .resource("allocated", s.allocated.as_ref())
        .resource("used", s.used.as_ref())
        .resource("free", s.free.as_ref())
        .resource("capacity", s.capacity.as_ref())
        .build()
}

/// `{"disbursement": …, "application": …}`: the RecordDisbursement response.
pub fn recorded(r: &v1::RecordDisbursementResponse) -> Value {
    Obj::new()
        .object("disbursement", r.disbursement.as_ref().map(disbursement))
        .object("application", r.application.as_ref().map(application))
        .build()
}

/// `{"apiKey": …, "secret": …}`: the CreateApiKey response.
pub fn created_key(r: &v1::CreateApiKeyResponse) -> Value {
    Obj::new()
        .object("api_key", r.api_key.as_ref().map(api_key))
        .str("secret", &r.secret)
        .build()
}
