//! Streams never skip silently, on every backend: an event held between
//! "read from the log" and "published" is not skipped by a progress
//! marker; cursors from the future or from another database are refused;
//! revoked keys lose their open streams; open health streams do not hold
//! a shutdown.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::watching::*;
use common::world::*;
use common::*;
use gba_grants::hub::PublishGate;
use gba_grants::proto::v1;
use gba_grants::proto::v1::watch_application_events_response::Kind;
use std::sync::atomic::Ordering;
use tokio::time::timeout;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

on_every_backend!(
    a_progress_marker_never_passes_an_event_not_yet_published,
    cursors_from_the_future_or_another_log_are_refused,
    revoking_a_key_ends_its_open_streams_within_a_second,
    open_health_streams_do_not_hold_a_shutdown,
);

async fn a_progress_marker_never_passes_an_event_not_yet_published(backend: Backend) {
    let gate = Arc::new(PublishGate::default());
    let db = TestDb::new(backend).await;
    let hooked = gate.clone();
    let server = TestServer::start_with(db, move |s| {
        s.hub.progress_interval = Duration::from_millis(50);
        s.hub.publish_gate = Some(hooked);
    })
    .await;
    // Setting up the world makes no events; let anything earlier through.
    gate.permits.add_permits(1_000_000);
    let w = server.world().await;
    let mut client = server.watch(&server.admin_key);
    let (mut stream, start) = open(&mut client, filter_all("")).await.unwrap();
    // Close the gate (take back every permit) and make one event.
    let left = gate.permits.available_permits();
    gate.permits.acquire_many(left as u32).await.unwrap().forget();
    let draft = w.draft(&server, 1_000).await;
    let created = seq(&events(&server, &server.admin_key, &draft.name).await[0].cursor);
    // Wait until the tailer holds exactly that event at the gate.
    timeout(Duration::from_secs(10), async {
        while gate.waiting.load(Ordering::Acquire) != created {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the tailer reads the new event");
    // Progress markers while the event is held never move past it.
    for _ in 0..4 {
        match timeout(Duration::from_secs(5), next(&mut stream)).await.unwrap() {
            Ok(Some(Kind::Progress(p))) => {
                assert!(
                    seq(&p.cursor) < created,
                    "progress {} passed held event {created}",
                    seq(&p.cursor)
                );
                assert_eq!(seq(&p.cursor), seq(&start));
            }
            other => panic!("expected progress while the event is held, got {other:?}"),
        }
    }
    gate.permits.add_permits(1_000_000);
    loop {
        match timeout(Duration::from_secs(5), next(&mut stream)).await.unwrap() {
            Ok(Some(Kind::Event(e))) => {
                assert_eq!(seq(&e.cursor), created);
                assert_eq!(e.application, draft.name);
                break;
            }
            Ok(Some(Kind::Progress(p))) => assert!(seq(&p.cursor) < created),
            other => panic!("{other:?}"),
        }
    }
    server.stop().await;
}

async fn cursors_from_the_future_or_another_log_are_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let mut last = String::new();
    for _ in 0..3 {
        last = w.draft(&server, 1_000).await.name;
    }
    let head = events(&server, &server.admin_key, &last).await[0].cursor.clone();
    let mut client = server.watch(&server.admin_key);
    // The head itself is a valid place to resume.
    open(&mut client, filter_all(&head)).await.expect("resume at the head");

    // The same log, a position it has not reached (a restored database).
    let ahead = cursor_with_seq(&head, seq(&head) + 1_000);
    let status = client.watch_application_events(filter_all(&ahead)).await.unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    assert_eq!(reason(&status), "CURSOR_AHEAD");

    // A cursor of another database, whatever its position.
    let other = TestServer::start(backend).await;
    let ow = other.world().await;
    let foreign_app = ow.draft(&other, 1_000).await;
    let foreign = events(&other, &other.admin_key, &foreign_app.name).await[0]
        .cursor
        .clone();
    let status = client.watch_application_events(filter_all(&foreign)).await.unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    assert_eq!(reason(&status), "CURSOR_UNKNOWN_LOG");

    // Garbage is INVALID_ARGUMENT naming the field.
    let status = client
        .watch_application_events(filter_all("bm90LWEtY3Vyc29y"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["cursor"]);
    other.stop().await;
    server.stop().await;
}

/// A cursor of the same log as `cursor`, at another position.
fn cursor_with_seq(cursor: &str, seq: i64) -> String {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let text = String::from_utf8(engine.decode(cursor).unwrap()).unwrap();
    let (prefix, _) = text.rsplit_once(':').unwrap();
    engine.encode(format!("{prefix}:{seq}"))
}

async fn revoking_a_key_ends_its_open_streams_within_a_second(backend: Backend) {
    let db = TestDb::new(backend).await;
    let shared = db.share();
    let a = TestServer::start_on(db).await;
    let w = a.world().await;
    // On PostgreSQL the streams are also held on a second replica, which
    // learns of the revocation only through the database.
    let b = match backend {
        Backend::Postgres => Some(TestServer::start_on(shared).await),
        Backend::Sqlite => None,
    };
    let viewer = a.key(v1::api_key::Role::Viewer, "", &[&w.programme.name]).await;
    let bystander = a.key(v1::api_key::Role::Viewer, "", &[&w.programme.name]).await;
    let servers: Vec<&TestServer> = std::iter::once(&a).chain(b.as_ref()).collect();
    let mut events_streams = Vec::new();
    let mut summary_streams = Vec::new();
    for server in &servers {
        for key in [&viewer, &bystander] {
            let mut client = server.watch(key);
            events_streams.push((key.clone(), open(&mut client, filter_all("")).await.unwrap().0));
            let mut summaries = client
                .watch_programme_summary(v1::WatchProgrammeSummaryRequest::default())
                .await
                .unwrap()
                .into_inner();
            summaries.message().await.unwrap().expect("a first summary");
            summary_streams.push((key.clone(), summaries));
        }
    }
    let listed = a
        .access(&a.admin_key)
        .list_api_keys(v1::ListApiKeysRequest::default())
        .await
        .unwrap()
        .into_inner()
        .api_keys;
    // The viewer key is the last one issued before the bystander.
    let viewer_name = listed[listed.len() - 2].name.clone();
    let revoked_at = Instant::now();
    a.access(&a.admin_key)
        .revoke_api_key(v1::RevokeApiKeyRequest {
            name: viewer_name,
            request_id: String::new(),
        })
        .await
        .unwrap();
    for (key, mut stream) in events_streams {
        if key == viewer {
            let ended = timeout(Duration::from_secs(1), async {
                loop {
                    match next(&mut stream).await {
                        Ok(Some(_)) => continue,
                        other => return other,
                    }
                }
            })
            .await
            .expect("the revoked key's event stream ends within a second");
            let status = ended.unwrap_err();
            assert_eq!(status.code(), Code::Unauthenticated);
            assert_eq!(reason(&status), "KEY_REVOKED");
        } else {
            // The other key's stream lives on and gets new events.
            let app = w.draft(&a, 500).await;
            timeout(Duration::from_secs(5), async {
                loop {
                    match next(&mut stream).await {
                        Ok(Some(Kind::Event(e))) if e.application == app.name => return,
                        Ok(Some(_)) => {}
                        other => panic!("the bystander's stream ended: {other:?}"),
                    }
                }
            })
            .await
            .expect("the bystander's stream still delivers");
        }
    }
    for (key, mut stream) in summary_streams {
        if key != viewer {
            continue;
        }
        let left = Duration::from_secs(1).saturating_sub(revoked_at.elapsed()) + Duration::from_millis(500);
        let ended = timeout(left, async {
            loop {
                match stream.message().await {
                    Ok(Some(_)) => continue,
                    other => return other,
                }
            }
        })
        .await
        .expect("the revoked key's summary stream ends within a second");
        let status = ended.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(reason(&status), "KEY_REVOKED");
    }
    // And the key cannot open a new one.
    let status = a
        .watch(&viewer)
        .watch_application_events(filter_all(""))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    if let Some(b) = b {
        b.stop().await;
    }
    a.stop().await;
}

async fn open_health_streams_do_not_hold_a_shutdown(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start_with(db, |s| s.shutdown_grace = Duration::from_secs(30)).await;
    let mut health = HealthClient::new(server.channel.clone());
    let mut watches = Vec::new();
    for service in ["", "gba.grants.v1.WatchService"] {
        let mut stream = health
            .watch(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        let first = stream.message().await.unwrap().unwrap();
        assert_eq!(first.status, ServingStatus::Serving as i32);
        watches.push(stream);
    }
    let started = Instant::now();
    server.signal_stop();
    for mut stream in watches {
        let mut saw_not_serving = false;
        let end = timeout(Duration::from_secs(5), async {
            loop {
                match stream.message().await {
                    Ok(Some(m)) => saw_not_serving |= m.status == ServingStatus::NotServing as i32,
                    other => return other,
                }
            }
        })
        .await
        .expect("health streams end at shutdown");
        assert!(saw_not_serving, "health watchers are told NOT_SERVING first");
        let status = end.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(reason(&status), "SHUTTING_DOWN");
    }
    timeout(Duration::from_secs(10), server.wait())
        .await
        .expect("the server exits long before its 30 s grace");
    assert!(started.elapsed() < Duration::from_secs(10));
}
