//! `grantctl documents`: a file of several chunks uploaded and downloaded
//! back byte for byte (checked on the server too), media types guessed
//! from extensions, content that is not its type refused (exit 4), no
//! file overwritten without --force, downloads resumed from FILE.part (and
//! a wrong part caught by its SHA-256, kept), standard input and output;
//! a programme's document requirements from flags and files, submission
//! refused until they are met, lists, versions, deletes, events and JSON
//! shapes; and uploads and downloads that survive a dropped connection.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::common::documents::{download, pdf, sha256};
use super::common::*;
use super::run::Ctl;

const MIB: usize = 1 << 20;

fn write(dir: &Path, name: &str, content: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write a test file");
    path
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn short(name: &str) -> String {
    name.trim_start_matches("programmes/")
        .replace("/applications/", "/")
        .replace("/documents/", "/")
}

pub async fn documents_upload_and_download_byte_for_byte_and_resume(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let applicant = Ctl::new(server.addr, &w.hku_key);
    let draft = w.draft(&server, 500_000).await;
    let app = draft.name.as_str();
    let dir = tempfile::tempdir().expect("temporary directory");
    let d = dir.path();

    // Several chunks of 1 MiB (and a piece): a single message would exceed
    // the server's 4 MiB limit.
    let content = pdf(5 * MIB + 12_345, 7);
    write(d, "proposal.pdf", &content);
    let r = applicant
        .run_in(
            d,
            &[
                "documents",
                "upload",
                app,
                "proposal.pdf",
                "--kind",
                "proposal",
                "-o",
                "json",
            ],
        )
        .await;
    assert!(
        !r.stderr.contains('\r'),
        "no progress line off a terminal: {:?}",
        r.stderr
    );
    let doc = r.json();
    assert_eq!(doc["kind"], "DOCUMENT_KIND_PROPOSAL", "{doc}");
    assert_eq!(doc["version"], 1, "{doc}");
    assert_eq!(doc["fileName"], "proposal.pdf", "{doc}");
    assert_eq!(doc["mediaType"], "application/pdf", "guessed from .pdf: {doc}");
    assert_eq!(doc["sizeBytes"], content.len().to_string(), "int64 as a string: {doc}");
    assert_eq!(doc["sha256"], sha256(&content), "{doc}");
    assert!(doc["uploader"].as_str().unwrap().starts_with("apiKeys/"), "{doc}");
    assert!(doc["createTime"].is_string(), "{doc}");
    assert!(doc.get("superseded").is_none(), "false is left out: {doc}");
    let name = doc["name"].as_str().unwrap().to_owned();
    assert!(name.starts_with(&format!("{app}/documents/")), "{name}");
    // What the server holds is the file, byte for byte.
    let (_, stored) = download(&server, &w.hku_key, &name, 0).await.expect("download");
    assert!(stored == content, "the server holds other bytes");

    // Downloaded back, by its short name, to its file name here.
    let out = tempfile::tempdir().expect("temporary directory");
    let o = out.path();
    let r = applicant.run_in(o, &["documents", "download", &short(&name)]).await;
    let table = r.ok();
    assert!(read(&o.join("proposal.pdf")) == content, "downloaded bytes differ");
    assert_eq!(listing(o), ["proposal.pdf"], "no part left behind");
    assert!(
        table.contains("Saved to:") && table.contains("SHA-256 checked"),
        "{table}"
    );
    assert!(table.contains(&format!("SHA-256:     {}", sha256(&content))), "{table}");
    assert!(table.contains("5,255,225 bytes (5.0 MiB)"), "{table}");
    // Again: the file is this document already.
    let r = applicant
        .run_in(o, &["documents", "download", &name, "-o", "name"])
        .await;
    assert_eq!(r.ok(), name);
    assert!(r.stderr.contains("already holds this document"), "{}", r.stderr);

    // Never over another file without --force.
    write(o, "proposal.pdf", b"my own notes");
    let r = applicant.run_in(o, &["documents", "download", &name]).await;
    let stderr = r.fails(5);
    assert!(
        stderr.contains("proposal.pdf exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(read(&o.join("proposal.pdf")), b"my own notes");
    applicant
        .run_in(o, &["documents", "download", &name, "--force"])
        .await
        .ok();
    assert!(read(&o.join("proposal.pdf")) == content);
    // -O a file, -O a directory, -O - (standard output, nothing else there).
    let copy = o.join("copy.pdf");
    let copy_arg = copy.to_string_lossy().into_owned();
    let r = applicant
        .run(&["documents", "download", &name, "-O", &copy_arg, "-o", "name"])
        .await;
    assert_eq!(r.ok(), name);
    assert!(read(&copy) == content);
    let sub = o.join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    let sub_arg = sub.to_string_lossy().into_owned();
    applicant
        .run(&["documents", "download", &name, "--output-file", &sub_arg])
        .await
        .ok();
    assert!(read(&sub.join("proposal.pdf")) == content);
    let r = applicant.run(&["documents", "download", &name, "-O", "-"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout_bytes == content, "standard output holds other bytes");

    // Resume: a part of the first 3 MiB + 7 bytes, with its sidecar.
    let resume = tempfile::tempdir().expect("temporary directory");
    let rd = resume.path();
    let cut = 3 * MIB + 7;
    let sidecar = format!("{}  proposal.pdf.part\n", sha256(&content));
    write(rd, "proposal.pdf.part", &content[..cut]);
    write(rd, "proposal.pdf.part.sha256", sidecar.as_bytes());
    let r = applicant.run_in(rd, &["documents", "download", &name]).await;
    r.ok();
    assert!(
        r.stderr
            .contains("resuming proposal.pdf.part at 3,145,735 of 5,255,225 bytes"),
        "{}",
        r.stderr
    );
    assert!(read(&rd.join("proposal.pdf")) == content, "a resumed download differs");
    assert_eq!(listing(rd), ["proposal.pdf"]);

    // A part whose bytes are not the document's: resumed from its length,
    // so the whole does not match; exit 1, the part kept for inspection.
    let wrong = tempfile::tempdir().expect("temporary directory");
    let wd = wrong.path();
    let mut garbage = content[..cut].to_vec();
    garbage[1_000] ^= 0xff;
    write(wd, "proposal.pdf.part", &garbage);
    write(wd, "proposal.pdf.part.sha256", sidecar.as_bytes());
    let r = applicant.run_in(wd, &["documents", "download", &name]).await;
    let stderr = r.fails(1);
    assert!(
        stderr.contains("SHA-256") && stderr.contains(&sha256(&content)) && stderr.contains("kept proposal.pdf.part"),
        "{stderr}"
    );
    assert_eq!(
        listing(wd),
        ["proposal.pdf.part"],
        "no FILE, no sidecar: the part kept alone"
    );
    assert_eq!(read(&wd.join("proposal.pdf.part")).len(), content.len());
    // A part without a sidecar is not trusted: the next run starts over.
    let r = applicant.run_in(wd, &["documents", "download", &name]).await;
    r.ok();
    assert!(r.stderr.contains("starting over"), "{}", r.stderr);
    assert!(read(&wd.join("proposal.pdf")) == content);
    assert_eq!(listing(wd), ["proposal.pdf"]);

    // Media types from extensions; standard input with --file-name.
    let csv = "institution,amount\nHKU,800000\n港大,1\n";
    write(d, "budget.csv", csv.as_bytes());
    let r = applicant
        .run_in(
            d,
            &[
                "documents",
                "upload",
                app,
                "budget.csv",
                "--kind",
                "BUDGET",
                "-o",
                "json",
            ],
        )
        .await;
    let budget = r.json();
    assert_eq!(
        (budget["mediaType"].as_str(), budget["kind"].as_str()),
        (Some("text/csv"), Some("DOCUMENT_KIND_BUDGET"))
    );
    let notes = write(d, "notes.bin", b"Site visit on 3 March.\n");
    let mut c = applicant.command();
    c.args([
        "documents",
        "upload",
        app,
        "-",
        "--kind",
        "other",
        "--file-name",
        "notes.txt",
        "-o",
        "json",
    ]);
    c.stdin(std::fs::File::open(&notes).expect("open"));
    let from_stdin = super::run::output(c).await.json();
    assert_eq!(from_stdin["fileName"], "notes.txt");
    assert_eq!(from_stdin["mediaType"], "text/plain");
    assert_eq!(from_stdin["sizeBytes"], "23");
    let r = applicant
        .run(&["documents", "upload", app, "-", "--kind", "other"])
        .await;
    assert!(r.fails(4).contains("--file-name"), "{}", r.stderr);

    // A .pdf that is not a PDF: refused by the server, naming the cause.
    write(d, "fake.pdf", b"<html><body>not a pdf</body></html>");
    let r = applicant
        .run_in(d, &["documents", "upload", app, "fake.pdf", "--kind", "other"])
        .await;
    let stderr = r.fails(4);
    assert!(
        stderr.contains("INVALID_ARGUMENT MEDIA_TYPE_MISMATCH")
            && stderr.contains("the content is not application/pdf"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one sentence: {stderr}");
    // An extension that says nothing: refused before any call.
    write(d, "scan.bin", &pdf(2_000, 3));
    let r = applicant
        .run_in(d, &["documents", "upload", app, "scan.bin", "--kind", "other"])
        .await;
    assert!(r.fails(4).contains("give --media-type"), "{}", r.stderr);
    let r = applicant
        .run_in(
            d,
            &[
                "documents",
                "upload",
                app,
                "scan.bin",
                "--kind",
                "other",
                "--media-type",
                "pdf",
                "-o",
                "json",
            ],
        )
        .await;
    assert_eq!(r.json()["mediaType"], "application/pdf");
    // No such file, an empty file, a directory: exit 4 before any call.
    for (file, says) in [
        ("missing.pdf", "cannot read"),
        ("empty.pdf", "is empty"),
        ("folder.pdf", "not a file"),
    ] {
        match file {
            "empty.pdf" => drop(write(d, file, b"")),
            "folder.pdf" => std::fs::create_dir(d.join(file)).expect("mkdir"),
            _ => {}
        }
        let r = applicant
            .run_in(
                d,
                &[
                    "documents",
                    "upload",
                    app,
                    file,
                    "--kind",
                    "other",
                    "--media-type",
                    "pdf",
                ],
            )
            .await;
        assert!(r.fails(4).contains(says), "{file}: {}", r.stderr);
    }
    // Nothing of the refused uploads was stored.
    let r = applicant
        .run(&["documents", "list", app, "--all-versions", "-o", "json"])
        .await;
    let files: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["fileName"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(files, ["proposal.pdf", "budget.csv", "notes.txt", "scan.bin"]);
}

pub async fn document_requirements_lists_versions_and_submission(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let admin = Ctl::new(server.addr, &server.admin_key);
    let applicant = admin.with(&w.hku_key);
    let p = w.programme.name.as_str();
    let dir = tempfile::tempdir().expect("temporary directory");
    let d = dir.path();

    // Requirements from flags: mistakes refused before any call.
    for bad in [
        &["--require-document", "thesis"][..],
        &["--require-document", "proposal:zip"],
        &["--require-document", "proposal", "--accept-document", "PROPOSAL:pdf"],
    ] {
        let args = [&["programmes", "update", p][..], bad].concat();
        assert!(admin.run(&args).await.fails(4).contains("invalid --"), "{bad:?}");
    }
    let r = admin
        .run(&[
            "programmes",
            "update",
            p,
            "--require-document",
            "proposal:pdf:20MiB",
            "--require-document",
            "budget:csv,xlsx",
            "--accept-document",
            "other",
            "-o",
            "json",
        ])
        .await;
    let json = r.json();
    assert_eq!(
        json["documentRequirements"],
        serde_json::json!([
            {"kind": "DOCUMENT_KIND_PROPOSAL", "required": true, "mediaTypes": ["application/pdf"],
             "maxSizeBytes": "20971520"},
            {"kind": "DOCUMENT_KIND_BUDGET", "required": true,
             "mediaTypes": ["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]},
            {"kind": "DOCUMENT_KIND_OTHER"},
        ]),
        "{json}"
    );
    assert_eq!(json["displayName"], w.programme.display_name, "nothing else changed");
    let shown = admin.run(&["programmes", "get", p]).await.ok();
    assert!(
        shown.contains("Documents:          PROPOSAL: required, pdf, at most 20.0 MiB\n")
            && shown.contains("\n                    BUDGET: required, csv or xlsx\n")
            && shown.contains("\n                    OTHER: optional, any type\n"),
        "{shown}"
    );

    // Submission waits for the required documents.
    let draft = w.draft(&server, 600_000).await;
    let app = draft.name.as_str();
    let r = applicant.run(&["applications", "submit", app]).await;
    let stderr = r.fails(5);
    assert!(
        stderr.contains("FAILED_PRECONDITION DOCUMENTS_MISSING")
            && stderr.contains("PROPOSAL")
            && stderr.contains("BUDGET")
            && stderr.contains("grantctl documents upload"),
        "{stderr}"
    );
    write(d, "proposal.pdf", &pdf(300_000, 1));
    write(d, "proposal-v2.pdf", &pdf(400_000, 2));
    write(d, "budget.csv", b"item,amount\nstaff,600000\n");
    write(d, "letter.pdf", &pdf(1_000, 4));
    let upload = |file: &'static str, kind: &'static str| {
        let applicant = applicant.clone();
        let dir = d.to_path_buf();
        let app = app.to_owned();
        async move {
            applicant
                .run_in(&dir, &["documents", "upload", &app, file, "--kind", kind, "-o", "json"])
                .await
        }
    };
    let v1 = upload("proposal.pdf", "proposal").await.json();
    // Kinds and types the programme does not take.
    assert!(
        upload("letter.pdf", "partner-letter")
            .await
            .fails(4)
            .contains("upload.kind")
    );
    assert!(
        upload("letter.pdf", "budget")
            .await
            .fails(4)
            .contains("upload.media_type")
    );
    let r = applicant.run(&["applications", "submit", app]).await;
    assert!(r.fails(5).contains("BUDGET"), "{}", r.stderr);
    let budget = upload("budget.csv", "budget").await.json();
    let v2 = upload("proposal-v2.pdf", "PROPOSAL").await.json();
    assert_eq!(v2["version"], 2, "{v2}");

    // Lists: the latest of each kind, or every version.
    let latest = applicant.run(&["documents", "list", app, "-o", "name"]).await.ok();
    let latest: Vec<&str> = latest.lines().collect();
    assert_eq!(latest.len(), 2, "{latest:?}");
    assert!(latest.contains(&v2["name"].as_str().unwrap()) && latest.contains(&budget["name"].as_str().unwrap()));
    let all = applicant
        .run(&["documents", "list", app, "--all-versions", "-o", "json"])
        .await
        .json();
    let all = all.as_array().expect("a list is one JSON array");
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["name"], v1["name"]);
    assert_eq!(all[0]["superseded"], true);
    let table = applicant.run(&["documents", "list", app, "--all-versions"]).await.ok();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAME", "KIND", "VERSION", "FILE", "SIZE", "SHA256", "UPLOADED"],
        "{table}"
    );
    let first = lines.iter().find(|l| l.contains("proposal.pdf ")).expect("v1's row");
    assert!(
        first.starts_with(&short(v1["name"].as_str().unwrap()))
            && first.contains("PROPOSAL  1 (superseded)")
            && first.contains("293.0 KiB")
            && first.contains(&v1["sha256"].as_str().unwrap()[..12])
            && !first.contains(&v1["sha256"].as_str().unwrap()[..13]),
        "{table}"
    );
    // One document, by its short name.
    let got = applicant
        .run(&[
            "documents",
            "get",
            &short(budget["name"].as_str().unwrap()),
            "-o",
            "json",
        ])
        .await
        .json();
    assert_eq!(got, budget);
    let r = applicant.run(&["documents", "get", "p/a"]).await;
    assert!(r.fails(4).contains("is not a document"), "{}", r.stderr);

    // Delete the second version: the first is the latest again.
    let deleted = applicant
        .run(&["documents", "delete", v2["name"].as_str().unwrap(), "-o", "json"])
        .await
        .json();
    assert_eq!(deleted["name"], v2["name"]);
    let all = applicant
        .run(&["documents", "list", app, "--all-versions", "-o", "name"])
        .await
        .ok();
    assert_eq!(all.lines().count(), 2, "{all}");

    // Events: what each document change did.
    let events = applicant.run(&["applications", "events", app]).await.ok();
    for change in [
        "DOCUMENT_ADDED proposal.pdf v1",
        "DOCUMENT_ADDED budget.csv v1",
        "DOCUMENT_REPLACED proposal-v2.pdf v2",
        "DOCUMENT_DELETED proposal-v2.pdf v2",
    ] {
        assert!(events.contains(change), "{change}:\n{events}");
    }
    let events = applicant
        .run(&["applications", "events", app, "-o", "json"])
        .await
        .json();
    let added = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["documentActivity"]["kind"] == "KIND_DOCUMENT_ADDED")
        .expect("an added document's event");
    assert_eq!(added["documentActivity"]["document"]["name"], v1["name"], "{added}");

    // Now it may be submitted; then its documents are frozen.
    let submitted = applicant
        .run(&["applications", "submit", app, "-o", "json"])
        .await
        .json();
    assert_eq!(submitted["state"], "STATE_SUBMITTED");
    let r = upload("proposal-v2.pdf", "proposal").await;
    assert!(r.fails(5).contains("FAILED_PRECONDITION INVALID_STATE"), "{}", r.stderr);
    let r = applicant
        .run(&["documents", "delete", budget["name"].as_str().unwrap()])
        .await;
    assert!(r.fails(5).contains("INVALID_STATE"), "{}", r.stderr);

    // Officers download; viewers read the metadata only (exit 3), and a
    // refused download leaves nothing behind.
    let officer = admin.with(&w.officer_key);
    let out = tempfile::tempdir().expect("temporary directory");
    officer
        .run_in(out.path(), &["documents", "download", budget["name"].as_str().unwrap()])
        .await
        .ok();
    assert_eq!(read(&out.path().join("budget.csv")), b"item,amount\nstaff,600000\n");
    let viewer = admin.with(&w.viewer_key);
    viewer.run(&["documents", "list", app]).await.ok();
    let r = viewer
        .run_in(out.path(), &["documents", "download", v1["name"].as_str().unwrap()])
        .await;
    r.fails(3);
    assert_eq!(listing(out.path()), ["budget.csv"]);

    // Requirements from a file, and cleared.
    let file = write(
        d,
        "programme.json",
        br#"{"documentRequirements": [{"kind": "ETHICS_APPROVAL", "required": true, "maxSizeBytes": 1048576}]}"#,
    );
    let r = admin
        .run(&[
            "programmes",
            "update",
            p,
            "--from-file",
            &file.to_string_lossy(),
            "-o",
            "json",
        ])
        .await;
    assert_eq!(
        r.json()["documentRequirements"],
        serde_json::json!([{"kind": "DOCUMENT_KIND_ETHICS_APPROVAL", "required": true, "maxSizeBytes": "1048576"}])
    );
    let r = admin
        .run(&["programmes", "update", p, "--no-document-requirements", "-o", "json"])
        .await;
    assert!(r.json().get("documentRequirements").is_none());
    let shown = admin.run(&["programmes", "get", p]).await.ok();
    assert!(!shown.contains("Documents:"), "{shown}");
}

/// A proxy to `target` that cuts its first connection once `limit` bytes
/// went one way (`upstream`: client to server), and passes later ones.
async fn cutting_proxy(target: SocketAddr, upstream: bool, limit: usize) -> (SocketAddr, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let cut = Arc::new(AtomicBool::new(false));
    let done = cut.clone();
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(target).await else {
                continue;
            };
            let budget = if first { Some(limit) } else { None };
            first = false;
            let done = done.clone();
            tokio::spawn(async move {
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let (up_budget, down_budget) = if upstream { (budget, None) } else { (None, budget) };
                let up = pipe(&mut cr, &mut sw, up_budget);
                let down = pipe(&mut sr, &mut cw, down_budget);
                // Either way ending (or the cut) ends the connection.
                tokio::select! {
                    cutting = up => if cutting { done.store(true, Ordering::SeqCst) },
                    cutting = down => if cutting { done.store(true, Ordering::SeqCst) },
                }
            });
        }
    });
    (addr, cut)
}

/// Copies until the end, or until `budget` bytes passed (true: cut).
async fn pipe(
    from: &mut tokio::net::tcp::OwnedReadHalf,
    to: &mut tokio::net::tcp::OwnedWriteHalf,
    budget: Option<usize>,
) -> bool {
    let mut buffer = vec![0_u8; 64 * 1024];
    let mut passed = 0;
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        if to.write_all(&buffer[..n]).await.is_err() {
            return false;
        }
        passed += n;
        if budget.is_some_and(|b| passed >= b) {
            return true;
        }
    }
}

pub async fn documents_survive_a_dropped_connection(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let draft = w.draft(&server, 500_000).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let d = dir.path();
    let content = pdf(6 * MIB, 11);
    write(d, "proposal.pdf", &content);

    // The upload's connection is cut after 2 MiB went up: it is sent again
    // with the same request id, and stored once.
    let (proxy, cut) = cutting_proxy(server.addr, true, 2 * MIB).await;
    let through = Ctl::new(proxy, &w.hku_key);
    let r = through
        .run_in(
            d,
            &[
                "documents",
                "upload",
                &draft.name,
                "proposal.pdf",
                "--kind",
                "proposal",
                "-o",
                "json",
            ],
        )
        .await;
    let doc = r.json();
    assert!(cut.load(Ordering::SeqCst), "the connection was cut");
    assert!(r.stderr.contains("upload interrupted"), "{}", r.stderr);
    assert_eq!(doc["version"], 1, "{doc}");
    let direct = Ctl::new(server.addr, &w.hku_key);
    let all = direct
        .run(&["documents", "list", &draft.name, "--all-versions", "-o", "name"])
        .await
        .ok();
    assert_eq!(all.lines().count(), 1, "stored once: {all}");
    let name = doc["name"].as_str().unwrap().to_owned();

    // The download's connection is cut after 2 MiB came down: it resumes
    // from what was written, in the same run.
    let (proxy, cut) = cutting_proxy(server.addr, false, 2 * MIB).await;
    let through = Ctl::new(proxy, &w.hku_key);
    let out = tempfile::tempdir().expect("temporary directory");
    let r = through.run_in(out.path(), &["documents", "download", &name]).await;
    r.ok();
    assert!(cut.load(Ordering::SeqCst), "the connection was cut");
    assert!(
        r.stderr.contains("download interrupted") && r.stderr.contains("resuming at"),
        "{}",
        r.stderr
    );
    assert!(
        read(&out.path().join("proposal.pdf")) == content,
        "a resumed download differs"
    );
    assert_eq!(listing(out.path()), ["proposal.pdf"]);
}
