//! An application named under a programme it does not belong to is not
//! there: reading it, or changing it, is refused and changes nothing,
//! whoever asks, including an officer whose scope is that other programme
//! (so a scope cannot be widened by renaming what it asks for).

mod common;

use common::world::*;
use common::*;
use tonic::Code;

on_every_backend!(a_misplaced_name_finds_nothing_and_changes_nothing);

async fn a_misplaced_name_finds_nothing_and_changes_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let submitted = w.submitted(&server, 300_000).await;
    let id = submitted.name.rsplit('/').next().expect("an id").to_owned();
    let misplaced = format!("{}/applications/{id}", w.other_programme.name);
    let history = events(&server, &server.admin_key, &submitted.name).await.len();

    // Not there: NOT_FOUND for the administrator; for anyone else the
    // answer to what they may not see, whether or not it exists.
    for (key, expected) in [
        (&server.admin_key, Code::NotFound),
        (&w.other_officer_key, Code::PermissionDenied),
    ] {
        let read = get(&server, key, &misplaced).await.expect_err("read");
        assert_eq!(read.code(), expected, "{read:?}");
        let review = start_review(&server, key, &misplaced).await.expect_err("start review");
        assert_eq!(review.code(), expected, "{review:?}");
        let rejected = reject(&server, key, &misplaced, "Out of scope")
            .await
            .expect_err("reject");
        assert_eq!(rejected.code(), expected, "{rejected:?}");
    }
    // The applicant names its own application under the other programme.
    let withdrawn = withdraw(&server, &w.hku_key, &misplaced).await.expect_err("withdraw");
    assert!(
        matches!(withdrawn.code(), Code::NotFound | Code::PermissionDenied),
        "{withdrawn:?}"
    );

    let now = get(&server, &w.officer_key, &submitted.name)
        .await
        .expect("read by its name");
    assert_eq!(now, submitted, "unchanged");
    let after = events(&server, &server.admin_key, &submitted.name).await.len();
    assert_eq!(after, history, "no event");
}
