//! The application state machine and the decisions of each transition:
//! pure functions over the current state that either refuse (nothing
//! changes) or say exactly what changes.

use super::access::{Caller, Role};
use super::application::{Application, Decision, State};
use super::document::{Document, DocumentKind, DocumentSummary, DocumentWrite};
use super::error::{Error, Reason, Result, Violations};
use super::event::{Disbursement, DocumentActivity, DocumentActivityKind, NewEvent};
use super::ids::InstitutionName;
use super::institution::{Institution, Region};
use super::money::Money;
use super::programme::Programme;
use super::review::Review;
use super::team::{TeamActivity, TeamActivityKind};
use super::time::Timestamp;

/// A state-changing action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Submit,
    StartReview,
    RequestChanges,
    Approve,
    Reject,
    Withdraw,
    Disburse,
    Close,
    AssignReviewer,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::StartReview => "start review of",
            Action::RequestChanges => "request changes to",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Withdraw => "withdraw",
            Action::Disburse => "record a disbursement on",
            Action::Close => "close",
            Action::AssignReviewer => "assign reviewers to",
        }
    }

    /// The states the action is allowed from, and where it leads.
    pub fn edge(self) -> (&'static [State], State) {
        use State::*;
        match self {
            Action::Submit => (&[Draft, ChangesRequested], Submitted),
            Action::StartReview => (&[Submitted], UnderReview),
            Action::RequestChanges => (&[Submitted, UnderReview], ChangesRequested),
            Action::Approve => (&[UnderReview], Approved),
            Action::Reject => (&[Submitted, UnderReview], Rejected),
            Action::Withdraw => (&[Draft, Submitted, UnderReview, ChangesRequested], Withdrawn),
            Action::Disburse => (&[Approved, Active], Active),
            Action::Close => (&[Approved, Active], Closed),
            Action::AssignReviewer => (&[Submitted, UnderReview], UnderReview),
        }
    }

    /// The roles that may take the action.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Action::Submit | Action::Withdraw => &[Role::Admin, Role::Applicant],
            _ => &[Role::Admin, Role::Officer],
        }
    }

    /// Whether an officer affiliated with the applicant is barred.
    fn conflicts(self) -> bool {
        matches!(
            self,
            Action::StartReview | Action::RequestChanges | Action::Approve | Action::Reject | Action::AssignReviewer
        )
    }
}

/// The target state of `action` from `state`, or FAILED_PRECONDITION
/// naming the current state.
pub fn transition(state: State, action: Action) -> Result<State> {
    let (from, to) = action.edge();
    if from.contains(&state) {
        Ok(to)
    } else {
        Err(Error::precondition(
            Reason::InvalidState,
            format!("cannot {} an application in state {}", action.as_str(), state.as_str()),
        ))
    }
}

/// Whether `caller` may see `application` at all. Callers that may not get
/// the same PERMISSION_DENIED as for an application that does not exist.
pub fn may_see(caller: &Caller, application: &Application) -> bool {
    match caller.role {
        Role::Admin => true,
        // Its own applications, and those naming it as a partner.
        Role::Applicant => caller.institution.as_ref().is_some_and(|i| application.involves(i)),
        Role::Officer | Role::Viewer => caller.may_see_programme(&application.name.programme),
        // Reviewers see only what they are assigned to, which the
        // application alone does not tell (see `service::reviews`).
        Role::Reviewer => false,
    }
}

pub fn not_visible(name: &impl std::fmt::Display) -> Error {
    Error::denied(
        Reason::OutOfScope,
        format!("{name} is outside this key's scope or does not exist"),
    )
}

/// Partners read, watch and endorse an application; only the applicant
/// (and admins) change it, submit it or withdraw it.
pub fn require_own(caller: &Caller, application: &Application, what: &str) -> Result<()> {
    match (&caller.role, &caller.institution) {
        (Role::Applicant, Some(i)) if i != &application.applicant => Err(Error::denied(
            Reason::PartnerReadOnly,
            format!(
                "{i} is a partner on {}: partners may read and endorse it, not {what}",
                application.name
            ),
        )),
        _ => Ok(()),
    }
}

