//! An S3-protocol server of a test's own: `s3s-fs` (crates.io; `.ci/run`
//! installs it) serving a temporary directory on 127.0.0.1, with one
//! bucket, and the environment that points a server at it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct S3Server {
    child: Child,
    root: tempfile::TempDir,
    pub endpoint: String,
    pub bucket: String,
}

const ACCESS_KEY: &str = "gba-test-access";
const SECRET_KEY: &str = "gba-test-secret-key";

/// The `s3s-fs` binary: `GBA_GRANTS_S3S_FS`, the PATH, or where `.ci/run`
/// installs it.
fn binary() -> PathBuf {
    if let Ok(path) = std::env::var("GBA_GRANTS_S3S_FS") {
        return PathBuf::from(path);
    }
    let mut dirs: Vec<PathBuf> = std::env::var("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push(PathBuf::from("/opt/s3s/bin"));
    if let Ok(home) = std::env::var("CARGO_HOME") {
        dirs.push(Path::new(&home).join("bin"));
    }
    dirs.into_iter()
        .map(|d| d.join("s3s-fs"))
        .find(|p| p.exists())
        .expect("s3s-fs is installed (cargo install s3s-fs --version 0.14.1 --features binary; .ci/run does)")
}

impl S3Server {
    /// Starts it, with bucket `grants`, and waits until it answers.
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("a root");
        let bucket = "grants".to_owned();
        std::fs::create_dir_all(root.path().join(&bucket)).expect("the bucket");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(binary())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start s3s-fs");
        let endpoint = format!("http://127.0.0.1:{port}");
        let started = tokio::time::Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "s3s-fs did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            child,
            root,
            endpoint,
            bucket,
        }
    }

    /// The environment a gba-grants process needs to use it.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
        ]
    }

    /// `s3://bucket/prefix`.
    pub fn store(&self, prefix: &str) -> String {
        format!("s3://{}/{prefix}", self.bucket)
    }

    /// Every file the server keeps (objects, and anything in progress).
    pub fn files(&self) -> Vec<PathBuf> {
        super::documents::files_under(&self.root.path().to_string_lossy())
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
