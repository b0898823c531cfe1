//! The built `gba-grants` binary as a process of a test's own: started on
//! a database, waited for until it serves, killed as a crash would.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

/// A `gba-grants serve` process.
pub struct Process {
    child: Child,
    pub addr: String,
    /// Lines of its standard output (the bootstrap key, if it made one).
    pub stdout: std::sync::mpsc::Receiver<String>,
}

impl Process {
    pub fn start(url: &str) -> Self {
        Self::start_with(url, &[], &[])
    }

    /// Starts with more arguments and environment variables.
    pub fn start_with(url: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("address")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let documents = super::documents_for(url);
        let store: &[&str] = match args.contains(&"--document-store") {
            true => &[],
            false => &["--document-store", &documents],
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_gba-grants"))
            .args(["serve", "--listen", &addr, "--database-url", url])
            .args(store)
            .args(args)
            .envs(env.iter().copied())
            .env(
                "RUST_LOG",
                std::env::var("GBA_GRANTS_TEST_SERVER_LOG_LEVEL").unwrap_or_else(|_| "error".into()),
            )
            .stdout(Stdio::piped())
            .stderr(match std::env::var("GBA_GRANTS_TEST_SERVER_LOG") {
                // Debugging: the server's log appended to this file.
                Ok(path) => std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_or_else(|_| Stdio::null(), Stdio::from),
                Err(_) => Stdio::null(),
            })
            .spawn()
            .expect("start gba-grants");
        let (tx, stdout) = std::sync::mpsc::channel();
        let out = BufReader::new(child.stdout.take().expect("stdout"));
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self { child, addr, stdout }
    }

    /// A channel once the process serves (health SERVING), within a bound.
    pub async fn serving(&mut self) -> Channel {
        use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
        let started = tokio::time::Instant::now();
        loop {
            assert!(self.child.try_wait().expect("status").is_none(), "gba-grants exited");
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "gba-grants did not serve within 60 s"
            );
            if let Ok(channel) = Endpoint::from_shared(format!("http://{}", self.addr))
                .expect("endpoint")
                .connect()
                .await
            {
                let status = HealthClient::new(channel.clone())
                    .check(HealthCheckRequest::default())
                    .await
                    .map(|r| r.into_inner().status);
                if status.is_ok_and(|s| s == ServingStatus::Serving as i32) {
                    return channel;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn kill_nine(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
