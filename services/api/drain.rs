//! Bounds shutdown. Our own streams end themselves (the hub), so their
//! bodies pass untouched; this layer ends those of the health Watch and
//! reflection services, which would otherwise hold a draining server for
//! its whole grace period: a response body that is waiting for its next
//! message when shutdown begins ends with UNAVAILABLE `SHUTTING_DOWN` (a
//! body with data ready, a unary answer, is never cut). Calls still unanswered when the grace
//! period is over (stuck on a database lock, say) are answered the same
//! way and their work dropped, so the server can exit.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Frame;
use http_body_util::BodyExt;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tonic::body::Body;
use tower::{Layer, Service};

use super::error::to_status;
use crate::domain::watch::{cut_at_shutdown, shutting_down};

#[derive(Clone)]
pub struct DrainLayer {
    stopping: CancellationToken,
    cut: CancellationToken,
}

impl DrainLayer {
    /// `stopping`: shutdown began; `cut`: the grace period is over.
    pub fn new(stopping: CancellationToken, cut: CancellationToken) -> Self {
        Self { stopping, cut }
    }
}

impl<S> Layer<S> for DrainLayer {
    type Service = Drain<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Drain {
            inner,
            stopping: self.stopping.clone(),
            cut: self.cut.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Drain<S> {
    inner: S,
    stopping: CancellationToken,
    cut: CancellationToken,
}

/// The paths of our own services: their streams end at shutdown by
/// themselves, with the same error.
const OURS: &str = "/gba.grants.v1.";

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, R> Service<http::Request<R>> for Drain<S>
where
    S: Service<http::Request<R>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<R>) -> Self::Future {
        let ends_itself = request.uri().path().starts_with(OURS);
        let response = self.inner.call(request);
        let stopping = self.stopping.clone();
        let cut = self.cut.clone();
        Box::pin(async move {
            let response = tokio::select! {
                response = response => response?,
                () = cut.cancelled() => return Ok(to_status(cut_at_shutdown()).into_http()),
            };
            if ends_itself {
                return Ok(response);
            }
            Ok(response.map(|inner| {
                // Boxed with tonic's error type: `Body::new` takes the box
                // as it is.
                Body::new(
                    DrainBody {
                        inner,
                        stopping: Box::pin(stopping.cancelled_owned()),
                        ended: false,
                    }
                    .boxed_unsync(),
                )
            }))
        })
    }
}

struct DrainBody {
    inner: Body,
    stopping: Pin<Box<WaitForCancellationFutureOwned>>,
    ended: bool,
}

impl http_body::Body for DrainBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.stopping.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.ended = true;
        let (parts, _) = to_status(shutting_down()).into_http::<Body>().into_parts();
        let mut trailers = http::HeaderMap::new();
        for (name, value) in &parts.headers {
            if name.as_str().starts_with("grpc-") {
                trailers.append(name.clone(), value.clone());
            }
        }
        Poll::Ready(Some(Ok(Frame::trailers(trailers))))
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
