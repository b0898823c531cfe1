//! Authentication, API keys, health and reflection, on every backend.

mod common;

use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

on_every_backend!(
    health_serves_and_reflection_finds_every_service,
    missing_unknown_and_revoked_keys_are_unauthenticated,
    keys_are_issued_per_role_listed_without_secrets_and_revoked,
    grpc_web_clients_are_served_on_the_same_port,
    every_key_reads_itself_and_only_itself,
);

/// One gRPC-Web call over plain HTTP/1.1, as a browser would make it;
/// returns the raw response.
fn grpc_web_call(addr: std::net::SocketAddr, path: &str, key: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let body = [0_u8; 5]; // one uncompressed frame holding an empty message
    let auth = if key.is_empty() {
        String::new()
    } else {
        format!("authorization: Bearer {key}\r\n")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\n{auth}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write");
    stream.write_all(&body).expect("write body");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    String::from_utf8_lossy(&response).into_owned()
}

async fn grpc_web_clients_are_served_on_the_same_port(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (addr, key) = (server.addr, server.admin_key.clone());
    let path = "/gba.grants.v1.ProgrammeService/ListProgrammes";
    let (ok, anonymous) =
        tokio::task::spawn_blocking(move || (grpc_web_call(addr, path, &key), grpc_web_call(addr, path, "")))
            .await
            .unwrap();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.contains("application/grpc-web"), "{ok}");
    assert!(ok.contains("grpc-status:0"), "a trailer frame with status OK: {ok}");
    assert!(
        anonymous.contains("grpc-status: 16"),
        "UNAUTHENTICATED without a key: {anonymous}"
    );
    server.stop().await;
}

async fn health_serves_and_reflection_finds_every_service(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut health = HealthClient::new(server.channel.clone());
    for service in ["", "gba.grants.v1.ProgrammeService", "gba.grants.v1.WatchService"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("health needs no key")
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service}");
    }

    let mut reflection = ServerReflectionClient::new(server.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection")
        .into_inner();
    let Some(Ok(response)) = responses.next().await else {
        panic!("no reflection answer")
    };
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer")
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    for expected in [
        "gba.grants.v1.AccessService",
        "gba.grants.v1.ApplicationService",
        "gba.grants.v1.AwardService",
        "gba.grants.v1.InstitutionService",
        "gba.grants.v1.ProgrammeService",
        "gba.grants.v1.ReviewService",
        "gba.grants.v1.WatchService",
        "grpc.health.v1.Health",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
    }
    server.stop().await;
}

