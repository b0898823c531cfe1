//! `grantctl export applications|awards|disbursements` against a real
//! server: a CNY programme, institutions with Chinese names, applications
//! in every stage with amounts such as 1,234,567.89, approved, paid and
//! closed through grantctl; then every kind exported as CSV and JSON
//! Lines, with and without --excel, to a file and to standard output, in
//! pages of two. The CSV is read back by Python's csv module and compared
//! with what the API says, row for row: Chinese names, exact amounts,
//! RFC 3339 times, the remaining amount of each award, and text that
//! Excel would run as a formula prefixed only under --excel.

use std::path::{Path, PathBuf};

use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use serde_json::Value;

use super::common::*;
use super::run::{Ctl, Run};
use super::timefmt;

const APPLICATION_COLUMNS: [&str; 15] = [
    "name",
    "programme",
    "title",
    "state",
    "applicant_institution",
    "institution_name_en",
    "institution_name_zh",
    "principal_investigator",
    "requested_amount",
    "requested_currency",
    "duration_months",
    "submit_time",
    "create_time",
    "update_time",
    "requested_unit",
];

const AWARD_COLUMNS: [&str; 14] = [
    "name",
    "award_number",
    "title",
    "applicant_institution",
    "institution_name_en",
    "institution_name_zh",
    "awarded_amount",
    "disbursed_amount",
    "remaining_amount",
    "currency",
    "state",
    "closure",
    "used_amount",
    "unit",
];

const DISBURSEMENT_COLUMNS: [&str; 12] = [
    "application",
    "name",
    "reference",
    "amount",
    "currency",
    "payee_amount",
    "payee_currency",
    "exchange_rate",
    "bank_charges",
    "bank_charges_currency",
    "pay_time",
    "create_time",
];

/// Columns that are never prefixed for Excel: amounts, rates, counts, times.
const NUMBERS: [&str; 14] = [
    "requested_amount",
    "duration_months",
    "submit_time",
    "create_time",
    "update_time",
    "awarded_amount",
    "disbursed_amount",
    "remaining_amount",
    "amount",
    "payee_amount",
    "exchange_rate",
    "bank_charges",
    "pay_time",
    "used_amount",
];

/// Reads a CSV file the way a person's Python would, BOM or not, and
/// prints its rows (header first) as JSON.
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

/// `1234567.89`, worked out here from units and nanos (CNY and HKD have
/// two decimal places; the amounts here are positive).
fn decimal(m: Option<&v1::Money>) -> String {
    m.map(|m| {
        assert!(m.units >= 0 && m.nanos >= 0 && m.nanos % 10_000_000 == 0, "{m:?}");
        format!("{}.{:02}", m.units, m.nanos / 10_000_000)
    })
    .unwrap_or_default()
}

fn cents(m: Option<&v1::Money>) -> i64 {
    m.map_or(0, |m| m.units * 100 + i64::from(m.nanos / 10_000_000))
}

fn code(m: Option<&v1::Money>) -> String {
    m.map(|m| m.currency_code.clone()).unwrap_or_default()
}

fn time(t: Option<&prost_types::Timestamp>) -> String {
    t.map(timefmt::format).unwrap_or_default()
}

fn state_word(v: i32) -> String {
    State::try_from(v)
        .expect("a known state")
        .as_str_name()
        .trim_start_matches("STATE_")
        .to_owned()
}

/// Every application of `parent` the key may see, straight from the API.
async fn listed(server: &TestServer, key: &str, parent: &str) -> Vec<v1::Application> {
    let mut out = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = server
            .apps(key)
            .list_applications(v1::ListApplicationsRequest {
                parent: parent.into(),
                page_size: 3,
                page_token,
                filter: String::new(),
            })
            .await
            .expect("list applications")
            .into_inner();
        out.extend(page.applications);
        if page.next_page_token.is_empty() {
            return out;
        }
        page_token = page.next_page_token;
    }
}

