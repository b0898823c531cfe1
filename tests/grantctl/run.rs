//! Running the grantctl binary from tests: a clean environment, the
//! endpoint and token given, output captured; and the normaliser that makes
//! table output comparable (ids and times replaced by same-width stand-ins).

use std::process::{Command, Output};

use serde_json::Value;

/// One finished grantctl run.
#[derive(Debug, Clone)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Standard output as it was written (binary content, `-O -`).
    pub stdout_bytes: Vec<u8>,
}

impl Run {
    /// Asserts exit 0 and parses standard output as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "grantctl failed: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    /// Asserts exit 0 and returns standard output, trimmed.
    #[track_caller]
    pub fn ok(&self) -> String {
        assert_eq!(self.code, 0, "grantctl failed: {}", self.stderr);
        self.stdout.trim().to_owned()
    }

    /// Asserts the exit code and returns standard error.
    #[track_caller]
    pub fn fails(&self, code: i32) -> String {
        assert_eq!(
            self.code, code,
            "expected exit {code}; stdout: {} stderr: {}",
            self.stdout, self.stderr
        );
        assert!(self.stderr.starts_with("grantctl: ") || code == 2, "{}", self.stderr);
        self.stderr.clone()
    }
}

/// The binary, with no GBA_GRANTS_* variables inherited and no saved
/// contexts: its configuration file is one that does not exist (tests of
/// contexts point GBA_GRANTS_CONFIG or XDG_CONFIG_HOME elsewhere).
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_grantctl"));
    for (key, _) in std::env::vars() {
        if key.starts_with("GBA_GRANTS_") {
            c.env_remove(key);
        }
    }
    let none = std::env::temp_dir().join(format!("grantctl-tests-{}-no-config", std::process::id()));
    c.env("GBA_GRANTS_CONFIG", none.join("grantctl.json"));
    c
}

/// A grantctl talking to one server with one key (sent by environment).
#[derive(Clone)]
pub struct Ctl {
    pub endpoint: String,
    pub token: String,
}

impl Ctl {
    pub fn new(addr: std::net::SocketAddr, token: &str) -> Self {
        Self {
            endpoint: format!("http://{addr}"),
            token: token.to_owned(),
        }
    }

    pub fn with(&self, token: &str) -> Self {
        Self {
            endpoint: self.endpoint.clone(),
            token: token.to_owned(),
        }
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        let mut c = self.command();
        c.args(args);
        output(c).await
    }

    /// Runs in the working directory `dir`.
    pub async fn run_in(&self, dir: &std::path::Path, args: &[&str]) -> Run {
        let mut c = self.command();
        c.current_dir(dir).args(args);
        output(c).await
    }

    /// The command, with the endpoint and the key set and no arguments.
    pub fn command(&self) -> Command {
        let mut c = command();
        c.env("GBA_GRANTS_ENDPOINT", &self.endpoint);
        if !self.token.is_empty() {
            c.env("GBA_GRANTS_TOKEN", &self.token);
        }
        c
    }
}

/// Runs a prepared command off the async workers.
pub async fn output(mut c: Command) -> Run {
    let out: Output = tokio::task::spawn_blocking(move || c.output())
        .await
        .expect("join")
        .expect("run grantctl");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        stdout_bytes: out.stdout,
    }
}

/// Replaces each distinct 32-hex-digit id by `xxx…n` (same width, numbered
/// in order of appearance) and each `YYYY-MM-DD hh:mm:ssZ` time by a
/// stand-in of the same width, so tables stay aligned.
pub fn normalise(text: &str) -> String {
    let mut ids: Vec<String> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
    let word = |c: char| c.is_ascii_alphanumeric();
    while i < chars.len() {
        let boundary = i == 0 || !word(chars[i - 1]);
        let run = chars[i..].iter().take_while(|c| hex(**c)).count();
        if boundary && run == 32 && chars.get(i + 32).is_none_or(|c| !word(*c)) {
            let id: String = chars[i..i + 32].iter().collect();
            let n = match ids.iter().position(|x| *x == id) {
                Some(p) => p + 1,
                None => {
                    ids.push(id);
                    ids.len()
                }
            };
            out.push_str(&format!("{n:x>32}"));
            i += 32;
            continue;
        }
        if boundary && is_time(&chars[i..]) {
            out.push_str("YYYY-MM-DD hh:mm:ssZ");
            i += 20;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn is_time(c: &[char]) -> bool {
    let pattern = "dddd-dd-dd dd:dd:ddZ";
    c.len() >= pattern.len()
        && pattern
            .chars()
            .zip(c)
            .all(|(p, c)| if p == 'd' { c.is_ascii_digit() } else { p == *c })
}
