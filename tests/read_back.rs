//! What a change answers is what the application is: every later read,
//! and the snapshot in its event, show the same application, field for
//! field, on every backend and whichever path the change took (a change
//! may be written with only the columns it changes).

mod common;

use common::world::*;
use common::*;
use gba_grants::proto::v1;

on_every_backend!(every_change_reads_back_as_it_answered);

/// `answered` is what GetApplication returns now, and what the newest
/// event's snapshot holds.
async fn reads_back(server: &TestServer, key: &str, answered: &v1::Application, step: &str) {
    let read = get(server, key, &answered.name).await.expect("get");
    assert_eq!(&read, answered, "{step}: GetApplication");
    let history = events(server, key, &answered.name).await;
    let snapshot = history.last().and_then(|e| e.snapshot.clone());
    assert_eq!(snapshot.as_ref(), Some(answered), "{step}: the event's snapshot");
}

async fn every_change_reads_back_as_it_answered(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let (hku, officer) = (&w.hku_key, &w.officer_key);

    // Draft → submitted → under review → changes requested → submitted →
    // under review → approved → active (paid) → closed.
    let draft = w.draft(&server, 600_000).await;
    reads_back(&server, hku, &draft, "create").await;
    let submitted = submit(&server, hku, &draft.name).await.expect("submit");
    reads_back(&server, hku, &submitted, "submit").await;
    let reviewing = start_review(&server, officer, &draft.name).await.expect("review");
    reads_back(&server, officer, &reviewing, "start review").await;
    let asked = request_changes(&server, officer, &draft.name, "Add a data plan")
        .await
        .expect("request changes");
    reads_back(&server, officer, &asked, "request changes").await;
    let again = submit(&server, hku, &draft.name).await.expect("submit again");
    reads_back(&server, hku, &again, "submit again").await;
    start_review(&server, officer, &draft.name).await.expect("review again");
    let approved = approve(&server, officer, &draft.name, 500_000, "")
        .await
        .expect("approve");
    assert!(!approved.award_number.is_empty(), "an award number");
    reads_back(&server, officer, &approved, "approve").await;
    let paid = disburse(&server, officer, &draft.name, payment(100_000, 108_000, 0, "1.08"), "")
        .await
        .expect("disburse")
        .application
        .expect("application");
    reads_back(&server, officer, &paid, "disburse").await;
    let closed = close(&server, officer, &draft.name).await.expect("close");
    reads_back(&server, officer, &closed, "close").await;

    // Rejected and withdrawn ones too.
    let rejected = w.under_review(&server, 1_000).await;
    let rejected = reject(&server, officer, &rejected.name, "Out of scope")
        .await
        .expect("reject");
    reads_back(&server, officer, &rejected, "reject").await;
    let withdrawn = w.submitted(&server, 1_000).await;
    let withdrawn = withdraw(&server, hku, &withdrawn.name).await.expect("withdraw");
    reads_back(&server, hku, &withdrawn, "withdraw").await;
    server.stop().await;
}
