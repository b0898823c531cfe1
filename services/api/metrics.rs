//! Per-call metrics, the call's trace span and the call log, as a tower
//! layer around every gRPC route.
//!
//! - Metrics, named by the OpenTelemetry semantic conventions for RPC as
//!   Prometheus spells them: `rpc_server_call_duration_seconds` (a call's
//!   whole time, to its last message) and `rpc_server_responses_per_rpc`
//!   (messages a call sent, so a stream's count), labelled `rpc_system`,
//!   `rpc_service`, `rpc_method` (and `rpc_grpc_status_code`); plus
//!   `gba_grants_calls_total` by code name and the calls in flight. The
//!   code is read from the response headers (errors answered at once) or,
//!   for answers with a body, from its trailers when it ends.
//! - The span (`rpc`, target `gba_grants::trace`, exported with
//!   `--otlp-endpoint`): named `service/method`, kind server, its parent the
//!   caller's `traceparent`, ended when the call ends, with its status.
//! - A call's log line (target `gba_grants::calls`, at debug) carries
//!   method, code, latency and the caller's key id — never a secret or an
//!   e-mail.
//!
//! Without an installed recorder (`--metrics-listen` unset) the metric
//! calls do nothing; without an endpoint the span is a disabled callsite.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::Frame;
use http_body_util::BodyExt;
use tonic::body::Body;
use tower::{Layer, Service};

use crate::domain::ids::ApiKeyName;

/// The key a call was made with, left in the response extensions by the
/// auth layer for this one.
#[derive(Debug, Clone)]
pub struct CallerKey(pub ApiKeyName);

/// Counts an open watch stream of one kind (`events`, `summaries`) while
/// it lives.
#[derive(Debug)]
pub struct OpenStream(&'static str);

impl OpenStream {
    pub fn new(kind: &'static str) -> Self {
        metrics::gauge!("gba_grants_streams_open", "kind" => kind).increment(1);
        Self(kind)
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        metrics::gauge!("gba_grants_streams_open", "kind" => self.0).decrement(1);
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct CallMetricsLayer;

impl<S> Layer<S> for CallMetricsLayer {
    type Service = CallMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallMetrics { inner }
    }
}

#[derive(Debug, Clone)]
pub struct CallMetrics<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The metric handles of one method, registered once: a call then costs
/// a map lookup and a few atomic operations, not a registry lookup per
/// metric.
struct MethodMetrics {
    service: &'static str,
    method: &'static str,
    /// `service/method`: the span's name.
    name: &'static str,
    responses: metrics::Histogram,
    /// One counter and one duration per gRPC code (0–16), registered on
    /// first use (OK's at start, see [`register_every_method`]).
    codes: [OnceLock<(metrics::Counter, metrics::Histogram)>; 17],
}

impl MethodMetrics {
    fn new(service: &'static str, method: &'static str, name: &'static str) -> Self {
        Self {
            service,
            method,
            name,
            responses: metrics::histogram!(
                "rpc_server_responses_per_rpc",
                "rpc_system" => "grpc",
                "rpc_service" => service,
                "rpc_method" => method
            ),
            codes: std::array::from_fn(|_| OnceLock::new()),
        }
    }

    fn of(&self, code: tonic::Code) -> &(metrics::Counter, metrics::Histogram) {
        let slot = &self.codes[(code as usize).min(16)];
        slot.get_or_init(|| {
            let calls = metrics::counter!(
                "gba_grants_calls_total",
                "service" => self.service,
                "method" => self.method,
                "code" => code_name(code)
            );
            let duration = metrics::histogram!(
                "rpc_server_call_duration_seconds",
                "rpc_system" => "grpc",
                "rpc_service" => self.service,
                "rpc_method" => self.method,
                "rpc_grpc_status_code" => STATUS_CODES[(code as usize).min(16)]
            );
            (calls, duration)
        })
    }
}

/// `rpc.grpc.status_code` values: the code's number.
const STATUS_CODES: [&str; 17] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
];

/// Registers every method's series of OK calls (at zero) and the calls in
/// flight: they exist from the start, before any call. (A series per
/// error code appears with the first call that ends with it.)
pub fn register_every_method() {
    in_flight().set(0.0);
    for metrics in known().values() {
        metrics.of(tonic::Code::Ok);
        let _ = &metrics.responses;
    }
}

/// Every method the server has, from the contract's descriptors plus
/// health and reflection; any other path is counted as `unknown`, so a
/// client cannot grow the label set.
fn known() -> &'static HashMap<String, MethodMetrics> {
    static KNOWN: OnceLock<HashMap<String, MethodMetrics>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut paths: Vec<(String, String)> = [
            ("grpc.health.v1.Health", "Check"),
            ("grpc.health.v1.Health", "Watch"),
            ("grpc.reflection.v1.ServerReflection", "ServerReflectionInfo"),
            ("grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo"),
        ]
        .map(|(s, m)| (s.to_owned(), m.to_owned()))
        .to_vec();
        let set = <prost_types::FileDescriptorSet as prost::Message>::decode(crate::proto::FILE_DESCRIPTOR_SET);
        for file in set.map(|s| s.file).unwrap_or_default() {
            let package = file.package.unwrap_or_default();
            for service in file.service {
                let name = format!("{package}.{}", service.name.unwrap_or_default());
                for method in service.method {
                    paths.push((name.clone(), method.name.unwrap_or_default()));
                }
            }
        }
        paths
            .into_iter()
            .map(|(service, method)| {
                let name = format!("{service}/{method}");
                let path = format!("/{name}");
                let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
                (path, MethodMetrics::new(leak(service), leak(method), leak(name)))
            })
            .collect()
    })
}

