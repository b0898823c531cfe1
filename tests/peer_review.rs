//! Peer review as users see it, on both databases: officers assign
//! reviewers, reviewers score what they are assigned, conflicts of
//! interest are refused or declared, the ranking draws the funding line,
//! approval waits for the required reviews unless overridden, applicants
//! read anonymised comments after the decision, and every step is an
//! event that watchers and the programme summary see.

mod common;

use common::reviewing::*;
use common::watching::*;
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use gba_grants::proto::v1::review::State as ReviewState;
use gba_grants::proto::v1::review_activity::Kind;
use gba_grants::proto::v1::watch_application_events_response::Kind as Item;
use tonic::Code;

on_every_backend!(
    review_from_assignment_to_decision,
    conflicts_of_interest_are_refused_and_declared,
    bad_reviews_and_settings_name_the_field_and_change_nothing,
    reviewers_read_only_their_assignments,
    ranking_draws_the_funding_line,
    fifty_reviewers_submitting_at_once_lose_nothing,
    summary_and_watchers_see_review_progress,
);

/// CUHK, a Hong Kong institution neither applicant nor partner of the
/// world's applications: where the reviewers come from.
async fn cuhk(server: &TestServer) -> String {
    server
        .register(
            "The Chinese University of Hong Kong",
            "香港中文大學",
            v1::Region::HongKong,
        )
        .await
}

