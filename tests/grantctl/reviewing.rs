//! Peer review through grantctl alone: a programme with weighted criteria,
//! reviewer keys, assignments (and a refused conflicted one), scores
//! submitted by flags and from a file, a declared conflict, the ranking
//! with its funding line, and approval refused while reviews are
//! incomplete, then overridden with a reason.

use serde_json::{Value, json};

use super::common::*;
use super::run::{Ctl, Run};
use super::timefmt;

fn name(v: &Value) -> String {
    v["name"].as_str().unwrap_or_else(|| panic!("no name: {v}")).to_owned()
}

/// `programmes/P/applications/A/reviews/R` → `P/A/R`.
fn short_review(name: &str) -> String {
    name.replace("programmes/", "")
        .replace("/applications/", "/")
        .replace("/reviews/", "/")
}

/// The line of `text` that contains `needle`, and its index.
#[track_caller]
fn line_with(text: &str, needle: &str) -> (usize, String) {
    text.lines()
        .enumerate()
        .find(|(_, l)| l.contains(needle))
        .map(|(i, l)| (i, l.to_owned()))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
}

pub async fn peer_review_through_grantctl(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Ctl::new(server.addr, &server.admin_key);

    let mut institutions = Vec::new();
    for (display, local, region) in [
        ("The University of Hong Kong", "香港大學", "hong-kong"),
        ("Sun Yat-sen University", "中山大学", "guangdong"),
        ("University of Macau", "澳門大學", "macao"),
        (
            "The Hong Kong University of Science and Technology",
            "香港科技大學",
            "hk",
        ),
    ] {
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
            "name",
        ];
        institutions.push(admin.run(&args).await.ok());
    }
    let [hku, sysu, um, hkust] = [0, 1, 2, 3].map(|i| institutions[i].clone());

    // The programme: review settings from a file, the rest by flags.
    let now = now_seconds();
    let open = timefmt::format(&prost_types::Timestamp {
        seconds: now - 3_600,
        nanos: 0,
    });
    let close = timefmt::format(&prost_types::Timestamp {
        seconds: now + 30 * 86_400,
        nanos: 0,
    });
    let file = tempfile::NamedTempFile::new().unwrap();
    let settings = json!({"reviewSettings": {
        "criteria": [
            {"name": "scientific merit", "weight": 0.5},
            {"name": "feasibility", "weight": 0.3},
            {"name": "impact", "weight": 0.2}
        ],
        "maxScore": 5,
        "required_reviews": 2
    }});
    std::fs::write(file.path(), settings.to_string()).unwrap();
    let programme = admin
        .run(&[
            "programmes",
            "create",
            "--from-file",
            file.path().to_str().unwrap(),
            "--display-name",
            "Greater Bay Area Joint Research",
            "--local-name",
            "粤港澳联合研究",
            "--funder",
            "Guangdong Provincial Science and Technology Department",
            "--budget",
            "1,500,000 CNY",
            "--max-award",
            "1,000,000 CNY",
            "--eligible-region",
            "hong-kong",
            "--requires-guangdong-partner",
            "--open-time",
            &open,
            "--close-time",
            &close,
            "-o",
            "json",
        ])
        .await
        .json();
    let rs = &programme["reviewSettings"];
    assert_eq!(
        rs["criteria"],
        json!([
            {"name": "scientific merit", "weight": 0.5},
            {"name": "feasibility", "weight": 0.3},
            {"name": "impact", "weight": 0.2}
        ])
    );
    assert_eq!(
        (rs["maxScore"].clone(), rs["requiredReviews"].clone()),
        (json!(5), json!(2))
    );
    let p = name(&programme);

    // A review flag alone keeps the other settings (read first).
    let updated = admin
        .run(&[
            "programmes",
            "update",
            &p,
            "--reviewers-see-investigator-email",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(updated["reviewSettings"]["reviewersSeeInvestigatorEmail"], true);
    assert_eq!(updated["reviewSettings"]["criteria"], rs["criteria"]);
    let shown = admin.run(&["programmes", "get", &p]).await.ok();
    assert!(
        shown.contains("Peer review:        2 reviews required, scores 1–5, reviewers see the investigator's e-mail"),
        "{shown}"
    );
    assert!(
        shown.contains("Review criteria:    scientific merit (0.5), feasibility (0.3), impact (0.2)"),
        "{shown}"
    );

    // The same by flags on another programme, then peer review dropped.
    let flagged = admin
        .run(&[
            "programmes",
            "create",
            "--display-name",
            "GBA Young Scientists",
            "--local-name",
            "大湾区青年科学家",
            "--funder",
            "Guangdong Provincial Science and Technology Department",
            "--budget",
            "500,000 CNY",
            "--max-award",
            "100,000 CNY",
            "--eligible-region",
            "macao",
            "--open-time",
            &open,
            "--close-time",
            &close,
            "--criterion",
            "scientific merit=0.5",
            "--criterion",
            "feasibility=0.3",
            "--criterion",
            "impact=0.2",
            "--max-score",
            "7",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(flagged["reviewSettings"]["criteria"], rs["criteria"]);
    assert_eq!(flagged["reviewSettings"]["maxScore"], 7);
    assert_eq!(flagged["reviewSettings"]["requiredReviews"], 2, "the server's default");
    let dropped = admin
        .run(&[
            "programmes",
            "update",
            &name(&flagged),
            "--no-peer-review",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(dropped["reviewSettings"], Value::Null);

    // Keys: reviewers need an affiliation; two independent ones, one from
    // the applicant's own university.
    let applicant = admin.with(
        &admin
            .run(&["keys", "create", "--role", "applicant", "--institution", &hku])
            .await
            .ok(),
    );
    let officer = admin.with(
        &admin
            .run(&["keys", "create", "--role", "officer", "--programme", &p])
            .await
            .ok(),
    );
    let stray = admin
        .run(&["keys", "create", "--role", "reviewer", "--programme", &p])
        .await;
    assert!(stray.fails(4).contains("institution"), "{}", stray.stderr);
    let reviewer = |institution: String| {
        let (admin, p) = (admin.clone(), p.clone());
        async move {
            let created = admin
                .run(&[
                    "keys",
                    "create",
                    "--role",
                    "reviewer",
                    "--institution",
                    &institution,
                    "--programme",
                    &p,
                    "-o",
                    "json",
                ])
                .await
                .json();
            assert_eq!(created["apiKey"]["role"], "ROLE_REVIEWER");
            assert_eq!(created["apiKey"]["institution"], institution.as_str());
            let secret = created["secret"].as_str().unwrap();
            (name(&created["apiKey"]), admin.with(secret))
        }
    };
    let (r1_key, r1) = reviewer(um.clone()).await;
    let (r2_key, r2) = reviewer(hkust.clone()).await;
    let (hku_reviewer_key, _) = reviewer(hku.clone()).await;
    let listed = admin.run(&["keys", "list", "--filter", "role = REVIEWER"]).await.ok();
    assert_eq!(listed.lines().filter(|l| l.contains("REVIEWER")).count(), 3, "{listed}");

    // Two applications from HKU, with a Guangdong partner, submitted.
    let mut apps = Vec::new();
    for (title, requested) in [
        ("Typhoon-resilient coastal infrastructure", "800,000 CNY"),
        ("Cross-border air quality forecasting", "900,000 CNY"),
    ] {
        let draft = applicant
            .run(&[
                "applications",
                "create",
                "--programme",
                &p,
                "--title",
                title,
                "--abstract",
                "Across Hong Kong, Macao and Guangdong.",
                "--pi-name",
                "Dr Chan Tai Man",
                "--pi-email",
                "tmchan@hku.hk",
                "--pi-orcid",
                "0000-0002-1825-0097",
                "--partner",
                &sysu,
                "--requested",
                requested,
                "--duration-months",
                "24",
                "-o",
                "name",
            ])
            .await
            .ok();
        applicant.run(&["applications", "submit", &draft]).await.ok();
        apps.push(draft);
    }
    let (a1, a2) = (apps[0].clone(), apps[1].clone());

    // The officer assigns both reviewers to both; the first assignment
    // starts the review. The applicant's own university is refused.
    let assign = |app: String, key: String| {
        let officer = officer.clone();
        async move {
            officer
                .run(&["reviews", "assign", &app, "--reviewer", &key, "-o", "json"])
                .await
        }
    };
    let first = assign(a1.clone(), r1_key.clone()).await.json();
    assert_eq!(first["state"], "STATE_ASSIGNED");
    assert_eq!(first["reviewer"], r1_key.as_str());
    assert_eq!(first["reviewerInstitution"], um.as_str());
    assert_eq!(first["reviewerLabel"], "Reviewer 1");
    let a1_r1 = name(&first);
    assert!(a1_r1.starts_with(&format!("{a1}/reviews/")), "{a1_r1}");
    let state = officer.run(&["applications", "get", &a1, "-o", "json"]).await.json();
    assert_eq!(state["state"], "STATE_UNDER_REVIEW");
    let again = assign(a1.clone(), r1_key.clone()).await.json();
    assert_eq!(name(&again), a1_r1, "assigning again returns the same review");
    let a1_r2 = name(&assign(a1.clone(), r2_key.clone()).await.json());
    let a2_r1 = name(&assign(a2.clone(), r1_key.clone()).await.json());
    let a2_r2 = name(&assign(a2.clone(), r2_key.clone()).await.json());
    let conflicted: Run = assign(a1.clone(), hku_reviewer_key.clone()).await;
    let stderr = conflicted.fails(5);
    assert!(stderr.contains("FAILED_PRECONDITION CONFLICT_OF_INTEREST"), "{stderr}");

    // Reviewer 1 scores by flags (short review name), reviewer 2 from a file.
    let submitted = r1
        .run(&[
            "reviews",
            "submit",
            &short_review(&a1_r1),
            "--score",
            "scientific merit=4",
            "--score",
            "feasibility=3",
            "--score",
            "impact=5",
            "--recommendation",
            "fund",
            "--applicant-comment",
            "A clear, well-partnered plan.",
            "--officer-comment",
            "Strong team; modest risk.",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(submitted["state"], "STATE_COMPLETED");
    assert_eq!(submitted["revision"], 1);
    assert!(
        (submitted["weightedScore"].as_f64().unwrap() - 3.9).abs() < 1e-9,
        "{submitted}"
    );
    let review_file = tempfile::NamedTempFile::new().unwrap();
    let body = json!({
        "scores": [
            {"criterion": "scientific merit", "score": 5},
            {"criterion": "feasibility", "score": 4},
            {"criterion": "impact", "score": 2}
        ],
        "recommendation": "RECOMMENDATION_FUND_WITH_CHANGES",
        "applicantComment": "Add a data management plan."
    });
    std::fs::write(review_file.path(), body.to_string()).unwrap();
    let path = review_file.path().to_str().unwrap();
    // The flag overrides the file's impact score: 5, 4, 4 → 4.5.
    let second = r2
        .run(&[
            "reviews",
            "submit",
            &a1_r2,
            "--from-file",
            path,
            "--score",
            "impact=4",
            "-o",
            "json",
        ])
        .await
        .json();
    assert!(
        (second["weightedScore"].as_f64().unwrap() - 4.5).abs() < 1e-9,
        "{second}"
    );
    assert_eq!(second["recommendation"], "RECOMMENDATION_FUND_WITH_CHANGES");

    // On the second application only reviewer 1 reviews; reviewer 2
    // declares a conflict, and its assignment takes no review after that.
    r1.run(&[
        "reviews",
        "submit",
        &a2_r1,
        "--score",
        "scientific merit=4",
        "--score",
        "feasibility=4",
        "--score",
        "impact=3",
        "--recommendation",
        "do-not-fund",
    ])
    .await
    .ok();
    let declared = r2
        .run(&[
            "reviews",
            "declare-conflict",
            &a2_r2,
            "--reason",
            "I advise the partner's lab",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(declared["state"], "STATE_CONFLICT_DECLARED");
    assert_eq!(declared["conflictReason"], "I advise the partner's lab");
    let late = r2
        .run(&[
            "reviews",
            "submit",
            &a2_r2,
            "--score",
            "scientific merit=1",
            "--score",
            "feasibility=1",
            "--score",
            "impact=1",
            "--recommendation",
            "do-not-fund",
        ])
        .await;
    assert!(
        late.fails(5).contains("FAILED_PRECONDITION ASSIGNMENT_ENDED"),
        "{}",
        late.stderr
    );

    // The settings are locked now that a review was submitted.
    let locked = admin.run(&["programmes", "update", &p, "--max-score", "10"]).await;
    assert!(
        locked.fails(5).contains("FAILED_PRECONDITION REVIEW_SETTINGS_LOCKED"),
        "{}",
        locked.stderr
    );
    let p_json = admin.run(&["programmes", "get", &p, "-o", "json"]).await.json();
    assert_eq!(p_json["reviewSettings"]["locked"], true);

    // The officer reads the reviews; a reviewer reads only its own.
    let listed = officer
        .run(&["reviews", "list", &a1, "--page-size", "1", "-o", "json"])
        .await
        .json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2, "paged through both");
    assert_eq!(
        listed.iter().map(name).collect::<Vec<_>>(),
        vec![a1_r1.clone(), a1_r2.clone()]
    );
    let table = officer.run(&["reviews", "list", &a1]).await.ok();
    let (_, row) = line_with(&table, "Reviewer 1");
    assert!(
        row.contains("COMPLETED") && row.contains("3.90") && row.contains("FUND"),
        "{table}"
    );
    let (_, row) = line_with(&table, "Reviewer 2");
    assert!(row.contains("4.50") && row.contains("FUND_WITH_CHANGES"), "{table}");
    let one = officer.run(&["reviews", "get", &a1_r1]).await.ok();
    assert!(
        one.contains("scientific merit=4, feasibility=3, impact=5") && one.contains("Strong team; modest risk."),
        "{one}"
    );
    let own = r1.run(&["reviews", "list", &a1, "-o", "name"]).await.ok();
    assert_eq!(own, a1_r1);
    let other = r1.run(&["reviews", "get", &a1_r2]).await;
    other.fails(3);

    // The ranking: 4.20 above the line, 3.80 below it (800,000 fits the
    // remaining 1,500,000; 1,700,000 does not).
    let ranking = officer.run(&["programmes", "ranking", &p]).await.ok();
    assert!(ranking.contains("Remaining budget:  CNY 1,500,000.00"), "{ranking}");
    assert!(ranking.contains("Above the line:    1 of 2"), "{ranking}");
    let (first_at, first_row) = line_with(&ranking, "Typhoon-resilient");
    let (line_at, _) = line_with(&ranking, "── funding line: CNY 1,500,000.00 remaining ──");
    let (second_at, second_row) = line_with(&ranking, "Cross-border air quality");
    assert!(first_at < line_at && line_at < second_at, "{ranking}");
    assert!(first_row.starts_with("1 "), "{ranking}");
    for text in ["4.20", "2/2", "0.60", "CNY 800,000.00"] {
        assert!(first_row.contains(text), "{text} in {first_row}");
    }
    assert!(second_row.starts_with("2 "), "{ranking}");
    for text in ["3.80", "1/2", "CNY 900,000.00", "CNY 1,700,000.00"] {
        assert!(second_row.contains(text), "{text} in {second_row}");
    }
    let ranked = officer.run(&["programmes", "ranking", &p, "-o", "json"]).await.json();
    assert_eq!(ranked["fundedCount"], 1);
    let entries = ranked["entries"].as_array().unwrap();
    assert_eq!(entries[0]["application"], a1.as_str());
    assert!(
        (entries[0]["meanScore"].as_f64().unwrap() - 4.2).abs() < 1e-9,
        "{ranked}"
    );
    assert_eq!(entries[0]["aboveFundingLine"], true);
    assert_eq!(entries[1]["aboveFundingLine"], Value::Null, "false is left out");
    let order = officer.run(&["programmes", "ranking", &p, "-o", "name"]).await.ok();
    assert_eq!(order, format!("{a1}\n{a2}"));

    // Approval: complete reviews pass; one of two does not, unless overridden.
    let approved = officer
        .run(&["review", "approve", &a1, "--amount", "800,000 CNY", "-o", "json"])
        .await
        .json();
    assert_eq!(approved["state"], "STATE_APPROVED");
    let refused = officer
        .run(&["review", "approve", &a2, "--amount", "700,000 CNY"])
        .await;
    let stderr = refused.fails(5);
    assert!(stderr.contains("FAILED_PRECONDITION REVIEWS_INCOMPLETE"), "{stderr}");
    assert!(stderr.contains("1 of the 2"), "{stderr}");
    assert!(stderr.contains("--override-incomplete-reviews"), "{stderr}");
    let overridden = officer
        .run(&[
            "review",
            "approve",
            &a2,
            "--amount",
            "700,000 CNY",
            "--override-incomplete-reviews",
            "--reason",
            "Second reviewer conflicted; the panel agreed",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(overridden["state"], "STATE_APPROVED");

    // The history shows the review activity, compactly.
    let history = officer.run(&["applications", "events", &a2]).await.ok();
    let r1_id = a2_r1.rsplit('/').next().unwrap();
    let r2_id = a2_r2.rsplit('/').next().unwrap();
    for text in [
        format!("SUBMITTED → UNDER_REVIEW; review {r1_id} assigned (0/2 complete)"),
        format!("review {r2_id} assigned (0/2 complete)"),
        format!("review {r1_id} submitted (1/2 complete)"),
        format!("review {r2_id}: conflict declared (1/2 complete)"),
        "UNDER_REVIEW → APPROVED; incomplete reviews overridden (1/2 complete)".to_owned(),
    ] {
        line_with(&history, &text);
    }
    let events = officer.run(&["applications", "events", &a2, "-o", "json"]).await.json();
    let last = events.as_array().unwrap().last().cloned().unwrap();
    assert_eq!(
        last["reviewActivity"],
        json!({"kind": "KIND_REVIEWS_OVERRIDDEN", "completedReviews": 1, "requiredReviews": 2})
    );
    assert_eq!(last["reason"], "Second reviewer conflicted; the panel agreed");

    // Decided: the applicant reads the comments for it, anonymised.
    let shared = applicant.run(&["reviews", "list", &a1, "-o", "json"]).await.json();
    let shared = shared.as_array().unwrap();
    assert_eq!(shared.len(), 2);
    assert_eq!(shared[0]["reviewerLabel"], "Reviewer 1");
    assert_eq!(shared[0]["applicantComment"], "A clear, well-partnered plan.");
    for r in shared {
        for hidden in ["reviewer", "reviewerInstitution", "officerComment", "scores"] {
            assert_eq!(r[hidden], Value::Null, "{hidden} shown to the applicant: {r}");
        }
    }
}
