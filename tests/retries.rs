//! Retries with a request id, for every method that takes one, on every
//! backend. A retry answers the first call's response byte for byte (even
//! after the resource changed since) and changes nothing: no new event.
//! The same request id sent by another key is another request. The same
//! id with another request is INVALID_ARGUMENT `REQUEST_ID_REUSED`.

mod common;

use std::future::Future;

use common::reviewing::*;
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use gba_grants::proto::v1::application::State;
use prost::Message;
use prost_types::FieldMask;
use tonic::{Code, Status};

on_every_backend!(
    lifecycle_retries_answer_the_first_response,
    review_retries_answer_the_first_response,
    administrative_retries_answer_the_first_response,
    one_request_id_belongs_to_one_key,
);

/// Sends `call` (a call with a request id) and returns its response's
/// bytes; the caller changes the resource, then [`replayed`] checks the
/// retry.
async fn first<M: Message, F: Future<Output = Result<M, Status>>>(what: &str, call: F) -> Vec<u8> {
    call.await
        .unwrap_or_else(|s| panic!("{what}: the first call failed: {s:?}"))
        .encode_to_vec()
}

/// The retry answers `first` byte for byte, and the history of
/// `application` is as long as it was before the retry.
async fn replayed<M: Message, F: Future<Output = Result<M, Status>>>(
    server: &TestServer,
    what: &str,
    application: &str,
    first: &[u8],
    retry: F,
) {
    let before = events(server, &server.admin_key, application).await.len();
    let again = retry
        .await
        .unwrap_or_else(|s| panic!("{what}: the retry failed: {s:?}"))
        .encode_to_vec();
    assert_eq!(
        again, first,
        "{what}: the retry answered differently from the first call"
    );
    let after = events(server, &server.admin_key, application).await.len();
    assert_eq!(after, before, "{what}: the retry wrote an event");
}

