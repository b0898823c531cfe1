//! Cross-border teams and sign-off, on every backend: a Hong Kong PI with
//! co-investigators at the Guangdong partner, the partner reading (not
//! changing) the joint application, both research offices endorsing the
//! content as it stands, a change clearing both, submission refused until
//! they sign again; every refusal with its code, reason and fields, and
//! nothing changed; an endorsement racing a content change; reviewers
//! conflicted by ORCID iD; partners' lists, history and streams.

mod common;

use std::time::Duration;

use common::documents::{pdf, upload};
use common::reviewing::*;
use common::watching::*;
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use gba_grants::proto::v1::team_activity::Kind;
use gba_grants::proto::v1::team_member::Role as TeamRole;
use tonic::Code;

on_every_backend!(
    the_cross_border_story,
    every_refusal_changes_nothing,
    an_endorsement_racing_a_content_change_never_signs_unseen_content,
    reviewers_on_the_team_are_conflicted,
    partners_list_and_watch_their_joint_applications,
);

const PI_ORCID: &str = "0000-0002-1825-0097";
const CO_ORCID: &str = "0000-0001-5109-3700";

fn member(name: &str, orcid: &str, institution: &str, role: TeamRole) -> v1::TeamMember {
    v1::TeamMember {
        display_name: name.into(),
        orcid: orcid.into(),
        email: format!("{}@example.edu", name.to_lowercase().replace(' ', ".")),
        institution: institution.into(),
        role: role.into(),
    }
}

/// HKU's PI and two co-investigators at Sun Yat-sen University.
fn team(w: &World) -> Vec<v1::TeamMember> {
    vec![
        member("Chan Tai Man", PI_ORCID, &w.hku, TeamRole::PrincipalInvestigator),
        member("Li Hua", CO_ORCID, &w.sysu, TeamRole::CoPrincipalInvestigator),
        member("Zhang Wei", "", &w.sysu, TeamRole::CoInvestigator),
    ]
}

/// A programme that needs both offices' sign-off.
async fn signed_programme(server: &TestServer, requirement: v1::EndorsementRequirement) -> v1::Programme {
    server
        .open_programme(v1::Programme {
            endorsement_requirement: requirement.into(),
            ..programme(10_000_000, 1_000_000)
        })
        .await
}

async fn joint_draft(server: &TestServer, w: &World, programme: &str) -> v1::Application {
    server
        .apps(&w.hku_key)
        .create_application(v1::CreateApplicationRequest {
            parent: programme.into(),
            application: Some(v1::Application {
                team: team(w),
                ..application(&w.hku, &[&w.sysu], 500_000)
            }),
            request_id: String::new(),
        })
        .await
        .expect("create the joint draft")
        .into_inner()
        .application
        .expect("application")
}

