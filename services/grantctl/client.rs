//! The thin client: one lazily connected channel to `--endpoint`, the
//! bearer header, a per-call deadline, retries of transient failures (with
//! the same request_id, so writes stay safe), and paging through lists.

use std::future::Future;
use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Request, Response, Status};

use crate::backoff::Backoff;
use crate::error::{CliError, Result};
use crate::transient;

/// Attempts of one call, the first included.
const ATTEMPTS: u32 = 3;

#[derive(Clone)]
pub struct Conn {
    channel: Channel,
    /// `Bearer <token>`; never printed (no Debug on purpose).
    bearer: Option<MetadataValue<Ascii>>,
    timeout: Duration,
    endpoint: String,
}

/// TLS settings for an https:// endpoint.
#[derive(Debug, Default)]
pub struct Tls {
    pub ca_file: Option<std::path::PathBuf>,
    /// Client certificate and key (mutual TLS).
    pub identity: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

fn read(path: &std::path::Path, flag: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| CliError::invalid(flag, format!("cannot read {}: {e}", path.display())))
}

impl Tls {
    fn config(&self) -> Result<ClientTlsConfig> {
        let mut config = ClientTlsConfig::new();
        config = match &self.ca_file {
            Some(ca) => config.ca_certificate(Certificate::from_pem(read(ca, "--ca-file")?)),
            None => config.with_native_roots(),
        };
        if let Some((cert, key)) = &self.identity {
            config = config.identity(Identity::from_pem(read(cert, "--cert-file")?, read(key, "--key-file")?));
        }
        Ok(config)
    }
}

impl Conn {
    pub fn new(endpoint: &str, token: Option<String>, timeout: Duration, tls: &Tls) -> Result<Self> {
        let mut target = Endpoint::from_shared(endpoint.to_owned())
            .map_err(|_| {
                CliError::invalid(
                    "--endpoint",
                    format!("{endpoint:?} is not an address such as 127.0.0.1:50051 or https://grants.example.org"),
                )
            })?
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(20))
            .keep_alive_while_idle(true)
            // Downloads come in 1 MiB chunks: whole chunks a frame, and
            // room for the next while one is hashed and written.
            .max_frame_size(1 << 20)
            .initial_stream_window_size(4 << 20)
            .initial_connection_window_size(16 << 20);
        if endpoint.starts_with("https://") {
            target = target
                .tls_config(tls.config()?)
                .map_err(|e| CliError::invalid("--ca-file", format!("the TLS settings do not work: {e}")))?;
        } else if tls.ca_file.is_some() || tls.identity.is_some() {
            return Err(CliError::invalid(
                "--endpoint",
                format!(
                    "TLS files were given but {endpoint} is not https:// (leave the scheme out, or write https://)"
                ),
            ));
        }
        let bearer = match token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => Some(
                format!("Bearer {t}")
                    .parse()
                    .map_err(|_| CliError::invalid("token", "it must be printable ASCII (it is not shown here)"))?,
            ),
        };
        Ok(Self {
            channel: target.connect_lazy(),
            bearer,
            timeout,
            endpoint: endpoint.to_owned(),
        })
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A request carrying the bearer header (and no deadline: streams).
    pub fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        if let Some(b) = &self.bearer {
            request.metadata_mut().insert("authorization", b.clone());
        }
        request
    }

    /// The error for a failed call, as one sentence.
    pub fn error(&self, status: &Status) -> CliError {
        CliError::from_status(status, &self.endpoint)
    }

    /// One unary call with the deadline, retried on UNAVAILABLE,
    /// DEADLINE_EXCEEDED and dropped connections (3 attempts, backoff).
    /// The message is sent unchanged each time, request_id included.
    pub async fn call<M, R, F, Fut>(&self, message: M, f: F) -> Result<R>
    where
        M: Clone,
        F: Fn(Channel, Request<M>) -> Fut,
        Fut: Future<Output = std::result::Result<Response<R>, Status>>,
    {
        self.attempts(message, f, ATTEMPTS).await
    }

    /// One unary call with the deadline, never retried: for a write
    /// without a request_id that must not happen twice (a second secret
    /// rotation would end the first one's overlap).
    pub async fn call_once<M, R, F, Fut>(&self, message: M, f: F) -> Result<R>
    where
        M: Clone,
        F: Fn(Channel, Request<M>) -> Fut,
        Fut: Future<Output = std::result::Result<Response<R>, Status>>,
    {
        self.attempts(message, f, 1).await
    }

    async fn attempts<M, R, F, Fut>(&self, message: M, f: F, attempts: u32) -> Result<R>
    where
        M: Clone,
        F: Fn(Channel, Request<M>) -> Fut,
        Fut: Future<Output = std::result::Result<Response<R>, Status>>,
    {
        let mut backoff = Backoff::retry();
        let mut attempt = 1;
        loop {
            let mut request = self.request(message.clone());
            request.set_timeout(self.timeout);
            let outcome = match tokio::time::timeout(self.timeout, f(self.channel(), request)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(Status::deadline_exceeded(format!(
                    "no answer within {:?} (raise --timeout)",
                    self.timeout
                ))),
            };
            match outcome {
                Ok(response) => return Ok(response.into_inner()),
                Err(status) if attempt < attempts && transient::is_transient(&status) => {
                    attempt += 1;
                    tokio::time::sleep(backoff.next_delay()).await;
                }
                Err(status) => return Err(self.error(&status)),
            }
        }
    }
}

/// Paging options shared by every list command.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page_size: Option<i32>,
    pub limit: Option<usize>,
}

impl Paging {
    /// The page size to ask for, given how many items are still wanted.
    fn size(&self, have: usize) -> i32 {
        let wanted = self.limit.map(|l| l.saturating_sub(have).min(1_000) as i32);
        match (self.page_size, wanted) {
            (Some(p), Some(w)) => p.min(w),
            (Some(p), None) => p,
            (None, Some(w)) => w,
            (None, None) => 0,
        }
    }

    /// Pages through a list: `fetch(page_size, token)` returns one page and
    /// the next token; stops at the last page or at `--limit`.
    pub async fn collect<T, F, Fut>(&self, mut fetch: F) -> Result<Vec<T>>
    where
        F: FnMut(i32, String) -> Fut,
        Fut: Future<Output = Result<(Vec<T>, String)>>,
    {
        let mut items = Vec::new();
        let mut token = String::new();
        loop {
            let (page, next) = fetch(self.size(items.len()), token).await?;
            items.extend(page);
            if let Some(limit) = self.limit
                && items.len() >= limit
            {
                items.truncate(limit);
                return Ok(items);
            }
            if next.is_empty() {
                return Ok(items);
            }
            token = next;
        }
    }
}
