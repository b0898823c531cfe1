//! WatchService: server streams of application events and programme
//! summaries, served from the process's hub.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use prost::Message;
use tonic::{Request, Response, Status};

use super::auth::{caller, limits};
use super::convert::{
    application::event_out, application::state_out, common::amount_out, common::region_out, common::resource_out,
    common::time_out, common::total_amount_out,
};
use super::error::{IntoStatus, to_status};
use super::metrics::OpenStream;
use crate::domain::Grants;
use crate::domain::access::Caller;
use crate::domain::application::View;
use crate::domain::event::ApplicationEvent;
use crate::domain::event::Cursor;
use crate::domain::ids::ProgrammeName;
use crate::domain::watch::{ProgrammeSummary, RegionTotals, WatchFilter, WatchItem};
use crate::hub::Hub;
use crate::hub::summary::Follow;
use crate::proto::v1::{self, watch_application_events_response::Kind, watch_service_server::WatchService};
use futures_util::future::BoxFuture;

pub struct WatchApi {
    pub grants: Grants,
    pub hub: Hub,
    pub rendered: Arc<Rendered>,
    pub all_programmes: Arc<AllProgrammes>,
}

/// The list of every programme, for summary streams that follow "all"
/// (callers whose scope is every programme all see this same list): read
/// at most once a second, however many streams follow it. Callers scoped
/// to named programmes need no following: their set cannot grow.
#[derive(Default)]
pub struct AllProgrammes(tokio::sync::Mutex<Option<(std::time::Instant, Vec<ProgrammeName>)>>);

impl AllProgrammes {
    async fn get(&self, grants: &Grants, caller: &Caller) -> crate::domain::Result<Vec<ProgrammeName>> {
        let mut cached = self.0.lock().await;
        if let Some((at, list)) = &*cached
            && at.elapsed() < std::time::Duration::from_secs(1)
        {
            return Ok(list.clone());
        }
        let list = grants.summary_programmes(caller, &[]).await?;
        *cached = Some((std::time::Instant::now(), list.clone()));
        Ok(list)
    }
}

pub(super) type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Events encoded once per view and shared by every watcher: each stream
/// then only hands a ready buffer to the connection (see
/// `watch_encoded`), with neither a copy of the message nor an encoding
/// per watcher.
#[derive(Default)]
pub struct Rendered(Mutex<RenderCache>);

#[derive(Default)]
struct RenderCache {
    by_event: HashMap<(i64, View), Bytes>,
    order: VecDeque<(i64, View)>,
}

/// Rendered events kept: well beyond how far watchers spread apart.
const RENDERED: usize = 8_192;

impl Rendered {
    fn event(&self, event: &ApplicationEvent, view: View) -> Bytes {
        let key = (event.cursor.seq, view);
        let lock = || self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(ready) = lock().by_event.get(&key) {
            return ready.clone();
        }
        let event = event.clone().in_view(view);
        let ready = Bytes::from(
            v1::WatchApplicationEventsResponse {
                kind: Some(Kind::Event(event_out(event))),
            }
            .encode_to_vec(),
        );
        let mut cache = lock();
        if cache.by_event.insert(key, ready.clone()).is_none() {
            cache.order.push_back(key);
        }
        while cache.order.len() > RENDERED {
            if let Some(old) = cache.order.pop_front() {
                cache.by_event.remove(&old);
            }
        }
        ready
    }

    /// The item as an encoded `WatchApplicationEventsResponse`.
    fn item(&self, item: WatchItem) -> Bytes {
        match item {
            WatchItem::Event(event, view) => self.event(&event, view),
            WatchItem::Progress(cursor) => Bytes::from(
                v1::WatchApplicationEventsResponse {
                    kind: Some(Kind::Progress(v1::Progress {
                        cursor: cursor.encode(),
                        send_time: Some(time_out(crate::domain::time::Timestamp::now())),
                    })),
                }
                .encode_to_vec(),
            ),
        }
    }
}

fn region_totals_out(r: &RegionTotals) -> v1::RegionTotals {
    let RegionTotals {
        region,
        requested,
        committed,
        disbursed,
        award_count,
    } = r;
    let (requested, requested_resource) = total_amount_out(requested);
    let (committed, allocated) = total_amount_out(committed);
    let (disbursed, used) = total_amount_out(disbursed);
    v1::RegionTotals {
        region: region_out(*region).into(),
        requested,
        committed,
        disbursed,
        award_count: *award_count,
        requested_resource,
        allocated,
        used,
    }
}

