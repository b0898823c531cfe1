//! Cross-border teams and sign-off through grantctl: a programme requiring
//! both offices' endorsement, keys naming their people, a Hong Kong draft
//! with a PI, the Guangdong partner finding it with `--relation partner`,
//! `applications team add|list|remove`, submission refused until both
//! sign (exit 5 ENDORSEMENTS_MISSING), an edit clearing both, signing
//! again, submission, and the history and a partner's watch telling it;
//! partners refused changes (exit 3 PARTNER_READ_ONLY), bad teams naming
//! their field (exit 4), withdrawn endorsements; and the JSON shapes of
//! teams, endorsements, people, requirements and team events.

use serde_json::Value;

use super::common::*;
use super::run::{Ctl, Run};

const PI_ORCID: &str = "0000-0002-1825-0097";
const CO_ORCID: &str = "0000-0001-5109-3700";
const OFFICE_ORCID: &str = "0000-0003-1415-9269";

/// `P/A` of `programmes/P/applications/A`.
fn short(name: &str) -> String {
    name.trim_start_matches("programmes/").replace("/applications/", "/")
}

/// The lines of a `-o name` or `-o jsonl` output.
fn lines(r: &Run) -> Vec<String> {
    r.ok().lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The institutions that signed, from `-o json`.
fn signers(app: &Value) -> Vec<String> {
    let list = app["endorsements"].as_array().cloned().unwrap_or_default();
    sorted(
        list.iter()
            .map(|e| e["institution"].as_str().unwrap_or_default().to_owned())
            .collect(),
    )
}

/// The keys of a JSON object, sorted.
fn keys(v: &Value) -> Vec<String> {
    sorted(v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default())
}

/// An applicant key of `institution` naming its person; returns the secret.
async fn office(admin: &Ctl, institution: &str, person: &str, orcid: Option<&str>) -> String {
    let mut args = vec![
        "keys",
        "create",
        "--role",
        "applicant",
        "--institution",
        institution,
        "--person-name",
        person,
    ];
    if let Some(o) = orcid {
        args.extend(["--person-orcid", o]);
    }
    let r = admin.run(&args).await;
    let secret = r.ok();
    assert!(
        r.stderr.contains("Person:") && r.stderr.contains(person),
        "{}",
        r.stderr
    );
    secret
}

/// A programme open now, requiring `requirement`'s sign-off, as JSON.
async fn programme(admin: &Ctl, requirement: &str) -> Value {
    admin
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
            "--requires-guangdong-partner",
            "--open-time",
            "now-1h",
            "--close-time",
            "+30d",
            "--endorsement-requirement",
            requirement,
            "-o",
            "json",
        ])
        .await
        .json()
}

/// A draft by `applicant` of HKU with SYSU as partner and HKU's PI on the team.
async fn draft(applicant: &Ctl, programme: &str, hku: &str, sysu: &str) -> Value {
    let pi = format!("Chan Tai Man;pi;{hku};{PI_ORCID};tmchan@hku.hk");
    applicant
        .run(&[
            "applications",
            "create",
            "--programme",
            programme,
            "--title",
            "Typhoon-resilient estuaries",
            "--abstract",
            "Storm surge across the Pearl River Delta.",
            "--pi-name",
            "Chan Tai Man",
            "--pi-email",
            "tmchan@hku.hk",
            "--pi-orcid",
            PI_ORCID,
            "--partner",
            sysu,
            "--requested",
            "800,000 CNY",
            "--duration-months",
            "24",
            "--member",
            &pi,
            "-o",
            "json",
        ])
        .await
        .json()
}

