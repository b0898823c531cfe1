//! The `gba-grants` binary and start-up: offline key issue, the bootstrap
//! key, SIGTERM, and replicas starting together — on every backend.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use gba_grants::proto::v1;
use gba_grants::startup::{Application, Settings};

on_every_backend!(
    keys_create_prints_only_the_key_and_the_server_accepts_it,
    serve_prints_the_bootstrap_key_once_and_exits_on_sigterm,
    replicas_starting_together_migrate_once_and_bootstrap_one_admin,
    health_is_not_serving_until_migrations_are_done,
    keys_create_refuses_a_missing_or_unmigrated_database,
    start_up_creates_a_missing_database_and_fails_at_once_on_what_cannot_heal,
);

/// A server still waiting for its database stops at once on SIGTERM.
#[test]
fn sigterm_while_waiting_for_the_database_stops_at_once() {
    // Nothing listens on this port: the start-up keeps retrying.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = binary()
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url"])
        .arg(format!("postgres://postgres@127.0.0.1:{closed}/grants"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start gba-grants");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    for line in stderr.by_ref() {
        if line
            .expect("stderr line")
            .contains("cannot connect to the database yet")
        {
            break;
        }
    }
    let drain = std::thread::spawn(move || stderr.count());
    let signalled = std::time::Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = child.wait().expect("wait");
    drain.join().expect("stderr drained");
    assert!(status.success(), "a clean stop: {status:?}");
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "stopped within 3 s, took {:?}",
        signalled.elapsed()
    );
}

async fn health_is_not_serving_until_migrations_are_done(backend: Backend) {
    use sea_orm::{ConnectionTrait, Database, TransactionTrait};
    use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

    let db = TestDb::new(backend).await;
    // Hold what migrations need: the PostgreSQL migration lock, or the
    // SQLite write lock.
    // One connection, so the lock is released on the connection that took it.
    let url = format!(
        "{}{}",
        db.url,
        if backend == Backend::Sqlite { "?mode=rwc" } else { "" }
    );
    let mut options = sea_orm::ConnectOptions::new(url);
    options.max_connections(1).min_connections(1);
    let blocker = Database::connect(options).await.expect("connect");
    let sqlite_txn = match backend {
        Backend::Postgres => {
            let lock = format!("SELECT pg_advisory_lock({})", gba_grants::store::MIGRATION_LOCK);
            blocker
                .execute_unprepared(&lock)
                .await
                .expect("take the migration lock");
            None
        }
        Backend::Sqlite => {
            let options = sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            };
            blocker
                .execute_unprepared("PRAGMA journal_mode=WAL")
                .await
                .expect("wal");
            Some(blocker.begin_with_options(options).await.expect("take the write lock"))
        }
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = Settings::new(format!("127.0.0.1:{port}"), db.url.clone());
    let starting = tokio::spawn(Application::build(settings));

    // The server listens before it migrates; give up after 30 s.
    let channel = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
                .unwrap()
                .connect()
                .await
            {
                Ok(channel) => return channel,
                Err(_) => {
                    assert!(!starting.is_finished(), "start-up ended before it listened");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    })
    .await
    .expect("the starting server listens within 30 s while migrations wait");
    let mut health = HealthClient::new(channel.clone());
    let status = health
        .check(HealthCheckRequest { service: String::new() })
        .await
        .expect("health answers")
        .into_inner();
    assert_eq!(
        status.status,
        ServingStatus::NotServing as i32,
        "not serving while migrations wait"
    );
    let early = ProgrammeServiceClient::new(channel.clone())
        .list_programmes(v1::ListProgrammesRequest::default())
        .await;
    assert_eq!(early.expect_err("not ready").code(), tonic::Code::Unavailable);
    assert!(!starting.is_finished());

    match sqlite_txn {
        Some(txn) => txn.rollback().await.expect("release"),
        None => {
            let unlock = format!("SELECT pg_advisory_unlock({})", gba_grants::store::MIGRATION_LOCK);
            blocker.execute_unprepared(&unlock).await.expect("release");
        }
    }
    let app = tokio::time::timeout(Duration::from_secs(30), starting)
        .await
        .expect("starts")
        .unwrap()
        .expect("builds");
    let status = health
        .check(HealthCheckRequest { service: String::new() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.status, ServingStatus::Serving as i32);
    let admin = app.bootstrap_secret().expect("bootstrap key").to_owned();
    let mut client = ProgrammeServiceClient::with_interceptor(channel, Bearer::new(&admin));
    client
        .list_programmes(v1::ListProgrammesRequest::default())
        .await
        .expect("serves once migrated");
    blocker.close().await.ok();
    drop(app);
}

/// The binary, its documents kept out of the working tree.
fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gba-grants"));
    command.env("GBA_GRANTS_DOCUMENT_STORE", documents_for("tests/process.rs"));
    command
}

