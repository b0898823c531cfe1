//! After the award, on every backend: a three-tranche CNY award to the
//! University of Macau paid in MOP, tranche 2 held until the interim
//! report is accepted (a returned report resubmitted first), the final
//! report accepted and the grant closed COMPLETED; a second grant closed
//! TERMINATED with its remainder released to the cent; every refusal with
//! its code, reason and field, and nothing changed; reports past due
//! marked OVERDUE once each, with three servers on one database.

mod common;

use std::time::Duration;

use common::documents::{pdf, upload};
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::report_activity::Kind;
use gba_grants::proto::v1::report_service_client::ReportServiceClient;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

on_every_backend!(
    a_three_tranche_award_paid_in_mop_closes_completed,
    a_grant_without_its_final_report_closes_terminated_to_the_cent,
    reports_past_due_are_marked_overdue_once_by_one_of_three_servers,
);

type Reports = ReportServiceClient<InterceptedService<Channel, Bearer>>;

fn reports(server: &TestServer, key: &str) -> Reports {
    ReportServiceClient::with_interceptor(server.channel.clone(), Bearer::new(key))
}

fn tranche(units: i64, nanos: i32, after_report: i32) -> v1::Tranche {
    v1::Tranche {
        amount: Some(money("CNY", units, nanos)),
        after_report,
        ..Default::default()
    }
}

fn due(kind: v1::ReportKind, seconds_from_now: i64) -> v1::ReportDue {
    v1::ReportDue {
        kind: kind.into(),
        due_time: Some(ts(now_seconds() + seconds_from_now)),
        ..Default::default()
    }
}

/// A UM application partnered with SYSU, under review.
async fn um_under_review(server: &TestServer, w: &World, requested: i64) -> v1::Application {
    let draft = server
        .apps(&w.um_key)
        .create_application(v1::CreateApplicationRequest {
            parent: w.programme.name.clone(),
            application: Some(application(&w.um, &[&w.sysu], requested)),
            request_id: String::new(),
        })
        .await
        .expect("create the UM draft")
        .into_inner()
        .application
        .expect("application");
    submit(server, &w.um_key, &draft.name).await.expect("submit");
    start_review(server, &w.officer_key, &draft.name)
        .await
        .expect("start review")
}

async fn approve_with(
    server: &TestServer,
    w: &World,
    name: &str,
    awarded: v1::Money,
    schedule: v1::PaymentSchedule,
) -> Result<v1::Application, tonic::Status> {
    Ok(server
        .reviews(&w.officer_key)
        .approve_application(v1::ApproveApplicationRequest {
            awarded_resource: None,
            name: name.into(),
            awarded_amount: Some(awarded),
            reason: "Funded in three tranches".into(),
            request_id: String::new(),
            override_incomplete_reviews: false,
            schedule: Some(schedule),
        })
        .await?
        .into_inner()
        .application
        .unwrap_or_default())
}

/// A payment of `units` CNY to Macao in MOP at 1.1 MOP per CNY.
fn in_mop(units: i64, nanos: i32, tranche: i32) -> v1::Disbursement {
    let cents = (units * 100 + i64::from(nanos) / 10_000_000) * 11 / 10;
    v1::Disbursement {
        amount: Some(money("CNY", units, nanos)),
        payee_amount: Some(money("MOP", cents / 100, ((cents % 100) * 10_000_000) as i32)),
        exchange_rate: "1.1".into(),
        reference: format!("BOC-MO-{}", uuid::Uuid::now_v7().simple()),
        tranche,
        ..Default::default()
    }
}

async fn report_document(server: &TestServer, w: &World, parent: &str, seed: u8) -> String {
    upload(server, &w.um_key, parent, v1::DocumentKind::Report, &pdf(40_000, seed))
        .await
        .expect("upload the report's document")
        .name
}

fn outputs() -> v1::ReportOutputs {
    v1::ReportOutputs {
        publications: vec![v1::Publication {
            doi: "https://doi.org/10.1038/s41586-020-2649-2".into(),
            title: "Array programming with NumPy".into(),
        }],
        datasets: vec![v1::Dataset {
            url: "https://data.um.edu.mo/typhoon-surge".into(),
            title: "珠江口風暴潮觀測 2025".into(),
            ..Default::default()
        }],
        patents: vec![v1::Patent {
            number: "CN202410123456.7".into(),
            title: "Sensor buoy".into(),
        }],
        people_trained: vec![v1::PeopleTrained {
            level: v1::TrainingLevel::Doctoral.into(),
            count: 2,
        }],
    }
}

