//! kill -9 during 20 concurrent uploads, on every backend: after a restart
//! every acknowledged document downloads with its checksum, every document
//! row has its object, and a retry of each upload with its request id
//! stores it exactly once.

mod common;

use std::time::Duration;

use common::documents::*;
use common::process::Process;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::DocumentKind;

on_every_backend!(uploads_survive_kill_nine,);

const UPLOADS: usize = 20;
const KINDS: [DocumentKind; 5] = [
    DocumentKind::Proposal,
    DocumentKind::Budget,
    DocumentKind::PartnerLetter,
    DocumentKind::EthicsApproval,
    DocumentKind::Other,
];

/// An upload of 2 MiB sent in chunks of 64 KiB, a little at a time (half
/// a second in all), after `delay`.
async fn slow_upload(
    mut client: Documents,
    declared: Declared,
    content: Vec<u8>,
    delay: Duration,
) -> Result<v1::Document, tonic::Status> {
    tokio::time::sleep(delay).await;
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let sending = tokio::spawn(async move {
        let first = v1::UploadDocumentRequest {
            part: Some(v1::upload_document_request::Part::Upload(v1::DocumentUpload {
                parent: declared.parent.clone(),
                kind: declared.kind.into(),
                file_name: declared.file_name.clone(),
                media_type: declared.media_type.clone(),
                size_bytes: declared.size_bytes,
                sha256: declared.sha256.clone(),
                request_id: declared.request_id.clone(),
            })),
        };
        if tx.send(first).await.is_err() {
            return;
        }
        for piece in content.chunks(64 << 10) {
            let chunk = v1::UploadDocumentRequest {
                part: Some(v1::upload_document_request::Part::Chunk(bytes::Bytes::copy_from_slice(
                    piece,
                ))),
            };
            if tx.send(chunk).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
    });
    let result = client
        .upload_document(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .map(|r| r.into_inner().document.unwrap_or_default());
    sending.abort();
    result
}

async fn uploads_survive_kill_nine(backend: Backend) {
    let db = TestDb::new(backend).await;
    let args = ["--max-uploads-per-key", "64"];
    let mut first = Process::start_with(&db.url, &args, &[]);
    let channel = first.serving().await;
    let admin = first
        .stdout
        .recv_timeout(Duration::from_secs(5))
        .expect("the bootstrap key");
    let server = TestServer::remote(channel, &admin);
    let w = server.world().await;
    let mut drafts = Vec::new();
    for _ in 0..4 {
        drafts.push(w.draft(&server, 500_000).await.name);
    }
    let uploads: Vec<(Declared, Vec<u8>)> = (0..UPLOADS)
        .map(|i| {
            let content = pdf(2 << 20, i as u8);
            let mut declared = Declared::pdf(&drafts[i % drafts.len()], KINDS[i / drafts.len()], &content);
            declared.request_id = format!("kill-nine-{i}");
            (declared, content)
        })
        .collect();

    let mut calls = Vec::new();
    for (i, (declared, content)) in uploads.clone().into_iter().enumerate() {
        let delay = Duration::from_millis(40 * i as u64);
        calls.push(tokio::spawn(slow_upload(
            server.documents(&w.hku_key),
            declared,
            content,
            delay,
        )));
    }
    // The first few finish; the others are cut off mid-stream.
    tokio::time::sleep(Duration::from_millis(750)).await;
    first.kill_nine();
    let mut acknowledged = Vec::new();
    for call in calls {
        if let Ok(Ok(document)) = call.await {
            acknowledged.push(document);
        }
    }

    let mut second = Process::start_with(&db.url, &args, &[]);
    let server = TestServer::remote(second.serving().await, &admin);
    for document in &acknowledged {
        let (_, content) = download(&server, &w.hku_key, &document.name, 0)
            .await
            .expect("an acknowledged document survives");
        assert_eq!(sha256(&content), document.sha256);
    }
    // No row without its object.
    let mut stored = 0;
    for draft in &drafts {
        for document in list(&server, &w.hku_key, draft, true).await.expect("list") {
            let (_, content) = download(&server, &w.hku_key, &document.name, 0)
                .await
                .expect("every stored document has its content");
            assert_eq!(sha256(&content), document.sha256);
            stored += 1;
        }
    }
    assert!(stored >= acknowledged.len());
    assert!(
        acknowledged.len() < UPLOADS,
        "the kill came after every upload: nothing was cut off"
    );

    // Each upload again with its request id: applied once in all.
    for (declared, content) in &uploads {
        let again = upload_as(&mut server.documents(&w.hku_key), declared, content, 1 << 20)
            .await
            .expect("the retry");
        assert_eq!(again.sha256, declared.sha256);
        if let Some(before) = acknowledged.iter().find(|d| d.sha256 == declared.sha256) {
            assert_eq!(&again, before, "a retry of an acknowledged upload replays it");
        }
    }
    let mut total = 0;
    for draft in &drafts {
        let documents = list(&server, &w.hku_key, draft, true).await.expect("list");
        let mut versions: Vec<(i32, i32)> = documents.iter().map(|d| (d.kind, d.version)).collect();
        versions.sort();
        assert_eq!(
            versions,
            KINDS.iter().map(|k| (*k as i32, 1)).collect::<Vec<_>>(),
            "one version of each kind on {draft}"
        );
        total += documents.len();
    }
    assert_eq!(total, UPLOADS);
    eprintln!(
        "kill -9 during {UPLOADS} uploads: {} acknowledged before the kill, {stored} stored, all {UPLOADS} once after retries",
        acknowledged.len()
    );
    second.kill_nine();
}
