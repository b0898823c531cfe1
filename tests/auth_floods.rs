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

on_every_backend!(bad_key_floods_are_refused_per_address,);

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
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    list(&server, [127, 0, 0, 1], &server.admin_key)
        .await
        .expect("after a second");
}