async fn submit_report(
    server: &TestServer,
    w: &World,
    parent: &str,
    number: i32,
    document: &str,
    outputs: v1::ReportOutputs,
) -> Result<v1::SubmitReportResponse, tonic::Status> {
    Ok(reports(server, &w.um_key)
        .submit_report(v1::SubmitReportRequest {
            parent: parent.into(),
            number,
            document: document.into(),
            outputs: Some(outputs),
            request_id: String::new(),
        })
        .await?
        .into_inner())
}

fn statuses(a: &v1::Application) -> Vec<v1::ReportStatus> {
    a.schedule
        .as_ref()
        .map(|s| s.reports.iter().map(|r| r.status()).collect())
        .unwrap_or_default()
}

fn paid(a: &v1::Application) -> Vec<(i64, i32)> {
    a.schedule
        .as_ref()
        .map(|s| {
            s.tranches
                .iter()
                .map(|t| t.paid_amount.as_ref().map_or((0, 0), |m| (m.units, m.nanos)))
                .collect()
        })
        .unwrap_or_default()
}

async fn a_three_tranche_award_paid_in_mop_closes_completed(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let app = um_under_review(&server, &w, 900_000).await;
    let name = app.name.clone();
    let schedule = |amounts: [i64; 3]| v1::PaymentSchedule {
        tranches: vec![
            tranche(amounts[0], 0, 0),
            tranche(amounts[1], 0, 1),
            tranche(amounts[2], 0, 2),
        ],
        reports: vec![
            due(v1::ReportKind::Interim, 180 * 86_400),
            due(v1::ReportKind::Final, 720 * 86_400),
        ],
    };

    // Tranches that do not sum to the award: refused, nothing changed.
    let refused = approve_with(
        &server,
        &w,
        &name,
        money("CNY", 900_000, 0),
        schedule([300_000, 400_000, 200_001]),
    )
    .await;
    let status = refused.expect_err("a schedule over the award");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["schedule.tranches"]);
    let unchanged = get(&server, &w.um_key, &name).await.expect("get");
    assert_eq!(unchanged.state(), v1::application::State::UnderReview);
    assert_eq!(committed(&server, &w.programme.name).await, money("CNY", 0, 0));

    let approved = approve_with(
        &server,
        &w,
        &name,
        money("CNY", 900_000, 0),
        schedule([300_000, 400_000, 200_000]),
    )
    .await
    .expect("approve with the schedule");
    assert_eq!(statuses(&approved), [v1::ReportStatus::Due, v1::ReportStatus::Due]);
    let numbers: Vec<i32> = approved
        .schedule
        .as_ref()
        .map_or(vec![], |s| s.tranches.iter().map(|t| t.number).collect());
    assert_eq!(numbers, [1, 2, 3]);

    // Tranche 1 is unconditional; paid in MOP.
    let first = disburse(&server, &w.officer_key, &name, in_mop(300_000, 0, 1), "")
        .await
        .expect("pay tranche 1");
    let d = first.disbursement.expect("disbursement");
    assert_eq!(d.tranche, 1);
    assert_eq!(d.payee_amount, Some(money("MOP", 330_000, 0)));
    assert_eq!(
        paid(&first.application.expect("application")),
        [(300_000, 0), (0, 0), (0, 0)]
    );

    // Tranche 2 waits for report 1.
    let status = disburse(&server, &w.officer_key, &name, in_mop(400_000, 0, 2), "")
        .await
        .expect_err("tranche 2 before report 1");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "REPORT_NOT_ACCEPTED");
    assert!(status.message().contains("report 1"), "{}", status.message());
    // Tranche 0 means the next one with a remainder: tranche 2, refused too.
    let status = disburse(&server, &w.officer_key, &name, in_mop(1, 0, 0), "")
        .await
        .expect_err("the next tranche before report 1");
    assert_eq!(reason(&status), "REPORT_NOT_ACCEPTED");

    // A report's document is a REPORT upload while the grant runs.
    let document = report_document(&server, &w, &name, 1).await;
    let mut bad = outputs();
    bad.publications[0].doi = "doi 10.1038".into();
    let status = submit_report(&server, &w, &name, 1, &document, bad)
        .await
        .expect_err("a bad DOI");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["outputs.publications[0].doi"]);
    let status = submit_report(&server, &w, &name, 3, &document, outputs())
        .await
        .expect_err("no report 3");
    assert_eq!(bad_fields(&status), ["number"]);
    // Only the applicant submits; the officer decides.
    let status = reports(&server, &w.officer_key)
        .submit_report(v1::SubmitReportRequest {
            parent: name.clone(),
            number: 1,
            document: document.clone(),
            outputs: None,
            request_id: String::new(),
        })
        .await
        .expect_err("an officer submitting");
    assert_eq!(status.code(), Code::PermissionDenied);

    let submitted = submit_report(&server, &w, &name, 1, &document, outputs())
        .await
        .expect("submit report 1");
    let report = submitted.report.expect("report");
    assert_eq!(
        (report.number, report.version, report.status()),
        (1, 1, v1::ReportStatus::Submitted)
    );
    assert_eq!(report.name, format!("{name}/reports/1"));
    assert_eq!(
        report.outputs.as_ref().map(|o| o.publications[0].doi.clone()),
        Some("10.1038/s41586-020-2649-2".into()),
        "the resolver prefix is removed"
    );
    let status = submit_report(&server, &w, &name, 1, &document, outputs())
        .await
        .expect_err("report 1 again while it waits");
    assert_eq!(reason(&status), "REPORT_NOT_OPEN");

    // Returned with a reason; tranche 2 still waits.
    let status = reports(&server, &w.officer_key)
        .return_report(v1::ReturnReportRequest {
            name: report.name.clone(),
            reason: String::new(),
            request_id: String::new(),
        })
        .await
        .expect_err("a return without a reason");
    assert_eq!(bad_fields(&status), ["reason"]);
    let returned = reports(&server, &w.officer_key)
        .return_report(v1::ReturnReportRequest {
            name: report.name.clone(),
            reason: "Add the survey data".into(),
            request_id: String::new(),
        })
        .await
        .expect("return report 1")
        .into_inner();
    assert_eq!(
        statuses(&returned.application.expect("application")),
        [v1::ReportStatus::Returned, v1::ReportStatus::Due]
    );
    let status = disburse(&server, &w.officer_key, &name, in_mop(400_000, 0, 2), "")
        .await
        .expect_err("tranche 2 with report 1 returned");
    assert_eq!(reason(&status), "REPORT_NOT_ACCEPTED");
    assert!(status.message().contains("RETURNED"), "{}", status.message());

    // Resubmitted (version 2) and accepted: tranche 2 is paid.
    let second = report_document(&server, &w, &name, 2).await;
    let again = submit_report(&server, &w, &name, 1, &second, outputs())
        .await
        .expect("submit report 1 again");
    assert_eq!(again.report.as_ref().map(|r| r.version), Some(2));
    let accepted = reports(&server, &w.officer_key)
        .accept_report(v1::AcceptReportRequest {
            name: format!("{name}/reports/1"),
            reason: String::new(),
            request_id: "accept-1".into(),
        })
        .await
        .expect("accept report 1")
        .into_inner();
    assert_eq!(
        accepted.report.as_ref().map(|r| r.status()),
        Some(v1::ReportStatus::Accepted)
    );
    let status = disburse(&server, &w.officer_key, &name, in_mop(400_000, 10_000_000, 2), "")
        .await
        .expect_err("more than tranche 2");
    assert_eq!(reason(&status), "DISBURSEMENT_EXCEEDS_AWARD");
    assert!(status.message().contains("tranche 2"), "{}", status.message());
    disburse(&server, &w.officer_key, &name, in_mop(400_000, 0, 2), "")
        .await
        .expect("pay tranche 2");

    // Closing before the final report is accepted needs a reason (it would
    // terminate the grant); with none, nothing changes.
    let status = server
        .awards(&w.officer_key)
        .close_grant(v1::CloseGrantRequest {
            name: name.clone(),
            reason: String::new(),
            request_id: String::new(),
        })
        .await
        .expect_err("closing without the final report");
    assert_eq!(bad_fields(&status), ["reason"]);

    let last = report_document(&server, &w, &name, 3).await;
    submit_report(&server, &w, &name, 2, &last, outputs())
        .await
        .expect("submit the final report");
    reports(&server, &w.officer_key)
        .accept_report(v1::AcceptReportRequest {
            name: format!("{name}/reports/2"),
            reason: "Excellent".into(),
            request_id: String::new(),
        })
        .await
        .expect("accept the final report");
    let paid_all = disburse(&server, &w.officer_key, &name, in_mop(200_000, 0, 3), "")
        .await
        .expect("pay tranche 3");
    assert_eq!(
        paid(&paid_all.application.expect("application")),
        [(300_000, 0), (400_000, 0), (200_000, 0)]
    );
    let closed = server
        .awards(&w.officer_key)
        .close_grant(v1::CloseGrantRequest {
            name: name.clone(),
            reason: String::new(),
            request_id: String::new(),
        })
        .await
        .expect("close")
        .into_inner()
        .application
        .expect("application");
    assert_eq!(closed.state(), v1::application::State::Closed);
    assert_eq!(closed.closure(), v1::application::Closure::Completed);

    // Every version listed, by number then version, paged.
    let mut listed = Vec::new();
    let mut token = String::new();
    loop {
        let page = reports(&server, &w.viewer_key)
            .list_reports(v1::ListReportsRequest {
                parent: name.clone(),
                page_size: 2,
                page_token: token,
            })
            .await
            .expect("list reports")
            .into_inner();
        listed.extend(page.reports.into_iter().map(|r| (r.number, r.version, r.status())));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    use v1::ReportStatus::*;
    assert_eq!(listed, [(1, 1, Returned), (1, 2, Accepted), (2, 1, Accepted)]);

    // The history tells each step, and the close in its snapshot.
    let history = events(&server, &w.officer_key, &name).await;
    let kinds: Vec<(Kind, i32, i32)> = history
        .iter()
        .filter_map(|e| e.report_activity.as_ref().map(|r| (r.kind(), r.number, r.version)))
        .collect();
    assert_eq!(
        kinds,
        [
            (Kind::ReportSubmitted, 1, 1),
            (Kind::ReportReturned, 1, 1),
            (Kind::ReportSubmitted, 1, 2),
            (Kind::ReportAccepted, 1, 2),
            (Kind::ReportSubmitted, 2, 1),
            (Kind::ReportAccepted, 2, 1),
        ]
    );
    let last_event = history.last().expect("events");
    assert_eq!(
        last_event.snapshot.as_ref().map(|a| a.closure()),
        Some(v1::application::Closure::Completed)
    );
    let tranches: Vec<String> = server
        .awards(&w.viewer_key)
        .list_disbursements(v1::ListDisbursementsRequest {
            parent: name.clone(),
            page_size: 10,
            page_token: String::new(),
        })
        .await
        .expect("list payments")
        .into_inner()
        .disbursements
        .iter()
        .map(|d| format!("{}:{}", d.tranche, d.payee_amount.as_ref().map_or(0, |m| m.units)))
        .collect();
    assert_eq!(tranches, ["1:330000", "2:440000", "3:220000"]);
}