fn unknown() -> &'static MethodMetrics {
    static UNKNOWN: OnceLock<MethodMetrics> = OnceLock::new();
    UNKNOWN.get_or_init(|| MethodMetrics::new("unknown", "unknown", "unknown"))
}

fn in_flight() -> &'static metrics::Gauge {
    static GAUGE: OnceLock<metrics::Gauge> = OnceLock::new();
    GAUGE.get_or_init(|| metrics::gauge!("gba_grants_calls_in_flight"))
}

/// One call being measured; recorded once, when its code is known.
struct Call {
    metrics: &'static MethodMetrics,
    started: Instant,
    key: Option<ApiKeyName>,
    /// Messages sent (data frames: tonic sends a message in one).
    messages: u64,
    span: tracing::Span,
    done: bool,
}

impl Call {
    fn start(request: &http::Request<impl Sized>) -> Option<Self> {
        let path = request.uri().path();
        // Not gRPC (the page): not a call.
        path.strip_prefix('/')?.split_once('/')?;
        in_flight().increment(1);
        let metrics = known().get(path).unwrap_or_else(|| unknown());
        let span = tracing::info_span!(
            target: "gba_grants::trace",
            "rpc",
            otel.name = metrics.name,
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = metrics.service,
            rpc.method = metrics.method,
            rpc.grpc.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        );
        if !span.is_disabled() {
            use tracing_opentelemetry::OpenTelemetrySpanExt;
            // A malformed or absent `traceparent` starts a new trace.
            let _ = span.set_parent(crate::telemetry::parent_of(request.headers()));
        }
        Some(Self {
            metrics,
            started: Instant::now(),
            key: None,
            messages: 0,
            span,
            done: false,
        })
    }

    fn finish(&mut self, code: tonic::Code) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        in_flight().decrement(1);
        let (calls, duration) = self.metrics.of(code);
        calls.increment(1);
        duration.record(self.started.elapsed().as_secs_f64());
        self.metrics.responses.record(self.messages as f64);
        self.span.record("rpc.grpc.status_code", code as i64);
        if code != tonic::Code::Ok {
            self.span.record("otel.status_code", "ERROR");
        }
        tracing::debug!(
            target: "gba_grants::calls",
            method = %format_args!("{}/{}", self.metrics.service, self.metrics.method),
            code = code_name(code),
            latency_ms = self.started.elapsed().as_secs_f64() * 1e3,
            key = self.key.as_ref().map(|k| k.id()).unwrap_or("-"),
            "call"
        );
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        // Dropped before its end: the client went away.
        self.finish(tonic::Code::Cancelled);
    }
}

/// The code of a `grpc-status` value.
fn code_of(status: &[u8]) -> tonic::Code {
    std::str::from_utf8(status)
        .ok()
        .and_then(|s| s.parse::<i32>().ok())
        .map_or(tonic::Code::Unknown, tonic::Code::from_i32)
}

/// The gRPC code's canonical name: `OK`, `NOT_FOUND`, …
fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

impl<S, R> Service<http::Request<R>> for CallMetrics<S>
where
    S: Service<http::Request<R>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<R>) -> Self::Future {
        use tracing::Instrument;
        let call = Call::start(&request);
        let span = call.as_ref().map_or_else(tracing::Span::none, |c| c.span.clone());
        let response = self.inner.call(request).instrument(span);
        Box::pin(async move {
            let response = response.await?;
            let Some(mut call) = call else { return Ok(response) };
            call.key = response.extensions().get::<CallerKey>().map(|k| k.0.clone());
            if let Some(status) = response.headers().get("grpc-status") {
                call.finish(code_of(status.as_bytes()));
                return Ok(response);
            }
            // Boxed with its own error type, tonic's: `Body::new` then
            // takes the box as it is, with no error-mapping wrapper that
            // every message of a stream would pass through.
            Ok(response.map(|inner| Body::new(Measured { inner, call }.boxed_unsync())))
        })
    }
}

/// A response body that records its call when its trailers pass.
struct Measured {
    inner: Body,
    call: Call,
}

impl http_body::Body for Measured {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if frame.is_data() {
                    self.call.messages += 1;
                }
                if let Some(status) = frame.trailers_ref().and_then(|t| t.get("grpc-status")) {
                    let code = code_of(status.as_bytes());
                    self.call.finish(code);
                }
            }
            Poll::Ready(Some(Err(_))) => self.call.finish(tonic::Code::Internal),
            Poll::Ready(None) => self.call.finish(tonic::Code::Ok),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::{code_name, code_of, known};

    #[test]
    fn codes_have_their_canonical_names() {
        assert_eq!(code_name(code_of(b"0")), "OK");
        assert_eq!(code_name(code_of(b"3")), "INVALID_ARGUMENT");
        assert_eq!(code_name(code_of(b"16")), "UNAUTHENTICATED");
        assert_eq!(code_name(code_of(b"x")), "UNKNOWN");
    }

    #[test]
    fn every_method_of_the_contract_is_known() {
        let paths = known();
        assert!(paths.contains_key("/gba.grants.v1.ApplicationService/GetApplication"));
        assert!(paths.contains_key("/gba.grants.v1.WatchService/WatchApplicationEvents"));
        assert!(paths.contains_key("/grpc.health.v1.Health/Check"));
        assert!(!paths.contains_key("/made.up/Path"));
    }
}
