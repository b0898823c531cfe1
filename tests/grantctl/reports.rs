//! After the award through grantctl alone, on every backend: an HKU award
//! approved with a schedule file (two tranches, the second held until the
//! interim report is accepted; an interim and a final report), the file
//! refused first for an unknown field; tranche 1 paid, tranche 2 refused
//! (REPORT_NOT_ACCEPTED, exit 5); the schedule read back as JSON, edited
//! and revised, a paid tranche's change refused (TRANCHE_PAID); REPORT
//! documents uploaded, report 1 submitted with outputs (its DOI losing its
//! resolver), returned, submitted again and accepted; tranche 2 paid; the
//! final report submitted from standard input and accepted; the grant
//! closed COMPLETED. A second award approved with `--tranche`/`--report`
//! flags closes TERMINATED only with a reason. Then `reports list`
//! (every version, a page at a time), `reports schedule`, the events, the
//! summary, and `export reports` read back by Python's csv module and
//! compared with what the API says, row for row; `export awards` shows
//! each closure.

use std::path::Path;

use gba_grants::proto::v1;
use gba_grants::proto::v1::report_service_client::ReportServiceClient;
use serde_json::{Value, json};

use super::common::documents::pdf;
use super::common::world::{ApplicationServiceClient, Apps};
use super::common::*;
use super::run::Ctl;
use super::timefmt;

const REPORT_COLUMNS: [&str; 21] = [
    "application",
    "award_number",
    "applicant_institution",
    "institution_name_en",
    "institution_name_zh",
    "report_number",
    "kind",
    "version",
    "status",
    "due_time",
    "submit_time",
    "submitted_by",
    "decided_by",
    "decide_time",
    "decision_reason",
    "document",
    "publications",
    "datasets",
    "patents",
    "people_trained",
    "dois",
];

/// Reads a CSV file as a person's Python would (BOM or not) and prints
/// its rows, header first, as JSON.
const PYTHON: &str = concat!(
    "import csv, json, sys\n",
    "rows = list(csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline='')))\n",
    "print(json.dumps(rows))\n",
);

async fn python_rows(path: &Path) -> Vec<Vec<String>> {
    let path = path.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg("-c")
            .arg(PYTHON)
            .arg(&path)
            .output()
    })
    .await
    .expect("join")
    .expect("python3 runs");
    assert!(
        out.status.success(),
        "python3 could not read the CSV: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python3 prints JSON")
}

fn time(t: Option<&prost_types::Timestamp>) -> String {
    t.map(timefmt::format).unwrap_or_default()
}

fn without(prefix: &str, name: &str) -> String {
    name.trim_start_matches(prefix).to_owned()
}

/// The rows `export reports` should write for `parent`, worked out here
/// from ListApplications, ListReports and GetInstitution.
async fn expected_rows(server: &TestServer, key: &str, parent: &str) -> Vec<Vec<String>> {
    let mut apps: Apps = ApplicationServiceClient::with_interceptor(server.channel.clone(), Bearer::new(key));
    let listed = apps
        .list_applications(v1::ListApplicationsRequest {
            parent: parent.into(),
            page_size: 1000,
            page_token: String::new(),
            filter: String::new(),
        })
        .await
        .expect("list applications")
        .into_inner();
    assert!(listed.next_page_token.is_empty());
    let mut rows = Vec::new();
    for a in listed.applications {
        let reports = ReportServiceClient::with_interceptor(server.channel.clone(), Bearer::new(key))
            .list_reports(v1::ListReportsRequest {
                parent: a.name.clone(),
                page_size: 1000,
                page_token: String::new(),
            })
            .await
            .map(|r| r.into_inner().reports)
            .unwrap_or_default();
        if reports.is_empty() {
            continue;
        }
        let institution = server
            .institutions(&server.admin_key)
            .get_institution(v1::GetInstitutionRequest {
                name: a.applicant_institution.clone(),
            })
            .await
            .expect("get institution")
            .into_inner()
            .institution
            .expect("institution");
        let schedule = a.schedule.clone().expect("an award has a schedule");
        for r in reports {
            let o = r.outputs.clone().unwrap_or_default();
            let due = schedule
                .reports
                .iter()
                .find(|d| d.number == r.number)
                .and_then(|d| d.due_time.as_ref());
            let dois: Vec<&str> = o
                .publications
                .iter()
                .map(|p| p.doi.as_str())
                .chain(o.datasets.iter().map(|d| d.doi.as_str()))
                .filter(|d| !d.is_empty())
                .collect();
            rows.push(vec![
                a.name.clone(),
                a.award_number.clone(),
                a.applicant_institution.clone(),
                institution.display_name.clone(),
                institution.local_name.clone(),
                r.number.to_string(),
                without("REPORT_KIND_", r.kind().as_str_name()),
                r.version.to_string(),
                without("REPORT_STATUS_", r.status().as_str_name()),
                time(due),
                time(r.submit_time.as_ref()),
                r.submitted_by.clone(),
                r.decided_by.clone(),
                time(r.decide_time.as_ref()),
                r.decision_reason.clone(),
                r.document.clone(),
                o.publications.len().to_string(),
                o.datasets.len().to_string(),
                o.patents.len().to_string(),
                o.people_trained.iter().map(|t| t.count).sum::<i32>().to_string(),
                dois.join(";"),
            ]);
        }
    }
    rows
}

