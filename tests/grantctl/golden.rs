//! Golden tests of the table format: bilingual names aligned by display
//! width, money with separators and its currency, states and roles as
//! filters take them. Ids and
//! times are normalised to same-width stand-ins (see run.rs).

use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;

use super::common::world::*;
use super::common::*;
use super::run::{Ctl, normalise};

#[track_caller]
fn same(actual: &str, expected: &str) {
    let actual = normalise(actual);
    assert_eq!(
        actual, expected,
        "\n--- actual ---\n{actual}--- expected ---\n{expected}"
    );
}

pub async fn tables_align_bilingual_names_and_format_money(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let mut names = Vec::new();
    for (display, local, region, ror) in [
        ("The University of Hong Kong", "香港大學", "hong-kong", "02zhqgq86"),
        ("University of Macau", "澳門大學", "macao", "01r4q9n85"),
        ("Sun Yat-sen University", "中山大学", "guangdong", "0064kty71"),
    ] {
        let args = [
            "institutions",
            "create",
            "--display-name",
            display,
            "--local-name",
            local,
        ];
        let more = ["--region", region, "--ror", ror, "-o", "name"];
        names.push(admin.run(&[&args[..], &more[..]].concat()).await.ok());
    }
    same(
        &admin.run(&["institutions", "list"]).await.ok_raw(),
        "\
NAME                                           DISPLAY NAME                 LOCAL NAME  REGION     ROR
institutions/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1  The University of Hong Kong  香港大學    Hong Kong  02zhqgq86
institutions/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx2  University of Macau          澳門大學    Macao      01r4q9n85
institutions/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx3  Sun Yat-sen University       中山大学    Guangdong  0064kty71
",
    );
    same(
        &admin.run(&["institutions", "get", &names[1]]).await.ok_raw(),
        "\
Name:          institutions/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1
Display name:  University of Macau  澳門大學
Region:        Macao
ROR:           01r4q9n85
Registered:    YYYY-MM-DD hh:mm:ssZ
Updated:       YYYY-MM-DD hh:mm:ssZ
",
    );

    let (hku, sysu) = (names[0].clone(), names[2].clone());
    let programme = server.open_programme(programme(10_000_000, 1_000_000)).await;
    let hku_key = server.key(Role::Applicant, &hku, &[]).await;
    let officer = server.key(Role::Officer, "", &[&programme.name]).await;
    let mut apps = Vec::new();
    for requested in [800_000, 1_000_000] {
        let draft = server
            .apps(&hku_key)
            .create_application(v1::CreateApplicationRequest {
                parent: programme.name.clone(),
                application: Some(application(&hku, &[&sysu], requested)),
                request_id: String::new(),
            })
            .await
            .expect("draft")
            .into_inner()
            .application
            .expect("application");
        apps.push(draft.name);
    }
    submit(&server, &hku_key, &apps[0]).await.expect("submit");
    start_review(&server, &officer, &apps[0]).await.expect("review");
    approve(&server, &officer, &apps[0], 750_000, "")
        .await
        .expect("approve");
    let mut pay = payment(100_000, 108_395, 0, "1.0842");
    pay.bank_charges = Some(money("HKD", 25, 0));
    pay.reference = "FPS-1".into();
    disburse(&server, &officer, &apps[0], pay, "").await.expect("disburse");

    same(
        &admin.run(&["programmes", "get", &programme.name]).await.ok_raw(),
        "\
Name:               programmes/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1
Display name:       Greater Bay Area Joint Research  粤港澳联合研究
Funder:             Guangdong Provincial Science and Technology Department
Budget:             CNY 10,000,000.00
Committed:          CNY 750,000.00
Max award:          CNY 1,000,000.00
Eligible regions:   Hong Kong, Macao
Guangdong partner:  required
Opens:              YYYY-MM-DD hh:mm:ssZ
Closes:             YYYY-MM-DD hh:mm:ssZ
Etag:               2
",
    );
    same(
        &admin.run(&["programmes", "list"]).await.ok_raw(),
        "\
NAME                                         DISPLAY NAME                     LOCAL NAME      BUDGET             COMMITTED       CLOSES
programmes/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1  Greater Bay Area Joint Research  粤港澳联合研究  CNY 10,000,000.00  CNY 750,000.00  YYYY-MM-DD hh:mm:ssZ
",
    );
    same(
        &admin.run(&["applications", "list", "--programme", &programme.name]).await.ok_raw(),
        "\
APPLICATION                                                        STATE   REQUESTED         AWARDED         TITLE
xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx2  ACTIVE  CNY 800,000.00    CNY 750,000.00  Typhoon-resilient coastal infrastructure for th…
xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx3  DRAFT   CNY 1,000,000.00                  Typhoon-resilient coastal infrastructure for th…
",
    );
    same(
        &admin.run(&["awards", "disbursements", &apps[0]]).await.ok_raw(),
        "\
DISBURSEMENT                      TRANCHE  AMOUNT          PAYEE AMOUNT    RATE    CHARGES    REFERENCE  PAID
xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1  1        CNY 100,000.00  HKD 108,395.00  1.0842  HKD 25.00  FPS-1      YYYY-MM-DD hh:mm:ssZ
",
    );
    same(
        &admin.run(&["applications", "events", &apps[0]]).await.ok_raw(),
        "\
TIME                  APPLICATION                                                        CHANGE                            BY         REASON
YYYY-MM-DD hh:mm:ssZ  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx2  created → DRAFT                   APPLICANT
YYYY-MM-DD hh:mm:ssZ  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx2  DRAFT → SUBMITTED                 APPLICANT
YYYY-MM-DD hh:mm:ssZ  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx2  SUBMITTED → UNDER_REVIEW          OFFICER
YYYY-MM-DD hh:mm:ssZ  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx2  UNDER_REVIEW → APPROVED           OFFICER    Strong cross-border team
YYYY-MM-DD hh:mm:ssZ  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx2  APPROVED → ACTIVE (disbursement)  OFFICER    FPS-1
",
    );
}

