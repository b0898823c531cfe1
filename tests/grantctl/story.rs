//! The whole Greater Bay Area story through grantctl alone, asserted on
//! its `-o json` / `-o jsonl` output.

use serde_json::Value;

use super::common::*;
use super::run::Ctl;
use super::timefmt;

fn units(m: &Value) -> &str {
    m["units"].as_str().unwrap_or("0")
}

pub async fn the_gba_story_through_grantctl_alone(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Ctl::new(server.addr, &server.admin_key);

    let register = |display: &'static str, local: &'static str, region: &'static str, ror: &'static str| {
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
            let more = ["--region", region, "--ror", ror, "-o", "json"];
            admin.run(&[&args[..], &more[..]].concat()).await.json()
        }
    };
    let hku = register("The University of Hong Kong", "香港大學", "hong-kong", "02zhqgq86").await;
    assert_eq!(hku["region"], "REGION_HONG_KONG");
    assert_eq!(hku["rorId"], "02zhqgq86");
    let um = register("University of Macau", "澳門大學", "REGION_MACAO", "01r4q9n85").await;
    assert_eq!(um["region"], "REGION_MACAO");
    let sysu = register("Sun Yat-sen University", "中山大学", "gd", "0064kty71").await;
    assert_eq!(sysu["region"], "REGION_GUANGDONG");
    let (hku, um, sysu) = (
        hku["name"].as_str().unwrap(),
        um["name"].as_str().unwrap(),
        sysu["name"].as_str().unwrap(),
    );

    let now = now_seconds();
    let open = timefmt::format(&prost_types::Timestamp {
        seconds: now - 3_600,
        nanos: 0,
    });
    let close = timefmt::format(&prost_types::Timestamp {
        seconds: now + 30 * 86_400,
        nanos: 0,
    });
    let programme = admin
        .run(&[
            "programmes",
            "create",
            "--display-name",
            "Greater Bay Area Joint Research",
            "--local-name",
            "粤港澳联合研究",
            "--funder",
            "Guangdong Provincial Science and Technology Department",
            "--budget",
            "10,000,000 CNY",
            "--max-award",
            "1,000,000 CNY",
            "--eligible-region",
            "hong-kong",
            "--eligible-region",
            "macao",
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
    assert_eq!(programme["currencyCode"], "CNY");
    assert_eq!(units(&programme["budget"]), "10000000");
    assert_eq!(programme["requiresGuangdongPartner"], true);
    assert_eq!(
        programme["eligibleRegions"],
        serde_json::json!(["REGION_HONG_KONG", "REGION_MACAO"])
    );
    let p = programme["name"].as_str().unwrap();

    // keys create prints the secret alone on stdout, the details on stderr.
    let created = admin
        .run(&["keys", "create", "--role", "applicant", "--institution", hku])
        .await;
    let hku_key = created.ok();
    assert!(hku_key.starts_with("gbk_") && !hku_key.contains('\n'), "{hku_key}");
    assert!(created.stderr.contains("APPLICANT"), "{}", created.stderr);
    let um_key = admin
        .run(&["keys", "create", "--role", "applicant", "--institution", um])
        .await
        .ok();
    let officer = admin
        .run(&["keys", "create", "--role", "officer", "--programme", p, "-o", "json"])
        .await
        .json();
    assert_eq!(officer["apiKey"]["role"], "ROLE_OFFICER");
    let officer_key = officer["secret"].as_str().unwrap().to_owned();
    let (applicant, officer) = (admin.with(&hku_key), admin.with(&officer_key));

    let draft = applicant
        .run(&[
            "applications",
            "create",
            "--programme",
            p,
            "--title",
            "Typhoon-resilient coastal infrastructure",
            "--abstract",
            "We model storm surge across Hong Kong, Macao and Guangdong.",
            "--pi-name",
            "Dr Chan Tai Man",
            "--pi-email",
            "tmchan@hku.hk",
            "--pi-orcid",
            "0000-0002-1825-0097",
            "--partner",
            sysu,
            "--requested",
            "800,000 CNY",
            "--duration-months",
            "24",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(draft["state"], "STATE_DRAFT");
    assert_eq!(draft["applicantInstitution"], hku);
    let a = draft["name"].as_str().unwrap().to_owned();
    // The short form P/A works everywhere a name does.
    let short = a.replace("programmes/", "").replace("/applications/", "/");

    // Update builds the mask from the flags and fetches the etag itself.
    let edited = applicant
        .run(&[
            "applications",
            "update",
            &short,
            "--duration-months",
            "30",
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(edited["durationMonths"], 30);
    assert_eq!(edited["title"], draft["title"]);

    let step = |ctl: Ctl, args: Vec<String>| async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ctl.run(&args).await.json()
    };
    let v = |args: &[&str]| args.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let submitted = step(applicant.clone(), v(&["applications", "submit", &a, "-o", "json"])).await;
    assert_eq!(submitted["state"], "STATE_SUBMITTED");
    let reviewing = step(officer.clone(), v(&["review", "start", &short, "-o", "json"])).await;
    assert_eq!(reviewing["state"], "STATE_UNDER_REVIEW");
    let approved = step(
        officer.clone(),
        v(&[
            "review",
            "approve",
            &a,
            "--amount",
            "750,000 CNY",
            "--reason",
            "Strong team",
            "-o",
            "json",
        ]),
    )
    .await;
    assert_eq!(approved["state"], "STATE_APPROVED");
    assert_eq!(units(&approved["awardedAmount"]), "750000");
    assert!(approved["awardNumber"].as_str().unwrap().starts_with("GBA-"));
    let p_json = step(admin.clone(), v(&["programmes", "get", p, "-o", "json"])).await;
    assert_eq!(units(&p_json["committed"]), "750000");

    let paid = step(
        officer.clone(),
        v(&[
            "awards",
            "disburse",
            &a,
            "--amount",
            "100,000 CNY",
            "--payee-amount",
            "108,420.00 HKD",
            "--rate",
            "1.0842",
            "--reference",
            "FPS-1",
            "-o",
            "json",
        ]),
    )
    .await;
    assert_eq!(
        paid["disbursement"]["payeeAmount"],
        serde_json::json!({"currencyCode": "HKD", "units": "108420"})
    );
    assert_eq!(paid["disbursement"]["exchangeRate"], "1.0842");
    assert_eq!(paid["application"]["state"], "STATE_ACTIVE");
    assert_eq!(units(&paid["application"]["disbursedAmount"]), "100000");
    let listed = step(officer.clone(), v(&["awards", "disbursements", &a, "-o", "json"])).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "a list prints a JSON array");

    let closed = step(
        officer.clone(),
        v(&["awards", "close", &a, "--reason", "Completed", "-o", "json"]),
    )
    .await;
    assert_eq!(closed["state"], "STATE_CLOSED");
    assert_eq!(units(&closed["disbursedAmount"]), "100000");
    let p_json = step(admin.clone(), v(&["programmes", "get", p, "-o", "json"])).await;
    assert_eq!(
        units(&p_json["committed"]),
        "100000",
        "closing released the undisbursed 650,000"
    );

    // The history, one JSON object a line.
    let history = admin
        .run(&["applications", "events", &a, "-o", "jsonl", "--page-size", "2"])
        .await
        .ok();
    let events: Vec<Value> = history.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let transitions: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("").to_owned();
            (s("previousState"), s("newState"), s("actorRole"))
        })
        .collect();
    let expected = [
        ("", "STATE_DRAFT", "ROLE_APPLICANT"),
        ("STATE_DRAFT", "STATE_SUBMITTED", "ROLE_APPLICANT"),
        ("STATE_SUBMITTED", "STATE_UNDER_REVIEW", "ROLE_OFFICER"),
        ("STATE_UNDER_REVIEW", "STATE_APPROVED", "ROLE_OFFICER"),
        ("STATE_APPROVED", "STATE_ACTIVE", "ROLE_OFFICER"),
        ("STATE_ACTIVE", "STATE_CLOSED", "ROLE_OFFICER"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(transitions, expected);
    assert!(events[4]["disbursement"].as_str().unwrap().contains("/disbursements/"));
    assert_eq!(units(&events[5]["snapshot"]["disbursedAmount"]), "100000");
    assert!(events.iter().all(|e| !e["cursor"].as_str().unwrap().is_empty()));

    // Macao drafts from a JSON file (camelCase and snake_case mixed), then withdraws.
    let file = tempfile::NamedTempFile::new().unwrap();
    let body = serde_json::json!({
        "title": "Cross-border health data", "abstract": "Macao and Hong Kong hospitals.",
        "principal_investigator": {"name": "Dr Ieong", "email": "ieong@um.edu.mo", "orcid": "0000-0002-1825-0097"},
        "partnerInstitutions": [sysu], "requestedAmount": {"currencyCode": "CNY", "units": "300000"},
        "durationMonths": 12
    });
    std::fs::write(file.path(), body.to_string()).unwrap();
    let path = file.path().to_str().unwrap();
    let macao = admin.with(&um_key);
    let drafted = step(
        macao.clone(),
        v(&[
            "applications",
            "create",
            "--programme",
            p,
            "--from-file",
            path,
            "-o",
            "json",
        ]),
    )
    .await;
    assert_eq!(drafted["applicantInstitution"], um);
    assert_eq!(units(&drafted["requestedAmount"]), "300000");
    let name = drafted["name"].as_str().unwrap();
    let withdrawn = step(
        macao,
        v(&[
            "applications",
            "withdraw",
            name,
            "--reason",
            "Resubmit next year",
            "-o",
            "json",
        ]),
    )
    .await;
    assert_eq!(withdrawn["state"], "STATE_WITHDRAWN");
    let all = admin
        .run(&["applications", "list", "--programme", p, "-o", "name"])
        .await
        .ok();
    assert_eq!(all.lines().collect::<Vec<_>>(), vec![a.as_str(), name]);
}
