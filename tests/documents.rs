//! Documents, on every backend, with the local document store: uploads
//! checked while they stream, versions, downloads that resume, events,
//! the freeze at submission, access as for the application, limits, and
//! the sweeper. Every refusal leaves nothing visible and nothing behind
//! in the store.

mod common;

use std::time::Duration;

use common::documents::*;
use common::reviewing::*;
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::DocumentKind;
use tonic::{Code, Status};

on_every_backend!(
    uploads_version_download_and_resume,
    refusals_leave_nothing_behind,
    documents_freeze_at_submission_and_required_kinds_are_checked,
    access_follows_the_application,
    limits_answer_resource_exhausted,
    the_sweeper_removes_only_what_no_document_names,
);

fn refused(result: Result<v1::Document, Status>, code: Code, why: &str) -> Status {
    match result {
        Ok(d) => panic!("expected {code:?} {why}, got {d:?}"),
        Err(status) => {
            assert_eq!(status.code(), code, "{status:?}");
            assert_eq!(reason(&status), why, "{status:?}");
            status
        }
    }
}

async fn history(server: &TestServer, key: &str, application: &str) -> Vec<v1::ApplicationEvent> {
    server
        .apps(key)
        .list_application_events(v1::ListApplicationEventsRequest {
            parent: application.into(),
            page_size: 1_000,
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .events
}

async fn uploads_version_download_and_resume(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let draft = w.draft(&server, 500_000).await;
    let first = pdf(3 << 20, 1); // three MiB: several chunks each way

    let v1 = upload(&server, &w.hku_key, &draft.name, DocumentKind::Proposal, &first)
        .await
        .expect("upload");
    assert!(
        v1.name.starts_with(&format!("{}/documents/", draft.name)),
        "{}",
        v1.name
    );
    assert_eq!(v1.version, 1);
    assert_eq!(v1.kind, DocumentKind::Proposal as i32);
    assert_eq!(v1.size_bytes, first.len() as i64);
    assert_eq!(v1.sha256, sha256(&first));
    assert_eq!(v1.media_type, "application/pdf");
    assert!(!v1.superseded);
    assert!(v1.uploader.starts_with("apiKeys/"));

    // Read back whole, and from an offset (a resumed download).
    let (meta, content) = download(&server, &w.hku_key, &v1.name, 0).await.expect("download");
    assert_eq!(meta, v1);
    assert_eq!(sha256(&content), v1.sha256);
    let from = 1_234_567;
    let (_, rest) = download(&server, &w.hku_key, &v1.name, from).await.expect("resume");
    assert_eq!(rest, first[from as usize..]);
    let (_, nothing) = download(&server, &w.hku_key, &v1.name, first.len() as i64)
        .await
        .expect("at the end");
    assert!(nothing.is_empty());
    let status = download(&server, &w.hku_key, &v1.name, first.len() as i64 + 1)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["offset"]);

    // A second proposal is version 2; the first stays readable.
    let second = pdf(70_000, 2);
    let v2 = upload(&server, &w.hku_key, &draft.name, DocumentKind::Proposal, &second)
        .await
        .expect("second upload");
    assert_eq!(v2.version, 2);
    let budget = upload(&server, &w.hku_key, &draft.name, DocumentKind::Budget, &pdf(1_000, 3))
        .await
        .expect("a budget");
    assert_eq!(budget.version, 1, "versions count per kind");
    let latest = list(&server, &w.hku_key, &draft.name, false).await.unwrap();
    let names: Vec<&str> = latest.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [v2.name.as_str(), budget.name.as_str()],
        "the latest of each kind"
    );
    let all = list(&server, &w.hku_key, &draft.name, true).await.unwrap();
    assert_eq!(all.len(), 3);
    let old = all.iter().find(|d| d.name == v1.name).expect("version 1 listed");
    assert!(old.superseded);
    let (_, again) = download(&server, &w.hku_key, &v1.name, 0).await.unwrap();
    assert_eq!(
        sha256(&again),
        v1.sha256,
        "every version stays readable with its checksum"
    );

    // Events carry the metadata, never the content.
    let events = history(&server, &w.officer_key, &draft.name).await;
    use v1::document_activity::Kind;
    let kinds: Vec<(i32, String)> = events
        .iter()
        .filter_map(|e| e.document_activity.as_ref())
        .map(|a| (a.kind, a.document.as_ref().map(|d| d.name.clone()).unwrap_or_default()))
        .collect();
    assert_eq!(
        kinds,
        [
            (Kind::DocumentAdded as i32, v1.name.clone()),
            (Kind::DocumentReplaced as i32, v2.name.clone()),
            (Kind::DocumentAdded as i32, budget.name.clone()),
        ]
    );
    for e in events.iter().filter(|e| e.document_activity.is_some()) {
        assert_eq!(
            e.previous_state, e.new_state,
            "a document does not move the application"
        );
    }

    // A retry with its request id answers the first upload.
    let third = pdf(5_000, 4);
    let mut declared = Declared::pdf(&draft.name, DocumentKind::Other, &third);
    declared.file_name = "letter of intent.pdf".into();
    declared.request_id = "upload-other-1".into();
    let mut client = server.documents(&w.hku_key);
    let once = upload_as(&mut client, &declared, &third, 1_000).await.expect("upload");
    let twice = upload_as(&mut client, &declared, &third, 4_000).await.expect("retry");
    assert_eq!(once, twice);
    assert_eq!(list(&server, &w.hku_key, &draft.name, true).await.unwrap().len(), 4);

    // Deleting the newest proposal brings the first back as the latest.
    let deleted = server
        .documents(&w.hku_key)
        .delete_document(v1::DeleteDocumentRequest {
            name: v2.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect("delete")
        .into_inner()
        .document
        .expect("document");
    assert_eq!(deleted.name, v2.name);
    let latest = list(&server, &w.hku_key, &draft.name, false).await.unwrap();
    let proposal = latest
        .iter()
        .find(|d| d.kind == DocumentKind::Proposal as i32)
        .expect("a proposal");
    assert_eq!(proposal.name, v1.name);
    assert!(!proposal.superseded);
    let status = server
        .documents(&w.hku_key)
        .get_document(v1::GetDocumentRequest { name: v2.name.clone() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "gone, as for any missing object");
    let last = history(&server, &w.hku_key, &draft.name).await.pop().expect("an event");
    assert_eq!(
        last.document_activity.map(|a| a.kind),
        Some(Kind::DocumentDeleted as i32)
    );
    server.stop().await;
}

async fn refusals_leave_nothing_behind(backend: Backend) {
    let server = TestServer::start(backend).await;
    let store = server.db.documents.clone();
    let w = server.world().await;
    let draft = w.draft(&server, 500_000).await;
    let kept = pdf(10_000, 9);
    upload(&server, &w.hku_key, &draft.name, DocumentKind::Proposal, &kept)
        .await
        .expect("one good upload");
    let before = files_under(&store);
    assert_eq!(
        objects_under(&store),
        [sha256(&kept)],
        "one object, named by its digest"
    );
    let mut client = server.documents(&w.hku_key);
    let content = pdf(300_000, 5);
    let truthful = Declared::pdf(&draft.name, DocumentKind::Budget, &content);

    let wrong_sum = Declared {
        sha256: sha256(b"something else"),
        ..truthful.clone()
    };
    refused(
        upload_as(&mut client, &wrong_sum, &content, 65_536).await,
        Code::InvalidArgument,
        "CHECKSUM_MISMATCH",
    );
    let short = Declared {
        size_bytes: content.len() as i64 + 10,
        ..truthful.clone()
    };
    refused(
        upload_as(&mut client, &short, &content, 65_536).await,
        Code::InvalidArgument,
        "SIZE_MISMATCH",
    );
    let long = Declared {
        size_bytes: content.len() as i64 - 10,
        ..truthful.clone()
    };
    refused(
        upload_as(&mut client, &long, &content, 65_536).await,
        Code::InvalidArgument,
        "SIZE_MISMATCH",
    );
    let html = b"<html><body>not a pdf</body></html>".repeat(100);
    let disguised = Declared::pdf(&draft.name, DocumentKind::Budget, &html);
    refused(
        upload_as(&mut client, &disguised, &html, 1_000).await,
        Code::InvalidArgument,
        "MEDIA_TYPE_MISMATCH",
    );
    // Text that is not text, and an executable called a spreadsheet.
    let binary = [0_u8, 1, 2, 3, 0xff].repeat(100);
    let text = Declared {
        media_type: "text/csv".into(),
        file_name: "budget.csv".into(),
        ..Declared::pdf(&draft.name, DocumentKind::Budget, &binary)
    };
    refused(
        upload_as(&mut client, &text, &binary, 100).await,
        Code::InvalidArgument,
        "MEDIA_TYPE_MISMATCH",
    );
    let exe = b"MZ\x90\x00".repeat(100);
    let sheet = Declared {
        media_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
        file_name: "budget.xlsx".into(),
        ..Declared::pdf(&draft.name, DocumentKind::Budget, &exe)
    };
    refused(
        upload_as(&mut client, &sheet, &exe, 100).await,
        Code::InvalidArgument,
        "MEDIA_TYPE_MISMATCH",
    );
    // Declarations refused before any content, naming each field.
    let bad = Declared {
        file_name: "../../etc/passwd".into(),
        media_type: "application/x-msdownload".into(),
        sha256: "xyz".into(),
        ..truthful.clone()
    };
    let status = refused(
        upload_as(&mut client, &bad, &content, 65_536).await,
        Code::InvalidArgument,
        "INVALID_FIELD",
    );
    assert_eq!(
        bad_fields(&status),
        ["upload.file_name", "upload.media_type", "upload.sha256"]
    );
    // The first message must declare.
    let status = client
        .upload_document(tokio_stream::iter(vec![v1::UploadDocumentRequest {
            part: Some(v1::upload_document_request::Part::Chunk(bytes::Bytes::from_static(
                b"%PDF-",
            ))),
        }]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["upload"]);
    // A client that goes away mid-upload.
    {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let mut gone = server.documents(&w.hku_key);
        let declared = truthful.clone();
        let call = tokio::spawn(async move {
            gone.upload_document(tokio_stream::wrappers::ReceiverStream::new(rx))
                .await
        });
        let first = v1::UploadDocumentRequest {
            part: Some(v1::upload_document_request::Part::Upload(v1::DocumentUpload {
                parent: declared.parent.clone(),
                kind: declared.kind.into(),
                file_name: declared.file_name.clone(),
                media_type: declared.media_type.clone(),
                size_bytes: declared.size_bytes,
                sha256: declared.sha256.clone(),
                request_id: String::new(),
            })),
        };
        tx.send(first).await.expect("send");
        tx.send(v1::UploadDocumentRequest {
            part: Some(v1::upload_document_request::Part::Chunk(bytes::Bytes::copy_from_slice(
                &content[..100_000],
            ))),
        })
        .await
        .expect("send");
        tokio::time::sleep(Duration::from_millis(200)).await;
        call.abort();
        drop(tx);
    }

    // Nothing visible, nothing behind (the store's directory holds what it
    // held, once aborted uploads are cleaned up).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if files_under(&store) == before {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "left behind: {:?} (before: {before:?})",
            files_under(&store)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listed = list(&server, &w.hku_key, &draft.name, true).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let documentless = history(&server, &w.hku_key, &draft.name)
        .await
        .iter()
        .filter(|e| e.document_activity.is_some())
        .count();
    assert_eq!(documentless, 1, "one event: the good upload's");
    // And the good content still uploads.
    upload_as(&mut client, &truthful, &content, 65_536)
        .await
        .expect("the truth uploads");
    server.stop().await;
}

/// A programme that requires a proposal and a budget (PDF, at most
/// 200,000 bytes), and takes partner letters.
async fn programme_requiring_documents(server: &TestServer, programme: &str) {
    let current = server
        .programmes(&server.admin_key)
        .get_programme(v1::GetProgrammeRequest { name: programme.into() })
        .await
        .unwrap()
        .into_inner()
        .programme
        .unwrap();
    let requirements = vec![
        v1::DocumentRequirement {
            kind: DocumentKind::Proposal.into(),
            required: true,
            media_types: vec!["application/pdf".into()],
            max_size_bytes: 0,
        },
        v1::DocumentRequirement {
            kind: DocumentKind::Budget.into(),
            required: true,
            media_types: vec!["application/pdf".into(), "text/csv".into()],
            max_size_bytes: 200_000,
        },
        v1::DocumentRequirement {
            kind: DocumentKind::PartnerLetter.into(),
            required: false,
            media_types: Vec::new(),
            max_size_bytes: 0,
        },
    ];
    let updated = server
        .programmes(&server.admin_key)
        .update_programme(v1::UpdateProgrammeRequest {
            programme: Some(v1::Programme {
                name: programme.into(),
                etag: current.etag,
                document_requirements: requirements.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["document_requirements".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect("set document requirements")
        .into_inner()
        .programme
        .unwrap();
    assert_eq!(updated.document_requirements, requirements);
}

async fn documents_freeze_at_submission_and_required_kinds_are_checked(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    programme_requiring_documents(&server, &w.programme.name).await;
    let draft = w.draft(&server, 500_000).await;

    // Requirements refuse what they do not take, before any content.
    let mut client = server.documents(&w.hku_key);
    let ethics = pdf(1_000, 1);
    let status = refused(
        upload(&server, &w.hku_key, &draft.name, DocumentKind::EthicsApproval, &ethics).await,
        Code::InvalidArgument,
        "INVALID_FIELD",
    );
    assert_eq!(bad_fields(&status), ["upload.kind"]);
    let png = b"\x89PNG\r\n\x1a\n....".repeat(10);
    let picture = Declared {
        media_type: "image/png".into(),
        file_name: "scan.png".into(),
        ..Declared::pdf(&draft.name, DocumentKind::Proposal, &png)
    };
    let status = refused(
        upload_as(&mut client, &picture, &png, 100).await,
        Code::InvalidArgument,
        "INVALID_FIELD",
    );
    assert_eq!(bad_fields(&status), ["upload.media_type"]);
    let big = pdf(200_001, 2);
    refused(
        upload(&server, &w.hku_key, &draft.name, DocumentKind::Budget, &big).await,
        Code::ResourceExhausted,
        "DOCUMENT_TOO_LARGE",
    );
    // Declaring less than is sent: the stream ends at the first chunk
    // beyond the declaration.
    let lying = Declared {
        size_bytes: 1_000,
        sha256: sha256(&big[..1_000]),
        ..Declared::pdf(&draft.name, DocumentKind::Budget, &big)
    };
    refused(
        upload_as(&mut client, &lying, &big, 50_000).await,
        Code::InvalidArgument,
        "SIZE_MISMATCH",
    );

    // Submission names the missing kinds.
    upload(
        &server,
        &w.hku_key,
        &draft.name,
        DocumentKind::Proposal,
        &pdf(10_000, 3),
    )
    .await
    .expect("proposal");
    let status = submit(&server, &w.hku_key, &draft.name).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "DOCUMENTS_MISSING");
    assert!(
        status.message().contains("BUDGET") && !status.message().contains("PROPOSAL"),
        "{status:?}"
    );
    let csv = "item,amount\nsensors,120000\n".as_bytes();
    let sheet = Declared {
        media_type: "text/csv".into(),
        file_name: "budget.csv".into(),
        ..Declared::pdf(&draft.name, DocumentKind::Budget, csv)
    };
    let budget = upload_as(&mut client, &sheet, csv, 10).await.expect("a CSV budget");
    submit(&server, &w.hku_key, &draft.name)
        .await
        .expect("submit with both");

    // Frozen: no upload, no delete.
    refused(
        upload(
            &server,
            &w.hku_key,
            &draft.name,
            DocumentKind::PartnerLetter,
            &pdf(500, 4),
        )
        .await,
        Code::FailedPrecondition,
        "INVALID_STATE",
    );
    let status = server
        .documents(&w.hku_key)
        .delete_document(v1::DeleteDocumentRequest {
            name: budget.name.clone(),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "INVALID_STATE");
    // Changes requested: the applicant may add again.
    request_changes(&server, &w.officer_key, &draft.name, "Add the partner's letter")
        .await
        .expect("request changes");
    let letter = upload(
        &server,
        &w.hku_key,
        &draft.name,
        DocumentKind::PartnerLetter,
        &pdf(500, 4),
    )
    .await
    .expect("a letter while changes are requested");
    assert_eq!(letter.version, 1);
    submit(&server, &w.hku_key, &draft.name).await.expect("resubmit");
    server.stop().await;
}

async fn access_follows_the_application(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    configure(&server, &w.programme.name, settings(1))
        .await
        .expect("peer review");
    let draft = w.draft(&server, 500_000).await;
    let content = pdf(20_000, 7);
    let doc = upload(&server, &w.hku_key, &draft.name, DocumentKind::Proposal, &content)
        .await
        .expect("upload");
    submit(&server, &w.hku_key, &draft.name).await.expect("submit");
    let (assigned, assigned_name) = reviewer(&server, &w.um, &w.programme.name).await;
    let (unassigned, _) = reviewer(&server, &w.um, &w.programme.name).await;
    assign(&server, &w.officer_key, &draft.name, &assigned_name)
        .await
        .expect("assign");

    // May download: the applicant, the programme's officer, the assigned
    // reviewer, an admin.
    for key in [&w.hku_key, &w.officer_key, &assigned, &server.admin_key] {
        let (_, got) = download(&server, key, &doc.name, 0).await.expect("may download");
        assert_eq!(sha256(&got), doc.sha256);
    }
    // Viewers read the metadata only.
    let meta = server
        .documents(&w.viewer_key)
        .get_document(v1::GetDocumentRequest { name: doc.name.clone() })
        .await
        .expect("viewers read metadata")
        .into_inner()
        .document
        .unwrap();
    assert_eq!(meta.sha256, doc.sha256);
    assert_eq!(list(&server, &w.viewer_key, &draft.name, true).await.unwrap().len(), 1);
    let status = download(&server, &w.viewer_key, &doc.name, 0).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(reason(&status), "ROLE_NOT_ALLOWED");
    // Others: the same PERMISSION_DENIED as for a document that does not
    // exist.
    let missing = format!("{}/documents/0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4", draft.name);
    for key in [&w.um_key, &w.other_officer_key, &unassigned] {
        for name in [&doc.name, &missing] {
            let status = download(&server, key, name, 0).await.unwrap_err();
            assert_eq!(status.code(), Code::PermissionDenied, "{name}");
            assert_eq!(reason(&status), "OUT_OF_SCOPE");
            let status = server
                .documents(key)
                .get_document(v1::GetDocumentRequest { name: name.clone() })
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::PermissionDenied);
        }
        let status = list(&server, key, &draft.name, false).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
    }
    // Only the applicant's keys and admins upload.
    let other = w.draft(&server, 100_000).await;
    for key in [&w.um_key, &w.officer_key, &w.viewer_key, &assigned] {
        let result = upload(&server, key, &other.name, DocumentKind::Proposal, &content).await;
        assert_eq!(result.unwrap_err().code(), Code::PermissionDenied);
    }
    assert!(list(&server, &w.hku_key, &other.name, true).await.unwrap().is_empty());
    // An admin hears NOT_FOUND for a document that does not exist.
    let status = server
        .documents(&server.admin_key)
        .get_document(v1::GetDocumentRequest { name: missing })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    server.stop().await;
}

async fn limits_answer_resource_exhausted(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start_with(db, |s| {
        s.documents.limits.max_documents_per_application = 3;
        s.documents.limits.max_uploads_per_key = 1;
        s.documents.limits.max_document_bytes = 1 << 20;
    })
    .await;
    let w = server.world().await;
    let draft = w.draft(&server, 500_000).await;
    let too_big = pdf((1 << 20) + 1, 1);
    refused(
        upload(&server, &w.hku_key, &draft.name, DocumentKind::Other, &too_big).await,
        Code::ResourceExhausted,
        "DOCUMENT_TOO_LARGE",
    );
    for seed in 0..3 {
        upload(&server, &w.hku_key, &draft.name, DocumentKind::Other, &pdf(1_000, seed))
            .await
            .expect("within the limit");
    }
    refused(
        upload(&server, &w.hku_key, &draft.name, DocumentKind::Other, &pdf(1_000, 9)).await,
        Code::ResourceExhausted,
        "TOO_MANY_DOCUMENTS",
    );

    // One upload in progress per key: a second is refused while the first
    // streams, and goes once it ended.
    let other = w.draft(&server, 500_000).await;
    let content = pdf(100_000, 4);
    let declared = Declared::pdf(&other.name, DocumentKind::Proposal, &content);
    // The first upload: declared, and half its content sent; it holds the
    // key's one slot while it waits for the rest.
    let start_first = || {
        let mut first = server.documents(&w.hku_key);
        let declared = declared.clone();
        let half = bytes::Bytes::copy_from_slice(&content[..50_000]);
        async move {
            let (tx, rx) = tokio::sync::mpsc::channel(4);
            let call = tokio::spawn(async move {
                first
                    .upload_document(tokio_stream::wrappers::ReceiverStream::new(rx))
                    .await
            });
            tx.send(declared.message())
                .await
                .expect("the first upload's declaration");
            tx.send(v1::UploadDocumentRequest {
                part: Some(v1::upload_document_request::Part::Chunk(half)),
            })
            .await
            .expect("the first upload's first half");
            (tx, call)
        }
    };
    let (mut tx, mut call) = start_first().await;
    // A probe that would be refused for its checksum if it got a slot:
    // once the first upload holds the key's one slot, it is refused for
    // the limit instead (and stores nothing either way).
    let probe_content = pdf(500, 5);
    let probe = Declared {
        sha256: sha256(b"not the content"),
        ..Declared::pdf(&other.name, DocumentKind::Budget, &probe_content)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = upload_as(&mut server.documents(&w.hku_key), &probe, &probe_content, 100)
            .await
            .expect_err("the probe never stores");
        if reason(&status) == "TOO_MANY_UPLOADS_PER_KEY" {
            assert_eq!(status.code(), Code::ResourceExhausted);
            break;
        }
        // The first upload has not taken its slot yet.
        assert_eq!(reason(&status), "CHECKSUM_MISMATCH", "{status:?}");
        if call.is_finished() {
            // A probe held the slot when the first upload asked for it:
            // the first was refused for the limit; start it again.
            let refused = call.await.expect("the first upload's task").expect_err("refused");
            assert_eq!(reason(&refused), "TOO_MANY_UPLOADS_PER_KEY", "{refused:?}");
            (tx, call) = start_first().await;
        }
        assert!(tokio::time::Instant::now() < deadline, "never refused for the limit");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Another key is not held up by this one's upload.
    upload(
        &server,
        &server.admin_key,
        &other.name,
        DocumentKind::Budget,
        &probe_content,
    )
    .await
    .expect("an admin uploads beside the applicant");
    tx.send(v1::UploadDocumentRequest {
        part: Some(v1::upload_document_request::Part::Chunk(bytes::Bytes::copy_from_slice(
            &content[50_000..],
        ))),
    })
    .await
    .unwrap();
    drop(tx);
    let done = call.await.unwrap().expect("the first upload ends well").into_inner();
    assert_eq!(done.document.map(|d| d.sha256), Some(declared.sha256));
    upload(
        &server,
        &w.hku_key,
        &other.name,
        DocumentKind::PartnerLetter,
        &pdf(500, 6),
    )
    .await
    .expect("the slot is free again");
    server.stop().await;
}

async fn the_sweeper_removes_only_what_no_document_names(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.documents.clone();
    let server = TestServer::start_with(db, |s| {
        s.documents.limits.claim = Duration::from_millis(500);
        s.documents.sweep_interval = Duration::from_millis(200);
    })
    .await;
    let w = server.world().await;
    let draft = w.draft(&server, 500_000).await;
    let shared = pdf(4_000, 1);
    let alone = pdf(5_000, 2);
    // The same content as two documents: one object.
    let a = upload(&server, &w.hku_key, &draft.name, DocumentKind::Proposal, &shared)
        .await
        .unwrap();
    let b = upload(&server, &w.hku_key, &draft.name, DocumentKind::Other, &shared)
        .await
        .unwrap();
    let c = upload(&server, &w.hku_key, &draft.name, DocumentKind::Budget, &alone)
        .await
        .unwrap();
    let mut objects = objects_under(&store);
    objects.sort();
    let mut expected = vec![sha256(&shared), sha256(&alone)];
    expected.sort();
    assert_eq!(objects, expected);
    for d in [&a, &c] {
        server
            .documents(&w.hku_key)
            .delete_document(v1::DeleteDocumentRequest {
                name: d.name.clone(),
                request_id: String::new(),
            })
            .await
            .expect("delete");
    }
    // `alone` is named by nothing once its claim runs out; `shared` is
    // still named by `b`.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while objects_under(&store) != [sha256(&shared)] {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sweeper left {:?}",
            objects_under(&store)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(objects_under(&store), [sha256(&shared)], "a named object stays");
    let (_, content) = download(&server, &w.hku_key, &b.name, 0).await.expect("still readable");
    assert_eq!(content, shared);
    // Uploading the swept content again brings it back.
    let again = upload(&server, &w.hku_key, &draft.name, DocumentKind::Budget, &alone)
        .await
        .unwrap();
    let (_, content) = download(&server, &w.hku_key, &again.name, 0).await.expect("back");
    assert_eq!(content, alone);
    server.stop().await;
}