/// Checks role, scope and conflict of interest for `action`.
pub fn authorise(caller: &Caller, action: Action, application: &Application) -> Result<()> {
    if !may_see(caller, application) {
        return Err(not_visible(&application.name));
    }
    caller.require(action.roles(), &format!("{} applications", action.as_str()))?;
    require_own(caller, application, &format!("{} it", action.as_str()))?;
    if action.conflicts() {
        conflicted(caller, application)?;
    }
    Ok(())
}

/// Conflict of interest: an officer affiliated with the applicant or a
/// partner may not decide on the application.
pub fn conflicted(caller: &Caller, application: &Application) -> Result<()> {
    if caller.role == Role::Officer
        && let Some(affiliation) = &caller.institution
    {
        let role = if affiliation == &application.applicant {
            Some("the applicant")
        } else if application.partners.contains(affiliation) {
            Some("a partner institution")
        } else {
            None
        };
        if let Some(role) = role {
            return Err(Error::denied(
                Reason::ConflictOfInterest,
                format!("this officer is affiliated with {affiliation}, {role} of this application"),
            ));
        }
    }
    Ok(())
}

/// What a transition sees: the application, its programme, and the
/// institutions it names, all read in the transaction that will write.
#[derive(Debug, Clone)]
pub struct Situation {
    pub application: Application,
    pub programme: Programme,
    pub applicant: Option<Institution>,
    /// Each partner named, with the institution if it is registered.
    pub partners: Vec<(InstitutionName, Option<Institution>)>,
    /// The application's reviews in assignment order (read only when the
    /// programme has review settings).
    pub reviews: Vec<Review>,
    /// Every document version of the application.
    pub documents: Vec<DocumentSummary>,
}

/// What a transition changes.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub application: Application,
    /// The programme, when its committed total changed.
    pub programme: Option<Programme>,
    pub event: Option<NewEvent>,
    pub disbursement: Option<Disbursement>,
    /// A review made or changed.
    pub review: Option<Review>,
    /// How the review is labelled among the application's ("Reviewer 2"),
    /// as it stood when the change was decided; kept with the response,
    /// so a retry answers as the first call did.
    pub review_label: Option<String>,
    /// A document stored or deleted with the change.
    pub document: Option<DocumentWrite>,
    /// Nothing to write: a repeated assignment or declaration.
    pub noop: bool,
}

impl Outcome {
    /// The application's documents once the outcome is written, from
    /// those it was decided on.
    pub fn documents_after(&self, before: &[DocumentSummary]) -> Vec<DocumentSummary> {
        let mut after = before.to_vec();
        match &self.document {
            Some(DocumentWrite::Add(d)) => after.push(DocumentSummary {
                name: d.name.clone(),
                kind: d.kind,
                version: d.version,
            }),
            Some(DocumentWrite::Delete(d)) => after.retain(|s| s.name != d.name),
            None => {}
        }
        after
    }
}

fn moved(caller: &Caller, situation: &Situation, action: Action, reason: String, now: Timestamp) -> Result<Outcome> {
    authorise(caller, action, &situation.application)?;
    let previous = situation.application.state;
    let new = transition(previous, action)?;
    let mut application = situation.application.clone();
    application.state = new;
    application.version += 1;
    application.update_time = now;
    Ok(Outcome {
        application,
        programme: None,
        event: Some(NewEvent::by(caller, Some(previous), new, reason)),
        disbursement: None,
        review: None,
        review_label: None,
        document: None,
        noop: false,
    })
}

