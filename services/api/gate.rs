//! The readiness gate: health and reflection answer from the first moment
//! the port is bound; every gba.grants call waits behind this gate, which
//! answers UNAVAILABLE until migrations are done and the services are in.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use tonic::body::Body;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

type Inner = BoxCloneSyncService<http::Request<Body>, http::Response<Body>, Infallible>;

/// Closed until [`Gate::open`]; cheap to clone.
#[derive(Clone, Default)]
pub struct Gate(Arc<OnceLock<Inner>>);

impl Gate {
    /// Lets calls through to `service` from now on (the first call wins).
    pub fn open<S>(&self, service: S)
    where
        S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let _ = self.0.set(BoxCloneSyncService::new(service));
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl Service<http::Request<axum::body::Body>> for Gate {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<axum::body::Body>) -> Self::Future {
        let request = request.map(Body::new);
        match self.0.get().cloned() {
            Some(service) => Box::pin(service.oneshot(request)),
            None => {
                let status = super::error::to_status(crate::domain::Error::Unavailable {
                    reason: crate::domain::Reason::Starting,
                    message: "the service is starting (migrations in progress); retry".into(),
                });
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}