fn write(dir: &Path, file: &str, value: &Value) -> String {
    let path = dir.join(file);
    std::fs::write(&path, value.to_string()).expect("write the file");
    path.to_str().expect("UTF-8 path").to_owned()
}

/// `awards disburse A --amount AMOUNT --rate 1 --payee-currency CNY --reference R` and more.
fn disburse<'a>(a: &'a str, amount: &'a str, reference: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["awards", "disburse", a, "--amount", amount, "--rate", "1"];
    args.extend_from_slice(&["--payee-currency", "CNY", "--reference", reference]);
    args.extend_from_slice(more);
    args
}

pub async fn the_post_award_contract_through_grantctl(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let dir = tempfile::tempdir().expect("a directory");
    let d = dir.path();

    let hku = admin
        .run(&[
            "institutions",
            "create",
            "--display-name",
            "The University of Hong Kong",
            "--local-name",
            "香港大學",
            "--region",
            "hong-kong",
            "-o",
            "name",
        ])
        .await
        .ok();
    let p = admin
        .run(&[
            "programmes",
            "create",
            "--display-name",
            "GBA Joint Research",
            "--local-name",
            "粤港澳联合研究",
            "--funder",
            "Guangdong S&T Department",
            "--budget",
            "10,000,000 CNY",
            "--max-award",
            "1,000,000 CNY",
            "--eligible-region",
            "hong-kong",
            "--open-time",
            "-1h",
            "--close-time",
            "+30d",
            "-o",
            "name",
        ])
        .await
        .ok();
    let key = |args: &[&str]| {
        let admin = admin.clone();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            admin.with(&admin.run(&[&["keys", "create"][..], &args[..]].concat()).await.ok())
        }
    };
    let applicant = key(&["--role", "applicant", "--institution", &hku]).await;
    let officer = key(&["--role", "officer", "--programme", &p]).await;
    let under_review = |title: &'static str| {
        let (applicant, officer, p) = (applicant.clone(), officer.clone(), p.clone());
        async move {
            let a = applicant
                .run(&[
                    "applications",
                    "create",
                    "--programme",
                    &p,
                    "--title",
                    title,
                    "--abstract",
                    "Storm surge across the Pearl River Delta.",
                    "--pi-name",
                    "Dr Chan Tai Man",
                    "--pi-email",
                    "tmchan@hku.hk",
                    "--pi-orcid",
                    "0000-0002-1825-0097",
                    "--requested",
                    "800,000 CNY",
                    "--duration-months",
                    "24",
                    "-o",
                    "name",
                ])
                .await
                .ok();
            applicant.run(&["applications", "submit", &a]).await.ok();
            officer.run(&["reviews", "start", &a]).await.ok();
            a
        }
    };
    let a = under_review("Typhoon-resilient coastal infrastructure").await;
    let short = a.replace("programmes/", "").replace("/applications/", "/");
    let report_1 = format!("{a}/reports/1");

    // 1. Approval with a schedule file. An unknown field is refused before
    // any call, naming it; tranches that miss the award by a cent, by the
    // server, naming `schedule.tranches`. Nothing changes either time.
    let tranches = json!([
        {"amount": {"currencyCode": "CNY", "units": "300000"}, "plannedTime": "2027-01-01T00:00:00Z"},
        {"amount": {"currencyCode": "CNY", "units": "450000"}, "afterReport": 1}
    ]);
    let reports = json!([{"kind": "INTERIM", "dueTime": "+180d"}, {"kind": "FINAL", "due_time": "+720d"}]);
    let mut coloured = tranches.clone();
    coloured[1]["colour"] = json!("red");
    let bad = write(d, "coloured.json", &json!({"tranches": coloured, "reports": reports}));
    let approve = |file: String| {
        let officer = officer.clone();
        let a = a.clone();
        async move {
            officer
                .run(&[
                    "reviews",
                    "approve",
                    &a,
                    "--amount",
                    "750,000 CNY",
                    "--schedule",
                    &file,
                    "-o",
                    "json",
                ])
                .await
        }
    };
    let err = approve(bad).await.fails(4);
    assert!(
        err.contains("schedule.tranches[1]") && err.contains("unknown field \"colour\""),
        "{err}"
    );
    let mut short_by_a_cent = tranches.clone();
    short_by_a_cent[1]["amount"] = json!({"currencyCode": "CNY", "units": "449999", "nanos": 990000000});
    let cent = write(
        d,
        "cent.json",
        &json!({"tranches": short_by_a_cent, "reports": reports}),
    );
    let err = approve(cent).await.fails(4);
    assert!(
        err.contains("INVALID_ARGUMENT") && err.contains("schedule.tranches"),
        "{err}"
    );
    let still = officer.run(&["applications", "get", &a, "-o", "json"]).await.json();
    assert_eq!(still["state"], "STATE_UNDER_REVIEW");

    let good = write(d, "schedule.json", &json!({"tranches": tranches, "reports": reports}));
    let approved = approve(good).await.json();
    assert_eq!(approved["state"], "STATE_APPROVED");
    let schedule = &approved["schedule"];
    assert_eq!(schedule["tranches"][0]["amount"]["units"], "300000");
    assert_eq!(schedule["tranches"][0]["plannedTime"], "2027-01-01T00:00:00Z");
    assert_eq!(schedule["tranches"][1]["afterReport"], 1);
    assert_eq!(schedule["reports"][0]["kind"], "REPORT_KIND_INTERIM");
    assert_eq!(schedule["reports"][1]["kind"], "REPORT_KIND_FINAL");
    assert_eq!(schedule["reports"][0]["status"], "REPORT_STATUS_DUE");
    let table = officer.run(&["reports", "schedule", &short]).await.ok();
    assert!(table.contains("after report 1 (DUE)"), "{table}");
    assert!(table.contains("CNY 450,000.00"), "{table}");

    // 2. Tranche 1 is paid; tranche 2 waits for report 1.
    let paid = officer
        .run(&disburse(&a, "300,000 CNY", "T-1", &["--tranche", "1", "-o", "json"]))
        .await
        .json();
    assert_eq!(paid["disbursement"]["tranche"], 1);
    assert_eq!(paid["application"]["state"], "STATE_ACTIVE");
    let refused = officer
        .run(&disburse(&a, "450,000 CNY", "T-2", &["--tranche", "2"]))
        .await;
    let err = refused.fails(5);
    assert!(
        err.starts_with("grantctl: FAILED_PRECONDITION REPORT_NOT_ACCEPTED: ")
            && err.contains("report 1")
            && err.contains("grantctl reports accept"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "one sentence: {err}");

    // 3. The schedule as JSON, edited (report 1 due later) and sent back;
    // a revision that changes the paid tranche is refused.
    let mut printed = officer.run(&["reports", "schedule", &a, "-o", "json"]).await.json();
    assert_eq!(printed["tranches"][0]["paidAmount"]["units"], "300000");
    printed["reports"][0]["dueTime"] = json!("+200d");
    let edited = write(d, "edited.json", &printed);
    let revised = officer
        .run(&[
            "reports",
            "revise",
            &a,
            "--schedule",
            &edited,
            "--reason",
            "Interim report moved",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_ne!(revised["reports"][0]["dueTime"], schedule["reports"][0]["dueTime"]);
    assert_eq!(
        revised["tranches"], printed["tranches"],
        "paid tranches stay as they were"
    );
    let moved = officer
        .run(&[
            "reports",
            "revise",
            &a,
            "--tranche",
            "250,000 CNY",
            "--tranche",
            "500,000 CNY@after=1",
            "--report",
            "interim@+200d",
            "--report",
            "final@+720d",
        ])
        .await;
    let err = moved.fails(5);
    assert!(err.contains("TRANCHE_PAID") && err.contains("tranche 1"), "{err}");
    let usage = officer.run(&["reports", "revise", &a]).await;
    assert_eq!(usage.code, 2, "a revision needs a schedule: {}", usage.stderr);

    // 4. Report 1: a REPORT document, outputs with a DOI behind its
    // resolver; returned, submitted again, accepted.
    let upload = |file: &'static str, seed: u8| {
        let (applicant, a) = (applicant.clone(), a.clone());
        let path = d.join(file);
        std::fs::write(&path, pdf(20_000, seed)).expect("write the PDF");
        async move {
            let path = path.to_str().unwrap().to_owned();
            applicant
                .run(&["documents", "upload", &a, &path, "--kind", "report", "-o", "json"])
                .await
                .json()
        }
    };
    let doc = upload("interim.pdf", 1).await;
    assert_eq!(doc["kind"], "DOCUMENT_KIND_REPORT");
    let doc_name = doc["name"].as_str().unwrap().to_owned();
    let outputs = write(
        d,
        "outputs.json",
        &json!({
            "publications": [{"doi": "https://doi.org/10.1038/s41586-020-2649-2", "title": "Array programming with NumPy"}],
            "datasets": [{"url": "https://data.hku.hk/surge", "title": "珠江口風暴潮觀測 2025"}],
            "patents": [{"number": "CN202410123456.7", "title": "Sensor buoy"}],
            "peopleTrained": [{"level": "doctoral", "count": 2}, {"level": "MASTERS", "count": 1}]
        }),
    );
    let bare_id = doc_name.rsplit('/').next().unwrap().to_owned();
    let submitted = applicant
        .run(&[
            "reports",
            "submit",
            &short,
            "--number",
            "1",
            "--document",
            &bare_id,
            "--outputs",
            &outputs,
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(submitted["name"], report_1);
    assert_eq!(
        (&submitted["version"], &submitted["status"]),
        (&json!(1), &json!("REPORT_STATUS_SUBMITTED"))
    );
    assert_eq!(submitted["document"], doc_name);
    assert_eq!(
        submitted["outputs"]["publications"][0]["doi"], "10.1038/s41586-020-2649-2",
        "the resolver is taken off"
    );
    assert_eq!(
        submitted["outputs"]["peopleTrained"][0]["level"],
        "TRAINING_LEVEL_DOCTORAL"
    );
    let again = applicant
        .run(&["reports", "submit", &a, "--number", "1", "--document", &doc_name])
        .await;
    assert!(again.fails(5).contains("REPORT_NOT_OPEN"), "{}", again.stderr);
    let returned = officer
        .run(&[
            "reports",
            "return",
            &format!("{short}/1"),
            "--reason",
            "Give the dataset a DOI",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(returned["status"], "REPORT_STATUS_RETURNED");
    assert_eq!(returned["decisionReason"], "Give the dataset a DOI");
    let twice = officer
        .run(&["reports", "return", &report_1, "--reason", "Again"])
        .await;
    assert!(twice.fails(5).contains("REPORT_NOT_SUBMITTED"), "{}", twice.stderr);

    let doc_2 = upload("interim-v2.pdf", 2).await["name"].as_str().unwrap().to_owned();
    let outputs_2 = write(
        d,
        "outputs-2.json",
        &json!({
            "publications": [{"doi": "10.1038/s41586-020-2649-2", "title": "Array programming with NumPy"}],
            "datasets": [{"doi": "doi:10.5281/zenodo.1234567", "title": "珠江口風暴潮觀測 2025"}],
            "peopleTrained": [{"level": "TRAINING_LEVEL_DOCTORAL", "count": 3}]
        }),
    );
    let v2 = applicant
        .run(&[
            "reports",
            "submit",
            &a,
            "--number",
            "1",
            "--document",
            &doc_2,
            "--outputs",
            &outputs_2,
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(v2["version"], 2);
    let accepted = officer
        .run(&["reports", "accept", &report_1, "--reason", "Thorough", "-o", "json"])
        .await
        .json();
    assert_eq!(accepted["status"], "REPORT_STATUS_ACCEPTED");
    assert_eq!(accepted["version"], 2);
    assert!(accepted["decidedBy"].as_str().unwrap().starts_with("apiKeys/"));

    // 5. Tranche 2, the next one, is paid now.
    let paid = officer
        .run(&disburse(&a, "450,000 CNY", "T-2", &["-o", "json"]))
        .await
        .json();
    assert_eq!(paid["disbursement"]["tranche"], 2);
    assert_eq!(paid["application"]["disbursedAmount"]["units"], "750000");
    let payments = officer.run(&["awards", "disbursements", &a]).await.ok();
    let header: Vec<&str> = payments.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header[..3], ["DISBURSEMENT", "TRANCHE", "AMOUNT"], "{payments}");
    let tranches: Vec<&str> = payments
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(tranches, ["1", "2"], "{payments}");

    // 6. The final report, its outputs read from standard input; accepted;
    // the grant closes COMPLETED.
    let doc_final = upload("final.pdf", 3).await["name"].as_str().unwrap().to_owned();
    let mut c = applicant.command();
    c.args([
        "reports",
        "submit",
        &a,
        "--number",
        "2",
        "--document",
        &doc_final,
        "--outputs",
        "-",
        "-o",
        "json",
    ]);
    c.stdin(std::fs::File::open(&outputs_2).expect("open"));
    let final_report = super::run::output(c).await.json();
    assert_eq!(final_report["kind"], "REPORT_KIND_FINAL");
    assert_eq!(final_report["outputs"]["datasets"][0]["doi"], "10.5281/zenodo.1234567");
    officer
        .run(&["reports", "accept", &format!("{a}/reports/2")])
        .await
        .ok();
    let closed = officer.run(&["awards", "close", &a, "-o", "json"]).await.json();
    assert_eq!(closed["state"], "STATE_CLOSED");
    assert_eq!(closed["closure"], "CLOSURE_COMPLETED");
    let shown = officer.run(&["applications", "get", &a]).await.ok();
    let closure: Vec<&str> = shown.lines().filter(|l| l.starts_with("Closure:")).collect();
    assert_eq!(closure.len(), 1, "{shown}");
    assert!(closure[0].ends_with(" COMPLETED"), "{shown}");

    // 7. A second award, its schedule as flags, closes TERMINATED only with a reason.
    let b = under_review("Cross-border health data").await;
    let flagged = officer
        .run(&[
            "reviews",
            "approve",
            &b,
            "--amount",
            "200,000 CNY",
            "--tranche",
            "100,000 CNY",
            "--tranche",
            "100,000 CNY@after=1@planned=2027-07-01",
            "--report",
            "final@+365d",
            "-o",
            "json",
        ])
        .await
        .json();
    let b_schedule = &flagged["schedule"];
    assert_eq!(b_schedule["tranches"][1]["afterReport"], 1);
    assert_eq!(b_schedule["tranches"][1]["plannedTime"], "2027-07-01T00:00:00Z");
    assert_eq!(b_schedule["reports"][0]["kind"], "REPORT_KIND_FINAL");
    officer.run(&disburse(&b, "100,000 CNY", "B-1", &[])).await.ok();
    let b_doc = applicant
        .run(&[
            "documents",
            "upload",
            &b,
            d.join("final.pdf").to_str().unwrap(),
            "--kind",
            "REPORT",
            "-o",
            "name",
        ])
        .await
        .ok();
    applicant
        .run(&["reports", "submit", &b, "--number", "1", "--document", &b_doc])
        .await
        .ok();
    let err = officer.run(&["awards", "close", &b]).await.fails(4);
    assert!(err.contains("reason"), "{err}");
    let terminated = officer
        .run(&["awards", "close", &b, "--reason", "The team dissolved", "-o", "json"])
        .await
        .json();
    assert_eq!(terminated["closure"], "CLOSURE_TERMINATED");

    // 8. Every version, a page at a time; the schedule as it ends.
    let versions = officer
        .run(&["reports", "list", &a, "--page-size", "1", "-o", "json"])
        .await
        .json();
    let seen: Vec<(i64, i64, &str)> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["number"].as_i64().unwrap(),
                r["version"].as_i64().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (1, 1, "REPORT_STATUS_RETURNED"),
            (1, 2, "REPORT_STATUS_ACCEPTED"),
            (2, 1, "REPORT_STATUS_ACCEPTED")
        ]
    );
    let listed = applicant.run(&["reports", "list", &short]).await.ok();
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three versions:\n{listed}");
    assert!(
        lines[0].starts_with("REPORT") && lines[0].contains("VERSION  STATUS"),
        "{listed}"
    );
    assert!(
        lines[1].contains("RETURNED") && lines[1].contains("Give the dataset a DOI"),
        "{listed}"
    );
    assert!(lines[2].contains("1 publication, 1 dataset, 3 trained"), "{listed}");
    let ended = officer.run(&["reports", "schedule", &a, "-o", "json"]).await.json();
    let statuses: Vec<&Value> = ended["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(
        statuses,
        [&json!("REPORT_STATUS_ACCEPTED"), &json!("REPORT_STATUS_ACCEPTED")]
    );
    assert_eq!(ended["reports"][0]["versions"], 2);
    assert_eq!(ended["tranches"][1]["paidAmount"]["units"], "450000");
    let names = officer.run(&["reports", "schedule", &a, "-o", "name"]).await.ok();
    assert_eq!(names, format!("{a}/reports/1\n{a}/reports/2"));
    let none = officer
        .run(&["reports", "schedule", &under_review("Not yet").await])
        .await;
    assert!(none.fails(5).contains("has no payment schedule"), "{}", none.stderr);

    // 9. The history tells the post-award story; the summary counts reports.
    let history = officer.run(&["applications", "events", &a]).await.ok();
    for change in [
        "SCHEDULE_REVISED",
        "REPORT_SUBMITTED report 1 v1",
        "REPORT_RETURNED report 1 v1",
        "REPORT_ACCEPTED report 1 v2",
        "REPORT_ACCEPTED report 2 v1",
    ] {
        assert!(history.contains(change), "{change} in:\n{history}");
    }
    let events = officer.run(&["applications", "events", &a, "-o", "json"]).await.json();
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["reportActivity"] == json!({"kind": "KIND_REPORT_SUBMITTED", "number": 1, "version": 2})),
        "{events}"
    );
    let summary = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        officer.run(&["watch", "summary", "--programme", &p, "--max-events", "1", "-o", "json"]),
    )
    .await
    .expect("a summary within 30 s")
    .ok();
    let summary: Value = serde_json::from_str(&summary).expect("JSON");
    assert_eq!(summary["reportsAccepted"], "2", "{summary}");

    // 10. export reports: one row per version, as the API says.
    let expected = expected_rows(&server, &officer.token, &p).await;
    assert_eq!(expected.len(), 4, "three versions of A's reports, one of B's");
    let path = d.join("reports.csv");
    let run = officer
        .run(&[
            "export",
            "reports",
            "--programme",
            &p,
            "--page-size",
            "1",
            "-O",
            path.to_str().unwrap(),
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut want = vec![REPORT_COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>()];
    want.extend(expected.iter().cloned());
    assert_eq!(python_rows(&path).await, want);
    let cell =
        |row: usize, column: &str| expected[row][REPORT_COLUMNS.iter().position(|c| *c == column).unwrap()].clone();
    assert_eq!(
        [cell(0, "status"), cell(1, "status"), cell(3, "status")],
        ["RETURNED", "ACCEPTED", "SUBMITTED"]
    );
    assert_eq!(cell(0, "institution_name_zh"), "香港大學");
    assert_eq!(cell(0, "dois"), "10.1038/s41586-020-2649-2");
    assert_eq!(cell(1, "dois"), "10.1038/s41586-020-2649-2;10.5281/zenodo.1234567");
    assert_eq!(
        (cell(0, "people_trained"), cell(0, "patents")),
        ("3".into(), "1".into())
    );
    assert_eq!(
        (cell(3, "decided_by"), cell(3, "decide_time")),
        (String::new(), String::new())
    );
    // JSON Lines carry the same values; without --programme the same rows.
    let jsonl = officer.run(&["export", "reports", "--format", "jsonl"]).await.ok();
    let objects: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objects.len(), expected.len());
    for (object, row) in objects.iter().zip(&expected) {
        for (column, value) in REPORT_COLUMNS.iter().zip(row) {
            assert_eq!(object[*column], Value::String(value.clone()), "{column}");
        }
    }

    // export awards: how each ended, in its `closure` column (after the
    // columns of before; a facility award's `used_amount` and `unit` follow).
    let awards = d.join("awards.csv");
    officer
        .run(&["export", "awards", "--programme", &p, "-O", awards.to_str().unwrap()])
        .await
        .ok();
    let rows = python_rows(&awards).await;
    let closure = rows[0].iter().position(|c| c == "closure").expect("a closure column");
    assert_eq!(closure, 11, "{:?}", rows[0]);
    let closures: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[0].as_str(), r[closure].as_str())).collect();
    assert_eq!(closures, [(a.as_str(), "COMPLETED"), (b.as_str(), "TERMINATED")]);
}
