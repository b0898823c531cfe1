//! Views of applications, their disbursements and events (with their
//! review, document, team and post-award activity), and programme
//! summaries (see views.rs for the other resources; views_team.rs for
//! teams and sign-off; views_report.rs for schedules and reports).

use gba_grants::proto::v1;
use serde_json::Value;

use crate::json::out;
use crate::names;
use crate::table;
use crate::views::{Resource, amount, money, region_word, role_word, state_word, time};

impl Resource for v1::Application {
    const PLURAL: &'static str = "applications";

    fn name(&self) -> String {
        self.name.clone()
    }

    fn json(&self) -> Value {
        out::application(self)
    }

    fn header() -> &'static [&'static str] {
        &["APPLICATION", "STATE", "REQUESTED", "AWARDED", "TITLE"]
    }

    fn row(&self) -> Vec<String> {
        vec![
            names::short_application(&self.name),
            state_word(self.state),
            amount(self.requested_amount.as_ref(), self.requested_resource.as_ref()),
            amount(self.awarded_amount.as_ref(), self.awarded_resource.as_ref()),
            table::truncate(&self.title, 48),
        ]
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        let pi = self.principal_investigator.clone().unwrap_or_default();
        let investigator = [pi.name, pi.email, pi.orcid]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        let decision = self.decision.clone().unwrap_or_default();
        let mut fields = vec![
            ("Name", self.name.clone()),
            ("Title", self.title.clone()),
            ("State", state_word(self.state)),
            ("Applicant", self.applicant_institution.clone()),
            ("Partners", self.partner_institutions.join(", ")),
            ("Investigator", investigator),
            (
                "Requested",
                amount(self.requested_amount.as_ref(), self.requested_resource.as_ref()),
            ),
            (
                "Duration",
                if self.duration_months == 0 {
                    String::new()
                } else {
                    format!("{} months", self.duration_months)
                },
            ),
            ("Award number", self.award_number.clone()),
        ];
        if crate::views_facility::is_facility_application(self) {
            fields.extend(crate::views_facility::application_details(self));
        } else {
            fields.push(("Awarded", money(self.awarded_amount.as_ref())));
            fields.push(("Disbursed", money(self.disbursed_amount.as_ref())));
        }
        fields.extend([
            ("Decision", decision.reason),
            ("Submitted", time(self.submit_time.as_ref())),
            ("Updated", time(self.update_time.as_ref())),
            ("Etag", self.etag.clone()),
        ]);
        fields.extend(crate::views_team::application_details(self));
        fields.extend(crate::views_report::application_details(self));
        fields
    }
}

impl Resource for v1::Disbursement {
    const PLURAL: &'static str = "disbursements";

    fn name(&self) -> String {
        self.name.clone()
    }

    fn json(&self) -> Value {
        out::disbursement(self)
    }

    fn header() -> &'static [&'static str] {
        &[
            "DISBURSEMENT",
            "TRANCHE",
            "AMOUNT",
            "PAYEE AMOUNT",
            "RATE",
            "CHARGES",
            "REFERENCE",
            "PAID",
        ]
    }

    fn row(&self) -> Vec<String> {
        vec![
            names::id(&self.name).to_owned(),
            tranche_word(self.tranche),
            money(self.amount.as_ref()),
            money(self.payee_amount.as_ref()),
            self.exchange_rate.clone(),
            money(self.bank_charges.as_ref()),
            self.reference.clone(),
            time(self.pay_time.as_ref().or(self.create_time.as_ref())),
        ]
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Name", self.name.clone()),
            ("Tranche", tranche_word(self.tranche)),
            ("Amount", money(self.amount.as_ref())),
            ("Payee amount", money(self.payee_amount.as_ref())),
            ("Exchange rate", self.exchange_rate.clone()),
            ("Bank charges", money(self.bank_charges.as_ref())),
            ("Reference", self.reference.clone()),
            ("Paid", time(self.pay_time.as_ref())),
            ("Recorded", time(self.create_time.as_ref())),
        ]
    }
}

/// The tranche a disbursement paid; empty for one recorded before
/// schedules (0).
fn tranche_word(n: i32) -> String {
    if n == 0 { String::new() } else { n.to_string() }
}

