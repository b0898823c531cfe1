//! Cross-origin gRPC-Web: pages on the origins an operator names (flag
//! `--cors-origin`) may call the API from a browser; with none named there
//! is no CORS layer, so browsers refuse every cross-origin call. The
//! built-in dashboard is served from the API's own origin and needs none.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The layer for `origins`, `None` when there are none; an origin that is
/// not `scheme://host[:port]` is an error naming it.
pub fn layer(origins: &[String]) -> Result<Option<CorsLayer>, String> {
    if origins.is_empty() {
        return Ok(None);
    }
    let mut allowed = Vec::with_capacity(origins.len());
    for origin in origins {
        let origin = origin.trim().trim_end_matches('/');
        let valid = origin.split_once("://").is_some_and(|(scheme, host)| {
            matches!(scheme, "http" | "https") && !host.is_empty() && !host.contains(['/', '?', '#', ' ', '*'])
        });
        if !valid {
            return Err(format!(
                "--cors-origin {origin:?} is not an origin such as https://dash.example.org"
            ));
        }
        allowed.push(HeaderValue::from_str(origin).map_err(|e| format!("--cors-origin {origin:?}: {e}"))?);
    }
    let request_headers = [
        "authorization",
        "content-type",
        "x-grpc-web",
        "x-user-agent",
        "grpc-timeout",
    ];
    let response_headers = ["grpc-status", "grpc-message", "grpc-status-details-bin"];
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed))
            .allow_methods([Method::POST, Method::GET, Method::OPTIONS])
            .allow_headers(request_headers.map(HeaderName::from_static))
            .expose_headers(response_headers.map(HeaderName::from_static))
            .max_age(Duration::from_secs(24 * 3_600)),
    ))
}