async fn review_from_assignment_to_decision(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let configured = configure(&server, &w.programme.name, settings(0))
        .await
        .expect("configure");
    let s = configured.review_settings.expect("settings");
    assert_eq!(
        (s.max_score, s.required_reviews, s.locked),
        (5, 2, false),
        "defaults apply"
    );
    let cuhk = cuhk(&server).await;
    let (r1, r1_name) = reviewer(&server, &cuhk, &w.programme.name).await;
    let (r2, r2_name) = reviewer(&server, &cuhk, &w.programme.name).await;
    let app = w.submitted(&server, 400_000).await;

    // Assigning moves SUBMITTED to UNDER_REVIEW; assigning again is a no-op.
    let first = assign(&server, &w.officer_key, &app.name, &r1_name)
        .await
        .expect("assign");
    assert_eq!(first.state, ReviewState::Assigned as i32);
    assert_eq!(first.reviewer, r1_name);
    assert!(first.name.starts_with(&format!("{}/reviews/", app.name)));
    assert_eq!(
        get(&server, &w.hku_key, &app.name).await.unwrap().state,
        state(State::UnderReview)
    );
    let again = assign(&server, &w.officer_key, &app.name, &r1_name)
        .await
        .expect("assign again");
    assert_eq!(again.name, first.name);
    let second = assign(&server, &server.admin_key, &app.name, &r2_name)
        .await
        .expect("assign");
    let before = events(&server, &w.officer_key, &app.name).await;
    assert_eq!(
        before
            .iter()
            .filter(|e| kind(e) == Some(Kind::ReviewerAssigned))
            .count(),
        2,
        "one event per assignment, none for the repeat"
    );

    // One review: approval waits for the second.
    let done = submit_review(&server, &r1, review(&first.name, scores(5, 4, 3)))
        .await
        .expect("submit");
    assert_eq!(done.state, ReviewState::Completed as i32);
    assert_eq!(done.revision, 1);
    assert!((done.weighted_score - 4.3).abs() < 1e-9, "{}", done.weighted_score);
    let refused = approve(&server, &w.officer_key, &app.name, 300_000, "")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "REVIEWS_INCOMPLETE");
    assert_eq!(
        committed(&server, &w.programme.name).await.units,
        0,
        "nothing committed"
    );

    // Settings are fixed once a review exists.
    let locked = configure(&server, &w.programme.name, settings(3)).await.unwrap_err();
    assert_eq!(reason(&locked), "REVIEW_SETTINGS_LOCKED");

    // A revision, then the second review.
    let revised = submit_review(&server, &r1, review(&first.name, scores(4, 4, 4)))
        .await
        .expect("revise");
    assert_eq!((revised.revision, revised.weighted_score), (2, 4.0));
    submit_review(&server, &r2, review(&second.name, scores(3, 3, 3)))
        .await
        .expect("submit");

    // The officer sees everything; the reviewer only its own review.
    let all = list_reviews(&server, &w.officer_key, &app.name).await.expect("list");
    assert_eq!(all.len(), 2);
    // A page at a time, in assignment order, nothing skipped.
    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let page = server
            .reviews(&w.officer_key)
            .list_reviews(v1::ListReviewsRequest {
                parent: app.name.clone(),
                page_size: 1,
                page_token: token,
            })
            .await
            .expect("page")
            .into_inner();
        paged.extend(page.reviews.into_iter().map(|r| r.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(paged, [first.name.clone(), second.name.clone()]);
    assert_eq!(
        all.iter().map(|r| r.reviewer_label.as_str()).collect::<Vec<_>>(),
        ["Reviewer 1", "Reviewer 2"]
    );
    assert!(all.iter().all(|r| !r.officer_comment.is_empty() && r.scores.len() == 3));
    let own = list_reviews(&server, &r2, &app.name).await.expect("own");
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].name, second.name);
    let other = server
        .reviews(&r2)
        .get_review(v1::GetReviewRequest {
            name: first.name.clone(),
        })
        .await;
    assert_eq!(
        expect_code(other, Code::PermissionDenied).code(),
        Code::PermissionDenied
    );

    // Before the decision the applicant reads no review.
    let early = list_reviews(&server, &w.hku_key, &app.name).await.unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition);

    let approved = approve(&server, &w.officer_key, &app.name, 300_000, "Ranked first")
        .await
        .expect("approve");
    assert_eq!(approved.state, state(State::Approved));

    // After it, anonymised comments only.
    let shown = list_reviews(&server, &w.hku_key, &app.name).await.expect("applicant");
    assert_eq!(shown.len(), 2);
    for (i, r) in shown.iter().enumerate() {
        assert_eq!(r.reviewer_label, format!("Reviewer {}", i + 1));
        assert!(r.reviewer.is_empty() && r.reviewer_institution.is_empty() && r.assigned_by.is_empty());
        assert!(r.scores.is_empty() && r.officer_comment.is_empty());
        assert_eq!(r.recommendation, 0);
        assert_eq!(r.weighted_score, 0.0);
        assert!(r.applicant_comment.contains("data-sharing"));
    }
    let viewer = list_reviews(&server, &w.viewer_key, &app.name).await.unwrap_err();
    assert_eq!(viewer.code(), Code::PermissionDenied);

    // The history: assignments, submissions, revision, approval; the
    // reviewers' own actions name no actor to the applicant.
    let history = events(&server, &w.hku_key, &app.name).await;
    let kinds: Vec<Option<Kind>> = history.iter().map(kind).collect();
    assert_eq!(
        kinds,
        [
            None,
            None,
            Some(Kind::ReviewerAssigned),
            Some(Kind::ReviewerAssigned),
            Some(Kind::ReviewSubmitted),
            Some(Kind::ReviewRevised),
            Some(Kind::ReviewSubmitted),
            None,
        ]
    );
    let progress: Vec<i32> = history
        .iter()
        .filter_map(|e| e.review_activity.as_ref().map(|a| a.completed_reviews))
        .collect();
    assert_eq!(progress, [0, 0, 1, 1, 2]);
    let by_reviewers: Vec<_> = history
        .iter()
        .filter(|e| e.actor_role == v1::api_key::Role::Reviewer as i32)
        .collect();
    assert_eq!(
        by_reviewers.iter().map(|e| kind(e)).collect::<Vec<_>>(),
        [
            Some(Kind::ReviewSubmitted),
            Some(Kind::ReviewRevised),
            Some(Kind::ReviewSubmitted)
        ],
        "the two submissions and the revision are the reviewers' own"
    );
    for e in by_reviewers {
        assert!(e.actor.is_empty(), "applicants do not learn who reviewed");
    }
    let for_officer = events(&server, &w.officer_key, &app.name).await;
    assert!(for_officer.iter().any(|e| e.actor == r1_name));
    server.stop().await;
}

