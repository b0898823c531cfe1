//! What a watcher may see of the event log, and programme summaries.

use super::access::{Caller, Role};
use super::application::{Relation, State, View};
use super::error::{Error, Reason, Result};
use super::event::{ApplicationEvent, Cursor, ReviewActivityKind};
use super::ids::{ApplicationName, InstitutionName, ProgrammeName, ReviewName};
use super::institution::Region;
use super::lifecycle::not_visible;
use super::money::{Currency, Money, Total};
use super::programme::Programme;
use super::time::Timestamp;

/// Which events a reader receives: the request's filter intersected with
/// the caller's scope. Every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventScope {
    /// `None`: every programme.
    pub programmes: Option<Vec<ProgrammeName>>,
    /// The applicant institution.
    pub institution: Option<InstitutionName>,
    pub application: Option<ApplicationName>,
    /// A reviewer's stream: it ends after the event that ends this review's
    /// assignment.
    pub review: Option<ReviewName>,
    /// Events of applications this institution applied for or is named on
    /// as a partner (in the event's snapshot), or only one of the two.
    pub involving: Option<(InstitutionName, Option<Relation>)>,
}

impl EventScope {
    /// Everything (the tailer's scope).
    pub fn all() -> Self {
        Self::default()
    }

    pub fn matches(&self, event: &ApplicationEvent) -> bool {
        self.programmes
            .as_ref()
            .is_none_or(|list| list.contains(&event.programme))
            && self.institution.as_ref().is_none_or(|i| i == &event.applicant)
            && self.application.as_ref().is_none_or(|a| a == &event.application)
            && self.involving.as_ref().is_none_or(|(i, relation)| match relation {
                None => &event.applicant == i || event.snapshot.has_partner(i),
                Some(Relation::Own) => &event.applicant == i,
                Some(Relation::Partner) => event.snapshot.has_partner(i),
            })
    }

    /// Whether `event` ends this reviewer's stream: its assignment ended.
    pub fn ends_after(&self, event: &ApplicationEvent) -> bool {
        match (&self.review, &event.review) {
            (Some(mine), Some(activity)) => {
                activity.kind == ReviewActivityKind::ConflictDeclared && activity.review.as_ref() == Some(mine)
            }
            _ => false,
        }
    }
}

/// A watch request's filter, before it meets the caller's scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchFilter {
    pub programme: Option<ProgrammeName>,
    pub institution: Option<InstitutionName>,
    pub application: Option<ApplicationName>,
    /// Own applications, partnered ones, or (`None`) both.
    pub relation: Option<Relation>,
}

impl WatchFilter {
    /// Parses the three optional filter fields; at most one may be set.
    pub fn parse(programme: &str, institution: &str, application: &str) -> Result<Self> {
        let set = [programme, institution, application]
            .iter()
            .filter(|s| !s.is_empty())
            .count();
        if set > 1 {
            return Err(Error::invalid(
                "programme",
                "set at most one of programme, applicant_institution and application",
            ));
        }
        Ok(Self {
            programme: (!programme.is_empty())
                .then(|| ProgrammeName::parse(programme, "programme"))
                .transpose()?,
            institution: (!institution.is_empty())
                .then(|| InstitutionName::parse(institution, "applicant_institution"))
                .transpose()?,
            application: (!application.is_empty())
                .then(|| ApplicationName::parse(application, "application"))
                .transpose()?,
            relation: None,
        })
    }

