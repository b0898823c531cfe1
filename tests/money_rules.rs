//! The money rules, each refusal by its code, reason and field, on every
//! backend: a budget never below what is committed; an award in the
//! programme's currency, positive, within the request and within the
//! programme's maximum as it stands at the decision; payments that never
//! add up past the award however many run at once; a close racing a
//! payment leaves totals that agree; and approvals on two replicas of one
//! database never exceed the budget.

mod common;

use std::sync::Arc;

use common::world::*;
use common::*;
use futures_util::future::join_all;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use prost_types::FieldMask;
use tonic::Code;

on_every_backend!(
    a_budget_never_goes_below_what_is_committed,
    awards_are_checked_by_field_and_against_the_current_maximum,
    concurrent_payments_never_add_up_past_the_award,
    a_close_racing_a_payment_leaves_totals_that_agree,
    approvals_on_two_replicas_never_exceed_the_budget,
);

async fn programme_now(server: &TestServer, name: &str) -> v1::Programme {
    server
        .programmes(&server.admin_key)
        .get_programme(v1::GetProgrammeRequest { name: name.into() })
        .await
        .expect("get programme")
        .into_inner()
        .programme
        .expect("programme")
}

async fn update_programme(
    server: &TestServer,
    p: &v1::Programme,
    edit: v1::Programme,
    path: &str,
) -> Result<v1::Programme, tonic::Status> {
    server
        .programmes(&server.admin_key)
        .update_programme(v1::UpdateProgrammeRequest {
            programme: Some(v1::Programme {
                name: p.name.clone(),
                etag: p.etag.clone(),
                ..edit
            }),
            update_mask: Some(FieldMask {
                paths: vec![path.into()],
            }),
            request_id: String::new(),
        })
        .await
        .map(|r| r.into_inner().programme.unwrap_or_default())
}

async fn a_budget_never_goes_below_what_is_committed(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    w.approved(&server, 400_000, 300_000).await;
    // The maximum award comes down first (a budget below it is refused
    // for that reason).
    let p = programme_now(&server, &w.programme.name).await;
    update_programme(
        &server,
        &p,
        v1::Programme {
            max_award: Some(money("CNY", 100_000, 0)),
            ..Default::default()
        },
        "max_award",
    )
    .await
    .expect("lower the maximum award");
    let before = programme_now(&server, &w.programme.name).await;
    assert_eq!(before.committed, Some(money("CNY", 300_000, 0)));
    let status = expect_code(
        server
            .programmes(&server.admin_key)
            .update_programme(v1::UpdateProgrammeRequest {
                programme: Some(v1::Programme {
                    name: before.name.clone(),
                    etag: before.etag.clone(),
                    budget: Some(money("CNY", 299_999, 990_000_000)),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["budget".into()],
                }),
                request_id: String::new(),
            })
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "BUDGET_BELOW_COMMITTED", "{status:?}");
    let after = programme_now(&server, &w.programme.name).await;
    assert_eq!(after.etag, before.etag, "nothing changed");
    assert_eq!(after.budget, before.budget);
    // Exactly what is committed is allowed.
    let exact = update_programme(
        &server,
        &after,
        v1::Programme {
            budget: Some(money("CNY", 300_000, 0)),
            ..Default::default()
        },
        "budget",
    )
    .await
    .expect("a budget equal to the committed total");
    assert_eq!(exact.budget, Some(money("CNY", 300_000, 0)));
}