async fn conflicts_of_interest_are_refused_and_declared(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    configure(&server, &w.programme.name, settings(1))
        .await
        .expect("configure");
    let app = w.submitted(&server, 200_000).await;
    // The applicant's own institution and its partner.
    let (_, hku_reviewer) = reviewer(&server, &w.hku, &w.programme.name).await;
    let (_, sysu_reviewer) = reviewer(&server, &w.sysu, &w.programme.name).await;
    for r in [&hku_reviewer, &sysu_reviewer] {
        let refused = assign(&server, &w.officer_key, &app.name, r).await.unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
        assert_eq!(reason(&refused), "CONFLICT_OF_INTEREST");
    }
    // An officer affiliated with the applicant may not assign.
    let (_, um_reviewer_name) = reviewer(&server, &w.um, &w.programme.name).await;
    let barred = assign(&server, &w.hku_officer_key, &app.name, &um_reviewer_name)
        .await
        .unwrap_err();
    assert_eq!(
        (barred.code(), reason(&barred).as_str()),
        (Code::PermissionDenied, "CONFLICT_OF_INTEREST")
    );
    assert_eq!(
        get(&server, &w.hku_key, &app.name).await.unwrap().state,
        state(State::Submitted),
        "refused assignments change nothing"
    );

    // A declared conflict ends the assignment, with the reason.
    let cuhk = cuhk(&server).await;
    let (r, r_name) = reviewer(&server, &cuhk, &w.programme.name).await;
    let assigned = assign(&server, &w.officer_key, &app.name, &r_name)
        .await
        .expect("assign");
    let declared = server
        .reviews(&r)
        .declare_conflict(v1::DeclareConflictRequest {
            name: assigned.name.clone(),
            reason: "I co-supervise a student of the principal investigator".into(),
            request_id: String::new(),
        })
        .await
        .expect("declare")
        .into_inner()
        .review
        .expect("review");
    assert_eq!(declared.state, ReviewState::ConflictDeclared as i32);
    assert!(declared.conflict_reason.contains("co-supervise"));
    let after = submit_review(&server, &r, review(&assigned.name, scores(5, 5, 5)))
        .await
        .unwrap_err();
    assert_eq!(
        (after.code(), reason(&after).as_str()),
        (Code::FailedPrecondition, "ASSIGNMENT_ENDED")
    );
    let unread = get(&server, &r, &app.name).await.unwrap_err();
    assert_eq!(
        unread.code(),
        Code::PermissionDenied,
        "an ended assignment reads nothing"
    );
    let again = assign(&server, &w.officer_key, &app.name, &r_name).await.unwrap_err();
    assert_eq!(reason(&again), "CONFLICT_OF_INTEREST");
    let listed = list_reviews(&server, &w.officer_key, &app.name).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, ReviewState::ConflictDeclared as i32);

    // Re-checked at submission: partners can change while changes are made.
    let (um_r, um_r_name) = reviewer(&server, &w.um, &w.programme.name).await;
    let later = assign(&server, &w.officer_key, &app.name, &um_r_name)
        .await
        .expect("assign");
    // Reviewed while free of conflict...
    submit_review(&server, &um_r, review(&later.name, scores(5, 5, 5)))
        .await
        .expect("review before the partners change");
    request_changes(&server, &w.officer_key, &app.name, "add Macao partner")
        .await
        .expect("changes");
    let current = get(&server, &w.hku_key, &app.name).await.unwrap();
    server
        .apps(&w.hku_key)
        .update_application(v1::UpdateApplicationRequest {
            application: Some(v1::Application {
                name: app.name.clone(),
                etag: current.etag,
                partner_institutions: vec![w.sysu.clone(), w.um.clone()],
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["partner_institutions".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect("edit partners");
    submit(&server, &w.hku_key, &app.name).await.expect("resubmit");
    let stale = submit_review(&server, &um_r, review(&later.name, scores(4, 4, 4)))
        .await
        .unwrap_err();
    assert_eq!(
        (stale.code(), reason(&stale).as_str()),
        (Code::FailedPrecondition, "CONFLICT_OF_INTEREST")
    );
    let kept = list_reviews(&server, &w.officer_key, &app.name).await.expect("list");
    assert_eq!(
        kept.iter().find(|r| r.name == later.name).map(|r| r.revision),
        Some(1),
        "the refused revision changed nothing"
    );
    // ...its review no longer counts, and its reviewer reads nothing.
    assert_eq!(
        get(&server, &um_r, &app.name).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let (_, fresh) = reviewer(&server, &cuhk, &w.programme.name).await;
    assign(&server, &w.officer_key, &app.name, &fresh)
        .await
        .expect("assign another");
    let waits = approve(&server, &w.officer_key, &app.name, 100_000, "")
        .await
        .unwrap_err();
    assert_eq!(
        reason(&waits),
        "REVIEWS_INCOMPLETE",
        "a conflicted review does not count"
    );
    let ranked = ranking(&server, &w.officer_key, &w.programme.name)
        .await
        .expect("ranking");
    let entry = ranked
        .entries
        .iter()
        .find(|e| e.application == app.name)
        .expect("ranked");
    assert_eq!((entry.completed_reviews, entry.mean_score), (0, 0.0));
    server.stop().await;
}

async fn bad_reviews_and_settings_name_the_field_and_change_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let cuhk = cuhk(&server).await;
    let (r, r_name) = reviewer(&server, &cuhk, &w.programme.name).await;
    let app = w.submitted(&server, 200_000).await;

    // No settings yet: no assignment.
    let unconfigured = assign(&server, &w.officer_key, &app.name, &r_name).await.unwrap_err();
    assert_eq!(reason(&unconfigured), "REVIEW_NOT_CONFIGURED");

    // Bad settings name the field.
    for (bad, field) in [
        (
            v1::ReviewSettings {
                criteria: vec![],
                ..Default::default()
            },
            "programme.review_settings.criteria",
        ),
        (
            v1::ReviewSettings {
                criteria: vec![criterion("merit", 0.0)],
                ..Default::default()
            },
            "programme.review_settings.criteria[0].weight",
        ),
        (
            v1::ReviewSettings {
                criteria: vec![criterion("merit", 1.0), criterion("merit", 1.0)],
                ..Default::default()
            },
            "programme.review_settings.criteria[1].name",
        ),
        (
            v1::ReviewSettings {
                criteria: vec![criterion("merit", 1.0)],
                max_score: 11,
                ..Default::default()
            },
            "programme.review_settings.max_score",
        ),
        (
            v1::ReviewSettings {
                criteria: vec![criterion("merit", 1.0)],
                required_reviews: -1,
                ..Default::default()
            },
            "programme.review_settings.required_reviews",
        ),
    ] {
        let status = configure(&server, &w.programme.name, bad).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(bad_fields(&status).contains(&field.to_owned()), "{field}: {status:?}");
    }
    configure(&server, &w.programme.name, settings(2))
        .await
        .expect("configure");

    // Assigning a key that is not a reviewer, or a draft.
    let not_reviewer = assign(&server, &w.officer_key, &app.name, "apiKeys/does-not-exist")
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&not_reviewer), ["reviewer"]);
    let draft = w.draft(&server, 100_000).await;
    let early = assign(&server, &w.officer_key, &draft.name, &r_name).await.unwrap_err();
    assert_eq!(
        (early.code(), reason(&early).as_str()),
        (Code::FailedPrecondition, "INVALID_STATE")
    );

    let assigned = assign(&server, &w.officer_key, &app.name, &r_name)
        .await
        .expect("assign");
    let mut out_of_scale = scores(5, 4, 3);
    out_of_scale[1].score = 6;
    let mut unknown = scores(5, 4, 3);
    unknown.push(score("novelty", 3));
    for (bad, field) in [
        (review(&assigned.name, out_of_scale), "review.scores[1].score"),
        (review(&assigned.name, scores(0, 4, 3)), "review.scores[0].score"),
        (review(&assigned.name, unknown), "review.scores[3].criterion"),
        (review(&assigned.name, scores(5, 4, 3)[..2].to_vec()), "review.scores"),
        (
            v1::Review {
                recommendation: 0,
                ..review(&assigned.name, scores(5, 4, 3))
            },
            "review.recommendation",
        ),
        (
            v1::Review {
                officer_comment: "x".repeat(10_001),
                ..review(&assigned.name, scores(5, 4, 3))
            },
            "review.officer_comment",
        ),
    ] {
        let status = submit_review(&server, &r, bad).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert!(bad_fields(&status).contains(&field.to_owned()), "{field}: {status:?}");
    }
    let malformed = submit_review(&server, &r, review("reviews/x", scores(5, 4, 3)))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&malformed), ["review.name"]);
    let still = list_reviews(&server, &w.officer_key, &app.name).await.expect("list");
    assert_eq!(
        still[0].state,
        ReviewState::Assigned as i32,
        "bad reviews change nothing"
    );
    let progress: Vec<_> = events(&server, &w.officer_key, &app.name)
        .await
        .into_iter()
        .filter(|e| kind(e) == Some(Kind::ReviewSubmitted))
        .collect();
    assert!(progress.is_empty());

    // Officers and admins do not write reviews; a decided application
    // takes no more.
    for key in [&w.officer_key, &server.admin_key] {
        let status = submit_review(&server, key, review(&assigned.name, scores(5, 4, 3)))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
    }
    reject(&server, &w.officer_key, &app.name, "out of scope")
        .await
        .expect("reject");
    let late = submit_review(&server, &r, review(&assigned.name, scores(5, 4, 3)))
        .await
        .unwrap_err();
    assert_eq!(
        (late.code(), reason(&late).as_str()),
        (Code::FailedPrecondition, "INVALID_STATE")
    );

    // Override needs a reason.
    let other = w.submitted(&server, 100_000).await;
    assign(&server, &w.officer_key, &other.name, &r_name)
        .await
        .expect("assign");
    let no_reason = approve_overriding(&server, &w.officer_key, &other.name, 50_000, "")
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&no_reason), ["reason"]);
    let overridden = approve_overriding(&server, &w.officer_key, &other.name, 50_000, "Panel met in person")
        .await
        .expect("override");
    assert_eq!(overridden.state, state(State::Approved));
    let last = events(&server, &w.officer_key, &other.name).await.pop().expect("event");
    assert_eq!(kind(&last), Some(Kind::ReviewsOverridden));
    assert_eq!(last.reason, "Panel met in person");
    let a = last.review_activity.expect("activity");
    assert_eq!((a.completed_reviews, a.required_reviews), (0, 2));
    server.stop().await;
}

