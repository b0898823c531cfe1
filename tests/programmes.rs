//! ProgrammeService behaviour, on every backend.

mod common;

use common::*;
use gba_grants::proto::v1;
use prost_types::FieldMask;
use tonic::Code;

on_every_backend!(
    creates_and_reads_programmes_with_exact_money,
    refuses_invalid_programmes_naming_the_field,
    updates_need_the_current_etag_and_only_one_concurrent_update_wins,
    lists_filter_by_open_and_region_within_scope,
);

async fn create(server: &TestServer, programme: v1::Programme) -> v1::Programme {
    server
        .programmes(&server.admin_key)
        .create_programme(v1::CreateProgrammeRequest {
            programme: Some(programme),
            request_id: String::new(),
        })
        .await
        .expect("create programme")
        .into_inner()
        .programme
        .expect("programme")
}

async fn creates_and_reads_programmes_with_exact_money(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut p = programme(10_000_000, 500_000);
    p.budget = Some(money("CNY", 10_000_000, 10_000_000)); // 10,000,000.01
    let created = create(&server, p).await;
    assert!(created.name.starts_with("programmes/"));
    assert_eq!(created.budget, Some(money("CNY", 10_000_000, 10_000_000)));
    assert_eq!(created.committed, Some(money("CNY", 0, 0)));
    assert_eq!(created.local_name, "粤港澳联合研究");
    assert_eq!(
        created.eligible_regions,
        [v1::Region::HongKong as i32, v1::Region::Macao as i32]
    );
    assert!(!created.etag.is_empty());
    let got = server
        .programmes(&server.admin_key)
        .get_programme(v1::GetProgrammeRequest {
            name: created.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .programme;
    assert_eq!(got, Some(created));
    let status = expect_code(
        server
            .programmes(&server.admin_key)
            .get_programme(v1::GetProgrammeRequest {
                name: "programmes/none".into(),
            })
            .await,
        Code::NotFound,
    );
    assert_eq!(reason(&status), "NOT_FOUND");
    let status = expect_code(
        server
            .programmes(&server.admin_key)
            .get_programme(v1::GetProgrammeRequest {
                name: "bad name".into(),
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), ["name"]);
    server.stop().await;
}

async fn refuses_invalid_programmes_naming_the_field(backend: Backend) {
    let server = TestServer::start(backend).await;
    let good = programme(1_000_000, 100_000);
    let now = now_seconds();
    let cases: Vec<(v1::Programme, &str)> = vec![
        (
            v1::Programme {
                display_name: String::new(),
                ..good.clone()
            },
            "programme.display_name",
        ),
        (
            v1::Programme {
                local_name: "x".repeat(201),
                ..good.clone()
            },
            "programme.local_name",
        ),
        (
            v1::Programme {
                funder: String::new(),
                ..good.clone()
            },
            "programme.funder",
        ),
        (
            v1::Programme {
                currency_code: "RMB".into(),
                ..good.clone()
            },
            "programme.currency_code",
        ),
        (
            v1::Programme {
                budget: None,
                ..good.clone()
            },
            "programme.budget",
        ),
        (
            v1::Programme {
                budget: Some(money("CNY", 0, 0)),
                ..good.clone()
            },
            "programme.budget",
        ),
        (
            v1::Programme {
                budget: Some(money("CNY", -5, 0)),
                ..good.clone()
            },
            "programme.budget",
        ),
        (
            v1::Programme {
                budget: Some(money("HKD", 1_000_000, 0)),
                ..good.clone()
            },
            "programme.budget.currency_code",
        ),
        (
            v1::Programme {
                budget: Some(money("CNY", 1, 1)),
                ..good.clone()
            },
            "programme.budget.nanos",
        ),
        (
            v1::Programme {
                budget: Some(money("CNY", 1, -10_000_000)),
                ..good.clone()
            },
            "programme.budget.nanos",
        ),
        (
            v1::Programme {
                max_award: Some(money("CNY", 2_000_000, 0)),
                ..good.clone()
            },
            "programme.max_award",
        ),
        (
            v1::Programme {
                max_award: None,
                ..good.clone()
            },
            "programme.max_award",
        ),
        (
            v1::Programme {
                eligible_regions: vec![],
                ..good.clone()
            },
            "programme.eligible_regions",
        ),
        (
            v1::Programme {
                eligible_regions: vec![0],
                ..good.clone()
            },
            "programme.eligible_regions[0]",
        ),
        (
            v1::Programme {
                open_time: None,
                ..good.clone()
            },
            "programme.open_time",
        ),
        (
            v1::Programme {
                close_time: Some(ts(now - 7_200)),
                ..good.clone()
            },
            "programme.close_time",
        ),
        (
            v1::Programme {
                open_time: Some(prost_types::Timestamp {
                    seconds: now,
                    nanos: -1,
                }),
                ..good.clone()
            },
            "programme.open_time.nanos",
        ),
    ];
    let mut client = server.programmes(&server.admin_key);
    for (bad, field) in cases {
        let status = expect_code(
            client
                .create_programme(v1::CreateProgrammeRequest {
                    programme: Some(bad),
                    request_id: String::new(),
                })
                .await,
            Code::InvalidArgument,
        );
        assert_eq!(bad_fields(&status), [field], "{status:?}");
    }
    let listed = client
        .list_programmes(v1::ListProgrammesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.programmes.is_empty(), "nothing was written");
    server.stop().await;
}

fn update(p: &v1::Programme, paths: &[&str]) -> v1::UpdateProgrammeRequest {
    v1::UpdateProgrammeRequest {
        programme: Some(p.clone()),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|s| s.to_string()).collect(),
        }),
        request_id: String::new(),
    }
}