/// Submission: complete, eligible, within the programme's limits, while
/// the programme is open.
pub fn submit(caller: &Caller, s: &Situation, now: Timestamp) -> Result<Outcome> {
    let mut out = moved(caller, s, Action::Submit, String::new(), now)?;
    let p = &s.programme;
    if !p.is_open(now) {
        return Err(Error::precondition(
            Reason::ProgrammeNotOpen,
            format!(
                "{} is not open for submissions now (it is open from {} until {})",
                p.name, p.open_time, p.close_time
            ),
        ));
    }
    let a = &s.application;
    let mut v = Violations::new();
    let f = |name: &str| format!("application.{name}");
    if super::text::is_blank(&a.title) {
        v.add(f("title"), "is required to submit");
    }
    if super::text::is_blank(&a.abstract_text) {
        v.add(f("abstract"), "is required to submit");
    }
    if super::text::is_blank(&a.investigator.name) {
        v.add(f("principal_investigator.name"), "is required to submit");
    }
    if a.investigator.email.is_empty() {
        v.add(f("principal_investigator.email"), "is required to submit");
    }
    if a.investigator.orcid.is_none() {
        v.add(f("principal_investigator.orcid"), "is required to submit");
    }
    if a.duration_months.is_none() {
        v.add(f("duration_months"), "is required to submit (1..=120)");
    }
    let (requested, limit) = match p.currency.is_resource() {
        true => ("requested_resource", "facility.max_request"),
        false => ("requested_amount", "max_award"),
    };
    let mismatch = a
        .requested
        .as_ref()
        .and_then(|r| super::money::mismatch(r, &p.currency, &f("requested_amount"), &f("requested_resource")));
    match &a.requested {
        None => v.add(f(requested), "is required to submit"),
        Some(_) if mismatch.is_some() => {
            if let Some((field, why)) = mismatch {
                v.add(field, why);
            }
        }
        Some(r) if !r.is_positive() => v.add(f(requested), "must be greater than zero"),
        Some(r) if r.minor() > p.max_award.minor() => v.add(
            f(requested),
            format!("must not exceed the programme's {limit} {}", p.max_award),
        ),
        Some(_) => {}
    }
    match &s.applicant {
        None => v.add(f("applicant_institution"), "is not a registered institution"),
        Some(i) if !p.eligible_regions.contains(&i.region) => v.add(
            f("applicant_institution"),
            format!("region {} is not eligible for {}", i.region.as_str(), p.name),
        ),
        Some(_) => {}
    }
    for (i, (name, found)) in s.partners.iter().enumerate() {
        if found.is_none() {
            v.add(
                format!("{}[{i}]", f("partner_institutions")),
                format!("{name} is not a registered institution"),
            );
        }
    }
    let has_gd_partner = s
        .partners
        .iter()
        .any(|(_, i)| i.as_ref().is_some_and(|i| i.region == Region::Guangdong));
    if p.requires_guangdong_partner && !has_gd_partner {
        v.add(
            f("partner_institutions"),
            format!("{} requires a Guangdong partner institution", p.name),
        );
    }
    v.finish()?;
    let unsigned: Vec<String> = p
        .endorsement
        .signatories(&a.applicant, &a.partners)
        .into_iter()
        .filter(|i| !a.endorsements.iter().any(|e| &e.institution == i))
        .map(|i| i.to_string())
        .collect();
    let missing: Vec<&str> = p
        .documents
        .iter()
        .filter(|r| r.required && !s.documents.iter().any(|d| d.kind == r.kind))
        .map(|r| r.kind.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::precondition(
            Reason::DocumentsMissing,
            format!(
                "{} requires documents of kinds {} before submission",
                p.name,
                missing.join(", ")
            ),
        ));
    }
    if !unsigned.is_empty() {
        return Err(Error::precondition(
            Reason::EndorsementsMissing,
            format!(
                "{} requires the endorsement ({}) of {} before submission",
                p.name,
                p.endorsement.as_str(),
                unsigned.join(", ")
            ),
        ));
    }
    out.application.submit_time = Some(now);
    Ok(out)
}

/// Who may upload and delete documents: the applicant's keys and admins.
fn may_change_documents(caller: &Caller, a: &Application) -> Result<()> {
    if !may_see(caller, a) {
        return Err(not_visible(&a.name));
    }
    caller.require(&[Role::Admin, Role::Applicant], "upload or delete documents")?;
    require_own(caller, a, "upload or delete its documents")
}

/// Who may delete documents, and when: the applicant's keys and admins,
/// while the application may be edited (a report, once uploaded, stays).
fn may_edit_documents(caller: &Caller, a: &Application) -> Result<()> {
    may_change_documents(caller, a)?;
    if !a.state.is_editable() {
        return Err(Error::precondition(
            Reason::InvalidState,
            format!(
                "documents are frozen once submitted: {} is {}",
                a.name,
                a.state.as_str()
            ),
        ));
    }
    Ok(())
}

