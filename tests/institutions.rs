//! InstitutionService behaviour, on every backend.

mod common;

use common::*;
use gba_grants::proto::v1;
use tonic::Code;

on_every_backend!(
    registers_reads_and_lists_institutions_by_region,
    refuses_bad_input_naming_each_field_and_writes_nothing,
    request_id_makes_create_idempotent_even_concurrently,
    admins_update_names_and_ror_ids_with_the_current_etag,
    case_of_enum_filters_does_not_matter,
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

async fn update(
    server: &TestServer,
    key: &str,
    institution: v1::Institution,
    mask: &[&str],
    request_id: &str,
) -> Result<v1::Institution, tonic::Status> {
    server
        .institutions(key)
        .update_institution(v1::UpdateInstitutionRequest {
            institution: Some(institution),
            update_mask: Some(prost_types::FieldMask {
                paths: mask.iter().map(|p| p.to_string()).collect(),
            }),
            request_id: request_id.into(),
        })
        .await
        .map(|r| r.into_inner().institution.expect("institution"))
}

async fn read(server: &TestServer, name: &str) -> v1::Institution {
    server
        .institutions(&server.admin_key)
        .get_institution(v1::GetInstitutionRequest { name: name.into() })
        .await
        .expect("get")
        .into_inner()
        .institution
        .expect("institution")
}

async fn admins_update_names_and_ror_ids_with_the_current_etag(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin_key.clone();
    let create = |i: v1::Institution| {
        let mut client = server.institutions(&admin);
        async move {
            client
                .create_institution(v1::CreateInstitutionRequest {
                    institution: Some(i),
                    request_id: String::new(),
                })
                .await
                .expect("create")
                .into_inner()
                .institution
                .expect("institution")
        }
    };
    let hku = create(institution("HKU", "香港大學", v1::Region::HongKong, "02zhqgq86")).await;
    let um = create(institution(
        "University of Macau",
        "澳門大學",
        v1::Region::Macao,
        "01r4q9n85",
    ))
    .await;
    assert!(!hku.etag.is_empty());
    assert_eq!(
        hku.update_time, hku.create_time,
        "never updated: updated when registered"
    );

    // Names change with the current etag; the region never does.
    let renamed = update(
        &server,
        &admin,
        v1::Institution {
            name: hku.name.clone(),
            etag: hku.etag.clone(),
            display_name: "The University of Hong Kong".into(),
            region: v1::Region::Macao.into(),
            ..Default::default()
        },
        &["display_name"],
        "rename-1",
    )
    .await
    .expect("rename");
    assert_eq!(renamed.display_name, "The University of Hong Kong");
    assert_eq!(
        renamed.local_name, "香港大學",
        "fields outside the mask keep their values"
    );
    assert_eq!(renamed.region, v1::Region::HongKong as i32);
    assert_ne!(renamed.etag, hku.etag);
    let at = |t: &Option<prost_types::Timestamp>| t.as_ref().map(|t| (t.seconds, t.nanos));
    assert!(at(&renamed.update_time) >= at(&hku.update_time));
    assert_eq!(renamed.create_time, hku.create_time);
    assert_eq!(
        read(&server, &hku.name).await,
        renamed,
        "what was answered is what is stored"
    );

    // The same request id replays the first answer and changes nothing.
    let replay = update(
        &server,
        &admin,
        v1::Institution {
            name: hku.name.clone(),
            etag: hku.etag.clone(),
            display_name: "The University of Hong Kong".into(),
            region: v1::Region::Macao.into(),
            ..Default::default()
        },
        &["display_name"],
        "rename-1",
    )
    .await
    .expect("replay");
    assert_eq!(replay, renamed);

    // A stale etag: ABORTED, nothing changes.
    let stale = update(
        &server,
        &admin,
        v1::Institution {
            name: hku.name.clone(),
            etag: hku.etag.clone(),
            local_name: "港大".into(),
            ..Default::default()
        },
        &["local_name"],
        "",
    )
    .await;
    let status = stale.expect_err("a stale etag is refused");
    assert_eq!(status.code(), Code::Aborted);
    assert_eq!(reason(&status), "ETAG_MISMATCH");

    // The region, an unknown field, a blank name, no etag: INVALID_ARGUMENT
    // naming the field, nothing changes.
    for (mask, etag, display, field) in [
        (vec!["region"], renamed.etag.clone(), "x", "update_mask"),
        (vec!["create_time"], renamed.etag.clone(), "x", "update_mask"),
        (vec![], renamed.etag.clone(), "x", "update_mask"),
        (
            vec!["display_name"],
            renamed.etag.clone(),
            " \u{3000}",
            "institution.display_name",
        ),
        (vec!["display_name"], String::new(), "HKU again", "institution.etag"),
    ] {
        let status = update(
            &server,
            &admin,
            v1::Institution {
                name: hku.name.clone(),
                etag,
                display_name: display.into(),
                ..Default::default()
            },
            &mask,
            "",
        )
        .await
        .expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{mask:?}: {status:?}");
        assert_eq!(bad_fields(&status), vec![field.to_owned()], "{mask:?}");
    }
    assert_eq!(read(&server, &hku.name).await, renamed);

    // A ROR id another institution has: ALREADY_EXISTS, nothing changes.
    let status = update(
        &server,
        &admin,
        v1::Institution {
            name: um.name.clone(),
            etag: um.etag.clone(),
            ror_id: "02zhqgq86".into(),
            ..Default::default()
        },
        &["ror_id"],
        "",
    )
    .await
    .expect_err("a ROR id taken");
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(read(&server, &um.name).await, um);

    // Once HKU lets it go (an empty ROR id), Macau may take it.
    let cleared = update(
        &server,
        &admin,
        v1::Institution {
            name: hku.name.clone(),
            etag: renamed.etag.clone(),
            ..Default::default()
        },
        &["ror_id"],
        "",
    )
    .await
    .expect("clear the ROR id");
    assert_eq!(cleared.ror_id, "");
    let moved = update(
        &server,
        &admin,
        v1::Institution {
            name: um.name.clone(),
            etag: um.etag.clone(),
            ror_id: "02zhqgq86".into(),
            ..Default::default()
        },
        &["ror_id"],
        "",
    )
    .await
    .expect("the ROR id is free");
    assert_eq!(moved.ror_id, "02zhqgq86");

    // Only admins update; a missing institution is NOT_FOUND to them.
    let applicant = server.key(v1::api_key::Role::Applicant, &hku.name, &[]).await;
    let status = update(
        &server,
        &applicant,
        v1::Institution {
            name: hku.name.clone(),
            etag: cleared.etag.clone(),
            display_name: "Mine now".into(),
            ..Default::default()
        },
        &["display_name"],
        "",
    )
    .await
    .expect_err("applicants do not update institutions");
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = update(
        &server,
        &admin,
        v1::Institution {
            name: "institutions/0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4".into(),
            etag: "1".into(),
            display_name: "Nobody".into(),
            ..Default::default()
        },
        &["display_name"],
        "",
    )
    .await
    .expect_err("missing");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(read(&server, &hku.name).await, cleared);
    server.stop().await;
}

async fn case_of_enum_filters_does_not_matter(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    w.submitted(&server, 300_000).await;
    w.draft(&server, 200_000).await;
    let mut client = server.institutions(&server.admin_key);
    for filter in [
        "region = MACAO",
        "region = macao",
        "region = REGION_MACAO",
        "region = Macao",
    ] {
        let listed = client
            .list_institutions(v1::ListInstitutionsRequest {
                filter: filter.into(),
                ..Default::default()
            })
            .await
            .expect(filter)
            .into_inner()
            .institutions;
        assert_eq!(listed.len(), 1, "{filter}");
        assert_eq!(listed[0].name, w.um, "{filter}");
    }
    for filter in ["state = SUBMITTED", "state = submitted", "state = State_Submitted"] {
        let listed = server
            .apps(&w.officer_key)
            .list_applications(v1::ListApplicationsRequest {
                parent: w.programme.name.clone(),
                filter: filter.into(),
                ..Default::default()
            })
            .await
            .expect(filter)
            .into_inner()
            .applications;
        assert_eq!(listed.len(), 1, "{filter}");
        assert_eq!(listed[0].state, v1::application::State::Submitted as i32, "{filter}");
    }
    let status = server
        .apps(&w.officer_key)
        .list_applications(v1::ListApplicationsRequest {
            parent: w.programme.name.clone(),
            filter: "state = sent".into(),
            ..Default::default()
        })
        .await
        .expect_err("not a state");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), vec!["filter".to_owned()]);
    server.stop().await;
}
