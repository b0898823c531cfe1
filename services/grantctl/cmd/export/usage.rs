//! `grantctl export usage`: one row per usage record of every facility
//! award in scope (beam time run, core-hours consumed), the amount as an
//! exact decimal in the programme's unit with the unit beside it. One pass
//! over the applications (as `export awards` makes), keeping the facility
//! awards that used anything, then ListUsageRecords of each, every page.

use gba_grants::proto::v1;
use gba_grants::proto::v1::award_service_client::AwardServiceClient;

use super::{Ctx, Pages, Sink, awarded, resource_amount, time, unit};
use crate::error::Result;
use crate::records::{Table, number, text};

pub const HELP: &str = "\
Columns: application, award_number, name, reference, amount, unit, period_start, period_end, create_time

amount is the exact decimal in the programme's unit (96.5 in beam-h); the period is when the resource \
was used, the start included and the end excluded.

Example:
  grantctl export usage --programme programmes/0195... -O usage.csv
  grantctl export usage --format jsonl | jq -r '.reference'";

pub const USAGE: Table = &[
    text("application"),
    text("award_number"),
    text("name"),
    text("reference"),
    number("amount"),
    text("unit"),
    number("period_start"),
    number("period_end"),
    number("create_time"),
];

/// A facility award that used anything (as it stood when listed).
fn used_anything(a: &v1::Application) -> bool {
    awarded(a) && a.used_resource.as_ref().is_some_and(|u| u.steps != 0)
}

pub async fn usage(ctx: &Ctx, parent: &str, page_size: i32, sink: &mut Sink) -> Result<()> {
    let mut pages = Pages::new(parent, String::new(), page_size);
    while let Some(page) = pages.next(ctx).await? {
        for a in page.iter().filter(|a| used_anything(a)) {
            let mut token = String::new();
            loop {
                let request = v1::ListUsageRecordsRequest {
                    parent: a.name.clone(),
                    page_size,
                    page_token: token,
                };
                let r = ctx
                    .conn
                    .call(request, |ch, r| async move {
                        AwardServiceClient::new(ch).list_usage_records(r).await
                    })
                    .await?;
                for u in &r.usage_records {
                    let period = u.period.unwrap_or_default();
                    sink.row(&[
                        a.name.clone(),
                        a.award_number.clone(),
                        u.name.clone(),
                        u.reference.clone(),
                        resource_amount(u.amount.as_ref()),
                        unit(u.amount.as_ref()),
                        time(period.start_time.as_ref()),
                        time(period.end_time.as_ref()),
                        time(u.create_time.as_ref()),
                    ])?;
                }
                sink.flush()?;
                if r.next_page_token.is_empty() {
                    break;
                }
                token = r.next_page_token;
            }
        }
        sink.flush()?;
    }
    Ok(())
}
