//! The beam-time story through grantctl alone: a facility-access programme
//! (CSNS beam time in 0.5-hour steps), applications from HKU and the
//! University of Macau requesting beam time with preferred periods, the
//! allocations approved within the capacity, usage recorded, usage beyond
//! the allocation and a reused reference refused with their reasons, a
//! close releasing the rest, and the summary, tables and exports in
//! `beam-h`, exactly. Amounts a facility programme does not take (money,
//! finer than a step) are refused naming the flag or the field.

use serde_json::Value;

use super::common::*;
use super::run::{Ctl, Run};
use super::timefmt;

fn at(seconds: i64) -> String {
    timefmt::format(&prost_types::Timestamp { seconds, nanos: 0 })
}

fn period(start: i64, hours: i64) -> String {
    format!("{}/{}", at(start), at(start + hours * 3_600))
}

#[track_caller]
fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str().unwrap_or_else(|| panic!("{what} is not a string: {v}"))
}

/// `{"unit": "beam-h", "steps": "193", "value": "96.5"}` as (steps, value).
#[track_caller]
fn beam(v: &Value) -> (String, String) {
    assert_eq!(v["unit"], "beam-h", "{v}");
    (
        v["steps"].as_str().unwrap_or("0").to_owned(),
        str_of(&v["value"], "value").to_owned(),
    )
}

fn pair(steps: &str, value: &str) -> (String, String) {
    (steps.to_owned(), value.to_owned())
}

async fn run(ctl: &Ctl, args: &[&str]) -> Run {
    ctl.run(args).await
}