async fn missing_unknown_and_revoked_keys_are_unauthenticated(backend: Backend) {
    let server = TestServer::start(backend).await;
    let list = v1::ListProgrammesRequest::default();
    let status = expect_code(
        server.programmes("").list_programmes(list.clone()).await,
        Code::Unauthenticated,
    );
    assert_eq!(reason(&status), "MISSING_CREDENTIALS");
    let made_up = "gbk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let status = expect_code(
        server.programmes(made_up).list_programmes(list.clone()).await,
        Code::Unauthenticated,
    );
    assert_eq!(reason(&status), "INVALID_CREDENTIALS");
    expect_code(
        server.programmes("not-even-a-key").list_programmes(list.clone()).await,
        Code::Unauthenticated,
    );

    let issued = server
        .access(&server.admin_key)
        .create_api_key(v1::CreateApiKeyRequest {
            api_key: Some(v1::ApiKey {
                role: Role::Viewer.into(),
                all_programmes: true,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let viewer = issued.secret;
    server
        .programmes(&viewer)
        .list_programmes(list.clone())
        .await
        .expect("a fresh key works");
    server
        .access(&server.admin_key)
        .revoke_api_key(v1::RevokeApiKeyRequest {
            name: issued.api_key.unwrap().name,
            request_id: String::new(),
        })
        .await
        .expect("revoke");
    let status = expect_code(
        server.programmes(&viewer).list_programmes(list).await,
        Code::Unauthenticated,
    );
    assert_eq!(reason(&status), "INVALID_CREDENTIALS");
    server.stop().await;
}

async fn keys_are_issued_per_role_listed_without_secrets_and_revoked(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut access = server.access(&server.admin_key);
    let hku = server
        .institutions(&server.admin_key)
        .create_institution(v1::CreateInstitutionRequest {
            institution: Some(institution("HKU", "香港大學", v1::Region::HongKong, "")),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .institution
        .unwrap();
    let key = |role: Role, institution: &str, programmes: Vec<String>| v1::CreateApiKeyRequest {
        api_key: Some(v1::ApiKey {
            role: role.into(),
            institution: institution.into(),
            programmes,
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let applicant = access
        .create_api_key(key(Role::Applicant, &hku.name, vec![]))
        .await
        .unwrap()
        .into_inner();
    assert!(applicant.secret.starts_with("gbk_"));
    let applicant_key = applicant.api_key.unwrap();
    assert_eq!(applicant_key.institution, hku.name);
    assert_eq!(applicant_key.role, Role::Applicant as i32);

    let bad = [
        (key(Role::Applicant, "", vec![]), "api_key.institution"),
        (
            key(Role::Applicant, "institutions/missing", vec![]),
            "api_key.institution",
        ),
        (key(Role::Officer, "", vec![]), "api_key.programmes"),
        (
            key(Role::Officer, "", vec!["programmes/missing".into()]),
            "api_key.programmes[0]",
        ),
        (key(Role::Unspecified, "", vec![]), "api_key.role"),
        (
            key(Role::Officer, "", vec!["not a name".into()]),
            "api_key.programmes[0]",
        ),
    ];
    for (request, field) in bad {
        let status = expect_code(access.create_api_key(request).await, Code::InvalidArgument);
        assert_eq!(bad_fields(&status), [field], "{status:?}");
    }

    // Idempotent issue: the retry returns the same key, without the secret.
    let mut request = key(Role::Applicant, &hku.name, vec![]);
    request.request_id = "issue-hku-2".into();
    let first = access.create_api_key(request.clone()).await.unwrap().into_inner();
    let again = access.create_api_key(request).await.unwrap().into_inner();
    assert_eq!(first.api_key, again.api_key);
    assert!(!first.secret.is_empty());
    assert!(again.secret.is_empty());

    let listed = access
        .list_api_keys(v1::ListApiKeysRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.api_keys.len(), 3, "bootstrap admin + two applicants");
    let applicants = access
        .list_api_keys(v1::ListApiKeysRequest {
            filter: "role = APPLICANT".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(applicants.api_keys.len(), 2);

    let revoked = access
        .revoke_api_key(v1::RevokeApiKeyRequest {
            name: applicant_key.name.clone(),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .api_key
        .unwrap();
    assert!(revoked.revoke_time.is_some());
    let again = access
        .revoke_api_key(v1::RevokeApiKeyRequest {
            name: applicant_key.name.clone(),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .api_key
        .unwrap();
    assert_eq!(
        again.revoke_time, revoked.revoke_time,
        "revoking twice keeps the first time"
    );
    let active = access
        .list_api_keys(v1::ListApiKeysRequest {
            filter: "revoked = false".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(active.api_keys.len(), 2);
    expect_code(
        access
            .revoke_api_key(v1::RevokeApiKeyRequest {
                name: "apiKeys/missing".into(),
                request_id: String::new(),
            })
            .await,
        Code::NotFound,
    );
    server.stop().await;
}

async fn every_key_reads_itself_and_only_itself(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let whoami = |key: String| {
        let mut access = server.access(&key);
        async move {
            access
                .get_current_api_key(v1::GetCurrentApiKeyRequest {})
                .await
                .map(|r| r.into_inner().api_key.expect("api_key"))
        }
    };
    let listed = server
        .access(&server.admin_key)
        .list_api_keys(v1::ListApiKeysRequest {
            page_size: 1_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .api_keys;
    for (key, role, institution, programmes) in [
        (server.admin_key.clone(), Role::Admin, "", vec![]),
        (w.hku_key.clone(), Role::Applicant, w.hku.as_str(), vec![]),
        (
            w.hku_officer_key.clone(),
            Role::Officer,
            w.hku.as_str(),
            vec![w.programme.name.clone()],
        ),
        (w.viewer_key.clone(), Role::Viewer, "", vec![w.programme.name.clone()]),
    ] {
        let me = whoami(key.clone()).await.expect("every role reads its own key");
        assert_eq!(me.role, role as i32);
        assert_eq!(me.institution, institution);
        assert_eq!(me.programmes, programmes);
        assert!(!format!("{me:?}").contains(&key), "never the secret");
        let issued = listed
            .iter()
            .find(|k| k.name == me.name)
            .expect("the key is one that was issued");
        assert_eq!(issued, &me, "the same key as the admin lists it");
    }
    // Without a key, or with a revoked one: UNAUTHENTICATED.
    let status = server
        .access("")
        .get_current_api_key(v1::GetCurrentApiKeyRequest {})
        .await
        .expect_err("anonymous");
    assert_eq!(status.code(), Code::Unauthenticated);
    let me = whoami(w.um_key.clone()).await.unwrap();
    server
        .access(&server.admin_key)
        .revoke_api_key(v1::RevokeApiKeyRequest {
            name: me.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let status = whoami(w.um_key.clone()).await.expect_err("revoked");
    assert_eq!(status.code(), Code::Unauthenticated);
    server.stop().await;
}