async fn updates_need_the_current_etag_and_only_one_concurrent_update_wins(backend: Backend) {
    let server = TestServer::start(backend).await;
    let created = create(&server, programme(1_000_000, 100_000)).await;
    let mut client = server.programmes(&server.admin_key);

    let mut change = created.clone();
    change.display_name = "GBA Joint Research 2027".into();
    change.funder = "ignored: not in the mask".into();
    let updated = client
        .update_programme(update(&change, &["display_name"]))
        .await
        .unwrap()
        .into_inner()
        .programme
        .unwrap();
    assert_eq!(updated.display_name, "GBA Joint Research 2027");
    assert_eq!(updated.funder, created.funder);
    assert_ne!(updated.etag, created.etag);

    // The etag read before the update is stale now.
    let status = expect_code(
        client.update_programme(update(&change, &["display_name"])).await,
        Code::Aborted,
    );
    assert_eq!(reason(&status), "ETAG_MISMATCH");

    let bad_mask = expect_code(
        client.update_programme(update(&updated, &["currency_code"])).await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&bad_mask), ["update_mask"]);
    let no_mask = expect_code(
        client.update_programme(update(&updated, &[])).await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&no_mask), ["update_mask"]);
    let mut shrink = updated.clone();
    shrink.budget = Some(money("CNY", 50_000, 0));
    let status = expect_code(
        client.update_programme(update(&shrink, &["budget"])).await,
        Code::InvalidArgument,
    );
    assert_eq!(
        bad_fields(&status),
        ["programme.max_award"],
        "max_award must stay within the new budget"
    );

    // Two concurrent updates from the same read: exactly one wins.
    let mut calls = Vec::new();
    for i in 0..2 {
        let mut c = server.programmes(&server.admin_key);
        let mut p = updated.clone();
        p.funder = format!("funder {i}");
        calls.push(tokio::spawn(async move {
            c.update_programme(update(&p, &["funder"])).await
        }));
    }
    let mut ok = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => ok += 1,
            Err(status) => assert_eq!(status.code(), Code::Aborted),
        }
    }
    assert_eq!(ok, 1);
    let current = client
        .get_programme(v1::GetProgrammeRequest {
            name: created.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(current.programme.unwrap().funder.starts_with("funder "));
    server.stop().await;
}

async fn lists_filter_by_open_and_region_within_scope(backend: Backend) {
    let server = TestServer::start(backend).await;
    let open = create(&server, programme(1_000_000, 100_000)).await;
    let mut closed = programme(2_000_000, 100_000);
    closed.display_name = "Closed call".into();
    closed.eligible_regions = vec![v1::Region::Guangdong.into()];
    closed.open_time = Some(ts(now_seconds() - 10 * 86_400));
    closed.close_time = Some(ts(now_seconds() - 86_400));
    let closed = create(&server, closed).await;

    let mut client = server.programmes(&server.admin_key);
    let list = |filter: &str| v1::ListProgrammesRequest {
        filter: filter.into(),
        ..Default::default()
    };
    let names = |r: v1::ListProgrammesResponse| r.programmes.into_iter().map(|p| p.name).collect::<Vec<_>>();
    assert_eq!(
        names(client.list_programmes(list("open = true")).await.unwrap().into_inner()),
        vec![open.name.clone()]
    );
    assert_eq!(
        names(client.list_programmes(list("open = false")).await.unwrap().into_inner()),
        vec![closed.name.clone()]
    );
    assert_eq!(
        names(
            client
                .list_programmes(list("eligible_region = MACAO"))
                .await
                .unwrap()
                .into_inner()
        ),
        vec![open.name.clone()]
    );
    let status = expect_code(
        client.list_programmes(list("colour = red")).await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), ["filter"]);

    // An officer of the open programme sees only it; the other is denied
    // exactly like a programme that does not exist.
    let officer = server
        .access(&server.admin_key)
        .create_api_key(v1::CreateApiKeyRequest {
            api_key: Some(v1::ApiKey {
                role: v1::api_key::Role::Officer.into(),
                programmes: vec![open.name.clone()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .secret;
    let mut as_officer = server.programmes(&officer);
    assert_eq!(
        names(as_officer.list_programmes(list("")).await.unwrap().into_inner()),
        vec![open.name.clone()]
    );
    let foreign = expect_code(
        as_officer
            .get_programme(v1::GetProgrammeRequest {
                name: closed.name.clone(),
            })
            .await,
        Code::PermissionDenied,
    );
    let missing = expect_code(
        as_officer
            .get_programme(v1::GetProgrammeRequest {
                name: "programmes/missing".into(),
            })
            .await,
        Code::PermissionDenied,
    );
    assert_eq!(
        foreign.message().replace(&closed.name, "X"),
        missing.message().replace("programmes/missing", "X")
    );
    assert_eq!(reason(&foreign), reason(&missing));
    server.stop().await;
}
