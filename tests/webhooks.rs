//! Webhooks, on every backend, received by a Python server that verifies
//! each delivery with the `standardwebhooks` library from PyPI: 2,000
//! events from 8 writers arrive in commit order, each id once after
//! de-duplication; a receiver failing then recovering; too many failures
//! disable a webhook and resuming it delivers what it missed; redirects
//! and non-public addresses refused; a rotated secret signing beside the
//! new one during its overlap; a revoked key stopping its webhook.

mod common;

use std::time::Duration;

use common::receiver::{Receiver, hooks, loopback};
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use tonic::Code;

on_every_backend!(
    events_from_eight_writers_arrive_in_commit_order_each_id_once,
    a_failing_receiver_is_retried_and_too_many_failures_disable_until_resumed,
    redirects_and_private_addresses_are_refused,
    a_rotated_secret_signs_beside_the_new_one_during_its_overlap,
    a_revoked_key_stops_its_webhooks,
    a_receiver_that_does_not_answer_times_out_and_is_retried,
    a_paused_webhook_sends_nothing_until_resumed,
);

async fn create(server: &TestServer, key: &str, hook: v1::Webhook) -> (v1::Webhook, String) {
    let made = hooks(server, key)
        .create_webhook(v1::CreateWebhookRequest {
            webhook: Some(hook),
            request_id: String::new(),
        })
        .await
        .expect("create the webhook")
        .into_inner();
    (made.webhook.expect("webhook"), made.secret)
}