async fn awards_are_checked_by_field_and_against_the_current_maximum(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let app = w.under_review(&server, 100_000).await;
    let approve_with = |amount: v1::Money| {
        let (server, key, name) = (&server, w.officer_key.clone(), app.name.clone());
        async move {
            server
                .reviews(&key)
                .approve_application(v1::ApproveApplicationRequest {
                    awarded_resource: None,
                    name,
                    awarded_amount: Some(amount),
                    reason: "Fund".into(),
                    request_id: String::new(),
                    override_incomplete_reviews: false,
                    schedule: None,
                })
                .await
        }
    };
    for (amount, field) in [
        (money("HKD", 50_000, 0), "awarded_amount.currency_code"),
        (money("CNY", 0, 0), "awarded_amount"),
        (money("CNY", -5, 0), "awarded_amount"),
        (money("CNY", 100_000, 10_000_000), "awarded_amount"),
    ] {
        let status = expect_code(approve_with(amount.clone()).await, Code::InvalidArgument);
        assert_eq!(bad_fields(&status), [field], "{amount:?}: {status:?}");
    }
    let still = get(&server, &w.officer_key, &app.name).await.expect("read");
    assert_eq!(
        (still.state, still.etag.clone()),
        (State::UnderReview as i32, app.etag.clone())
    );
    assert_eq!(committed(&server, &w.programme.name).await, money("CNY", 0, 0));

    // The officer lowers the maximum award to 2,000 after submission: an
    // award of 5,000 is refused, naming the limit; 2,000 is allowed.
    let p = programme_now(&server, &w.programme.name).await;
    update_programme(
        &server,
        &p,
        v1::Programme {
            max_award: Some(money("CNY", 2_000, 0)),
            ..Default::default()
        },
        "max_award",
    )
    .await
    .expect("lower the maximum award");
    let status = expect_code(approve_with(money("CNY", 5_000, 0)).await, Code::FailedPrecondition);
    assert_eq!(reason(&status), "AWARD_ABOVE_MAX_AWARD", "{status:?}");
    assert!(
        status.message().contains("2,000") || status.message().contains("2000"),
        "{}",
        status.message()
    );
    let still = get(&server, &w.officer_key, &app.name).await.expect("read");
    assert_eq!(still.state, State::UnderReview as i32);
    assert_eq!(committed(&server, &w.programme.name).await, money("CNY", 0, 0));
    let approved = approve_with(money("CNY", 2_000, 0))
        .await
        .expect("within the maximum")
        .into_inner()
        .application
        .expect("application");
    assert_eq!(approved.awarded_amount, Some(money("CNY", 2_000, 0)));
    assert_eq!(committed(&server, &w.programme.name).await, money("CNY", 2_000, 0));
}

async fn concurrent_payments_never_add_up_past_the_award(backend: Backend) {
    let server = Arc::new(TestServer::start(backend).await);
    let w = Arc::new(server.world().await);
    let app = w.approved(&server, 200_000, 100_000).await;
    // Ten payments of 15,000 (distinct references) at once: six fit.
    let payments = (0..10).map(|_| {
        let (server, w, name) = (server.clone(), w.clone(), app.name.clone());
        tokio::spawn(
            async move { disburse(&server, &w.officer_key, &name, payment(15_000, 16_875, 0, "1.125"), "").await },
        )
    });
    let results: Vec<_> = join_all(payments).await.into_iter().map(|r| r.expect("task")).collect();
    let paid = results.iter().filter(|r| r.is_ok()).count();
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
        assert_eq!(reason(refused), "DISBURSEMENT_EXCEEDS_AWARD", "{refused:?}");
    }
    assert_eq!(paid, 6, "exactly the payments that fit");
    let now = get(&server, &w.officer_key, &app.name).await.expect("read");
    assert_eq!(now.disbursed_amount, Some(money("CNY", 90_000, 0)));
    let listed = server
        .awards(&w.officer_key)
        .list_disbursements(v1::ListDisbursementsRequest {
            parent: app.name.clone(),
            page_size: 100,
            page_token: String::new(),
        })
        .await
        .expect("list")
        .into_inner()
        .disbursements;
    assert_eq!(listed.len(), 6);
    let events = events(&server, &w.officer_key, &app.name).await;
    assert_eq!(
        events.iter().filter(|e| !e.disbursement.is_empty()).count(),
        6,
        "one event per payment"
    );
}

