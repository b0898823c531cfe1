//! Views of peer review: reviews, the ranking of a programme with its
//! funding line, the review activity of events, and a programme's review
//! settings (see views.rs for the other resources).

use gba_grants::proto::v1;
use gba_grants::proto::v1::review::{Recommendation, State};
use gba_grants::proto::v1::review_activity::Kind;
use serde_json::Value;

use crate::json::out;
use crate::names;
use crate::table;
use crate::views::{Resource, amount, time};

/// A review's state: `ASSIGNED`, `COMPLETED`, `CONFLICT_DECLARED`.
pub fn review_state_word(v: i32) -> String {
    match State::try_from(v) {
        Ok(State::Unspecified) => "—".to_owned(),
        Ok(s) => s.as_str_name().trim_start_matches("STATE_").to_owned(),
        Err(_) => format!("state {v}"),
    }
}

/// `FUND`, `FUND_WITH_CHANGES`, `DO_NOT_FUND` (as `--recommendation` takes them).
pub fn recommendation_word(v: i32) -> String {
    match Recommendation::try_from(v) {
        Ok(Recommendation::Unspecified) => String::new(),
        Ok(r) => r.as_str_name().trim_start_matches("RECOMMENDATION_").to_owned(),
        Err(_) => format!("recommendation {v}"),
    }
}

/// A weighted score to two decimals: `4.20`.
pub fn score(v: f64) -> String {
    format!("{v:.2}")
}

/// `scientific merit=4, feasibility=3`: the form `--score` takes.
fn scores(r: &v1::Review) -> String {
    r.scores
        .iter()
        .map(|s| format!("{}={}", s.criterion, s.score))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The weighted score of a completed review, else nothing.
fn weighted(r: &v1::Review) -> String {
    if r.state == State::Completed as i32 {
        score(r.weighted_score)
    } else {
        String::new()
    }
}

impl Resource for v1::Review {
    const PLURAL: &'static str = "reviews";

    fn name(&self) -> String {
        self.name.clone()
    }

    fn json(&self) -> Value {
        out::review(self)
    }

    fn header() -> &'static [&'static str] {
        &[
            "REVIEW",
            "LABEL",
            "REVIEWER",
            "STATE",
            "SCORE",
            "RECOMMENDATION",
            "UPDATED",
        ]
    }

    fn row(&self) -> Vec<String> {
        vec![
            names::id(&self.name).to_owned(),
            self.reviewer_label.clone(),
            self.reviewer.clone(),
            review_state_word(self.state),
            weighted(self),
            recommendation_word(self.recommendation),
            time(self.update_time.as_ref()),
        ]
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Name", self.name.clone()),
            ("Label", self.reviewer_label.clone()),
            ("Reviewer", self.reviewer.clone()),
            ("Affiliation", self.reviewer_institution.clone()),
            ("State", review_state_word(self.state)),
            ("Scores", scores(self)),
            ("Weighted score", weighted(self)),
            ("Recommendation", recommendation_word(self.recommendation)),
            ("For the applicant", self.applicant_comment.clone()),
            ("For the officer", self.officer_comment.clone()),
            ("Conflict", self.conflict_reason.clone()),
            ("Assigned by", self.assigned_by.clone()),
            ("Assigned", time(self.assign_time.as_ref())),
            ("Submitted", time(self.submit_time.as_ref())),
            ("Updated", time(self.update_time.as_ref())),
            (
                "Revision",
                if self.revision == 0 {
                    String::new()
                } else {
                    self.revision.to_string()
                },
            ),
        ]
    }
}

/// What a peer-review event did, compactly:
/// `review R submitted (1/2 complete)`.
pub fn activity(a: &v1::ReviewActivity) -> String {
    let id = names::id(&a.review);
    let what = match Kind::try_from(a.kind) {
        Ok(Kind::ReviewerAssigned) => format!("review {id} assigned"),
        Ok(Kind::ConflictDeclared) => format!("review {id}: conflict declared"),
        Ok(Kind::ReviewSubmitted) => format!("review {id} submitted"),
        Ok(Kind::ReviewRevised) => format!("review {id} revised"),
        Ok(Kind::ReviewsOverridden) => "incomplete reviews overridden".to_owned(),
        Ok(Kind::Unspecified) | Err(_) => format!("review activity {}", a.kind),
    };
    format!("{what} ({}/{} complete)", a.completed_reviews, a.required_reviews)
}