fn summary_out(s: &ProgrammeSummary) -> v1::WatchProgrammeSummaryResponse {
    let ProgrammeSummary {
        programme,
        counts,
        requested,
        committed,
        disbursed,
        remaining_budget,
        compute_time,
        award_count,
        regions,
        reviews_completed,
        reviews_required,
        reports,
    } = s;
    let (requested, requested_resource) = total_amount_out(requested);
    let (committed_money, allocated) = amount_out(committed);
    let (disbursed, used) = total_amount_out(disbursed);
    let (remaining_money, free) = amount_out(remaining_budget);
    let capacity = match committed.currency().is_resource() {
        true => committed.checked_add(remaining_budget).as_ref().map(resource_out),
        false => None,
    };
    v1::WatchProgrammeSummaryResponse {
        summary: Some(v1::ProgrammeSummary {
            programme: programme.to_string(),
            state_counts: counts
                .iter()
                .map(|(state, count)| v1::StateCount {
                    state: state_out(*state).into(),
                    count: *count,
                })
                .collect(),
            requested,
            committed: committed_money,
            disbursed,
            remaining_budget: remaining_money,
            compute_time: Some(time_out(*compute_time)),
            award_count: *award_count,
            region_totals: regions.iter().map(region_totals_out).collect(),
            reviews_completed: *reviews_completed,
            reviews_required: *reviews_required,
            reports_due: reports.due,
            reports_overdue: reports.overdue,
            reports_accepted: reports.accepted,
            requested_resource,
            allocated,
            used,
            free,
            capacity,
        }),
    }
}

impl WatchApi {
    /// WatchApplicationEvents: the caller's stream of encoded
    /// `WatchApplicationEventsResponse` messages.
    pub(super) async fn open_events(
        &self,
        request: Request<v1::WatchApplicationEventsRequest>,
    ) -> Result<Response<BoxStream<Bytes>>, Status> {
        let caller = caller(&request)?;
        let slots = limits(&request)?.stream(&caller.key, request.remote_addr()).status()?;
        let v1::WatchApplicationEventsRequest {
            programme,
            applicant_institution,
            application,
            cursor,
            relation,
        } = request.into_inner();
        let mut filter = WatchFilter::parse(&programme, &applicant_institution, &application).status()?;
        filter.relation = crate::api::convert::team::relation_in(relation, "relation").status()?;
        let cursor = (!cursor.is_empty())
            .then(|| Cursor::parse(&cursor, "cursor"))
            .transpose()
            .status()?;
        let (scope, view) = self.grants.watch_scope(&caller, filter).await.status()?;
        let recheck = (caller.clone(), scope.clone());
        let stream = self.hub.watch_events(caller, scope, view, cursor).await.status()?;
        self.grants.still_watching(&recheck.0, &recheck.1).await.status()?;
        // The slots are given back when the stream ends or is dropped.
        let rendered = self.rendered.clone();
        let open = OpenStream::new("events");
        let stream = stream.map(move |item| {
            let _held = (&slots, &open);
            item.map(|i| rendered.item(i)).map_err(to_status)
        });
        Ok(Response::new(Box::pin(stream)))
    }
}

#[tonic::async_trait]
impl WatchService for WatchApi {
    type WatchApplicationEventsStream = BoxStream<v1::WatchApplicationEventsResponse>;
    type WatchProgrammeSummaryStream = BoxStream<v1::WatchProgrammeSummaryResponse>;

    /// Served by `watch_encoded::WatchServer`, which sends the encoded
    /// messages as they are; this decodes them again for a plain
    /// generated server.
    async fn watch_application_events(
        &self,
        request: Request<v1::WatchApplicationEventsRequest>,
    ) -> Result<Response<Self::WatchApplicationEventsStream>, Status> {
        let stream = self.open_events(request).await?.into_inner().map(|item| {
            item.and_then(|bytes| {
                v1::WatchApplicationEventsResponse::decode(bytes)
                    .map_err(|err| Status::internal(format!("an event did not decode: {err}")))
            })
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn watch_programme_summary(
        &self,
        request: Request<v1::WatchProgrammeSummaryRequest>,
    ) -> Result<Response<Self::WatchProgrammeSummaryStream>, Status> {
        let caller = caller(&request)?;
        let limits = limits(&request)?;
        let slots = limits.stream(&caller.key, request.remote_addr()).status()?;
        let v1::WatchProgrammeSummaryRequest { programmes } = request.into_inner();
        limits.items("programmes", programmes.len()).status()?;
        // Asking for none means every programme the caller may see, now
        // and as more are created.
        let follow: Option<Follow> = (programmes.is_empty() && caller.programme_scope().is_none()).then(|| {
            let (grants, caller, all) = (self.grants.clone(), caller.clone(), self.all_programmes.clone());
            Arc::new(move || {
                let (grants, caller, all) = (grants.clone(), caller.clone(), all.clone());
                Box::pin(async move { all.get(&grants, &caller).await }) as BoxFuture<'static, _>
            }) as Follow
        });
        let programmes = self.grants.summary_programmes(&caller, &programmes).await.status()?;
        let stream = self.hub.watch_summaries(&caller, programmes, follow).await.status()?;
        let open = OpenStream::new("summaries");
        let stream = stream.map(move |s| {
            let _held = (&slots, &open);
            s.map(|s| summary_out(&s)).map_err(to_status)
        });
        Ok(Response::new(Box::pin(stream)))
    }
}
