//! A webhook receiver for tests: `tests/webhooks/receiver.py`, which
//! verifies every delivery with the `standardwebhooks` library from PyPI
//! and prints each as a JSON line, run by a Python that has it.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gba_grants::proto::v1::webhook_service_client::WebhookServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::{Bearer, TestServer};

/// A Python with `standardwebhooks`: the system's if it has it, else a
/// venv made once under the target directory from
/// `tests/webhooks/requirements.txt` (so the README's test command needs
/// nothing installed by hand).
pub fn python() -> &'static std::path::Path {
    static PYTHON: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(|| {
        let has = |python: &std::path::Path| {
            Command::new(python)
                .args(["-c", "import standardwebhooks"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let system = std::path::PathBuf::from("python3");
        if has(&system) {
            return system;
        }
        let venv = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("webhooks-venv");
        let python = venv.join("bin/python");
        if !has(&python) {
            let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status();
            assert!(made.is_ok_and(|s| s.success()), "python3 -m venv {}", venv.display());
            let installed = Command::new(&python)
                .args(["-m", "pip", "install", "-q", "--disable-pip-version-check", "-r"])
                .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhooks/requirements.txt"))
                .status();
            assert!(installed.is_ok_and(|s| s.success()), "pip install standardwebhooks");
        }
        python
    })
}

/// The webhook client of `key`.
pub type Hooks = WebhookServiceClient<InterceptedService<Channel, Bearer>>;

pub fn hooks(server: &TestServer, key: &str) -> Hooks {
    WebhookServiceClient::with_interceptor(server.channel.clone(), Bearer::new(key))
}

pub fn loopback(s: &mut gba_grants::startup::Settings) {
    s.webhooks.policy.allow_http = true;
    s.webhooks.policy.allow_private = true;
    s.webhooks.sender.interval = Duration::from_millis(50);
    s.webhooks.sender.first_backoff = Duration::from_millis(50);
    s.webhooks.sender.max_backoff = Duration::from_millis(200);
}

/// The Python receiver, and the JSON lines it printed.
pub struct Receiver {
    child: Child,
    pub port: u16,
    lines: Arc<Mutex<Vec<serde_json::Value>>>,
    secrets: tempfile::NamedTempFile,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    pub fn start(extra: &[&str]) -> Self {
        let secrets = tempfile::NamedTempFile::new().expect("a secrets file");
        let mut child = Command::new(python())
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhooks/receiver.py"))
            .arg(secrets.path())
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the receiver (pip install standardwebhooks)");
        let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        out.read_line(&mut first).expect("the receiver's port");
        let port = first
            .trim()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the receiver did not start: {first:?}"));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    sink.lock().expect("lines").push(v);
                }
            }
        });
        Self {
            child,
            port,
            lines,
            secrets,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/grants", self.port)
    }

    pub fn set_secrets(&self, secrets: &[&str]) {
        std::fs::write(self.secrets.path(), secrets.join("\n")).expect("write the secrets");
    }

    pub fn lines(&self) -> Vec<serde_json::Value> {
        self.lines.lock().expect("lines").clone()
    }

    /// Verified deliveries' ids, first arrivals only, in arrival order.
    pub fn ids(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.lines()
            .iter()
            .filter(|l| l["verified"].as_array().is_some_and(|v| !v.is_empty()))
            .filter_map(|l| l["id"].as_str().map(str::to_owned))
            .filter(|id| seen.insert(id.clone()))
            .collect()
    }

    pub async fn wait_for(&self, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !done(self) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what} within 60 s; received {:?}",
                self.lines().iter().rev().take(5).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
