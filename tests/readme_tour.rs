//! README's "A quick tour with grantctl", run as written, on every backend:
//! the shell block is taken from README.md as it stands, run by bash with
//! `set -euo pipefail` against a real server, with grantctl on the PATH and
//! nothing but `KEY` and a scheme-less `GBA_GRANTS_ENDPOINT` set. On the
//! way, the Guangdong partner finds the joint draft, the team grows and
//! both research offices sign before the submission. Its last command is
//! a live watch: the test writes events until the watch prints
//! one, then interrupts it as a person would (Ctrl-C) and expects the last
//! cursor and a clean exit.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use gba_grants::proto::v1;

on_every_backend!(the_readme_tour_runs_as_written,);

/// The tour's shell block.
fn tour() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let section = readme
        .split_once("## A quick tour with grantctl")
        .expect("the tour's section")
        .1;
    let block = section.split_once("```sh\n").expect("the tour's shell block").1;
    block.split_once("```").expect("the block's end").0.to_owned()
}

/// Lines a child printed so far, collected by a thread.
fn collect(stream: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            sink.lock().expect("lines").push(line);
        }
    });
    lines
}

fn text(lines: &Arc<Mutex<Vec<String>>>) -> String {
    lines.lock().expect("lines").join("\n")
}

/// The processes `pid` started.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

async fn the_readme_tour_runs_as_written(backend: Backend) {
    let server = TestServer::start(backend).await;
    let home = tempfile::tempdir().expect("a home");
    let script = home.path().join("tour.sh");
    std::fs::write(&script, format!("set -euo pipefail\n{}", tour())).expect("write the tour");
    let grantctl = std::path::Path::new(env!("CARGO_BIN_EXE_grantctl"));
    let path = format!(
        "{}:{}",
        grantctl.parent().expect("the binary's directory").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut bash = Command::new("bash");
    for (key, _) in std::env::vars() {
        if key.starts_with("GBA_GRANTS_") {
            bash.env_remove(key);
        }
    }
    let mut child = bash
        .arg(&script)
        .current_dir(home.path())
        .env("PATH", path)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("KEY", &server.admin_key)
        .env("GBA_GRANTS_ENDPOINT", server.addr.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash");
    let stdout = collect(child.stdout.take().expect("stdout"));
    let stderr = collect(child.stderr.take().expect("stderr"));

    // Everything up to the live watch runs and says what the tour says.
    let started = std::time::Instant::now();
    let programme = loop {
        if let Some(status) = child.try_wait().expect("status") {
            panic!(
                "the tour stopped before its live watch ({status}):\n{}\n{}",
                text(&stdout),
                text(&stderr)
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the tour did not reach its live watch in 60 s:\n{}\n{}",
            text(&stdout),
            text(&stderr)
        );
        let history_printed = text(&stdout).contains("ACTIVE");
        let watching = children(child.id())
            .iter()
            .any(|pid| std::fs::read_to_string(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.contains("watch")));
        if history_printed && watching {
            break server
                .programmes(&server.admin_key)
                .list_programmes(v1::ListProgrammesRequest::default())
                .await
                .expect("programmes")
                .into_inner()
                .programmes
                .into_iter()
                .next()
                .expect("the tour's programme");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let out = text(&stdout);
    assert!(out.contains("ADMIN"), "whoami names the role:\n{out}");
    assert!(
        out.contains("香港大學") && out.contains("中山大学"),
        "the bilingual table:\n{out}"
    );
    assert!(
        out.contains("Typhoon-resilient coastal infrastructure"),
        "the submitted application is listed:\n{out}"
    );
    // The cross-border sign-off: the team, both signatures, nobody left to
    // sign, and the history saying who signed.
    assert!(
        out.contains("PRINCIPAL_INVESTIGATOR") && out.contains("Li Hua") && out.contains("CO_INVESTIGATOR"),
        "the team:\n{out}"
    );
    assert!(
        out.contains("Sign-off:") && out.contains("Ou Yang"),
        "who signed:\n{out}"
    );
    assert!(
        out.contains("To sign:       nobody"),
        "every office required has signed:\n{out}"
    );
    assert!(
        out.contains("APPLICANT (Ou Yang)"),
        "the history names SYSU's signer:\n{out}"
    );
    let err = text(&stderr);
    assert_eq!(err.matches("Endorsed ").count(), 2, "both offices signed:\n{err}");
    let order: Vec<usize> = ["SUBMITTED", "UNDER_REVIEW", "APPROVED", "ACTIVE"]
        .iter()
        .map(|state| {
            out.find(state)
                .unwrap_or_else(|| panic!("{state} in the history:\n{out}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "history oldest first:\n{out}");
    assert!(out.contains("COMPLETED"), "the grant closed COMPLETED:\n{out}");
    assert!(
        out.contains("REPORT_ACCEPTED"),
        "the history tells the final report's acceptance:\n{out}"
    );
    assert_eq!(programme.display_name, "GBA Joint Research");

    // The live watch prints what happens now: new drafts in the programme.
    let hku = server
        .institutions(&server.admin_key)
        .list_institutions(v1::ListInstitutionsRequest {
            filter: "region = hong-kong".into(),
            ..Default::default()
        })
        .await
        .expect("institutions")
        .into_inner()
        .institutions
        .into_iter()
        .next()
        .expect("HKU");
    let sysu = server
        .institutions(&server.admin_key)
        .list_institutions(v1::ListInstitutionsRequest {
            filter: "region = guangdong".into(),
            ..Default::default()
        })
        .await
        .expect("institutions")
        .into_inner()
        .institutions
        .into_iter()
        .next()
        .expect("SYSU");
    let seen = loop {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the live watch printed nothing:\n{}\n{}",
            text(&stdout),
            text(&stderr)
        );
        let draft = server
            .apps(&server.admin_key)
            .create_application(v1::CreateApplicationRequest {
                parent: programme.name.clone(),
                application: Some(common::world::application(&hku.name, &[&sysu.name], 100_000)),
                request_id: String::new(),
            })
            .await
            .expect("a new draft")
            .into_inner()
            .application
            .expect("application");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let id = draft.name.rsplit('/').next().expect("id").to_owned();
        if text(&stdout).contains(&id) {
            break id;
        }
    };

    // Ctrl-C: the watch prints its last cursor and exits 0, and so does the tour.
    for pid in children(child.id()) {
        let _ = Command::new("kill").args(["-INT", &pid.to_string()]).status();
    }
    let status = loop {
        if let Some(status) = child.try_wait().expect("status") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the watch did not stop on Ctrl-C"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(status.success(), "the tour ends cleanly ({status}):\n{}", text(&stderr));
    assert!(
        text(&stderr).contains("last cursor"),
        "Ctrl-C prints the last cursor (after {seen}):\n{}",
        text(&stderr)
    );
    server.stop().await;
}