fn keys_create(url: &str) -> std::process::Output {
    binary()
        .args(["keys", "create", "--role", "admin", "--database-url", url])
        .output()
        .expect("run gba-grants keys create")
}

async fn keys_create_prints_only_the_key_and_the_server_accepts_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    // A server sets the database up first.
    TestServer::start_on(db.share()).await.stop().await;
    let url = db.url.clone();
    let output = tokio::task::spawn_blocking(move || keys_create(&url)).await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let key = stdout.trim_end_matches('\n');
    assert!(
        key.starts_with("gbk_") && !key.contains(char::is_whitespace),
        "stdout is the key alone: {stdout:?}"
    );

    let url = db.url.clone();
    let refused = tokio::task::spawn_blocking(move || {
        binary()
            .args(["keys", "create", "--role", "applicant", "--database-url", &url])
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(!refused.status.success());
    assert!(refused.stdout.is_empty());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("api_key.institution"));
    // A reviewer needs its affiliation too (the conflict-of-interest rule).
    let url = db.url.clone();
    let reviewer = tokio::task::spawn_blocking(move || {
        binary()
            .args([
                "keys",
                "create",
                "--role",
                "reviewer",
                "--programme",
                "programmes/p1",
                "--database-url",
                &url,
            ])
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(!reviewer.status.success());
    assert!(String::from_utf8_lossy(&reviewer.stderr).contains("api_key.institution"));

    let server = TestServer::start_on(db).await;
    assert!(server.admin_key.is_empty(), "keys exist, so no bootstrap key");
    let listed = server
        .programmes(key)
        .list_programmes(v1::ListProgrammesRequest::default())
        .await;
    assert!(
        listed
            .expect("the offline key lists programmes")
            .into_inner()
            .programmes
            .is_empty()
    );
    server.stop().await;
}

async fn keys_create_refuses_a_missing_or_unmigrated_database(backend: Backend) {
    let db = TestDb::new(backend).await;
    let missing = match backend {
        Backend::Sqlite => db.url.replace("grants.db", "elsewhere.db"),
        Backend::Postgres => format!("{}_missing", db.url),
    };
    for url in [missing.clone(), db.url.clone()] {
        let out = tokio::task::spawn_blocking({
            let url = url.clone();
            move || keys_create(&url)
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{url}: refused");
        assert!(out.stdout.is_empty(), "no key printed");
        assert!(stderr.contains(&url), "names the URL it tried: {stderr}");
    }
    if backend == Backend::Sqlite {
        let path = missing.trim_start_matches("sqlite://");
        assert!(!std::path::Path::new(path).exists(), "no empty database was made");
    }
}

async fn start_up_creates_a_missing_database_and_fails_at_once_on_what_cannot_heal(backend: Backend) {
    let quick = |url: String| async move {
        let started = std::time::Instant::now();
        let result = Application::build(Settings::new("127.0.0.1:0", url)).await;
        (result.err().map(|e| e.to_string()), started.elapsed())
    };
    match backend {
        Backend::Postgres => {
            // A database that does not exist yet is created.
            let db = TestDb::new(backend).await;
            let fresh = format!("{}_created", db.url);
            let server = TestServer::start_on(TestDb::at(&fresh)).await;
            assert!(!server.admin_key.is_empty(), "a new, empty database");
            server.stop().await;
            let admin = sea_orm::Database::connect(postgres_url()).await.unwrap();
            let name = fresh.rsplit('/').next().unwrap().to_owned();
            sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("DROP DATABASE {name} WITH (FORCE)"))
                .await
                .unwrap();
            // An unknown role cannot heal by waiting: the server's own words, at once.
            let base = db.url.rsplit_once('/').unwrap().0.replace("postgres@", "nosuchrole@");
            let (err, took) = quick(format!("{base}/postgres")).await;
            let err = err.expect("refused");
            assert!(err.contains("nosuchrole"), "{err}");
            assert!(took < Duration::from_secs(3), "{took:?}");
        }
        Backend::Sqlite => {
            let (err, took) = quick("sqlite:///proc/no-such-dir/grants.db".into()).await;
            let err = err.expect("refused");
            assert!(err.contains("/proc/no-such-dir/grants.db"), "{err}");
            assert!(took < Duration::from_secs(3), "{took:?}");
        }
    }
    let (err, took) = quick("postgres://[::1".into()).await;
    assert!(err.is_some());
    assert!(took < Duration::from_secs(3), "{took:?}");
}

async fn serve_prints_the_bootstrap_key_once_and_exits_on_sigterm(backend: Backend) {
    let db = TestDb::new(backend).await;
    for first in [true, false] {
        let url = db.url.clone();
        let (stdout, status) = tokio::task::spawn_blocking(move || {
            let mut child = binary()
                .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
                .env("RUST_LOG", "info")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start gba-grants");
            // Wait until it serves: its log says so on stderr.
            let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
            for line in stderr.by_ref() {
                if line.expect("stderr line").contains("serving gRPC") {
                    break;
                }
            }
            // Keep draining its log so the child never writes to a closed pipe.
            let drain = std::thread::spawn(move || stderr.count());
            let kill = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .expect("kill");
            assert!(kill.success());
            let output = child.wait_with_output().expect("wait");
            drain.join().expect("stderr drained");
            (String::from_utf8(output.stdout).unwrap(), output.status)
        })
        .await
        .unwrap();
        assert!(status.success(), "exits cleanly on SIGTERM: {status:?}");
        if first {
            assert!(
                stdout.trim().starts_with("gbk_"),
                "first start prints the key: {stdout:?}"
            );
            assert_eq!(stdout.lines().count(), 1);
        } else {
            assert_eq!(stdout, "", "a second start prints no key");
        }
    }
}

async fn replicas_starting_together_migrate_once_and_bootstrap_one_admin(backend: Backend) {
    let db = TestDb::new(backend).await;
    let settings = Settings::new("127.0.0.1:0", db.url.clone());
    let (a, b, c) = tokio::join!(
        Application::build(settings.clone()),
        Application::build(settings.clone()),
        Application::build(settings)
    );
    let apps = [
        a.expect("replica a starts"),
        b.expect("replica b starts"),
        c.expect("replica c starts"),
    ];
    let keys: Vec<&str> = apps.iter().filter_map(|a| a.bootstrap_secret()).collect();
    assert_eq!(keys.len(), 1, "exactly one replica bootstraps the admin key");
    let admin = keys[0].to_owned();
    let mut handles = Vec::new();
    let mut addrs = Vec::new();
    let stop = tokio_util::sync::CancellationToken::new();
    for app in apps {
        addrs.push(app.local_addr());
        let s = stop.clone();
        handles.push(tokio::spawn(app.run_until(async move { s.cancelled().await })));
    }
    for addr in addrs {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut client = ProgrammeServiceClient::with_interceptor(channel, Bearer::new(&admin));
        client
            .list_programmes(v1::ListProgrammesRequest::default())
            .await
            .expect("every replica serves");
    }
    stop.cancel();
    for h in handles {
        tokio::time::timeout(Duration::from_secs(10), h)
            .await
            .expect("stops")
            .unwrap()
            .unwrap();
    }
}