async fn endorse(server: &TestServer, key: &str, name: &str, etag: &str) -> Result<v1::Application, tonic::Status> {
    Ok(server
        .apps(key)
        .endorse_application(v1::EndorseApplicationRequest {
            name: name.into(),
            etag: etag.into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .application
        .unwrap_or_default())
}

async fn retitle(
    server: &TestServer,
    key: &str,
    app: &v1::Application,
    title: &str,
) -> Result<v1::Application, tonic::Status> {
    Ok(server
        .apps(key)
        .update_application(v1::UpdateApplicationRequest {
            application: Some(v1::Application {
                name: app.name.clone(),
                etag: app.etag.clone(),
                title: title.into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["title".into()],
            }),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .application
        .unwrap_or_default())
}

async fn set_team(
    server: &TestServer,
    key: &str,
    app: &v1::Application,
    team: Vec<v1::TeamMember>,
) -> Result<v1::Application, tonic::Status> {
    Ok(server
        .apps(key)
        .update_application(v1::UpdateApplicationRequest {
            application: Some(v1::Application {
                name: app.name.clone(),
                etag: app.etag.clone(),
                team,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["team".into()],
            }),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .application
        .unwrap_or_default())
}

fn signers(a: &v1::Application) -> Vec<String> {
    let mut s: Vec<String> = a.endorsements.iter().map(|e| e.institution.clone()).collect();
    s.sort();
    s
}

fn team_kinds(events: &[v1::ApplicationEvent]) -> Vec<Kind> {
    events
        .iter()
        .filter_map(|e| e.team_activity.as_ref())
        .map(|t| t.kind())
        .collect()
}

async fn the_cross_border_story(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let p = signed_programme(&server, v1::EndorsementRequirement::ApplicantAndPartners).await;
    // Each research office signs with a key that names its person.
    let person_key = |institution: String, name: &'static str, orcid: &'static str| {
        let server = &server;
        async move {
            server
                .access(&server.admin_key)
                .create_api_key(v1::CreateApiKeyRequest {
                    api_key: Some(v1::ApiKey {
                        role: Role::Applicant.into(),
                        institution,
                        person: Some(v1::Person {
                            display_name: name.into(),
                            orcid: orcid.into(),
                        }),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .expect("a key with its person")
                .into_inner()
        }
    };
    let hku_office = person_key(w.hku.clone(), "HKU Research Services", "").await;
    assert_eq!(
        hku_office
            .api_key
            .as_ref()
            .and_then(|k| k.person.clone())
            .map(|p| p.display_name),
        Some("HKU Research Services".to_owned())
    );
    let sysu_office = person_key(w.sysu.clone(), "Ou Yang", "0000-0003-1415-9269").await;

    let draft = joint_draft(&server, &w, &p.name).await;
    assert_eq!(draft.team.len(), 3);
    assert_eq!(draft.team[1].institution, w.sysu);
    assert!(draft.endorsements.is_empty());

    // SYSU, named as partner, reads the draft, e-mails included.
    let seen = get(&server, &w.sysu_key, &draft.name)
        .await
        .expect("the partner reads it");
    assert_eq!(seen, draft);

    // Without signatures, submission names both institutions.
    let status = submit(&server, &w.hku_key, &draft.name).await.expect_err("unsigned");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::FailedPrecondition, "ENDORSEMENTS_MISSING")
    );
    assert!(
        status.message().contains(&w.hku) && status.message().contains(&w.sysu),
        "{status:?}"
    );

    // Both offices endorse, each at the etag it read.
    let a = endorse(&server, &hku_office.secret, &draft.name, &draft.etag)
        .await
        .expect("HKU signs");
    assert_eq!(signers(&a), std::slice::from_ref(&w.hku));
    assert_eq!(a.endorsements[0].etag, draft.etag);
    assert_eq!(
        a.endorsements[0].actor_person.as_ref().map(|p| p.display_name.as_str()),
        Some("HKU Research Services")
    );
    let stale = endorse(&server, &sysu_office.secret, &draft.name, &draft.etag)
        .await
        .expect_err("stale etag");
    assert_eq!(
        (stale.code(), reason(&stale).as_str()),
        (Code::Aborted, "ETAG_MISMATCH")
    );
    let b = endorse(&server, &sysu_office.secret, &draft.name, &a.etag)
        .await
        .expect("SYSU signs");
    let mut both = vec![w.hku.clone(), w.sysu.clone()];
    both.sort();
    assert_eq!(signers(&b), both);

    // A change of content clears both, and says so.
    let changed = retitle(&server, &w.hku_key, &b, "Typhoon-resilient estuaries, revised")
        .await
        .expect("edit");
    assert!(changed.endorsements.is_empty());
    let history = events(&server, &w.hku_key, &draft.name).await;
    let cleared = history
        .last()
        .and_then(|e| e.team_activity.clone())
        .expect("a clearing event");
    assert_eq!(cleared.kind(), Kind::EndorsementsCleared);
    let mut gone = cleared.cleared.clone();
    gone.sort();
    assert_eq!(gone, both);
    let status = submit(&server, &w.hku_key, &draft.name).await.expect_err("cleared");
    assert_eq!(reason(&status), "ENDORSEMENTS_MISSING");

    // A team change clears too and is its own event; then both sign again.
    let mut bigger = team(&w);
    bigger.push(member("Wong Ka Yan", "", &w.hku, TeamRole::Collaborator));
    let c = endorse(&server, &hku_office.secret, &draft.name, &changed.etag)
        .await
        .expect("sign");
    let c = set_team(&server, &w.hku_key, &c, bigger).await.expect("team");
    assert_eq!(c.team.len(), 4);
    assert!(c.endorsements.is_empty());
    let c = endorse(&server, &hku_office.secret, &draft.name, &c.etag)
        .await
        .expect("HKU again");
    let c = endorse(&server, &sysu_office.secret, &draft.name, &c.etag)
        .await
        .expect("SYSU again");
    let submitted = submit(&server, &w.hku_key, &draft.name).await.expect("signed: submits");
    assert_eq!(submitted.state, state(v1::application::State::Submitted));
    assert_eq!(signers(&submitted), both);
    assert_eq!(
        submitted.endorsements.iter().map(|e| &e.etag).collect::<Vec<_>>().len(),
        2
    );
    let _ = c;

    // The history tells it all, with the people who signed.
    let history = events(&server, &w.hku_key, &draft.name).await;
    assert_eq!(
        team_kinds(&history),
        [
            Kind::Endorsed,
            Kind::Endorsed,
            Kind::EndorsementsCleared,
            Kind::Endorsed,
            Kind::TeamChanged,
            Kind::Endorsed,
            Kind::Endorsed,
        ]
    );
    let team_changed = history
        .iter()
        .find(|e| e.team_activity.as_ref().is_some_and(|t| t.kind() == Kind::TeamChanged))
        .expect("team event");
    assert_eq!(
        team_changed.team_activity.as_ref().map(|t| t.cleared.clone()),
        Some(vec![w.hku.clone()])
    );
    let signed_by_sysu = history
        .iter()
        .rev()
        .find(|e| e.team_activity.as_ref().is_some_and(|t| t.institution == w.sysu))
        .expect("SYSU's endorsement event");
    assert_eq!(
        signed_by_sysu
            .actor_person
            .as_ref()
            .map(|p| (p.display_name.as_str(), p.orcid.as_str())),
        Some(("Ou Yang", "0000-0003-1415-9269"))
    );
    // Viewers see the team without e-mails.
    let viewer = server.key(Role::Viewer, "", &[&p.name]).await;
    let viewed = get(&server, &viewer, &draft.name).await.expect("viewer");
    assert_eq!(viewed.team.len(), 4);
    assert!(viewed.team.iter().all(|m| m.email.is_empty()));
    assert!(submitted.team.iter().any(|m| !m.email.is_empty()));
    server.stop().await;
}

async fn every_refusal_changes_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let p = signed_programme(&server, v1::EndorsementRequirement::ApplicantAndPartners).await;
    let draft = joint_draft(&server, &w, &p.name).await;

    // The partner reads but does not act.
    let status = retitle(&server, &w.sysu_key, &draft, "SYSU's title")
        .await
        .expect_err("partner edit");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::PermissionDenied, "PARTNER_READ_ONLY")
    );
    let status = submit(&server, &w.sysu_key, &draft.name)
        .await
        .expect_err("partner submit");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::PermissionDenied, "PARTNER_READ_ONLY")
    );
    let status = withdraw(&server, &w.sysu_key, &draft.name)
        .await
        .expect_err("partner withdraw");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::PermissionDenied, "PARTNER_READ_ONLY")
    );
    let status = upload(
        &server,
        &w.sysu_key,
        &draft.name,
        v1::DocumentKind::Proposal,
        &pdf(10_000, 3),
    )
    .await
    .expect_err("partner upload");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::PermissionDenied, "PARTNER_READ_ONLY")
    );
    unchanged(&server, &w.hku_key, draft.clone()).await;

    // An institution not on the application neither reads nor signs.
    let status = get(&server, &w.um_key, &draft.name).await.expect_err("unrelated read");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::PermissionDenied, "OUT_OF_SCOPE")
    );
    let status = endorse(&server, &w.um_key, &draft.name, &draft.etag)
        .await
        .expect_err("unrelated sign");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::PermissionDenied, "OUT_OF_SCOPE")
    );
    // Nor does an officer, for any institution.
    let status = endorse(&server, &w.officer_key, &draft.name, &draft.etag)
        .await
        .expect_err("officer sign");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    unchanged(&server, &w.hku_key, draft.clone()).await;

    // Bad teams: a second PI, a bad ORCID iD, someone from elsewhere, a PI
    // at the partner, no role; each names its field.
    let cases: Vec<(Vec<v1::TeamMember>, Vec<&str>)> = vec![
        (
            vec![
                member("A", PI_ORCID, &w.hku, TeamRole::PrincipalInvestigator),
                member("B", "", &w.hku, TeamRole::PrincipalInvestigator),
            ],
            vec!["application.team[1].role"],
        ),
        (
            vec![member("A", "0000-0002-1825-0098", &w.hku, TeamRole::CoInvestigator)],
            vec!["application.team[0].orcid"],
        ),
        (
            vec![member("A", "", &w.um, TeamRole::CoInvestigator)],
            vec!["application.team[0].institution"],
        ),
        (
            vec![member("A", "", &w.sysu, TeamRole::PrincipalInvestigator)],
            vec!["application.team[0].institution"],
        ),
        (
            vec![member("A", "", &w.hku, TeamRole::Unspecified)],
            vec!["application.team[0].role"],
        ),
        (
            vec![
                member("A", CO_ORCID, &w.hku, TeamRole::CoInvestigator),
                member("B", CO_ORCID, &w.sysu, TeamRole::CoInvestigator),
            ],
            vec!["application.team[1].orcid"],
        ),
    ];
    for (team, fields) in cases {
        let status = set_team(&server, &w.hku_key, &draft, team)
            .await
            .expect_err("a bad team");
        assert_eq!(
            (status.code(), reason(&status).as_str()),
            (Code::InvalidArgument, "INVALID_FIELD")
        );
        assert_eq!(bad_fields(&status), fields, "{status:?}");
    }
    // Dropping the partner while its people are on the team names them.
    let status = server
        .apps(&w.hku_key)
        .update_application(v1::UpdateApplicationRequest {
            application: Some(v1::Application {
                name: draft.name.clone(),
                etag: draft.etag.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["partner_institutions".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("partners dropped under the team");
    assert_eq!(
        bad_fields(&status),
        ["application.team[1].institution", "application.team[2].institution"]
    );
    unchanged(&server, &w.hku_key, draft.clone()).await;

    // Sign-off refusals: no etag, a stale etag, nothing to withdraw.
    let status = endorse(&server, &w.hku_key, &draft.name, "")
        .await
        .expect_err("no etag");
    assert_eq!(
        (status.code(), bad_fields(&status)),
        (Code::InvalidArgument, vec!["etag".to_owned()])
    );
    let status = endorse(&server, &w.hku_key, &draft.name, "999")
        .await
        .expect_err("stale");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::Aborted, "ETAG_MISMATCH")
    );
    let status = server
        .apps(&w.sysu_key)
        .withdraw_endorsement(v1::WithdrawEndorsementRequest {
            name: draft.name.clone(),
            ..Default::default()
        })
        .await
        .expect_err("nothing to withdraw");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::FailedPrecondition, "NOT_ENDORSED")
    );
    unchanged(&server, &w.hku_key, draft.clone()).await;

    // One signature of two: submission names the one missing.
    let signed = endorse(&server, &w.hku_key, &draft.name, &draft.etag)
        .await
        .expect("HKU signs");
    let status = submit(&server, &w.hku_key, &draft.name)
        .await
        .expect_err("SYSU missing");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::FailedPrecondition, "ENDORSEMENTS_MISSING")
    );
    assert!(
        status.message().contains(&w.sysu) && !status.message().contains(&w.hku),
        "{status:?}"
    );
    unchanged(&server, &w.hku_key, signed.clone()).await;

    // The partner withdraws what it gave, and can then sign no more once
    // submitted.
    let both = endorse(&server, &w.sysu_key, &draft.name, &signed.etag)
        .await
        .expect("SYSU signs");
    let withdrawn = server
        .apps(&w.sysu_key)
        .withdraw_endorsement(v1::WithdrawEndorsementRequest {
            name: draft.name.clone(),
            reason: "the budget table is still wrong".into(),
            etag: both.etag.clone(),
            ..Default::default()
        })
        .await
        .expect("withdraw")
        .into_inner()
        .application
        .expect("application");
    assert_eq!(signers(&withdrawn), std::slice::from_ref(&w.hku));
    let again = endorse(&server, &w.sysu_key, &draft.name, &withdrawn.etag)
        .await
        .expect("SYSU again");
    let submitted = submit(&server, &w.hku_key, &draft.name).await.expect("submits");
    let status = endorse(&server, &w.sysu_key, &draft.name, &submitted.etag)
        .await
        .expect_err("submitted");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::FailedPrecondition, "INVALID_STATE")
    );
    let status = set_team(&server, &w.hku_key, &submitted, team(&w))
        .await
        .expect_err("frozen");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::FailedPrecondition, "INVALID_STATE")
    );
    unchanged(&server, &w.hku_key, submitted).await;
    let _ = again;
    server.stop().await;
}

