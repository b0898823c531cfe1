//! Two replicas on one database, on every backend: what one commits,
//! watchers on the other see, all of it, in order, within a second; and
//! a change on one replica is decided on what the other committed, never
//! on what the first last saw, and a read, however many run at once,
//! returns what the other committed before it was asked.
//! PostgreSQL wakes the other replica by LISTEN/NOTIFY (its polling is set
//! to 30 s here, so only a notification can be that fast); SQLite replicas
//! poll.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::watching::*;
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use gba_grants::proto::v1::watch_application_events_response::Kind;
use tokio::time::timeout;
use tonic::Code;

on_every_backend!(
    watchers_on_one_replica_see_commits_of_the_other,
    changes_on_one_replica_decide_on_what_the_other_committed,
    reads_on_one_replica_see_what_the_other_committed_before_they_were_asked,
);

fn micros(t: &prost_types::Timestamp) -> i64 {
    t.seconds * 1_000_000 + i64::from(t.nanos / 1_000)
}

async fn watchers_on_one_replica_see_commits_of_the_other(backend: Backend) {
    let db = TestDb::new(backend).await;
    let shared = db.share();
    let poll = if backend == Backend::Postgres {
        Duration::from_secs(30)
    } else {
        Duration::from_millis(200)
    };
    let a = Arc::new(TestServer::start_with(db, |s| s.hub.poll_interval = poll).await);
    let w = Arc::new(a.world().await);
    let b = TestServer::start_with(shared, |s| s.hub.poll_interval = poll).await;
    assert!(b.admin_key.is_empty(), "the second replica found the first one's keys");

    let mut watchers = Vec::new();
    for _ in 0..3 {
        let mut client = b.watch(&a.admin_key);
        watchers.push(open(&mut client, filter_all("")).await.expect("watch on B").0);
    }
    // Writes through A, one at a time, so each commit time is known.
    let mut expected = Vec::new();
    for _ in 0..20 {
        let app = w.draft(&a, 1_000).await;
        submit(&a, &w.hku_key, &app.name).await.unwrap();
        expected.push(app.name.clone());
        expected.push(app.name);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for mut stream in watchers {
        let mut got = Vec::new();
        let mut last = 0;
        while got.len() < expected.len() {
            match timeout(Duration::from_secs(5), next(&mut stream))
                .await
                .expect("B delivers")
            {
                Ok(Some(Kind::Event(e))) => {
                    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros()).unwrap();
                    let lag = now - micros(e.event_time.as_ref().unwrap());
                    assert!(lag < 1_000_000, "seen {lag} µs after commit");
                    let s = seq(&e.cursor);
                    assert!(s > last, "in order");
                    last = s;
                    got.push(e.application);
                }
                Ok(Some(Kind::Progress(_))) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(got, expected);
    }
    b.stop().await;
}

async fn changes_on_one_replica_decide_on_what_the_other_committed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let shared = db.share();
    let a = TestServer::start_on(db).await;
    let w = a.world().await;
    let b = TestServer::start_on(shared).await;
    let (hku, officer) = (&w.hku_key, &w.officer_key);

    // A saw it submitted; B withdrew it. A refuses a review, naming the
    // state B left, and writes nothing.
    let first = w.submitted(&a, 1_000).await;
    withdraw(&b, hku, &first.name).await.expect("withdraw on B");
    let refused = start_review(&a, officer, &first.name).await.expect_err("refused on A");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "INVALID_STATE");
    assert!(refused.message().contains("WITHDRAWN"), "{}", refused.message());
    assert_eq!(events(&a, officer, &first.name).await.len(), 3);

    // A saw it submitted; B started the review. A's rejection follows
    // B's change in the history.
    let second = w.submitted(&a, 1_000).await;
    start_review(&b, officer, &second.name).await.expect("review on B");
    reject(&a, officer, &second.name, "out of scope")
        .await
        .expect("reject on A");
    let history = events(&b, officer, &second.name).await;
    let states: Vec<i32> = history.iter().map(|e| e.new_state).collect();
    assert_eq!(
        states,
        [State::Draft, State::Submitted, State::UnderReview, State::Rejected].map(state)
    );
    for pair in history.windows(2) {
        assert_eq!(pair[1].previous_state, pair[0].new_state);
    }

    // A saw a draft; B submitted it. A's review, which the draft would
    // refuse, is taken.
    let third = w.draft(&a, 1_000).await;
    submit(&b, hku, &third.name).await.expect("submit on B");
    let reviewed = start_review(&a, officer, &third.name).await.expect("review on A");
    assert_eq!(reviewed.state, state(State::UnderReview));

    // B lowered the programme's max_award below a draft's request: A,
    // which saw the old programme, refuses to submit the draft.
    let fourth = w.draft(&a, 500_000).await;
    let mut programmes = b.programmes(&a.admin_key);
    let mut programme = programmes
        .get_programme(v1::GetProgrammeRequest {
            name: w.programme.name.clone(),
        })
        .await
        .expect("get programme")
        .into_inner()
        .programme
        .expect("programme");
    programme.max_award = Some(money("CNY", 100_000, 0));
    programmes
        .update_programme(v1::UpdateProgrammeRequest {
            programme: Some(programme),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["max_award".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect("update on B");
    let refused = submit(&a, hku, &fourth.name).await.expect_err("refused on A");
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::InvalidArgument, "INVALID_FIELD"),
        "{refused:?}"
    );
    assert_eq!(bad_fields(&refused), ["application.requested_amount"]);
    assert!(refused.message().contains("max_award"), "{}", refused.message());
    let current = get(&b, hku, &fourth.name).await.expect("get");
    assert_eq!(current.state, state(State::Draft));
    b.stop().await;
}

async fn reads_on_one_replica_see_what_the_other_committed_before_they_were_asked(backend: Backend) {
    let db = TestDb::new(backend).await;
    let shared = db.share();
    let a = TestServer::start_on(db).await;
    let w = a.world().await;
    let b = TestServer::start_on(shared).await;
    let hku = &w.hku_key;
    let mut drafts = Vec::new();
    for _ in 0..6 {
        drafts.push(w.draft(&a, 1_000).await);
    }
    let mut programme = w.programme.clone();
    let elsewhere = |name: &str| name.replacen(&w.programme.name, "programmes/elsewhere", 1);
    // Reads on A all along, so that B's writes land while reads of A are
    // under way: a read asked after a write must not join them.
    let busy = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let background: Vec<_> = (0..8)
        .map(|k| {
            let (mut apps, busy) = (a.apps(hku), busy.clone());
            let name = drafts[k % drafts.len()].name.clone();
            tokio::spawn(async move {
                let mut reads = 0_u32;
                while busy.load(std::sync::atomic::Ordering::Relaxed) {
                    let read = apps.get_application(v1::GetApplicationRequest { name: name.clone() });
                    assert_eq!(
                        read.await
                            .expect("background read")
                            .into_inner()
                            .application
                            .map(|x| x.name),
                        Some(name.clone())
                    );
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for round in 0..24 {
        // B retitles one draft, and renames the programme every fourth
        // round; then A answers many reads of every draft at once.
        let i = round % drafts.len();
        let mut edit = drafts[i].clone();
        edit.title = format!("Retitled in round {round}");
        drafts[i] = b
            .apps(hku)
            .update_application(v1::UpdateApplicationRequest {
                application: Some(edit),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["title".into()],
                }),
                request_id: String::new(),
            })
            .await
            .expect("retitle on B")
            .into_inner()
            .application
            .expect("application");
        let programme_name = format!("Programme, round {}", round / 4);
        if round % 4 == 0 {
            programme.display_name = programme_name.clone();
            programme = b
                .programmes(&a.admin_key)
                .update_programme(v1::UpdateProgrammeRequest {
                    programme: Some(programme),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["display_name".into()],
                    }),
                    request_id: String::new(),
                })
                .await
                .expect("rename on B")
                .into_inner()
                .programme
                .expect("programme");
        }
        let a = &a;
        let reads = (0..24).map(|k| {
            let name = drafts[k % drafts.len()].name.clone();
            async move { (k, get(a, hku, &name).await) }
        });
        let programme_reads = (0..8).map(|_| async {
            a.programmes(hku)
                .get_programme(v1::GetProgrammeRequest {
                    name: w.programme.name.clone(),
                })
                .await
                .map(|r| r.into_inner().programme.unwrap_or_default())
        });
        let misplaced_name = elsewhere(&drafts[i].name);
        let misplaced = get(a, &a.admin_key, &misplaced_name);
        let (reads, programme_reads, misplaced) = tokio::join!(
            futures_util::future::join_all(reads),
            futures_util::future::join_all(programme_reads),
            misplaced
        );
        for (k, read) in reads {
            let expected = &drafts[k % drafts.len()];
            let got = read.expect("read on A");
            assert_eq!(
                (&got.name, &got.title, &got.etag),
                (&expected.name, &expected.title, &expected.etag),
                "round {round}"
            );
        }
        for read in programme_reads {
            assert_eq!(
                read.expect("programme on A").display_name,
                programme_name,
                "round {round}"
            );
        }
        // An application named under a programme it is not in is not
        // found, however it was read.
        assert_eq!(misplaced.expect_err("misplaced name").code(), Code::NotFound);
    }
    busy.store(false, std::sync::atomic::Ordering::Relaxed);
    for reads in futures_util::future::join_all(background).await {
        assert!(reads.expect("background reader") > 0);
    }
    b.stop().await;
}
