//! WatchService as served: WatchApplicationEvents sends each event as the
//! bytes encoded once per event and view (`watch::Rendered`), through a
//! codec that writes them as they are, so a delivery costs neither a copy
//! of the message nor an encoding per watcher. Every other path of the
//! service goes to the generated server. The wire is the same protobuf
//! message either way.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes};
use tonic::codec::{Codec, EncodeBuf, Encoder};
use tonic::codegen::{BoxFuture, Service, StdError, http};
use tonic::server::{NamedService, ServerStreamingService};
use tonic::{Request, Response, Status};
use tonic_prost::ProstDecoder;

use super::watch::{BoxStream, WatchApi};
use crate::proto::v1::{self, watch_service_server::WatchServiceServer};

const EVENTS: &str = "/gba.grants.v1.WatchService/WatchApplicationEvents";

/// The WatchService, with WatchApplicationEvents served from encoded
/// messages.
#[derive(Clone)]
pub struct WatchServer {
    api: Arc<WatchApi>,
    generated: WatchServiceServer<WatchApi>,
    max_decoding: usize,
}

impl WatchServer {
    /// Request messages larger than `max_decoding` bytes are refused
    /// before they are decoded.
    pub fn new(api: WatchApi, max_decoding: usize) -> Self {
        let api = Arc::new(api);
        let generated = WatchServiceServer::from_arc(api.clone()).max_decoding_message_size(max_decoding);
        Self {
            api,
            generated,
            max_decoding,
        }
    }
}

impl NamedService for WatchServer {
    const NAME: &'static str = <WatchServiceServer<WatchApi> as NamedService>::NAME;
}

impl<B> Service<http::Request<B>> for WatchServer
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() != EVENTS {
            return self.generated.call(request);
        }
        let (api, max_decoding) = (self.api.clone(), self.max_decoding);
        Box::pin(async move {
            let mut grpc =
                tonic::server::Grpc::new(EncodedCodec).apply_max_message_size_config(Some(max_decoding), None);
            Ok(grpc.server_streaming(Events(api), request).await)
        })
    }
}

struct Events(Arc<WatchApi>);

impl ServerStreamingService<v1::WatchApplicationEventsRequest> for Events {
    type Response = Bytes;
    type ResponseStream = BoxStream<Bytes>;
    type Future = BoxFuture<Response<BoxStream<Bytes>>, Status>;

    fn call(&mut self, request: Request<v1::WatchApplicationEventsRequest>) -> Self::Future {
        let api = self.0.clone();
        Box::pin(async move { api.open_events(request).await })
    }
}

/// Decodes requests with prost; writes responses already encoded.
struct EncodedCodec;

impl Codec for EncodedCodec {
    type Encode = Bytes;
    type Decode = v1::WatchApplicationEventsRequest;
    type Encoder = AsEncoded;
    type Decoder = ProstDecoder<v1::WatchApplicationEventsRequest>;

    fn encoder(&mut self) -> Self::Encoder {
        AsEncoded
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstDecoder::default()
    }
}

/// Writes an encoded message as it is.
struct AsEncoded;

impl Encoder for AsEncoded {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}
