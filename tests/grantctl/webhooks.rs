//! Webhooks through grantctl, on every backend, against a receiver in the
//! test (a `TcpListener` answering 204 and keeping each request's path,
//! Standard Webhooks headers and body): `create` prints a `whsec_` secret
//! alone on standard output (the table), in a 0600 `--secret-file` beside
//! `-o name`, or in `-o json`; the secret verifies the signatures; `list`
//! and `get` show the webhooks; an application created afterwards is
//! delivered and `deliveries` shows it DELIVERED with 204; pause holds
//! events back and resume sends them; `rotate` prints a new secret, both
//! sign during the overlap and `get` shows the old one's expiry;
//! `redeliver` sends an event again; plain http refused by a server that
//! does not allow it (exit 4, naming webhook.url, with the hint); another
//! key's webhook and a deleted one are exit 3.

use std::time::Duration;

use serde_json::Value;

use super::common::*;
use super::run::{Ctl, Run};
use super::webhook_receiver::{Receiver, application_of};

/// Loopback receivers need http and private addresses; retries quick.
fn loopback(s: &mut gba_grants::startup::Settings) {
    s.webhooks.policy.allow_http = true;
    s.webhooks.policy.allow_private = true;
    s.webhooks.sender.interval = Duration::from_millis(50);
    s.webhooks.sender.first_backoff = Duration::from_millis(50);
    s.webhooks.sender.max_backoff = Duration::from_millis(200);
}

/// The value of a `Label:  value` line of a field list.
fn field(text: &str, label: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{label}:")))
        .map(|v| v.trim().to_owned())
}

fn is_secret(s: &str) -> bool {
    s.starts_with("whsec_") && !s.contains(char::is_whitespace) && s.len() > 40
}

