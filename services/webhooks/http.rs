//! The HTTP side of deliveries: one client, no redirects followed, a
//! 10 s timeout, and (unless the operator allows them) no connection to a
//! loopback, private, link-local or otherwise non-public address — checked
//! on the addresses the name resolves to at each connection, so a name
//! that later points inside is refused too.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::webhook::UrlPolicy;

/// At most this much of a response is kept.
pub const KEPT_RESPONSE_BYTES: usize = 1_024;
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// Resolves names as the system does, keeping only public addresses.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// What an attempt came to.
pub struct Answer {
    /// The status code, 0 when none was received.
    pub code: u16,
    /// What went wrong, or the start of the response body.
    pub detail: String,
    pub latency: Duration,
}

impl Answer {
    pub fn delivered(&self) -> bool {
        (200..300).contains(&self.code)
    }
}

/// The client every delivery goes through.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    policy: UrlPolicy,
}

impl Sender {
    pub fn new(policy: UrlPolicy) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .user_agent(concat!("gba-grants-webhooks/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(4);
        if !policy.allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Self {
            client: builder.build()?,
            policy,
        })
    }

    /// POSTs `body` to `url` with the Standard Webhooks headers.
    pub async fn post(&self, url: &str, id: &str, timestamp: i64, signature: &str, body: Bytes) -> Answer {
        let started = Instant::now();
        let failed = |detail: String| Answer {
            code: 0,
            detail,
            latency: started.elapsed(),
        };
        let parsed = match reqwest::Url::parse(url) {
            Ok(u) => u,
            Err(e) => return failed(format!("the URL cannot be used: {e}")),
        };
        if !self.policy.allow_http && parsed.scheme() != "https" {
            return failed("plain http is not allowed on this server".into());
        }
        // A literal address is not resolved: check it here.
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if !self.policy.allow_private && literal.is_some_and(|ip| !is_public(ip)) {
            return failed(format!(
                "{} is not a public address",
                parsed.host_str().unwrap_or_default()
            ));
        }
        let sent = self
            .client
            .post(parsed)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let mut response = match sent {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return failed(format!("no answer within {} s", TIMEOUT.as_secs())),
            Err(e) => return failed(format!("the request failed: {}", chain(&e))),
        };
        let code = response.status().as_u16();
        // At most 1 KiB of the body is read and kept.
        let mut kept = Vec::new();
        while kept.len() < KEPT_RESPONSE_BYTES {
            match tokio::time::timeout(TIMEOUT.saturating_sub(started.elapsed()), response.chunk()).await {
                Ok(Ok(Some(chunk))) => kept.extend_from_slice(&chunk),
                _ => break,
            }
        }
        kept.truncate(KEPT_RESPONSE_BYTES);
        let mut detail = String::from_utf8_lossy(&kept).into_owned();
        if (300..400).contains(&code) {
            let to = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or_default();
            detail = format!("redirects are not followed (to {})", crate::domain::text::excerpt(to));
        }
        Answer {
            code,
            detail,
            latency: started.elapsed(),
        }
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for inside in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(inside.parse().expect("ip")), "{inside}");
        }
        for outside in ["8.8.8.8", "202.45.188.1", "2001:4860:4860::8888"] {
            assert!(is_public(outside.parse().expect("ip")), "{outside}");
        }
    }
}
