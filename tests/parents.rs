//! Lists and streams under a parent that does not exist, or that the key
//! may not see, are refused with one and the same answer (PERMISSION_DENIED
//! `OUT_OF_SCOPE`), so a typo is never an empty page or a quiet stream and
//! nobody learns what exists outside their scope. Admins, who see
//! everything, get NOT_FOUND for a parent that does not exist.

mod common;

use common::*;
use gba_grants::proto::v1;
use tonic::{Code, Status};

on_every_backend!(missing_and_foreign_parents_answer_alike,);

const MISSING_PROGRAMME: &str = "programmes/0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4";
const MISSING_INSTITUTION: &str = "institutions/0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4";

fn code<T>(result: &Result<T, Status>) -> Code {
    match result {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

/// What a non-admin hears about a parent: the code, the reason and the
/// message with the parent's name taken out.
fn answer<T>(result: Result<T, Status>, parent: &str) -> (Code, String, String) {
    match result {
        Ok(_) => (Code::Ok, String::new(), String::new()),
        Err(status) => (
            status.code(),
            reason(&status),
            status.message().replace(parent, "PARENT"),
        ),
    }
}

async fn list_apps(server: &TestServer, key: &str, parent: &str) -> Result<Vec<v1::Application>, Status> {
    server
        .apps(key)
        .list_applications(v1::ListApplicationsRequest {
            parent: parent.into(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().applications)
}

async fn list_events(server: &TestServer, key: &str, parent: &str) -> Result<Vec<v1::ApplicationEvent>, Status> {
    server
        .apps(key)
        .list_application_events(v1::ListApplicationEventsRequest {
            parent: parent.into(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().events)
}

async fn watch_programme(server: &TestServer, key: &str, programme: &str) -> Result<(), Status> {
    server
        .watch(key)
        .watch_application_events(v1::WatchApplicationEventsRequest {
            programme: programme.into(),
            ..Default::default()
        })
        .await
        .map(drop)
}

async fn watch_institution(server: &TestServer, key: &str, institution: &str) -> Result<(), Status> {
    server
        .watch(key)
        .watch_application_events(v1::WatchApplicationEventsRequest {
            applicant_institution: institution.into(),
            ..Default::default()
        })
        .await
        .map(drop)
}

async fn summaries(server: &TestServer, key: &str, programme: &str) -> Result<(), Status> {
    server
        .watch(key)
        .watch_programme_summary(v1::WatchProgrammeSummaryRequest {
            programmes: vec![programme.into()],
        })
        .await
        .map(drop)
}

async fn missing_and_foreign_parents_answer_alike(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let admin = server.admin_key.clone();
    w.submitted(&server, 500_000).await;
    let mine = &w.programme.name;
    let foreign = &w.other_programme.name;

    // The parents that exist and are in scope answer OK, with content.
    assert_eq!(list_apps(&server, &w.officer_key, mine).await.unwrap().len(), 1);
    assert!(!list_events(&server, &w.officer_key, mine).await.unwrap().is_empty());
    assert!(!list_events(&server, &w.hku_key, &w.hku).await.unwrap().is_empty());
    assert_eq!(code(&watch_programme(&server, &w.viewer_key, mine).await), Code::Ok);
    assert_eq!(code(&watch_institution(&server, &w.hku_key, &w.hku).await), Code::Ok);
    assert_eq!(code(&summaries(&server, &w.viewer_key, mine).await), Code::Ok);
    // An institution's applications, by an officer: within the officer's
    // programmes (an existing institution with nothing in scope is an
    // empty page, not a refusal).
    assert_eq!(code(&list_events(&server, &w.officer_key, &w.um).await), Code::Ok);

    // A programme out of scope and one that does not exist: the same
    // answer, word for word but for the name.
    for key in [&w.officer_key, &w.viewer_key] {
        let out_of_scope = answer(list_apps(&server, key, foreign).await, foreign);
        let missing = answer(list_apps(&server, key, MISSING_PROGRAMME).await, MISSING_PROGRAMME);
        assert_eq!(out_of_scope.0, Code::PermissionDenied, "{out_of_scope:?}");
        assert_eq!(out_of_scope.1, "OUT_OF_SCOPE");
        assert_eq!(out_of_scope, missing, "ListApplications");

        let out_of_scope = answer(list_events(&server, key, foreign).await, foreign);
        let missing = answer(list_events(&server, key, MISSING_PROGRAMME).await, MISSING_PROGRAMME);
        assert_eq!(out_of_scope.0, Code::PermissionDenied, "{out_of_scope:?}");
        assert_eq!(out_of_scope, missing, "ListApplicationEvents");

        let out_of_scope = answer(watch_programme(&server, key, foreign).await, foreign);
        let missing = answer(
            watch_programme(&server, key, MISSING_PROGRAMME).await,
            MISSING_PROGRAMME,
        );
        assert_eq!(out_of_scope.0, Code::PermissionDenied, "{out_of_scope:?}");
        assert_eq!(out_of_scope, missing, "WatchApplicationEvents");

        let out_of_scope = answer(summaries(&server, key, foreign).await, foreign);
        let missing = answer(summaries(&server, key, MISSING_PROGRAMME).await, MISSING_PROGRAMME);
        assert_eq!(out_of_scope.0, Code::PermissionDenied, "{out_of_scope:?}");
        assert_eq!(out_of_scope, missing, "WatchProgrammeSummary");
    }

    // An applicant names another institution, or one that does not exist.
    let other = answer(list_events(&server, &w.hku_key, &w.um).await, &w.um);
    let missing = answer(
        list_events(&server, &w.hku_key, MISSING_INSTITUTION).await,
        MISSING_INSTITUTION,
    );
    assert_eq!(other.0, Code::PermissionDenied, "{other:?}");
    assert_eq!(other, missing, "ListApplicationEvents under an institution");
    let other = answer(watch_institution(&server, &w.hku_key, &w.um).await, &w.um);
    let missing = answer(
        watch_institution(&server, &w.hku_key, MISSING_INSTITUTION).await,
        MISSING_INSTITUTION,
    );
    assert_eq!(other.0, Code::PermissionDenied, "{other:?}");
    assert_eq!(other, missing, "WatchApplicationEvents of an institution");
    // An applicant lists a programme that does not exist: refused too.
    assert_eq!(
        code(&list_apps(&server, &w.hku_key, MISSING_PROGRAMME).await),
        Code::PermissionDenied
    );
    // An officer names an institution that does not exist.
    assert_eq!(
        code(&list_events(&server, &w.officer_key, MISSING_INSTITUTION).await),
        Code::PermissionDenied
    );

    // Admins see everything, so "does not exist" is theirs to hear.
    for (what, result) in [
        (
            "ListApplications",
            code(&list_apps(&server, &admin, MISSING_PROGRAMME).await),
        ),
        (
            "ListApplicationEvents",
            code(&list_events(&server, &admin, MISSING_PROGRAMME).await),
        ),
        (
            "ListApplicationEvents (institution)",
            code(&list_events(&server, &admin, MISSING_INSTITUTION).await),
        ),
        (
            "WatchApplicationEvents",
            code(&watch_programme(&server, &admin, MISSING_PROGRAMME).await),
        ),
        (
            "WatchApplicationEvents (institution)",
            code(&watch_institution(&server, &admin, MISSING_INSTITUTION).await),
        ),
        (
            "WatchProgrammeSummary",
            code(&summaries(&server, &admin, MISSING_PROGRAMME).await),
        ),
    ] {
        assert_eq!(result, Code::NotFound, "{what} as admin");
    }
    // And an admin's foreign programme is just another programme.
    assert_eq!(code(&list_apps(&server, &admin, foreign).await), Code::Ok);
}