/// `Submitted → Under review`; a creation reads `created → Draft`; peer
/// review adds what it did, `review R submitted (1/2 complete)`, a
/// document event `DOCUMENT_ADDED proposal.pdf v1`, a team event
/// `institutions/h endorsed` and a post-award event `REPORT_ACCEPTED
/// report 1 v2`, alone when the state stayed.
fn change(e: &v1::ApplicationEvent) -> String {
    let activities: Vec<String> = e
        .review_activity
        .as_ref()
        .filter(|a| a.kind != 0)
        .map(crate::views_review::activity)
        .into_iter()
        .chain(
            e.document_activity
                .as_ref()
                .filter(|a| a.kind != 0)
                .map(crate::views_doc::activity),
        )
        .chain(
            e.team_activity
                .as_ref()
                .filter(|a| a.kind != 0)
                .map(crate::views_team::activity),
        )
        .chain(
            e.report_activity
                .as_ref()
                .filter(|a| a.kind != 0)
                .map(crate::views_report::activity),
        )
        .collect();
    let from = if e.previous_state == 0 {
        "created".to_owned()
    } else {
        state_word(e.previous_state)
    };
    let mut text = String::new();
    if activities.is_empty() || e.previous_state != e.new_state {
        text = format!("{from} → {}", state_word(e.new_state));
    }
    if !e.disbursement.is_empty() {
        text.push_str(" (disbursement)");
    }
    if !e.usage_record.is_empty() {
        text.push_str(" (usage)");
    }
    for a in activities {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str(&a);
    }
    text
}

/// `APPLICANT`, or `APPLICANT (Ou Yang)` when the key names its person.
fn by(e: &v1::ApplicationEvent) -> String {
    let role = role_word(e.actor_role);
    match e.actor_person.as_ref().map(|p| p.display_name.as_str()) {
        Some(name) if !name.is_empty() => format!("{role} ({name})"),
        _ => role,
    }
}

impl Resource for v1::ApplicationEvent {
    const PLURAL: &'static str = "events";

    fn name(&self) -> String {
        self.application.clone()
    }

    fn json(&self) -> Value {
        out::event(self)
    }

    fn header() -> &'static [&'static str] {
        &["TIME", "APPLICATION", "CHANGE", "BY", "REASON"]
    }

    fn row(&self) -> Vec<String> {
        vec![
            time(self.event_time.as_ref()),
            names::short_application(&self.application),
            change(self),
            by(self),
            table::truncate(&self.reason, 60),
        ]
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Time", time(self.event_time.as_ref())),
            ("Application", self.application.clone()),
            ("Change", change(self)),
            ("By", format!("{} ({})", self.actor, role_word(self.actor_role))),
            ("Person", crate::views_team::person_word(self.actor_person.as_ref())),
            ("Reason", self.reason.clone()),
            ("Disbursement", self.disbursement.clone()),
            ("Usage record", self.usage_record.clone()),
            (
                "Review",
                self.review_activity
                    .as_ref()
                    .map(|a| a.review.clone())
                    .unwrap_or_default(),
            ),
            (
                "Document",
                self.document_activity
                    .as_ref()
                    .and_then(|a| a.document.as_ref())
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
            ),
            ("Cursor", self.cursor.clone()),
        ]
    }
}

/// One line per programme: counts by state and the money totals (a
/// facility programme's in its unit: views_facility.rs).
pub fn summary_line(s: &v1::ProgrammeSummary) -> String {
    let counts: Vec<String> = s
        .state_counts
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| format!("{} {}", state_word(c.state), c.count))
        .collect();
    if crate::views_facility::is_facility(s) {
        let counts = if counts.is_empty() {
            "no applications".to_owned()
        } else {
            counts.join(", ")
        };
        return crate::views_facility::summary_line(s, &counts);
    }
    let regions: Vec<String> = s
        .region_totals
        .iter()
        .map(|r| format!("{} {}", region_word(r.region), money(r.committed.as_ref())))
        .collect();
    let mut line = format!(
        "{}  {}  requested {}  committed {}  disbursed {}  remaining {}  awards {}",
        names::id(&s.programme),
        if counts.is_empty() {
            "no applications".into()
        } else {
            counts.join(", ")
        },
        money(s.requested.as_ref()),
        money(s.committed.as_ref()),
        money(s.disbursed.as_ref()),
        money(s.remaining_budget.as_ref()),
        s.award_count,
    );
    if s.reviews_required > 0 {
        line.push_str(&format!("  reviews {}/{}", s.reviews_completed, s.reviews_required));
    }
    let reports = crate::views_report::summary_reports(s);
    if !reports.is_empty() {
        line.push_str(&format!("  {reports}"));
    }
    if !regions.is_empty() {
        line.push_str(&format!("  committed by region: {}", regions.join(", ")));
    }
    line
}