trait Raw {
    fn ok_raw(&self) -> String;
}

impl Raw for super::run::Run {
    /// Standard output untrimmed (tables end with a newline).
    fn ok_raw(&self) -> String {
        assert_eq!(self.code, 0, "grantctl failed: {}", self.stderr);
        self.stdout.clone()
    }
}

/// Text that could redraw a terminal (line breaks, bidirectional
/// overrides; the server refuses other control characters) is printed
/// escaped: a reason cannot draw
/// a fake row in a table, nor a fake field in a field list.
pub async fn text_that_would_redraw_a_terminal_is_escaped(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let app = w.submitted(&server, 100_000).await;
    let forged = "Out of scope\n  programmes/x/applications/y  APPROVED  Fake row \u{202e}exe.ssalc";
    reject(&server, &w.officer_key, &app.name, forged)
        .await
        .expect("reject");
    let ctl = Ctl::new(server.addr, &w.officer_key);

    let shown = ctl.run(&["applications", "get", &app.name]).await.ok_raw();
    assert!(!shown.contains('\u{202e}'), "U+202E printed raw:\n{shown}");
    let decision: Vec<&str> = shown
        .lines()
        .skip_while(|l| !l.starts_with("Decision:"))
        .take(2)
        .collect();
    assert_eq!(decision.len(), 2, "{shown}");
    assert_eq!(decision[0], "Decision:      Out of scope", "{shown}");
    assert_eq!(
        decision[1],
        format!(
            "{}  programmes/x/applications/y  APPROVED  Fake row \\u{{202e}}exe.ssalc",
            " ".repeat(15)
        ),
        "the second line stays under its label, escaped:\n{shown}"
    );

    let history = ctl.run(&["applications", "events", &app.name]).await.ok_raw();
    assert!(!history.contains('\u{202e}'), "U+202E printed raw:\n{history}");
    // A header and one row per event (created, submitted, rejected).
    assert_eq!(history.lines().count(), 4, "no fake row:\n{history}");
    assert!(history.contains("Out of scope\\n  programmes/x"), "{history}");
}