async fn unchanged(server: &TestServer, key: &str, before: v1::Application) {
    let now = get(server, key, &before.name).await.expect("read back");
    assert_eq!(now, before, "a refusal changed the application");
}

async fn an_endorsement_racing_a_content_change_never_signs_unseen_content(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let p = signed_programme(&server, v1::EndorsementRequirement::Partners).await;
    let draft = joint_draft(&server, &w, &p.name).await;
    let (mut signed, mut edited) = (0, 0);
    for round in 0..24 {
        let seen = get(&server, &w.sysu_key, &draft.name).await.expect("read");
        let title = format!("Revision {round}");
        let (endorsed, changed) = tokio::join!(
            endorse(&server, &w.sysu_key, &draft.name, &seen.etag),
            retitle(&server, &w.hku_key, &seen, &title),
        );
        let now = get(&server, &w.hku_key, &draft.name).await.expect("read back");
        match (endorsed, changed) {
            (Ok(_), Err(status)) => {
                assert_eq!(reason(&status), "ETAG_MISMATCH", "{status:?}");
                signed += 1;
                // What was signed is what stands.
                assert_eq!(now.title, seen.title);
                assert_eq!(signers(&now), std::slice::from_ref(&w.sysu));
                assert_eq!(now.endorsements[0].etag, seen.etag);
            }
            (Err(status), Ok(_)) => {
                assert_eq!(
                    (status.code(), reason(&status).as_str()),
                    (Code::Aborted, "ETAG_MISMATCH")
                );
                edited += 1;
                assert_eq!(now.title, title);
                assert!(now.endorsements.is_empty(), "a signature survived a change: {now:?}");
            }
            (e, c) => panic!("exactly one of the two must win: {e:?} / {c:?}"),
        }
        // The edit after a signature clears it.
        if !now.endorsements.is_empty() {
            let after = retitle(&server, &w.hku_key, &now, &format!("After {round}"))
                .await
                .expect("edit");
            assert!(after.endorsements.is_empty());
        }
    }
    assert_eq!(signed + edited, 24);
    eprintln!("endorsement racing an edit ({backend:?}): the endorsement won {signed} of 24 rounds, the edit {edited}");
    server.stop().await;
}