pub async fn the_cross_border_sign_off_through_grantctl(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let (hku, sysu) = (w.hku.as_str(), w.sysu.as_str());

    // The programme asks both offices to sign; its views say so.
    let p = programme(&admin, "Applicant-And-Partners").await;
    assert_eq!(
        p["endorsementRequirement"], "ENDORSEMENT_REQUIREMENT_APPLICANT_AND_PARTNERS",
        "{p}"
    );
    let p = p["name"].as_str().unwrap().to_owned();
    let shown = admin.run(&["programmes", "get", &p]).await.ok();
    assert!(
        shown.contains("Sign-off:") && shown.contains("APPLICANT_AND_PARTNERS: the applicant and every partner"),
        "{shown}"
    );

    // Each research office signs with a key naming its person.
    let hku_office = admin.with(&office(&admin, hku, "HKU Research Services", None).await);
    let sysu_office = admin.with(&office(&admin, sysu, "Ou Yang", Some(OFFICE_ORCID)).await);
    let me = sysu_office.run(&["whoami"]).await.ok();
    assert!(
        me.contains(&format!("Person:       Ou Yang (ORCID {OFFICE_ORCID})")),
        "{me}"
    );
    let listed = admin.run(&["keys", "list"]).await.ok();
    assert!(listed.lines().next().unwrap_or_default().contains("PERSON"), "{listed}");
    assert!(
        listed.contains("HKU Research Services") && listed.contains("Ou Yang"),
        "{listed}"
    );

    // HKU drafts with its PI; SYSU, the partner, finds it among its joint applications.
    let applicant = admin.with(&w.hku_key);
    let created = draft(&applicant, &p, hku, sysu).await;
    assert_eq!(created["team"].as_array().map(Vec::len), Some(1), "{created}");
    assert_eq!(created["team"][0]["role"], "ROLE_PRINCIPAL_INVESTIGATOR");
    let a = created["name"].as_str().unwrap().to_owned();
    let s = short(&a);
    let joint = sysu_office
        .run(&["applications", "list", "--relation", "partner", "-o", "name"])
        .await;
    assert_eq!(lines(&joint), std::slice::from_ref(&a));
    let own = sysu_office
        .run(&["applications", "list", "--relation", "OWN", "-o", "name"])
        .await;
    assert_eq!(lines(&own), Vec::<String>::new());
    let table = sysu_office
        .run(&["applications", "list", "--relation", "partner"])
        .await
        .ok();
    assert!(
        table.contains("DRAFT") && table.contains("Typhoon-resilient estuaries"),
        "{table}"
    );
    assert_eq!(
        lines(
            &applicant
                .run(&["applications", "list", "--relation", "partner", "-o", "name"])
                .await
        ),
        Vec::<String>::new(),
        "HKU is nobody's partner"
    );
    // Other roles say whose relation with --institution.
    let by_admin = admin
        .run(&[
            "applications",
            "list",
            "--relation",
            "partner",
            "--institution",
            sysu,
            "-o",
            "name",
        ])
        .await;
    assert_eq!(lines(&by_admin), std::slice::from_ref(&a));
    let twice = sysu_office
        .run(&[
            "applications",
            "list",
            "--relation",
            "own",
            "--filter",
            "relation = PARTNER",
        ])
        .await;
    assert!(twice.fails(4).contains("--relation"), "{}", twice.stderr);

    // The team grows, shows and shrinks.
    let added = applicant
        .run(&[
            "applications",
            "team",
            "add",
            &s,
            "--name",
            "Li Hua",
            "--role",
            "Co_Principal_Investigator",
            "--institution",
            sysu,
            "--orcid",
            CO_ORCID,
            "--email",
            "lihua@mail.sysu.edu.cn",
        ])
        .await
        .ok();
    assert!(
        added.starts_with("NAME") && added.contains("Li Hua") && added.contains("CO_PRINCIPAL_INVESTIGATOR"),
        "{added}"
    );
    let team = applicant
        .run(&[
            "applications",
            "team",
            "add",
            &a,
            "--name",
            "Zhang Wei",
            "--role",
            "co-i",
            "--institution",
            sysu,
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(team.as_array().map(Vec::len), Some(3), "{team}");
    assert_eq!(team[2]["role"], "ROLE_CO_INVESTIGATOR");
    let listed = sysu_office.run(&["applications", "team", "list", &s]).await.ok();
    let rows: Vec<&str> = listed.lines().collect();
    assert_eq!(rows.len(), 4, "a header and three people:\n{listed}");
    assert!(
        rows[0].starts_with("NAME") && rows[0].contains("ROLE") && rows[0].contains("E-MAIL"),
        "{listed}"
    );
    assert!(
        rows[1].contains("Chan Tai Man") && rows[1].contains("PRINCIPAL_INVESTIGATOR") && rows[1].contains(PI_ORCID),
        "{listed}"
    );
    assert!(
        rows[2].contains(sysu) && rows[2].contains("lihua@mail.sysu.edu.cn"),
        "{listed}"
    );
    let left = applicant
        .run(&[
            "applications",
            "team",
            "remove",
            &s,
            "--name",
            "zhang wei",
            "-o",
            "name",
        ])
        .await;
    assert_eq!(lines(&left), ["Chan Tai Man", "Li Hua"]);

    // Unsigned: submission names both institutions and how to sign.
    let r = applicant.run(&["applications", "submit", &a]).await;
    let stderr = r.fails(5);
    assert!(
        stderr.contains("FAILED_PRECONDITION ENDORSEMENTS_MISSING")
            && stderr.contains(hku)
            && stderr.contains(sysu)
            && stderr.contains("grantctl applications endorse"),
        "{stderr}"
    );

    // HKU signs what it reads; the view says SYSU has still to sign.
    let read = applicant.run(&["applications", "get", &a, "-o", "json"]).await.json();
    let etag = read["etag"].as_str().unwrap().to_owned();
    let r = hku_office.run(&["applications", "endorse", &s]).await;
    let view = r.ok();
    assert!(
        r.stderr.contains(&format!("as it stood at etag {etag}, for {hku}")),
        "{}",
        r.stderr
    );
    assert!(
        view.contains("Sign-off:") && view.contains("HKU Research Services"),
        "{view}"
    );
    let view = applicant.run(&["applications", "get", &s]).await.ok();
    assert!(
        view.contains(&format!(
            "To sign:       {sysu} (the programme requires APPLICANT_AND_PARTNERS)"
        )),
        "{view}"
    );
    assert!(view.contains("Team:") && view.contains("Li Hua"), "{view}");

    // A stale etag is refused; SYSU signs what it reads.
    let r = sysu_office.run(&["applications", "endorse", &a, "--etag", &etag]).await;
    let stderr = r.fails(5);
    assert!(
        stderr.contains("ABORTED ETAG_MISMATCH") && stderr.contains("read it again"),
        "{stderr}"
    );
    let signed = sysu_office
        .run(&["applications", "endorse", &a, "-o", "json"])
        .await
        .json();
    assert_eq!(signers(&signed), sorted(vec![hku.to_owned(), sysu.to_owned()]));
    let view = applicant.run(&["applications", "get", &a]).await.ok();
    assert!(view.contains("To sign:       nobody"), "{view}");
    assert!(view.contains("Ou Yang"), "{view}");

    // An edit clears both signatures, and submission is refused again.
    let r = applicant
        .run(&[
            "applications",
            "update",
            &a,
            "--title",
            "Typhoon-resilient estuaries, revised",
            "-o",
            "json",
        ])
        .await;
    let edited = r.json();
    assert!(edited.get("endorsements").is_none(), "cleared: {edited}");
    let r = applicant.run(&["applications", "submit", &a]).await;
    assert!(r.fails(5).contains("ENDORSEMENTS_MISSING"), "{}", r.stderr);
    let view = applicant.run(&["applications", "get", &a]).await.ok();
    assert!(
        view.contains(hku) && view.contains("To sign:") && !view.contains("Sign-off:"),
        "{view}"
    );

    // Both sign again; submission goes through, signatures kept.
    hku_office.run(&["applications", "endorse", &a]).await.ok();
    sysu_office.run(&["applications", "endorse", &a]).await.ok();
    let submitted = applicant
        .run(&["applications", "submit", &a, "-o", "json"])
        .await
        .json();
    assert_eq!(submitted["state"], "STATE_SUBMITTED");
    assert_eq!(signers(&submitted), sorted(vec![hku.to_owned(), sysu.to_owned()]));
    let view = applicant.run(&["applications", "get", &a]).await.ok();
    assert!(!view.contains("To sign:"), "nothing to sign once submitted: {view}");

    // The history tells it, with the people who signed.
    let history = applicant.run(&["applications", "events", &a]).await.ok();
    assert!(history.contains("team changed"), "{history}");
    assert!(history.contains(&format!("{hku} endorsed")), "{history}");
    assert!(history.contains(&format!("{sysu} endorsed")), "{history}");
    assert!(history.contains("APPLICANT (Ou Yang)"), "{history}");
    assert!(history.contains("APPLICANT (HKU Research Services)"), "{history}");
    let cleared = history
        .lines()
        .find(|l| l.contains("endorsements of"))
        .unwrap_or_else(|| panic!("the edit's clearing: {history}"));
    assert!(
        cleared.contains(hku) && cleared.contains(sysu) && cleared.contains("cleared"),
        "{cleared}"
    );
    let events: Vec<Value> = lines(&applicant.run(&["applications", "events", &a, "-o", "jsonl"]).await)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<String> = events
        .iter()
        .filter_map(|e| e["teamActivity"]["kind"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        kinds,
        [
            "KIND_TEAM_CHANGED",
            "KIND_TEAM_CHANGED",
            "KIND_TEAM_CHANGED",
            "KIND_ENDORSED",
            "KIND_ENDORSED",
            "KIND_ENDORSEMENTS_CLEARED",
            "KIND_ENDORSED",
            "KIND_ENDORSED",
        ]
    );

    // SYSU's watch of its joint applications replays them from a cursor.
    let first = events[0]["cursor"].as_str().unwrap();
    let watched = sysu_office
        .run(&[
            "watch",
            "events",
            "--relation",
            "partner",
            "--cursor",
            first,
            "--max-events",
            "3",
        ])
        .await;
    let out = watched.ok();
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.lines().all(|l| l.contains("team changed")), "{out}");
    let watched = sysu_office
        .run(&[
            "watch",
            "events",
            "--relation",
            "PARTNER",
            "--cursor",
            first,
            "--max-events",
            "4",
            "-o",
            "jsonl",
        ])
        .await;
    let last: Value = serde_json::from_str(lines(&watched).last().unwrap()).unwrap();
    assert_eq!(
        last["teamActivity"],
        serde_json::json!({"kind": "KIND_ENDORSED", "institution": hku})
    );
    assert_eq!(
        last["actorPerson"],
        serde_json::json!({"displayName": "HKU Research Services"})
    );
    server.stop().await;
}

pub async fn partners_read_but_do_not_change_and_bad_teams_name_their_field(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let (hku, sysu) = (w.hku.as_str(), w.sysu.as_str());
    let p = w.programme.name.clone();
    admin
        .run(&["programmes", "update", &p, "--endorsement-requirement", "partners"])
        .await
        .ok();
    let (applicant, partner, stranger) = (admin.with(&w.hku_key), admin.with(&w.sysu_key), admin.with(&w.um_key));
    let a = draft(&applicant, &p, hku, sysu).await["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = applicant.run(&["applications", "get", &a, "-o", "json"]).await.json();

    // The partner reads, its team included, but changes nothing.
    let seen = partner.run(&["applications", "get", &a]).await.ok();
    assert!(
        seen.contains("Chan Tai Man") && seen.contains("tmchan@hku.hk"),
        "{seen}"
    );
    assert!(
        seen.contains(&format!("To sign:       {sysu} (the programme requires PARTNERS)")),
        "{seen}"
    );
    for args in [
        vec!["applications", "update", &a, "--title", "SYSU's title"],
        vec!["applications", "team", "add", &a, "--name", "Li Hua", "--role", "co-pi"],
        vec!["applications", "submit", &a],
        vec!["applications", "withdraw", &a],
    ] {
        let r = partner.run(&args).await;
        let stderr = r.fails(3);
        assert!(
            stderr.contains("PERMISSION_DENIED PARTNER_READ_ONLY") && stderr.contains("a partner's key reads"),
            "{args:?}: {stderr}"
        );
    }
    // An institution not on it neither reads nor signs.
    stranger.run(&["applications", "get", &a]).await.fails(3);
    stranger.run(&["applications", "endorse", &a]).await.fails(3);

    // Bad teams name the field, exit 4: a bad ORCID iD, a second PI, someone from elsewhere.
    let r = applicant
        .run(&[
            "applications",
            "team",
            "add",
            &a,
            "--name",
            "Li Hua",
            "--role",
            "co-pi",
            "--institution",
            sysu,
            "--orcid",
            "0000-0001-5109-3701",
        ])
        .await;
    let stderr = r.fails(4);
    assert!(
        stderr.contains("INVALID_ARGUMENT") && stderr.contains("application.team[1].orcid"),
        "{stderr}"
    );
    let r = applicant
        .run(&["applications", "team", "add", &a, "--name", "Wong", "--role", "PI"])
        .await;
    assert!(r.fails(4).contains("application.team[1].role"), "{}", r.stderr);
    let r = applicant
        .run(&[
            "applications",
            "team",
            "add",
            &a,
            "--name",
            "Ieong",
            "--role",
            "collaborator",
            "--institution",
            &w.um,
        ])
        .await;
    assert!(r.fails(4).contains("application.team[1].institution"), "{}", r.stderr);
    // Refused before any call: a malformed --member, an unknown role (usage), no one to remove.
    let r = applicant
        .run(&["applications", "update", &a, "--member", "Li Hua;co-pi"])
        .await;
    assert!(r.fails(4).contains("invalid --member"), "{}", r.stderr);
    let r = applicant
        .run(&["applications", "team", "add", &a, "--name", "X", "--role", "dean"])
        .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = applicant
        .run(&["applications", "team", "remove", &a, "--orcid", CO_ORCID])
        .await;
    assert!(r.fails(3).contains("no one with ORCID iD"), "{}", r.stderr);
    let r = applicant.run(&["applications", "team", "remove", &a]).await;
    assert_eq!(r.code, 2, "--orcid or --name: {}", r.stderr);
    // Nothing to withdraw.
    let r = partner.run(&["applications", "unendorse", &a]).await;
    let stderr = r.fails(5);
    assert!(
        stderr.contains("NOT_ENDORSED") && stderr.contains("nothing to withdraw"),
        "{stderr}"
    );
    let after = applicant.run(&["applications", "get", &a, "-o", "json"]).await.json();
    assert_eq!(after, before, "the refusals changed nothing");

    // The partner signs, withdraws with a reason, and the history says so.
    partner.run(&["applications", "endorse", &a]).await.ok();
    let r = partner
        .run(&[
            "applications",
            "unendorse",
            &a,
            "--reason",
            "the budget table is still wrong",
            "-o",
            "json",
        ])
        .await;
    assert!(r.json().get("endorsements").is_none(), "{}", r.stdout);
    assert!(r.stderr.contains("Withdrew the endorsement"), "{}", r.stderr);
    let history = applicant.run(&["applications", "events", &a]).await.ok();
    let withdrawn = history
        .lines()
        .find(|l| l.contains("withdrew its endorsement"))
        .unwrap_or_else(|| panic!("{history}"));
    assert!(
        withdrawn.contains(sysu) && withdrawn.contains("the budget table is still wrong"),
        "{history}"
    );
    // The whole team at once, from --member: the partner's people, then signed and submitted.
    let pi = format!("Chan Tai Man;PI;{hku};{PI_ORCID}");
    let co = format!("Li Hua;co-pi;{sysu};{CO_ORCID};lihua@mail.sysu.edu.cn");
    let updated = applicant
        .run(&[
            "applications",
            "update",
            &a,
            "--member",
            &pi,
            "--member",
            &co,
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(updated["team"][1]["orcid"], CO_ORCID, "{updated}");
    assert!(
        updated["team"][0].get("email").is_none(),
        "the whole team replaced: {updated}"
    );
    partner.run(&["applications", "endorse", &a]).await.ok();
    let submitted = applicant
        .run(&["applications", "submit", &a, "-o", "json"])
        .await
        .json();
    assert_eq!(submitted["state"], "STATE_SUBMITTED");
    // Frozen now: the team does not change.
    let r = applicant
        .run(&["applications", "team", "remove", &a, "--orcid", CO_ORCID])
        .await;
    assert!(r.fails(5).contains("INVALID_STATE"), "{}", r.stderr);
    server.stop().await;
}

pub async fn json_shapes_of_teams_sign_off_people_and_requirements(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let (hku, sysu) = (w.hku.as_str(), w.sysu.as_str());
    let dir = tempfile::tempdir().expect("temporary directory");

    // A programme's requirement from a file, and cleared by a flag.
    let file = dir.path().join("programme.json");
    std::fs::write(&file, r#"{"endorsementRequirement": "partners"}"#).unwrap();
    let path = file.to_string_lossy().into_owned();
    let p = w.programme.name.clone();
    let updated = admin
        .run(&["programmes", "update", &p, "--from-file", &path, "-o", "json"])
        .await
        .json();
    assert_eq!(updated["endorsementRequirement"], "ENDORSEMENT_REQUIREMENT_PARTNERS");
    let cleared = admin
        .run(&[
            "programmes",
            "update",
            &p,
            "--endorsement-requirement",
            "NONE",
            "-o",
            "json",
        ])
        .await
        .json();
    assert!(cleared.get("endorsementRequirement").is_none(), "{cleared}");
    assert!(!admin.run(&["programmes", "get", &p]).await.ok().contains("Sign-off:"));
    admin
        .run(&["programmes", "update", &p, "--endorsement-requirement", "applicant"])
        .await
        .ok();

    // A key's person.
    let created = admin
        .run(&[
            "keys",
            "create",
            "--role",
            "applicant",
            "--institution",
            hku,
            "--person-name",
            "Wong Mei Ling",
            "--person-orcid",
            OFFICE_ORCID,
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(
        created["apiKey"]["person"],
        serde_json::json!({"displayName": "Wong Mei Ling", "orcid": OFFICE_ORCID})
    );
    let office = admin.with(created["secret"].as_str().unwrap());
    let me = office.run(&["whoami", "-o", "json"]).await.json();
    assert_eq!(me["person"]["displayName"], "Wong Mei Ling");
    let r = admin
        .run(&[
            "keys",
            "create",
            "--role",
            "applicant",
            "--institution",
            hku,
            "--person-orcid",
            OFFICE_ORCID,
        ])
        .await;
    assert!(
        r.fails(4).contains("person.display_name"),
        "an ORCID iD needs a name: {}",
        r.stderr
    );

    // A team from a file: camelCase and snake_case, roles as value names or flags.
    let body = serde_json::json!({
        "title": "Cross-border health data", "abstract": "Hospitals in Hong Kong and Guangdong.",
        "principal_investigator": {"name": "Chan Tai Man", "email": "tmchan@hku.hk", "orcid": PI_ORCID},
        "partnerInstitutions": [sysu], "requestedAmount": {"currencyCode": "CNY", "units": "300000"},
        "durationMonths": 12,
        "team": [
            {"displayName": "Chan Tai Man", "orcid": PI_ORCID, "email": "tmchan@hku.hk", "institution": hku,
             "role": "ROLE_PRINCIPAL_INVESTIGATOR"},
            {"display_name": "Li Hua", "institution": sysu, "role": "co-i"}
        ]
    });
    let file = dir.path().join("application.json");
    std::fs::write(&file, body.to_string()).unwrap();
    let path = file.to_string_lossy().into_owned();
    let applicant = admin.with(&w.hku_key);
    let a = applicant
        .run(&[
            "applications",
            "create",
            "--programme",
            &p,
            "--from-file",
            &path,
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(
        a["team"],
        serde_json::json!([
            {"displayName": "Chan Tai Man", "orcid": PI_ORCID, "email": "tmchan@hku.hk", "institution": hku,
             "role": "ROLE_PRINCIPAL_INVESTIGATOR"},
            {"displayName": "Li Hua", "institution": sysu, "role": "ROLE_CO_INVESTIGATOR"}
        ])
    );
    let name = a["name"].as_str().unwrap().to_owned();
    let team = applicant
        .run(&["applications", "team", "list", &name, "-o", "json"])
        .await
        .json();
    assert_eq!(team, a["team"], "team list -o json: the members as an array");
    let jsonl = lines(
        &applicant
            .run(&["applications", "team", "list", &name, "-o", "jsonl"])
            .await,
    );
    assert_eq!(jsonl.len(), 2);

    // An endorsement's shape.
    let signed = office
        .run(&["applications", "endorse", &name, "-o", "json"])
        .await
        .json();
    let e = &signed["endorsements"][0];
    assert_eq!(
        keys(e),
        ["actor", "actorPerson", "endorseTime", "etag", "institution"],
        "{e}"
    );
    assert_eq!(e["institution"], hku);
    assert_eq!(e["etag"], a["etag"]);
    assert!(e["actor"].as_str().unwrap().starts_with("apiKeys/"), "{e}");
    assert_eq!(
        e["actorPerson"],
        serde_json::json!({"displayName": "Wong Mei Ling", "orcid": OFFICE_ORCID})
    );
    assert!(e["endorseTime"].as_str().unwrap().ends_with('Z'), "{e}");

    // What -o json printed goes back as it is (endorsements are output only);
    // a changed team is sent whole and clears the signature.
    let mut edited = applicant
        .run(&["applications", "get", &name, "-o", "json"])
        .await
        .json();
    edited["team"][1]["role"] = "ROLE_COLLABORATOR".into();
    let file = dir.path().join("edited.json");
    std::fs::write(&file, edited.to_string()).unwrap();
    let path = file.to_string_lossy().into_owned();
    let r = applicant
        .run(&["applications", "update", &name, "--from-file", &path, "-o", "json"])
        .await;
    let back = r.json();
    assert_eq!(back["team"][1]["role"], "ROLE_COLLABORATOR");
    assert!(back.get("endorsements").is_none(), "{back}");

    // Team events' shape.
    let events: Vec<Value> = lines(&applicant.run(&["applications", "events", &name, "-o", "jsonl"]).await)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let signed_event = events
        .iter()
        .find(|e| e["teamActivity"]["kind"] == "KIND_ENDORSED")
        .expect("the endorsement event");
    assert_eq!(
        signed_event["teamActivity"],
        serde_json::json!({"kind": "KIND_ENDORSED", "institution": hku})
    );
    assert_eq!(signed_event["actorPerson"]["orcid"], OFFICE_ORCID);
    let changed = events.last().unwrap();
    assert_eq!(
        changed["teamActivity"],
        serde_json::json!({"kind": "KIND_TEAM_CHANGED", "cleared": [hku]})
    );
    assert_eq!(strs(&changed["teamActivity"]["cleared"]), [hku.to_owned()]);
    server.stop().await;
}
