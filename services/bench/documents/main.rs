//! Document transfer benchmark, side by side in one run: a 100 MB document
//! uploaded to and downloaded from gba-grants (release binary, SQLite and
//! PostgreSQL, its document store a local directory) against writing and
//! reading the same bytes through the object store directly (the same
//! `object_store` local directory, 1 MiB parts, in this process; the
//! write synced to disk as the server syncs an object); then
//! the server's memory while 50 such uploads run at once. Two bare tonic
//! servers (`bare.rs`) split an upload's cost: gRPC alone, and gRPC with
//! the least an upload must do (hash, write, sync).
//!
//! `cargo build --release && cargo bench --bench documents` (`-- quick`:
//! 10 MB and 5 uploads). PostgreSQL: `GBA_GRANTS_TEST_POSTGRES` (default
//! the local server); skipped when none answers. Prints a Markdown table.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use gba_grants::proto::v1;
use object_store::{ObjectStore, PutPayload, path::Path};
use sha2::{Digest, Sha256};
use tonic::Request;
use tonic::metadata::MetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

mod bare;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub(crate) const CHUNK: usize = 1 << 20;

#[derive(Clone)]
struct Bearer(MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut r: Request<()>) -> Result<Request<()>, tonic::Status> {
        r.metadata_mut().insert("authorization", self.0.clone());
        Ok(r)
    }
}

type Authed = InterceptedService<Channel, Bearer>;

struct Sizes {
    document: usize,
    concurrent: usize,
    rounds: usize,
}

/// Bytes that depend on `seed`, starting as a PDF.
fn content(size: usize, seed: u64) -> Bytes {
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(b"%PDF-1.7\n");
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    while out.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(size);
    Bytes::from(out)
}

fn mib_per_s(bytes: usize, took: Duration) -> f64 {
    bytes as f64 / (1 << 20) as f64 / took.as_secs_f64().max(1e-9)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// `status` field of /proc/PID/status, in MiB (VmRSS, VmHWM).
fn proc_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// The ceiling: the same bytes through `object_store`'s local directory,
/// written in 1 MiB parts and read back whole (hashing as it reads, as a
/// downloading client checks). The write is made durable as the server
/// makes an object durable before the row that names it (the file and
/// its directory synced); the figure without the sync (a write into the
/// page cache) is returned too.
struct Direct {
    durable_write: f64,
    cached_write: f64,
    read: f64,
}

async fn direct(dir: &std::path::Path, bytes: &Bytes, round: usize) -> Res<Direct> {
    std::fs::create_dir_all(dir)?;
    let local = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
    let store = object_store::chunked::ChunkedStore::new(Arc::new(local), CHUNK);
    let mut writes = [0.0; 2];
    for (durable, speed) in [true, false].into_iter().zip(writes.iter_mut()) {
        let path = Path::from(format!("direct/{round}-{durable}"));
        let started = Instant::now();
        let mut upload = store.put_multipart(&path).await?;
        for piece in bytes.chunks(CHUNK) {
            upload.put_part(PutPayload::from(bytes.slice_ref(piece))).await?;
        }
        upload.complete().await?;
        if durable {
            let file = dir.join(path.as_ref());
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                std::fs::File::open(&file)?.sync_all()?;
                std::fs::File::open(file.parent().ok_or(std::io::ErrorKind::NotFound)?)?.sync_all()
            })
            .await??;
        }
        *speed = mib_per_s(bytes.len(), started.elapsed());
    }
    let path = Path::from(format!("direct/{round}-true"));
    let started = Instant::now();
    let mut stream = store.get(&path).await?.into_stream();
    let mut hasher = Sha256::new();
    let mut read = 0;
    while let Some(piece) = stream.next().await {
        let piece = piece?;
        read += piece.len();
        hasher.update(&piece);
    }
    let _ = hasher.finalize();
    assert_eq!(read, bytes.len());
    let reading = mib_per_s(bytes.len(), started.elapsed());
    store.delete(&path).await?;
    store.delete(&Path::from(format!("direct/{round}-false"))).await?;
    Ok(Direct {
        durable_write: writes[0],
        cached_write: writes[1],
        read: reading,
    })
}