async fn reviewers_on_the_team_are_conflicted(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    configure(&server, &w.programme.name, settings(1))
        .await
        .expect("review settings");
    // A reviewer at the University of Macau (not on the application) whose
    // key names its person, by ORCID iD.
    let reviewer_key = |orcid: &'static str| {
        let (server, w) = (&server, &w);
        async move {
            let issued = server
                .access(&server.admin_key)
                .create_api_key(v1::CreateApiKeyRequest {
                    api_key: Some(v1::ApiKey {
                        role: Role::Reviewer.into(),
                        institution: w.um.clone(),
                        programmes: vec![w.programme.name.clone()],
                        person: Some(v1::Person {
                            display_name: "Prof Reviewer".into(),
                            orcid: orcid.into(),
                        }),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .expect("reviewer key")
                .into_inner();
            (issued.api_key.expect("key").name, issued.secret)
        }
    };
    let (on_team, _) = reviewer_key(CO_ORCID).await;
    let draft = joint_draft(&server, &w, &w.programme.name).await;
    let submitted = submit(&server, &w.hku_key, &draft.name).await.expect("submit");
    let status = assign(&server, &w.officer_key, &draft.name, &on_team)
        .await
        .expect_err("on the team");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::FailedPrecondition, "CONFLICT_OF_INTEREST")
    );
    assert!(status.message().contains(CO_ORCID), "{status:?}");
    assert_eq!(get(&server, &w.hku_key, &draft.name).await.expect("read"), submitted);

    // Assigned before joining the team: refused again at review time.
    let joiner_orcid = "0000-0002-9079-593X";
    let (joiner, joiner_secret) = reviewer_key(joiner_orcid).await;
    let assigned = assign(&server, &w.officer_key, &draft.name, &joiner)
        .await
        .expect("assign");
    let back = request_changes(&server, &w.officer_key, &draft.name, "add the modeller")
        .await
        .expect("request changes");
    let mut grown = team(&w);
    grown.push(member("The Modeller", joiner_orcid, &w.hku, TeamRole::Collaborator));
    set_team(&server, &w.hku_key, &back, grown).await.expect("team grows");
    submit(&server, &w.hku_key, &draft.name).await.expect("resubmit");
    let status = submit_review(&server, &joiner_secret, review(&assigned.name, scores(4, 4, 4)))
        .await
        .expect_err("now on the team");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::FailedPrecondition, "CONFLICT_OF_INTEREST")
    );
    server.stop().await;
}