async fn a_grant_without_its_final_report_closes_terminated_to_the_cent(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let app = um_under_review(&server, &w, 990_000).await;
    let name = app.name.clone();
    let schedule = v1::PaymentSchedule {
        tranches: vec![tranche(500_000, 0, 0), tranche(487_654, 320_000_000, 1)],
        reports: vec![due(v1::ReportKind::Final, 365 * 86_400)],
    };
    approve_with(&server, &w, &name, money("CNY", 987_654, 320_000_000), schedule)
        .await
        .expect("approve 987,654.32");
    assert_eq!(
        committed(&server, &w.programme.name).await,
        money("CNY", 987_654, 320_000_000)
    );
    disburse(&server, &w.officer_key, &name, in_mop(123_456, 700_000_000, 1), "")
        .await
        .expect("pay part of tranche 1");

    // A paid tranche keeps its terms.
    let status = reports(&server, &w.officer_key)
        .revise_schedule(v1::ReviseScheduleRequest {
            name: name.clone(),
            schedule: Some(v1::PaymentSchedule {
                tranches: vec![tranche(400_000, 0, 0), tranche(587_654, 320_000_000, 1)],
                reports: vec![due(v1::ReportKind::Final, 365 * 86_400)],
            }),
            reason: String::new(),
            request_id: String::new(),
        })
        .await
        .expect_err("moving money out of a paid tranche");
    assert_eq!(reason(&status), "TRANCHE_PAID");
    let revised = reports(&server, &w.officer_key)
        .revise_schedule(v1::ReviseScheduleRequest {
            name: name.clone(),
            schedule: Some(v1::PaymentSchedule {
                tranches: vec![
                    tranche(500_000, 0, 0),
                    tranche(287_654, 320_000_000, 1),
                    tranche(200_000, 0, 1),
                ],
                reports: vec![due(v1::ReportKind::Final, 400 * 86_400)],
            }),
            reason: "Split the last payment".into(),
            request_id: String::new(),
        })
        .await
        .expect("revise the unpaid tranches")
        .into_inner()
        .application
        .expect("application");
    assert_eq!(paid(&revised), [(123_456, 700_000_000), (0, 0), (0, 0)]);

    let closed = server
        .awards(&w.officer_key)
        .close_grant(v1::CloseGrantRequest {
            name: name.clone(),
            reason: "The PI left the university".into(),
            request_id: String::new(),
        })
        .await
        .expect("terminate")
        .into_inner()
        .application
        .expect("application");
    assert_eq!(closed.closure(), v1::application::Closure::Terminated);
    // 987,654.32 awarded, 123,456.70 paid: 864,197.62 released, to the cent.
    assert_eq!(
        committed(&server, &w.programme.name).await,
        money("CNY", 123_456, 700_000_000)
    );
    let history = events(&server, &w.officer_key, &name).await;
    let last = history.last().expect("events");
    assert_eq!(last.reason, "The PI left the university");
    assert_eq!(
        last.snapshot.as_ref().map(|a| a.closure()),
        Some(v1::application::Closure::Terminated)
    );
    assert!(
        history
            .iter()
            .any(|e| e.report_activity.as_ref().map(|r| r.kind()) == Some(Kind::ScheduleRevised))
    );
}

