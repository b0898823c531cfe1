//! The decisions of the review actions: pure functions of the caller and
//! a [`Situation`], each returning an [`Outcome`] or an error (nothing is
//! written on error).

use super::{
    CriterionScore, MAX_COMMENT_CHARS, Review, ReviewInput, ReviewSettings, ReviewState, completed, conflict_with,
};
use crate::domain::access::{ApiKey, Caller, Role};
use crate::domain::application::State;
use crate::domain::error::{Error, Reason, Result, Violations};
use crate::domain::event::{NewEvent, ReviewActivity, ReviewActivityKind};
use crate::domain::ids::ReviewName;
use crate::domain::lifecycle::{Action, Outcome, Situation, authorise, not_visible, transition};
use crate::domain::programme::Programme;
use crate::domain::text;
use crate::domain::time::Timestamp;

fn settings_of(p: &Programme) -> Result<&ReviewSettings> {
    p.review.as_ref().ok_or_else(|| {
        Error::precondition(
            Reason::ReviewNotConfigured,
            format!("{} has no review settings; an administrator sets them first", p.name),
        )
    })
}

fn event(caller: &Caller, previous: State, new: State, activity: ReviewActivity) -> NewEvent {
    let mut e = NewEvent::by(caller, Some(previous), new, String::new());
    e.review = Some(activity);
    e
}

/// FAILED_PRECONDITION when the person behind a reviewer's key (by ORCID
/// iD) is on the application's team.
fn check_team_conflict(person: Option<&crate::domain::team::Person>, s: &Situation, hint: &str) -> Result<()> {
    let Some(orcid) = person.and_then(|p| p.orcid.as_ref()) else {
        return Ok(());
    };
    if s.application.team.iter().any(|m| m.orcid.as_ref() == Some(orcid)) {
        return Err(Error::precondition(
            Reason::ConflictOfInterest,
            format!(
                "this reviewer ({}) is on the team of {}{hint}",
                orcid.as_str(),
                s.application.name
            ),
        ));
    }
    Ok(())
}

fn unchanged(s: &Situation, review: Review) -> Outcome {
    Outcome {
        application: s.application.clone(),
        programme: None,
        event: None,
        disbursement: None,
        review_label: Some(super::label_among(&s.reviews, &review)),
        review: Some(review),
        document: None,
        noop: true,
    }
}

/// Assigning `reviewer` (a key read before the transaction) as review
/// `name` (used only for a new assignment).
pub fn assign(caller: &Caller, s: &Situation, reviewer: &ApiKey, name: ReviewName, now: Timestamp) -> Result<Outcome> {
    authorise(caller, Action::AssignReviewer, &s.application)?;
    let previous = s.application.state;
    let new = transition(previous, Action::AssignReviewer)?;
    let settings = settings_of(&s.programme)?;
    let programme = &s.application.name.programme;
    let affiliation = match (&reviewer.role, &reviewer.revoke_time, &reviewer.institution) {
        (Role::Reviewer, None, Some(i)) if reviewer.programmes.contains(programme) => i.clone(),
        (Role::Reviewer, Some(_), _) => return Err(Error::invalid("reviewer", "this reviewer key was revoked")),
        (Role::Reviewer, None, _) => {
            return Err(Error::invalid(
                "reviewer",
                format!("this reviewer key is not scoped to {programme}"),
            ));
        }
        _ => return Err(Error::invalid("reviewer", "is not a reviewer key")),
    };
    if let Some(existing) = s.reviews.iter().find(|r| r.reviewer == reviewer.name) {
        if existing.state == ReviewState::ConflictDeclared {
            return Err(Error::precondition(
                Reason::ConflictOfInterest,
                format!(
                    "this reviewer declared a conflict of interest on {}",
                    s.application.name
                ),
            ));
        }
        return Ok(unchanged(s, existing.clone()));
    }
    if let Some(role) = conflict_with(&affiliation, &s.application) {
        return Err(Error::precondition(
            Reason::ConflictOfInterest,
            format!("this reviewer is affiliated with {affiliation}, {role} of this application"),
        ));
    }
    check_team_conflict(reviewer.person.as_ref(), s, "")?;
    let review = Review {
        name,
        reviewer: reviewer.name.clone(),
        reviewer_institution: affiliation,
        ordinal: i32::try_from(s.reviews.len() + 1).unwrap_or(i32::MAX),
        state: ReviewState::Assigned,
        scores: Vec::new(),
        recommendation: None,
        applicant_comment: String::new(),
        officer_comment: String::new(),
        conflict_reason: String::new(),
        assigned_by: caller.key.clone(),
        assign_time: now,
        submit_time: None,
        update_time: now,
        revision: 0,
    };
    let mut application = s.application.clone();
    if new != previous {
        application.state = new;
        application.version += 1;
        application.update_time = now;
    }
    let activity = ReviewActivity {
        kind: ReviewActivityKind::ReviewerAssigned,
        review: Some(review.name.clone()),
        completed: completed(&s.reviews, &s.application),
        required: settings.required_reviews,
    };
    Ok(Outcome {
        application,
        programme: None,
        event: Some(event(caller, previous, new, activity)),
        disbursement: None,
        review_label: Some(super::label_among(&s.reviews, &review)),
        review: Some(review),
        document: None,
        noop: false,
    })
}

