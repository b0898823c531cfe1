//! InstitutionService behaviour, on every backend.

mod common;

use common::*;
use gba_grants::proto::v1;
use tonic::Code;

on_every_backend!(
    registers_reads_and_lists_institutions_by_region,
    refuses_bad_input_naming_each_field_and_writes_nothing,
    request_id_makes_create_idempotent_even_concurrently,
);

async fn registers_reads_and_lists_institutions_by_region(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut client = server.institutions(&server.admin_key);
    let hku = client
        .create_institution(v1::CreateInstitutionRequest {
            institution: Some(institution(
                "The University of Hong Kong",
                "香港大學",
                v1::Region::HongKong,
                "02zhqgq86",
            )),
            request_id: String::new(),
        })
        .await
        .expect("create HKU")
        .into_inner()
        .institution
        .expect("institution");
    assert!(hku.name.starts_with("institutions/"));
    assert_eq!(hku.local_name, "香港大學");
    assert_eq!(hku.ror_id, "02zhqgq86");
    assert!(hku.create_time.is_some());
    for (display, local, region) in [
        ("University of Macau", "澳門大學", v1::Region::Macao),
        ("Sun Yat-sen University", "中山大学", v1::Region::Guangdong),
        ("Macao Polytechnic University", "澳門理工大學", v1::Region::Macao),
    ] {
        client
            .create_institution(v1::CreateInstitutionRequest {
                institution: Some(institution(display, local, region, "")),
                request_id: String::new(),
            })
            .await
            .expect("create");
    }

    let got = client
        .get_institution(v1::GetInstitutionRequest { name: hku.name.clone() })
        .await
        .unwrap();
    assert_eq!(got.into_inner().institution, Some(hku.clone()));

    let macao = client
        .list_institutions(v1::ListInstitutionsRequest {
            filter: "region = MACAO".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = macao.institutions.iter().map(|i| i.display_name.as_str()).collect();
    assert_eq!(names, ["University of Macau", "Macao Polytechnic University"]);

    // Page through all four, two at a time, in creation order.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_institutions(v1::ListInstitutionsRequest {
                page_size: 2,
                page_token: token,
                filter: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.institutions.len() <= 2);
        seen.extend(page.institutions.into_iter().map(|i| i.display_name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0], "The University of Hong Kong");

    // A token is bound to its filter; negative sizes are refused.
    let first = client
        .list_institutions(v1::ListInstitutionsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let status = expect_code(
        client
            .list_institutions(v1::ListInstitutionsRequest {
                page_size: 1,
                page_token: first.next_page_token,
                filter: "region = MACAO".into(),
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), ["page_token"]);
    let status = expect_code(
        client
            .list_institutions(v1::ListInstitutionsRequest {
                page_size: -1,
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), ["page_size"]);

    let missing = expect_code(
        client
            .get_institution(v1::GetInstitutionRequest {
                name: "institutions/nope".into(),
            })
            .await,
        Code::NotFound,
    );
    assert_eq!(reason(&missing), "NOT_FOUND");
    let status = expect_code(
        client
            .create_institution(v1::CreateInstitutionRequest {
                institution: Some(institution(
                    "HKU again",
                    "港大",
                    v1::Region::HongKong,
                    "https://ror.org/02zhqgq86",
                )),
                request_id: String::new(),
            })
            .await,
        Code::AlreadyExists,
    );
    assert_eq!(reason(&status), "ALREADY_EXISTS");
    server.stop().await;
}

async fn refuses_bad_input_naming_each_field_and_writes_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut client = server.institutions(&server.admin_key);
    let good = institution("HKUST", "香港科技大學", v1::Region::HongKong, "");
    let long = "x".repeat(201);
    let cases: Vec<(v1::Institution, &[&str])> = vec![
        (
            v1::Institution {
                display_name: String::new(),
                ..good.clone()
            },
            &["institution.display_name"],
        ),
        (
            v1::Institution {
                local_name: "   ".into(),
                ..good.clone()
            },
            &["institution.local_name"],
        ),
        (
            v1::Institution {
                display_name: long.clone(),
                ..good.clone()
            },
            &["institution.display_name"],
        ),
        (
            v1::Institution {
                region: 0,
                ..good.clone()
            },
            &["institution.region"],
        ),
        (
            v1::Institution {
                region: 42,
                ..good.clone()
            },
            &["institution.region"],
        ),
        (
            v1::Institution {
                ror_id: "02zhqgq87".into(),
                ..good.clone()
            },
            &["institution.ror_id"],
        ),
        (
            v1::Institution {
                ror_id: "not-a-ror".into(),
                ..good.clone()
            },
            &["institution.ror_id"],
        ),
        (
            v1::Institution {
                display_name: String::new(),
                local_name: String::new(),
                region: 0,
                ..good.clone()
            },
            &[
                "institution.display_name",
                "institution.local_name",
                "institution.region",
            ],
        ),
    ];
    for (bad, fields) in cases {
        let status = expect_code(
            client
                .create_institution(v1::CreateInstitutionRequest {
                    institution: Some(bad),
                    request_id: String::new(),
                })
                .await,
            Code::InvalidArgument,
        );
        assert_eq!(bad_fields(&status), fields, "{status:?}");
        assert_eq!(reason(&status), "INVALID_FIELD");
    }
    let status = expect_code(
        client
            .create_institution(v1::CreateInstitutionRequest {
                institution: None,
                request_id: String::new(),
            })
            .await,
        Code::InvalidArgument,
    );
    assert!(!bad_fields(&status).is_empty());
    let all = client
        .list_institutions(v1::ListInstitutionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(
        all.institutions.is_empty(),
        "nothing was written: {:?}",
        all.institutions
    );
    server.stop().await;
}

async fn request_id_makes_create_idempotent_even_concurrently(backend: Backend) {
    let server = TestServer::start(backend).await;
    let request = v1::CreateInstitutionRequest {
        institution: Some(institution(
            "University of Saint Joseph",
            "聖若瑟大學",
            v1::Region::Macao,
            "",
        )),
        request_id: "7d0f3c3e-usj-1".into(),
    };
    let mut calls = Vec::new();
    for _ in 0..10 {
        let mut client = server.institutions(&server.admin_key);
        let request = request.clone();
        calls.push(tokio::spawn(async move { client.create_institution(request).await }));
    }
    let mut names = Vec::new();
    for call in calls {
        let response = call.await.unwrap().expect("every retry succeeds");
        names.push(response.into_inner().institution.unwrap().name);
    }
    names.dedup();
    assert_eq!(names.len(), 1, "one resource for one request id: {names:?}");
    let mut client = server.institutions(&server.admin_key);
    let all = client
        .list_institutions(v1::ListInstitutionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.institutions.len(), 1);

    let mut changed = request.clone();
    changed.institution.as_mut().unwrap().display_name = "USJ".into();
    let status = expect_code(client.create_institution(changed).await, Code::InvalidArgument);
    assert_eq!(reason(&status), "REQUEST_ID_REUSED");
    assert_eq!(bad_fields(&status), ["request_id"]);
    server.stop().await;
}
