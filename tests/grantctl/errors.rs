//! Every error class mapped to its exit code, in one sentence on stderr,
//! and the token never appearing in any output.

use super::common::*;
use super::run::{Ctl, Run, command, output};

pub async fn every_error_class_has_its_exit_code_and_the_token_never_shows(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let applicant = admin.with(&w.hku_key);
    let mut runs: Vec<Run> = Vec::new();

    // 2: usage, clap's own.
    let r = admin.run(&["institutions", "list", "--colour", "red"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    runs.push(r);
    let r = admin.run(&["institutions", "create", "--region", "atlantis"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    runs.push(r);

    // 3: unknown application (NOT_FOUND or PERMISSION_DENIED), and a bad key.
    let unknown = format!(
        "{}/0193aaaabbbbccccddddeeeeffff0000",
        w.programme.name.trim_start_matches("programmes/")
    );
    let r = admin.run(&["applications", "get", &unknown]).await;
    r.fails(3);
    runs.push(r);
    let r = admin.with("gbk_not-a-real-key").run(&["programmes", "list"]).await;
    assert!(r.fails(3).contains("UNAUTHENTICATED"), "{}", r.stderr);
    runs.push(r);

    // 4: money refused before any call, naming the flag; a bad field named
    // by the server's BadRequest.
    let draft = w.draft(&server, 500_000).await;
    for bad in ["1.005 CNY", "abc"] {
        let r = applicant
            .run(&["applications", "update", &draft.name, "--requested", bad])
            .await;
        assert!(r.fails(4).contains("--requested"), "{}", r.stderr);
        runs.push(r);
    }
    let r = admin
        .run(&[
            "institutions",
            "create",
            "--display-name",
            "Lingnan University",
            "--local-name",
            "嶺南大學",
        ])
        .await;
    let stderr = r.fails(4);
    assert!(
        stderr.contains("INVALID_ARGUMENT") && stderr.contains("institution.region"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one sentence: {stderr}");
    runs.push(r);
    let r = admin.run(&["watch", "events", "--cursor", "not-a-cursor"]).await;
    assert!(r.fails(4).contains("cursor"), "{}", r.stderr);
    runs.push(r);

    // 5: submitting twice.
    let r = applicant
        .run(&["applications", "submit", &draft.name, "-o", "name"])
        .await;
    assert_eq!(r.ok(), draft.name);
    runs.push(r);
    let r = applicant.run(&["applications", "submit", &draft.name]).await;
    let stderr = r.fails(5);
    assert!(stderr.contains("FAILED_PRECONDITION INVALID_STATE"), "{stderr}");
    runs.push(r);

    // 6: nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nobody = Ctl {
        endpoint: format!("http://127.0.0.1:{port}"),
        token: server.admin_key.clone(),
    };
    for args in [
        &["institutions", "list"][..],
        &["health"][..],
        &["applications", "submit", &draft.name][..],
    ] {
        let r = nobody.run(args).await;
        assert!(r.fails(6).contains("cannot reach"), "{}", r.stderr);
        runs.push(r);
    }

    // Health needs no token; SERVING exits 0.
    let r = admin.with("").run(&["health"]).await;
    assert_eq!(r.ok(), "SERVING");

    // The token given as a flag, in a file, or in the environment (also in
    // --help, which shows environment values) never appears.
    let mut c = command();
    c.args([
        "--endpoint",
        &admin.endpoint,
        "--token",
        &server.admin_key,
        "keys",
        "revoke",
        "apiKeys/nope",
    ]);
    runs.push(output(c).await);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), format!("{}\n", server.admin_key)).unwrap();
    let mut c = command();
    c.args([
        "--endpoint",
        &admin.endpoint,
        "--token-file",
        file.path().to_str().unwrap(),
    ])
    .args(["applications", "get", &unknown]);
    let r = output(c).await;
    r.fails(3);
    runs.push(r);
    runs.push(admin.run(&["--help"]).await);
    runs.push(admin.run(&["institutions", "list", "--help"]).await);
    for r in &runs {
        for text in [&r.stdout, &r.stderr] {
            assert!(!text.contains(&server.admin_key), "the token leaked: {text}");
        }
    }
}
