//! Table-driven authorization of peer review: every review method, and
//! the reads a reviewer relies on, × every role (the reviewer assigned to
//! the application, and one that is not) × own / foreign / nonexistent
//! target, asserting the code and that a refusal changes nothing. Then
//! every other method of the application lifecycle as the assigned
//! reviewer: all refused.

mod common;

use common::reviewing::*;
use common::watching::*;
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use tonic::{Code, Status};

on_every_backend!(every_review_method_times_every_role);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    Officer,
    AffiliatedOfficer,
    OtherOfficer,
    Applicant,
    OtherApplicant,
    Viewer,
    Reviewer,
    OtherReviewer,
    Anonymous,
}

const EVERYONE: [Who; 10] = [
    Who::Admin,
    Who::Officer,
    Who::AffiliatedOfficer,
    Who::OtherOfficer,
    Who::Applicant,
    Who::OtherApplicant,
    Who::Viewer,
    Who::Reviewer,
    Who::OtherReviewer,
    Who::Anonymous,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// HKU's application in the main programme, the reviewer assigned.
    Own,
    /// Macau's application in the other programme, another reviewer
    /// assigned.
    Foreign,
    Missing,
}

const METHODS: [&str; 10] = [
    "GetApplication",
    "ListApplicationEvents",
    "WatchApplicationEvents",
    "AssignReviewer",
    "DeclareConflict",
    "SubmitReview",
    "GetReview",
    "ListReviews",
    "GetReviewRanking",
    "ListApplications",
];

struct Fixture {
    w: World,
    reviewer: (String, String),
    other_reviewer: String,
    foreign_reviewer: (String, String),
    /// Scoped to both programmes, assigned by AssignReviewer calls.
    spare: String,
}

fn key(f: &Fixture, server: &TestServer, who: Who) -> String {
    let w = &f.w;
    match who {
        Who::Admin => server.admin_key.clone(),
        Who::Officer => w.officer_key.clone(),
        Who::AffiliatedOfficer => w.hku_officer_key.clone(),
        Who::OtherOfficer => w.other_officer_key.clone(),
        Who::Applicant => w.hku_key.clone(),
        Who::OtherApplicant => w.um_key.clone(),
        Who::Viewer => w.viewer_key.clone(),
        Who::Reviewer => f.reviewer.0.clone(),
        Who::OtherReviewer => f.other_reviewer.clone(),
        Who::Anonymous => String::new(),
    }
}

