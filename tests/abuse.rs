//! One client must not stall the service, on every backend. Each test
//! runs a real abusive client against the real server while a
//! well-behaved client (another key, another connection) measures its p99
//! latency; the bound is 2× its unloaded p99, with a 25 ms floor for the
//! scheduler noise of a shared 2-core machine (a benchmark-style check
//! with a generous bound, not a tight timing).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::watching::*;
use common::world::*;
use common::*;
use gba_grants::api::limits::LimitSettings;
use gba_grants::proto::v1;
use gba_grants::proto::v1::watch_service_client::WatchServiceClient;
use tokio::io::AsyncReadExt;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

on_every_backend!(
    never_read_replay_streams_do_not_stall_others,
    stream_and_call_limits_shed_load_with_named_reasons,
    oversized_requests_are_refused_cheaply,
    idle_raw_connections_are_closed,
);

/// p99 of `calls` GetProgramme calls by a well-behaved client on a
/// connection of its own; every call must succeed.
async fn p99(server: &TestServer, key: &str, programme: &str, calls: usize) -> Duration {
    let channel = connect(server).await;
    let mut client = v1::programme_service_client::ProgrammeServiceClient::with_interceptor(channel, Bearer::new(key));
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        let answer = tokio::time::timeout(
            Duration::from_secs(5),
            client.get_programme(v1::GetProgrammeRequest { name: programme.into() }),
        )
        .await;
        assert!(
            matches!(answer, Ok(Ok(_))),
            "the well-behaved client is served: {answer:?}"
        );
        times.push(started.elapsed());
    }
    times.sort();
    times[(times.len() * 99 / 100).min(times.len() - 1)]
}

fn assert_within_bound(unloaded: Duration, loaded: Duration, what: &str) {
    let bound = (unloaded * 2).max(unloaded + Duration::from_millis(25));
    eprintln!("{what}: well-behaved p99 {unloaded:?} unloaded, {loaded:?} under abuse (bound {bound:?})");
    assert!(loaded <= bound, "{what}: p99 {loaded:?} over {bound:?}");
}

async fn connect(server: &TestServer) -> Channel {
    Endpoint::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// Two of these tests measure latency: every test of this file runs
/// alone, so that none loads the machine while another measures.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn start(backend: Backend, limits: LimitSettings) -> TestServer {
    let db = TestDb::new(backend).await;
    TestServer::start_with(db, move |s| s.limits = limits).await
}