async fn deliveries(server: &TestServer, key: &str, name: &str) -> Vec<v1::WebhookDelivery> {
    hooks(server, key)
        .list_webhook_deliveries(v1::ListWebhookDeliveriesRequest {
            parent: name.into(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("list deliveries")
        .into_inner()
        .deliveries
}

/// The delivery log once `done` holds (attempts are written in batches,
/// a moment after their answers).
async fn deliveries_when(
    server: &TestServer,
    key: &str,
    name: &str,
    done: impl Fn(&[v1::WebhookDelivery]) -> bool,
) -> Vec<v1::WebhookDelivery> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let log = deliveries(server, key, name).await;
        if done(&log) {
            return log;
        }
        assert!(tokio::time::Instant::now() < deadline, "the delivery log: {log:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn get_hook(server: &TestServer, key: &str, name: &str) -> v1::Webhook {
    hooks(server, key)
        .get_webhook(v1::GetWebhookRequest { name: name.into() })
        .await
        .expect("get the webhook")
        .into_inner()
        .webhook
        .expect("webhook")
}

async fn events_from_eight_writers_arrive_in_commit_order_each_id_once(backend: Backend) {
    let server = TestServer::start_with(TestDb::new(backend).await, loopback).await;
    let w = server.world().await;
    let receiver = Receiver::start(&[]);
    let (hook, secret) = create(
        &server,
        &w.officer_key,
        v1::Webhook {
            url: receiver.url(),
            programme: w.programme.name.clone(),
            ..Default::default()
        },
    )
    .await;
    assert!(secret.starts_with("whsec_"), "the secret is shown at creation");
    assert_eq!(hook.state(), v1::webhook::State::Active);
    receiver.set_secrets(&[&secret]);
    // The secret is shown once: never again.
    let again = get_hook(&server, &w.officer_key, &hook.name).await;
    assert_eq!(again.name, hook.name);

    // 8 writers, 250 drafts each: 2,000 events.
    let mut writers = Vec::new();
    for writer in 0..8 {
        let (apps, programme, hku, sysu) = (
            server.apps(&w.hku_key),
            w.programme.name.clone(),
            w.hku.clone(),
            w.sysu.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut apps = apps;
            for i in 0..250 {
                apps.create_application(v1::CreateApplicationRequest {
                    parent: programme.clone(),
                    application: Some(v1::Application {
                        title: format!("Writer {writer} draft {i}"),
                        ..application(&hku, &[&sysu], 100_000)
                    }),
                    request_id: String::new(),
                })
                .await
                .expect("a draft");
            }
        }));
    }
    for writer in writers {
        writer.await.expect("a writer");
    }
    receiver.wait_for("2,000 events", |r| r.ids().len() >= 2_000).await;

    // The programme's history, in commit order, is what arrived, in order.
    let mut history = Vec::new();
    let mut token = String::new();
    loop {
        let page = server
            .apps(&w.officer_key)
            .list_application_events(v1::ListApplicationEventsRequest {
                parent: w.programme.name.clone(),
                page_size: 1000,
                page_token: token,
            })
            .await
            .expect("history")
            .into_inner();
        history.extend(page.events.into_iter().map(|e| e.cursor));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(history.len(), 2_000);
    let ids = receiver.ids();
    assert_eq!(ids, history, "every event once, in commit order");
    // Every delivery verified with the one secret, by the reference library.
    let lines = receiver.lines();
    assert!(
        lines.iter().all(|l| l["verified"] == serde_json::json!([0])),
        "all verified"
    );
    // The body is the event as proto3 JSON.
    assert!(lines.iter().all(|l| l["newState"] == "STATE_DRAFT"));
    assert!(
        lines.iter().all(|l| l["id"] == l["cursor"]),
        "webhook-id is the event's cursor"
    );
    let now = get_hook(&server, &w.officer_key, &hook.name).await;
    assert_eq!(
        now.cursor,
        *history.last().expect("events"),
        "the cursor is the last delivered"
    );
    assert_eq!(now.consecutive_failures, 0);
}

async fn a_failing_receiver_is_retried_and_too_many_failures_disable_until_resumed(backend: Backend) {
    let settings = |s: &mut gba_grants::startup::Settings| {
        loopback(s);
        s.webhooks.sender.max_failures = 3;
    };
    let server = TestServer::start_with(TestDb::new(backend).await, settings).await;
    let w = server.world().await;
    // 500 to the first five requests.
    let receiver = Receiver::start(&["--fail-first", "5"]);
    let (hook, secret) = create(
        &server,
        &w.hku_key,
        v1::Webhook {
            url: receiver.url(),
            ..Default::default()
        },
    )
    .await;
    receiver.set_secrets(&[&secret]);
    let draft = w.draft(&server, 100_000).await;
    // Three failures in a row disable it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let disabled = loop {
        let now = get_hook(&server, &w.hku_key, &hook.name).await;
        if now.state() == v1::webhook::State::Disabled {
            break now;
        }
        assert!(tokio::time::Instant::now() < deadline, "not disabled: {now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        disabled.disabled_reason.contains("3 failed attempts"),
        "{}",
        disabled.disabled_reason
    );
    let log = deliveries(&server, &w.hku_key, &hook.name).await;
    assert_eq!(log.len(), 3);
    assert!(
        log.iter()
            .all(|d| d.outcome() == v1::webhook_delivery::Outcome::Failed && d.response_code == 500)
    );
    assert_eq!(
        log.iter().map(|d| d.attempt).collect::<Vec<_>>(),
        [3, 2, 1],
        "newest first"
    );
    assert!(receiver.ids().is_empty());

    // An event while disabled waits; resuming delivers both, in order.
    submit(&server, &w.hku_key, &draft.name).await.expect("submit");
    let resumed = pause(&server, &w.hku_key, &hook.name, false).await;
    assert_eq!(resumed.state(), v1::webhook::State::Active);
    receiver.wait_for("both events", |r| r.ids().len() == 2).await;
    deliveries_when(&server, &w.hku_key, &hook.name, |log| log.len() == 7).await;
    let states: Vec<String> = receiver
        .lines()
        .iter()
        .filter(|l| l["verified"] == serde_json::json!([0]))
        .map(|l| l["newState"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(states, ["STATE_DRAFT", "STATE_SUBMITTED"]);
    let log = deliveries(&server, &w.hku_key, &hook.name).await;
    assert_eq!(
        log.iter()
            .filter(|d| d.outcome() == v1::webhook_delivery::Outcome::Failed)
            .count(),
        5
    );
    assert_eq!(get_hook(&server, &w.hku_key, &hook.name).await.consecutive_failures, 0);

    // A redelivery sends one event again, with the same id.
    let first = receiver.ids()[0].clone();
    let again = hooks(&server, &w.hku_key)
        .redeliver_event(v1::RedeliverEventRequest {
            name: hook.name.clone(),
            event: first.clone(),
            request_id: String::new(),
        })
        .await
        .expect("redeliver")
        .into_inner()
        .delivery
        .expect("delivery");
    assert!(again.redelivery);
    assert_eq!(again.outcome(), v1::webhook_delivery::Outcome::Delivered);
    receiver
        .wait_for("the redelivery", |r| {
            r.lines()
                .iter()
                .filter(|l| l["id"] == first.as_str() && l["verified"] == serde_json::json!([0]))
                .count()
                == 2
        })
        .await;
    // Another key's webhook is out of reach, like a missing one.
    let status = hooks(&server, &w.um_key)
        .get_webhook(v1::GetWebhookRequest {
            name: hook.name.clone(),
        })
        .await
        .expect_err("another key's webhook");
    assert_eq!(status.code(), Code::PermissionDenied);
}

async fn redirects_and_private_addresses_are_refused(backend: Backend) {
    let server = TestServer::start_with(TestDb::new(backend).await, loopback).await;
    let w = server.world().await;
    let target = Receiver::start(&[]);
    let redirecting = Receiver::start(&["--redirect", &format!("{}/inside", target.url())]);
    let (hook, _) = create(
        &server,
        &w.officer_key,
        v1::Webhook {
            url: redirecting.url(),
            programme: w.programme.name.clone(),
            ..Default::default()
        },
    )
    .await;
    w.draft(&server, 100_000).await;
    redirecting.wait_for("a redirect", |r| !r.lines().is_empty()).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let log = loop {
        let log = deliveries(&server, &w.officer_key, &hook.name).await;
        if !log.is_empty() {
            break log;
        }
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(log[0].outcome(), v1::webhook_delivery::Outcome::Failed);
    assert_eq!(log[0].response_code, 307);
    assert!(
        log[0].detail.contains("redirects are not followed"),
        "{}",
        log[0].detail
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(target.lines().is_empty(), "the redirect was never followed");

    // Without the operator's leave: https only, public addresses only.
    let strict = TestServer::start_with(server.db.share(), |s| {
        s.webhooks.sender.interval = Duration::from_millis(50);
        s.webhooks.sender.first_backoff = Duration::from_millis(50);
    })
    .await;
    let status = hooks(&strict, &w.officer_key)
        .create_webhook(v1::CreateWebhookRequest {
            webhook: Some(v1::Webhook {
                url: target.url(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("plain http");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["webhook.url"]);
    strict.stop().await;
}

async fn a_rotated_secret_signs_beside_the_new_one_during_its_overlap(backend: Backend) {
    let server = TestServer::start_with(TestDb::new(backend).await, loopback).await;
    let w = server.world().await;
    let receiver = Receiver::start(&[]);
    let (hook, old) = create(
        &server,
        &w.hku_key,
        v1::Webhook {
            url: receiver.url(),
            event_kinds: vec![v1::WebhookEventKind::StateChange.into()],
            ..Default::default()
        },
    )
    .await;
    let rotate = |overlap: Option<i64>| {
        let mut client = hooks(&server, &w.hku_key);
        let name = hook.name.clone();
        async move {
            client
                .rotate_webhook_secret(v1::RotateWebhookSecretRequest {
                    name,
                    overlap_seconds: overlap,
                    request_id: String::new(),
                })
                .await
                .expect("rotate")
                .into_inner()
        }
    };
    let rotated = rotate(Some(3_600)).await;
    let new = rotated.secret.clone();
    assert_ne!(new, old);
    assert!(rotated.webhook.and_then(|h| h.previous_secret_expire_time).is_some());
    receiver.set_secrets(&[&old, &new]);
    w.draft(&server, 100_000).await;
    receiver.wait_for("one delivery", |r| r.ids().len() == 1).await;
    let line = receiver.lines()[0].clone();
    assert_eq!(
        line["verified"],
        serde_json::json!([0, 1]),
        "both secrets verify during the overlap"
    );
    assert_eq!(line["signatures"], 2);

    // No overlap: only the newest signs.
    let newest = rotate(Some(0)).await.secret;
    receiver.set_secrets(&[&old, &new, &newest]);
    w.draft(&server, 100_000).await;
    receiver.wait_for("two deliveries", |r| r.ids().len() == 2).await;
    let line = receiver.lines()[1].clone();
    assert_eq!(line["verified"], serde_json::json!([2]));
    assert_eq!(line["signatures"], 1);
    let status = hooks(&server, &w.hku_key)
        .rotate_webhook_secret(v1::RotateWebhookSecretRequest {
            name: hook.name.clone(),
            overlap_seconds: Some(-1),
            request_id: String::new(),
        })
        .await
        .expect_err("a negative overlap");
    assert_eq!(bad_fields(&status), ["overlap_seconds"]);
}

async fn a_revoked_key_stops_its_webhooks(backend: Backend) {
    let server = TestServer::start_with(TestDb::new(backend).await, loopback).await;
    let w = server.world().await;
    let receiver = Receiver::start(&[]);
    let viewer = server.key(v1::api_key::Role::Viewer, "", &[&w.programme.name]).await;
    let (hook, secret) = create(
        &server,
        &viewer,
        v1::Webhook {
            url: receiver.url(),
            ..Default::default()
        },
    )
    .await;
    receiver.set_secrets(&[&secret]);
    let draft = w.draft(&server, 100_000).await;
    receiver.wait_for("one delivery", |r| r.ids().len() == 1).await;
    // A viewer's view: investigator e-mails redacted in the body too.
    let lines = receiver.lines();
    assert_eq!(lines[0]["application"], draft.name.as_str());
    let keys = server
        .access(&server.admin_key)
        .list_api_keys(v1::ListApiKeysRequest::default())
        .await
        .expect("keys")
        .into_inner()
        .api_keys;
    let name = keys
        .iter()
        .find(|k| k.role() == v1::api_key::Role::Viewer && k.name == hook.creator)
        .map(|k| k.name.clone())
        .expect("the viewer's key");
    server
        .access(&server.admin_key)
        .revoke_api_key(v1::RevokeApiKeyRequest {
            name,
            ..Default::default()
        })
        .await
        .expect("revoke");
    submit(&server, &w.hku_key, &draft.name).await.expect("submit");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = get_hook(&server, &server.admin_key, &hook.name).await;
        if now.state() == v1::webhook::State::Disabled {
            assert!(now.disabled_reason.contains("revoked"), "{}", now.disabled_reason);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not disabled: {now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.ids().len(), 1, "nothing after the revocation");
}

async fn a_receiver_that_does_not_answer_times_out_and_is_retried(backend: Backend) {
    let server = TestServer::start_with(TestDb::new(backend).await, loopback).await;
    let w = server.world().await;
    let receiver = Receiver::start(&["--hang-first", "1"]);
    let (hook, secret) = create(
        &server,
        &w.hku_key,
        v1::Webhook {
            url: receiver.url(),
            ..Default::default()
        },
    )
    .await;
    receiver.set_secrets(&[&secret]);
    w.draft(&server, 100_000).await;
    receiver
        .wait_for("the retry after the timeout", |r| r.ids().len() == 1)
        .await;
    let log = deliveries_when(&server, &w.hku_key, &hook.name, |log| log.len() == 2).await;
    let failed = log.last().expect("the first attempt");
    assert_eq!(failed.outcome(), v1::webhook_delivery::Outcome::Failed);
    assert_eq!(failed.response_code, 0);
    assert!(failed.detail.contains("no answer within 10 s"), "{}", failed.detail);
    assert!(
        (10_000..11_000).contains(&failed.latency_ms),
        "{} ms",
        failed.latency_ms
    );
    assert_eq!(log[0].outcome(), v1::webhook_delivery::Outcome::Delivered);
    assert_eq!(log[0].attempt, 2);
}

async fn pause(server: &TestServer, key: &str, name: &str, paused: bool) -> v1::Webhook {
    hooks(server, key)
        .update_webhook(v1::UpdateWebhookRequest {
            webhook: Some(v1::Webhook {
                name: name.into(),
                paused,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["paused".into()],
            }),
        })
        .await
        .expect("pause or resume")
        .into_inner()
        .webhook
        .expect("webhook")
}

async fn a_paused_webhook_sends_nothing_until_resumed(backend: Backend) {
    let server = TestServer::start_with(TestDb::new(backend).await, loopback).await;
    let w = server.world().await;
    // Slow answers: the pause lands while deliveries are in flight.
    let receiver = Receiver::start(&["--delay-ms", "20"]);
    let (hook, secret) = create(
        &server,
        &w.hku_key,
        v1::Webhook {
            url: receiver.url(),
            ..Default::default()
        },
    )
    .await;
    receiver.set_secrets(&[&secret]);
    for _ in 0..30 {
        w.draft(&server, 100_000).await;
    }
    receiver.wait_for("some deliveries", |r| !r.ids().is_empty()).await;
    let paused = pause(&server, &w.hku_key, &hook.name, true).await;
    assert_eq!(paused.state(), v1::webhook::State::Paused);
    // At most the one in flight when it was paused arrives after.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let settled = receiver.lines().len();
    for _ in 0..5 {
        w.draft(&server, 100_000).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.lines().len(), settled, "nothing is sent while paused");
    pause(&server, &w.hku_key, &hook.name, false).await;
    receiver
        .wait_for("all 35 after the resume", |r| r.ids().len() == 35)
        .await;
    let history: Vec<String> = server
        .apps(&w.hku_key)
        .list_application_events(v1::ListApplicationEventsRequest {
            parent: w.programme.name.clone(),
            page_size: 100,
            page_token: String::new(),
        })
        .await
        .expect("history")
        .into_inner()
        .events
        .into_iter()
        .map(|e| e.cursor)
        .collect();
    assert_eq!(receiver.ids(), history, "in commit order, none skipped");
}