async fn paid(server: &TestServer, application: &str) -> Vec<v1::Disbursement> {
    server
        .awards(&server.admin_key)
        .list_disbursements(v1::ListDisbursementsRequest {
            parent: application.into(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("list disbursements")
        .into_inner()
        .disbursements
}

/// English and Chinese names, straight from the API.
async fn names_of(server: &TestServer, institution: &str) -> (String, String) {
    let i = server
        .institutions(&server.admin_key)
        .get_institution(v1::GetInstitutionRequest {
            name: institution.into(),
        })
        .await
        .expect("get institution")
        .into_inner()
        .institution
        .expect("institution");
    (i.display_name, i.local_name)
}

fn awarded(a: &v1::Application) -> bool {
    matches!(
        State::try_from(a.state),
        Ok(State::Approved | State::Active | State::Closed)
    ) && !a.award_number.is_empty()
}

async fn application_row(server: &TestServer, a: &v1::Application) -> Vec<String> {
    let (en, zh) = names_of(server, &a.applicant_institution).await;
    let programme = a.name.split("/applications/").next().unwrap().to_owned();
    vec![
        a.name.clone(),
        programme,
        a.title.clone(),
        state_word(a.state),
        a.applicant_institution.clone(),
        en,
        zh,
        a.principal_investigator.as_ref().unwrap().name.clone(),
        decimal(a.requested_amount.as_ref()),
        code(a.requested_amount.as_ref()),
        a.duration_months.to_string(),
        time(a.submit_time.as_ref()),
        time(a.create_time.as_ref()),
        time(a.update_time.as_ref()),
        String::new(),
    ]
}

async fn award_row(server: &TestServer, a: &v1::Application) -> Vec<String> {
    let (en, zh) = names_of(server, &a.applicant_institution).await;
    let remaining = cents(a.awarded_amount.as_ref()) - cents(a.disbursed_amount.as_ref());
    vec![
        a.name.clone(),
        a.award_number.clone(),
        a.title.clone(),
        a.applicant_institution.clone(),
        en,
        zh,
        decimal(a.awarded_amount.as_ref()),
        decimal(a.disbursed_amount.as_ref()),
        format!("{}.{:02}", remaining / 100, remaining % 100),
        code(a.awarded_amount.as_ref()),
        state_word(a.state),
        match a.closure() {
            v1::application::Closure::Unspecified => String::new(),
            c => c.as_str_name().trim_start_matches("CLOSURE_").to_owned(),
        },
        String::new(),
        String::new(),
    ]
}

fn disbursement_row(application: &str, d: &v1::Disbursement) -> Vec<String> {
    vec![
        application.to_owned(),
        d.name.clone(),
        d.reference.clone(),
        decimal(d.amount.as_ref()),
        code(d.amount.as_ref()),
        decimal(d.payee_amount.as_ref()),
        code(d.payee_amount.as_ref()),
        d.exchange_rate.clone(),
        decimal(d.bank_charges.as_ref()),
        code(d.bank_charges.as_ref()),
        time(d.pay_time.as_ref()),
        time(d.create_time.as_ref()),
    ]
}

/// What Excel should get for `value` in `column`: text that starts a
/// formula gets a leading `'`, nothing else changes.
fn for_excel(column: &str, value: &str) -> String {
    if !NUMBERS.contains(&column) && value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fn with_header(columns: &[&str], rows: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut all = vec![columns.iter().map(|c| c.to_string()).collect::<Vec<_>>()];
    all.extend(rows.iter().cloned());
    all
}

/// Runs `grantctl export ARGS -O dir/file` and returns the file's bytes;
/// nothing goes to standard output.
async fn export_to(ctl: &Ctl, dir: &Path, file: &str, args: &[&str]) -> (PathBuf, Vec<u8>) {
    let path = dir.join(file);
    let path_text = path.to_str().unwrap().to_owned();
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-O", &path_text]);
    let run = ctl.run(&all).await;
    assert_eq!(run.code, 0, "grantctl {all:?} failed: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let bytes = std::fs::read(&path).expect("the export's file");
    (path, bytes)
}

/// Every check of one kind: CSV read back by Python equals `expected`
/// (with --excel: the BOM, and formulas defused), JSON Lines carry the
/// same values under the column names in order, standard output equals
/// the file.
async fn check_kind(ctl: &Ctl, dir: &Path, kind: &str, scope: &[&str], columns: &[&str], expected: &[Vec<String>]) {
    let args = |more: &[&'static str]| {
        let mut a = vec![kind];
        a.extend_from_slice(scope);
        a.extend_from_slice(&["--page-size", "2"]);
        a.extend_from_slice(more);
        a
    };
    // CSV as it is: RFC 4180, CRLF, a header, no BOM.
    let (path, plain) = export_to(ctl, dir, &format!("{kind}.csv"), &args(&[])).await;
    let text = String::from_utf8(plain.clone()).expect("UTF-8");
    assert!(!text.starts_with('\u{feff}'), "no BOM without --excel");
    let header = format!("{}\r\n", columns.join(","));
    assert!(text.starts_with(&header), "{kind}: {text}");
    assert_eq!(text.matches("\r\n").count(), expected.len() + 1, "{kind}: {text:?}");
    assert_eq!(text.matches('\n').count(), expected.len() + 1, "no bare LF: {text:?}");
    assert_eq!(
        python_rows(&path).await,
        with_header(columns, expected),
        "{kind} as CSV"
    );

    // The same with --format csv spelled out, and on standard output.
    let (_, spelled) = export_to(ctl, dir, &format!("{kind}-spelled.csv"), &args(&["--format", "CSV"])).await;
    assert_eq!(spelled, plain);
    let stdout = ctl.run(&[&["export"][..], &args(&[])].concat()).await;
    assert_eq!(stdout.code, 0, "{}", stdout.stderr);
    assert_eq!(stdout.stdout_bytes, plain, "standard output is the same CSV");
    let dash = ctl.run(&[&["export"][..], &args(&["-O", "-"])].concat()).await;
    assert_eq!(dash.stdout_bytes, plain, "-O - is standard output");

    // For Excel: the BOM first, and text that would run as a formula prefixed.
    let (path, excel) = export_to(ctl, dir, &format!("{kind}-excel.csv"), &args(&["--excel"])).await;
    assert!(excel.starts_with("\u{feff}".as_bytes()), "{kind}: the BOM first");
    assert_eq!(String::from_utf8(excel).unwrap().matches('\u{feff}').count(), 1);
    let defused: Vec<Vec<String>> = expected
        .iter()
        .map(|row| columns.iter().zip(row).map(|(c, v)| for_excel(c, v)).collect())
        .collect();
    assert_eq!(
        python_rows(&path).await,
        with_header(columns, &defused),
        "{kind} for Excel"
    );

    // JSON Lines: one object a line, keys the columns in order, values as
    // in the CSV without the prefix; --excel changes nothing.
    let (_, jsonl) = export_to(ctl, dir, &format!("{kind}.jsonl"), &args(&["--format", "jsonl"])).await;
    let (_, jsonl_excel) = export_to(
        ctl,
        dir,
        &format!("{kind}-excel.jsonl"),
        &args(&["--format", "jsonl", "--excel"]),
    )
    .await;
    assert_eq!(jsonl, jsonl_excel, "--excel leaves JSON Lines alone");
    let text = String::from_utf8(jsonl).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{kind}: {text}");
    for (line, row) in lines.iter().zip(expected) {
        let object: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(object.as_object().unwrap().len(), columns.len(), "{line}");
        let mut at = 0;
        for (column, value) in columns.iter().zip(row) {
            let key = format!("\"{column}\":");
            let found = line[at..]
                .find(&key)
                .unwrap_or_else(|| panic!("{column} in order in {line}"));
            at += found + key.len();
            assert_eq!(object[*column], Value::String(value.clone()), "{kind} {column}: {line}");
        }
    }
}

/// `awards disburse A --amount … --rate … --payee-currency … --reference …`.
fn disburse<'a>(a: &'a str, amount: &'a str, rate: &'a str, payee: &'a str, reference: &'a str) -> Vec<&'a str> {
    let mut args = vec!["awards", "disburse", a, "--amount", amount, "--rate", rate];
    args.extend_from_slice(&["--payee-currency", payee, "--reference", reference]);
    args
}

pub async fn exports_read_back_by_python_match_the_api(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let institution = |display: &'static str, local: &'static str, region: &'static str| {
        let admin = admin.clone();
        async move {
            let args = [
                "institutions",
                "create",
                "--display-name",
                display,
                "--local-name",
                local,
            ];
            admin
                .run(&[&args[..], &["--region", region, "-o", "name"][..]].concat())
                .await
                .ok()
        }
    };
    let hku = institution("The University of Hong Kong", "香港大學", "hong-kong").await;
    let um = institution("University of Macau, Taipa", "澳門大學", "macao").await;
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
            "2,000,000 CNY",
            "--eligible-region",
            "hong-kong",
            "--eligible-region",
            "macao",
            "--open-time",
            "-1h",
            "--close-time",
            "+30d",
            "-o",
            "name",
        ])
        .await
        .ok();
    let key = |args: &'static [&'static str], scope: String| {
        let admin = admin.clone();
        async move {
            let args = [&["keys", "create"][..], args, &[scope.as_str()][..]].concat();
            admin.with(&admin.run(&args).await.ok())
        }
    };
    let hku_ctl = key(&["--role", "applicant", "--institution"], hku.clone()).await;
    let um_ctl = key(&["--role", "applicant", "--institution"], um.clone()).await;
    let officer = key(&["--role", "officer", "--programme"], p.clone()).await;

    let draft = |ctl: Ctl, title: &'static str, pi: &'static str, requested: &'static str| {
        let p = p.clone();
        async move {
            // `--title=…`: a title may start with `-`.
            ctl.run(&[
                "applications",
                "create",
                "--programme",
                &p,
                &format!("--title={title}"),
                "--abstract",
                "Cross-border research in the Greater Bay Area.",
                "--pi-name",
                pi,
                "--pi-email",
                "pi@example.edu",
                "--pi-orcid",
                "0000-0002-1825-0097",
                "--requested",
                requested,
                "--duration-months",
                "24",
                "-o",
                "name",
            ])
            .await
            .ok()
        }
    };
    let step = |ctl: &Ctl, args: Vec<&str>| {
        let ctl = ctl.clone();
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let run: Run = ctl.run(&args).await;
            run.ok()
        }
    };
    // A1 (HKU): approved in full, paid twice → ACTIVE.
    let a1 = draft(
        hku_ctl.clone(),
        "Typhoons, floods and \"storm surge\" in the Pearl River Delta",
        "Chan, Tai Man",
        "1,234,567.89 CNY",
    )
    .await;
    // A2 (UM): a title Excel would run; approved for less → APPROVED, unpaid.
    let a2 = draft(
        um_ctl.clone(),
        "=HYPERLINK(\"https://example.org\",\"Macao heritage\")",
        "Dr Ieong",
        "888,888.88 CNY",
    )
    .await;
    // A3 (HKU): submitted only.
    let a3 = draft(
        hku_ctl.clone(),
        "@risk: coastal, urban and rural",
        "Dr Wong",
        "300,000.50 CNY",
    )
    .await;
    // A4 (UM): a draft.
    let a4 = draft(
        um_ctl.clone(),
        "-40 °C cold chains for vaccines",
        "Dr Ieong",
        "150,000.00 CNY",
    )
    .await;
    // A5 (HKU): paid in full and closed.
    let a5 = draft(hku_ctl.clone(), "+852 hotline: a study", "Dr Wong", "999,999.99 CNY").await;

    for (ctl, a) in [(&hku_ctl, &a1), (&um_ctl, &a2), (&hku_ctl, &a3), (&hku_ctl, &a5)] {
        step(ctl, vec!["applications", "submit", a.as_str()]).await;
    }
    for (a, amount) in [
        (&a1, "1,234,567.89 CNY"),
        (&a2, "500,000.01 CNY"),
        (&a5, "999,999.99 CNY"),
    ] {
        step(&officer, vec!["review", "start", a.as_str()]).await;
        let approve = vec![
            "review",
            "approve",
            a.as_str(),
            "--amount",
            amount,
            "--reason",
            "Strong team",
        ];
        step(&officer, approve).await;
    }
    step(
        &officer,
        disburse(&a1, "100,000.10 CNY", "1.0842", "HKD", "FPS-1, \"HSBC\""),
    )
    .await;
    let mut second = disburse(&a1, "200,000 CNY", "1.0842", "HKD", "=FPS-2");
    second.extend_from_slice(&["--bank-charges", "25 HKD"]);
    step(&officer, second).await;
    step(&officer, disburse(&a5, "999,999.99 CNY", "1", "CNY", "@FPS-3")).await;
    step(&officer, vec!["awards", "close", a5.as_str(), "--reason", "Completed"]).await;

    // What the API says.
    let apps = listed(&server, &server.admin_key, &p).await;
    let order: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(order, [&a1, &a2, &a3, &a4, &a5].map(String::as_str));
    let mut application_rows = Vec::new();
    for a in &apps {
        application_rows.push(application_row(&server, a).await);
    }
    let mut award_rows = Vec::new();
    let mut disbursement_rows = Vec::new();
    for a in apps.iter().filter(|a| awarded(a)) {
        award_rows.push(award_row(&server, a).await);
        for d in paid(&server, &a.name).await {
            disbursement_rows.push(disbursement_row(&a.name, &d));
        }
    }

    // The figures as a finance office reads them.
    let cell = |rows: &[Vec<String>], columns: &[&str], row: usize, column: &str| {
        rows[row][columns.iter().position(|c| *c == column).unwrap()].clone()
    };
    let a = |row: usize, column: &str| cell(&application_rows, &APPLICATION_COLUMNS, row, column);
    assert_eq!(a(0, "requested_amount"), "1234567.89");
    assert_eq!(a(0, "requested_currency"), "CNY");
    assert_eq!(a(0, "institution_name_zh"), "香港大學");
    assert_eq!(a(1, "institution_name_zh"), "澳門大學");
    assert_eq!(a(1, "institution_name_en"), "University of Macau, Taipa");
    assert_eq!(a(0, "principal_investigator"), "Chan, Tai Man");
    assert_eq!(
        [
            a(0, "state"),
            a(1, "state"),
            a(2, "state"),
            a(3, "state"),
            a(4, "state")
        ],
        ["ACTIVE", "APPROVED", "SUBMITTED", "DRAFT", "CLOSED"]
    );
    assert_eq!(a(3, "submit_time"), "", "a draft was never submitted");
    let aw = |row: usize, column: &str| cell(&award_rows, &AWARD_COLUMNS, row, column);
    assert_eq!(award_rows.len(), 3);
    assert_eq!(
        [
            aw(0, "awarded_amount"),
            aw(0, "disbursed_amount"),
            aw(0, "remaining_amount")
        ],
        ["1234567.89", "300000.10", "934567.79"]
    );
    assert_eq!(
        [
            aw(1, "awarded_amount"),
            aw(1, "disbursed_amount"),
            aw(1, "remaining_amount")
        ],
        ["500000.01", "0.00", "500000.01"]
    );
    assert_eq!(
        [aw(2, "remaining_amount"), aw(2, "state"), aw(2, "closure")],
        ["0.00", "CLOSED", "COMPLETED"]
    );
    assert_eq!(aw(0, "closure"), "", "not closed");
    assert!(aw(0, "award_number").starts_with("GBA-"));
    let d = |row: usize, column: &str| cell(&disbursement_rows, &DISBURSEMENT_COLUMNS, row, column);
    assert_eq!(disbursement_rows.len(), 3);
    assert_eq!(
        [
            d(0, "amount"),
            d(0, "payee_amount"),
            d(0, "payee_currency"),
            d(0, "reference")
        ],
        ["100000.10", "108420.11", "HKD", "FPS-1, \"HSBC\""]
    );
    assert_eq!([d(1, "payee_amount"), d(1, "bank_charges")], ["216815.00", "25.00"]);
    assert_eq!(d(2, "application"), a5);

    let dir = tempfile::tempdir().expect("a directory");
    let scope = ["--programme", p.as_str()];
    check_kind(
        &admin,
        dir.path(),
        "applications",
        &scope,
        &APPLICATION_COLUMNS,
        &application_rows,
    )
    .await;
    check_kind(&admin, dir.path(), "awards", &scope, &AWARD_COLUMNS, &award_rows).await;
    check_kind(
        &officer,
        dir.path(),
        "disbursements",
        &scope,
        &DISBURSEMENT_COLUMNS,
        &disbursement_rows,
    )
    .await;
    // Only the exports are left: no temporary file beside them.
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left.len(), 3 * 5, "{left:?}");
    assert!(left.iter().all(|f| !f.starts_with('.')), "{left:?}");

    // The bare id works as --programme does elsewhere; --state filters.
    let bare = p.trim_start_matches("programmes/");
    let (path, _) = export_to(
        &admin,
        dir.path(),
        "approved.csv",
        &["applications", "--programme", bare, "--state", "Approved"],
    )
    .await;
    assert_eq!(
        python_rows(&path).await,
        with_header(&APPLICATION_COLUMNS, &application_rows[1..2])
    );

    // Without --programme: every programme the key may see. HKU's key
    // sees HKU's applications only.
    let hku_rows: Vec<Vec<String>> = [0, 2, 4].iter().map(|i| application_rows[*i].clone()).collect();
    let (path, _) = export_to(&hku_ctl, dir.path(), "hku.csv", &["applications", "--page-size", "1"]).await;
    assert_eq!(python_rows(&path).await, with_header(&APPLICATION_COLUMNS, &hku_rows));

    // Refusals exit as everywhere else, and leave FILE as it was.
    let target = dir.path().join("kept.csv");
    std::fs::write(&target, "old").unwrap();
    let target_text = target.to_str().unwrap();
    let missing = "programmes/0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4";
    for (args, exit) in [
        (
            vec!["export", "awards", "--programme", "not an id!", "-O", target_text],
            4,
        ),
        (vec!["export", "awards", "--programme", missing, "-O", target_text], 3),
        (
            vec!["export", "disbursements", "--programme", missing, "-O", target_text],
            3,
        ),
    ] {
        let run = admin.run(&args).await;
        run.fails(exit);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old", "{args:?}");
    }
    let foreign = um_ctl.run(&["export", "applications", "--programme", missing]).await;
    foreign.fails(3);
    assert!(
        foreign.stdout.is_empty(),
        "nothing, not even the header: {}",
        foreign.stdout
    );
    let usage = admin.run(&["export", "awards", "--format", "xlsx"]).await;
    assert_eq!(usage.code, 2, "{}", usage.stderr);
    let dot_files = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with('.'))
        .count();
    assert_eq!(dot_files, 0, "no temporary file is left by a failed export");

    // --help documents the formula prefix.
    let help = admin.run(&["export", "awards", "--help"]).await.ok();
    assert!(help.contains("--excel") && help.contains("single quote"), "{help}");
}
