//! The ranking of a programme's applications under review against its
//! remaining budget.

use std::cmp::Ordering;

use super::{Review, Score, counts};
use crate::domain::application::{Application, State};
use crate::domain::ids::ProgrammeName;
use crate::domain::money::Money;
use crate::domain::programme::Programme;
use crate::domain::time::Timestamp;

/// One application of a ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedApplication {
    pub rank: i32,
    pub application: Application,
    pub mean: Option<Score>,
    pub completed: i32,
    pub required: i32,
    /// Highest minus lowest weighted review score.
    pub spread: Option<Score>,
    pub requested: Money,
    pub cumulative: Money,
    pub above_line: bool,
}

/// A programme's applications under review, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    pub programme: ProgrammeName,
    pub entries: Vec<RankedApplication>,
    pub remaining: Money,
    pub funded_count: i32,
    pub compute_time: Timestamp,
}

/// Ranks `candidates` (applications with their reviews): by mean weighted
/// score, best first (exactly, no rounding), ties by submit time then
/// name; applications without a completed review last. The funding line
/// falls at the first entry whose running total of requests exceeds the
/// remaining budget; entries without a completed review are never above it.
pub fn rank(programme: &Programme, candidates: Vec<(Application, Vec<Review>)>, now: Timestamp) -> Ranking {
    let currency = programme.currency.clone();
    let remaining = programme
        .remaining_budget()
        .unwrap_or_else(|| Money::zero(currency.clone()));
    let (settings, required) = match &programme.review {
        Some(s) => (Some(s), s.required_reviews),
        None => (None, 0),
    };
    let mut rows: Vec<(Application, Option<Score>, i32, Option<Score>)> = candidates
        .into_iter()
        .filter(|(a, _)| a.state == State::UnderReview)
        .map(|(a, reviews)| {
            let scores: Vec<Score> = settings
                .map(|s| {
                    reviews
                        .iter()
                        .filter(|r| counts(r, &a))
                        .filter_map(|r| r.score(s))
                        .collect()
                })
                .unwrap_or_default();
            let n = i32::try_from(scores.len()).unwrap_or(i32::MAX);
            if scores.is_empty() {
                return (a, None, 0, None);
            }
            let den = scores[0].den;
            let num: i128 = scores.iter().map(|s| s.num).sum();
            let hi = scores.iter().map(|s| s.num).max().unwrap_or(0);
            let lo = scores.iter().map(|s| s.num).min().unwrap_or(0);
            let mean = Score {
                num,
                den: den * i128::from(n),
            };
            (a, Some(mean), n, Some(Score { num: hi - lo, den }))
        })
        .collect();
    rows.sort_by(|(a, sa, _, _), (b, sb, _, _)| {
        let by_score = match (sa, sb) {
            (Some(x), Some(y)) => y.cmp_exact(*x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        by_score
            .then_with(|| a.submit_time.cmp(&b.submit_time))
            .then_with(|| a.name.to_string().cmp(&b.name.to_string()))
    });
    let mut cumulative: i128 = 0;
    let mut open = true;
    let mut funded_count = 0;
    let entries = rows
        .into_iter()
        .enumerate()
        .map(|(i, (application, mean, completed, spread))| {
            let requested = application.requested.as_ref().map_or(0, Money::minor);
            cumulative += i128::from(requested);
            let fits = cumulative <= i128::from(remaining.minor());
            let above_line = open && mean.is_some() && fits;
            if above_line {
                funded_count += 1;
            } else {
                open = false;
            }
            RankedApplication {
                rank: i32::try_from(i + 1).unwrap_or(i32::MAX),
                mean,
                completed,
                required,
                spread,
                requested: Money::from_minor(currency.clone(), requested),
                cumulative: Money::from_minor(currency.clone(), i64::try_from(cumulative).unwrap_or(i64::MAX)),
                above_line,
                application,
            }
        })
        .collect();
    Ranking {
        programme: programme.name.clone(),
        entries,
        remaining,
        funded_count,
        compute_time: now,
    }
}