/// The application changed by a document write: a new version, and an
/// event in its own state.
fn with_document(
    caller: &Caller,
    s: &Situation,
    kind: DocumentActivityKind,
    write: DocumentWrite,
    now: Timestamp,
) -> Outcome {
    let mut application = s.application.clone();
    application.version += 1;
    application.update_time = now;
    let state = application.state;
    let cleared = super::signoff::clear_endorsements(&mut application);
    let mut event = NewEvent::by(caller, Some(state), state, String::new());
    event.document = Some(DocumentActivity {
        kind,
        document: write.document().clone(),
    });
    event.team = cleared.map(|cleared| TeamActivity {
        kind: TeamActivityKind::EndorsementsCleared,
        institution: None,
        cleared,
    });
    Outcome {
        application,
        programme: None,
        event: Some(event),
        disbursement: None,
        review: None,
        review_label: None,
        document: Some(write),
        noop: false,
    }
}

/// Storing `document` (its content already in the object store) as the
/// next version of its kind, within `max_documents` versions per
/// application.
pub fn add_document(
    caller: &Caller,
    s: &Situation,
    mut document: Document,
    max_documents: usize,
    now: Timestamp,
) -> Result<Outcome> {
    may_change_documents(caller, &s.application)?;
    document
        .kind
        .check_upload_state(&s.application.name, s.application.state)?;
    check_kind_taken(s, document.kind)?;
    if s.documents.len() >= max_documents {
        return Err(Error::ResourceExhausted {
            reason: Reason::TooManyDocuments,
            message: format!(
                "{} has {} documents (versions included), the most the server keeps per application",
                s.application.name,
                s.documents.len()
            ),
        });
    }
    let latest = s
        .documents
        .iter()
        .filter(|d| d.kind == document.kind)
        .map(|d| d.version)
        .max();
    document.version = latest.map_or(1, |v| v + 1);
    document.superseded = false;
    document.create_time = now;
    let kind = match latest {
        Some(_) => DocumentActivityKind::DocumentReplaced,
        None => DocumentActivityKind::DocumentAdded,
    };
    Ok(with_document(caller, s, kind, DocumentWrite::Add(document), now))
}

/// Whether the programme takes documents of `kind` (a programme that
/// declares requirements takes the kinds it lists).
pub fn check_kind_taken(s: &Situation, kind: DocumentKind) -> Result<()> {
    let p = &s.programme;
    let taken = kind == DocumentKind::Report || p.documents.iter().any(|r| r.kind == kind);
    if !p.documents.is_empty() && !taken {
        let taken: Vec<&str> = p.documents.iter().map(|r| r.kind.as_str()).collect();
        return Err(Error::invalid(
            "upload.kind",
            format!("{} takes documents of kinds {} only", p.name, taken.join(", ")),
        ));
    }
    Ok(())
}

/// Deleting one version of a document.
pub fn delete_document(caller: &Caller, s: &Situation, document: &Document, now: Timestamp) -> Result<Outcome> {
    may_edit_documents(caller, &s.application)?;
    if !s.documents.iter().any(|d: &DocumentSummary| d.name == document.name) {
        return Err(not_visible(&document.name));
    }
    Ok(with_document(
        caller,
        s,
        DocumentActivityKind::DocumentDeleted,
        DocumentWrite::Delete(document.clone()),
        now,
    ))
}

pub fn start_review(caller: &Caller, s: &Situation, now: Timestamp) -> Result<Outcome> {
    moved(caller, s, Action::StartReview, String::new(), now)
}

pub fn withdraw(caller: &Caller, s: &Situation, reason: String, now: Timestamp) -> Result<Outcome> {
    moved(caller, s, Action::Withdraw, reason, now)
}

fn decided(caller: &Caller, s: &Situation, action: Action, reason: String, now: Timestamp) -> Result<Outcome> {
    let mut out = moved(caller, s, action, reason.clone(), now)?;
    out.application.decision = Some(Decision {
        reason,
        actor: caller.key.clone(),
        time: now,
    });
    Ok(out)
}

pub fn request_changes(caller: &Caller, s: &Situation, reason: String, now: Timestamp) -> Result<Outcome> {
    decided(caller, s, Action::RequestChanges, reason, now)
}

pub fn reject(caller: &Caller, s: &Situation, reason: String, now: Timestamp) -> Result<Outcome> {
    decided(caller, s, Action::Reject, reason, now)
}