/// The deliveries of `hook` as JSON, once there are at least `count`.
async fn deliveries(ctl: &Ctl, hook: &str, count: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let listed = ctl.run(&["webhooks", "deliveries", hook, "-o", "json"]).await.json();
        let listed = listed.as_array().cloned().unwrap_or_default();
        if listed.len() >= count {
            return listed;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{count} deliveries within 30 s: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn webhooks_through_grantctl(backend: Backend) {
    let server = TestServer::start_with(TestDb::new(backend).await, loopback).await;
    let w = server.world().await;
    let officer = Ctl::new(server.addr, &w.officer_key);
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().expect("a directory");
    let secret_file = dir.path().join("a.secret");
    let secret_path = secret_file.to_str().expect("UTF-8 path");

    // 1. Created three ways. `-o name --secret-file`: the name alone on
    // standard output, the secret in a file only its owner reads.
    let a_url = receiver.url("/hooks/a");
    let r = officer
        .run(&[
            "webhooks",
            "create",
            "--url",
            &a_url,
            "--programme",
            &w.programme.name,
            "--kind",
            "state-change",
            "-o",
            "name",
            "--secret-file",
            secret_path,
        ])
        .await;
    let a = r.ok();
    assert!(a.starts_with("webhooks/") && !a.contains('\n'), "{a}");
    let a_secret = std::fs::read_to_string(&secret_file).expect("the secret file");
    assert!(a_secret.ends_with('\n'));
    let a_secret = a_secret.trim().to_owned();
    assert!(is_secret(&a_secret), "{a_secret}");
    assert!(!r.stderr.contains(&a_secret), "the secret is in the file alone");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_file).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let a_id = a.trim_start_matches("webhooks/").to_owned();

    // The table: the secret alone on standard output, the webhook on
    // standard error (as `keys create` does).
    let r = officer
        .run(&["webhooks", "create", "--url", &receiver.url("/hooks/b")])
        .await;
    let b_secret = r.ok();
    assert!(is_secret(&b_secret), "{b_secret}");
    assert_ne!(b_secret, a_secret);
    let b = field(&r.stderr, "Name").expect("the name on standard error");
    assert_eq!(field(&r.stderr, "State").as_deref(), Some("ACTIVE"), "{}", r.stderr);
    assert_eq!(field(&r.stderr, "Scope").as_deref(), Some("all"), "{}", r.stderr);

    // `-o json`: the webhook and the secret together.
    let made = officer
        .run(&[
            "webhooks",
            "create",
            "--url",
            &receiver.url("/hooks/c"),
            "--kind",
            "REVIEW",
            "--kind",
            "report",
            "--paused",
            "-o",
            "json",
        ])
        .await
        .json();
    assert!(is_secret(made["secret"].as_str().unwrap_or_default()), "{made}");
    let c = made["webhook"]["name"].as_str().expect("a name").to_owned();
    assert_eq!(made["webhook"]["state"], "STATE_PAUSED");
    assert_eq!(
        made["webhook"]["eventKinds"],
        serde_json::json!(["WEBHOOK_EVENT_KIND_REVIEW", "WEBHOOK_EVENT_KIND_REPORT"])
    );

    // 2. Listed and read back; the bare id works as well as the name.
    let listed = officer.run(&["webhooks", "list"]).await.ok();
    let header = listed.lines().next().unwrap_or_default();
    for column in ["NAME", "URL", "SCOPE", "KINDS", "STATE", "FAILURES", "CURSOR"] {
        assert!(header.contains(column), "{listed}");
    }
    let row = |name: &str| {
        listed
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {listed}"))
            .to_owned()
    };
    let row_a = row(&a);
    assert!(
        row_a.contains(&w.programme.name) && row_a.contains("STATE_CHANGE") && row_a.contains("ACTIVE"),
        "{row_a}"
    );
    assert!(
        row(&c).contains("REVIEW, REPORT") && row(&c).contains("PAUSED"),
        "{listed}"
    );
    let mut names: Vec<String> = officer
        .run(&["webhooks", "list", "-o", "name"])
        .await
        .ok()
        .lines()
        .map(str::to_owned)
        .collect();
    names.sort();
    let mut expected = vec![a.clone(), b.clone(), c.clone()];
    expected.sort();
    assert_eq!(names, expected);
    let got = officer.run(&["webhooks", "get", &a_id]).await.ok();
    assert_eq!(field(&got, "Name").as_deref(), Some(a.as_str()), "{got}");
    assert_eq!(field(&got, "URL").as_deref(), Some(a_url.as_str()), "{got}");
    assert_eq!(field(&got, "Event kinds").as_deref(), Some("STATE_CHANGE"), "{got}");
    assert_eq!(field(&got, "State").as_deref(), Some("ACTIVE"), "{got}");
    assert_eq!(field(&got, "Failures in a row").as_deref(), Some("0"), "{got}");
    assert!(field(&got, "Previous secret signs until").is_none(), "{got}");

    // 3. An application created afterwards is delivered, signed with the
    // secret create printed; `deliveries` shows it.
    let first = w.draft(&server, 100_000).await;
    let hits = receiver.wait_for("/hooks/a", 1).await;
    assert_eq!(hits[0].signed_by(&[&a_secret]), [0], "{hits:?}");
    let first_event = hits[0].id.clone();
    let body: Value = serde_json::from_slice(&hits[0].body).expect("a JSON body");
    assert_eq!(body["application"], first.name.as_str());
    let b_hits = receiver.wait_for("/hooks/b", 1).await;
    assert_eq!(b_hits[0].signed_by(&[&b_secret]), [0]);
    let log = deliveries(&officer, &a, 1).await;
    assert_eq!(log[0]["outcome"], "OUTCOME_DELIVERED");
    assert_eq!(log[0]["responseCode"], 204);
    assert_eq!(log[0]["event"], hits[0].id.as_str());
    let table = officer.run(&["webhooks", "deliveries", &a]).await.ok();
    let header = table.lines().next().unwrap_or_default();
    for column in [
        "TIME",
        "EVENT",
        "ATTEMPT",
        "OUTCOME",
        "CODE",
        "LATENCY",
        "DETAIL",
        "REDELIVERY",
    ] {
        assert!(header.contains(column), "{table}");
    }
    let line = table.lines().nth(1).unwrap_or_default();
    assert!(
        line.contains("DELIVERED") && line.contains(" 204 ") && line.contains(" ms"),
        "{table}"
    );
    assert!(
        line.contains(&hits[0].id[hits[0].id.len() - 12..]),
        "the event, shortened: {table}"
    );
    assert!(receiver.hits("/hooks/c").is_empty(), "a paused webhook waits");

    // 4. Paused, events wait (its cursor stays); resumed, they are
    // delivered. (The server may still send one event it had started on
    // before the pause; its cursor does not move for it, so it is sent
    // again after the resume: at least once, never skipped. Reported.)
    let paused = officer
        .run(&["webhooks", "update", &a, "--pause", "-o", "json"])
        .await
        .json();
    assert_eq!(paused["state"], "STATE_PAUSED");
    let cursor = paused["cursor"].as_str().expect("a cursor").to_owned();
    let second = w.draft(&server, 200_000).await;
    receiver.wait_for("/hooks/b", 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = officer.run(&["webhooks", "get", &a]).await.ok();
    assert_eq!(field(&held, "State").as_deref(), Some("PAUSED"), "{held}");
    assert_eq!(
        field(&held, "Cursor"),
        Some(cursor),
        "nothing delivered while paused: {held}"
    );
    let resumed = officer
        .run(&["webhooks", "update", &a_id, "--resume", "-o", "json"])
        .await
        .json();
    assert_eq!(resumed["state"], "STATE_ACTIVE");
    let second_hit = receiver
        .wait_hit("/hooks/a", "the second application", |h| {
            application_of(h) == second.name
        })
        .await;
    let log = deliveries(&officer, &a, 2).await;
    assert!(
        log.iter()
            .any(|d| d["event"] == second_hit.id.as_str() && d["outcome"] == "OUTCOME_DELIVERED"),
        "{log:?}"
    );
    // No change given is a usage error; so are contradicting flags.
    officer.run(&["webhooks", "update", &a]).await.fails(2);
    officer
        .run(&["webhooks", "update", &a, "--pause", "--resume"])
        .await
        .fails(2);
    let kinds = officer
        .run(&["webhooks", "update", &a, "--all-kinds", "-o", "json"])
        .await
        .json();
    assert!(kinds.get("eventKinds").is_none(), "every kind: {kinds}");

    // 5. Rotated: a new secret, printed as create prints it; during the
    // overlap both sign, and `get` says until when the old one does.
    let r = officer.run(&["webhooks", "rotate", &a, "--overlap", "1h"]).await;
    let new_secret = r.ok();
    assert!(is_secret(&new_secret) && new_secret != a_secret, "{new_secret}");
    assert!(
        field(&r.stderr, "Previous secret signs until").is_some(),
        "{}",
        r.stderr
    );
    let got = officer.run(&["webhooks", "get", &a]).await.ok();
    assert!(
        field(&got, "Previous secret signs until").is_some_and(|t| t.ends_with('Z')),
        "{got}"
    );
    let third = w.draft(&server, 300_000).await;
    receiver
        .wait_hit("/hooks/a", "the third application signed by both secrets", |h| {
            application_of(h) == third.name && h.signed_by(&[&a_secret, &new_secret]) == [0, 1]
        })
        .await;
    let rotated = officer
        .run(&["webhooks", "rotate", &a, "--overlap", "0", "-o", "json"])
        .await
        .json();
    let newest = rotated["secret"].as_str().unwrap_or_default().to_owned();
    assert!(is_secret(&newest) && newest != new_secret);
    assert!(
        rotated["webhook"].get("previousSecretExpireTime").is_none(),
        "{rotated}"
    );
    let err = officer
        .run(&["webhooks", "rotate", &a, "--overlap", "8d"])
        .await
        .fails(4);
    assert!(err.contains("--overlap"), "{err}");

    // 6. Redelivered: the same event again, once, marked as such, signed
    // with the newest secret alone.
    let before = receiver.hits("/hooks/a").len();
    let again = officer
        .run(&["webhooks", "redeliver", &a, "--event", &first_event])
        .await
        .ok();
    assert_eq!(field(&again, "Outcome").as_deref(), Some("DELIVERED"), "{again}");
    assert_eq!(field(&again, "Redelivery").as_deref(), Some("yes"), "{again}");
    assert_eq!(field(&again, "Event").as_deref(), Some(first_event.as_str()), "{again}");
    let hits = receiver.hits("/hooks/a");
    assert!(
        hits[before..]
            .iter()
            .any(|h| h.id == first_event && h.signed_by(&[&a_secret, &new_secret, &newest]) == [2]),
        "{:?}",
        &hits[before..]
    );
    let table = officer.run(&["webhooks", "deliveries", &a, "--limit", "1"]).await.ok();
    assert_eq!(table.lines().count(), 2, "--limit 1: {table}");
    assert!(
        table.lines().nth(1).is_some_and(|l| l.trim_end().ends_with("yes")),
        "{table}"
    );
    let err = officer
        .run(&["webhooks", "redeliver", &a, "--event", "not-a-cursor"])
        .await
        .fails(4);
    assert!(err.contains("event") && err.contains("-o json"), "{err}");

    // 7. Another key's webhook is out of reach, like a missing one (exit 3).
    let applicant = officer.with(&w.hku_key);
    applicant.run(&["webhooks", "get", &a]).await.fails(3);
    assert_eq!(applicant.run(&["webhooks", "list", "-o", "name"]).await.ok(), "");
    let err = officer.run(&["webhooks", "get", "Not/An/Id"]).await.fails(4);
    assert!(err.contains("webhooks/ID"), "{err}");

    // 8. Deleted: gone, for get and for deliveries.
    let r = officer.run(&["webhooks", "delete", &c]).await;
    assert_eq!(r.ok(), format!("Deleted {c} and its delivery log."));
    officer.run(&["webhooks", "get", &c]).await.fails(3);
    officer.run(&["webhooks", "deliveries", &c]).await.fails(3);
    assert_eq!(officer.run(&["webhooks", "delete", &b, "-o", "name"]).await.ok(), b);

    // 9. A server that does not allow plain http refuses it before
    // anything is made: exit 4, naming webhook.url, saying what to do.
    let strict = TestServer::start_with(server.db.share(), |s| {
        s.webhooks.sender.interval = Duration::from_millis(50);
    })
    .await;
    let strict_officer = Ctl::new(strict.addr, &w.officer_key);
    let r: Run = strict_officer
        .run(&["webhooks", "create", "--url", &receiver.url("/hooks/d")])
        .await;
    let err = r.fails(4);
    assert!(
        err.starts_with("grantctl: INVALID_ARGUMENT") && err.contains("webhook.url") && err.contains("https://"),
        "{err}"
    );
    assert!(err.contains("--webhook-allow-http"), "the hint: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one sentence: {err}");
    assert!(r.stdout.is_empty());
    let left = officer.run(&["webhooks", "list", "-o", "name"]).await.ok();
    assert_eq!(left, a, "nothing was made");
    strict.stop().await;
}