    /// The scope `caller` gets for this filter, or PERMISSION_DENIED when
    /// the filter names something outside the caller's scope. (Whether a
    /// named application exists and is the applicant's own is checked by
    /// the caller of this function.)
    pub fn scope_for(self, caller: &Caller) -> Result<EventScope> {
        let WatchFilter {
            programme,
            institution,
            application,
            relation,
        } = self;
        let mut scope = EventScope {
            programmes: None,
            institution,
            application,
            review: None,
            involving: None,
        };
        if let Some(p) = programme {
            caller.require_programme(&p)?;
            scope.programmes = Some(vec![p]);
        }
        if let Some(a) = &scope.application {
            caller.require_programme(&a.programme).map_err(|_| not_visible(a))?;
        }
        if caller.role != Role::Applicant && relation.is_some() {
            // For other roles, `relation` qualifies the institution named.
            let Some(institution) = scope.institution.take() else {
                return Err(Error::invalid(
                    "relation",
                    "needs applicant_institution to say whose relation it is",
                ));
            };
            scope.involving = Some((institution, relation));
        }
        match caller.role {
            Role::Admin => {}
            Role::Applicant => {
                let own = caller.institution.clone();
                // Another applicant's events only as its partner.
                if scope.institution.is_some() && scope.institution != own && relation != Some(Relation::Partner) {
                    return Err(Error::denied(
                        Reason::OutOfScope,
                        "applicants watch their own institution, or others' applications they are partners on \
                         (relation PARTNER)",
                    ));
                }
                let own = own.unwrap_or_else(|| InstitutionName::from_id("-"));
                scope.involving = Some((own, relation));
            }
            Role::Officer | Role::Viewer => {
                if scope.programmes.is_none() {
                    scope.programmes = caller.programme_scope().map(<[_]>::to_vec);
                }
            }
            Role::Reviewer => {
                // The application named was checked to be assigned.
                if scope.application.is_none() {
                    return Err(Error::denied(
                        Reason::OutOfScope,
                        "reviewers watch the applications assigned to them, one application at a time",
                    ));
                }
            }
        }
        Ok(scope)
    }
}

/// One item of an event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchItem {
    /// An event, shared by every watcher that gets it, and how much of its
    /// application snapshot this watcher may see.
    Event(std::sync::Arc<ApplicationEvent>, View),
    /// Nothing in scope lately: resuming after this cursor misses nothing.
    Progress(Cursor),
}

/// Counts and money totals of one programme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeSummary {
    pub programme: ProgrammeName,
    pub counts: Vec<(State, i64)>,
    /// Requested by applications past DRAFT and not withdrawn.
    pub requested: Total,
    pub committed: Money,
    pub disbursed: Total,
    pub remaining_budget: Money,
    pub compute_time: Timestamp,
    /// Awards made and not rescinded.
    pub award_count: i64,
    /// The same money by the applicants' region, in region order; only
    /// regions with applications.
    pub regions: Vec<RegionTotals>,
    /// Completed reviews of applications awaiting a decision, each counted
    /// up to what its application needs, and what they need in all.
    pub reviews_completed: i64,
    pub reviews_required: i64,
    /// Reports of running grants waiting for the applicant and not past
    /// due, overdue, and accepted (of every grant).
    pub reports: crate::domain::postaward::ReportCounts,
}

/// Money and awards of one programme for applicants of one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionTotals {
    pub region: Region,
    /// Requested by applications past DRAFT and not withdrawn.
    pub requested: Total,
    /// Awarded and not released: the whole award of APPROVED and ACTIVE
    /// grants, what was paid of CLOSED ones.
    pub committed: Total,
    pub disbursed: Total,
    pub award_count: i64,
}

/// The applications of one programme in one state from one region, as the
/// store sums them (minor units, wide).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryGroup {
    pub state: State,
    pub region: Region,
    pub count: i64,
    pub requested: i128,
    pub awarded: i128,
    pub disbursed: i128,
    /// Applications of the group with a disbursement.
    pub paid: i64,
    /// Their reports: due, overdue, accepted.
    pub reports: crate::domain::postaward::ReportCounts,
}

impl RegionTotals {
    fn zero(region: Region, currency: &Currency) -> Self {
        Self {
            region,
            requested: Total::zero(currency.clone()),
            committed: Total::zero(currency.clone()),
            disbursed: Total::zero(currency.clone()),
            award_count: 0,
        }
    }
}