/// The award number of the programme's `n`-th award, e.g.
/// `GBA-2026-3F9A1C-00037`.
pub fn award_number(programme: &Programme, n: i64, now: Timestamp) -> String {
    let year = time::OffsetDateTime::from_unix_timestamp(now.micros() / 1_000_000).map_or(0, |t| t.year());
    let id = programme.name.id();
    let tag = id[id.len().saturating_sub(6)..].to_ascii_uppercase();
    format!("GBA-{year}-{tag}-{n:05}")
}

/// Approval: awarded within (0, requested], committed within the budget;
/// under peer review, with the required reviews complete or `override_reviews`.
pub fn approve(
    caller: &Caller,
    s: &Situation,
    awarded: Option<Money>,
    reason: String,
    override_reviews: bool,
    schedule: Option<&super::postaward::schedule::ScheduleInput>,
    now: Timestamp,
) -> Result<Outcome> {
    let overridden = super::review::check_reviews_for_approval(s, override_reviews, &reason);
    let mut out = decided(caller, s, Action::Approve, reason, now)?;
    if let Some(event) = &mut out.event {
        event.review = overridden?;
    }
    let p = &s.programme;
    let facility = p.currency.is_resource();
    let field = if facility { "awarded_resource" } else { "awarded_amount" };
    let awarded = awarded.ok_or_else(|| Error::invalid(field, "is required"))?;
    if let Some((field, why)) = super::money::mismatch(&awarded, &p.currency, "awarded_amount", "awarded_resource") {
        return Err(Error::invalid(field, why));
    }
    if !awarded.is_positive() {
        return Err(Error::invalid(field, "must be greater than zero"));
    }
    let requested = s.application.requested.as_ref().map_or(0, Money::minor);
    if awarded.minor() > requested {
        return Err(Error::invalid(field, "must not exceed the amount requested"));
    }
    if facility && schedule.is_some() {
        return Err(Error::invalid(
            "schedule",
            "a facility award has no payment schedule: its usage is recorded with RecordUsage",
        ));
    }
    // The programme's limit as it stands now, not as it was at submission.
    if awarded.minor() > p.max_award.minor() {
        let limit = if facility { "maximum request" } else { "maximum award" };
        return Err(Error::precondition(
            Reason::AwardAboveMaxAward,
            format!("awarding {awarded} is above the {limit} of {}: {}", p.name, p.max_award),
        ));
    }
    let committed = p
        .committed
        .checked_add(&awarded)
        .ok_or_else(|| Error::internal("committed overflows"))?;
    if committed.minor() > p.budget.minor() {
        let remaining = p.remaining_budget().map_or_else(String::new, |r| r.to_string());
        let (what, left) = if facility {
            ("capacity", "is free")
        } else {
            ("budget", "remains")
        };
        return Err(Error::precondition(
            Reason::BudgetExceeded,
            format!(
                "awarding {awarded} would exceed the {what} of {}: {remaining} {left}",
                p.name
            ),
        ));
    }
    let mut programme = p.clone();
    programme.committed = committed;
    programme.awards_issued += 1;
    programme.version += 1;
    programme.update_time = now;
    out.application.schedule = match facility {
        true => None,
        false => Some(super::postaward::decide::at_approval(schedule, &awarded)?),
    };
    out.application.award_number = Some(award_number(p, programme.awards_issued, now));
    out.application.awarded = Some(awarded);
    out.programme = Some(programme);
    Ok(out)
}

/// A disbursement, or a usage record of a facility award: never beyond
/// the award (the allocation); the first moves to ACTIVE.
pub fn disburse(caller: &Caller, s: &Situation, mut d: Disbursement, now: Timestamp) -> Result<Outcome> {
    let mut out = moved(caller, s, Action::Disburse, d.reference.clone(), now)?;
    let p = &s.programme;
    if let Some((field, why)) =
        super::money::mismatch(&d.amount, &p.currency, "disbursement.amount", "usage_record.amount")
    {
        return Err(Error::invalid(field, why));
    }
    let facility = p.currency.is_resource();
    let awarded = s.application.awarded.as_ref().map_or(0, Money::minor);
    let total = s
        .application
        .disbursed
        .checked_add(&d.amount)
        .ok_or_else(|| Error::internal("disbursed overflows"))?;
    if total.minor() > awarded && facility {
        let left = s
            .application
            .awarded
            .as_ref()
            .and_then(|a| a.checked_sub(&s.application.disbursed))
            .map_or_else(String::new, |l| l.to_string());
        return Err(Error::precondition(
            Reason::UsageExceedsAllocation,
            format!(
                "using {} would bring the usage to {total}, above the allocation of {}: {left} is left",
                d.amount,
                s.application
                    .awarded
                    .as_ref()
                    .map_or_else(String::new, Money::to_string)
            ),
        ));
    }
    if total.minor() > awarded {
        return Err(Error::precondition(
            Reason::DisbursementExceedsAward,
            format!(
                "disbursing {} would bring the total to {total}, above the award of {}",
                d.amount,
                s.application
                    .awarded
                    .as_ref()
                    .map_or_else(String::new, Money::to_string)
            ),
        ));
    }
    if !facility {
        super::postaward::decide::pay_tranche(&mut out.application, &mut d)?;
    }
    out.application.disbursed = total;
    if let Some(event) = &mut out.event {
        event.disbursement = Some(d.name.clone());
    }
    out.disbursement = Some(d);
    Ok(out)
}

