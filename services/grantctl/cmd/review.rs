//! The officers' decisions, `grantctl reviews start|request-changes|
//! approve|reject` (also spelt `grantctl review …`), flattened into the
//! `reviews` tree beside peer review (reviews.rs).

use clap::Subcommand;
use gba_grants::proto::v1;
use gba_grants::proto::v1::review_service_client::ReviewServiceClient as Client;

use super::schedule::ScheduleArgs;
use super::{Amount, AppRef, Ctx, WriteArgs, amount_arg};
use crate::error::Result;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// SUBMITTED → UNDER_REVIEW.
    #[command(after_help = "Example:\n  grantctl reviews start P/A")]
    Start {
        #[command(flatten)]
        app: AppRef,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// SUBMITTED or UNDER_REVIEW → CHANGES_REQUESTED.
    #[command(after_help = "Example:\n  grantctl reviews request-changes P/A --reason 'Add a data management plan'")]
    RequestChanges {
        #[command(flatten)]
        app: AppRef,
        /// What must change.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// UNDER_REVIEW → APPROVED, committing the award against the budget.
    /// Under peer review, refused (REVIEWS_INCOMPLETE) while fewer reviews
    /// than the programme requires are complete, unless overridden.
    ///
    /// The award is paid by its payment schedule: tranches summing to the
    /// award, each paid any time or only once a report is accepted, and the
    /// reports due (`--schedule FILE`, or `--tranche` and `--report`).
    /// Without one, it is paid as one tranche of the whole award and asks
    /// for no report.
    #[command(
        after_help = "Example:\n  grantctl reviews approve P/A --amount '750,000 CNY' --reason 'Strong cross-border team'\n  \
                      grantctl reviews approve P/A --amount '750,000 CNY' --override-incomplete-reviews \\\n    \
                      --reason 'Second reviewer unavailable; the panel agreed'\n  \
                      grantctl reviews approve P/A --amount '750,000 CNY' \\\n    \
                      --tranche '300,000 CNY' --tranche '450,000 CNY@after=1' \\\n    \
                      --report interim@2027-06-30 --report final@2028-12-31\n  \
                      grantctl reviews approve P/A --amount '750,000 CNY' --schedule schedule.json\n  \
                      grantctl reviews approve P/A --amount '80 beam-h' --reason 'Within the cycle'   # a facility programme"
    )]
    Approve {
        #[command(flatten)]
        app: AppRef,
        /// The award, at most the amount requested, such as "750,000 CNY";
        /// of a facility programme, the allocation in its unit, such as
        /// "80 beam-h" (within the cycle's free capacity; no schedule).
        #[arg(long, value_name = "AMOUNT")]
        amount: String,
        /// Why (optional; required with --override-incomplete-reviews).
        #[arg(long)]
        reason: Option<String>,
        /// Approve although fewer reviews than required are complete (the
        /// event records the override and the reason).
        #[arg(long, requires = "reason")]
        override_incomplete_reviews: bool,
        #[command(flatten)]
        schedule: ScheduleArgs,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// SUBMITTED or UNDER_REVIEW → REJECTED.
    #[command(after_help = "Example:\n  grantctl reviews reject P/A --reason 'Outside the programme scope'")]
    Reject {
        #[command(flatten)]
        app: AppRef,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        write: WriteArgs,
    },
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let c = &ctx.conn;
    let application = match cmd {
        Cmd::Start { app, write } => {
            let request = v1::StartReviewRequest {
                name: app.name()?,
                request_id: write.id(),
            };
            c.call(request, |ch, r| async move { Client::new(ch).start_review(r).await })
                .await?
                .application
        }
        Cmd::RequestChanges { app, reason, write } => {
            let request = v1::RequestChangesRequest {
                name: app.name()?,
                reason,
                request_id: write.id(),
            };
            c.call(request, |ch, r| async move { Client::new(ch).request_changes(r).await })
                .await?
                .application
        }
        Cmd::Approve {
            app,
            amount,
            reason,
            override_incomplete_reviews,
            schedule,
            write,
        } => {
            let (awarded_amount, awarded_resource) = match amount_arg("--amount", &amount)? {
                Amount::Money(m) => (Some(m), None),
                Amount::Resource(r) => (None, Some(r)),
            };
            let request = v1::ApproveApplicationRequest {
                awarded_amount,
                awarded_resource,
                name: app.name()?,
                reason: reason.unwrap_or_default(),
                request_id: write.id(),
                override_incomplete_reviews,
                schedule: schedule.schedule()?,
            };
            c.call(
                request,
                |ch, r| async move { Client::new(ch).approve_application(r).await },
            )
            .await?
            .application
        }
        Cmd::Reject { app, reason, write } => {
            let request = v1::RejectApplicationRequest {
                name: app.name()?,
                reason,
                request_id: write.id(),
            };
            c.call(
                request,
                |ch, r| async move { Client::new(ch).reject_application(r).await },
            )
            .await?
            .application
        }
    };
    output::one(ctx.format, &application.unwrap_or_default())
}
