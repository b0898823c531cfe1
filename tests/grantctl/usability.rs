//! grantctl as people expect a CLI to behave: `whoami` for every role,
//! enum values in any case and the `--state` / `--institution` shortcuts
//! (checked against the data), a missing or foreign parent refused alike
//! (exit 3), `institutions update`, `review` as the same tree as
//! `reviews`, and relative times.

use std::time::Duration;

use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use serde_json::Value;

use super::common::world::*;
use super::common::*;
use super::run::{Ctl, Run};

const MISSING: &str = "0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4";

/// The names in a `-o name` listing, sorted.
fn names(r: &Run) -> Vec<String> {
    let mut v: Vec<String> = r.ok().lines().map(str::to_owned).filter(|l| !l.is_empty()).collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// A run that must end within 30 s (a watch must not wait for events).
async fn bounded(ctl: &Ctl, args: &[&str]) -> Run {
    tokio::time::timeout(Duration::from_secs(30), ctl.run(args))
        .await
        .unwrap_or_else(|_| panic!("grantctl {args:?} did not end"))
}

pub async fn whoami_shows_each_roles_key_and_scope_never_its_secret(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let reviewer_key = server.key(Role::Reviewer, &w.um, &[&w.programme.name]).await;
    let all_viewer = admin
        .run(&[
            "keys",
            "create",
            "--role",
            "Viewer",
            "--all-programmes",
            "--display-name",
            "Dashboard wall",
        ])
        .await
        .ok();
    let labelled_officer = admin
        .run(&[
            "keys",
            "create",
            "--role",
            "OFFICER",
            "--institution",
            &w.hku,
            "--programme",
            &w.programme.name,
            "--display-name",
            "Ms Lee Mei Ling",
        ])
        .await
        .ok();

    // (key, role, what the table must show)
    let programme_label = "Greater Bay Area Joint Research";
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        (server.admin_key.as_str(), "ADMIN", vec!["Scope:", "everything"]),
        (
            w.hku_key.as_str(),
            "APPLICANT",
            vec![
                "Institution:",
                w.hku.as_str(),
                "The University of Hong Kong",
                "香港大學",
            ],
        ),
        (
            w.officer_key.as_str(),
            "OFFICER",
            vec![w.programme.name.as_str(), programme_label, "1 programme"],
        ),
        (
            labelled_officer.as_str(),
            "OFFICER",
            vec![
                "Ms Lee Mei Ling",
                "Affiliation:",
                "The University of Hong Kong",
                programme_label,
            ],
        ),
        (
            w.viewer_key.as_str(),
            "VIEWER",
            vec![w.programme.name.as_str(), programme_label, "read only"],
        ),
        (all_viewer.as_str(), "VIEWER", vec!["all programmes", "Dashboard wall"]),
        (
            reviewer_key.as_str(),
            "REVIEWER",
            vec![
                "Affiliation:",
                w.um.as_str(),
                "University of Macau",
                w.programme.name.as_str(),
            ],
        ),
    ];
    for (key, role, shown) in cases {
        let ctl = admin.with(key);
        let json = ctl.run(&["whoami", "-o", "json"]).await.json();
        assert_eq!(json["role"], format!("ROLE_{role}"), "{json}");
        assert!(json["name"].as_str().unwrap().starts_with("apiKeys/"), "{json}");
        let table = ctl.run(&["whoami"]).await;
        let text = table.ok();
        let role_line = text.lines().find(|l| l.starts_with("Role:")).unwrap_or_default();
        assert!(role_line.ends_with(role), "{text}");
        assert!(text.contains(json["name"].as_str().unwrap()), "{text}");
        for s in shown {
            assert!(text.contains(s), "{s:?} for {role}:\n{text}");
        }
        assert_eq!(
            ctl.run(&["whoami", "-o", "name"]).await.ok(),
            json["name"].as_str().unwrap()
        );
        for out in [&text, &table.stderr, &json.to_string()] {
            assert!(!out.contains(key), "the secret was printed");
        }
    }
    // The officer's programme scope in JSON, as the API has it.
    let json = admin.with(&w.officer_key).run(&["whoami", "-o", "json"]).await.json();
    assert_eq!(json["programmes"], serde_json::json!([w.programme.name]));

    // A revoked key cannot ask who it is.
    let name = admin.with(&w.sysu_key).run(&["whoami", "-o", "name"]).await.ok();
    admin.run(&["keys", "revoke", &name]).await.ok();
    admin.with(&w.sysu_key).run(&["whoami"]).await.fails(3);
}