async fn update(
    server: &TestServer,
    key: &str,
    app: &v1::Application,
    title: &str,
    id: &str,
) -> Result<v1::UpdateApplicationResponse, Status> {
    server
        .apps(key)
        .update_application(v1::UpdateApplicationRequest {
            application: Some(v1::Application {
                name: app.name.clone(),
                etag: app.etag.clone(),
                title: title.into(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["title".into()],
            }),
            request_id: id.into(),
        })
        .await
        .map(|r| r.into_inner())
}

async fn lifecycle_retries_answer_the_first_response(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let apps = server.apps(&w.hku_key);
    let reviews = server.reviews(&w.officer_key);
    let awards = server.awards(&w.officer_key);

    // CreateApplication, then the draft is edited; UpdateApplication, then
    // edited again.
    let create = v1::CreateApplicationRequest {
        parent: w.programme.name.clone(),
        application: Some(application(&w.hku, &[&w.sysu], 400_000)),
        request_id: "create".into(),
    };
    let created = first("create", async {
        apps.clone()
            .create_application(create.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    let draft = v1::CreateApplicationResponse::decode(created.as_slice())
        .expect("decode")
        .application
        .expect("application");
    let edited = first("update", update(&server, &w.hku_key, &draft, "Edited once", "update")).await;
    let edited_app = v1::UpdateApplicationResponse::decode(edited.as_slice())
        .expect("decode")
        .application
        .expect("application");
    let twice = update(&server, &w.hku_key, &edited_app, "Edited twice", "")
        .await
        .expect("edit again");
    let twice = twice.application.expect("application");
    replayed(&server, "create", &draft.name, &created, async {
        apps.clone()
            .create_application(create.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    replayed(
        &server,
        "update",
        &draft.name,
        &edited,
        update(&server, &w.hku_key, &draft, "Edited once", "update"),
    )
    .await;

    // SubmitApplication, then review starts; StartReview, then changes are
    // requested; RequestChanges, then the draft is edited.
    let submit_req = v1::SubmitApplicationRequest {
        name: draft.name.clone(),
        etag: twice.etag.clone(),
        request_id: "submit".into(),
    };
    let submitted = first("submit", async {
        apps.clone()
            .submit_application(submit_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    let start_req = v1::StartReviewRequest {
        name: draft.name.clone(),
        request_id: "start".into(),
    };
    let started = first("start review", async {
        reviews
            .clone()
            .start_review(start_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    replayed(&server, "submit", &draft.name, &submitted, async {
        apps.clone()
            .submit_application(submit_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    let changes_req = v1::RequestChangesRequest {
        name: draft.name.clone(),
        reason: "Add the Guangdong partner's letter".into(),
        request_id: "changes".into(),
    };
    let changes = first("request changes", async {
        reviews
            .clone()
            .request_changes(changes_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    replayed(&server, "start review", &draft.name, &started, async {
        reviews
            .clone()
            .start_review(start_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    let now = get(&server, &w.hku_key, &draft.name).await.expect("read");
    assert_eq!(now.state, State::ChangesRequested as i32);
    update(&server, &w.hku_key, &now, "Edited after the request", "")
        .await
        .expect("edit");
    replayed(&server, "request changes", &draft.name, &changes, async {
        reviews
            .clone()
            .request_changes(changes_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;

    // ApproveApplication, then a payment; RecordDisbursement, then another
    // payment; CloseGrant, then (closed for good) retried.
    let app = w.under_review(&server, 300_000).await;
    let approve_req = v1::ApproveApplicationRequest {
        awarded_resource: None,
        name: app.name.clone(),
        awarded_amount: Some(money("CNY", 200_000, 0)),
        reason: "Fund".into(),
        request_id: "approve".into(),
        override_incomplete_reviews: false,
        schedule: None,
    };
    let approved = first("approve", async {
        reviews
            .clone()
            .approve_application(approve_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    let pay_req = v1::RecordDisbursementRequest {
        parent: app.name.clone(),
        disbursement: Some(payment(50_000, 56_250, 0, "1.125")),
        request_id: "pay".into(),
    };
    let paid = first("disburse", async {
        awards
            .clone()
            .record_disbursement(pay_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    replayed(&server, "approve", &app.name, &approved, async {
        reviews
            .clone()
            .approve_application(approve_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    disburse(
        &server,
        &w.officer_key,
        &app.name,
        payment(10_000, 11_250, 0, "1.125"),
        "",
    )
    .await
    .expect("second payment");
    replayed(&server, "disburse", &app.name, &paid, async {
        awards
            .clone()
            .record_disbursement(pay_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    let close_req = v1::CloseGrantRequest {
        name: app.name.clone(),
        reason: "Completed".into(),
        request_id: "close".into(),
    };
    let closed = first("close", async {
        awards
            .clone()
            .close_grant(close_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    replayed(&server, "close", &app.name, &closed, async {
        awards
            .clone()
            .close_grant(close_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    // 200,000 awarded, 60,000 paid: the remainder of 140,000 was released
    // once, and the paid part stays committed.
    assert_eq!(
        committed(&server, &w.programme.name).await,
        money("CNY", 60_000, 0),
        "released once"
    );

    // RejectApplication and WithdrawApplication, retried after the end.
    let app = w.submitted(&server, 100_000).await;
    let reject_req = v1::RejectApplicationRequest {
        name: app.name.clone(),
        reason: "Outside the programme's scope".into(),
        request_id: "reject".into(),
    };
    let rejected = first("reject", async {
        reviews
            .clone()
            .reject_application(reject_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    replayed(&server, "reject", &app.name, &rejected, async {
        reviews
            .clone()
            .reject_application(reject_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    let app = w.draft(&server, 100_000).await;
    let withdraw_req = v1::WithdrawApplicationRequest {
        name: app.name.clone(),
        reason: "Submitted elsewhere".into(),
        etag: String::new(),
        request_id: "withdraw".into(),
    };
    let withdrawn = first("withdraw", async {
        apps.clone()
            .withdraw_application(withdraw_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    replayed(&server, "withdraw", &app.name, &withdrawn, async {
        apps.clone()
            .withdraw_application(withdraw_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;

    // The same id with another request is refused, naming request_id.
    let other = v1::WithdrawApplicationRequest {
        name: w.draft(&server, 100_000).await.name,
        ..withdraw_req
    };
    let status = expect_code(apps.clone().withdraw_application(other).await, Code::InvalidArgument);
    assert_eq!(reason(&status), "REQUEST_ID_REUSED");
    assert_eq!(bad_fields(&status), ["request_id"]);
}

async fn review_retries_answer_the_first_response(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    configure(&server, &w.programme.name, settings(2))
        .await
        .expect("configure");
    let cuhk = server
        .register(
            "The Chinese University of Hong Kong",
            "香港中文大學",
            v1::Region::HongKong,
        )
        .await;
    let (r1, r1_name) = reviewer(&server, &cuhk, &w.programme.name).await;
    let (r2, r2_name) = reviewer(&server, &cuhk, &w.programme.name).await;
    let app = w.submitted(&server, 400_000).await;
    let officer = server.reviews(&w.officer_key);

    // AssignReviewer, then the reviewer submits: the retry answers the
    // assignment as it was (ASSIGNED, revision 0).
    let assign_req = v1::AssignReviewerRequest {
        parent: app.name.clone(),
        reviewer: r1_name.clone(),
        request_id: "assign".into(),
    };
    let assigned = first("assign", async {
        officer
            .clone()
            .assign_reviewer(assign_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    let review_name = v1::AssignReviewerResponse::decode(assigned.as_slice())
        .expect("decode")
        .review
        .expect("review")
        .name;
    let reviewer1 = server.reviews(&r1);
    let submit_req = |scores_of: i32, id: &str| v1::SubmitReviewRequest {
        review: Some(review(&review_name, scores(scores_of, scores_of, scores_of))),
        request_id: id.into(),
    };
    let submitted = first("submit review", async {
        reviewer1
            .clone()
            .submit_review(submit_req(2, "review"))
            .await
            .map(|r| r.into_inner())
    })
    .await;
    let first_review = v1::SubmitReviewResponse::decode(submitted.as_slice())
        .expect("decode")
        .review
        .expect("review");
    assert_eq!(
        (first_review.state, first_review.revision),
        (v1::review::State::Completed as i32, 1)
    );
    replayed(&server, "assign", &app.name, &assigned, async {
        officer
            .clone()
            .assign_reviewer(assign_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;

    // SubmitReview, then the reviewer revises: the retry answers revision 1
    // with its scores of 2, not the revision.
    let revised = reviewer1
        .clone()
        .submit_review(submit_req(3, ""))
        .await
        .expect("revise")
        .into_inner()
        .review
        .expect("review");
    assert_eq!(revised.revision, 2);
    replayed(&server, "submit review", &app.name, &submitted, async {
        reviewer1
            .clone()
            .submit_review(submit_req(2, "review"))
            .await
            .map(|r| r.into_inner())
    })
    .await;

    // DeclareConflict, retried after another reviewer was assigned.
    let second = assign(&server, &w.officer_key, &app.name, &r2_name)
        .await
        .expect("assign second");
    let declare_req = v1::DeclareConflictRequest {
        name: second.name.clone(),
        reason: "I co-authored with the PI last year".into(),
        request_id: "declare".into(),
    };
    let reviewer2 = server.reviews(&r2);
    let declared = first("declare", async {
        reviewer2
            .clone()
            .declare_conflict(declare_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
    let (_, r3_name) = reviewer(&server, &cuhk, &w.programme.name).await;
    assign(&server, &w.officer_key, &app.name, &r3_name)
        .await
        .expect("assign third");
    replayed(&server, "declare", &app.name, &declared, async {
        reviewer2
            .clone()
            .declare_conflict(declare_req.clone())
            .await
            .map(|r| r.into_inner())
    })
    .await;
}

async fn administrative_retries_answer_the_first_response(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin_key.clone();
    // Administrative calls write no events; a retry must still answer the
    // first response and create nothing more.
    let institution_req = v1::CreateInstitutionRequest {
        institution: Some(institution(
            "City University of Hong Kong",
            "香港城市大學",
            v1::Region::HongKong,
            "",
        )),
        request_id: "institution".into(),
    };
    let made = server
        .institutions(&admin)
        .create_institution(institution_req.clone())
        .await
        .expect("create")
        .into_inner();
    let again = server
        .institutions(&admin)
        .create_institution(institution_req)
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(again.encode_to_vec(), made.encode_to_vec());
    let listed = server
        .institutions(&admin)
        .list_institutions(v1::ListInstitutionsRequest::default())
        .await
        .expect("list")
        .into_inner()
        .institutions;
    assert_eq!(listed.len(), 1, "the retry created nothing");

    let programme_req = v1::CreateProgrammeRequest {
        programme: Some(programme(1_000_000, 100_000)),
        request_id: "programme".into(),
    };
    let made = server
        .programmes(&admin)
        .create_programme(programme_req.clone())
        .await
        .expect("create")
        .into_inner();
    let p = made.programme.clone().expect("programme");
    // UpdateProgramme, then updated again: the retry answers the first.
    let update_req = v1::UpdateProgrammeRequest {
        programme: Some(v1::Programme {
            name: p.name.clone(),
            etag: p.etag.clone(),
            budget: Some(money("CNY", 2_000_000, 0)),
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["budget".into()],
        }),
        request_id: "budget".into(),
    };
    let updated = server
        .programmes(&admin)
        .update_programme(update_req.clone())
        .await
        .expect("update")
        .into_inner();
    let after = updated.programme.clone().expect("programme");
    server
        .programmes(&admin)
        .update_programme(v1::UpdateProgrammeRequest {
            programme: Some(v1::Programme {
                name: p.name.clone(),
                etag: after.etag.clone(),
                budget: Some(money("CNY", 3_000_000, 0)),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["budget".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect("update again");
    let again = server
        .programmes(&admin)
        .update_programme(update_req)
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(again.encode_to_vec(), updated.encode_to_vec());
    let again = server
        .programmes(&admin)
        .create_programme(programme_req)
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(again.encode_to_vec(), made.encode_to_vec());

    // RevokeApiKey, retried: the first revocation time stays.
    let issued = server
        .access(&admin)
        .create_api_key(v1::CreateApiKeyRequest {
            api_key: Some(v1::ApiKey {
                role: Role::Viewer.into(),
                all_programmes: true,
                ..Default::default()
            }),
            request_id: "key".into(),
        })
        .await
        .expect("issue")
        .into_inner();
    let key = issued.api_key.expect("key");
    let revoke_req = v1::RevokeApiKeyRequest {
        name: key.name.clone(),
        request_id: "revoke".into(),
    };
    let revoked = server
        .access(&admin)
        .revoke_api_key(revoke_req.clone())
        .await
        .expect("revoke")
        .into_inner();
    let again = server
        .access(&admin)
        .revoke_api_key(revoke_req)
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(again.encode_to_vec(), revoked.encode_to_vec());
}

async fn one_request_id_belongs_to_one_key(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    // Two officers of the programme use the same request id for two
    // different applications: each is its own request, and each applies.
    let second_officer = server.key(Role::Officer, "", &[&w.programme.name]).await;
    let (a, b) = (w.submitted(&server, 100_000).await, w.submitted(&server, 100_000).await);
    for (key, app) in [(&w.officer_key, &a), (&second_officer, &b)] {
        let started = server
            .reviews(key)
            .start_review(v1::StartReviewRequest {
                name: app.name.clone(),
                request_id: "shared-id".into(),
            })
            .await
            .expect("start review")
            .into_inner()
            .application
            .expect("application");
        assert_eq!(started.name, app.name, "each key's request is its own");
        assert_eq!(started.state, State::UnderReview as i32);
    }
    for app in [&a, &b] {
        let states: Vec<i32> = events(&server, &w.officer_key, &app.name)
            .await
            .iter()
            .map(|e| e.new_state)
            .collect();
        assert_eq!(
            states,
            [State::Draft as i32, State::Submitted as i32, State::UnderReview as i32]
        );
    }
}