/// The review `name` of the situation, if the caller may act on it.
fn own_review<'a>(caller: &Caller, s: &'a Situation, name: &ReviewName) -> Result<&'a Review> {
    let found = s.reviews.iter().find(|r| r.name.id() == name.id());
    match found {
        Some(r) if caller.role == Role::Admin || r.reviewer == caller.key => Ok(r),
        None if caller.role == Role::Admin => Err(Error::NotFound {
            resource: name.to_string(),
        }),
        _ => Err(not_visible(name)),
    }
}

fn undecided(state: State, action: &str) -> Result<()> {
    if matches!(state, State::Submitted | State::UnderReview | State::ChangesRequested) {
        Ok(())
    } else {
        Err(Error::precondition(
            Reason::InvalidState,
            format!("cannot {action} an application in state {}", state.as_str()),
        ))
    }
}

/// The assigned reviewer (or an administrator) ends the assignment.
pub fn declare_conflict(
    caller: &Caller,
    s: &Situation,
    name: &ReviewName,
    reason: String,
    now: Timestamp,
) -> Result<Outcome> {
    caller.require(&[Role::Admin, Role::Reviewer], "declare conflicts of interest")?;
    let current = own_review(caller, s, name)?;
    if current.state == ReviewState::ConflictDeclared {
        return Ok(unchanged(s, current.clone()));
    }
    undecided(s.application.state, "declare a conflict on")?;
    let settings = settings_of(&s.programme)?;
    let mut review = current.clone();
    review.state = ReviewState::ConflictDeclared;
    review.conflict_reason = reason;
    review.update_time = now;
    let others: Vec<Review> = s.reviews.iter().filter(|r| r.name != review.name).cloned().collect();
    let state = s.application.state;
    let activity = ReviewActivity {
        kind: ReviewActivityKind::ConflictDeclared,
        review: Some(review.name.clone()),
        completed: completed(&others, &s.application),
        required: settings.required_reviews,
    };
    Ok(Outcome {
        application: s.application.clone(),
        programme: None,
        event: Some(event(caller, state, state, activity)),
        disbursement: None,
        review_label: Some(super::label_among(&s.reviews, &review)),
        review: Some(review),
        document: None,
        noop: false,
    })
}

