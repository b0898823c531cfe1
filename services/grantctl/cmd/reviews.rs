//! `grantctl reviews` (alias `review`): the officers' decisions
//! `start|request-changes|approve|reject` (review.rs) and peer review
//! `assign|declare-conflict|submit|get|list`, in one tree; and the ranking
//! behind `grantctl programmes ranking`. A review is
//! `programmes/P/applications/A/reviews/R` or `P/A/R`.

use clap::{Subcommand, ValueEnum};
use gba_grants::proto::v1;
use gba_grants::proto::v1::review::Recommendation;
use gba_grants::proto::v1::review_service_client::ReviewServiceClient as Client;

use super::{AppRef, Ctx, ListArgs, WriteArgs};
use crate::error::{CliError, Result};
use crate::json::{input, out};
use crate::names;
use crate::output::{self, Format};
use crate::views_review::ranking_table;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// The officers' decisions: start, request-changes, approve, reject.
    #[command(flatten)]
    Decision(super::review::Cmd),
    /// Assign a reviewer to a submitted application (officers); the first
    /// assignment moves SUBMITTED → UNDER_REVIEW.
    #[command(
        after_help = "Example:\n  grantctl reviews assign P/A --reviewer apiKeys/0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4"
    )]
    Assign {
        #[command(flatten)]
        app: AppRef,
        /// The reviewer's key: apiKeys/ID or the bare ID (a reviewer key of the programme).
        #[arg(long)]
        reviewer: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// End your assignment: declare a conflict of interest (reviewers).
    #[command(
        after_help = "Example:\n  grantctl reviews declare-conflict P/A/R --reason 'I co-authored with the PI in 2025'"
    )]
    DeclareConflict {
        /// The review: programmes/P/applications/A/reviews/R or P/A/R.
        review: String,
        /// The conflict.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Submit your review, or revise it (reviewers): every criterion scored,
    /// and a recommendation. What is sent replaces the review as a whole.
    #[command(
        after_help = "Example:\n  grantctl reviews submit P/A/R --score 'scientific merit=4' --score feasibility=3 --score impact=5 \\\n    \
                            --recommendation fund --applicant-comment 'A clear plan.' --officer-comment 'Strong team.'\n  \
                            grantctl reviews get P/A/R -o json > review.json   # edit, then revise:\n  \
                            grantctl reviews submit P/A/R --from-file review.json"
    )]
    Submit {
        /// The review: programmes/P/applications/A/reviews/R or P/A/R.
        review: String,
        /// A criterion's score, `NAME=SCORE` (repeat for every criterion).
        #[arg(long = "score", value_name = "NAME=SCORE")]
        scores: Vec<String>,
        /// The recommendation.
        #[arg(long, value_enum, ignore_case = true)]
        recommendation: Option<RecommendationArg>,
        /// A comment the applicant sees, anonymised, once the application is decided.
        #[arg(long, value_name = "TEXT")]
        applicant_comment: Option<String>,
        /// A comment for the officers only.
        #[arg(long, value_name = "TEXT")]
        officer_comment: Option<String>,
        /// A Review in proto3 JSON (`-`: standard input); flags override it.
        #[arg(long, value_name = "FILE")]
        from_file: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Show one review (officers see every field, a reviewer its own review).
    #[command(after_help = "Example:\n  grantctl reviews get P/A/R")]
    Get {
        /// The review: programmes/P/applications/A/reviews/R or P/A/R.
        review: String,
    },
    /// List an application's reviews, in assignment order.
    #[command(after_help = "Example:\n  grantctl reviews list P/A -o json")]
    List {
        #[command(flatten)]
        app: AppRef,
        #[command(flatten)]
        list: ListArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RecommendationArg {
    #[value(alias = "recommendation_fund")]
    Fund,
    #[value(alias = "recommendation_fund_with_changes", alias = "fund_with_changes")]
    FundWithChanges,
    #[value(alias = "recommendation_do_not_fund", alias = "do_not_fund")]
    DoNotFund,
}

impl RecommendationArg {
    fn proto(self) -> i32 {
        match self {
            Self::Fund => Recommendation::Fund as i32,
            Self::FundWithChanges => Recommendation::FundWithChanges as i32,
            Self::DoNotFund => Recommendation::DoNotFund as i32,
        }
    }
}

fn review_arg(text: &str) -> Result<String> {
    names::review(text).map_err(|e| CliError::invalid("REVIEW", e))
}

/// `scientific merit=4`: the criterion (as the programme names it) and
/// its score, split at the last `=`.
pub fn score_arg(text: &str) -> Result<v1::CriterionScore> {
    let bad = |problem: String| CliError::invalid("--score", problem);
    let Some((criterion, score)) = text.rsplit_once('=') else {
        return Err(bad(format!("{text:?} is not NAME=SCORE, such as 'scientific merit=4'")));
    };
    let criterion = criterion.trim();
    if criterion.is_empty() {
        return Err(bad(format!("{text:?} names no criterion")));
    }
    let score = score
        .trim()
        .parse::<i32>()
        .map_err(|_| bad(format!("{text:?}: the score must be a whole number")))?;
    Ok(v1::CriterionScore {
        criterion: criterion.to_owned(),
        score,
    })
}

async fn get(ctx: &Ctx, name: String) -> Result<v1::Review> {
    let r = ctx
        .conn
        .call(v1::GetReviewRequest { name }, |ch, r| async move {
            Client::new(ch).get_review(r).await
        })
        .await?;
    Ok(r.review.unwrap_or_default())
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let c = &ctx.conn;
    let review = match cmd {
        Cmd::Decision(cmd) => return super::review::run(ctx, cmd).await,
        Cmd::Assign { app, reviewer, write } => {
            let request = v1::AssignReviewerRequest {
                parent: app.name()?,
                reviewer: names::api_key(&reviewer).map_err(|e| CliError::invalid("--reviewer", e))?,
                request_id: write.id(),
            };
            c.call(request, |ch, r| async move { Client::new(ch).assign_reviewer(r).await })
                .await?
                .review
        }
        Cmd::DeclareConflict { review, reason, write } => {
            let request = v1::DeclareConflictRequest {
                name: review_arg(&review)?,
                reason,
                request_id: write.id(),
            };
            c.call(
                request,
                |ch, r| async move { Client::new(ch).declare_conflict(r).await },
            )
            .await?
            .review
        }
        Cmd::Submit {
            review,
            scores,
            recommendation,
            applicant_comment,
            officer_comment,
            from_file,
            write,
        } => {
            let mut r = match &from_file {
                Some(path) => input::review(&input::read(path)?)?,
                None => v1::Review::default(),
            };
            r.name = review_arg(&review)?;
            for text in &scores {
                let score = score_arg(text)?;
                match r.scores.iter_mut().find(|s| s.criterion == score.criterion) {
                    Some(existing) => existing.score = score.score,
                    None => r.scores.push(score),
                }
            }
            if let Some(rec) = recommendation {
                r.recommendation = rec.proto();
            }
            if let Some(t) = applicant_comment {
                r.applicant_comment = t;
            }
            if let Some(t) = officer_comment {
                r.officer_comment = t;
            }
            let request = v1::SubmitReviewRequest {
                review: Some(r),
                request_id: write.id(),
            };
            c.call(request, |ch, r| async move { Client::new(ch).submit_review(r).await })
                .await?
                .review
        }
        Cmd::Get { review } => Some(get(ctx, review_arg(&review)?).await?),
        Cmd::List { app, list } => {
            if list.filter.is_some() {
                return Err(CliError::invalid("--filter", "reviews cannot be filtered"));
            }
            let parent = app.name()?;
            let items = list
                .paging()
                .collect(|page_size, page_token| {
                    let request = v1::ListReviewsRequest {
                        parent: parent.clone(),
                        page_size,
                        page_token,
                    };
                    async move {
                        let r = ctx
                            .conn
                            .call(request, |ch, r| async move { Client::new(ch).list_reviews(r).await })
                            .await?;
                        Ok((r.reviews, r.next_page_token))
                    }
                })
                .await?;
            return output::list(ctx.format, &items);
        }
    };
    output::one(ctx.format, &review.unwrap_or_default())
}

/// `grantctl programmes ranking P`: `-o json` prints the whole ranking,
/// `-o name` the applications best first, a table the entries with the
/// funding line drawn across.
pub async fn ranking(ctx: &Ctx, programme: String) -> Result<()> {
    let r = ctx
        .conn
        .call(v1::GetReviewRankingRequest { programme }, |ch, r| async move {
            Client::new(ch).get_review_ranking(r).await
        })
        .await?
        .ranking
        .unwrap_or_default();
    match ctx.format {
        Format::Json => output::write(&output::pretty(&out::ranking(&r))),
        Format::Jsonl => output::write(&output::compact(&out::ranking(&r))),
        Format::Name => output::write(
            &r.entries
                .iter()
                .map(|e| format!("{}\n", e.application))
                .collect::<String>(),
        ),
        Format::Table => output::write(&ranking_table(&r)),
    }
}
