//! The ceiling: a bare tonic server streaming every message of a tokio
//! broadcast channel, run as `fanout bare-server RATE` in its own process.

use std::pin::Pin;
use std::time::Duration;

use gba_grants::proto::v1::{
    self,
    watch_application_events_response::Kind,
    watch_service_server::{WatchService, WatchServiceServer},
};
use tokio::sync::broadcast;
use tokio_stream::{Stream, StreamExt, wrappers::BroadcastStream};
use tonic::transport::Server;
use tonic::{Request, Response, Status};

use super::{Res, now_micros, ts};

struct Bare {
    tx: broadcast::Sender<v1::WatchApplicationEventsResponse>,
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl WatchService for Bare {
    type WatchApplicationEventsStream = BoxStream<v1::WatchApplicationEventsResponse>;
    type WatchProgrammeSummaryStream = BoxStream<v1::WatchProgrammeSummaryResponse>;

    async fn watch_application_events(
        &self,
        _: Request<v1::WatchApplicationEventsRequest>,
    ) -> Result<Response<Self::WatchApplicationEventsStream>, Status> {
        let first = v1::WatchApplicationEventsResponse {
            kind: Some(Kind::Progress(v1::Progress {
                cursor: String::new(),
                send_time: None,
            })),
        };
        let live = BroadcastStream::new(self.tx.subscribe()).filter_map(|m| m.ok().map(Ok));
        Ok(Response::new(Box::pin(tokio_stream::once(Ok(first)).chain(live))))
    }

    async fn watch_programme_summary(
        &self,
        _: Request<v1::WatchProgrammeSummaryRequest>,
    ) -> Result<Response<Self::WatchProgrammeSummaryStream>, Status> {
        Err(Status::unimplemented("bare"))
    }
}

/// An event shaped like the ones gba-grants sends.
fn sample_event(seq: i64) -> v1::WatchApplicationEventsResponse {
    let app = "programmes/019ac4f0a1b27c3d8e9f001122334455/applications/019ac4f0a1b27c3d8e9f0011223344aa";
    let snapshot = v1::Application {
        name: app.into(),
        applicant_institution: "institutions/019ac4f0a1b27c3d8e9f001122334466".into(),
        title: "Typhoon-resilient coastal infrastructure for the Pearl River Delta".into(),
        r#abstract: "We model storm surge across Hong Kong, Macao and Guangdong.".into(),
        principal_investigator: Some(v1::Investigator {
            name: "Dr Chan Tai Man".into(),
            email: "tmchan@hku.hk".into(),
            orcid: "0000-0002-1825-0097".into(),
        }),
        requested_amount: Some(v1::Money {
            currency_code: "CNY".into(),
            units: 1_000,
            nanos: 0,
        }),
        duration_months: 24,
        state: 1,
        etag: "1".into(),
        create_time: Some(ts(now_micros())),
        update_time: Some(ts(now_micros())),
        disbursed_amount: Some(v1::Money {
            currency_code: "CNY".into(),
            units: 0,
            nanos: 0,
        }),
        ..Default::default()
    };
    v1::WatchApplicationEventsResponse {
        kind: Some(Kind::Event(v1::ApplicationEvent {
            cursor: format!("{seq}"),
            application: app.into(),
            programme: "programmes/019ac4f0a1b27c3d8e9f001122334455".into(),
            applicant_institution: "institutions/019ac4f0a1b27c3d8e9f001122334466".into(),
            new_state: 1,
            actor: "apiKeys/019ac4f0a1b27c3d8e9f001122334477".into(),
            actor_role: 3,
            event_time: Some(ts(now_micros())),
            snapshot: Some(snapshot),
            ..Default::default()
        })),
    }
}

/// `fanout bare-server RATE`: serve on 127.0.0.1:0, print the port, and
/// publish RATE events per second forever.
pub async fn bare_server(rate: u64) -> Res<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    let (tx, _) = broadcast::channel(4_096);
    let publisher = tx.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
        let mut seq = 0;
        loop {
            tick.tick().await;
            seq += 1;
            let _ = publisher.send(sample_event(seq));
        }
    });
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    Server::builder()
        .add_service(WatchServiceServer::new(Bare { tx }))
        .serve_with_incoming(incoming)
        .await?;
    Ok(())
}
