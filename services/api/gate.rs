//! The readiness gate: health and reflection answer from the first moment
//! the port is bound; every gba.grants service is routed from the start
//! too, but each waits behind its gate, which answers UNAVAILABLE until
//! migrations are done and the service is in. One router serves them all,
//! so a call passes one routing step, not a router behind a router (each
//! wraps every response body once more, and a stream's every message
//! passes each wrapper).

use std::convert::Infallible;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::server::NamedService;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

type Inner = BoxCloneSyncService<http::Request<Body>, http::Response<Body>, Infallible>;

/// The service named `N`, closed until [`Gated::open`]; cheap to clone
/// (clones share the gate).
pub struct Gated<N> {
    inner: Arc<OnceLock<Inner>>,
    name: PhantomData<fn() -> N>,
}

impl<N> Clone for Gated<N> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            name: PhantomData,
        }
    }
}

impl<N> Default for Gated<N> {
    fn default() -> Self {
        Self {
            inner: Arc::default(),
            name: PhantomData,
        }
    }
}

impl<N: NamedService> NamedService for Gated<N> {
    const NAME: &'static str = N::NAME;
}

impl<N> Gated<N> {
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
        let _ = self.inner.set(BoxCloneSyncService::new(service));
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<N> Service<http::Request<Body>> for Gated<N> {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        match self.inner.get().cloned() {
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
