//! Table-driven authorization: every method that exists × every role ×
//! own / foreign / nonexistent object, asserting the status code and that
//! lists never show what the caller may not see.

mod common;

use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use tonic::{Code, Status};

on_every_backend!(every_method_times_every_role);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    Officer,
    Applicant,
    Viewer,
    ViewerAll,
    Reviewer,
    Anonymous,
}

const EVERYONE: [Who; 7] = [
    Who::Admin,
    Who::Officer,
    Who::Applicant,
    Who::Viewer,
    Who::ViewerAll,
    Who::Reviewer,
    Who::Anonymous,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Own,
    Foreign,
    Missing,
}

struct Fixture {
    keys: Vec<(Who, String)>,
    own: v1::Programme,
    foreign: v1::Programme,
    institution: String,
    spare_key: String,
}

async fn issue(server: &TestServer, key: v1::ApiKey) -> v1::CreateApiKeyResponse {
    server
        .access(&server.admin_key)
        .create_api_key(v1::CreateApiKeyRequest {
            api_key: Some(key),
            request_id: String::new(),
        })
        .await
        .expect("issue key")
        .into_inner()
}

async fn fixture(server: &TestServer) -> Fixture {
    let make = |p: v1::Programme| async move {
        server
            .programmes(&server.admin_key)
            .create_programme(v1::CreateProgrammeRequest {
                programme: Some(p),
                request_id: String::new(),
            })
            .await
            .expect("create programme")
            .into_inner()
            .programme
            .expect("programme")
    };
    let own = make(programme(1_000_000, 100_000)).await;
    let foreign = make(programme(2_000_000, 100_000)).await;
    let institution = server
        .institutions(&server.admin_key)
        .create_institution(v1::CreateInstitutionRequest {
            institution: Some(institution("HKBU", "香港浸會大學", v1::Region::HongKong, "")),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .institution
        .unwrap()
        .name;
    let officer = issue(
        server,
        v1::ApiKey {
            role: Role::Officer.into(),
            programmes: vec![own.name.clone()],
            institution: institution.clone(),
            ..Default::default()
        },
    )
    .await;
    let applicant = issue(
        server,
        v1::ApiKey {
            role: Role::Applicant.into(),
            institution: institution.clone(),
            ..Default::default()
        },
    )
    .await;
    let viewer = issue(
        server,
        v1::ApiKey {
            role: Role::Viewer.into(),
            programmes: vec![own.name.clone()],
            ..Default::default()
        },
    )
    .await;
    let viewer_all = issue(
        server,
        v1::ApiKey {
            role: Role::Viewer.into(),
            all_programmes: true,
            ..Default::default()
        },
    )
    .await;
    let reviewer = issue(
        server,
        v1::ApiKey {
            role: Role::Reviewer.into(),
            programmes: vec![own.name.clone()],
            institution: institution.clone(),
            ..Default::default()
        },
    )
    .await;
    let spare = issue(
        server,
        v1::ApiKey {
            role: Role::Viewer.into(),
            all_programmes: true,
            ..Default::default()
        },
    )
    .await;
    Fixture {
        keys: vec![
            (Who::Admin, server.admin_key.clone()),
            (Who::Officer, officer.secret),
            (Who::Applicant, applicant.secret),
            (Who::Viewer, viewer.secret),
            (Who::ViewerAll, viewer_all.secret),
            (Who::Reviewer, reviewer.secret),
            (Who::Anonymous, String::new()),
        ],
        own,
        foreign,
        institution,
        spare_key: spare.api_key.unwrap().name,
    }
}

fn programme_name(f: &Fixture, target: Target) -> String {
    match target {
        Target::Own => f.own.name.clone(),
        Target::Foreign => f.foreign.name.clone(),
        Target::Missing => "programmes/does-not-exist".into(),
    }
}

/// Calls `method` as `key`; returns the programme names a list showed.
async fn call(
    server: &TestServer,
    f: &Fixture,
    key: &str,
    method: &str,
    target: Target,
) -> Result<Vec<String>, Status> {
    let mut institutions = server.institutions(key);
    let mut programmes = server.programmes(key);
    let mut access = server.access(key);
    let none = Vec::new;
    match method {
        "CreateInstitution" => institutions
            .create_institution(v1::CreateInstitutionRequest {
                institution: Some(institution("CityU", "香港城市大學", v1::Region::HongKong, "")),
                request_id: String::new(),
            })
            .await
            .map(|_| none()),
        "GetInstitution" => institutions
            .get_institution(v1::GetInstitutionRequest {
                name: f.institution.clone(),
            })
            .await
            .map(|_| none()),
        "ListInstitutions" => institutions
            .list_institutions(v1::ListInstitutionsRequest::default())
            .await
            .map(|_| none()),
        "CreateProgramme" => programmes
            .create_programme(v1::CreateProgrammeRequest {
                programme: Some(programme(10, 1)),
                request_id: String::new(),
            })
            .await
            .map(|_| none()),
        "GetProgramme" => programmes
            .get_programme(v1::GetProgrammeRequest {
                name: programme_name(f, target),
            })
            .await
            .map(|_| none()),
        "ListProgrammes" => programmes
            .list_programmes(v1::ListProgrammesRequest::default())
            .await
            .map(|r| r.into_inner().programmes.into_iter().map(|p| p.name).collect()),
        "UpdateProgramme" => {
            let mut p = if target == Target::Foreign {
                f.foreign.clone()
            } else {
                f.own.clone()
            };
            p.name = programme_name(f, target);
            p.funder = format!("changed by {key:.12}");
            // Read the current etag as admin, so only authorization can fail.
            if target != Target::Missing {
                let current = server
                    .programmes(&server.admin_key)
                    .get_programme(v1::GetProgrammeRequest { name: p.name.clone() })
                    .await?
                    .into_inner()
                    .programme
                    .unwrap_or_default();
                p.etag = current.etag;
            }
            programmes
                .update_programme(v1::UpdateProgrammeRequest {
                    programme: Some(p),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["funder".into()],
                    }),
                    request_id: String::new(),
                })
                .await
                .map(|_| none())
        }
        "CreateApiKey" => access
            .create_api_key(v1::CreateApiKeyRequest {
                api_key: Some(v1::ApiKey {
                    role: Role::Viewer.into(),
                    all_programmes: true,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .map(|_| none()),
        "ListApiKeys" => access
            .list_api_keys(v1::ListApiKeysRequest::default())
            .await
            .map(|_| none()),
        "RevokeApiKey" => access
            .revoke_api_key(v1::RevokeApiKeyRequest {
                name: f.spare_key.clone(),
                request_id: String::new(),
            })
            .await
            .map(|_| none()),
        other => panic!("no call for {other}"),
    }
}

/// The expected code of `method` for `who` on `target`.
fn expected(method: &str, who: Who, target: Target) -> Code {
    use Code::*;
    if who == Who::Anonymous {
        return Unauthenticated;
    }
    let admin_only = |who| {
        if who == Who::Admin { Ok } else { PermissionDenied }
    };
    match method {
        "CreateInstitution" | "CreateProgramme" | "CreateApiKey" | "ListApiKeys" | "RevokeApiKey" => admin_only(who),
        "GetInstitution" | "ListInstitutions" | "ListProgrammes" => Ok,
        "GetProgramme" => match (who, target) {
            (Who::Officer | Who::Viewer | Who::Reviewer, Target::Own) => Ok,
            (Who::Officer | Who::Viewer | Who::Reviewer, _) => PermissionDenied,
            (_, Target::Missing) => NotFound,
            _ => Ok,
        },
        "UpdateProgramme" => match (who, target) {
            (Who::Admin, Target::Missing) => NotFound,
            (who, _) => admin_only(who),
        },
        other => panic!("no expectation for {other}"),
    }
}

const METHODS: [&str; 10] = [
    "CreateInstitution",
    "GetInstitution",
    "ListInstitutions",
    "CreateProgramme",
    "GetProgramme",
    "ListProgrammes",
    "UpdateProgramme",
    "CreateApiKey",
    "ListApiKeys",
    "RevokeApiKey",
];

async fn every_method_times_every_role(backend: Backend) {
    let server = TestServer::start(backend).await;
    let f = fixture(&server).await;
    let mut checked = 0;
    for method in METHODS {
        for who in EVERYONE {
            let key = &f.keys.iter().find(|(w, _)| *w == who).expect("key").1;
            for target in [Target::Own, Target::Foreign, Target::Missing] {
                let want = expected(method, who, target);
                let got = call(&server, &f, key, method, target).await;
                let code = got.as_ref().map_or_else(|s| s.code(), |_| Code::Ok);
                assert_eq!(code, want, "{method} as {who:?} on {target:?}: {got:?}");
                if method == "ListProgrammes"
                    && let Ok(names) = got
                {
                    let sees_foreign = names.contains(&f.foreign.name);
                    let may = !matches!(who, Who::Officer | Who::Viewer | Who::Reviewer);
                    assert_eq!(sees_foreign, may, "{who:?} list shows {names:?}");
                    assert!(names.contains(&f.own.name));
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, METHODS.len() * EVERYONE.len() * 3);

    // The streams: every role may watch events (within its scope;
    // reviewers one assigned application at a time); programme-wide
    // summaries are not for applicants or reviewers.
    use gba_grants::proto::v1::watch_service_client::WatchServiceClient;
    for (who, key) in &f.keys {
        let mut watch = WatchServiceClient::with_interceptor(server.channel.clone(), Bearer::new(key));
        let events = watch
            .watch_application_events(v1::WatchApplicationEventsRequest::default())
            .await
            .map(drop);
        let summary = watch
            .watch_programme_summary(v1::WatchProgrammeSummaryRequest::default())
            .await
            .map(drop);
        let code = |r: &Result<(), Status>| r.as_ref().map_or_else(|s| s.code(), |_| Code::Ok);
        let (want_events, want_summary) = match who {
            Who::Anonymous => (Code::Unauthenticated, Code::Unauthenticated),
            Who::Applicant => (Code::Ok, Code::PermissionDenied),
            Who::Reviewer => (Code::PermissionDenied, Code::PermissionDenied),
            _ => (Code::Ok, Code::Ok),
        };
        assert_eq!(code(&events), want_events, "WatchApplicationEvents as {who:?}");
        assert_eq!(code(&summary), want_summary, "WatchProgrammeSummary as {who:?}");
    }
    server.stop().await;
}