async fn a_close_racing_a_payment_leaves_totals_that_agree(backend: Backend) {
    let server = Arc::new(TestServer::start(backend).await);
    let w = Arc::new(server.world().await);
    let mut outcomes = (0, 0);
    for _ in 0..8 {
        let app = w.approved(&server, 200_000, 100_000).await;
        disburse(
            &server,
            &w.officer_key,
            &app.name,
            payment(10_000, 11_250, 0, "1.125"),
            "",
        )
        .await
        .expect("first payment");
        let before = committed(&server, &w.programme.name).await;
        let (s1, w1, n1) = (server.clone(), w.clone(), app.name.clone());
        let (s2, w2, n2) = (server.clone(), w.clone(), app.name.clone());
        let (closed, paid) = tokio::join!(
            tokio::spawn(async move { close(&s1, &w1.officer_key, &n1).await }),
            tokio::spawn(
                async move { disburse(&s2, &w2.officer_key, &n2, payment(20_000, 22_500, 0, "1.125"), "").await }
            ),
        );
        let closed = closed.expect("task").expect("close succeeds either way");
        let final_state = get(&server, &w.officer_key, &app.name).await.expect("read");
        assert_eq!(final_state.state, State::Closed as i32);
        assert_eq!(final_state.etag, closed.etag, "the close was the last change");
        let after = committed(&server, &w.programme.name).await;
        match paid.expect("task") {
            Ok(_) => {
                // Paid first: 30,000 paid, 70,000 released.
                outcomes.0 += 1;
                assert_eq!(final_state.disbursed_amount, Some(money("CNY", 30_000, 0)));
                assert_eq!(after.units, before.units - 70_000);
            }
            Err(status) => {
                // Closed first: the payment finds the grant closed.
                outcomes.1 += 1;
                assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                assert_eq!(reason(&status), "INVALID_STATE", "{status:?}");
                assert_eq!(final_state.disbursed_amount, Some(money("CNY", 10_000, 0)));
                assert_eq!(after.units, before.units - 90_000);
            }
        }
        let history = events(&server, &w.officer_key, &app.name).await;
        assert_eq!(
            history.last().map(|e| e.new_state),
            Some(State::Closed as i32),
            "closing is the last event"
        );
    }
    eprintln!(
        "close vs payment: paid first {}, closed first {}",
        outcomes.0, outcomes.1
    );
}

async fn approvals_on_two_replicas_never_exceed_the_budget(backend: Backend) {
    let db = TestDb::new(backend).await;
    let shared = db.share();
    let a = Arc::new(TestServer::start_on(db).await);
    let w = Arc::new(a.world().await);
    let b = Arc::new(TestServer::start_on(shared).await);
    // A budget of 1,000,000 (set lower) and 24 applications of 100,000.
    let p = programme_now(&a, &w.programme.name).await;
    update_programme(
        &a,
        &p,
        v1::Programme {
            budget: Some(money("CNY", 1_000_000, 0)),
            ..Default::default()
        },
        "budget",
    )
    .await
    .expect("budget");
    let apps = join_all((0..24).map(|_| w.under_review(&a, 100_000))).await;
    let approvals = apps.iter().enumerate().map(|(i, app)| {
        let server = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (w, name) = (w.clone(), app.name.clone());
        tokio::spawn(async move { approve(&server, &w.officer_key, &name, 100_000, "").await })
    });
    let results: Vec<_> = join_all(approvals)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();
    let approved = results.iter().filter(|r| r.is_ok()).count();
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
        assert_eq!(reason(refused), "BUDGET_EXCEEDED", "{refused:?}");
    }
    assert_eq!(approved, 10, "exactly the awards that fit");
    assert_eq!(committed(&a, &w.programme.name).await, money("CNY", 1_000_000, 0));
    let seen_by_b = b
        .programmes(&a.admin_key)
        .get_programme(v1::GetProgrammeRequest {
            name: w.programme.name.clone(),
        })
        .await
        .expect("get programme on B")
        .into_inner()
        .programme
        .expect("programme");
    assert_eq!(seen_by_b.committed, Some(money("CNY", 1_000_000, 0)));
    let mut numbers: Vec<String> = Vec::new();
    for app in &apps {
        let now = get(&a, &w.officer_key, &app.name).await.expect("read");
        if now.state == State::Approved as i32 {
            numbers.push(now.award_number);
        }
    }
    assert_eq!(numbers.len(), 10);
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 10, "award numbers are unique across replicas");
}
