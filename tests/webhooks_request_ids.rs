//! Webhook calls under a request id, on every backend: a retried
//! rotation answers with the first call's secret and webhook, byte for
//! byte, and rotates once; a retried deletion answers as the first did,
//! also once the webhook is gone; a retried redelivery answers with the
//! first attempt and sends nothing more. The same id with another
//! request is INVALID_ARGUMENT REQUEST_ID_REUSED.

mod common;

use std::time::Duration;

use common::receiver::{Receiver, hooks, loopback};
use common::*;
use gba_grants::proto::v1;
use prost::Message;
use tonic::Code;

on_every_backend!(
    a_retried_rotation_rotates_once_and_answers_the_same_secret,
    a_retried_deletion_answers_as_the_first_once_it_is_gone,
    a_retried_redelivery_sends_once,
);

async fn create(server: &TestServer, key: &str, url: String) -> (v1::Webhook, String) {
    let made = hooks(server, key)
        .create_webhook(v1::CreateWebhookRequest {
            webhook: Some(v1::Webhook {
                url,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create the webhook")
        .into_inner();
    (made.webhook.expect("webhook"), made.secret)
}

fn reused(status: &tonic::Status) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(reason(status), "REQUEST_ID_REUSED");
}

async fn a_retried_rotation_rotates_once_and_answers_the_same_secret(backend: Backend) {
    let server = TestServer::start_with(TestDb::new(backend).await, loopback).await;
    let w = server.world().await;
    let receiver = Receiver::start(&[]);
    let (hook, old) = create(&server, &w.hku_key, receiver.url()).await;
    let rotate = |overlap: Option<i64>, request_id: &str| {
        let mut client = hooks(&server, &w.hku_key);
        let request = v1::RotateWebhookSecretRequest {
            name: hook.name.clone(),
            overlap_seconds: overlap,
            request_id: request_id.into(),
        };
        async move { client.rotate_webhook_secret(request).await }
    };
    let first = rotate(Some(0), "rotate-1").await.expect("rotate").into_inner();
    assert_ne!(first.secret, old);
    let again = rotate(Some(0), "rotate-1").await.expect("the retry").into_inner();
    assert_eq!(
        again.encode_to_vec(),
        first.encode_to_vec(),
        "the first answer, byte for byte"
    );
    let now = hooks(&server, &w.hku_key)
        .get_webhook(v1::GetWebhookRequest {
            name: hook.name.clone(),
        })
        .await
        .expect("get")
        .into_inner()
        .webhook
        .expect("webhook");
    assert_eq!(Some(&now.etag), first.webhook.as_ref().map(|h| &h.etag), "rotated once");
    // The secret handed out twice is the one that signs.
    receiver.set_secrets(&[&old, &first.secret]);
    w.draft(&server, 100_000).await;
    receiver.wait_for("one delivery", |r| r.ids().len() == 1).await;
    assert_eq!(receiver.lines()[0]["verified"], serde_json::json!([1]));
    reused(
        &rotate(Some(60), "rotate-1")
            .await
            .expect_err("another request, the same id"),
    );
}

async fn a_retried_deletion_answers_as_the_first_once_it_is_gone(backend: Backend) {
    let server = TestServer::start_with(TestDb::new(backend).await, loopback).await;
    let w = server.world().await;
    let (hook, _) = create(&server, &w.hku_key, "http://127.0.0.1:9/a".into()).await;
    let (other, _) = create(&server, &w.hku_key, "http://127.0.0.1:9/b".into()).await;
    let delete = |name: &str, request_id: &str| {
        let mut client = hooks(&server, &w.hku_key);
        let request = v1::DeleteWebhookRequest {
            name: name.into(),
            request_id: request_id.into(),
        };
        async move { client.delete_webhook(request).await }
    };
    let first = delete(&hook.name, "delete-1").await.expect("delete").into_inner();
    let again = delete(&hook.name, "delete-1").await.expect("the retry").into_inner();
    assert_eq!(again.encode_to_vec(), first.encode_to_vec());
    let status = delete(&hook.name, "").await.expect_err("without a request id: gone");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    reused(
        &delete(&other.name, "delete-1")
            .await
            .expect_err("another webhook, the same id"),
    );
    // The other one is still there.
    hooks(&server, &w.hku_key)
        .get_webhook(v1::GetWebhookRequest {
            name: other.name.clone(),
        })
        .await
        .expect("the other webhook");
}

async fn a_retried_redelivery_sends_once(backend: Backend) {
    let server = TestServer::start_with(TestDb::new(backend).await, loopback).await;
    let w = server.world().await;
    let receiver = Receiver::start(&[]);
    let (hook, secret) = create(&server, &w.hku_key, receiver.url()).await;
    receiver.set_secrets(&[&secret]);
    w.draft(&server, 100_000).await;
    w.draft(&server, 100_000).await;
    receiver.wait_for("two deliveries", |r| r.ids().len() == 2).await;
    let events = receiver.ids();
    let redeliver = |event: &str, request_id: &str| {
        let mut client = hooks(&server, &w.hku_key);
        let request = v1::RedeliverEventRequest {
            name: hook.name.clone(),
            event: event.into(),
            request_id: request_id.into(),
        };
        async move { client.redeliver_event(request).await }
    };
    let first = redeliver(&events[0], "again-1").await.expect("redeliver").into_inner();
    assert!(first.delivery.as_ref().is_some_and(|d| d.redelivery));
    receiver.wait_for("the redelivery", |r| r.lines().len() == 3).await;
    let again = redeliver(&events[0], "again-1").await.expect("the retry").into_inner();
    assert_eq!(
        again.encode_to_vec(),
        first.encode_to_vec(),
        "the first attempt, byte for byte"
    );
    reused(
        &redeliver(&events[1], "again-1")
            .await
            .expect_err("another event, the same id"),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.lines().len(), 3, "the retry sent nothing");
    let log = hooks(&server, &w.hku_key)
        .list_webhook_deliveries(v1::ListWebhookDeliveriesRequest {
            parent: hook.name.clone(),
            page_size: 100,
            page_token: String::new(),
        })
        .await
        .expect("deliveries")
        .into_inner()
        .deliveries;
    assert_eq!(log.iter().filter(|d| d.redelivery).count(), 1, "{log:?}");
}
