//! kill -9 of the `gba-grants` process (the built binary) under 64
//! concurrent writers, half of them with request ids, on every backend.
//! After a restart on the same database: every acknowledged create and
//! submission reads back as answered, with its events; and retrying
//! every call that got no answer with its request id applies it exactly
//! once (no application is created twice).

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::process::Process;
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use tokio::time::timeout;

on_every_backend!(kill_nine_under_load_loses_no_acknowledged_write);

const WRITERS: usize = 64;

/// What one writer was told.
#[derive(Default)]
struct Told {
    /// Titles whose create was acknowledged, with the name answered.
    created: Vec<(String, String)>,
    /// Names whose submission was acknowledged, with the etag answered.
    submitted: Vec<(String, String)>,
    /// Calls without an answer that carried a request id: to retry.
    unanswered_creates: Vec<(String, String)>,
    unanswered_submits: Vec<(String, String)>,
}

async fn create(
    server: &TestServer,
    key: &str,
    w: &World,
    title: &str,
    request_id: &str,
) -> Result<v1::Application, tonic::Status> {
    let mut request = tonic::Request::new(v1::CreateApplicationRequest {
        parent: w.programme.name.clone(),
        application: Some(v1::Application {
            title: title.into(),
            ..application(&w.hku, &[&w.sysu], 1_000)
        }),
        request_id: request_id.into(),
    });
    request.set_timeout(Duration::from_secs(20));
    Ok(server
        .apps(key)
        .create_application(request)
        .await?
        .into_inner()
        .application
        .unwrap_or_default())
}

async fn submit_with(
    server: &TestServer,
    key: &str,
    name: &str,
    request_id: &str,
) -> Result<v1::Application, tonic::Status> {
    let mut request = tonic::Request::new(v1::SubmitApplicationRequest {
        name: name.into(),
        etag: String::new(),
        request_id: request_id.into(),
    });
    request.set_timeout(Duration::from_secs(20));
    Ok(server
        .apps(key)
        .submit_application(request)
        .await?
        .into_inner()
        .application
        .unwrap_or_default())
}

async fn kill_nine_under_load_loses_no_acknowledged_write(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut first = Process::start(&db.url);
    let channel = first.serving().await;
    let admin = first
        .stdout
        .recv_timeout(Duration::from_secs(5))
        .expect("the bootstrap key");
    let server = Arc::new(TestServer::remote(channel, &admin));
    let w = Arc::new(server.world().await);

    // 64 writers, odd ones with request ids, each creating and submitting
    // until the process dies under them.
    let running = Arc::new(AtomicBool::new(true));
    let writers: Vec<_> = (0..WRITERS)
        .map(|n| {
            let (server, w, running) = (server.clone(), w.clone(), running.clone());
            tokio::spawn(async move {
                let mut told = Told::default();
                let ids = n % 2 == 1;
                let mut i = 0;
                while running.load(Ordering::Relaxed) {
                    i += 1;
                    let title = format!("kill9 writer {n} call {i}");
                    let rid = |what: &str| if ids { format!("{what}-{n}-{i}") } else { String::new() };
                    let name = match create(&server, &w.hku_key, &w, &title, &rid("create")).await {
                        Ok(a) => {
                            told.created.push((title.clone(), a.name.clone()));
                            a.name
                        }
                        Err(_) => {
                            if ids {
                                told.unanswered_creates.push((title, rid("create")));
                            }
                            break;
                        }
                    };
                    match submit_with(&server, &w.hku_key, &name, &rid("submit")).await {
                        Ok(a) => told.submitted.push((name, a.etag)),
                        Err(_) => {
                            if ids {
                                told.unanswered_submits.push((name, rid("submit")));
                            }
                            break;
                        }
                    }
                }
                told
            })
        })
        .collect();
    // Under load for a while, then kill -9.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    first.kill_nine();
    running.store(false, Ordering::Relaxed);
    let mut told = Vec::new();
    for writer in writers {
        told.push(
            timeout(Duration::from_secs(30), writer)
                .await
                .expect("a writer ends")
                .expect("writer"),
        );
    }
    let created: Vec<(String, String)> = told.iter().flat_map(|t| t.created.clone()).collect();
    let submitted: Vec<(String, String)> = told.iter().flat_map(|t| t.submitted.clone()).collect();
    assert!(
        created.len() > WRITERS,
        "the load ran ({} creates acknowledged)",
        created.len()
    );

    // Restart on the same database.
    let mut second = Process::start(&db.url);
    let channel = second.serving().await;
    let server = TestServer::remote(channel, &admin);
    let mut lost = 0;
    for (title, name) in &created {
        match get(&server, &w.hku_key, name).await {
            Ok(a) => assert_eq!(&a.title, title),
            Err(status) => {
                eprintln!("lost create {name}: {status:?}");
                lost += 1;
            }
        }
    }
    for (name, etag) in &submitted {
        let a = get(&server, &w.hku_key, name).await.expect("read back");
        if a.state != State::Submitted as i32 || &a.etag != etag {
            eprintln!("lost submission of {name}: now {:?} etag {}", a.state, a.etag);
            lost += 1;
        }
        let states: Vec<i32> = events(&server, &w.hku_key, name)
            .await
            .iter()
            .map(|e| e.new_state)
            .collect();
        assert_eq!(
            states,
            [State::Draft as i32, State::Submitted as i32],
            "{name}: its history"
        );
    }
    assert_eq!(lost, 0, "acknowledged writes lost");

    // Retries of the unanswered calls with request ids apply them once.
    let unanswered_creates: Vec<_> = told.iter().flat_map(|t| t.unanswered_creates.clone()).collect();
    let unanswered_submits: Vec<_> = told.iter().flat_map(|t| t.unanswered_submits.clone()).collect();
    for (title, rid) in &unanswered_creates {
        let a = create(&server, &w.hku_key, &w, title, rid)
            .await
            .expect("retried create");
        assert_eq!(&a.title, title);
    }
    for (name, rid) in &unanswered_submits {
        let a = submit_with(&server, &w.hku_key, name, rid)
            .await
            .expect("retried submission");
        assert_eq!(a.state, State::Submitted as i32);
        let submissions = events(&server, &w.hku_key, name)
            .await
            .iter()
            .filter(|e| e.new_state == State::Submitted as i32)
            .count();
        assert_eq!(submissions, 1, "{name}: submitted once");
    }
    // No title was created twice.
    let mut titles: HashMap<String, usize> = HashMap::new();
    let mut token = String::new();
    loop {
        let page = server
            .apps(&admin)
            .list_applications(v1::ListApplicationsRequest {
                parent: w.programme.name.clone(),
                page_size: 1_000,
                page_token: token,
                filter: String::new(),
            })
            .await
            .expect("list")
            .into_inner();
        for a in page.applications {
            *titles.entry(a.title).or_default() += 1;
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let twice: HashSet<&String> = titles.iter().filter(|(_, n)| **n > 1).map(|(t, _)| t).collect();
    assert!(twice.is_empty(), "created twice: {twice:?}");
    for (title, _) in created.iter().chain(unanswered_creates.iter()) {
        assert_eq!(titles.get(title), Some(&1), "{title}");
    }
    eprintln!(
        "kill -9 ({backend:?}): {} creates and {} submissions acknowledged, 0 lost; {} creates and {} submissions \
         without an answer retried by request id, each applied once",
        created.len(),
        submitted.len(),
        unanswered_creates.len(),
        unanswered_submits.len()
    );
}
