//! Documents in an S3-compatible store, on every backend: the built server
//! keeps content in a bucket of a real S3-protocol server (`s3s-fs`),
//! uploads of several multipart parts round-trip with their checksums and
//! resume, a refused or abandoned upload leaves nothing in the bucket, and
//! the sweeper removes an object no document names.

mod common;

use std::time::Duration;

use common::documents::*;
use common::process::Process;
use common::s3::S3Server;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::DocumentKind;
use tonic::Code;

on_every_backend!(documents_live_in_an_s3_bucket,);

async fn documents_live_in_an_s3_bucket(backend: Backend) {
    let s3 = S3Server::start().await;
    let db = TestDb::new(backend).await;
    let env = s3.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let store = s3.store("gba/documents");
    let mut process = Process::start_with(
        &db.url,
        &[
            "--document-store",
            &store,
            "--document-sweep-grace-seconds",
            "1",
            "--document-sweep-interval-seconds",
            "1",
        ],
        &env,
    );
    let channel = process.serving().await;
    let admin = process
        .stdout
        .recv_timeout(Duration::from_secs(5))
        .expect("the bootstrap key");
    let server = TestServer::remote(channel, &admin);
    let w = server.world().await;
    let draft = w.draft(&server, 500_000).await;

    // Twelve MiB: three parts of S3's five-MiB minimum.
    let big = pdf(12 << 20, 3);
    let doc = upload(&server, &w.hku_key, &draft.name, DocumentKind::Proposal, &big)
        .await
        .expect("upload to the bucket");
    assert_eq!(doc.sha256, sha256(&big));
    let (_, back) = download(&server, &w.hku_key, &doc.name, 0).await.expect("download");
    assert!(back == big, "the content round-trips ({} bytes back)", back.len());
    let (_, tail) = download(&server, &w.hku_key, &doc.name, 7_000_001)
        .await
        .expect("resume");
    assert!(tail == big[7_000_001..], "a resumed download");
    let objects = || {
        s3.files()
            .into_iter()
            .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
            .filter(|n| n.len() == 64)
            .collect::<Vec<_>>()
    };
    assert_eq!(objects(), vec![doc.sha256.clone()], "the object, named by its digest");
    let settled = s3.files();

    // A refused upload and an abandoned one leave nothing in the bucket.
    let other = pdf(6 << 20, 4);
    let wrong = Declared {
        sha256: sha256(b"not it"),
        ..Declared::pdf(&draft.name, DocumentKind::Budget, &other)
    };
    let status = upload_as(&mut server.documents(&w.hku_key), &wrong, &other, 1 << 20)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "CHECKSUM_MISMATCH");
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let mut gone = server.documents(&w.hku_key);
    let call = tokio::spawn(async move {
        gone.upload_document(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    let declared = Declared::pdf(&draft.name, DocumentKind::Budget, &other);
    tx.send(v1::UploadDocumentRequest {
        part: Some(v1::upload_document_request::Part::Upload(v1::DocumentUpload {
            parent: declared.parent.clone(),
            kind: declared.kind.into(),
            file_name: declared.file_name.clone(),
            media_type: declared.media_type.clone(),
            size_bytes: declared.size_bytes,
            sha256: declared.sha256.clone(),
            request_id: String::new(),
        })),
    })
    .await
    .unwrap();
    for piece in other[..(5 << 20) + 10].chunks(1 << 20) {
        tx.send(v1::UploadDocumentRequest {
            part: Some(v1::upload_document_request::Part::Chunk(bytes::Bytes::copy_from_slice(
                piece,
            ))),
        })
        .await
        .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    call.abort();
    drop(tx);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while s3.files() != settled {
        assert!(
            tokio::time::Instant::now() < deadline,
            "left in the bucket: {:?} (before: {settled:?})",
            s3.files()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(list(&server, &w.hku_key, &draft.name, true).await.unwrap().len(), 1);

    // Deleted, and named by nothing: swept once its claim ran out.
    server
        .documents(&w.hku_key)
        .delete_document(v1::DeleteDocumentRequest {
            name: doc.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect("delete");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !objects().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "not swept: {:?}", objects());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    process.kill_nine();
}
