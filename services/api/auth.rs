//! Authentication as a tower layer in front of every gba.grants service:
//! resolves `authorization: Bearer <key>` to a [`Caller`] once per call and
//! hands it to the handlers in the request extensions, with the [`Limits`].
//! Deny by default: nothing behind it runs without a valid key (health and
//! reflection are routed around it, see `startup`). It also sheds calls
//! over the key's concurrency limit, and answers a request message over
//! the size limit RESOURCE_EXHAUSTED `MESSAGE_TOO_LARGE` (tonic itself
//! would say OUT_OF_RANGE).

use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::body::Body;
use tower::{Layer, Service};

use super::error::to_status;
use super::limits::Limits;
use crate::domain::Grants;
use crate::domain::access::{Caller, hash_secret};

fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[derive(Clone)]
pub struct AuthLayer {
    grants: Grants,
    limits: Limits,
}

impl AuthLayer {
    pub fn new(grants: Grants, limits: Limits) -> Self {
        Self { grants, limits }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            grants: self.grants.clone(),
            limits: self.limits.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    grants: Grants,
    limits: Limits,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<http::Request<Body>> for Auth<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // The clone is ready only after poll_ready; keep the ready one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let grants = self.grants.clone();
        let limits = self.limits.clone();
        Box::pin(async move {
            let peer = peer(&request);
            let secret = bearer(request.headers());
            // Shed before the key is looked up: a flood costs a hash each.
            let slot = match secret.map(|s| limits.call(&hash_secret(s))).transpose() {
                Ok(slot) => slot,
                Err(err) => return Ok(to_status(err).into_http()),
            };
            let caller = match authenticate(&grants, &limits, peer, secret).await {
                Ok(caller) => caller,
                Err(err) => return Ok(to_status(err).into_http()),
            };
            let key = caller.key.clone();
            request.extensions_mut().insert(caller);
            request.extensions_mut().insert(limits.clone());
            let mut response = inner.call(request).await?;
            drop(slot);
            response.extensions_mut().insert(super::metrics::CallerKey(key));
            if is_message_too_large(&response) {
                return Ok(to_status(limits.message_too_large()).into_http());
            }
            Ok(response)
        })
    }
}

/// The caller of a bearer secret. A cached key never meets the limit of
/// failed authentications. Any other secret is looked up, counted as a
/// failure of its address until it proves good; once the address is at
/// the limit, a secret is looked up only if it is of a key issued and not
/// revoked (by the set of their hashes, without looking the secret up),
/// so made-up keys are refused unchecked and a good key behind the same
/// address is not.
async fn authenticate(
    grants: &Grants,
    limits: &Limits,
    peer: Option<std::net::SocketAddr>,
    secret: Option<&str>,
) -> Result<Caller, crate::domain::Error> {
    use crate::domain::service::Known;
    let secret = match grants.known_key(secret) {
        Known::Caller(caller) => return Ok(caller),
        Known::Refused(err) => {
            // Counted, and refused either way.
            if let Ok(Some(lookup)) = limits.lookup(peer) {
                drop(lookup);
            }
            return Err(err);
        }
        Known::Unknown => secret.unwrap_or_default(),
    };
    match limits.lookup(peer) {
        Ok(lookup) => {
            let found = grants.look_up_key(secret).await;
            // Only an unknown or revoked key is a failure.
            if !matches!(found, Err(crate::domain::Error::Unauthenticated { .. }))
                && let Some(lookup) = lookup
            {
                lookup.succeeded();
            }
            found
        }
        Err(too_many) => match grants.is_issued_key(secret).await? {
            true => grants.look_up_key(secret).await,
            false => Err(too_many),
        },
    }
}

/// The client's address, as tonic records it for the connection (plain
/// TCP or TLS).
fn peer(request: &http::Request<Body>) -> Option<std::net::SocketAddr> {
    use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
    let extensions = request.extensions();
    extensions
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(|i| i.get_ref().remote_addr())
        })
}

/// Whether tonic refused the request message for its size (it answers
/// OUT_OF_RANGE with this message, before any handler runs).
fn is_message_too_large(response: &http::Response<Body>) -> bool {
    let headers = response.headers();
    headers.get("grpc-status").is_some_and(|s| s == "11")
        && headers.get("grpc-message").is_some_and(|m| {
            let m = m.as_bytes();
            let needle = b"message%20length%20too%20large";
            m.windows(needle.len()).any(|w| w == needle)
        })
}

/// The limits, as the auth layer handed them to this request.
pub fn limits<T>(request: &tonic::Request<T>) -> Result<Limits, tonic::Status> {
    request
        .extensions()
        .get::<Limits>()
        .cloned()
        .ok_or_else(|| tonic::Status::internal("no limits for this request"))
}

/// The caller the auth layer resolved for this request.
pub fn caller<T>(request: &tonic::Request<T>) -> Result<Caller, tonic::Status> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| tonic::Status::unauthenticated("no authenticated caller"))
}
