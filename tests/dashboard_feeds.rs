//! What a dashboard is fed, on every backend: programme summaries with the
//! money by applicant region, and history listed by programme, institution
//! or everything visible, from which a watch resumes with no gap.

mod common;

use std::time::Duration;

use common::watching::*;
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use gba_grants::proto::v1::watch_application_events_response::Kind;
use tokio::time::timeout;
use tonic::Code;

on_every_backend!(
    summaries_split_money_and_awards_by_applicant_region,
    history_lists_by_programme_institution_or_everything_visible,
    a_summary_stream_with_nothing_in_scope_stays_open,
);

async fn a_summary_stream_with_nothing_in_scope_stays_open(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start_with(db, |s| s.hub.progress_interval = Duration::from_millis(200)).await;
    // No programme exists yet: nothing to summarise, but no end either.
    let mut stream = server
        .watch(&server.admin_key)
        .watch_programme_summary(v1::WatchProgrammeSummaryRequest::default())
        .await
        .unwrap()
        .into_inner();
    let quiet = timeout(Duration::from_millis(500), stream.message()).await;
    assert!(quiet.is_err(), "the stream stays open and quiet: {quiet:?}");
    // A programme created later joins a stream of "everything visible".
    let created = server.open_programme(programme(1_000_000, 100_000)).await;
    let summary = timeout(Duration::from_secs(5), stream.message())
        .await
        .expect("the new programme's summary arrives")
        .unwrap()
        .unwrap()
        .summary
        .unwrap();
    assert_eq!(summary.programme, created.name);
}

/// A draft by the University of Macau, partnered with SYSU.
async fn um_draft(server: &TestServer, w: &World, requested: i64) -> v1::Application {
    server
        .apps(&w.um_key)
        .create_application(v1::CreateApplicationRequest {
            parent: w.programme.name.clone(),
            application: Some(application(&w.um, &[&w.sysu], requested)),
            request_id: String::new(),
        })
        .await
        .expect("create UM draft")
        .into_inner()
        .application
        .expect("application")
}

fn region_of(summary: &v1::ProgrammeSummary, region: v1::Region) -> Option<&v1::RegionTotals> {
    summary.region_totals.iter().find(|r| r.region == region as i32)
}

async fn summaries_split_money_and_awards_by_applicant_region(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;

    // Hong Kong: one grant paid in part and still running, one paid and
    // closed (the unpaid rest released).
    let active = w.approved(&server, 200_000, 150_000).await;
    disburse(
        &server,
        &w.officer_key,
        &active.name,
        payment(50_000, 54_210, 0, "1.0842"),
        "",
    )
    .await
    .unwrap();
    let closed = w.approved(&server, 120_000, 100_000).await;
    disburse(
        &server,
        &w.officer_key,
        &closed.name,
        payment(40_000, 43_368, 0, "1.0842"),
        "",
    )
    .await
    .unwrap();
    close(&server, &w.officer_key, &closed.name).await.unwrap();
    // Macao: one submitted, one approved then rescinded (never paid), one
    // draft (not counted as requested).
    let submitted = um_draft(&server, &w, 300_000).await;
    submit(&server, &w.um_key, &submitted.name).await.unwrap();
    let rescinded = um_draft(&server, &w, 100_000).await;
    submit(&server, &w.um_key, &rescinded.name).await.unwrap();
    start_review(&server, &w.officer_key, &rescinded.name).await.unwrap();
    approve(&server, &w.officer_key, &rescinded.name, 80_000, "")
        .await
        .unwrap();
    close(&server, &w.officer_key, &rescinded.name).await.unwrap();
    um_draft(&server, &w, 999_000).await;

    let mut stream = server
        .watch(&w.viewer_key)
        .watch_programme_summary(v1::WatchProgrammeSummaryRequest {
            programmes: vec![w.programme.name.clone()],
        })
        .await
        .unwrap()
        .into_inner();
    let summary = timeout(Duration::from_secs(10), async {
        loop {
            let s = stream.message().await.unwrap().unwrap().summary.unwrap();
            if s.award_count == 2 && s.region_totals.len() == 2 {
                return s;
            }
        }
    })
    .await
    .expect("a summary with both regions' awards");

    let hk = region_of(&summary, v1::Region::HongKong).expect("Hong Kong totals");
    assert_eq!(hk.requested, Some(money("CNY", 320_000, 0)));
    assert_eq!(
        hk.committed,
        Some(money("CNY", 190_000, 0)),
        "150,000 running + 40,000 paid of the closed one"
    );
    assert_eq!(hk.disbursed, Some(money("CNY", 90_000, 0)));
    assert_eq!(hk.award_count, 2);
    let mo = region_of(&summary, v1::Region::Macao).expect("Macao totals");
    assert_eq!(mo.requested, Some(money("CNY", 400_000, 0)), "drafts are not requests");
    assert_eq!(
        mo.committed,
        Some(money("CNY", 0, 0)),
        "a rescinded award commits nothing"
    );
    assert_eq!(mo.disbursed, Some(money("CNY", 0, 0)));
    assert_eq!(mo.award_count, 0);
    assert!(
        region_of(&summary, v1::Region::Guangdong).is_none(),
        "no Guangdong applicant"
    );
    // The regions add up to the programme's own figures.
    assert_eq!(summary.committed, Some(money("CNY", 190_000, 0)));
    assert_eq!(committed(&server, &w.programme.name).await, money("CNY", 190_000, 0));
    assert_eq!(summary.requested, Some(money("CNY", 720_000, 0)));
    assert_eq!(summary.disbursed, Some(money("CNY", 90_000, 0)));
    assert_eq!(summary.remaining_budget, Some(money("CNY", 10_000_000 - 190_000, 0)));
}