impl ProgrammeSummary {
    /// The summary of `programme` from its groups of applications and,
    /// under peer review, the completed reviews of each application
    /// awaiting a decision.
    pub fn from_groups(programme: &Programme, groups: &[SummaryGroup], awaiting: &[i64]) -> Self {
        let currency = &programme.currency;
        let mut counts: Vec<(State, i64)> = Vec::new();
        let mut requested = Total::zero(currency.clone());
        let mut disbursed = Total::zero(currency.clone());
        let mut regions: Vec<RegionTotals> = Vec::new();
        let mut award_count = 0;
        let mut reports = crate::domain::postaward::ReportCounts::default();
        for g in groups {
            reports.due += g.reports.due;
            reports.overdue += g.reports.overdue;
            reports.accepted += g.reports.accepted;
            match counts.iter_mut().find(|(s, _)| *s == g.state) {
                Some((_, n)) => *n += g.count,
                None => counts.push((g.state, g.count)),
            }
            let at = match regions.iter().position(|r| r.region == g.region) {
                Some(at) => at,
                None => {
                    regions.push(RegionTotals::zero(g.region, currency));
                    regions.len() - 1
                }
            };
            let region = &mut regions[at];
            if !matches!(g.state, State::Draft | State::Withdrawn) {
                requested.add_minor(g.requested);
                region.requested.add_minor(g.requested);
            }
            disbursed.add_minor(g.disbursed);
            region.disbursed.add_minor(g.disbursed);
            let (committed, awards) = match g.state {
                State::Approved | State::Active => (g.awarded, g.count),
                State::Closed => (g.disbursed, g.paid),
                _ => (0, 0),
            };
            region.committed.add_minor(committed);
            region.award_count += awards;
            award_count += awards;
        }
        counts.sort();
        regions.sort_by_key(|r| r.region);
        let (reviews_completed, reviews_required) = match &programme.review {
            Some(r) => {
                let need = i64::from(r.required_reviews);
                let waiting: i64 = groups
                    .iter()
                    .filter(|g| matches!(g.state, State::Submitted | State::UnderReview))
                    .map(|g| g.count)
                    .sum();
                (awaiting.iter().map(|n| (*n).min(need)).sum(), need * waiting)
            }
            None => (0, 0),
        };
        Self {
            programme: programme.name.clone(),
            counts,
            requested,
            committed: programme.committed.clone(),
            disbursed,
            remaining_budget: programme
                .remaining_budget()
                .unwrap_or_else(|| Money::zero(currency.clone())),
            compute_time: Timestamp::now(),
            award_count,
            regions,
            reviews_completed,
            reviews_required,
            reports,
        }
    }
}

/// Errors that end a stream.
pub fn too_slow() -> Error {
    Error::ResourceExhausted {
        reason: Reason::WatcherTooSlow,
        message: "this watcher fell too far behind; resume from the last cursor you received".into(),
    }
}

pub fn shutting_down() -> Error {
    Error::Unavailable {
        reason: Reason::ShuttingDown,
        message: "the server is shutting down; resume from the last cursor on another replica".into(),
    }
}

/// The answer of a call cut unanswered at the end of the shutdown grace:
/// its work may have been done (a statement the database had already
/// received completes without its client), so the client finds out by
/// retrying with the same request id.
pub fn cut_at_shutdown() -> Error {
    Error::Unavailable {
        reason: Reason::ShuttingDown,
        message: "the server shut down before this call answered; it may or may not have taken effect: \
                  retry it with the same request_id (on another replica) to find out"
            .into(),
    }
}

pub fn assignment_ended() -> Error {
    Error::denied(
        Reason::OutOfScope,
        "this reviewer's assignment to the application ended (a conflict of interest was declared)",
    )
}

pub fn key_revoked() -> Error {
    Error::Unauthenticated {
        reason: Reason::KeyRevoked,
        message: "the API key of this stream was revoked".into(),
    }
}

pub fn cursor_unknown_log() -> Error {
    Error::OutOfRange {
        reason: Reason::CursorUnknownLog,
        message: "this cursor was issued by another event log (another database or environment); \
                  list the current state again and watch from a new cursor"
            .into(),
    }
}

pub fn cursor_ahead(cursor: Cursor, head: Cursor) -> Error {
    Error::OutOfRange {
        reason: Reason::CursorAhead,
        message: format!(
            "cursor {} is beyond the newest event ({}) of this event log, as after a restore from backup; \
             list the current state again and watch from a new cursor",
            cursor.encode(),
            head.encode()
        ),
    }
}

pub fn cursor_expired(cursor: Cursor, oldest: Cursor) -> Error {
    Error::OutOfRange {
        reason: Reason::CursorExpired,
        message: format!(
            "events after cursor {} were pruned (retained from {} on); list the current state again and watch from a new cursor",
            cursor.encode(),
            oldest.encode()
        ),
    }
}
