//! `grantctl applications events`: the committed event history, oldest
//! first, of one application, a programme, an institution, or everything
//! visible. Its last cursor is where `grantctl watch events --cursor` can
//! continue.

use clap::Args;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application_service_client::ApplicationServiceClient as Client;

use super::{Ctx, institution_arg, programme_arg};
use crate::client::Paging;
use crate::error::{CliError, Result};
use crate::{names, output};

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// One application: programmes/P/applications/A, P/A, or a bare id with --programme.
    #[arg(value_name = "APPLICATION")]
    application: Option<String>,
    /// A programme's events (or the programme of a bare APPLICATION id).
    #[arg(long)]
    programme: Option<String>,
    /// One institution's applications' events.
    #[arg(long, conflicts_with_all = ["programme", "application"])]
    institution: Option<String>,
    /// Results per page (the server's default is 50; at most 1000).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..=1000))]
    page_size: Option<i32>,
    /// Stop after N events.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
}

impl EventsArgs {
    /// The `parent` of ListApplicationEvents.
    fn parent(&self) -> Result<String> {
        match (&self.application, &self.programme, &self.institution) {
            (Some(a), p, _) => names::application(a, p.as_deref()).map_err(|e| CliError::invalid("APPLICATION", e)),
            (None, Some(p), _) => programme_arg("--programme", p),
            (None, None, Some(i)) => institution_arg("--institution", i),
            (None, None, None) => Ok("programmes/-".into()),
        }
    }
}

pub async fn run(ctx: &Ctx, args: EventsArgs) -> Result<()> {
    let parent = args.parent()?;
    let paging = Paging {
        page_size: args.page_size,
        limit: args.limit.map(|l| l as usize),
    };
    let items = paging
        .collect(|page_size, page_token| {
            let request = v1::ListApplicationEventsRequest {
                parent: parent.clone(),
                page_size,
                page_token,
            };
            async move {
                let r = ctx
                    .conn
                    .call(request, |ch, r| async move {
                        Client::new(ch).list_application_events(r).await
                    })
                    .await?;
                Ok((r.events, r.next_page_token))
            }
        })
        .await?;
    output::list(ctx.format, &items)?;
    if ctx.format == output::Format::Table
        && let Some(last) = items.last()
    {
        eprintln!("last cursor: {}", last.cursor);
    }
    Ok(())
}
