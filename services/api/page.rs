//! The live dashboard page: the files of `web/dist`, built from `web/` and
//! embedded in the binary, served on the API's own listener at `/`. They
//! are public (the page asks its user for a key, keeps it in the tab's
//! sessionStorage and sends it with each gRPC-Web call); everything the
//! page shows comes through the same checked API as any other client.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderValue, Method, Response, header};
use tonic::body::Body;
use tower::{Layer, Service};

/// One embedded file.
struct Asset {
    content_type: &'static str,
    body: &'static [u8],
}

const INDEX: Asset = Asset {
    content_type: "text/html; charset=utf-8",
    body: include_bytes!("../../web/dist/index.html"),
};
const SCRIPT: Asset = Asset {
    content_type: "text/javascript; charset=utf-8",
    body: include_bytes!("../../web/dist/app.js"),
};
const STYLE: Asset = Asset {
    content_type: "text/css; charset=utf-8",
    body: include_bytes!("../../web/dist/app.css"),
};

/// Scripts, styles and connections from this origin only: nothing inline.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn respond(asset: &Asset) -> Response<Body> {
    let mut response = Response::new(Body::new(http_body_util::Full::new(bytes::Bytes::from_static(
        asset.body,
    ))));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    // Small and embedded: revalidate each time (a new binary, a new page).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

fn asset(path: &str) -> Option<&'static Asset> {
    match path {
        "/" | "/index.html" => Some(&INDEX),
        "/app.js" => Some(&SCRIPT),
        "/app.css" => Some(&STYLE),
        _ => None,
    }
}

/// Answers `GET /`, `/index.html`, `/app.js` and `/app.css` with the page
/// (HTTP/1.1 or HTTP/2) before gRPC-Web translation, which refuses plain
/// HTTP/1.1 requests; everything else goes on to the API.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageLayer;

impl<S> Layer<S> for PageLayer {
    type Service = Page<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Page { inner }
    }
}

#[derive(Debug, Clone)]
pub struct Page<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, R> Service<http::Request<R>> for Page<S>
where
    S: Service<http::Request<R>, Response = Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<R>) -> Self::Future {
        if request.method() == Method::GET
            && let Some(asset) = asset(request.uri().path())
        {
            return Box::pin(std::future::ready(Ok(respond(asset))));
        }
        Box::pin(self.inner.call(request))
    }
}