async fn never_read_replay_streams_do_not_stall_others(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let server = Arc::new(
        start(
            backend,
            LimitSettings {
                streams_per_connection: 1_000,
                streams_per_key: 1_000,
                ..LimitSettings::default()
            },
        )
        .await,
    );
    let w = Arc::new(server.world().await);
    // A log of ~2,000 events to replay.
    let mut writers = Vec::new();
    for _ in 0..8 {
        let (server, w) = (server.clone(), w.clone());
        writers.push(tokio::spawn(async move {
            let mut first = String::new();
            for _ in 0..250 {
                let made = w.draft(&server, 1_000).await.name;
                if first.is_empty() {
                    first = made;
                }
            }
            first
        }));
    }
    let mut first = String::new();
    for writer in writers {
        first = writer.await.unwrap();
    }
    let cursor = events(&server, &server.admin_key, &first).await[0].cursor.clone();
    let unloaded = p99(&server, &w.officer_key, &w.programme.name, 300).await;

    // 200 replay streams on one connection, never read: before the fix
    // each held a pooled connection for as long as it stalled.
    let mut abuser = WatchServiceClient::with_interceptor(connect(&server).await, Bearer::new(&server.admin_key));
    let mut stalled = Vec::new();
    for _ in 0..200 {
        let response = abuser
            .watch_application_events(filter_all(&cursor))
            .await
            .expect("a replay stream opens");
        stalled.push(response.into_inner());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let loaded = p99(&server, &w.officer_key, &w.programme.name, 300).await;
    // Writes go on too.
    for _ in 0..20 {
        w.draft(&server, 1_000).await;
    }
    assert_within_bound(unloaded, loaded, "200 never-read replay streams");
    drop(stalled);
}

async fn stream_and_call_limits_shed_load_with_named_reasons(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let server = start(
        backend,
        LimitSettings {
            calls_per_key: 4,
            streams_per_key: 30,
            streams_per_connection: 20,
            repeated_items: 100,
            ..LimitSettings::default()
        },
    )
    .await;
    let w = server.world().await;
    let unloaded = p99(&server, &w.officer_key, &w.programme.name, 200).await;

    // Streams per connection: the 21st on one connection is refused.
    let mut one = WatchServiceClient::with_interceptor(connect(&server).await, Bearer::new(&server.admin_key));
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(open(&mut one, filter_all("")).await.expect("within the limit").0);
    }
    let status = one.watch_application_events(filter_all("")).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(reason(&status), "TOO_MANY_STREAMS_PER_CONNECTION");
    // Streams per key: across connections, the 31st of the key is refused.
    let mut other = WatchServiceClient::with_interceptor(connect(&server).await, Bearer::new(&server.admin_key));
    for _ in 0..10 {
        held.push(open(&mut other, filter_all("")).await.expect("within the key limit").0);
    }
    let status = other
        .watch_programme_summary(v1::WatchProgrammeSummaryRequest::default())
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "TOO_MANY_STREAMS_PER_KEY");
    // A closed stream gives its slot back: until the server has seen it
    // close, the key stays at its limit; within 5 s, a stream opens again.
    held.pop();
    let reopened = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match open(&mut other, filter_all("")).await {
                Ok((stream, _)) => return stream,
                Err(status) => {
                    assert_eq!(
                        (status.code(), reason(&status).as_str()),
                        (Code::ResourceExhausted, "TOO_MANY_STREAMS_PER_KEY"),
                        "{status:?}"
                    );
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    })
    .await
    .expect("a closed stream's slot is given back within 5 s");
    held.push(reopened);

    // 50,000 copies of one programme name: refused at once.
    let started = Instant::now();
    let status = server
        .watch(&w.viewer_key)
        .watch_programme_summary(v1::WatchProgrammeSummaryRequest {
            programmes: vec![w.programme.name.clone(); 50_000],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(reason(&status), "TOO_MANY_ITEMS");
    assert!(status.message().contains("programmes"), "{}", status.message());
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    // Any repeated field is bounded the same way.
    let mut partners = application(&w.hku, &[], 1_000);
    partners.partner_institutions = vec![w.sysu.clone(); 5_000];
    let status = server
        .apps(&w.hku_key)
        .create_application(v1::CreateApplicationRequest {
            parent: w.programme.name.clone(),
            application: Some(partners),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "TOO_MANY_ITEMS");

    // Concurrent calls per key: a flood of 200 by one key is shed (some
    // answered at once with TOO_MANY_CALLS_PER_KEY), none waits long, and
    // another key is served meanwhile.
    let flood = (0..200).map(|_| {
        let mut apps = server.apps(&w.um_key);
        tokio::spawn(async move {
            apps.list_applications(v1::ListApplicationsRequest {
                parent: "programmes/-".into(),
                page_size: 1_000,
                ..Default::default()
            })
            .await
        })
    });
    let flood: Vec<_> = flood.collect();
    let loaded = p99(&server, &w.officer_key, &w.programme.name, 200).await;
    let (mut ok, mut shed) = (0, 0);
    for call in flood {
        match call.await.unwrap() {
            Ok(_) => ok += 1,
            Err(status) => {
                assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                assert_eq!(reason(&status), "TOO_MANY_CALLS_PER_KEY");
                shed += 1;
            }
        }
    }
    eprintln!("flood of 200 calls by one key: {ok} served, {shed} shed");
    assert!(ok >= 4 && shed > 0, "{ok} served, {shed} shed");
    assert_within_bound(unloaded, loaded, "30 open streams and a 200-call flood");
    drop(held);
}

async fn oversized_requests_are_refused_cheaply(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let server = start(
        backend,
        LimitSettings {
            message_bytes: 256 * 1024,
            ..LimitSettings::default()
        },
    )
    .await;
    let w = server.world().await;
    let mut apps = server.apps(&w.hku_key);
    // Over the message limit: RESOURCE_EXHAUSTED naming it.
    let mut huge = application(&w.hku, &[&w.sysu], 1_000);
    huge.r#abstract = "潮".repeat(200_000);
    let status = apps
        .create_application(v1::CreateApplicationRequest {
            parent: w.programme.name.clone(),
            application: Some(huge),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(reason(&status), "MESSAGE_TOO_LARGE");
    // A bad value is quoted, not echoed: the error stays small whatever
    // the input's size, so every client can read it.
    for size in [4_000, 100_000] {
        let mut long = application(&w.hku, &[&w.sysu], 1_000);
        long.title = "T".repeat(size);
        long.principal_investigator.as_mut().unwrap().orcid = "X".repeat(size);
        let status = apps
            .create_application(v1::CreateApplicationRequest {
                parent: w.programme.name.clone(),
                application: Some(long),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{size}: {status:?}");
        assert_eq!(
            bad_fields(&status),
            ["application.title", "application.principal_investigator.orcid"]
        );
        let carried = status.message().len() + status.details().len();
        assert!(carried < 2_000, "{size}-character values make a {carried}-byte error");
    }
    server.stop().await;
}

async fn idle_raw_connections_are_closed(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let db = TestDb::new(backend).await;
    let server = TestServer::start_with(db, |s| {
        s.idle_timeout = Duration::from_secs(1);
        s.keepalive_interval = Duration::from_millis(300);
    })
    .await;
    // Sockets that never speak HTTP/2.
    let mut sockets = Vec::new();
    for _ in 0..200 {
        sockets.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    let started = Instant::now();
    for mut socket in sockets {
        let mut buf = [0_u8; 64];
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "an idle socket was closed");
    }
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    // A client that is connected but makes no call for longer than the
    // timeout keeps its connection: it answers the server's pings.
    let mut programmes = server.programmes(&server.admin_key);
    programmes
        .list_programmes(v1::ListProgrammesRequest::default())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    programmes
        .list_programmes(v1::ListProgrammesRequest::default())
        .await
        .expect("a well-behaved client is served after being idle");
    server.stop().await;
}
