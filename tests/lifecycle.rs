//! The grant lifecycle through the gRPC client, on every backend: the
//! whole story, every refused transition, submit checks, conflicts of
//! interest, redaction, idempotency and etags.

mod common;

use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use prost_types::FieldMask;
use tonic::Code;

on_every_backend!(
    the_whole_story_from_draft_to_closed_grant,
    refused_transitions_name_the_state_and_change_nothing,
    submit_checks_completeness_eligibility_and_the_programme,
    officers_affiliated_with_the_applicant_cannot_decide,
    viewers_read_without_emails_and_applicants_see_only_their_own,
    request_ids_make_state_changes_idempotent,
    updates_need_the_current_etag_and_an_editable_state,
    request_ids_survive_a_restart,
);

async fn request_ids_survive_a_restart(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = TestServer::start_on(db.share()).await;
    let admin = first.admin_key.clone();
    let w = first.world().await;
    let reviewing = w.under_review(&first, 100_000).await;
    let approved = approve(&first, &w.officer_key, &reviewing.name, 80_000, "approve-after-restart")
        .await
        .unwrap();
    first.stop().await;

    let mut second = TestServer::start_on(db).await;
    assert!(second.admin_key.is_empty(), "keys exist: no new bootstrap key");
    second.admin_key = admin.clone();
    let again = approve(
        &second,
        &w.officer_key,
        &reviewing.name,
        80_000,
        "approve-after-restart",
    )
    .await;
    let again = again.expect("a retry after a restart returns the first result");
    assert_eq!(again.award_number, approved.award_number);
    assert_eq!(committed(&second, &w.programme.name).await, money("CNY", 80_000, 0));
    let states: Vec<i32> = events(&second, &admin, &reviewing.name)
        .await
        .iter()
        .map(|e| e.new_state)
        .collect();
    assert_eq!(
        states.iter().filter(|s| **s == state(State::Approved)).count(),
        1,
        "one approval event"
    );
    second.stop().await;
}