/// Checks a review's scores and texts against the programme's settings.
fn check_input(input: &ReviewInput, settings: &ReviewSettings) -> Result<Vec<CriterionScore>> {
    let mut v = Violations::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, s) in input.scores.iter().enumerate() {
        let at = format!("review.scores[{i}]");
        if !settings.criteria.iter().any(|c| c.name == s.criterion) {
            v.add(
                format!("{at}.criterion"),
                format!(
                    "{} is not a criterion of this programme ({})",
                    text::excerpt(&s.criterion),
                    settings
                        .criteria
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        } else if seen.contains(&s.criterion.as_str()) {
            v.add(
                format!("{at}.criterion"),
                format!("{} is scored twice", text::excerpt(&s.criterion)),
            );
        } else {
            seen.push(&s.criterion);
        }
        if !(1..=settings.max_score).contains(&s.score) {
            v.add(
                format!("{at}.score"),
                format!("must be from 1 to {}, got {}", settings.max_score, s.score),
            );
        }
    }
    let missing: Vec<&str> = settings
        .criteria
        .iter()
        .filter(|c| !input.scores.iter().any(|s| s.criterion == c.name))
        .map(|c| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        v.add("review.scores", format!("needs a score for {}", missing.join(", ")));
    }
    if input.recommendation.is_none() {
        v.add(
            "review.recommendation",
            "is required (FUND, FUND_WITH_CHANGES or DO_NOT_FUND)",
        );
    }
    v.check(text::optional(
        &input.applicant_comment,
        "review.applicant_comment",
        MAX_COMMENT_CHARS,
    ));
    v.check(text::optional(
        &input.officer_comment,
        "review.officer_comment",
        MAX_COMMENT_CHARS,
    ));
    v.finish()?;
    Ok(settings
        .criteria
        .iter()
        .filter_map(|c| input.scores.iter().find(|s| s.criterion == c.name).cloned())
        .collect())
}

/// The assigned reviewer submits (or revises) the review.
pub fn submit_review(
    caller: &Caller,
    s: &Situation,
    name: &ReviewName,
    input: &ReviewInput,
    now: Timestamp,
) -> Result<Outcome> {
    caller.require(&[Role::Reviewer], "submit reviews")?;
    let current = own_review(caller, s, name)?;
    if current.state == ReviewState::ConflictDeclared {
        return Err(Error::precondition(
            Reason::AssignmentEnded,
            format!("{name} ended when a conflict of interest was declared; it takes no review"),
        ));
    }
    let state = s.application.state;
    if !matches!(state, State::Submitted | State::UnderReview) {
        return Err(Error::precondition(
            Reason::InvalidState,
            format!("cannot review an application in state {}", state.as_str()),
        ));
    }
    if let Some(role) = conflict_with(&current.reviewer_institution, &s.application) {
        return Err(Error::precondition(
            Reason::ConflictOfInterest,
            format!(
                "this reviewer is affiliated with {}, now {role} of this application; declare the conflict",
                current.reviewer_institution
            ),
        ));
    }
    check_team_conflict(caller.person.as_ref(), s, "; declare the conflict")?;
    let settings = settings_of(&s.programme)?;
    let scores = check_input(input, settings)?;
    let first = current.state == ReviewState::Assigned;
    let mut review = current.clone();
    review.state = ReviewState::Completed;
    review.scores = scores;
    review.recommendation = input.recommendation;
    review.applicant_comment = input.applicant_comment.clone();
    review.officer_comment = input.officer_comment.clone();
    review.revision += 1;
    review.update_time = now;
    if first {
        review.submit_time = Some(now);
    }
    let after: Vec<Review> = s
        .reviews
        .iter()
        .map(|r| {
            if r.name == review.name {
                review.clone()
            } else {
                r.clone()
            }
        })
        .collect();
    let programme = (!settings.locked).then(|| {
        let mut p = s.programme.clone();
        if let Some(r) = &mut p.review {
            r.locked = true;
        }
        p.version += 1;
        p.update_time = now;
        p
    });
    let activity = ReviewActivity {
        kind: if first {
            ReviewActivityKind::ReviewSubmitted
        } else {
            ReviewActivityKind::ReviewRevised
        },
        review: Some(review.name.clone()),
        completed: completed(&after, &s.application),
        required: settings.required_reviews,
    };
    Ok(Outcome {
        application: s.application.clone(),
        programme,
        event: Some(event(caller, state, state, activity)),
        disbursement: None,
        review_label: Some(super::label_among(&s.reviews, &review)),
        review: Some(review),
        document: None,
        noop: false,
    })
}

/// Approval under peer review: refused while reviews are incomplete,
/// unless overridden with a reason. Returns the activity to record when
/// the approval overrides missing reviews.
pub fn check_reviews_for_approval(
    s: &Situation,
    override_incomplete: bool,
    reason: &str,
) -> Result<Option<ReviewActivity>> {
    let Some(settings) = &s.programme.review else {
        return Ok(None);
    };
    let done = completed(&s.reviews, &s.application);
    if done >= settings.required_reviews {
        return Ok(None);
    }
    if !override_incomplete {
        return Err(Error::precondition(
            Reason::ReviewsIncomplete,
            format!(
                "{done} of the {} required reviews are complete; approve with override_incomplete_reviews and a reason to decide anyway",
                settings.required_reviews
            ),
        ));
    }
    if crate::domain::text::is_blank(reason) {
        return Err(Error::invalid("reason", "is required to override incomplete reviews"));
    }
    Ok(Some(ReviewActivity {
        kind: ReviewActivityKind::ReviewsOverridden,
        review: None,
        completed: done,
        required: settings.required_reviews,
    }))
}