/// A programme's review settings as two field-list lines (none when the
/// programme does not use peer review).
pub fn settings_details(p: &v1::Programme) -> Vec<(&'static str, String)> {
    let Some(r) = &p.review_settings else {
        return Vec::new();
    };
    let mut how = format!("{} reviews required, scores 1–{}", r.required_reviews, r.max_score);
    if r.reviewers_see_investigator_email {
        how.push_str(", reviewers see the investigator's e-mail");
    }
    if r.locked {
        how.push_str(", settings locked (a review was submitted)");
    }
    let criteria = r
        .criteria
        .iter()
        .map(|c| format!("{} ({})", c.name, c.weight))
        .collect::<Vec<_>>()
        .join(", ");
    vec![("Peer review", how), ("Review criteria", criteria)]
}

const RANKING_HEADER: &[&str] = &[
    "RANK",
    "APPLICATION",
    "TITLE",
    "MEAN",
    "REVIEWS",
    "SPREAD",
    "REQUESTED",
    "CUMULATIVE",
];

fn ranking_row(e: &v1::RankedApplication) -> Vec<String> {
    let none = || "—".to_owned();
    vec![
        e.rank.to_string(),
        names::short_application(&e.application),
        table::truncate(&e.title, 40),
        if e.completed_reviews > 0 {
            score(e.mean_score)
        } else {
            none()
        },
        format!("{}/{}", e.completed_reviews, e.required_reviews),
        if e.completed_reviews > 1 {
            score(e.score_spread)
        } else {
            none()
        },
        amount(e.requested_amount.as_ref(), e.requested_resource.as_ref()),
        amount(
            e.cumulative_requested.as_ref(),
            e.cumulative_requested_resource.as_ref(),
        ),
    ]
}