pub async fn values_in_any_case_and_the_state_and_institution_shortcuts(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let p = w.programme.name.clone();

    // HKU: a draft, two submitted, one under review; Macao: one submitted.
    let hku_draft = w.draft(&server, 100_000).await.name;
    let hku_submitted = [
        w.submitted(&server, 200_000).await.name,
        w.submitted(&server, 300_000).await.name,
    ];
    let hku_reviewing = w.under_review(&server, 400_000).await.name;
    let um_submitted = {
        let draft = server
            .apps(&w.um_key)
            .create_application(v1::CreateApplicationRequest {
                parent: p.clone(),
                application: Some(application(&w.um, &[&w.sysu], 150_000)),
                request_id: String::new(),
            })
            .await
            .expect("draft")
            .into_inner()
            .application
            .expect("application");
        submit(&server, &w.um_key, &draft.name).await.expect("submit").name
    };
    let all_submitted = sorted(vec![
        hku_submitted[0].clone(),
        hku_submitted[1].clone(),
        um_submitted.clone(),
    ]);

    let list = |extra: &[&str]| {
        let args = [&["applications", "list", "--programme", &p, "-o", "name"][..], extra].concat();
        let admin = admin.clone();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        async move { admin.run(&args.iter().map(String::as_str).collect::<Vec<_>>()).await }
    };
    for state in ["submitted", "SUBMITTED", "Submitted", "state_submitted"] {
        assert_eq!(
            names(&list(&["--state", state]).await),
            all_submitted,
            "--state {state}"
        );
    }
    for state in ["UNDER_REVIEW", "under-review", "under_review", "Under-Review"] {
        assert_eq!(
            names(&list(&["--state", state]).await),
            vec![hku_reviewing.clone()],
            "{state}"
        );
    }
    assert_eq!(names(&list(&["--state", "draft"]).await), vec![hku_draft.clone()]);
    assert!(names(&list(&["--state", "approved"]).await).is_empty());
    // The filter itself takes values in any case too.
    assert_eq!(names(&list(&["--filter", "state = submitted"]).await), all_submitted);

    // --institution: whole name or bare id, alone or with --state, and
    // AND-ed with --filter.
    let hku_id = w.hku.trim_start_matches("institutions/");
    let all_hku = sorted(vec![
        hku_draft.clone(),
        hku_submitted[0].clone(),
        hku_submitted[1].clone(),
        hku_reviewing.clone(),
    ]);
    assert_eq!(names(&list(&["--institution", &w.hku]).await), all_hku);
    assert_eq!(names(&list(&["--institution", hku_id]).await), all_hku);
    assert_eq!(
        names(&list(&["--institution", hku_id, "--state", "Submitted"]).await),
        sorted(hku_submitted.to_vec())
    );
    assert_eq!(
        names(&list(&["--institution", &w.um, "--filter", "state = SUBMITTED"]).await),
        vec![um_submitted.clone()]
    );
    assert_eq!(
        names(
            &list(&[
                "--state",
                "submitted",
                "--filter",
                &format!("applicant_institution = {}", w.um)
            ])
            .await
        ),
        vec![um_submitted.clone()]
    );
    // Without --programme: every programme the key may see.
    let r = admin
        .run(&["applications", "list", "--state", "under-review", "-o", "name"])
        .await;
    assert_eq!(names(&r), vec![hku_reviewing.clone()]);
    // The table shows the state as --state takes it.
    let table = list(&["--state", "under_review"]).await;
    let table = admin
        .run(&["applications", "list", "--programme", &p, "--state", "under_review"])
        .await
        .ok()
        + &table.stderr;
    assert!(table.contains("UNDER_REVIEW"), "{table}");

    // Refused before any call: an unknown state is usage (2), a malformed
    // institution or a shortcut repeating a filter term is invalid (4).
    list(&["--state", "pending"]).await.fails(2);
    assert!(
        list(&["--institution", "universities/hku"])
            .await
            .fails(4)
            .contains("--institution")
    );
    let r = list(&["--state", "draft", "--filter", "state = SUBMITTED"]).await;
    assert!(r.fails(4).contains("--state"), "{}", r.stderr);

    // Other enum flags in any case: regions, roles, recommendations, -o.
    let hk = admin
        .run(&["institutions", "list", "--region", "HONG_KONG", "-o", "name"])
        .await;
    assert_eq!(names(&hk), vec![w.hku.clone()]);
    for region in ["hong-kong", "Hong-Kong", "HK", "region_hong_kong"] {
        let r = admin
            .run(&["institutions", "list", "--region", region, "-o", "name"])
            .await;
        assert_eq!(names(&r), vec![w.hku.clone()], "{region}");
    }
    let r = admin
        .run(&["institutions", "list", "--region", "Macao", "-o", "JSON"])
        .await;
    assert_eq!(r.json()[0]["name"], w.um.as_str());
    let created = admin
        .run(&[
            "institutions",
            "create",
            "--display-name",
            "Lingnan University",
            "--local-name",
            "嶺南大學",
            "--region",
            "HONG_KONG",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(created["region"], "REGION_HONG_KONG");
    let key = admin
        .run(&["keys", "create", "--role", "Officer", "--programme", &p, "-o", "Json"])
        .await
        .json();
    assert_eq!(key["apiKey"]["role"], "ROLE_OFFICER");
    let officers = admin
        .run(&["keys", "list", "--filter", "role = officer", "-o", "json"])
        .await
        .json();
    assert!(
        officers.as_array().unwrap().iter().all(|k| k["role"] == "ROLE_OFFICER"),
        "{officers}"
    );
    let r = admin.run(&["keys", "create", "--role", "janitor"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
}

pub async fn missing_and_foreign_parents_are_the_same_error_exit_3(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let officer = admin.with(&w.officer_key);
    let applicant = admin.with(&w.hku_key);
    let missing_programme = format!("programmes/{MISSING}");
    let missing_institution = format!("institutions/{MISSING}");
    let foreign = w.other_programme.name.clone();

    // One sentence, exit 3, the same for a programme that does not exist
    // and one out of the key's scope, once the names are taken out.
    let same = |missing: Run, missing_name: &str, foreign: Run, foreign_name: &str| {
        let a = missing.fails(3).replace(missing_name, "PARENT");
        let b = foreign.fails(3).replace(foreign_name, "PARENT");
        assert_eq!(a, b, "missing and out of scope read alike");
        assert_eq!(a.lines().count(), 1, "one sentence: {a}");
        assert!(a.starts_with("grantctl: PERMISSION_DENIED"), "{a}");
        a
    };
    for verb in [
        &["applications", "list", "--programme"][..],
        &["applications", "events", "--programme"][..],
        &["watch", "events", "--programme"][..],
        &["watch", "summary", "--programme"][..],
    ] {
        let m = bounded(&officer, &[verb, &[missing_programme.as_str()]].concat()).await;
        let f = bounded(&officer, &[verb, &[foreign.as_str()]].concat()).await;
        same(m, &missing_programme, f, &foreign);
    }
    // The short forms name the same parent.
    let m = bounded(&officer, &["applications", "list", "--programme", MISSING]).await;
    let f = bounded(
        &officer,
        &[
            "applications",
            "list",
            "--programme",
            foreign.trim_start_matches("programmes/"),
        ],
    )
    .await;
    same(m, &missing_programme, f, &foreign);
    // An applicant's view of institutions: a missing one and another's.
    for verb in [
        &["applications", "events", "--institution"][..],
        &["watch", "events", "--institution"][..],
    ] {
        let m = bounded(&applicant, &[verb, &[missing_institution.as_str()]].concat()).await;
        let f = bounded(&applicant, &[verb, &[w.um.as_str()]].concat()).await;
        same(m, &missing_institution, f, &w.um);
    }
    // An admin, who sees everything, hears NOT_FOUND, still exit 3.
    for verb in [
        &["applications", "list", "--programme"][..],
        &["watch", "events", "--programme"][..],
    ] {
        let r = bounded(&admin, &[verb, &[missing_programme.as_str()]].concat()).await;
        assert!(r.fails(3).starts_with("grantctl: NOT_FOUND"), "{}", r.stderr);
    }
    // The parent that exists and is in scope still lists.
    officer
        .run(&["applications", "list", "--programme", &w.programme.name])
        .await
        .ok();
}

pub async fn institutions_update_changes_only_the_fields_given(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let create = |display: &'static str, local: &'static str, region: &'static str, ror: &'static str| {
        let admin = admin.clone();
        async move {
            admin
                .run(&[
                    "institutions",
                    "create",
                    "--display-name",
                    display,
                    "--local-name",
                    local,
                    "--region",
                    region,
                    "--ror",
                    ror,
                    "-o",
                    "json",
                ])
                .await
                .json()
        }
    };
    let hku = create("The University of Hong Kong", "香港大學", "hong-kong", "02zhqgq86").await;
    let um = create("University of Macau", "澳門大學", "macao", "01r4q9n85").await;
    let name = hku["name"].as_str().unwrap().to_owned();
    let id = name.trim_start_matches("institutions/").to_owned();

    // Only the display name changes (the etag is read first).
    let updated = admin
        .run(&[
            "institutions",
            "update",
            &id,
            "--display-name",
            "The University of Hong Kong (HKU)",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(updated["displayName"], "The University of Hong Kong (HKU)");
    assert_eq!(updated["localName"], "香港大學");
    assert_eq!(updated["rorId"], "02zhqgq86");
    assert_eq!(updated["region"], "REGION_HONG_KONG");
    assert_ne!(updated["etag"], hku["etag"]);
    // --ror '' clears the ROR id; the names stay.
    let cleared = admin
        .run(&["institutions", "update", &name, "--ror", "", "-o", "json"])
        .await
        .json();
    assert_eq!(cleared["rorId"], Value::Null, "{cleared}");
    assert_eq!(cleared["displayName"], "The University of Hong Kong (HKU)");
    // A ROR id another institution has: ALREADY_EXISTS, exit 5.
    let r = admin
        .run(&["institutions", "update", &name, "--ror", um["rorId"].as_str().unwrap()])
        .await;
    assert!(r.fails(5).contains("ALREADY_EXISTS"), "{}", r.stderr);
    // A stale --etag: ABORTED, exit 5.
    let r = admin
        .run(&[
            "institutions",
            "update",
            &name,
            "--local-name",
            "香港大学",
            "--etag",
            hku["etag"].as_str().unwrap(),
        ])
        .await;
    assert!(r.fails(5).contains("ABORTED"), "{}", r.stderr);
    // Nothing to change: refused before any call (no server needed).
    let offline = Ctl {
        endpoint: "127.0.0.1:9".into(),
        token: server.admin_key.clone(),
    };
    let r = offline.run(&["institutions", "update", &name]).await;
    assert!(r.fails(4).contains("--display-name"), "{}", r.stderr);
    // Only admins update.
    let applicant = server.key(Role::Applicant, &name, &[]).await;
    admin
        .with(&applicant)
        .run(&["institutions", "update", &name, "--display-name", "HKU"])
        .await
        .fails(3);
    let table = admin.run(&["institutions", "get", &name]).await.ok();
    assert!(table.contains("The University of Hong Kong (HKU)  香港大學"), "{table}");
}

pub async fn review_and_reviews_are_one_tree(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let officer = Ctl::new(server.addr, &w.officer_key);
    let a = w.submitted(&server, 500_000).await.name;
    let b = w.submitted(&server, 600_000).await.name;
    let c = w.submitted(&server, 700_000).await.name;

    let state = |r: Run| r.json()["state"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        state(officer.run(&["reviews", "start", &a, "-o", "json"]).await),
        "STATE_UNDER_REVIEW"
    );
    assert_eq!(
        state(
            officer
                .run(&["review", "approve", &a, "--amount", "500,000 CNY", "-o", "json"])
                .await
        ),
        "STATE_APPROVED"
    );
    assert_eq!(
        state(officer.run(&["review", "start", &b, "-o", "json"]).await),
        "STATE_UNDER_REVIEW"
    );
    assert_eq!(
        state(
            officer
                .run(&["reviews", "reject", &b, "--reason", "Out of scope", "-o", "json"])
                .await
        ),
        "STATE_REJECTED"
    );
    assert_eq!(
        state(
            officer
                .run(&["review", "request-changes", &c, "--reason", "Add a plan", "-o", "json"])
                .await
        ),
        "STATE_CHANGES_REQUESTED"
    );
    // Peer-review verbs answer under both spellings (no review settings here).
    for tree in ["review", "reviews"] {
        let r = officer.run(&[tree, "list", &a, "-o", "json"]).await;
        assert_eq!(r.json(), serde_json::json!([]), "{tree} list");
        let r = officer
            .run(&[tree, "assign", &c, "--reviewer", &format!("apiKeys/{MISSING}")])
            .await;
        assert_ne!(r.code, 0, "{tree} assign");
        assert_ne!(r.code, 2, "{tree} assign is a command: {}", r.stderr);
    }
    // Both help pages list all nine verbs and say they are the same.
    let one = officer.run(&["review", "--help"]).await.ok();
    let other = officer.run(&["reviews", "--help"]).await.ok();
    assert_eq!(one, other);
    for verb in [
        "start",
        "request-changes",
        "approve",
        "reject",
        "assign",
        "declare-conflict",
        "submit",
        "get",
        "list",
    ] {
        assert!(one.contains(&format!("\n  {verb} ")), "{verb}:\n{one}");
    }
    assert!(one.contains("grantctl review VERB") && one.contains("same"), "{one}");
    let top = officer.run(&["--help"]).await.ok();
    assert!(
        top.contains("[alias: review]") || top.contains("[aliases: review]"),
        "{top}"
    );
}

pub async fn times_may_be_relative_to_now(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let create = |open: &str, close: &str| {
        let admin = admin.clone();
        let (open, close) = (open.to_owned(), close.to_owned());
        async move {
            admin
                .run(&[
                    "programmes",
                    "create",
                    "--display-name",
                    "GBA Joint Research",
                    "--local-name",
                    "粤港澳联合研究",
                    "--max-award",
                    "1,000,000 CNY",
                    "--funder",
                    "Guangdong S&T Department",
                    "--budget",
                    "10,000,000 CNY",
                    "--eligible-region",
                    "hong-kong",
                    "--open-time",
                    &open,
                    "--close-time",
                    &close,
                    "-o",
                    "json",
                ])
                .await
        }
    };
    let seconds = |v: &Value| {
        let text = v.as_str().unwrap_or_else(|| panic!("a time: {v}"));
        super::timefmt::parse(text).unwrap().seconds
    };
    let before = now_seconds();
    let p = create("now", "+90d").await.json();
    let after = now_seconds();
    let open = seconds(&p["openTime"]);
    assert!(
        before <= open && open <= after,
        "open_time is now: {open} in {before}..={after}"
    );
    let close = seconds(&p["closeTime"]);
    assert!(
        (before + 90 * 86_400..=after + 90 * 86_400).contains(&close),
        "close_time is 90 days on: {close}"
    );
    // Past offsets (a value starting with '-'), `today`, and now±.
    let p = create("-2h", "now+2w").await.json();
    assert!((seconds(&p["openTime"]) - (now_seconds() - 7_200)).abs() <= 60, "{p}");
    assert!(
        (seconds(&p["closeTime"]) - (now_seconds() + 14 * 86_400)).abs() <= 60,
        "{p}"
    );
    let p = create("today", "today+30d").await.json();
    assert_eq!(seconds(&p["openTime"]) % 86_400, 0, "midnight UTC: {p}");
    assert_eq!(seconds(&p["closeTime"]) - seconds(&p["openTime"]), 30 * 86_400);
    // A malformed one is refused before any call, naming the flag and the forms.
    let r = create("now", "+90x").await;
    let stderr = r.fails(4);
    assert!(stderr.contains("--close-time") && stderr.contains("+90d"), "{stderr}");
}
