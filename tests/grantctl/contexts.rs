//! Where grantctl connects and with which key: saved contexts (kept 0600
//! in a 0700 directory, written atomically, tightened when found looser),
//! switching between servers and keys with `config use-context`, flags and
//! environment variables overriding a context, endpoints without a
//! scheme, the refusal without a key, and `--help` that keeps the
//! connection flags apart and requires none of them.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::common::*;
use super::run::{Ctl, Run, command, output};

/// The refusal of a command that needs a key when none was given.
const NO_TOKEN: &str = "grantctl: no API key: pass --token or --token-file, set GBA_GRANTS_TOKEN or \
                        GBA_GRANTS_TOKEN_FILE, or save one with grantctl config set-context";

/// grantctl with a home of its own: `XDG_CONFIG_HOME` in a temporary
/// directory (the default location), and whatever else `envs` sets.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a home"),
        }
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("xdg").join("gba-grants")
    }

    fn config_file(&self) -> PathBuf {
        self.config_dir().join("grantctl.json")
    }

    fn command(&self, envs: &[(&str, &str)], args: &[&str]) -> Command {
        let mut c = command();
        c.env_remove("GBA_GRANTS_CONFIG")
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("HOME", self.dir.path());
        for (k, v) in envs {
            c.env(k, v);
        }
        c.args(args);
        c
    }

    async fn run(&self, args: &[&str]) -> Run {
        output(self.command(&[], args)).await
    }

    async fn run_env(&self, envs: &[(&str, &str)], args: &[&str]) -> Run {
        output(self.command(envs, args)).await
    }

    /// `whoami -o json` with this home: the key's JSON.
    async fn whoami(&self, envs: &[(&str, &str)], extra: &[&str]) -> Value {
        let args = [&["whoami", "-o", "json"][..], extra].concat();
        self.run_env(envs, &args).await.json()
    }

    fn write_key(&self, name: &str, key: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("{key}\n")).expect("a key file");
        path.to_str().expect("utf-8 path").to_owned()
    }
}

