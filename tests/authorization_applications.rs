//! Table-driven authorization of the application, review and award
//! methods: every method × every role × own / foreign / nonexistent
//! application, asserting the code, that a refusal changes nothing, and
//! that lists never show what the caller may not see.

mod common;

use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use prost_types::FieldMask;
use tonic::{Code, Status};

on_every_backend!(every_application_method_times_every_role);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    Officer,
    AffiliatedOfficer,
    Applicant,
    Viewer,
    /// A reviewer of the main programme, assigned to nothing.
    Reviewer,
    Anonymous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Own,
    Foreign,
    Missing,
}

const METHODS: [(&str, State); 12] = [
    ("GetApplication", State::Draft),
    ("ListApplicationEvents", State::Draft),
    ("ListDisbursements", State::Approved),
    ("UpdateApplication", State::Draft),
    ("SubmitApplication", State::Draft),
    ("WithdrawApplication", State::Draft),
    ("StartReview", State::Submitted),
    ("RequestChanges", State::Submitted),
    ("RejectApplication", State::Submitted),
    ("ApproveApplication", State::UnderReview),
    ("RecordDisbursement", State::Approved),
    ("CloseGrant", State::Active),
];

fn key(w: &World, server: &TestServer, reviewer: &str, who: Who) -> String {
    match who {
        Who::Reviewer => reviewer.to_owned(),
        Who::Admin => server.admin_key.clone(),
        Who::Officer => w.officer_key.clone(),
        Who::AffiliatedOfficer => w.hku_officer_key.clone(),
        Who::Applicant => w.hku_key.clone(),
        Who::Viewer => w.viewer_key.clone(),
        Who::Anonymous => String::new(),
    }
}

/// A fresh application in `state`: HKU's in the main programme (own for
/// everyone but the affiliated officer's decisions), or a foreign one —
/// Macau's, in the other programme, outside every non-admin scope.
async fn prepare(server: &TestServer, w: &World, target: Target, state: State) -> String {
    if target == Target::Missing {
        return format!("{}/applications/does-not-exist", w.programme.name);
    }
    let (key, programme, applicant, partners, officer) = match target {
        Target::Own => (
            &w.hku_key,
            &w.programme.name,
            &w.hku,
            vec![w.sysu.as_str()],
            &w.officer_key,
        ),
        _ => (&w.um_key, &w.other_programme.name, &w.um, vec![], &w.other_officer_key),
    };
    let created = server
        .apps(key)
        .create_application(v1::CreateApplicationRequest {
            parent: programme.clone(),
            application: Some(application(applicant, &partners, 100_000)),
            request_id: String::new(),
        })
        .await
        .expect("create")
        .into_inner()
        .application
        .expect("application");
    let name = created.name;
    let steps: &[State] = match state {
        State::Draft => &[],
        State::Submitted => &[State::Submitted],
        State::UnderReview => &[State::Submitted, State::UnderReview],
        State::Approved => &[State::Submitted, State::UnderReview, State::Approved],
        _ => &[State::Submitted, State::UnderReview, State::Approved, State::Active],
    };
    for step in steps {
        match step {
            State::Submitted => drop(submit(server, key, &name).await.expect("submit")),
            State::UnderReview => drop(start_review(server, officer, &name).await.expect("review")),
            State::Approved => drop(approve(server, officer, &name, 50_000, "").await.expect("approve")),
            _ => drop(
                disburse(server, officer, &name, payment(1_000, 1_084, 200_000_000, "1.0842"), "")
                    .await
                    .expect("pay"),
            ),
        }
    }
    name
}

async fn call(server: &TestServer, key: &str, method: &str, name: &str) -> Result<(), Status> {
    let n = name.to_owned();
    match method {
        "GetApplication" => get(server, key, name).await.map(drop),
        "ListApplicationEvents" => server
            .apps(key)
            .list_application_events(v1::ListApplicationEventsRequest {
                parent: n,
                ..Default::default()
            })
            .await
            .map(drop),
        "ListDisbursements" => server
            .awards(key)
            .list_disbursements(v1::ListDisbursementsRequest {
                parent: n,
                ..Default::default()
            })
            .await
            .map(drop),
        "UpdateApplication" => {
            let current = get(server, &server.admin_key, name).await.unwrap_or_default();
            let etag = if current.etag.is_empty() {
                "1".to_owned()
            } else {
                current.etag
            };
            server
                .apps(key)
                .update_application(v1::UpdateApplicationRequest {
                    application: Some(v1::Application {
                        name: n,
                        title: "Changed".into(),
                        etag,
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["title".into()],
                    }),
                    request_id: String::new(),
                })
                .await
                .map(drop)
        }
        "SubmitApplication" => submit(server, key, name).await.map(drop),
        "WithdrawApplication" => withdraw(server, key, name).await.map(drop),
        "StartReview" => start_review(server, key, name).await.map(drop),
        "RequestChanges" => request_changes(server, key, name, "more").await.map(drop),
        "RejectApplication" => reject(server, key, name, "no").await.map(drop),
        "ApproveApplication" => approve(server, key, name, 10_000, "").await.map(drop),
        "RecordDisbursement" => disburse(server, key, name, payment(1_000, 1_084, 200_000_000, "1.0842"), "")
            .await
            .map(drop),
        "CloseGrant" => close(server, key, name).await.map(drop),
        other => panic!("no call for {other}"),
    }
}