/// Every event of `parent` visible to `key`, a page of 2 at a time.
async fn history(server: &TestServer, key: &str, parent: &str) -> Result<Vec<v1::ApplicationEvent>, tonic::Status> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let page = server
            .apps(key)
            .list_application_events(v1::ListApplicationEventsRequest {
                parent: parent.into(),
                page_size: 2,
                page_token: token,
            })
            .await?
            .into_inner();
        out.extend(page.events);
        if page.next_page_token.is_empty() {
            return Ok(out);
        }
        token = page.next_page_token;
    }
}

fn applications(events: &[v1::ApplicationEvent]) -> Vec<(String, i32)> {
    events.iter().map(|e| (e.application.clone(), e.new_state)).collect()
}

async fn history_lists_by_programme_institution_or_everything_visible(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let hku_submitted = w.submitted(&server, 100_000).await; // 2 events
    let um = um_draft(&server, &w, 200_000).await; // 1 event
    let hku_other = server
        .apps(&w.hku_key)
        .create_application(v1::CreateApplicationRequest {
            parent: w.other_programme.name.clone(),
            application: Some(application(&w.hku, &[], 50_000)),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap(); // 1 event, another programme

    // The officer of the main programme: its three events, oldest first.
    let programme = history(&server, &w.officer_key, &w.programme.name).await.unwrap();
    let draft = state(State::Draft);
    assert_eq!(
        applications(&programme),
        vec![
            (hku_submitted.name.clone(), draft),
            (hku_submitted.name.clone(), state(State::Submitted)),
            (um.name.clone(), draft),
        ]
    );
    assert!(programme.windows(2).all(|p| seq(&p[0].cursor) < seq(&p[1].cursor)));
    // Everything the officer may see is the same three; another programme
    // is out of scope.
    let everything = history(&server, &w.officer_key, "programmes/-").await.unwrap();
    assert_eq!(applications(&everything), applications(&programme));
    let denied = history(&server, &w.officer_key, &w.other_programme.name)
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);

    // An applicant: its own institution, across programmes; never another's.
    let own = history(&server, &w.hku_key, &w.hku).await.unwrap();
    assert_eq!(
        applications(&own),
        vec![
            (hku_submitted.name.clone(), draft),
            (hku_submitted.name.clone(), state(State::Submitted)),
            (hku_other.name.clone(), draft),
        ]
    );
    assert_eq!(
        applications(&history(&server, &w.hku_key, "programmes/-").await.unwrap()),
        applications(&own)
    );
    assert_eq!(
        history(&server, &w.hku_key, &w.programme.name).await.unwrap().len(),
        2,
        "in a programme, only its own applications"
    );
    let denied = history(&server, &w.hku_key, &w.um).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);

    // A viewer sees the programme without investigator e-mails.
    let viewed = history(&server, &w.viewer_key, &w.programme.name).await.unwrap();
    assert_eq!(viewed.len(), 3);
    for e in &viewed {
        let pi = e.snapshot.as_ref().and_then(|a| a.principal_investigator.as_ref());
        assert_eq!(pi.map(|p| p.email.as_str()), Some(""), "redacted for viewers");
    }

    // A parent that is none of the accepted shapes names the field.
    let bad = history(&server, &w.officer_key, "funders/x").await.unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&bad), vec!["parent".to_owned()]);

    // History, then live from the last cursor listed: exactly what came after.
    let last = programme.last().unwrap().cursor.clone();
    let mut stream = server
        .watch(&w.officer_key)
        .watch_application_events(v1::WatchApplicationEventsRequest {
            programme: w.programme.name.clone(),
            cursor: last.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    submit(&server, &w.um_key, &um.name).await.unwrap();
    let next_event = timeout(Duration::from_secs(10), async {
        loop {
            if let Some(Kind::Event(e)) = next(&mut stream).await.unwrap() {
                return e;
            }
        }
    })
    .await
    .expect("the next event arrives");
    assert_eq!(next_event.application, um.name);
    assert_eq!(next_event.new_state, state(State::Submitted));
    assert!(seq(&next_event.cursor) > seq(&last));
}