/// The lines of `help` about `flag`: its own line and its description, up
/// to the next flag.
fn flag_text(help: &str, flag: &str) -> String {
    let mut lines = help.lines().skip_while(|l| !l.contains(flag));
    let first = lines.next().unwrap_or_else(|| panic!("{flag} in {help}"));
    let rest = lines.take_while(|l| {
        let t = l.trim_start();
        !(t.starts_with("--") || t.starts_with("-o") || t.ends_with(':') && !l.starts_with(' '))
    });
    std::iter::once(first).chain(rest).collect::<Vec<_>>().join("\n")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

/// The name of the key `secret` on `server`, asked over the API.
async fn key_name(server: &TestServer, secret: &str) -> String {
    server
        .access(secret)
        .get_current_api_key(gba_grants::proto::v1::GetCurrentApiKeyRequest {})
        .await
        .expect("the current key")
        .into_inner()
        .api_key
        .expect("api key")
        .name
}

pub async fn contexts_switch_servers_and_keys_and_flags_and_environment_win(backend: Backend) {
    let one = TestServer::start(backend).await;
    let two = TestServer::start(backend).await;
    let w = one.world().await;
    let home = Home::new();
    let admin_file = home.write_key("one-admin.key", &one.admin_key);
    let (one_addr, two_addr) = (one.addr.to_string(), two.addr.to_string());
    let (one_admin, two_admin, officer) = (
        key_name(&one, &one.admin_key).await,
        key_name(&two, &two.admin_key).await,
        key_name(&one, &w.officer_key).await,
    );

    // Nothing saved yet: the current context is not set, the list is empty.
    home.run(&["config", "current-context"]).await.fails(1);
    let r = home.run(&["config", "get-contexts"]).await;
    assert_eq!(r.ok(), "", "{}", r.stderr);

    // The first context saved becomes the current one; the key is kept as a
    // path (made absolute), the directory 0700 and the file 0600.
    let r = home
        .run(&[
            "config",
            "set-context",
            "one",
            "--endpoint",
            &one_addr,
            "--token-file",
            &admin_file,
        ])
        .await;
    assert!(r.ok().contains("Switched to context \"one\""), "{}", r.stdout);
    assert_eq!(mode(&home.config_dir()), 0o700, "the directory");
    assert_eq!(mode(&home.config_file()), 0o600, "the file");
    assert_eq!(home.run(&["config", "current-context"]).await.ok(), "one");
    assert_eq!(home.whoami(&[], &[]).await["name"], one_admin.as_str());

    // A second server with an inline key, and the officer of the first.
    home.run(&[
        "config",
        "set-context",
        "two",
        "--endpoint",
        &format!("http://{two_addr}"),
        "--token",
        &two.admin_key,
    ])
    .await
    .ok();
    home.run(&[
        "config",
        "set-context",
        "officer",
        "--endpoint",
        &one_addr,
        "--token",
        &w.officer_key,
    ])
    .await
    .ok();
    assert_eq!(home.whoami(&[], &[]).await["name"], one_admin.as_str(), "still one");
    let r = home.run(&["config", "use-context", "two"]).await;
    assert_eq!(r.ok(), "Switched to context \"two\".");
    assert_eq!(home.run(&["config", "current-context"]).await.ok(), "two");
    assert_eq!(
        home.whoami(&[], &[]).await["name"],
        two_admin.as_str(),
        "use-context switched servers"
    );
    home.run(&["config", "use-context", "officer"]).await.ok();
    let me = home.whoami(&[], &[]).await;
    assert_eq!(me["name"], officer.as_str(), "use-context switched keys");
    assert_eq!(me["role"], "ROLE_OFFICER");

    // --context and GBA_GRANTS_CONTEXT pick another context for one command.
    assert_eq!(
        home.whoami(&[], &["--context", "one"]).await["name"],
        one_admin.as_str()
    );
    assert_eq!(
        home.whoami(&[("GBA_GRANTS_CONTEXT", "two")], &[]).await["name"],
        two_admin.as_str()
    );
    let r = home.run(&["--context", "nope", "whoami"]).await;
    let stderr = r.fails(4);
    assert!(
        stderr.contains("no context \"nope\"") && stderr.contains("officer, one, two"),
        "{stderr}"
    );

    // A flag or an environment variable wins over the context, field by
    // field: the officer context's endpoint with another key ...
    assert_eq!(
        home.whoami(&[("GBA_GRANTS_TOKEN", &one.admin_key)], &[]).await["name"],
        one_admin.as_str()
    );
    assert_eq!(
        home.whoami(&[], &["--token-file", &admin_file]).await["name"],
        one_admin.as_str()
    );
    // ... and a flag over the environment.
    assert_eq!(
        home.whoami(&[("GBA_GRANTS_TOKEN", &w.viewer_key)], &["--token", &one.admin_key])
            .await["name"],
        one_admin.as_str()
    );
    // Another endpoint with the context's key: server two does not know it.
    let r = home.run_env(&[("GBA_GRANTS_ENDPOINT", &two_addr)], &["whoami"]).await;
    assert!(r.fails(3).contains("UNAUTHENTICATED"), "{}", r.stderr);
    assert_eq!(
        home.whoami(&[], &["--endpoint", &two_addr, "--token", &two.admin_key])
            .await["name"],
        two_admin.as_str()
    );

    // set-context changes only the fields given; environment variables are
    // never saved.
    home.run_env(
        &[("GBA_GRANTS_TOKEN", "gbk_from-the-environment")],
        &[
            "config",
            "set-context",
            "officer",
            "--endpoint",
            &format!("http://{one_addr}"),
        ],
    )
    .await
    .ok();
    assert_eq!(home.whoami(&[], &[]).await["name"], officer.as_str(), "the key stayed");
    let saved = std::fs::read_to_string(home.config_file()).unwrap();
    assert!(!saved.contains("gbk_from-the-environment"), "{saved}");
    let r = home.run(&["config", "set-context", "officer"]).await;
    assert!(r.fails(4).contains("give a setting"), "{}", r.stderr);

    // get-contexts: a table marking the current context, and JSON; never a key.
    let table = home.run(&["config", "get-contexts"]).await;
    let text = table.ok();
    let current: Vec<&str> = text.lines().filter(|l| l.starts_with('*')).collect();
    assert_eq!(current.len(), 1, "{text}");
    assert!(
        current[0].contains("officer") && current[0].contains("inline"),
        "{text}"
    );
    assert!(text.contains(&admin_file), "the key's path is shown: {text}");
    let listed = home.run(&["config", "get-contexts", "-o", "json"]).await;
    let json = listed.json();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["officer", "one", "two"]);
    assert_eq!(json[0]["current"], true);
    assert_eq!(json[2]["inlineToken"], true);
    for r in [&table, &listed] {
        for secret in [&one.admin_key, &two.admin_key, &w.officer_key] {
            assert!(
                !r.stdout.contains(secret.as_str()) && !r.stderr.contains(secret.as_str()),
                "a key shown"
            );
        }
    }

    // Permissions found looser are tightened (with a note), and writes
    // leave no temporary file behind.
    std::fs::set_permissions(home.config_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(home.config_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = home.run(&["config", "current-context"]).await;
    assert_eq!(r.ok(), "officer");
    assert!(r.stderr.contains("now 600"), "{}", r.stderr);
    assert_eq!(mode(&home.config_file()), 0o600);
    assert_eq!(mode(&home.config_dir()), 0o700);
    let files: Vec<String> = std::fs::read_dir(home.config_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["grantctl.json"]);

    // Deleting the current context leaves none current; the others stay.
    assert!(
        home.run(&["config", "delete-context", "officer"])
            .await
            .ok()
            .contains("Deleted")
    );
    home.run(&["config", "current-context"]).await.fails(1);
    home.run(&["config", "delete-context", "officer"]).await.fails(4);
    assert_eq!(
        home.run(&["config", "get-contexts", "-o", "name"]).await.ok(),
        "one\ntwo"
    );

    // GBA_GRANTS_CONFIG puts the file elsewhere.
    let elsewhere = home.dir.path().join("elsewhere").join("ctl.json");
    let at = elsewhere.to_str().unwrap();
    home.run_env(
        &[("GBA_GRANTS_CONFIG", at)],
        &[
            "config",
            "set-context",
            "x",
            "--endpoint",
            &one_addr,
            "--token-file",
            &admin_file,
        ],
    )
    .await
    .ok();
    assert_eq!(mode(&elsewhere), 0o600);
    assert_eq!(
        home.whoami(&[("GBA_GRANTS_CONFIG", at)], &[]).await["name"],
        one_admin.as_str()
    );
    two.stop().await;
}

pub async fn endpoints_need_no_scheme_and_a_missing_key_says_what_to_set(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let port = server.addr.port().to_string();

    // 127.0.0.1:PORT and localhost:PORT are http://.
    for endpoint in [server.addr.to_string(), format!("localhost:{port}")] {
        let bare = Ctl {
            endpoint: endpoint.clone(),
            token: server.admin_key.clone(),
        };
        let me = bare.run(&["whoami", "-o", "json"]).await.json();
        assert_eq!(me["role"], "ROLE_ADMIN", "{endpoint}");
        let mut c = command();
        c.args([
            "--endpoint",
            &endpoint,
            "--token",
            &server.admin_key,
            "institutions",
            "list",
        ]);
        output(c).await.ok();
    }
    // With a CA file it is https://: a TLS handshake with a plaintext
    // server fails, and the sentence names the https:// address.
    let ca = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a certificate");
    let ca_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca_file.path(), ca.cert.pem()).unwrap();
    let tls = Ctl {
        endpoint: server.addr.to_string(),
        token: server.admin_key.clone(),
    };
    let r = tls
        .run(&["whoami", "--ca-file", ca_file.path().to_str().unwrap()])
        .await;
    let stderr = r.fails(6);
    assert!(stderr.contains(&format!("https://{}", server.addr)), "{stderr}");

    // No key: one sentence naming every way to give one, exit 4, no call
    // made (the endpoint does not even answer), for every command that needs one.
    let nobody = Ctl {
        endpoint: "127.0.0.1:9".into(),
        token: String::new(),
    };
    for args in [
        &["whoami"][..],
        &["institutions", "list"][..],
        &["applications", "list", "--state", "submitted"][..],
        &["watch", "events"][..],
        &["reviews", "start", "p1/a1"][..],
        &["keys", "list"][..],
    ] {
        let r = nobody.run(args).await;
        assert_eq!(r.fails(4).trim_end(), NO_TOKEN, "{args:?}");
    }
    // An empty token file is refused, naming the flag.
    let empty = tempfile::NamedTempFile::new().unwrap();
    let mut c = command();
    c.args(["--token-file", empty.path().to_str().unwrap(), "whoami"]);
    let r = output(c).await;
    assert!(r.fails(4).contains("--token-file"), "{}", r.stderr);
    // health, completion and config need none.
    assert_eq!(admin.with("").run(&["health"]).await.ok(), "SERVING");
    assert!(nobody.run(&["completion", "BASH"]).await.ok().contains("grantctl"));
    nobody.run(&["config", "get-contexts"]).await.ok();

    // --help keeps the connection and output flags apart from the command's
    // own, and requires none of them.
    for args in [
        &["--help"][..],
        &["applications", "list", "--help"][..],
        &["review", "approve", "--help"][..],
    ] {
        let help = nobody.run(args).await.ok();
        let connection = help.find("Connection:").unwrap_or_else(|| panic!("{help}"));
        let output_at = help.find("Output:").unwrap_or_else(|| panic!("{help}"));
        let section = &help[connection..];
        for flag in ["--endpoint", "--token", "--token-file", "--ca-file", "--context"] {
            assert!(section.contains(flag), "{flag} under Connection: {help}");
        }
        assert!(help[output_at..].contains("--output"), "{help}");
        // Neither the usage line nor the flags' own text requires them.
        let usage = help.lines().find(|l| l.starts_with("Usage:")).unwrap_or_default();
        assert!(!usage.contains("--endpoint") && !usage.contains("--token"), "{usage}");
        for flag in ["--endpoint <URL>", "--token <TOKEN>"] {
            assert!(!flag_text(&help, flag).to_lowercase().contains("required"), "{help}");
        }
        assert!(!help.contains("[required]"), "{help}");
        assert!(!help.contains(&server.admin_key));
    }
    let own = nobody.run(&["applications", "list", "--help"]).await.ok();
    let connection = own.find("Connection:").unwrap();
    assert!(own.find("--state").unwrap() < connection, "{own}");
    let short = nobody.run(&["-h"]).await.ok();
    assert!(
        short.contains("Connection:") && !short.contains("[required]"),
        "{short}"
    );
}