fn expected(method: &str, who: Who, target: Target) -> Code {
    let read = matches!(method, "GetApplication" | "ListApplicationEvents" | "ListDisbursements");
    let applicant_action = matches!(
        method,
        "UpdateApplication" | "SubmitApplication" | "WithdrawApplication"
    );
    let decision = matches!(
        method,
        "StartReview" | "RequestChanges" | "RejectApplication" | "ApproveApplication"
    );
    match (who, target) {
        (Who::Anonymous, _) => Code::Unauthenticated,
        (Who::Admin, Target::Missing) => Code::NotFound,
        (Who::Admin, _) => Code::Ok,
        (_, Target::Missing | Target::Foreign) => Code::PermissionDenied,
        (Who::Reviewer, _) => Code::PermissionDenied,
        (_, Target::Own) if read => Code::Ok,
        (Who::Applicant, Target::Own) if applicant_action => Code::Ok,
        (Who::Officer, Target::Own) if !applicant_action => Code::Ok,
        (Who::AffiliatedOfficer, Target::Own) if !applicant_action && !decision => Code::Ok,
        // Reviewers read only what they are assigned to, and act on nothing.
        _ => Code::PermissionDenied,
    }
}

async fn every_application_method_times_every_role(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let reviewer = server
        .key(v1::api_key::Role::Reviewer, &w.um, &[&w.programme.name])
        .await;
    let everyone = [
        Who::Admin,
        Who::Officer,
        Who::AffiliatedOfficer,
        Who::Applicant,
        Who::Viewer,
        Who::Reviewer,
        Who::Anonymous,
    ];
    for (method, state) in METHODS {
        for who in everyone {
            for target in [Target::Own, Target::Foreign, Target::Missing] {
                let name = prepare(&server, &w, target, state).await;
                let before = get(&server, &server.admin_key, &name).await.ok();
                let result = call(&server, &key(&w, &server, &reviewer, who), method, &name).await;
                let code = result.as_ref().err().map_or(Code::Ok, Status::code);
                assert_eq!(
                    code,
                    expected(method, who, target),
                    "{method} as {who:?} on {target:?}: {result:?}"
                );
                if code != Code::Ok {
                    assert_eq!(
                        get(&server, &server.admin_key, &name).await.ok(),
                        before,
                        "a refusal changes nothing"
                    );
                }
                if who == Who::AffiliatedOfficer && code == Code::PermissionDenied && target == Target::Own {
                    let status = result.expect_err("denied");
                    let why = reason(&status);
                    assert!(
                        why == "CONFLICT_OF_INTEREST" || why == "ROLE_NOT_ALLOWED",
                        "{method}: {why}"
                    );
                }
            }
        }
    }

    // Lists never show what the caller may not see.
    for who in everyone.into_iter().filter(|w| *w != Who::Anonymous) {
        let listed = server
            .apps(&key(&w, &server, &reviewer, who))
            .list_applications(v1::ListApplicationsRequest {
                parent: "programmes/-".into(),
                page_size: 1_000,
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner()
            .applications;
        assert_eq!(
            listed.is_empty(),
            who == Who::Reviewer,
            "{who:?}: a reviewer assigned to nothing lists nothing"
        );
        for app in &listed {
            match who {
                Who::Applicant => assert_eq!(app.applicant_institution, w.hku),
                Who::Admin => {}
                _ => assert!(app.name.starts_with(&w.programme.name), "{who:?} sees {}", app.name),
            }
        }
    }
    let create = |key: String, applicant: String| {
        let mut client = server.apps(&key);
        let parent = w.programme.name.clone();
        async move {
            client
                .create_application(v1::CreateApplicationRequest {
                    parent,
                    application: Some(application(&applicant, &[], 1)),
                    request_id: String::new(),
                })
                .await
                .map(|r| r.into_inner().application.expect("application"))
        }
    };
    let by_admin = create(server.admin_key.clone(), w.um.clone())
        .await
        .expect("an admin creates for any institution");
    assert_eq!(by_admin.applicant_institution, w.um);
    assert!(
        by_admin
            .name
            .starts_with(&format!("{}/applications/", w.programme.name)),
        "{}",
        by_admin.name
    );
    let defaulted = create(w.hku_key.clone(), String::new())
        .await
        .expect("an applicant creates without naming its institution");
    assert_eq!(
        defaulted.applicant_institution, w.hku,
        "applicants default to their institution"
    );
    assert!(
        defaulted
            .name
            .starts_with(&format!("{}/applications/", w.programme.name)),
        "{}",
        defaulted.name
    );
    assert_ne!(defaulted.name, by_admin.name);
    for made in [&by_admin, &defaulted] {
        let read = get(&server, &server.admin_key, &made.name).await.expect("read back");
        assert_eq!(
            (read.name.as_str(), read.applicant_institution.as_str()),
            (made.name.as_str(), made.applicant_institution.as_str())
        );
    }
    assert_eq!(
        create(w.hku_key.clone(), w.um.clone()).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    assert_eq!(
        create(w.officer_key.clone(), w.hku.clone()).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    assert_eq!(
        create(w.viewer_key.clone(), w.hku.clone()).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    assert_eq!(
        create(String::new(), w.hku.clone()).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    server.stop().await;
}
