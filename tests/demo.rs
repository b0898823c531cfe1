//! `gba-grants demo`, on every backend: the picture it paints matches the
//! public figure it is modelled on (more than 300 million yuan awarded to
//! projects of more than ten Hong Kong and Macao universities and
//! institutes), covers every state, pays in HKD and MOP, and a second run
//! adds nothing; its live mode never brings the figure down.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use common::*;
use gba_grants::demo::Demo;
use gba_grants::domain::Grants;
use gba_grants::jobs::Jobs;
use gba_grants::proto::v1;
use gba_grants::store::{Db, DbOptions};

on_every_backend!(the_demo_paints_the_bay_area_once, live_mode_keeps_the_public_figure,);

async fn fill(url: &str) -> String {
    let jobs = Jobs::new();
    let db = Db::connect(&DbOptions::new(url), &jobs).await.expect("connect");
    let demo = Demo::new(Grants::new(db.store())).await.expect("demo key");
    let filled = demo.fill().await.expect("fill");
    jobs.stop(Duration::from_secs(2)).await;
    db.close().await;
    filled.viewer_secret
}

async fn the_demo_paints_the_bay_area_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let url = db.url.clone();
    fill(&url).await;
    let viewer = fill(&url).await; // the second run replays
    let server = TestServer::start_on(db).await;
    assert!(viewer.starts_with("gbk_"), "a fresh viewer key each run");

    let institutions: HashMap<String, i32> = server
        .institutions(&viewer)
        .list_institutions(v1::ListInstitutionsRequest {
            page_size: 1_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .institutions
        .into_iter()
        .map(|i| (i.name, i.region))
        .collect();
    assert_eq!(institutions.len(), 16, "no institution twice");
    let programmes = server
        .programmes(&viewer)
        .list_programmes(v1::ListProgrammesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .programmes;
    assert_eq!(programmes.len(), 4, "two money programmes and two facilities");
    let apps = server
        .apps(&viewer)
        .list_applications(v1::ListApplicationsRequest {
            parent: "programmes/-".into(),
            page_size: 1_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .applications;
    let (apps, facility_apps): (Vec<v1::Application>, Vec<v1::Application>) =
        apps.into_iter().partition(|a| a.requested_resource.is_none());
    assert_eq!(apps.len(), 22, "no application twice");
    assert_eq!(facility_apps.len(), 320 + 230, "no facility application twice");
    facility_figures(&server, &viewer, &programmes, &facility_apps, &institutions).await;
    let states: BTreeSet<i32> = apps.iter().map(|a| a.state).collect();
    assert_eq!(states.len(), 9, "every state of the lifecycle: {states:?}");
    for a in &apps {
        let pi = a.principal_investigator.as_ref().map(|p| p.email.as_str());
        assert_eq!(pi, Some(""), "viewers never see e-mails");
    }

    // The public figure: > 300 million yuan awarded to projects of more
    // than ten Hong Kong and Macao universities and institutes.
    let hk_or_macao = |i: &str| {
        institutions
            .get(i)
            .is_some_and(|r| *r == v1::Region::HongKong as i32 || *r == v1::Region::Macao as i32)
    };
    let awarded_cny: Vec<&v1::Application> = apps
        .iter()
        .filter(|a| a.awarded_amount.as_ref().is_some_and(|m| m.currency_code == "CNY"))
        .filter(|a| hk_or_macao(&a.applicant_institution))
        .collect();
    let yuan: i64 = awarded_cny
        .iter()
        .map(|a| a.awarded_amount.as_ref().map_or(0, |m| m.units))
        .sum();
    assert!(yuan > 300_000_000, "awarded {yuan} yuan");
    let awardees: BTreeSet<&str> = awarded_cny.iter().map(|a| a.applicant_institution.as_str()).collect();
    assert!(awardees.len() > 10, "{} awardees", awardees.len());

    // Payments reach Hong Kong in HKD and Macao in MOP.
    let mut payee_currencies = BTreeSet::new();
    for a in apps
        .iter()
        .filter(|a| a.disbursed_amount.as_ref().is_some_and(|m| m.units > 0))
    {
        let paid = server
            .awards(&viewer)
            .list_disbursements(v1::ListDisbursementsRequest {
                parent: a.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .disbursements;
        payee_currencies.extend(paid.into_iter().filter_map(|d| d.payee_amount.map(|m| m.currency_code)));
    }
    assert_eq!(payee_currencies, BTreeSet::from(["HKD".to_owned(), "MOP".to_owned()]));

    // The dashboard's summary agrees: money by region, awards counted.
    let provincial = programmes
        .iter()
        .find(|p| p.currency_code == "CNY")
        .expect("the provincial programme");
    let mut stream = server
        .watch(&viewer)
        .watch_programme_summary(v1::WatchProgrammeSummaryRequest {
            programmes: vec![provincial.name.clone()],
        })
        .await
        .unwrap()
        .into_inner();
    let summary = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("a summary")
        .unwrap()
        .unwrap()
        .summary
        .unwrap();
    assert_eq!(summary.award_count, 12);
    let regions: BTreeSet<i32> = summary.region_totals.iter().map(|r| r.region).collect();
    assert_eq!(
        regions,
        BTreeSet::from([v1::Region::HongKong as i32, v1::Region::Macao as i32])
    );
}

/// The facilities' public figures: a CSNS cycle of a few hundred
/// proposals with more than 10 % of its projects from Hong Kong and Macao,
/// and NSCC-GZ core-hours reaching more than 200 Hong Kong and Macao
/// investigators; each programme's summary in its unit.
async fn facility_figures(
    server: &TestServer,
    viewer: &str,
    programmes: &[v1::Programme],
    apps: &[v1::Application],
    regions: &HashMap<String, i32>,
) {
    let unit_of = |p: &v1::Programme| p.facility.as_ref().map(|f| f.unit.clone()).unwrap_or_default();
    let csns = programmes
        .iter()
        .find(|p| unit_of(p) == "beam-h")
        .expect("the CSNS cycle");
    let nscc = programmes
        .iter()
        .find(|p| unit_of(p) == "core-h")
        .expect("the NSCC-GZ programme");
    let cross_border = |a: &v1::Application| {
        regions
            .get(&a.applicant_institution)
            .is_some_and(|r| *r == v1::Region::HongKong as i32 || *r == v1::Region::Macao as i32)
    };
    let awarded = |a: &v1::Application| a.awarded_resource.as_ref().is_some_and(|r| r.steps > 0);
    let of = |p: &v1::Programme| -> Vec<&v1::Application> {
        let prefix = format!("{}/", p.name);
        apps.iter().filter(|a| a.name.starts_with(&prefix)).collect()
    };
    let proposals = of(csns);
    assert!(proposals.len() >= 200, "a few hundred proposals: {}", proposals.len());
    let projects: Vec<&&v1::Application> = proposals.iter().filter(|a| awarded(a)).collect();
    let from_hk_macao = projects.iter().filter(|a| cross_border(a)).count();
    assert!(
        from_hk_macao * 10 > projects.len(),
        "{from_hk_macao} of {} CSNS projects from Hong Kong and Macao",
        projects.len()
    );
    let investigators: BTreeSet<String> = of(nscc)
        .into_iter()
        .filter(|a| awarded(a))
        .filter(|a| cross_border(a))
        .filter_map(|a| a.principal_investigator.as_ref().map(|p| p.name.clone()))
        .collect();
    assert!(
        investigators.len() > 200,
        "{} NSCC-GZ investigators",
        investigators.len()
    );

    for (programme, unit) in [(csns, "beam-h"), (nscc, "core-h")] {
        let mut stream = server
            .watch(viewer)
            .watch_programme_summary(v1::WatchProgrammeSummaryRequest {
                programmes: vec![programme.name.clone()],
            })
            .await
            .unwrap()
            .into_inner();
        let summary = tokio::time::timeout(Duration::from_secs(10), stream.message())
            .await
            .expect("a summary")
            .unwrap()
            .unwrap()
            .summary
            .unwrap();
        assert!(summary.committed.is_none(), "no money in a facility summary");
        let allocated = summary.allocated.expect("allocated");
        let used = summary.used.expect("used");
        let capacity = summary.capacity.expect("capacity");
        assert_eq!((allocated.unit.as_str(), used.unit.as_str()), (unit, unit));
        assert!(0 < used.steps && used.steps < allocated.steps && allocated.steps < capacity.steps);
        let awarded: i64 = of(programme)
            .into_iter()
            .filter(|a| awarded(a))
            .map(|a| {
                let closed = a.state == v1::application::State::Closed as i32;
                let counted = if closed { &a.used_resource } else { &a.awarded_resource };
                counted.as_ref().map_or(0, |r| r.steps)
            })
            .sum();
        assert_eq!(
            awarded, allocated.steps,
            "the summary adds up the allocations to the step"
        );
    }
}

/// The page's figure: money committed to Hong Kong and Macao institutions
/// by the provincial programme (yuan), and how many of them hold an award
/// that still counts (approved, active, or closed after payment).
async fn public_figure(server: &TestServer, viewer: &str) -> (i64, usize) {
    let provincial = server
        .programmes(viewer)
        .list_programmes(v1::ListProgrammesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .programmes
        .into_iter()
        .find(|p| p.currency_code == "CNY")
        .expect("the provincial programme");
    let mut stream = server
        .watch(viewer)
        .watch_programme_summary(v1::WatchProgrammeSummaryRequest {
            programmes: vec![provincial.name.clone()],
        })
        .await
        .unwrap()
        .into_inner();
    let summary = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("a summary")
        .unwrap()
        .unwrap()
        .summary
        .unwrap();
    let cross_border = [v1::Region::HongKong as i32, v1::Region::Macao as i32];
    let yuan = summary
        .region_totals
        .iter()
        .filter(|r| cross_border.contains(&r.region))
        .map(|r| r.committed.as_ref().map_or(0, |m| m.units))
        .sum();
    let regions: HashMap<String, i32> = server
        .institutions(viewer)
        .list_institutions(v1::ListInstitutionsRequest {
            page_size: 1_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .institutions
        .into_iter()
        .map(|i| (i.name, i.region))
        .collect();
    let holding = [
        v1::application::State::Approved as i32,
        v1::application::State::Active as i32,
        v1::application::State::Closed as i32,
    ];
    let awardees: BTreeSet<String> = server
        .apps(viewer)
        .list_applications(v1::ListApplicationsRequest {
            parent: provincial.name.clone(),
            page_size: 1_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .applications
        .into_iter()
        .filter(|a| holding.contains(&a.state))
        .filter(|a| {
            // A closed grant counts for what was paid of it.
            let counted = if a.state == v1::application::State::Closed as i32 {
                a.disbursed_amount.as_ref()
            } else {
                a.awarded_amount.as_ref()
            };
            counted.is_some_and(|m| m.units > 0)
        })
        .filter(|a| {
            regions
                .get(&a.applicant_institution)
                .is_some_and(|r| cross_border.contains(r))
        })
        .map(|a| a.applicant_institution)
        .collect();
    (yuan, awardees.len())
}

async fn live_mode_keeps_the_public_figure(backend: Backend) {
    let db = TestDb::new(backend).await;
    let url = db.url.clone();
    let viewer = fill(&url).await;
    let server = TestServer::start_on(db).await;
    let closed_before = closed(&server, &viewer).await;
    let (before, awardees_before) = public_figure(&server, &viewer).await;
    assert!(before > 300_000_000, "the demo starts above the figure: {before} yuan");
    assert!(awardees_before >= 10, "{awardees_before} awardees at the start");

    // Many steps of live mode: submissions, reviews, decisions, payments
    // and closings, far more than a page would see in a sitting.
    let jobs = Jobs::new();
    let db = Db::connect(&DbOptions::new(&url), &jobs).await.expect("connect");
    let demo = Demo::new(Grants::new(db.store())).await.expect("demo key");
    let steps = gba_grants::demo::live(
        &demo,
        Duration::from_millis(2),
        tokio::time::sleep(Duration::from_secs(6)),
    )
    .await
    .expect("live");
    jobs.stop(Duration::from_secs(2)).await;
    db.close().await;
    assert!(steps >= 100, "only {steps} steps were taken");

    // Grants it closed were paid in full first: closing released nothing.
    let newly_closed: Vec<v1::Application> = closed(&server, &viewer)
        .await
        .into_iter()
        .filter(|a| !closed_before.iter().any(|b| b.name == a.name))
        .collect();
    assert!(!newly_closed.is_empty(), "live mode closed no grant in {steps} steps");
    for a in &newly_closed {
        assert_eq!(
            a.disbursed_amount, a.awarded_amount,
            "{} was closed before it was paid in full",
            a.name
        );
    }

    let (after, awardees_after) = public_figure(&server, &viewer).await;
    assert!(after > 300_000_000, "{after} yuan after {steps} live steps");
    assert!(
        after >= before,
        "live mode lowered the figure from {before} to {after} yuan"
    );
    assert!(
        awardees_after >= 10,
        "{awardees_after} awardees after {steps} live steps"
    );
}

/// The closed grants, as a viewer reads them.
async fn closed(server: &TestServer, viewer: &str) -> Vec<v1::Application> {
    server
        .apps(viewer)
        .list_applications(v1::ListApplicationsRequest {
            parent: "programmes/-".into(),
            page_size: 1_000,
            filter: "state = CLOSED".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .applications
}