/// A fresh application under review with its review: (application, review).
async fn prepare(server: &TestServer, f: &Fixture, target: Target) -> (String, String) {
    let w = &f.w;
    if target == Target::Missing {
        let app = format!("{}/applications/does-not-exist", w.programme.name);
        return (app.clone(), format!("{app}/reviews/does-not-exist"));
    }
    let (key, programme, applicant, partners, officer, reviewer) = match target {
        Target::Own => (
            &w.hku_key,
            &w.programme.name,
            &w.hku,
            vec![w.sysu.as_str()],
            &w.officer_key,
            &f.reviewer.1,
        ),
        _ => (
            &w.um_key,
            &w.other_programme.name,
            &w.um,
            vec![],
            &w.other_officer_key,
            &f.foreign_reviewer.1,
        ),
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
    submit(server, key, &created.name).await.expect("submit");
    let review = assign(server, officer, &created.name, reviewer).await.expect("assign");
    (created.name, review.name)
}

fn programme_of(f: &Fixture, target: Target) -> String {
    match target {
        Target::Own => f.w.programme.name.clone(),
        Target::Foreign => f.w.other_programme.name.clone(),
        Target::Missing => "programmes/does-not-exist".into(),
    }
}

/// Calls `method`; for lists, returns the names listed.
async fn call(
    server: &TestServer,
    f: &Fixture,
    key: &str,
    method: &str,
    target: Target,
    app: &str,
    review_name: &str,
) -> Result<Vec<String>, Status> {
    let none = Vec::new;
    match method {
        "GetApplication" => get(server, key, app).await.map(|a| vec![a.name]),
        "ListApplicationEvents" => server
            .apps(key)
            .list_application_events(v1::ListApplicationEventsRequest {
                parent: app.into(),
                ..Default::default()
            })
            .await
            .map(|r| r.into_inner().events.into_iter().map(|e| e.application).collect()),
        "WatchApplicationEvents" => open(
            &mut server.watch(key),
            v1::WatchApplicationEventsRequest {
                application: app.into(),
                ..Default::default()
            },
        )
        .await
        .map(|_| none()),
        "AssignReviewer" => assign(server, key, app, &f.spare).await.map(|_| none()),
        "DeclareConflict" => server
            .reviews(key)
            .declare_conflict(v1::DeclareConflictRequest {
                name: review_name.into(),
                reason: "declared in the matrix".into(),
                request_id: String::new(),
            })
            .await
            .map(|_| none()),
        "SubmitReview" => submit_review(server, key, review(review_name, scores(4, 4, 4)))
            .await
            .map(|_| none()),
        "GetReview" => server
            .reviews(key)
            .get_review(v1::GetReviewRequest {
                name: review_name.into(),
            })
            .await
            .map(|r| vec![r.into_inner().review.unwrap_or_default().name]),
        "ListReviews" => list_reviews(server, key, app)
            .await
            .map(|r| r.into_iter().map(|r| r.name).collect()),
        "GetReviewRanking" => ranking(server, key, &programme_of(f, target)).await.map(|_| none()),
        "ListApplications" => server
            .apps(key)
            .list_applications(v1::ListApplicationsRequest {
                parent: programme_of(f, target),
                page_size: 1_000,
                ..Default::default()
            })
            .await
            .map(|r| r.into_inner().applications.into_iter().map(|a| a.name).collect()),
        other => panic!("no call for {other}"),
    }
}

fn expected(method: &str, who: Who, target: Target) -> Code {
    use Code::*;
    use Who::*;
    if who == Anonymous {
        return Unauthenticated;
    }
    // Who may read the target application at all.
    let reads = match target {
        Target::Own => matches!(who, Admin | Officer | AffiliatedOfficer | Applicant | Viewer | Reviewer),
        Target::Foreign => matches!(who, Admin | OtherOfficer | OtherApplicant),
        Target::Missing => false,
    };
    let missing_for_admin = who == Admin && target == Target::Missing;
    let officer_in_scope = match target {
        Target::Own => matches!(who, Admin | Officer | AffiliatedOfficer),
        Target::Foreign => matches!(who, Admin | OtherOfficer),
        Target::Missing => who == Admin,
    };
    match method {
        "GetApplication" | "ListApplicationEvents" | "WatchApplicationEvents" => {
            if missing_for_admin {
                NotFound
            } else if reads {
                Ok
            } else {
                PermissionDenied
            }
        }
        "AssignReviewer" => match who {
            _ if missing_for_admin => NotFound,
            AffiliatedOfficer => PermissionDenied,
            _ if officer_in_scope => Ok,
            _ => PermissionDenied,
        },
        "DeclareConflict" => match (who, target) {
            _ if missing_for_admin => NotFound,
            (Admin, _) | (Reviewer, Target::Own) => Ok,
            _ => PermissionDenied,
        },
        "SubmitReview" => match (who, target) {
            (Reviewer, Target::Own) => Ok,
            _ => PermissionDenied,
        },
        "GetReview" | "ListReviews" => match who {
            _ if missing_for_admin => NotFound,
            Viewer => PermissionDenied,
            // Shared with the applicant only once decided.
            Applicant | OtherApplicant if reads => FailedPrecondition,
            _ if reads => Ok,
            _ => PermissionDenied,
        },
        "GetReviewRanking" => match who {
            _ if missing_for_admin => NotFound,
            _ if officer_in_scope => Ok,
            _ => PermissionDenied,
        },
        // Lists answer within the caller's scope: a programme outside it,
        // or one that does not exist, is refused alike (an admin hears
        // that it does not exist).
        "ListApplications" => match (who, target) {
            (Admin, Target::Missing) => NotFound,
            (Applicant | OtherApplicant, Target::Missing) => PermissionDenied,
            (Admin | Applicant | OtherApplicant, _) => Ok,
            (Officer | AffiliatedOfficer | Viewer | Reviewer | OtherReviewer, Target::Own) => Ok,
            (OtherOfficer, Target::Foreign) => Ok,
            _ => PermissionDenied,
        },
        other => panic!("no expectation for {other}"),
    }
}

async fn fixture(server: &TestServer) -> Fixture {
    let w = server.world().await;
    configure(server, &w.programme.name, settings(2))
        .await
        .expect("configure");
    configure(server, &w.other_programme.name, settings(2))
        .await
        .expect("configure");
    let cuhk = server
        .register(
            "The Chinese University of Hong Kong",
            "香港中文大學",
            v1::Region::HongKong,
        )
        .await;
    let reviewer_key = reviewer(server, &cuhk, &w.programme.name).await;
    let other_reviewer = reviewer(server, &cuhk, &w.programme.name).await.0;
    let foreign_reviewer = reviewer(server, &cuhk, &w.other_programme.name).await;
    let spare = server
        .access(&server.admin_key)
        .create_api_key(v1::CreateApiKeyRequest {
            api_key: Some(v1::ApiKey {
                role: Role::Reviewer.into(),
                institution: cuhk.clone(),
                programmes: vec![w.programme.name.clone(), w.other_programme.name.clone()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("spare reviewer")
        .into_inner()
        .api_key
        .expect("key")
        .name;
    Fixture {
        w,
        reviewer: reviewer_key,
        other_reviewer,
        foreign_reviewer,
        spare,
    }
}

/// What a refusal must leave as it was: the application and its reviews.
async fn observed(server: &TestServer, app: &str) -> (Option<v1::Application>, Option<Vec<v1::Review>>) {
    (
        get(server, &server.admin_key, app).await.ok(),
        list_reviews(server, &server.admin_key, app).await.ok(),
    )
}

async fn every_review_method_times_every_role(backend: Backend) {
    let server = TestServer::start(backend).await;
    let f = fixture(&server).await;
    let mut checked = 0;
    for method in METHODS {
        for who in EVERYONE {
            for target in [Target::Own, Target::Foreign, Target::Missing] {
                let (app, review_name) = prepare(&server, &f, target).await;
                let before = observed(&server, &app).await;
                let result = call(&server, &f, &key(&f, &server, who), method, target, &app, &review_name).await;
                let code = result.as_ref().err().map_or(Code::Ok, Status::code);
                assert_eq!(
                    code,
                    expected(method, who, target),
                    "{method} as {who:?} on {target:?}: {result:?}"
                );
                if code != Code::Ok {
                    assert_eq!(observed(&server, &app).await, before, "a refusal changes nothing");
                }
                // Lists never show what the caller may not see.
                if let Ok(names) = &result {
                    match (method, who) {
                        ("ListApplications", Who::Reviewer | Who::OtherReviewer) => {
                            let mine = who == Who::Reviewer && target == Target::Own;
                            assert!(names.iter().all(|n| n.starts_with(&f.w.programme.name)));
                            assert_eq!(names.contains(&app), mine, "{who:?} lists {names:?}");
                        }
                        ("ListReviews" | "GetReview", Who::Reviewer) => {
                            assert_eq!(
                                names,
                                std::slice::from_ref(&review_name),
                                "a reviewer sees its own review only"
                            );
                        }
                        _ => {}
                    }
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, METHODS.len() * EVERYONE.len() * 3);

    // Every other lifecycle method, as the assigned reviewer: refused,
    // and nothing changes.
    let (app, _) = prepare(&server, &f, Target::Own).await;
    let r = f.reviewer.0.clone();
    let before = observed(&server, &app).await;
    let current = get(&server, &server.admin_key, &app).await.expect("read");
    let refusals: Vec<(&str, Result<(), Status>)> = vec![
        (
            "UpdateApplication",
            server
                .apps(&r)
                .update_application(v1::UpdateApplicationRequest {
                    application: Some(v1::Application {
                        name: app.clone(),
                        title: "Changed".into(),
                        etag: current.etag.clone(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["title".into()],
                    }),
                    request_id: String::new(),
                })
                .await
                .map(drop),
        ),
        ("SubmitApplication", submit(&server, &r, &app).await.map(drop)),
        ("WithdrawApplication", withdraw(&server, &r, &app).await.map(drop)),
        ("StartReview", start_review(&server, &r, &app).await.map(drop)),
        (
            "RequestChanges",
            request_changes(&server, &r, &app, "x").await.map(drop),
        ),
        ("RejectApplication", reject(&server, &r, &app, "x").await.map(drop)),
        (
            "ApproveApplication",
            approve(&server, &r, &app, 1_000, "").await.map(drop),
        ),
        (
            "RecordDisbursement",
            disburse(&server, &r, &app, payment(1_000, 1_084, 200_000_000, "1.0842"), "")
                .await
                .map(drop),
        ),
        ("CloseGrant", close(&server, &r, &app).await.map(drop)),
        (
            "ListDisbursements",
            server
                .awards(&r)
                .list_disbursements(v1::ListDisbursementsRequest {
                    parent: app.clone(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ),
        (
            "CreateApplication",
            server
                .apps(&r)
                .create_application(v1::CreateApplicationRequest {
                    parent: f.w.programme.name.clone(),
                    application: Some(application(&f.w.hku, &[&f.w.sysu], 1)),
                    request_id: String::new(),
                })
                .await
                .map(drop),
        ),
        (
            "WatchProgrammeSummary",
            server
                .watch(&r)
                .watch_programme_summary(v1::WatchProgrammeSummaryRequest::default())
                .await
                .map(drop),
        ),
    ];
    for (method, result) in refusals {
        assert_eq!(
            result.as_ref().err().map(Status::code),
            Some(Code::PermissionDenied),
            "{method} as the assigned reviewer: {result:?}"
        );
    }
    assert_eq!(observed(&server, &app).await, before, "the refusals changed nothing");
    server.stop().await;
}