pub async fn the_beam_time_story_through_grantctl(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let now = now_seconds();

    let register = |display: &'static str, local: &'static str, region: &'static str| {
        let admin = admin.clone();
        async move {
            let args = [
                "institutions",
                "create",
                "--display-name",
                display,
                "--local-name",
                local,
                "--region",
                region,
                "-o",
                "json",
            ];
            admin.run(&args).await.json()["name"].as_str().unwrap().to_owned()
        }
    };
    let hku = register("The University of Hong Kong", "香港大學", "hong-kong").await;
    let um = register("University of Macau", "澳門大學", "macao").await;

    // 1. The facility programme: capacity in beam hours, no money at all.
    let (open, close) = (at(now - 3_600), at(now + 60 * 86_400));
    let programme = run(
        &admin,
        &[
            "programmes",
            "create",
            "--display-name",
            "CSNS beam time 2026",
            "--local-name",
            "中国散裂中子源机时 2026",
            "--funder",
            "Guangdong Provincial Science and Technology Department",
            "--facility",
            "China Spallation Neutron Source",
            "--facility-local-name",
            "中国散裂中子源",
            "--resource",
            "beam time, GPPD",
            "--capacity",
            "150 beam-h",
            "--max-request",
            "100 beam-h",
            "--eligible-region",
            "hong-kong",
            "--eligible-region",
            "macao",
            "--open-time",
            &open,
            "--close-time",
            &close,
            "-o",
            "json",
        ],
    )
    .await
    .json();
    let facility = &programme["facility"];
    assert_eq!(facility["facility"], "China Spallation Neutron Source", "{programme}");
    assert_eq!(facility["localName"], "中国散裂中子源");
    assert_eq!(facility["unit"], "beam-h");
    assert_eq!(facility["step"], "0.5");
    assert_eq!(beam(&facility["capacity"]), pair("300", "150"));
    assert_eq!(beam(&facility["maxRequest"]), pair("200", "100"));
    for money in ["currencyCode", "budget", "committed", "maxAward"] {
        assert!(programme.get(money).is_none(), "{money} stays unset: {programme}");
    }
    let p = str_of(&programme["name"], "name").to_owned();
    let shown = run(&admin, &["programmes", "get", &p]).await.ok();
    for line in [
        "Facility:",
        "China Spallation Neutron Source  中国散裂中子源",
        "beam time, GPPD",
        "beam-h (beam hours, in steps of 0.5)",
        "150 beam-h",
    ] {
        assert!(shown.contains(line), "{line} in:\n{shown}");
    }
    assert!(!shown.contains("Budget:"), "{shown}");
    let listed = run(&admin, &["programmes", "list"]).await.ok();
    assert!(listed.contains("150 beam-h"), "{listed}");

    let key = |args: Vec<String>| {
        let admin = admin.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            admin.run(&args).await.ok()
        }
    };
    let v = |args: &[&str]| args.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let hku_key = key(v(&["keys", "create", "--role", "applicant", "--institution", &hku])).await;
    let um_key = key(v(&["keys", "create", "--role", "applicant", "--institution", &um])).await;
    let officer_key = key(v(&["keys", "create", "--role", "officer", "--programme", &p])).await;
    let (hku_ctl, um_ctl, officer) = (admin.with(&hku_key), admin.with(&um_key), admin.with(&officer_key));

    // 2. Requests in beam hours, with preferred periods.
    let day = 86_400;
    let too_fine = run(
        &hku_ctl,
        &[
            "applications",
            "create",
            "--programme",
            &p,
            "--title",
            "x",
            "--requested",
            "96.25 beam-h",
        ],
    )
    .await;
    let err = too_fine.fails(4);
    assert!(
        err.contains("invalid --requested: 96.25 is finer than beam-h's step of 0.5 beam-h"),
        "{err}"
    );
    let backwards = run(
        &hku_ctl,
        &[
            "applications",
            "create",
            "--programme",
            &p,
            "--title",
            "x",
            "--preferred-period",
            &format!("{}/{}", at(now + 9 * day), at(now + 8 * day)),
        ],
    )
    .await;
    assert!(
        backwards.fails(4).contains("invalid --preferred-period"),
        "{}",
        backwards.stderr
    );
    let hku_draft = run(
        &hku_ctl,
        &[
            "applications",
            "create",
            "--programme",
            &p,
            "--title",
            "Lithium transport in solid electrolytes under load",
            "--abstract",
            "Operando neutron powder diffraction of cathodes cycled in Hong Kong.",
            "--pi-name",
            "Dr Chan Tai Man",
            "--pi-email",
            "tmchan@hku.hk",
            "--pi-orcid",
            "0000-0002-1825-0097",
            "--duration-months",
            "6",
            "--requested",
            "96.5 beam-h",
            "--preferred-period",
            &period(now + 30 * day, 96),
            "--preferred-period",
            &period(now + 45 * day, 96),
            "-o",
            "json",
        ],
    )
    .await
    .json();
    assert_eq!(
        beam(&hku_draft["requestedResource"]),
        pair("193", "96.5"),
        "{hku_draft}"
    );
    assert!(hku_draft.get("requestedAmount").is_none(), "{hku_draft}");
    assert_eq!(hku_draft["preferredPeriods"].as_array().map(Vec::len), Some(2));
    assert_eq!(hku_draft["preferredPeriods"][0]["startTime"], at(now + 30 * day));
    let a_hku = str_of(&hku_draft["name"], "name").to_owned();
    let money_on_facility = run(
        &hku_ctl,
        &["applications", "update", &a_hku, "--requested", "1,000 CNY"],
    )
    .await;
    let err = money_on_facility.fails(4);
    assert!(err.contains("requested_amount"), "the field is named: {err}");
    let foreign = run(
        &hku_ctl,
        &["applications", "update", &a_hku, "--requested", "96 core-h"],
    )
    .await;
    let err = foreign.fails(4);
    assert!(
        err.contains("requested_resource"),
        "a foreign unit names the field: {err}"
    );
    let edited = run(
        &hku_ctl,
        &[
            "applications",
            "update",
            &a_hku,
            "--preferred-period",
            &period(now + 31 * day, 72),
            "-o",
            "json",
        ],
    )
    .await
    .json();
    assert_eq!(edited["preferredPeriods"].as_array().map(Vec::len), Some(1), "{edited}");
    assert_eq!(beam(&edited["requestedResource"]), pair("193", "96.5"), "kept");
    let shown = run(&hku_ctl, &["applications", "get", &a_hku]).await.ok();
    assert!(shown.contains("96.5 beam-h"), "{shown}");
    assert!(shown.contains("Preferred periods:"), "{shown}");

    let um_draft = run(
        &um_ctl,
        &[
            "applications",
            "create",
            "--programme",
            &p,
            "--title",
            "Hydrogen in Macao's coastal concrete",
            "--pi-name",
            "Prof. Leong Ka Wai",
            "--abstract",
            "Neutron imaging of hydrogen uptake in marine concrete.",
            "--pi-email",
            "kwleong@um.edu.mo",
            "--pi-orcid",
            "0000-0001-5109-3700",
            "--duration-months",
            "3",
            "--requested",
            "80 beam-h",
            "--preferred-period",
            &period(now + 40 * day, 48),
            "-o",
            "json",
        ],
    )
    .await
    .json();
    assert_eq!(beam(&um_draft["requestedResource"]), pair("160", "80"));
    let a_um = str_of(&um_draft["name"], "name").to_owned();

    for (ctl, a) in [(&hku_ctl, &a_hku), (&um_ctl, &a_um)] {
        assert_eq!(
            run(ctl, &["applications", "submit", a, "-o", "json"]).await.json()["state"],
            "STATE_SUBMITTED"
        );
        assert_eq!(
            run(&officer, &["reviews", "start", a, "-o", "json"]).await.json()["state"],
            "STATE_UNDER_REVIEW"
        );
    }
    let apps = run(&officer, &["applications", "list", "--programme", &p]).await.ok();
    assert!(apps.contains("96.5 beam-h") && apps.contains("80 beam-h"), "{apps}");

    // 3. Allocations within the capacity (150 beam-h).
    let approve = |a: &str, amount: &str| {
        let officer = officer.clone();
        let args = v(&[
            "reviews",
            "approve",
            a,
            "--amount",
            amount,
            "--reason",
            "Within the cycle",
            "-o",
            "json",
        ]);
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            officer.run(&args).await
        }
    };
    let err = approve(&a_hku, "90,000 CNY").await.fails(4);
    assert!(
        err.contains("awarded_amount"),
        "money on a facility programme names the field: {err}"
    );
    let hku_award = approve(&a_hku, "90 beam-h").await.json();
    assert_eq!(hku_award["state"], "STATE_APPROVED", "{hku_award}");
    assert_eq!(beam(&hku_award["awardedResource"]), pair("180", "90"));
    assert!(hku_award.get("awardedAmount").is_none(), "{hku_award}");
    let over = approve(&a_um, "80 beam-h").await;
    assert_eq!(over.code, 5, "90 + 80 is beyond the 150 beam-h: {}", over.stderr);
    let um_award = approve(&a_um, "55.5 beam-h").await.json();
    assert_eq!(beam(&um_award["awardedResource"]), pair("111", "55.5"));
    let programme = run(&officer, &["programmes", "get", &p, "-o", "json"]).await.json();
    assert_eq!(
        beam(&programme["facility"]["allocated"]),
        pair("291", "145.5"),
        "{programme}"
    );
    let below = run(&admin, &["programmes", "update", &p, "--capacity", "140 beam-h"]).await;
    assert!(below.fails(5).contains("BUDGET_BELOW_COMMITTED"), "{}", below.stderr);
    let updated = run(
        &admin,
        &[
            "programmes",
            "update",
            &p,
            "--max-request",
            "120.5 beam-h",
            "-o",
            "json",
        ],
    )
    .await
    .json();
    assert_eq!(
        beam(&updated["facility"]["maxRequest"]),
        pair("241", "120.5"),
        "{updated}"
    );
    assert_eq!(beam(&updated["facility"]["capacity"]), pair("300", "150"), "kept");

    // 4. Usage, within the allocation, each with its own reference.
    let record = |a: &str, amount: &str, start: i64, hours: i64, reference: &str, extra: &[&str]| {
        let officer = officer.clone();
        let mut args = v(&[
            "awards",
            "usage",
            "record",
            a,
            "--amount",
            amount,
            "--period",
            &period(start, hours),
            "--reference",
            reference,
            "-o",
            "json",
        ]);
        args.extend(v(extra));
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            officer.run(&args).await
        }
    };
    let err = record(&a_hku, "0.25 beam-h", now - 2 * day, 1, "EXP-X", &[])
        .await
        .fails(4);
    assert!(
        err.contains("invalid --amount: 0.25 is finer than beam-h's step"),
        "{err}"
    );
    let err = record(&a_hku, "12.5 CNY", now - 2 * day, 1, "EXP-X", &[])
        .await
        .fails(4);
    assert!(
        err.contains("invalid --amount") && err.contains("awards disburse"),
        "{err}"
    );
    let err = run(
        &officer,
        &["awards", "disburse", &a_hku, "--amount", "5 beam-h", "--rate", "1"],
    )
    .await
    .fails(4);
    assert!(err.contains("awards usage record"), "{err}");

    let first = record(
        &a_hku,
        "12.5 beam-h",
        now - 3 * day,
        12,
        "EXP-2026-0042",
        &["--request-id", "usage-1"],
    )
    .await
    .json();
    assert_eq!(beam(&first["usageRecord"]["amount"]), pair("25", "12.5"), "{first}");
    assert_eq!(first["usageRecord"]["reference"], "EXP-2026-0042");
    assert_eq!(first["usageRecord"]["period"]["startTime"], at(now - 3 * day));
    assert_eq!(
        first["application"]["state"], "STATE_ACTIVE",
        "the first usage moves it on"
    );
    assert_eq!(beam(&first["application"]["usedResource"]), pair("25", "12.5"));
    let again = record(
        &a_hku,
        "12.5 beam-h",
        now - 3 * day,
        12,
        "EXP-2026-0042",
        &["--request-id", "usage-1"],
    )
    .await
    .json();
    assert_eq!(
        again["usageRecord"]["name"], first["usageRecord"]["name"],
        "a retry records once"
    );
    let second = record(&a_hku, "60 beam-h", now - 2 * day, 60, "EXP-2026-0043", &[])
        .await
        .json();
    assert_eq!(beam(&second["application"]["usedResource"]), pair("145", "72.5"));

    let beyond = record(&a_hku, "20 beam-h", now - day, 20, "EXP-2026-0044", &[]).await;
    let err = beyond.fails(5);
    assert!(err.contains("FAILED_PRECONDITION USAGE_EXCEEDS_ALLOCATION"), "{err}");
    assert!(err.contains("17.5"), "what is left is said: {err}");
    let reused = record(&a_um, "10 beam-h", now - day, 10, "EXP-2026-0042", &[]).await;
    let err = reused.fails(5);
    assert!(
        err.contains("ALREADY_EXISTS DUPLICATE_USAGE_REFERENCE"),
        "unique in the programme: {err}"
    );
    let um_used = record(&a_um, "40 beam-h", now - day, 40, "EXP-2026-0051", &[])
        .await
        .json();
    assert_eq!(beam(&um_used["application"]["usedResource"]), pair("80", "40"));

    let table = run(&officer, &["awards", "usage", "list", &a_hku]).await.ok();
    let t = "YYYY-MM-DD hh:mm:ssZ";
    assert_eq!(
        super::run::normalise(&table),
        format!(
            "USAGE RECORD                      AMOUNT       FROM                  UNTIL                 \
             REFERENCE      RECORDED\n\
             xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1  12.5 beam-h  {t}  {t}  EXP-2026-0042  {t}\n\
             xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx2  60 beam-h    {t}  {t}  EXP-2026-0043  {t}"
        ),
        "aligned, amounts in the unit"
    );
    for text in [
        "USAGE RECORD",
        "12.5 beam-h",
        "60 beam-h",
        "EXP-2026-0042",
        "EXP-2026-0043",
    ] {
        assert!(table.contains(text), "{text} in:\n{table}");
    }
    assert!(!table.contains("EXP-2026-0044"), "{table}");
    let records = run(&officer, &["awards", "usage", "list", &a_hku, "-o", "json"])
        .await
        .json();
    let refs: Vec<&str> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| str_of(&r["reference"], "reference"))
        .collect();
    assert_eq!(refs, ["EXP-2026-0042", "EXP-2026-0043"], "oldest first");
    let events = run(&officer, &["applications", "events", &a_hku, "-o", "json"])
        .await
        .json();
    let usage_events = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("usageRecord").is_some())
        .count();
    assert_eq!(usage_events, 2, "{events}");
    let shown = run(&officer, &["applications", "get", &a_hku]).await.ok();
    for text in ["Allocated:", "90 beam-h", "72.5 beam-h", "17.5 beam-h"] {
        assert!(shown.contains(text), "{text} in:\n{shown}");
    }

    // 5. Closing releases the unused 17.5 beam-h to the capacity.
    let closed = run(&officer, &["awards", "close", &a_hku, "-o", "json"]).await.json();
    assert_eq!(closed["state"], "STATE_CLOSED", "{closed}");
    let programme = run(&officer, &["programmes", "get", &p, "-o", "json"]).await.json();
    assert_eq!(
        beam(&programme["facility"]["allocated"]),
        pair("256", "128"),
        "72.5 used of HKU's 90, and UM's 55.5: {programme}"
    );
    assert!(
        programme["facility"].get("used").is_none(),
        "usage is in the summary: {programme}"
    );

    // 6. The summary in beam hours.
    let summary = |format: &'static str| {
        let officer = officer.clone();
        let p = p.clone();
        async move {
            tokio::time::timeout(
                std::time::Duration::from_secs(30),
                officer.run(&["watch", "summary", "--programme", &p, "--max-events", "1", "-o", format]),
            )
            .await
            .expect("a summary within 30 s")
            .ok()
        }
    };
    let line = summary("table").await;
    assert!(
        line.contains("allocated 128 of 150 beam-h, used 112.5, free 22"),
        "{line}"
    );
    assert!(line.contains("requested 176.5 beam-h"), "{line}");
    assert!(line.contains("Hong Kong 72.5 beam-h (used 72.5)"), "{line}");
    assert!(line.contains("Macao 55.5 beam-h (used 40)"), "{line}");
    let s: Value = serde_json::from_str(&summary("json").await).expect("JSON");
    assert_eq!(beam(&s["capacity"]), pair("300", "150"), "{s}");
    assert_eq!(beam(&s["allocated"]), pair("256", "128"));
    assert_eq!(beam(&s["used"]), pair("225", "112.5"));
    assert_eq!(beam(&s["free"]), pair("44", "22"));
    assert!(
        s.get("committed").is_none() && s.get("remainingBudget").is_none(),
        "{s}"
    );
    let regions = s["regionTotals"].as_array().expect("region totals");
    let region = |name: &str| {
        regions
            .iter()
            .find(|r| r["region"] == name)
            .unwrap_or_else(|| panic!("{name} in {s}"))
    };
    assert_eq!(
        beam(&region("REGION_HONG_KONG")["requestedResource"]),
        pair("193", "96.5")
    );
    assert_eq!(beam(&region("REGION_MACAO")["used"]), pair("80", "40"));

    // 7. Exports carry the amounts in the unit, exactly.
    let rows = |kind: &'static str| {
        let officer = officer.clone();
        let p = p.clone();
        async move {
            let out = officer
                .run(&["export", kind, "--programme", &p, "--format", "jsonl"])
                .await
                .ok();
            out.lines()
                .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line"))
                .collect::<Vec<_>>()
        }
    };
    let awards = rows("awards").await;
    let hku_row = awards
        .iter()
        .find(|r| r["name"] == a_hku.as_str())
        .expect("HKU's award");
    for (column, want) in [
        ("awarded_amount", "90"),
        ("used_amount", "72.5"),
        ("remaining_amount", "17.5"),
        ("unit", "beam-h"),
        ("currency", ""),
        ("disbursed_amount", ""),
        ("closure", "COMPLETED"),
    ] {
        assert_eq!(hku_row[column], want, "{column}: {hku_row}");
    }
    let applications = rows("applications").await;
    let um_row = applications
        .iter()
        .find(|r| r["name"] == a_um.as_str())
        .expect("UM's application");
    assert_eq!(
        (um_row["requested_amount"].as_str(), um_row["requested_unit"].as_str()),
        (Some("80"), Some("beam-h"))
    );
    let usage = rows("usage").await;
    let amounts: Vec<(&str, &str, &str)> = usage
        .iter()
        .map(|r| {
            (
                str_of(&r["reference"], "reference"),
                str_of(&r["amount"], "amount"),
                str_of(&r["unit"], "unit"),
            )
        })
        .collect();
    assert_eq!(amounts.len(), 3, "{usage:?}");
    for want in [
        ("EXP-2026-0042", "12.5", "beam-h"),
        ("EXP-2026-0043", "60", "beam-h"),
        ("EXP-2026-0051", "40", "beam-h"),
    ] {
        assert!(amounts.contains(&want), "{want:?} in {amounts:?}");
    }
}