async fn reports_past_due_are_marked_overdue_once_by_one_of_three_servers(backend: Backend) {
    let quick = |s: &mut gba_grants::startup::Settings| s.report_overdue_interval = Duration::from_millis(300);
    let server = TestServer::start_with(TestDb::new(backend).await, quick).await;
    let w = server.world().await;
    // Two more servers on the same database, each with its overdue job.
    let others = [
        TestServer::start_with(server.db.share(), quick).await,
        TestServer::start_with(server.db.share(), quick).await,
    ];
    let mut names = Vec::new();
    for (i, (first_due, second_due)) in [(-3_600, -1_800), (-60, 86_400)].into_iter().enumerate() {
        let app = um_under_review(&server, &w, 100_000).await;
        let schedule = v1::PaymentSchedule {
            tranches: vec![tranche(50_000, 0, 0), tranche(50_000, 0, 2)],
            reports: vec![
                due(v1::ReportKind::Interim, first_due),
                due(v1::ReportKind::Final, second_due),
            ],
        };
        approve_with(&server, &w, &app.name, money("CNY", 100_000, 0), schedule)
            .await
            .unwrap_or_else(|e| panic!("approve {i}: {e}"));
        names.push(app.name);
    }
    // Three reports are past due: each gets one OVERDUE event.
    let overdue = |history: &[v1::ApplicationEvent]| -> Vec<i32> {
        history
            .iter()
            .filter_map(|e| e.report_activity.as_ref())
            .filter(|r| r.kind() == Kind::ReportOverdue)
            .map(|r| r.number)
            .collect()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let a = overdue(&events(&server, &w.officer_key, &names[0]).await);
        let b = overdue(&events(&server, &w.officer_key, &names[1]).await);
        if a.len() + b.len() >= 3 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not marked in 30 s: {a:?} {b:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Several more rounds of all three jobs change nothing.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut a = overdue(&events(&server, &w.officer_key, &names[0]).await);
    a.sort();
    assert_eq!(a, [1, 2]);
    assert_eq!(overdue(&events(&server, &w.officer_key, &names[1]).await), [1]);
    let first = get(&server, &w.um_key, &names[0]).await.expect("get");
    assert_eq!(statuses(&first), [v1::ReportStatus::Overdue, v1::ReportStatus::Overdue]);
    let second = get(&server, &w.um_key, &names[1]).await.expect("get");
    assert_eq!(statuses(&second), [v1::ReportStatus::Overdue, v1::ReportStatus::Due]);

    // The programme's summary counts them: 3 overdue, 1 due.
    let mut summaries = server
        .watch(&w.viewer_key)
        .watch_programme_summary(v1::WatchProgrammeSummaryRequest {
            programmes: vec![w.programme.name.clone()],
        })
        .await
        .expect("watch the summary")
        .into_inner();
    let counts = |s: &v1::ProgrammeSummary| (s.reports_due, s.reports_overdue, s.reports_accepted);
    let mut wait_for = async |want: (i64, i64, i64)| {
        let mut seen = None;
        while seen != Some(want) {
            let next = tokio::time::timeout(Duration::from_secs(10), summaries.message())
                .await
                .unwrap_or_else(|_| panic!("no summary with {want:?}; last {seen:?}"))
                .expect("summary stream")
                .expect("a summary");
            seen = next.summary.as_ref().map(counts);
        }
    };
    wait_for((1, 3, 0)).await;

    // Submitting an overdue report still works, once; it is never marked again.
    let document = report_document(&server, &w, &names[1], 9).await;
    submit_report(&server, &w, &names[1], 1, &document, outputs())
        .await
        .expect("submit the overdue report");
    wait_for((1, 2, 0)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(overdue(&events(&server, &w.officer_key, &names[1]).await), [1]);
    for other in others {
        other.stop().await;
    }
    server.stop().await;
}