/// The ranking for people: the programme and its remaining budget (of a
/// facility programme, its remaining capacity), then the entries best
/// first, with the funding line drawn across the table below the last
/// entry above it.
pub fn ranking_table(r: &v1::ReviewRanking) -> String {
    let remaining = amount(r.remaining_budget.as_ref(), r.remaining_capacity.as_ref());
    let label = if r.remaining_capacity.is_some() && r.remaining_budget.is_none() {
        "Remaining capacity"
    } else {
        "Remaining budget"
    };
    let mut out = table::fields(&[
        ("Programme", r.programme.clone()),
        (label, remaining.clone()),
        ("Above the line", format!("{} of {}", r.funded_count, r.entries.len())),
        ("Computed", time(r.compute_time.as_ref())),
    ]);
    out.push('\n');
    if r.entries.is_empty() {
        out.push_str("No applications under review.\n");
        return out;
    }
    let rows: Vec<Vec<String>> = r.entries.iter().map(ranking_row).collect();
    let rendered = table::render(RANKING_HEADER, &rows);
    let lines: Vec<&str> = rendered.lines().collect();
    let label = format!("── funding line: {remaining} remaining ");
    let width = lines.iter().map(|l| table::width(l)).max().unwrap_or(0);
    let funding = format!("{label}{}", "─".repeat(width.saturating_sub(table::width(&label))));
    // Entries above the line come first; the line falls before the first
    // entry that is not.
    let above = r
        .entries
        .iter()
        .position(|e| !e.above_funding_line)
        .unwrap_or(r.entries.len());
    for (i, line) in lines.iter().enumerate() {
        if i == above + 1 {
            out.push_str(&funding);
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
    }
    if above == r.entries.len() {
        out.push_str(&funding);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        rank: i32,
        mean: f64,
        completed: i32,
        requested: i64,
        cumulative: i64,
        above: bool,
    ) -> v1::RankedApplication {
        let cny = |units| v1::Money {
            currency_code: "CNY".into(),
            units,
            nanos: 0,
        };
        v1::RankedApplication {
            rank,
            application: format!("programmes/p/applications/a{rank}"),
            title: format!("Project {rank}"),
            mean_score: mean,
            completed_reviews: completed,
            required_reviews: 2,
            score_spread: 0.6,
            requested_amount: Some(cny(requested)),
            cumulative_requested: Some(cny(cumulative)),
            above_funding_line: above,
            ..Default::default()
        }
    }

    #[test]
    fn the_funding_line_falls_below_the_last_entry_that_fits() {
        let mut ranking = v1::ReviewRanking {
            programme: "programmes/p".into(),
            entries: vec![
                entry(1, 4.2, 2, 800_000, 800_000, true),
                entry(2, 3.9, 1, 900_000, 1_700_000, false),
                entry(3, 0.0, 0, 100_000, 1_800_000, false),
            ],
            remaining_budget: Some(v1::Money {
                currency_code: "CNY".into(),
                units: 1_500_000,
                nanos: 0,
            }),
            funded_count: 1,
            compute_time: None,
            remaining_capacity: None,
        };
        let expected = "\
Programme:         programmes/p
Remaining budget:  CNY 1,500,000.00
Above the line:    1 of 3

RANK  APPLICATION  TITLE      MEAN  REVIEWS  SPREAD  REQUESTED       CUMULATIVE
1     p/a1         Project 1  4.20  2/2      0.60    CNY 800,000.00  CNY 800,000.00
── funding line: CNY 1,500,000.00 remaining ─────────────────────────────────────────
2     p/a2         Project 2  3.90  1/2      —       CNY 900,000.00  CNY 1,700,000.00
3     p/a3         Project 3  —     0/2      —       CNY 100,000.00  CNY 1,800,000.00
";
        assert_eq!(ranking_table(&ranking), expected);
        // Every entry above the line: the line closes the table.
        ranking.entries.truncate(1);
        let text = ranking_table(&ranking);
        let lines: Vec<&str> = text.lines().rev().take(2).collect();
        assert!(
            lines[0].starts_with("── funding line: CNY 1,500,000.00 remaining ─"),
            "{text}"
        );
        assert!(lines[1].starts_with("1 "), "{text}");
    }

    #[test]
    fn a_facility_ranking_reads_in_its_unit() {
        let beam = |steps| {
            Some(v1::ResourceAmount {
                unit: "beam-h".into(),
                steps,
                value: String::new(),
            })
        };
        let mut e = entry(1, 4.2, 2, 0, 0, true);
        (e.requested_amount, e.cumulative_requested) = (None, None);
        (e.requested_resource, e.cumulative_requested_resource) = (beam(193), beam(193));
        let ranking = v1::ReviewRanking {
            programme: "programmes/p".into(),
            entries: vec![e],
            remaining_capacity: beam(2_481),
            funded_count: 1,
            ..Default::default()
        };
        let text = ranking_table(&ranking);
        assert!(
            text.starts_with("Programme:           programmes/p\nRemaining capacity:  1,240.5 beam-h\n"),
            "{text}"
        );
        assert!(text.contains("96.5 beam-h  96.5 beam-h"), "{text}");
        assert!(text.contains("── funding line: 1,240.5 beam-h remaining ─"), "{text}");
    }

    #[test]
    fn activity_is_compact() {
        let a = v1::ReviewActivity {
            kind: Kind::ReviewSubmitted as i32,
            review: "programmes/p/applications/a/reviews/r1".into(),
            completed_reviews: 1,
            required_reviews: 2,
        };
        assert_eq!(activity(&a), "review r1 submitted (1/2 complete)");
        let o = v1::ReviewActivity {
            kind: Kind::ReviewsOverridden as i32,
            review: String::new(),
            completed_reviews: 1,
            required_reviews: 2,
        };
        assert_eq!(activity(&o), "incomplete reviews overridden (1/2 complete)");
    }
}