async fn partners_list_and_watch_their_joint_applications(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let joint = joint_draft(&server, &w, &w.programme.name).await;
    // SYSU's own application, alone.
    let own = server
        .apps(&w.sysu_key)
        .create_application(v1::CreateApplicationRequest {
            parent: w.other_programme.name.clone(),
            application: Some(v1::Application {
                title: "SYSU alone".into(),
                applicant_institution: w.sysu.clone(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("SYSU's own draft")
        .into_inner()
        .application
        .expect("application");
    let list = |key: String, filter: &'static str| {
        let server = &server;
        async move {
            let mut names: Vec<String> = server
                .apps(&key)
                .list_applications(v1::ListApplicationsRequest {
                    parent: "programmes/-".into(),
                    filter: filter.into(),
                    ..Default::default()
                })
                .await
                .expect("list")
                .into_inner()
                .applications
                .into_iter()
                .map(|a| a.name)
                .collect();
            names.sort();
            names
        }
    };
    let mut both = vec![joint.name.clone(), own.name.clone()];
    both.sort();
    assert_eq!(list(w.sysu_key.clone(), "").await, both);
    assert_eq!(
        list(w.sysu_key.clone(), "relation = OWN").await,
        std::slice::from_ref(&own.name)
    );
    assert_eq!(
        list(w.sysu_key.clone(), "relation = partner").await,
        std::slice::from_ref(&joint.name)
    );
    assert_eq!(
        list(w.hku_key.clone(), "relation = PARTNER").await,
        Vec::<String>::new()
    );
    assert_eq!(list(w.um_key.clone(), "").await, Vec::<String>::new());
    let status = server
        .apps(&w.sysu_key)
        .list_applications(v1::ListApplicationsRequest {
            parent: "programmes/-".into(),
            filter: "relation = sibling".into(),
            ..Default::default()
        })
        .await
        .expect_err("an unknown relation");
    assert_eq!(
        (status.code(), bad_fields(&status)),
        (Code::InvalidArgument, vec!["filter".to_owned()])
    );

    // Streams: SYSU as partner gets the joint application's events; UM
    // gets nothing of it.
    let (mut partner, _) = open(
        &mut server.watch(&w.sysu_key),
        v1::WatchApplicationEventsRequest {
            relation: v1::Relation::Partner.into(),
            ..Default::default()
        },
    )
    .await
    .expect("partner stream");
    let (mut unrelated, _) = open(
        &mut server.watch(&w.um_key),
        v1::WatchApplicationEventsRequest::default(),
    )
    .await
    .expect("UM's stream");
    let signed = endorse(&server, &w.sysu_key, &joint.name, &joint.etag)
        .await
        .expect("sign");
    retitle(&server, &w.sysu_key, &own, "SYSU alone, retitled")
        .await
        .expect("own edit");
    let event = loop {
        match tokio::time::timeout(Duration::from_secs(10), next(&mut partner)).await {
            Ok(Ok(Some(v1::watch_application_events_response::Kind::Event(e)))) => break e,
            Ok(Ok(Some(_))) => continue,
            other => panic!("the partner's stream ended or stalled: {other:?}"),
        }
    };
    assert_eq!(event.application, joint.name);
    assert_eq!(event.team_activity.map(|t| t.kind()), Some(Kind::Endorsed));
    assert_eq!(event.snapshot.map(|s| s.etag), Some(signed.etag));
    // UM hears only progress, never the joint application.
    if let Ok(Ok(Some(v1::watch_application_events_response::Kind::Event(e)))) =
        tokio::time::timeout(Duration::from_millis(1_500), next(&mut unrelated)).await
    {
        panic!("an unrelated institution saw {e:?}");
    }
    // History: the partner's view of everything holds the joint events.
    let history = server
        .apps(&w.sysu_key)
        .list_application_events(v1::ListApplicationEventsRequest {
            parent: "programmes/-".into(),
            page_size: 1_000,
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .events;
    assert!(history.iter().any(|e| e.application == joint.name));
    assert!(history.iter().any(|e| e.application == own.name));
    server.stop().await;
}
