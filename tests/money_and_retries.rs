//! Retries return the first response byte for byte; disbursements obey
//! the conversion rule and unique references; rescinding; conflicts of
//! interest through partners; summary totals that do not overflow; text
//! that is the same on both databases. On every backend.

mod common;

use std::time::Duration;

use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use prost::Message;
use prost_types::FieldMask;
use tokio::time::timeout;
use tonic::Code;

on_every_backend!(
    a_retry_returns_the_first_response_byte_for_byte,
    payee_amounts_follow_the_rate_and_references_are_unique,
    an_approved_grant_never_paid_can_be_rescinded_with_a_reason,
    officers_affiliated_with_a_partner_cannot_decide,
    summary_totals_do_not_overflow_or_break_other_programmes,
    control_characters_are_refused_in_every_text_field,
);

async fn a_retry_returns_the_first_response_byte_for_byte(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let mut apps = server.apps(&w.hku_key);

    // CreateApplication, retried after an edit: the draft as first made.
    let create = v1::CreateApplicationRequest {
        parent: w.programme.name.clone(),
        application: Some(application(&w.hku, &[&w.sysu], 100_000)),
        request_id: "create-1".into(),
    };
    let first = apps.create_application(create.clone()).await.unwrap().into_inner();
    let draft = first.application.clone().unwrap();
    apps.update_application(v1::UpdateApplicationRequest {
        application: Some(v1::Application {
            name: draft.name.clone(),
            title: "Edited title".into(),
            etag: draft.etag.clone(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["title".into()],
        }),
        request_id: String::new(),
    })
    .await
    .unwrap();
    let again = apps.create_application(create).await.unwrap().into_inner();
    assert_eq!(again.encode_to_vec(), first.encode_to_vec());
    assert_eq!(again.application.unwrap().etag, "1");

    // SubmitApplication, retried after StartReview: still SUBMITTED.
    let submit = v1::SubmitApplicationRequest {
        name: draft.name.clone(),
        request_id: "submit-1".into(),
        ..Default::default()
    };
    let submitted = apps.submit_application(submit.clone()).await.unwrap().into_inner();
    start_review(&server, &w.officer_key, &draft.name).await.unwrap();
    let again = apps.submit_application(submit).await.unwrap().into_inner();
    assert_eq!(again.encode_to_vec(), submitted.encode_to_vec());
    assert_eq!(again.application.unwrap().state, state(State::Submitted));

    // ApproveApplication, retried after a payment: still APPROVED.
    let approve = v1::ApproveApplicationRequest {
        awarded_resource: None,
        name: draft.name.clone(),
        awarded_amount: Some(money("CNY", 80_000, 0)),
        reason: "Strong team".into(),
        request_id: "approve-1".into(),
        override_incomplete_reviews: false,
        schedule: None,
    };
    let mut reviews = server.reviews(&w.officer_key);
    let approved = reviews.approve_application(approve.clone()).await.unwrap().into_inner();
    let paid = disburse(
        &server,
        &w.officer_key,
        &draft.name,
        payment(10_000, 10_842, 0, "1.0842"),
        "pay-1",
    )
    .await
    .unwrap();
    let again = reviews.approve_application(approve).await.unwrap().into_inner();
    assert_eq!(again.encode_to_vec(), approved.encode_to_vec());
    assert_eq!(again.application.unwrap().state, state(State::Approved));

    // RecordDisbursement, retried after a second payment: the first one,
    // with the application as it was then; nothing is paid twice.
    disburse(
        &server,
        &w.officer_key,
        &draft.name,
        payment(20_000, 21_684, 0, "1.0842"),
        "pay-2",
    )
    .await
    .unwrap();
    let retry = disburse(
        &server,
        &w.officer_key,
        &draft.name,
        payment(10_000, 10_842, 0, "1.0842"),
        "pay-1",
    )
    .await;
    // The reference differs (the helper makes a new one), so this is a
    // different request under the same id.
    let status = retry.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "REQUEST_ID_REUSED");
    let d = paid.disbursement.clone().unwrap();
    let exact = v1::RecordDisbursementRequest {
        parent: draft.name.clone(),
        disbursement: Some(v1::Disbursement {
            amount: d.amount.clone(),
            payee_amount: d.payee_amount.clone(),
            exchange_rate: d.exchange_rate.clone(),
            reference: d.reference.clone(),
            ..Default::default()
        }),
        request_id: "pay-exact".into(),
    };
    let mut awards = server.awards(&w.officer_key);
    let third = awards.record_disbursement(exact.clone()).await;
    // Same reference as the first payment: refused, naming it.
    let status = third.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(reason(&status), "DUPLICATE_PAYMENT_REFERENCE");
    assert!(status.message().contains(&d.name), "{}", status.message());
    let current = get(&server, &w.officer_key, &draft.name).await.unwrap();
    assert_eq!(current.disbursed_amount, Some(money("CNY", 30_000, 0)));

    // Institutions, programmes and keys replay their first response too.
    let mut institutions = server.institutions(&server.admin_key);
    let create = v1::CreateInstitutionRequest {
        institution: Some(institution(
            "Macau University of Science and Technology",
            "澳門科技大學",
            v1::Region::Macao,
            "",
        )),
        request_id: "must-1".into(),
    };
    let first = institutions
        .create_institution(create.clone())
        .await
        .unwrap()
        .into_inner();
    let again = institutions.create_institution(create).await.unwrap().into_inner();
    assert_eq!(again.encode_to_vec(), first.encode_to_vec());

    let mut programmes = server.programmes(&server.admin_key);
    let current = programmes
        .get_programme(v1::GetProgrammeRequest {
            name: w.other_programme.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .programme
        .unwrap();
    let update = |budget: i64, id: &str, etag: &str| v1::UpdateProgrammeRequest {
        programme: Some(v1::Programme {
            name: current.name.clone(),
            budget: Some(money("CNY", budget, 0)),
            etag: etag.into(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["budget".into()],
        }),
        request_id: id.into(),
    };
    let first = programmes
        .update_programme(update(6_000_000, "budget-1", &current.etag))
        .await
        .unwrap()
        .into_inner();
    let second = first.programme.clone().unwrap();
    programmes
        .update_programme(update(7_000_000, "budget-2", &second.etag))
        .await
        .unwrap();
    let again = programmes
        .update_programme(update(6_000_000, "budget-1", &current.etag))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.encode_to_vec(), first.encode_to_vec());
    server.stop().await;
}

async fn payee_amounts_follow_the_rate_and_references_are_unique(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let a = w.approved(&server, 900_000, 800_000).await;
    let b = w.approved(&server, 900_000, 800_000).await;
    let o = &w.officer_key;

    // 600,000 CNY at 1.0842 recorded as 700,000 HKD: refused, naming the
    // expected figure; nothing is paid.
    let status = disburse(&server, o, &a.name, payment(600_000, 700_000, 0, "1.0842"), "")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "PAYEE_AMOUNT_MISMATCH");
    assert_eq!(bad_fields(&status), ["disbursement.payee_amount"]);
    assert!(status.message().contains("HKD 650520.00"), "{}", status.message());
    let unchanged = get(&server, o, &a.name).await.unwrap();
    assert_eq!(unchanged.state, state(State::Approved));
    assert_eq!(unchanged.disbursed_amount, Some(money("CNY", 0, 0)));

    // The exact conversion less stated bank charges is accepted.
    let mut with_charges = payment(600_000, 650_385, 0, "1.0842");
    with_charges.bank_charges = Some(money("HKD", 135, 0));
    let paid = disburse(&server, o, &a.name, with_charges.clone(), "")
        .await
        .unwrap()
        .disbursement
        .unwrap();
    assert_eq!(paid.payee_amount, Some(money("HKD", 650_385, 0)));
    assert_eq!(paid.bank_charges, Some(money("HKD", 135, 0)));

    // Half-even rounding: 0.05 CNY at 1.1 is 0.055 HKD, paid as 0.06.
    let mut tiny = payment(0, 0, 60_000_000, "1.1");
    tiny.amount = Some(money("CNY", 0, 50_000_000));
    disburse(&server, o, &a.name, tiny.clone(), "").await.unwrap();
    let mut wrong = tiny;
    wrong.payee_amount = Some(money("HKD", 0, 50_000_000));
    wrong.reference = "FPS-TINY-2".into();
    let status = disburse(&server, o, &a.name, wrong, "").await.unwrap_err();
    assert_eq!(reason(&status), "PAYEE_AMOUNT_MISMATCH");

    // Charges in another currency, or negative, name the field.
    let mut bad = payment(1_000, 1_084, 200_000_000, "1.0842");
    bad.bank_charges = Some(money("CNY", 1, 0));
    let status = disburse(&server, o, &a.name, bad.clone(), "").await.unwrap_err();
    assert_eq!(bad_fields(&status), ["disbursement.bank_charges.currency_code"]);
    bad.bank_charges = Some(money("HKD", -1, 0));
    let status = disburse(&server, o, &a.name, bad, "").await.unwrap_err();
    assert_eq!(bad_fields(&status), ["disbursement.bank_charges"]);
    // A reference is required.
    let mut unnamed = payment(1_000, 1_084, 200_000_000, "1.0842");
    unnamed.reference = String::new();
    let status = disburse(&server, o, &a.name, unnamed, "").await.unwrap_err();
    assert_eq!(bad_fields(&status), ["disbursement.reference"]);

    // The same reference again, on this grant or another of the
    // programme: ALREADY_EXISTS naming the first payment.
    let mut duplicate = payment(1_000, 1_084, 200_000_000, "1.0842");
    duplicate.reference = paid.reference.clone();
    for target in [&a.name, &b.name] {
        let status = disburse(&server, o, target, duplicate.clone(), "").await.unwrap_err();
        assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
        assert_eq!(reason(&status), "DUPLICATE_PAYMENT_REFERENCE");
        assert!(status.message().contains(&paid.name), "{}", status.message());
    }
    // A true retry (same request id, same request) replays instead.
    let mut again = payment(1_000, 1_084, 200_000_000, "1.0842");
    again.reference = "FPS-RETRY".into();
    let first = disburse(&server, o, &b.name, again.clone(), "retry-1").await.unwrap();
    let second = disburse(&server, o, &b.name, again, "retry-1").await.unwrap();
    assert_eq!(second.encode_to_vec(), first.encode_to_vec());

    // Ten concurrent payments with one new reference: exactly one lands.
    let mut calls = Vec::new();
    for i in 0..10 {
        let mut awards = server.awards(o);
        let mut d = payment(100, 108, 420_000_000, "1.0842");
        d.reference = "FPS-RACE".into();
        let target = if i % 2 == 0 { a.name.clone() } else { b.name.clone() };
        calls.push(tokio::spawn(async move {
            awards
                .record_disbursement(v1::RecordDisbursementRequest {
                    parent: target,
                    disbursement: Some(d),
                    request_id: String::new(),
                })
                .await
        }));
    }
    let mut landed = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => landed += 1,
            Err(status) => assert_eq!(reason(&status), "DUPLICATE_PAYMENT_REFERENCE", "{status:?}"),
        }
    }
    assert_eq!(landed, 1);
    server.stop().await;
}