async fn the_whole_story_from_draft_to_closed_grant(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;

    // HKU drafts, leaving the amount out at first, then completes it.
    let mut draft = application(&w.hku, &[&w.sysu], 0);
    draft.requested_amount = None;
    let created = server
        .apps(&w.hku_key)
        .create_application(v1::CreateApplicationRequest {
            parent: w.programme.name.clone(),
            application: Some(draft),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();
    assert_eq!(created.state, state(State::Draft));
    assert!(created.name.starts_with(&format!("{}/applications/", w.programme.name)));
    let mut edit = created.clone();
    edit.requested_amount = Some(money("CNY", 800_000, 500_000_000));
    let edited = server
        .apps(&w.hku_key)
        .update_application(v1::UpdateApplicationRequest {
            application: Some(edit),
            update_mask: Some(FieldMask {
                paths: vec!["requested_amount".into()],
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();
    assert_eq!(edited.requested_amount, Some(money("CNY", 800_000, 500_000_000)));

    let submitted = submit(&server, &w.hku_key, &edited.name).await.unwrap();
    assert_eq!(submitted.state, state(State::Submitted));
    assert!(submitted.submit_time.is_some());
    let reviewing = start_review(&server, &w.officer_key, &edited.name).await.unwrap();
    assert_eq!(reviewing.state, state(State::UnderReview));
    let changes = request_changes(&server, &w.officer_key, &edited.name, "Add a data management plan")
        .await
        .unwrap();
    assert_eq!(changes.state, state(State::ChangesRequested));
    assert_eq!(changes.decision.as_ref().unwrap().reason, "Add a data management plan");
    let mut revised = changes.clone();
    revised.r#abstract = format!("{} Data management plan attached.", revised.r#abstract);
    server
        .apps(&w.hku_key)
        .update_application(v1::UpdateApplicationRequest {
            application: Some(revised),
            update_mask: Some(FieldMask {
                paths: vec!["abstract".into()],
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    submit(&server, &w.hku_key, &edited.name).await.unwrap();
    start_review(&server, &w.officer_key, &edited.name).await.unwrap();

    // Approve 750,000.25 CNY of the 800,000.50 requested.
    let approved = server
        .reviews(&w.officer_key)
        .approve_application(v1::ApproveApplicationRequest {
            awarded_resource: None,
            name: edited.name.clone(),
            awarded_amount: Some(money("CNY", 750_000, 250_000_000)),
            reason: "Excellent".into(),
            request_id: String::new(),
            override_incomplete_reviews: false,
            schedule: None,
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();
    assert_eq!(approved.state, state(State::Approved));
    assert!(approved.award_number.starts_with("GBA-"), "{}", approved.award_number);
    assert_eq!(approved.awarded_amount, Some(money("CNY", 750_000, 250_000_000)));
    assert_eq!(
        committed(&server, &w.programme.name).await,
        money("CNY", 750_000, 250_000_000)
    );

    // Pay 500,000 CNY as HKD 542,100.00 at 1.0842, then 100,000.25 more.
    let first = disburse(
        &server,
        &w.officer_key,
        &edited.name,
        payment(500_000, 542_100, 0, "1.0842"),
        "",
    )
    .await
    .unwrap();
    let d = first.disbursement.unwrap();
    assert_eq!(d.payee_amount, Some(money("HKD", 542_100, 0)));
    assert_eq!(d.exchange_rate, "1.0842");
    assert!(d.name.starts_with(&format!("{}/disbursements/", edited.name)));
    let active = first.application.unwrap();
    assert_eq!(active.state, state(State::Active));
    assert_eq!(active.disbursed_amount, Some(money("CNY", 500_000, 0)));
    let mut second = payment(100_000, 108_420, 270_000_000, "1.0842");
    second.amount = Some(money("CNY", 100_000, 250_000_000));
    disburse(&server, &w.officer_key, &edited.name, second, "")
        .await
        .unwrap();

    // More than the award is refused; nothing changes.
    let status = expect_code(
        disburse(
            &server,
            &w.officer_key,
            &edited.name,
            payment(150_001, 162_631, 80_000_000, "1.0842"),
            "",
        )
        .await
        .map(tonic::Response::new),
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "DISBURSEMENT_EXCEEDS_AWARD");

    let listed = server
        .awards(&w.viewer_key)
        .list_disbursements(v1::ListDisbursementsRequest {
            parent: edited.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.disbursements.len(), 2);

    // Closing releases the undisbursed 150,000 back to the budget.
    let closed = close(&server, &w.officer_key, &edited.name).await.unwrap();
    assert_eq!(closed.state, state(State::Closed));
    assert_eq!(closed.disbursed_amount, Some(money("CNY", 600_000, 250_000_000)));
    assert_eq!(
        committed(&server, &w.programme.name).await,
        money("CNY", 600_000, 250_000_000)
    );

    let history = events(&server, &w.hku_key, &edited.name).await;
    let states: Vec<i32> = history.iter().map(|e| e.new_state).collect();
    let expected = [
        State::Draft,
        State::Submitted,
        State::UnderReview,
        State::ChangesRequested,
        State::Submitted,
        State::UnderReview,
        State::Approved,
        State::Active,
        State::Active,
        State::Closed,
    ];
    assert_eq!(states, expected.map(state), "one event per change, in order");
    let cursors: Vec<&str> = history.iter().map(|e| e.cursor.as_str()).collect();
    let unique: std::collections::HashSet<&str> = cursors.iter().copied().collect();
    assert_eq!(
        unique.len(),
        cursors.len(),
        "every event has its own cursor: {cursors:?}"
    );
    assert_eq!(history[6].actor_role, v1::api_key::Role::Officer as i32);
    assert!(!history[7].disbursement.is_empty());
    assert_eq!(history[9].snapshot.as_ref().unwrap().state, state(State::Closed));
    assert_eq!(history[0].previous_state, state(State::Unspecified));
    server.stop().await;
}

async fn refused_transitions_name_the_state_and_change_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let o = &w.officer_key;
    let a = &w.hku_key;
    // Reach every state, then try every action that is not allowed there.
    let draft = w.draft(&server, 100_000).await;
    let submitted = w.submitted(&server, 100_000).await;
    let reviewing = w.under_review(&server, 100_000).await;
    let changes = w.submitted(&server, 100_000).await;
    request_changes(&server, o, &changes.name, "more detail").await.unwrap();
    let approved = w.approved(&server, 100_000, 90_000).await;
    let active = w.approved(&server, 100_000, 90_000).await;
    disburse(&server, o, &active.name, payment(10_000, 10_842, 0, "1.0842"), "")
        .await
        .unwrap();
    let closed = w.approved(&server, 100_000, 90_000).await;
    disburse(&server, o, &closed.name, payment(10_000, 10_842, 0, "1.0842"), "")
        .await
        .unwrap();
    close(&server, o, &closed.name).await.unwrap();
    let rejected = w.submitted(&server, 100_000).await;
    reject(&server, o, &rejected.name, "out of scope").await.unwrap();
    let withdrawn = w.draft(&server, 100_000).await;
    withdraw(&server, a, &withdrawn.name).await.unwrap();

    let cases: Vec<(&str, &str, &[&str])> = vec![
        (
            &draft.name,
            "DRAFT",
            &[
                "start_review",
                "request_changes",
                "approve",
                "reject",
                "disburse",
                "close",
            ],
        ),
        (
            &submitted.name,
            "SUBMITTED",
            &["submit", "approve", "disburse", "close"],
        ),
        (
            &reviewing.name,
            "UNDER_REVIEW",
            &["submit", "start_review", "disburse", "close"],
        ),
        (
            &changes.name,
            "CHANGES_REQUESTED",
            &[
                "start_review",
                "request_changes",
                "approve",
                "reject",
                "disburse",
                "close",
            ],
        ),
        (
            &approved.name,
            // (close from APPROVED rescinds: see money_and_retries.rs)
            "APPROVED",
            &[
                "submit",
                "withdraw",
                "start_review",
                "request_changes",
                "approve",
                "reject",
            ],
        ),
        (
            &active.name,
            "ACTIVE",
            &[
                "submit",
                "withdraw",
                "start_review",
                "request_changes",
                "approve",
                "reject",
            ],
        ),
        (
            &closed.name,
            "CLOSED",
            &[
                "submit",
                "withdraw",
                "start_review",
                "approve",
                "reject",
                "disburse",
                "close",
            ],
        ),
        (
            &rejected.name,
            "REJECTED",
            &["submit", "withdraw", "start_review", "approve", "disburse", "close"],
        ),
        (
            &withdrawn.name,
            "WITHDRAWN",
            &["submit", "withdraw", "start_review", "approve", "disburse", "close"],
        ),
    ];
    let before = committed(&server, &w.programme.name).await;
    for (name, current, actions) in cases {
        let snapshot = get(&server, &server.admin_key, name).await.unwrap();
        let history = events(&server, a, name).await.len();
        for action in actions {
            let result = match *action {
                "submit" => submit(&server, a, name).await,
                "withdraw" => withdraw(&server, a, name).await,
                "start_review" => start_review(&server, o, name).await,
                "request_changes" => request_changes(&server, o, name, "x").await,
                "approve" => approve(&server, o, name, 1, "").await,
                "reject" => reject(&server, o, name, "x").await,
                "disburse" => disburse(&server, o, name, payment(1, 1, 80_000_000, "1.0842"), "")
                    .await
                    .map(|r| r.application.unwrap_or_default()),
                "close" => close(&server, o, name).await,
                other => panic!("{other}"),
            };
            let status = result.expect_err(&format!("{action} from {current} must be refused"));
            assert_eq!(
                status.code(),
                Code::FailedPrecondition,
                "{action} from {current}: {status:?}"
            );
            assert_eq!(reason(&status), "INVALID_STATE");
            assert!(status.message().contains(current), "{action}: {}", status.message());
        }
        assert_eq!(
            get(&server, &server.admin_key, name).await.unwrap(),
            snapshot,
            "nothing changed"
        );
        assert_eq!(events(&server, a, name).await.len(), history, "no event for a refusal");
    }
    assert_eq!(committed(&server, &w.programme.name).await, before);
    server.stop().await;
}

async fn submit_checks_completeness_eligibility_and_the_programme(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let create = |key: String, parent: String, app: v1::Application| {
        let mut client = server.apps(&key);
        async move {
            client
                .create_application(v1::CreateApplicationRequest {
                    parent,
                    application: Some(app),
                    request_id: String::new(),
                })
                .await
                .expect("create draft")
                .into_inner()
                .application
                .unwrap()
        }
    };
    let full = application(&w.hku, &[&w.sysu], 100_000);
    let empty = v1::Application {
        applicant_institution: w.hku.clone(),
        ..Default::default()
    };
    let draft = create(w.hku_key.clone(), w.programme.name.clone(), empty).await;
    let status = expect_code(
        server
            .apps(&w.hku_key)
            .submit_application(v1::SubmitApplicationRequest {
                name: draft.name.clone(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
    );
    let mut fields = bad_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        [
            "application.abstract",
            "application.duration_months",
            "application.partner_institutions",
            "application.principal_investigator.email",
            "application.principal_investigator.name",
            "application.principal_investigator.orcid",
            "application.requested_amount",
            "application.title",
        ]
    );

    let cases: Vec<(String, v1::Application, &str)> = vec![
        (
            w.sysu_key.clone(),
            application(&w.sysu, &[&w.sysu], 100_000),
            "application.applicant_institution",
        ),
        (
            w.hku_key.clone(),
            application(&w.hku, &[&w.um], 100_000),
            "application.partner_institutions",
        ),
        (
            w.hku_key.clone(),
            application(&w.hku, &[&w.sysu], 1_000_001),
            "application.requested_amount",
        ),
        (
            w.hku_key.clone(),
            application(&w.hku, &[&w.sysu, "institutions/ghost"], 100_000),
            "application.partner_institutions[1]",
        ),
    ];
    for (key, app, field) in cases {
        let draft = create(key.clone(), w.programme.name.clone(), app).await;
        let status = expect_code(
            server
                .apps(&key)
                .submit_application(v1::SubmitApplicationRequest {
                    name: draft.name.clone(),
                    ..Default::default()
                })
                .await,
            Code::InvalidArgument,
        );
        assert_eq!(bad_fields(&status), [field], "{status:?}");
        assert_eq!(
            get(&server, &key, &draft.name).await.unwrap().state,
            state(State::Draft)
        );
    }

    // Format errors are caught when drafting already.
    let mut bad = full.clone();
    bad.principal_investigator.as_mut().unwrap().orcid = "0000-0002-1825-0098".into();
    bad.principal_investigator.as_mut().unwrap().email = "not-an-email".into();
    bad.duration_months = 121;
    bad.requested_amount = Some(money("HKD", 10, 0));
    let status = expect_code(
        server
            .apps(&w.hku_key)
            .create_application(v1::CreateApplicationRequest {
                parent: w.programme.name.clone(),
                application: Some(bad),
                request_id: String::new(),
            })
            .await,
        Code::InvalidArgument,
    );
    let mut fields = bad_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        [
            "application.duration_months",
            "application.principal_investigator.email",
            "application.principal_investigator.orcid",
            "application.requested_amount.currency_code",
        ]
    );

    // A programme that has closed refuses submissions.
    let ready = create(w.hku_key.clone(), w.programme.name.clone(), full).await;
    let mut p = server
        .programmes(&server.admin_key)
        .get_programme(v1::GetProgrammeRequest {
            name: w.programme.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .programme
        .unwrap();
    p.open_time = Some(ts(now_seconds() - 20 * 86_400));
    p.close_time = Some(ts(now_seconds() - 86_400));
    server
        .programmes(&server.admin_key)
        .update_programme(v1::UpdateProgrammeRequest {
            programme: Some(p),
            update_mask: Some(FieldMask {
                paths: vec!["open_time".into(), "close_time".into()],
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    let status = expect_code(
        server
            .apps(&w.hku_key)
            .submit_application(v1::SubmitApplicationRequest {
                name: ready.name.clone(),
                ..Default::default()
            })
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "PROGRAMME_NOT_OPEN");
    server.stop().await;
}

async fn officers_affiliated_with_the_applicant_cannot_decide(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let submitted = w.submitted(&server, 100_000).await;
    let k = &w.hku_officer_key;
    for status in [
        start_review(&server, k, &submitted.name).await.unwrap_err(),
        request_changes(&server, k, &submitted.name, "x").await.unwrap_err(),
        reject(&server, k, &submitted.name, "x").await.unwrap_err(),
    ] {
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(reason(&status), "CONFLICT_OF_INTEREST");
    }
    let reviewing = start_review(&server, &w.officer_key, &submitted.name).await.unwrap();
    let status = approve(&server, k, &reviewing.name, 100_000, "").await.unwrap_err();
    assert_eq!(reason(&status), "CONFLICT_OF_INTEREST");
    // The affiliated officer may still read it.
    assert_eq!(
        get(&server, k, &submitted.name).await.unwrap().state,
        state(State::UnderReview)
    );
    server.stop().await;
}

async fn viewers_read_without_emails_and_applicants_see_only_their_own(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let hku_app = w.submitted(&server, 100_000).await;
    let um_app = server
        .apps(&w.um_key)
        .create_application(v1::CreateApplicationRequest {
            parent: w.programme.name.clone(),
            application: Some(application(&w.um, &[&w.sysu], 50_000)),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();

    let seen = get(&server, &w.viewer_key, &hku_app.name).await.unwrap();
    assert_eq!(seen.principal_investigator.as_ref().unwrap().email, "");
    assert_eq!(seen.principal_investigator.as_ref().unwrap().name, "Dr Chan Tai Man");
    let history = events(&server, &w.viewer_key, &hku_app.name).await;
    assert_eq!(history.len(), 2, "created and submitted");
    assert!(history.iter().all(|e| {
        e.snapshot
            .as_ref()
            .unwrap()
            .principal_investigator
            .as_ref()
            .unwrap()
            .email
            .is_empty()
    }));
    assert_eq!(
        get(&server, &w.officer_key, &hku_app.name)
            .await
            .unwrap()
            .principal_investigator
            .unwrap()
            .email,
        "tmchan@hku.hk"
    );

    // HKU cannot see Macau's application: same answer as a missing one.
    let foreign = get(&server, &w.hku_key, &um_app.name).await.unwrap_err();
    let missing = get(&server, &w.hku_key, &format!("{}/applications/nope", w.programme.name))
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), Code::PermissionDenied);
    assert_eq!(missing.code(), Code::PermissionDenied);
    assert_eq!(reason(&foreign), reason(&missing));

    let list = |key: &str, parent: &str, filter: &str| {
        let mut client = server.apps(key);
        let request = v1::ListApplicationsRequest {
            parent: parent.into(),
            filter: filter.into(),
            ..Default::default()
        };
        async move {
            client
                .list_applications(request)
                .await
                .map(|r| r.into_inner().applications)
        }
    };
    let mine = list(&w.hku_key, "programmes/-", "").await.unwrap();
    assert_eq!(
        mine.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        vec![hku_app.name.clone()]
    );
    assert!(
        list(
            &w.hku_key,
            "programmes/-",
            &format!("applicant_institution = \"{}\"", w.um)
        )
        .await
        .unwrap()
        .is_empty()
    );
    assert_eq!(list(&w.officer_key, &w.programme.name, "").await.unwrap().len(), 2);
    assert_eq!(
        list(&w.officer_key, "programmes/-", "state = SUBMITTED")
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(list(&w.other_officer_key, "programmes/-", "").await.unwrap().is_empty());
    let status = list(&w.other_officer_key, &w.programme.name, "").await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let viewed = list(&w.viewer_key, "programmes/-", "").await.unwrap();
    assert_eq!(viewed.len(), 2, "the viewer lists both applications of its programme");
    assert!(
        viewed
            .iter()
            .all(|a| a.principal_investigator.as_ref().unwrap().email.is_empty())
    );
    server.stop().await;
}

async fn request_ids_make_state_changes_idempotent(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    // Ten concurrent creates with one request id: one application, one event.
    let request = v1::CreateApplicationRequest {
        parent: w.programme.name.clone(),
        application: Some(application(&w.hku, &[&w.sysu], 100_000)),
        request_id: "create-hku-typhoon".into(),
    };
    let mut calls = Vec::new();
    for _ in 0..10 {
        let mut client = server.apps(&w.hku_key);
        let request = request.clone();
        calls.push(tokio::spawn(async move { client.create_application(request).await }));
    }
    let mut names = Vec::new();
    for call in calls {
        names.push(
            call.await
                .unwrap()
                .expect("create")
                .into_inner()
                .application
                .unwrap()
                .name,
        );
    }
    names.dedup();
    assert_eq!(names.len(), 1);
    let name = names.remove(0);
    let all = server
        .apps(&w.hku_key)
        .list_applications(v1::ListApplicationsRequest {
            parent: "programmes/-".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.applications.len(), 1);
    submit(&server, &w.hku_key, &name).await.unwrap();
    start_review(&server, &w.officer_key, &name).await.unwrap();

    // Ten concurrent approvals with one request id: one award, one event.
    let mut calls = Vec::new();
    for _ in 0..10 {
        let server_key = w.officer_key.clone();
        let mut client = server.reviews(&server_key);
        let name = name.clone();
        calls.push(tokio::spawn(async move {
            client
                .approve_application(v1::ApproveApplicationRequest {
                    awarded_resource: None,
                    name,
                    awarded_amount: Some(money("CNY", 90_000, 0)),
                    reason: String::new(),
                    request_id: "approve-1".into(),
                    override_incomplete_reviews: false,
                    schedule: None,
                })
                .await
        }));
    }
    let mut numbers = Vec::new();
    for call in calls {
        numbers.push(
            call.await
                .unwrap()
                .expect("approve retry succeeds")
                .into_inner()
                .application
                .unwrap()
                .award_number,
        );
    }
    numbers.dedup();
    assert_eq!(numbers.len(), 1);
    assert_eq!(committed(&server, &w.programme.name).await, money("CNY", 90_000, 0));

    // Ten concurrent disbursements with one request id: one payment.
    let one_payment = payment(10_000, 10_842, 0, "1.0842");
    let mut calls = Vec::new();
    for _ in 0..10 {
        let one_payment = one_payment.clone();
        let key = w.officer_key.clone();
        let name = name.clone();
        let server_ref = server.awards(&key);
        calls.push(tokio::spawn(async move {
            let mut client = server_ref;
            client
                .record_disbursement(v1::RecordDisbursementRequest {
                    parent: name,
                    disbursement: Some(one_payment),
                    request_id: "pay-1".into(),
                })
                .await
        }));
    }
    let mut paid = Vec::new();
    for call in calls {
        paid.push(
            call.await
                .unwrap()
                .expect("pay")
                .into_inner()
                .disbursement
                .unwrap()
                .name,
        );
    }
    paid.dedup();
    assert_eq!(paid.len(), 1);
    let app = get(&server, &w.officer_key, &name).await.unwrap();
    assert_eq!(app.disbursed_amount, Some(money("CNY", 10_000, 0)));
    let states: Vec<i32> = events(&server, &w.officer_key, &name)
        .await
        .iter()
        .map(|e| e.new_state)
        .collect();
    assert_eq!(
        states,
        [
            State::Draft,
            State::Submitted,
            State::UnderReview,
            State::Approved,
            State::Active
        ]
        .map(state)
    );

    // The same id with a different request is refused.
    let status = expect_code(
        server
            .awards(&w.officer_key)
            .record_disbursement(v1::RecordDisbursementRequest {
                parent: name.clone(),
                disbursement: Some(payment(20_000, 21_684, 0, "1.0842")),
                request_id: "pay-1".into(),
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(reason(&status), "REQUEST_ID_REUSED");
    server.stop().await;
}

async fn updates_need_the_current_etag_and_an_editable_state(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let draft = w.draft(&server, 100_000).await;
    let update = |app: &v1::Application, title: &str| v1::UpdateApplicationRequest {
        application: Some(v1::Application {
            title: title.into(),
            ..app.clone()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["title".into()],
        }),
        request_id: String::new(),
    };
    let mut calls = Vec::new();
    for i in 0..2 {
        let mut client = server.apps(&w.hku_key);
        let request = update(&draft, &format!("Title {i}"));
        calls.push(tokio::spawn(async move { client.update_application(request).await }));
    }
    let mut ok = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => ok += 1,
            Err(status) => {
                assert_eq!(status.code(), Code::Aborted);
                assert_eq!(reason(&status), "ETAG_MISMATCH");
            }
        }
    }
    assert_eq!(ok, 1, "exactly one of two updates from one read wins");
    let stale = expect_code(
        server
            .apps(&w.hku_key)
            .update_application(update(&draft, "Again"))
            .await,
        Code::Aborted,
    );
    assert_eq!(reason(&stale), "ETAG_MISMATCH");

    let current = get(&server, &w.hku_key, &draft.name).await.unwrap();
    let bad = expect_code(
        server
            .apps(&w.hku_key)
            .update_application(v1::UpdateApplicationRequest {
                application: Some(current.clone()),
                update_mask: Some(FieldMask {
                    paths: vec!["state".into()],
                }),
                request_id: String::new(),
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&bad), ["update_mask"]);
    let submitted = submit(&server, &w.hku_key, &draft.name).await.unwrap();
    let status = expect_code(
        server
            .apps(&w.hku_key)
            .update_application(update(&submitted, "Late"))
            .await,
        Code::FailedPrecondition,
    );
    assert!(status.message().contains("SUBMITTED"));
    // Another institution cannot edit it, whatever the etag.
    let status = expect_code(
        server
            .apps(&w.um_key)
            .update_application(update(&submitted, "Hijack"))
            .await,
        Code::PermissionDenied,
    );
    assert_eq!(reason(&status), "OUT_OF_SCOPE");
    server.stop().await;
}