async fn reviewers_read_only_their_assignments(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    configure(&server, &w.programme.name, settings(1))
        .await
        .expect("configure");
    let cuhk = cuhk(&server).await;
    let (r, r_name) = reviewer(&server, &cuhk, &w.programme.name).await;
    let (other_r, _) = reviewer(&server, &cuhk, &w.programme.name).await;
    let mine = w.submitted(&server, 100_000).await;
    let not_mine = w.submitted(&server, 100_000).await;
    assign(&server, &w.officer_key, &mine.name, &r_name)
        .await
        .expect("assign");

    let read = get(&server, &r, &mine.name).await.expect("assigned");
    assert!(
        read.principal_investigator.unwrap_or_default().email.is_empty(),
        "e-mails hidden"
    );
    for name in [&not_mine.name, &format!("{}/applications/nope", w.programme.name)] {
        assert_eq!(get(&server, &r, name).await.unwrap_err().code(), Code::PermissionDenied);
    }
    assert_eq!(
        get(&server, &other_r, &mine.name).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let listed = server
        .apps(&r)
        .list_applications(v1::ListApplicationsRequest {
            parent: "programmes/-".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .applications;
    assert_eq!(
        listed.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        std::slice::from_ref(&mine.name)
    );
    let none = server
        .apps(&other_r)
        .list_applications(v1::ListApplicationsRequest {
            parent: w.programme.name.clone(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .applications;
    assert!(none.is_empty());

    // Events: of an assigned application only, never a whole programme.
    assert!(!events(&server, &r, &mine.name).await.is_empty());
    for parent in [
        w.programme.name.clone(),
        "programmes/-".into(),
        w.hku.clone(),
        not_mine.name.clone(),
    ] {
        let refused = server
            .apps(&r)
            .list_application_events(v1::ListApplicationEventsRequest {
                parent: parent.clone(),
                ..Default::default()
            })
            .await;
        assert_eq!(
            expect_code(refused, Code::PermissionDenied).code(),
            Code::PermissionDenied,
            "{parent}"
        );
    }
    let mut watch = server.watch(&r);
    for request in [
        v1::WatchApplicationEventsRequest::default(),
        v1::WatchApplicationEventsRequest {
            programme: w.programme.name.clone(),
            ..Default::default()
        },
        v1::WatchApplicationEventsRequest {
            application: not_mine.name.clone(),
            ..Default::default()
        },
    ] {
        let Err(refused) = open(&mut watch, request).await else {
            panic!("a reviewer's watch beyond its assignment is refused");
        };
        assert_eq!(refused.code(), Code::PermissionDenied);
    }
    let (mut stream, _) = open(
        &mut watch,
        v1::WatchApplicationEventsRequest {
            application: mine.name.clone(),
            ..Default::default()
        },
    )
    .await
    .expect("watch assigned");
    let ranking_refused = ranking(&server, &r, &w.programme.name).await.unwrap_err();
    assert_eq!(ranking_refused.code(), Code::PermissionDenied);
    let summary = server
        .watch(&r)
        .watch_programme_summary(v1::WatchProgrammeSummaryRequest::default())
        .await;
    assert_eq!(
        expect_code(summary, Code::PermissionDenied).code(),
        Code::PermissionDenied
    );

    // Declaring a conflict ends the stream after its event.
    let review_name = list_reviews(&server, &r, &mine.name).await.expect("own")[0]
        .name
        .clone();
    server
        .reviews(&r)
        .declare_conflict(v1::DeclareConflictRequest {
            name: review_name,
            reason: "former colleague".into(),
            request_id: String::new(),
        })
        .await
        .expect("declare");
    // (The stream starts from what this replica had published when it
    // opened, which may be just before the assignment.)
    let mut last = None;
    let mut by_reviewers = 0;
    let ended = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), next(&mut stream))
            .await
            .expect("stream moves")
        {
            Ok(Some(Item::Event(e))) => {
                if e.actor_role == v1::api_key::Role::Reviewer as i32 {
                    assert!(e.actor.is_empty(), "a reviewer's stream names no reviewer");
                    by_reviewers += 1;
                }
                last = kind(&e);
            }
            Ok(Some(Item::Progress(_))) => {}
            Ok(None) => panic!("the stream ended without an error"),
            Err(status) => break status,
        }
    };
    assert_eq!(ended.code(), Code::PermissionDenied);
    assert_eq!(
        last,
        Some(Kind::ConflictDeclared),
        "the stream ends right after the conflict"
    );
    assert_eq!(
        by_reviewers, 1,
        "the declaration, the reviewer's own action, was among the events checked"
    );

    // A programme that shows e-mails to reviewers.
    let open_programme = server.open_programme(programme(1_000_000, 500_000)).await;
    let mut s = settings(1);
    s.reviewers_see_investigator_email = true;
    configure(&server, &open_programme.name, s).await.expect("configure");
    let (r2, r2_name) = reviewer(&server, &cuhk, &open_programme.name).await;
    let app = server
        .apps(&w.hku_key)
        .create_application(v1::CreateApplicationRequest {
            parent: open_programme.name.clone(),
            application: Some(application(&w.hku, &[&w.sysu], 100_000)),
            request_id: String::new(),
        })
        .await
        .expect("create")
        .into_inner()
        .application
        .expect("application");
    submit(&server, &w.hku_key, &app.name).await.expect("submit");
    let foreign = assign(&server, &w.officer_key, &app.name, &r2_name).await.unwrap_err();
    assert_eq!(
        (foreign.code(), reason(&foreign).as_str()),
        (Code::PermissionDenied, "OUT_OF_SCOPE"),
        "an officer of another programme may not assign: {foreign:?}"
    );
    assign(&server, &server.admin_key, &app.name, &r2_name)
        .await
        .expect("assign");
    let visible = get(&server, &r2, &app.name).await.expect("read");
    assert_eq!(
        visible.principal_investigator.unwrap_or_default().email,
        "tmchan@hku.hk"
    );
    server.stop().await;
}

/// Submits one review per score triple on a fresh application asking for
/// `requested`; returns its name.
async fn scored(
    server: &TestServer,
    w: &World,
    reviewers: &[(String, String)],
    requested: i64,
    marks: &[(i32, i32, i32)],
) -> String {
    let app = w.submitted(server, requested).await;
    for ((key, name), (a, b, c)) in reviewers.iter().zip(marks) {
        let assigned = assign(server, &w.officer_key, &app.name, name).await.expect("assign");
        submit_review(server, key, review(&assigned.name, scores(*a, *b, *c)))
            .await
            .expect("review");
    }
    app.name
}

async fn ranking_draws_the_funding_line(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    configure(&server, &w.programme.name, settings(2))
        .await
        .expect("configure");
    let cuhk = cuhk(&server).await;
    let mut reviewers = Vec::new();
    for _ in 0..2 {
        reviewers.push(reviewer(&server, &cuhk, &w.programme.name).await);
    }
    // Budget 10M: commit 9M elsewhere first (by override), leaving 1M.
    let big = w.submitted(&server, 1_000_000).await;
    assign(&server, &w.officer_key, &big.name, &reviewers[0].1)
        .await
        .expect("assign");
    approve_overriding(&server, &w.officer_key, &big.name, 1_000_000, "pilot")
        .await
        .expect("approve");
    let mut filler = Vec::new();
    for _ in 0..8 {
        let a = w.submitted(&server, 1_000_000).await;
        assign(&server, &w.officer_key, &a.name, &reviewers[0].1)
            .await
            .expect("assign");
        approve_overriding(&server, &w.officer_key, &a.name, 1_000_000, "pilot")
            .await
            .expect("approve");
        filler.push(a.name);
    }
    // Remaining: 1,000,000. Scores: best 4.5 (600k), tie at 4.0 (300k
    // first submitted, 200k later), then 3.0 (100k), then one unscored.
    let best = scored(&server, &w, &reviewers, 600_000, &[(5, 5, 5), (4, 4, 4)]).await;
    let tie_first = scored(&server, &w, &reviewers, 300_000, &[(4, 4, 4), (4, 4, 4)]).await;
    let tie_later = scored(&server, &w, &reviewers, 200_000, &[(4, 4, 4), (4, 4, 4)]).await;
    let low = scored(&server, &w, &reviewers, 100_000, &[(3, 3, 3)]).await;
    let unscored = w.submitted(&server, 50_000).await;
    assign(&server, &w.officer_key, &unscored.name, &reviewers[1].1)
        .await
        .expect("assign");

    let r = ranking(&server, &w.officer_key, &w.programme.name)
        .await
        .expect("ranking");
    let order: Vec<&str> = r.entries.iter().map(|e| e.application.as_str()).collect();
    assert_eq!(
        order,
        [
            best.as_str(),
            tie_first.as_str(),
            tie_later.as_str(),
            low.as_str(),
            unscored.name.as_str()
        ]
    );
    assert_eq!(r.remaining_budget.as_ref().map(|m| m.units), Some(1_000_000));
    let mean: Vec<f64> = r.entries.iter().map(|e| e.mean_score).collect();
    assert!(
        (mean[0] - 4.5).abs() < 1e-9 && mean[1] == 4.0 && mean[3] == 3.0 && mean[4] == 0.0,
        "{mean:?}"
    );
    assert!(
        (r.entries[0].score_spread - 1.0).abs() < 1e-9,
        "{}",
        r.entries[0].score_spread
    );
    let cumulative: Vec<i64> = r
        .entries
        .iter()
        .map(|e| e.cumulative_requested.as_ref().map_or(0, |m| m.units))
        .collect();
    assert_eq!(cumulative, [600_000, 900_000, 1_100_000, 1_200_000, 1_250_000]);
    let above: Vec<bool> = r.entries.iter().map(|e| e.above_funding_line).collect();
    assert_eq!(above, [true, true, false, false, false]);
    assert_eq!(r.funded_count, 2);
    assert_eq!(r.entries.iter().map(|e| e.rank).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    assert_eq!(
        r.entries
            .iter()
            .map(|e| (e.completed_reviews, e.required_reviews))
            .collect::<Vec<_>>(),
        [(2, 2), (2, 2), (2, 2), (1, 2), (0, 2)]
    );
    // Approved ones left the ranking; it is a read and changes nothing.
    assert!(!order.contains(&big.name.as_str()));
    assert_eq!(
        ranking(&server, &w.officer_key, &w.programme.name)
            .await
            .expect("again")
            .entries
            .len(),
        5
    );
    let foreign = ranking(&server, &w.other_officer_key, &w.programme.name)
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), Code::PermissionDenied);
    let missing = ranking(&server, &server.admin_key, "programmes/nope")
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    server.stop().await;
}

async fn fifty_reviewers_submitting_at_once_lose_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    configure(&server, &w.programme.name, settings(20))
        .await
        .expect("configure");
    let cuhk = cuhk(&server).await;
    let app = w.submitted(&server, 500_000).await;
    let mut assigned = Vec::new();
    for _ in 0..50 {
        let (key, name) = reviewer(&server, &cuhk, &w.programme.name).await;
        let review_name = assign(&server, &w.officer_key, &app.name, &name)
            .await
            .expect("assign")
            .name;
        assigned.push((key, review_name));
    }
    let tasks: Vec<_> = assigned
        .iter()
        .enumerate()
        .map(|(i, (key, name))| {
            let (server_channel, key, name) = (server.channel.clone(), key.clone(), name.clone());
            let mark = (i % 5) as i32 + 1;
            tokio::spawn(async move {
                let mut client =
                    v1::review_service_client::ReviewServiceClient::with_interceptor(server_channel, Bearer::new(&key));
                client
                    .submit_review(v1::SubmitReviewRequest {
                        review: Some(review(&name, scores(mark, mark, mark))),
                        request_id: String::new(),
                    })
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("every review is accepted");
    }
    let reviews = list_reviews(&server, &w.officer_key, &app.name).await.expect("list");
    assert_eq!(reviews.len(), 50);
    assert!(
        reviews
            .iter()
            .all(|r| r.state == ReviewState::Completed as i32 && r.revision == 1)
    );
    let submitted: Vec<i32> = events(&server, &w.officer_key, &app.name)
        .await
        .iter()
        .filter(|e| kind(e) == Some(Kind::ReviewSubmitted))
        .filter_map(|e| e.review_activity.as_ref().map(|a| a.completed_reviews))
        .collect();
    assert_eq!(
        submitted,
        (1..=50).collect::<Vec<_>>(),
        "one event each, in commit order"
    );
    let r = ranking(&server, &w.officer_key, &w.programme.name)
        .await
        .expect("ranking");
    assert_eq!(r.entries[0].completed_reviews, 50);
    assert!(
        (r.entries[0].mean_score - 3.0).abs() < 1e-9,
        "mean of 1..=5 ten times each"
    );
    server.stop().await;
}

async fn summary_and_watchers_see_review_progress(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    configure(&server, &w.programme.name, settings(2))
        .await
        .expect("configure");
    let cuhk = cuhk(&server).await;
    let (r, r_name) = reviewer(&server, &cuhk, &w.programme.name).await;
    let app = w.submitted(&server, 100_000).await;
    let mut events_watch = server.watch(&w.hku_key);
    let (mut applicant_stream, _) = open(&mut events_watch, v1::WatchApplicationEventsRequest::default())
        .await
        .expect("watch");
    let mut summaries = server
        .watch(&w.officer_key)
        .watch_programme_summary(v1::WatchProgrammeSummaryRequest {
            programmes: vec![w.programme.name.clone()],
        })
        .await
        .expect("summary")
        .into_inner();
    let first = summaries
        .message()
        .await
        .expect("read")
        .expect("snapshot")
        .summary
        .expect("summary");
    assert_eq!((first.reviews_completed, first.reviews_required), (0, 2));

    let assigned = assign(&server, &w.officer_key, &app.name, &r_name)
        .await
        .expect("assign");
    submit_review(&server, &r, review(&assigned.name, scores(4, 4, 4)))
        .await
        .expect("review");
    let progressed = loop {
        let s = tokio::time::timeout(std::time::Duration::from_secs(10), summaries.message())
            .await
            .expect("a snapshot follows")
            .expect("read")
            .expect("open")
            .summary
            .expect("summary");
        if s.reviews_completed == 1 {
            break s;
        }
    };
    assert_eq!(progressed.reviews_required, 2);

    // The applicant's stream sees the assignment and the review, with no
    // reviewer named.
    let mut seen = Vec::new();
    let mut by_reviewers = Vec::new();
    while seen.len() < 2 {
        match tokio::time::timeout(std::time::Duration::from_secs(10), next(&mut applicant_stream))
            .await
            .expect("events follow")
            .expect("read")
        {
            Some(Item::Event(e)) => {
                if e.actor_role == v1::api_key::Role::Reviewer as i32 {
                    assert!(e.actor.is_empty(), "applicants do not learn who reviewed");
                    by_reviewers.push(kind(&e));
                }
                if let Some(k) = kind(&e) {
                    seen.push(k);
                }
            }
            Some(Item::Progress(_)) => {}
            None => panic!("stream ended"),
        }
    }
    assert_eq!(seen, [Kind::ReviewerAssigned, Kind::ReviewSubmitted]);
    assert_eq!(
        by_reviewers,
        [Some(Kind::ReviewSubmitted)],
        "the review, the reviewer's own action, was among the events checked"
    );
    server.stop().await;
}
