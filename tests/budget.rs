//! Budget integrity under concurrency, on every backend: a budget that
//! fits exactly 37 awards, 200 concurrent approvals, 20 times over.

mod common;

use std::sync::Arc;

use common::world::*;
use common::*;
use futures_util::future::join_all;
use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use tonic::Code;

on_every_backend!(concurrent_approvals_never_exceed_the_budget);

const AWARD: i64 = 10_000;
const FITS: usize = 37;
const APPLICATIONS: usize = 200;
const ROUNDS: usize = 20;

async fn round(server: &Arc<TestServer>, applicant: &str, applicant_key: &str) {
    let programme = server
        .open_programme(programme_without_partner(AWARD * FITS as i64, AWARD))
        .await;
    let officer = server.key(Role::Officer, "", &[&programme.name]).await;

    // 200 applications under review, prepared 25 at a time.
    let mut names = Vec::with_capacity(APPLICATIONS);
    for _ in 0..APPLICATIONS / 25 {
        let batch = (0..25).map(|_| {
            let server = server.clone();
            let (programme, applicant, key, officer) = (
                programme.name.clone(),
                applicant.to_owned(),
                applicant_key.to_owned(),
                officer.clone(),
            );
            async move {
                let created = server
                    .apps(&key)
                    .create_application(v1::CreateApplicationRequest {
                        parent: programme,
                        application: Some(application(&applicant, &[], AWARD)),
                        request_id: String::new(),
                    })
                    .await
                    .expect("create")
                    .into_inner()
                    .application
                    .expect("application");
                submit(&server, &key, &created.name).await.expect("submit");
                start_review(&server, &officer, &created.name).await.expect("review");
                created.name
            }
        });
        names.extend(join_all(batch).await);
    }

    // All 200 approvals at once.
    let approvals = names.iter().map(|name| {
        let mut client = server.reviews(&officer);
        let name = name.clone();
        tokio::spawn(async move {
            client
                .approve_application(v1::ApproveApplicationRequest {
                    awarded_resource: None,
                    name,
                    awarded_amount: Some(money("CNY", AWARD, 0)),
                    reason: String::new(),
                    request_id: String::new(),
                    override_incomplete_reviews: false,
                    schedule: None,
                })
                .await
        })
    });
    let (mut ok, mut exceeded) = (0, 0);
    let mut award_numbers = Vec::new();
    for result in join_all(approvals).await {
        match result.expect("task") {
            Ok(r) => {
                ok += 1;
                award_numbers.push(r.into_inner().application.unwrap_or_default().award_number);
            }
            Err(status) => {
                assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                assert_eq!(reason(&status), "BUDGET_EXCEEDED");
                exceeded += 1;
            }
        }
    }
    assert_eq!((ok, exceeded), (FITS, APPLICATIONS - FITS));
    assert_eq!(
        committed(server, &programme.name).await,
        money("CNY", AWARD * FITS as i64, 0)
    );
    award_numbers.sort();
    award_numbers.dedup();
    assert_eq!(award_numbers.len(), FITS, "award numbers are unique");

    let approved = server
        .apps(&officer)
        .list_applications(v1::ListApplicationsRequest {
            parent: programme.name.clone(),
            filter: "state = APPROVED".into(),
            page_size: 1_000,
            page_token: String::new(),
        })
        .await
        .expect("list")
        .into_inner()
        .applications;
    assert_eq!(approved.len(), FITS);
}

async fn concurrent_approvals_never_exceed_the_budget(backend: Backend) {
    let server = Arc::new(TestServer::start(backend).await);
    let applicant = server
        .register("City University of Hong Kong", "香港城市大學", v1::Region::HongKong)
        .await;
    let key = server.key(Role::Applicant, &applicant, &[]).await;
    for _ in 0..ROUNDS {
        round(&server, &applicant, &key).await;
    }
}