/// Closing releases the undisbursed remainder back to the budget. Closing
/// an APPROVED grant that was never paid rescinds it, releasing the whole
/// award, and needs a reason.
pub fn close(caller: &Caller, s: &Situation, reason: String, now: Timestamp) -> Result<Outcome> {
    let rescind = s.application.state == State::Approved;
    let mut out = moved(caller, s, Action::Close, reason, now)?;
    if rescind && out.event.as_ref().is_some_and(|e| super::text::is_blank(&e.reason)) {
        return Err(Error::invalid(
            "reason",
            "is required to rescind an approved grant that was never paid",
        ));
    }
    let a = &s.application;
    let reason = out.event.as_ref().map_or("", |e| e.reason.as_str());
    out.application.closure = Some(super::postaward::decide::closure(a, reason)?);
    let awarded = a
        .awarded
        .clone()
        .unwrap_or_else(|| Money::zero(s.programme.currency.clone()));
    let remainder = awarded
        .checked_sub(&a.disbursed)
        .ok_or_else(|| Error::internal("remainder underflows"))?;
    let mut programme = s.programme.clone();
    programme.committed = programme
        .committed
        .checked_sub(&remainder)
        .ok_or_else(|| Error::internal("committed underflows"))?;
    programme.version += 1;
    programme.update_time = now;
    out.programme = Some(programme);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_action_pair_follows_the_graph() {
        use State::*;
        let allowed = [
            (Draft, Action::Submit, Submitted),
            (ChangesRequested, Action::Submit, Submitted),
            (Submitted, Action::StartReview, UnderReview),
            (Submitted, Action::RequestChanges, ChangesRequested),
            (UnderReview, Action::RequestChanges, ChangesRequested),
            (UnderReview, Action::Approve, Approved),
            (Submitted, Action::Reject, Rejected),
            (UnderReview, Action::Reject, Rejected),
            (Draft, Action::Withdraw, Withdrawn),
            (Submitted, Action::Withdraw, Withdrawn),
            (UnderReview, Action::Withdraw, Withdrawn),
            (ChangesRequested, Action::Withdraw, Withdrawn),
            (Approved, Action::Disburse, Active),
            (Active, Action::Disburse, Active),
            (Approved, Action::Close, Closed),
            (Active, Action::Close, Closed),
            (Submitted, Action::AssignReviewer, UnderReview),
            (UnderReview, Action::AssignReviewer, UnderReview),
        ];
        let actions = [
            Action::AssignReviewer,
            Action::Submit,
            Action::StartReview,
            Action::RequestChanges,
            Action::Approve,
            Action::Reject,
            Action::Withdraw,
            Action::Disburse,
            Action::Close,
        ];
        for state in State::ALL {
            for action in actions {
                let want = allowed
                    .iter()
                    .find(|(s, a, _)| *s == state && *a == action)
                    .map(|(_, _, t)| *t);
                match (transition(state, action), want) {
                    (Ok(got), Some(want)) => assert_eq!(got, want),
                    (Err(Error::FailedPrecondition { reason, message }), None) => {
                        assert_eq!(reason, Reason::InvalidState);
                        assert!(message.contains(state.as_str()), "{message}");
                    }
                    (got, want) => panic!("{state:?} {action:?}: {got:?}, expected {want:?}"),
                }
            }
        }
    }
}
