//! Per-call metrics and the call log, as a tower layer around every gRPC
//! route: calls by service, method and gRPC code, latency by method, calls
//! in flight. The code is read from the response headers (errors answered
//! at once) or, for answers with a body, from its trailers when it ends. A
//! call's log line (target `gba_grants::calls`, at debug) carries method,
//! code, latency and the caller's key id — never a secret or an e-mail.
//! Without an installed recorder (`--metrics-listen` unset) the metric
//! calls do nothing.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::Frame;
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

/// One call being measured; recorded once, when its code is known.
struct Call {
    service: String,
    method: String,
    started: Instant,
    key: Option<ApiKeyName>,
    done: bool,
}

impl Call {
    fn start(path: &str) -> Option<Self> {
        let (service, method) = path.strip_prefix('/')?.split_once('/')?;
        metrics::gauge!("gba_grants_calls_in_flight").increment(1);
        Some(Self {
            service: service.to_owned(),
            method: method.to_owned(),
            started: Instant::now(),
            key: None,
            done: false,
        })
    }

    fn finish(&mut self, code: &str) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let seconds = self.started.elapsed().as_secs_f64();
        metrics::gauge!("gba_grants_calls_in_flight").decrement(1);
        metrics::counter!(
            "gba_grants_calls_total",
            "service" => self.service.clone(),
            "method" => self.method.clone(),
            "code" => code.to_owned()
        )
        .increment(1);
        tracing::debug!(
            target: "gba_grants::calls",
            method = %format_args!("{}/{}", self.service, self.method),
            code,
            latency_ms = seconds * 1e3,
            key = self.key.as_ref().map(|k| k.id()).unwrap_or("-"),
            "call"
        );
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        // Dropped before its end: the client went away.
        self.finish("CANCELLED");
    }
}

/// The gRPC code's canonical name (`OK`, `NOT_FOUND`, …) for a
/// `grpc-status` value.
fn code_name(status: &[u8]) -> String {
    let code = std::str::from_utf8(status)
        .ok()
        .and_then(|s| s.parse::<i32>().ok())
        .map_or(tonic::Code::Unknown, tonic::Code::from_i32);
    let mut name = String::new();
    for (i, c) in format!("{code:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
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
        let call = Call::start(request.uri().path());
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            let Some(mut call) = call else { return Ok(response) };
            metrics::histogram!(
                "gba_grants_call_duration_seconds",
                "service" => call.service.clone(),
                "method" => call.method.clone()
            )
            .record(call.started.elapsed().as_secs_f64());
            call.key = response.extensions().get::<CallerKey>().map(|k| k.0.clone());
            if let Some(status) = response.headers().get("grpc-status") {
                call.finish(&code_name(status.as_bytes()));
                return Ok(response);
            }
            Ok(response.map(|inner| Body::new(Measured { inner, call })))
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
                if let Some(status) = frame.trailers_ref().and_then(|t| t.get("grpc-status")) {
                    let code = code_name(status.as_bytes());
                    self.call.finish(&code);
                }
            }
            Poll::Ready(Some(Err(_))) => self.call.finish("INTERNAL"),
            Poll::Ready(None) => self.call.finish("OK"),
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
    use super::code_name;

    #[test]
    fn codes_have_their_canonical_names() {
        assert_eq!(code_name(b"0"), "OK");
        assert_eq!(code_name(b"3"), "INVALID_ARGUMENT");
        assert_eq!(code_name(b"16"), "UNAUTHENTICATED");
        assert_eq!(code_name(b"x"), "UNKNOWN");
    }
}
