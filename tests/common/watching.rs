//! Watch clients for tests: open a stream, read it, decode cursors.

use base64::Engine;
use gba_grants::proto::v1;
use gba_grants::proto::v1::watch_application_events_response::Kind;
use tonic::Streaming;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::*;

pub use gba_grants::proto::v1::watch_service_client::WatchServiceClient;

pub type Watch = WatchServiceClient<InterceptedService<Channel, Bearer>>;

impl TestServer {
    pub fn watch(&self, key: &str) -> Watch {
        WatchServiceClient::with_interceptor(self.channel.clone(), Bearer::new(key))
    }
}

/// The position in a cursor (tests may know the format; clients may not).
pub fn seq(cursor: &str) -> i64 {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .expect("cursor is base64");
    let text = String::from_utf8(bytes).expect("utf-8");
    let rest = text.strip_prefix("gbe2:").expect("prefix");
    let (_log, seq) = rest.split_once(':').expect("log id");
    seq.parse().expect("number")
}

pub fn filter_all(cursor: &str) -> v1::WatchApplicationEventsRequest {
    v1::WatchApplicationEventsRequest {
        cursor: cursor.into(),
        ..Default::default()
    }
}

/// Opens a stream; returns it with the cursor of its first progress marker.
pub async fn open(
    client: &mut Watch,
    request: v1::WatchApplicationEventsRequest,
) -> Result<(Streaming<v1::WatchApplicationEventsResponse>, String), tonic::Status> {
    let mut stream = client.watch_application_events(request).await?.into_inner();
    match stream.message().await?.and_then(|m| m.kind) {
        Some(Kind::Progress(p)) => Ok((stream, p.cursor)),
        other => panic!("the first message is a progress marker, got {other:?}"),
    }
}

/// The next event or progress message.
pub async fn next(stream: &mut Streaming<v1::WatchApplicationEventsResponse>) -> Result<Option<Kind>, tonic::Status> {
    Ok(stream.message().await?.and_then(|m| m.kind))
}
