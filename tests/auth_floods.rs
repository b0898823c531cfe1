//! A flood of calls with bad keys from one client address is refused,
//! unchecked, once it passes the limit per second — without touching the
//! database and without affecting other addresses — on every backend.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::programme_service_client::ProgrammeServiceClient;
use tonic::Code;
use tonic::transport::Endpoint;

on_every_backend!(
    bad_key_floods_are_refused_per_address,
    good_keys_pass_during_a_flood_from_their_address,
    a_burst_of_bad_keys_reaches_the_lookup_at_most_the_limit,
);

async fn list(server: &TestServer, from: [u8; 4], key: &str) -> Result<(), tonic::Status> {
    let channel = Endpoint::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .local_address(Some(IpAddr::V4(Ipv4Addr::from(from))))
        .connect()
        .await
        .expect("connect");
    ProgrammeServiceClient::with_interceptor(channel, Bearer::new(key))
        .list_programmes(v1::ListProgrammesRequest::default())
        .await
        .map(|_| ())
}

async fn bad_key_floods_are_refused_per_address(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start_with(db, |s| s.limits.failed_authentications_per_second = 5).await;
    let bad = "gbk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let (mut unauthenticated, mut refused) = (0, None);
    for _ in 0..50 {
        let status = list(&server, [127, 0, 0, 1], bad).await.unwrap_err();
        match status.code() {
            Code::Unauthenticated => unauthenticated += 1,
            Code::ResourceExhausted => {
                refused = Some(status);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let refused = refused.expect("the flood is refused");
    assert_eq!(reason(&refused), "TOO_MANY_FAILED_AUTHENTICATIONS");
    assert!(unauthenticated >= 5, "{unauthenticated} checked before the limit");
    // Another address is not affected, and the flooding one recovers.
    list(&server, [127, 0, 0, 2], &server.admin_key)
        .await
        .expect("another address");
    // The flooding address's bad keys are looked up again once its
    // second is over (within two seconds at most).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let status = list(&server, [127, 0, 0, 1], bad).await.unwrap_err();
        if status.code() == Code::Unauthenticated {
            break;
        }
        assert_eq!(reason(&status), "TOO_MANY_FAILED_AUTHENTICATIONS");
        assert!(tokio::time::Instant::now() < deadline, "the address never recovered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A flood of made-up keys from one address does not lock out good keys
/// behind the same address (a NAT, a proxy, a university's egress): the
/// admin key, first used during the flood (so looked up by the set of
/// issued keys), and a key issued meanwhile by this server, pass every
/// time.
async fn good_keys_pass_during_a_flood_from_their_address(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start_with(db, |s| s.limits.failed_authentications_per_second = 20).await;
    let flooding = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    // Ends the flood however the test ends (a failed assertion included).
    struct Stop(std::sync::Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(false, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let _stop = Stop(flooding.clone());
    let refused_floods = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let channel = Endpoint::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .local_address(Some(IpAddr::V4(Ipv4Addr::LOCALHOST)))
        .connect()
        .await
        .expect("connect");
    let flood: Vec<_> = (0..4)
        .map(|n| {
            let (channel, flooding, refused) = (channel.clone(), flooding.clone(), refused_floods.clone());
            tokio::spawn(async move {
                let mut i = 0_u64;
                while flooding.load(std::sync::atomic::Ordering::Relaxed) {
                    i += 1;
                    let made_up = format!("gbk_madeup{n}x{i:040}");
                    let status = ProgrammeServiceClient::with_interceptor(channel.clone(), Bearer::new(&made_up))
                        .list_programmes(v1::ListProgrammesRequest::default())
                        .await
                        .unwrap_err();
                    if status.code() == Code::ResourceExhausted {
                        refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    // The flood is over the limit before the good keys start.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while refused_floods.load(std::sync::atomic::Ordering::Relaxed) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the flood never reached the limit"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let fresh = server.key(v1::api_key::Role::Admin, "", &[]).await;
    let mut refused = 0;
    for i in 0..150 {
        for key in [&server.admin_key, &fresh] {
            if let Err(status) = list(&server, [127, 0, 0, 1], key).await {
                assert_eq!(status.code(), Code::ResourceExhausted, "call {i}: {status:?}");
                refused += 1;
            }
        }
    }
    flooding.store(false, std::sync::atomic::Ordering::Relaxed);
    for task in flood {
        task.await.expect("flood task");
    }
    assert!(
        refused_floods.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "the flood was refused meanwhile"
    );
    assert_eq!(refused, 0, "good keys refused during the flood");
}

/// A burst of concurrent calls with made-up keys from one address reaches
/// the key lookup at most the limit's number of times a second: lookups
/// count before they run, so concurrent ones cannot pass it together.
async fn a_burst_of_bad_keys_reaches_the_lookup_at_most_the_limit(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start_with(db, |s| s.limits.failed_authentications_per_second = 100).await;
    let channel = Endpoint::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .local_address(Some(IpAddr::V4(Ipv4Addr::LOCALHOST)))
        .connect()
        .await
        .expect("connect");
    let started = std::time::Instant::now();
    let calls = (0..1_000).map(|i| {
        let channel = channel.clone();
        tokio::spawn(async move {
            ProgrammeServiceClient::with_interceptor(channel, Bearer::new(&format!("gbk_burst{i:040}")))
                .list_programmes(v1::ListProgrammesRequest::default())
                .await
                .unwrap_err()
        })
    });
    let statuses = futures_util::future::join_all(calls).await;
    let elapsed = started.elapsed();
    let looked_up = statuses
        .iter()
        .filter(|s| s.as_ref().expect("call").code() == Code::Unauthenticated)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| {
            let s = s.as_ref().expect("call");
            s.code() == Code::ResourceExhausted && reason(s) == "TOO_MANY_FAILED_AUTHENTICATIONS"
        })
        .count();
    assert_eq!(looked_up + refused, 1_000, "every call answered one way or the other");
    // The window starts at the burst's first failure: the burst spans one
    // window per second it lasted, begun.
    let windows = usize::try_from(elapsed.as_secs())
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    assert!(
        looked_up <= 100 * windows,
        "{looked_up} bad keys reached the lookup in {elapsed:?} against a limit of 100 a second"
    );
    eprintln!("burst of 1,000 bad keys: {looked_up} looked up, {refused} refused, in {elapsed:?}");
}
