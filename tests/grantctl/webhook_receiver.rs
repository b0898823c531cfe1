//! The webhook receiver of the grantctl tests: a `TcpListener` on
//! 127.0.0.1 answering every request `204 No Content` and keeping its
//! path, Standard Webhooks headers and body, with the signature check.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// One request the receiver answered.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub id: String,
    pub timestamp: String,
    pub signatures: Vec<String>,
    pub body: Vec<u8>,
}

impl Hit {
    /// Which of `secrets` sign this request (indexes), per Standard Webhooks.
    pub fn signed_by(&self, secrets: &[&str]) -> Vec<usize> {
        let mut content = format!("{}.{}.", self.id, self.timestamp).into_bytes();
        content.extend_from_slice(&self.body);
        secrets
            .iter()
            .enumerate()
            .filter(|(_, secret)| {
                let key = STANDARD
                    .decode(secret.trim_start_matches("whsec_"))
                    .expect("a secret is base64");
                let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key), &content);
                let expected = format!("v1,{}", STANDARD.encode(tag.as_ref()));
                self.signatures.contains(&expected)
            })
            .map(|(i, _)| i)
            .collect()
    }
}

/// An HTTP receiver on 127.0.0.1 answering every POST `204 No Content`.
pub struct Receiver {
    port: u16,
    hits: Arc<Mutex<Vec<Hit>>>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
        let port = listener.local_addr().expect("its address").port();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (sink, stopped) = (hits.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    answer(stream, &sink);
                }
            }
        });
        Self { port, hits, stop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn hits(&self, path: &str) -> Vec<Hit> {
        self.hits
            .lock()
            .expect("hits")
            .iter()
            .filter(|h| h.path == path)
            .cloned()
            .collect()
    }

    /// The first request to `path` that `found` accepts.
    pub async fn wait_hit(&self, path: &str, what: &str, found: impl Fn(&Hit) -> bool) -> Hit {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(hit) = self.hits(path).into_iter().find(|h| found(h)) {
                return hit;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what} at {path} within 30 s; got {:?}",
                self.hits(path)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_for(&self, path: &str, count: usize) -> Vec<Hit> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let hits = self.hits(path);
            if hits.len() >= count {
                return hits;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{count} requests to {path} within 30 s; got {hits:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Reads one request, records it, then answers 204 and closes (recorded
/// first: the sender sends the next request, or the redelivery's caller
/// reads the hits, only once answered).
fn answer(stream: TcpStream, sink: &Mutex<Vec<Hit>>) -> Option<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut hit = Hit {
        path,
        id: String::new(),
        timestamp: String::new(),
        signatures: Vec::new(),
        body: Vec::new(),
    };
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let value = value.trim().to_owned();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().ok()?,
            "webhook-id" => hit.id = value,
            "webhook-timestamp" => hit.timestamp = value,
            "webhook-signature" => hit.signatures = value.split(' ').map(str::to_owned).collect(),
            _ => {}
        }
    }
    hit.body = vec![0; length];
    reader.read_exact(&mut hit.body).ok()?;
    sink.lock().expect("hits").push(hit);
    let mut stream = stream;
    stream
        .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .ok()?;
    stream.flush().ok()?;
    Some(())
}

/// The application an event delivered is about.
pub fn application_of(hit: &Hit) -> String {
    let body: Value = serde_json::from_slice(&hit.body).expect("a JSON body");
    body["application"].as_str().unwrap_or_default().to_owned()
}