struct Server {
    child: Child,
    channel: Channel,
    admin: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(exe: &str, url: &str, store: &std::path::Path) -> Res<Server> {
    let dir = tempfile::tempdir()?;
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    let mut child = Command::new(exe)
        .args(["serve", "--listen", &addr, "--database-url", url])
        .arg("--document-store")
        .arg(store)
        .args(["--max-document-bytes", &(1_u64 << 30).to_string()])
        .args(["--max-uploads-per-key", "256", "--max-calls-per-key", "10000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().ok_or("stdout")?),
        &mut line,
    )?;
    let channel = loop {
        // Set up for large transfers as grantctl's channel is: 1 MiB
        // frames, and windows that let the next chunk come while one is
        // hashed.
        let endpoint = Endpoint::from_shared(format!("http://{addr}"))?
            .max_frame_size(1 << 20)
            .initial_stream_window_size(4 << 20)
            .initial_connection_window_size(16 << 20);
        if let Ok(c) = endpoint.connect().await {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    Ok(Server {
        child,
        channel,
        admin: line.trim().to_owned(),
        _dir: dir,
    })
}

fn authed(channel: &Channel, key: &str) -> Res<Authed> {
    Ok(InterceptedService::new(
        channel.clone(),
        Bearer(format!("Bearer {key}").parse()?),
    ))
}

/// An applicant key and a draft to attach documents to.
async fn draft(server: &Server) -> Res<(String, String)> {
    let admin = authed(&server.channel, &server.admin)?;
    let hku = v1::institution_service_client::InstitutionServiceClient::new(admin.clone())
        .create_institution(v1::CreateInstitutionRequest {
            institution: Some(v1::Institution {
                display_name: "The University of Hong Kong".into(),
                local_name: "香港大學".into(),
                region: v1::Region::HongKong.into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .institution
        .ok_or("institution")?
        .name;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let money = |units| v1::Money {
        currency_code: "CNY".into(),
        units,
        nanos: 0,
    };
    let programme = v1::programme_service_client::ProgrammeServiceClient::new(admin.clone())
        .create_programme(v1::CreateProgrammeRequest {
            programme: Some(v1::Programme {
                display_name: "GBA Joint Research".into(),
                local_name: "粤港澳联合研究".into(),
                funder: "Guangdong S&T Department".into(),
                currency_code: "CNY".into(),
                budget: Some(money(10_000_000)),
                max_award: Some(money(1_000_000)),
                eligible_regions: vec![v1::Region::HongKong.into()],
                open_time: Some(prost_types::Timestamp {
                    seconds: now - 3_600,
                    nanos: 0,
                }),
                close_time: Some(prost_types::Timestamp {
                    seconds: now + 86_400,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .programme
        .ok_or("programme")?
        .name;
    let key = v1::access_service_client::AccessServiceClient::new(admin)
        .create_api_key(v1::CreateApiKeyRequest {
            api_key: Some(v1::ApiKey {
                role: v1::api_key::Role::Applicant.into(),
                institution: hku.clone(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .secret;
    let app = v1::application_service_client::ApplicationServiceClient::new(authed(&server.channel, &key)?)
        .create_application(v1::CreateApplicationRequest {
            parent: programme,
            application: Some(v1::Application {
                applicant_institution: hku,
                title: "Typhoon-resilient coastal infrastructure".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .application
        .ok_or("application")?
        .name;
    Ok((key, app))
}

/// The SHA-256 a client declares: computed before its upload starts (as
/// a client does while it reads the file), outside the time measured.
fn checksum(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn upload(client: Authed, parent: &str, bytes: Bytes, sha: String, kind: v1::DocumentKind) -> Res<v1::Document> {
    let first = v1::UploadDocumentRequest {
        part: Some(v1::upload_document_request::Part::Upload(v1::DocumentUpload {
            parent: parent.into(),
            kind: kind.into(),
            file_name: "proposal.pdf".into(),
            media_type: "application/pdf".into(),
            size_bytes: bytes.len() as i64,
            sha256: sha,
            request_id: String::new(),
        })),
    };
    let chunks = (0..bytes.len().div_ceil(CHUNK)).map(move |i| v1::UploadDocumentRequest {
        part: Some(v1::upload_document_request::Part::Chunk(
            bytes.slice(i * CHUNK..((i + 1) * CHUNK).min(bytes.len())),
        )),
    });
    let messages = futures_util::stream::iter(std::iter::once(first).chain(chunks));
    let mut documents = v1::document_service_client::DocumentServiceClient::new(client);
    Ok(documents
        .upload_document(messages)
        .await?
        .into_inner()
        .document
        .ok_or("document")?)
}

async fn download(client: Authed, name: &str) -> Res<usize> {
    let mut documents =
        v1::document_service_client::DocumentServiceClient::new(client).max_decoding_message_size(4 << 20);
    let mut stream = documents
        .download_document(v1::DownloadDocumentRequest {
            name: name.into(),
            offset: 0,
        })
        .await?
        .into_inner();
    let mut hasher = Sha256::new();
    let mut read = 0;
    while let Some(message) = stream.message().await? {
        if let Some(v1::download_document_response::Part::Chunk(chunk)) = message.part {
            read += chunk.len();
            hasher.update(&chunk);
        }
    }
    let _ = hasher.finalize();
    Ok(read)
}

struct Row {
    what: String,
    database: String,
    mib_s: f64,
    ceiling: f64,
    note: String,
}

async fn measure(exe: &str, url: &str, database: &str, sizes: &Sizes, rows: &mut Vec<Row>) -> Res<()> {
    let scratch = tempfile::tempdir()?;
    let store = scratch.path().join("documents");
    // What an earlier database's uploads left dirty in the page cache is
    // written back first, not during this one's measurements.
    let _ = Command::new("sync").status();
    let server = start(exe, url, &store).await?;
    let (key, app) = draft(&server).await?;
    let client = authed(&server.channel, &key)?;
    let (mut up, mut down, mut direct_up, mut direct_down) = (vec![], vec![], vec![], vec![]);
    let mut cached_up = vec![];
    let (mut bare_discard, mut bare_store) = (vec![], vec![]);
    let bare_channel = |addr: String| async move {
        Endpoint::from_shared(format!("http://{addr}"))?
            .max_frame_size(1 << 20)
            .initial_stream_window_size(4 << 20)
            .initial_connection_window_size(16 << 20)
            .connect()
            .await
            .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })
    };
    let (discard_server, discard) = bare::spawn(bare::Work::Discard, &scratch.path().join("bare-discard"))?;
    let (store_server, store_bare) = bare::spawn(bare::Work::Store, &scratch.path().join("bare-store"))?;
    let discard = bare_channel(discard).await?;
    let store_bare = bare_channel(store_bare).await?;
    let discard = authed(&discard, "bare")?;
    let store_bare = authed(&store_bare, "bare")?;
    for round in 0..sizes.rounds {
        let bytes = content(sizes.document, round as u64);
        let _ = Command::new("sync").status();
        let d = direct(&scratch.path().join("direct"), &bytes, round).await?;
        direct_up.push(d.durable_write);
        cached_up.push(d.cached_write);
        direct_down.push(d.read);
        let sha = checksum(&bytes);
        for (bare, speeds) in [(&discard, &mut bare_discard), (&store_bare, &mut bare_store)] {
            let started = Instant::now();
            let stored = upload(bare.clone(), &app, bytes.clone(), sha.clone(), v1::DocumentKind::Other).await?;
            assert_eq!(stored.size_bytes, bytes.len() as i64);
            speeds.push(mib_per_s(bytes.len(), started.elapsed()));
        }
        let _ = Command::new("sync").status();
        let started = Instant::now();
        let document = upload(client.clone(), &app, bytes.clone(), sha, v1::DocumentKind::Other).await?;
        up.push(mib_per_s(bytes.len(), started.elapsed()));
        let started = Instant::now();
        let read = download(client.clone(), &document.name).await?;
        assert_eq!(read, bytes.len());
        down.push(mib_per_s(bytes.len(), started.elapsed()));
    }
    drop((discard_server, store_server));
    let mb = sizes.document / 1_000_000;
    let (up, cached_up) = (median(up), median(cached_up));
    let rounds = sizes.rounds;
    for (what, ours, ceiling, note) in [
        (
            format!("upload {mb} MB"),
            up,
            median(direct_up),
            format!(
                "median of {rounds} rounds; against a direct write without sync (page cache): {cached_up:.0} MiB/s, ratio {:.2}; \
                 bare tonic upload dropping the bytes: {:.0} MiB/s; bare tonic upload hashing, writing and syncing: {:.0} MiB/s",
                up / cached_up.max(1e-9),
                median(bare_discard),
                median(bare_store),
            ),
        ),
        (
            format!("download {mb} MB"),
            median(down),
            median(direct_down),
            format!("median of {rounds} rounds"),
        ),
    ] {
        rows.push(Row {
            what,
            database: database.into(),
            mib_s: ours,
            ceiling,
            note,
        });
    }

    // Memory: many uploads at once, each streamed in 1 MiB chunks.
    let pid = server.child.id();
    let before = proc_mib(pid, "VmRSS:");
    let mut drafts = Vec::new();
    for _ in 0..sizes.concurrent.div_ceil(5) {
        drafts.push(draft_again(&server, &key, &app).await?);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..sizes.concurrent {
        let (client, parent) = (client.clone(), drafts[i / 5].clone());
        let kind = [
            v1::DocumentKind::Proposal,
            v1::DocumentKind::Budget,
            v1::DocumentKind::PartnerLetter,
            v1::DocumentKind::EthicsApproval,
            v1::DocumentKind::Other,
        ][i % 5];
        let bytes = content(sizes.document, 1_000 + i as u64);
        let sha = checksum(&bytes);
        tasks.push(tokio::spawn(
            async move { upload(client, &parent, bytes, sha, kind).await },
        ));
    }
    let mut done = 0;
    for task in tasks {
        if task.await.is_ok_and(|r| r.is_ok()) {
            done += 1;
        }
    }
    let took = started.elapsed();
    let peak = proc_mib(pid, "VmHWM:");
    rows.push(Row {
        what: format!("{} uploads of {mb} MB at once", sizes.concurrent),
        database: database.into(),
        mib_s: mib_per_s(sizes.document * sizes.concurrent, took),
        ceiling: 0.0,
        note: format!(
            "{done} stored; RSS {before:.0} MiB before, peak {peak:.0} MiB: {:+.0} MiB",
            peak - before
        ),
    });
    Ok(())
}

/// Another draft of the same applicant (five kinds per draft).
async fn draft_again(server: &Server, key: &str, like: &str) -> Res<String> {
    let mut apps = v1::application_service_client::ApplicationServiceClient::new(authed(&server.channel, key)?);
    let current = apps
        .get_application(v1::GetApplicationRequest { name: like.into() })
        .await?
        .into_inner()
        .application
        .ok_or("application")?;
    let parent = like.split("/applications/").next().unwrap_or_default().to_owned();
    Ok(apps
        .create_application(v1::CreateApplicationRequest {
            parent,
            application: Some(v1::Application {
                applicant_institution: current.applicant_institution,
                title: current.title,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .application
        .ok_or("application")?
        .name)
}

/// A new database on the local PostgreSQL: the admin URL, its name, its URL.
async fn postgres_url() -> Option<(String, String, String)> {
    let admin = std::env::var("GBA_GRANTS_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    use sea_orm::ConnectionTrait;
    let conn = sea_orm::Database::connect(&admin).await.ok()?;
    let name = format!("gba_bench_docs_{}", uuid::Uuid::now_v7().simple());
    conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.ok()?;
    let _ = conn.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
    let url = format!("{base}/{name}");
    Some((admin, name, url))
}

fn main() -> Res<()> {
    if let Some(served) = bare::serve_if_asked() {
        return served;
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> Res<()> {
    let quick = std::env::args().any(|a| a == "quick");
    let sizes = match quick {
        true => Sizes {
            document: 10_000_000,
            concurrent: 5,
            rounds: 1,
        },
        false => Sizes {
            document: 100_000_000,
            concurrent: 50,
            rounds: 3,
        },
    };
    let exe = std::env::var("GBA_GRANTS_BIN").unwrap_or_else(|_| "target/release/gba-grants".into());
    let mut rows = Vec::new();
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    measure(&exe, &sqlite, "SQLite", &sizes, &mut rows).await?;
    match postgres_url().await {
        Some((admin, name, url)) => {
            let measured = measure(&exe, &url, "PostgreSQL", &sizes, &mut rows).await;
            use sea_orm::ConnectionTrait;
            if let Ok(conn) = sea_orm::Database::connect(&admin).await {
                let _ = conn
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
            measured?;
        }
        None => eprintln!("no PostgreSQL answers: its rows are skipped"),
    }
    println!("| transfer | database | MiB/s | object store directly, MiB/s | ratio | notes |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        let (ceiling, ratio) = match r.ceiling > 0.0 {
            true => (format!("{:.0}", r.ceiling), format!("{:.2}", r.mib_s / r.ceiling)),
            false => (String::new(), String::new()),
        };
        println!(
            "| {} | {} | {:.0} | {ceiling} | {ratio} | {} |",
            r.what, r.database, r.mib_s, r.note
        );
    }
    Ok(())
}