async fn an_approved_grant_never_paid_can_be_rescinded_with_a_reason(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let approved = w.approved(&server, 500_000, 400_000).await;
    assert_eq!(committed(&server, &w.programme.name).await, money("CNY", 400_000, 0));
    let mut awards = server.awards(&w.officer_key);
    let status = awards
        .close_grant(v1::CloseGrantRequest {
            name: approved.name.clone(),
            reason: "  ".into(),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["reason"]);
    assert_eq!(committed(&server, &w.programme.name).await, money("CNY", 400_000, 0));
    let closed = awards
        .close_grant(v1::CloseGrantRequest {
            name: approved.name.clone(),
            reason: "The partner withdrew before the first payment".into(),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();
    assert_eq!(closed.state, state(State::Closed));
    assert_eq!(committed(&server, &w.programme.name).await, money("CNY", 0, 0));
    let history = events(&server, &server.admin_key, &approved.name).await;
    let last = history.last().unwrap();
    assert_eq!(last.previous_state, state(State::Approved));
    assert_eq!(last.new_state, state(State::Closed));
    server.stop().await;
}

async fn officers_affiliated_with_a_partner_cannot_decide(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let sysu_officer = server
        .key(v1::api_key::Role::Officer, &w.sysu, &[&w.programme.name])
        .await;
    let submitted = w.submitted(&server, 200_000).await;
    for result in [
        start_review(&server, &sysu_officer, &submitted.name).await,
        reject(&server, &sysu_officer, &submitted.name, "no").await,
        request_changes(&server, &sysu_officer, &submitted.name, "more").await,
    ] {
        let status = result.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(reason(&status), "CONFLICT_OF_INTEREST");
        assert!(status.message().contains("partner"), "{}", status.message());
    }
    let reviewed = start_review(&server, &w.officer_key, &submitted.name).await.unwrap();
    let status = approve(&server, &sysu_officer, &reviewed.name, 100_000, "")
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "CONFLICT_OF_INTEREST");
    let current = get(&server, &w.officer_key, &reviewed.name).await.unwrap();
    assert_eq!(current.state, state(State::UnderReview));
    assert_eq!(committed(&server, &w.programme.name).await, money("CNY", 0, 0));
    server.stop().await;
}

async fn summary_totals_do_not_overflow_or_break_other_programmes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    // Two applications each requesting (2^63 − 1) / 100 CNY, the most a
    // programme can take: their sum is beyond 64 bits of fen.
    let huge_units = i64::MAX / 100;
    let huge = server.open_programme(programme(huge_units, huge_units)).await;
    for _ in 0..2 {
        let draft = server
            .apps(&w.hku_key)
            .create_application(v1::CreateApplicationRequest {
                parent: huge.name.clone(),
                application: Some(application(&w.hku, &[&w.sysu], huge_units)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .application
            .unwrap();
        submit(&server, &w.hku_key, &draft.name).await.unwrap();
    }
    w.submitted(&server, 300_000).await;
    let mut watch = server.watch(&server.admin_key);
    // The huge programme alone, and every programme in one stream.
    for programmes in [vec![huge.name.clone()], vec![]] {
        let mut stream = watch
            .watch_programme_summary(v1::WatchProgrammeSummaryRequest {
                programmes: programmes.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        let expected = if programmes.is_empty() { 3 } else { 1 };
        let mut seen = std::collections::HashMap::new();
        timeout(Duration::from_secs(10), async {
            while seen.len() < expected {
                let s = stream
                    .message()
                    .await
                    .expect("no error")
                    .expect("open")
                    .summary
                    .unwrap();
                seen.insert(s.programme.clone(), s);
            }
        })
        .await
        .expect("a summary of every programme");
        let big = &seen[&huge.name];
        assert_eq!(big.requested, Some(money("CNY", 2 * huge_units, 0)));
        if programmes.is_empty() {
            let normal = &seen[&w.programme.name];
            assert_eq!(normal.requested, Some(money("CNY", 300_000, 0)));
        }
    }
    server.stop().await;
}

async fn control_characters_are_refused_in_every_text_field(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let mut apps = server.apps(&w.hku_key);
    for email in ["p\u{0}i@example.hk", "p\u{1b}i@example.hk", "p\u{7}i@example.hk"] {
        let mut a = application(&w.hku, &[&w.sysu], 1_000);
        a.principal_investigator.as_mut().unwrap().email = email.into();
        let status = apps
            .create_application(v1::CreateApplicationRequest {
                parent: w.programme.name.clone(),
                application: Some(a),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{email:?}: {status:?}");
        assert_eq!(bad_fields(&status), ["application.principal_investigator.email"]);
    }
    let mut a = application(&w.hku, &[&w.sysu], 1_000);
    a.title = "Typhoon\u{0}".into();
    a.principal_investigator.as_mut().unwrap().name = "Dr\u{7} Chan".into();
    let status = apps
        .create_application(v1::CreateApplicationRequest {
            parent: w.programme.name.clone(),
            application: Some(a),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&status),
        ["application.title", "application.principal_investigator.name"]
    );
    let status = server
        .institutions(&server.admin_key)
        .create_institution(v1::CreateInstitutionRequest {
            institution: Some(institution("Lingnan\u{0}", "嶺南大學", v1::Region::HongKong, "")),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&status), ["institution.display_name"]);
    // Nothing was stored.
    let listed = apps
        .list_applications(v1::ListApplicationsRequest {
            parent: "programmes/-".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.applications.is_empty());
    server.stop().await;
}
