//! Facility-access programmes, on every backend: a CSNS beam-time cycle in
//! 0.5-hour steps, proposals from HKU, CityU and the University of Macau,
//! approvals racing for the last half hour (exactly as many succeed as
//! fit), usage recorded against the allocations, closing releasing the
//! unused rest, and the summary and the event stream agreeing to the step;
//! then every refusal (money on a facility programme, a foreign unit,
//! usage beyond the allocation, a reused usage reference), each with its
//! code, reason and field, and nothing changed.

mod common;

use std::collections::HashMap;

use common::watching::*;
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use gba_grants::proto::v1::application::State;
use gba_grants::proto::v1::watch_application_events_response::Kind;
use tonic::Code;

on_every_backend!(
    beam_time_is_allocated_to_the_last_half_hour_used_and_released,
    money_and_resources_never_mix,
);

fn beam(steps: i64) -> v1::ResourceAmount {
    v1::ResourceAmount {
        unit: "beam-h".into(),
        steps,
        value: String::new(),
    }
}

/// The CSNS cycle: `capacity` half-hour steps of beam time.
fn csns_cycle(capacity: i64) -> v1::Programme {
    let now = now_seconds();
    v1::Programme {
        display_name: "CSNS 2027 Spring Cycle, Hong Kong and Macao users".into(),
        local_name: "中国散裂中子源 2027 年春季用户课题".into(),
        funder: "Institute of High Energy Physics, CAS".into(),
        eligible_regions: vec![v1::Region::HongKong.into(), v1::Region::Macao.into()],
        open_time: Some(ts(now - 3_600)),
        close_time: Some(ts(now + 30 * 86_400)),
        facility: Some(v1::Facility {
            facility: "China Spallation Neutron Source".into(),
            local_name: "中国散裂中子源".into(),
            resource: "Beam time, general purpose powder diffractometer (GPPD)".into(),
            unit: "beam-h".into(),
            capacity: Some(beam(capacity)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn proposal(applicant: &str, steps: i64, n: usize) -> v1::Application {
    let now = now_seconds();
    v1::Application {
        applicant_institution: applicant.into(),
        title: format!("Lithium-ion conduction in garnet electrolytes, run {n}"),
        r#abstract: "Neutron powder diffraction of doped LLZO between 300 K and 900 K.".into(),
        principal_investigator: Some(v1::Investigator {
            name: "Prof. Leung Ka Wai".into(),
            email: "kwleung@example.edu.hk".into(),
            orcid: "0000-0002-1825-0097".into(),
        }),
        requested_resource: Some(beam(steps)),
        duration_months: 6,
        preferred_periods: vec![v1::Period {
            start_time: Some(ts(now + 40 * 86_400)),
            end_time: Some(ts(now + 43 * 86_400)),
        }],
        ..Default::default()
    }
}

async fn propose(server: &TestServer, key: &str, programme: &str, p: v1::Application) -> v1::Application {
    let draft = server
        .apps(key)
        .create_application(v1::CreateApplicationRequest {
            parent: programme.into(),
            application: Some(p),
            request_id: String::new(),
        })
        .await
        .expect("create the proposal")
        .into_inner()
        .application
        .expect("application");
    submit(server, key, &draft.name).await.expect("submit the proposal")
}

async fn allocate(server: &TestServer, key: &str, name: &str, steps: i64) -> Result<v1::Application, tonic::Status> {
    Ok(server
        .reviews(key)
        .approve_application(v1::ApproveApplicationRequest {
            name: name.into(),
            awarded_resource: Some(beam(steps)),
            reason: "Scheduled in the spring cycle".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .application
        .unwrap_or_default())
}

fn usage(steps: i64, reference: &str) -> v1::UsageRecord {
    let now = now_seconds();
    v1::UsageRecord {
        amount: Some(beam(steps)),
        period: Some(v1::Period {
            start_time: Some(ts(now - 2 * 86_400)),
            end_time: Some(ts(now - 86_400)),
        }),
        reference: reference.into(),
        ..Default::default()
    }
}

async fn record(
    server: &TestServer,
    key: &str,
    parent: &str,
    usage: v1::UsageRecord,
    request_id: &str,
) -> Result<v1::RecordUsageResponse, tonic::Status> {
    Ok(server
        .awards(key)
        .record_usage(v1::RecordUsageRequest {
            parent: parent.into(),
            usage_record: Some(usage),
            request_id: request_id.into(),
        })
        .await?
        .into_inner())
}

async fn summary(server: &TestServer, key: &str, programme: &str) -> v1::ProgrammeSummary {
    let mut stream = server
        .watch(key)
        .watch_programme_summary(v1::WatchProgrammeSummaryRequest {
            programmes: vec![programme.into()],
        })
        .await
        .expect("watch the summary")
        .into_inner();
    stream
        .message()
        .await
        .expect("a summary")
        .and_then(|m| m.summary)
        .expect("summary")
}

fn steps(amount: &Option<v1::ResourceAmount>) -> i64 {
    amount.as_ref().map_or(0, |a| {
        assert_eq!(a.unit, "beam-h", "every amount is in the programme's unit");
        a.steps
    })
}

async fn beam_time_is_allocated_to_the_last_half_hour_used_and_released(backend: Backend) {
    let server = TestServer::start(backend).await;
    let hku = server
        .register("The University of Hong Kong", "香港大學", v1::Region::HongKong)
        .await;
    let cityu = server
        .register("City University of Hong Kong", "香港城市大學", v1::Region::HongKong)
        .await;
    let um = server
        .register("University of Macau", "澳門大學", v1::Region::Macao)
        .await;
    // 100.5 beam hours: eight proposals of 12.5 hours fit, with half an
    // hour to spare.
    let cycle = server.open_programme(csns_cycle(201)).await;
    let facility = cycle.facility.clone().expect("the facility is returned");
    assert_eq!(facility.step, "0.5");
    assert_eq!(facility.capacity.as_ref().map(|c| c.value.as_str()), Some("100.5"));
    assert_eq!(steps(&facility.allocated), 0);
    assert!(
        cycle.budget.is_none() && cycle.currency_code.is_empty(),
        "no money on a facility programme"
    );

    let officer = server.key(Role::Officer, "", &[&cycle.name]).await;
    let viewer = server.key(Role::Viewer, "", &[&cycle.name]).await;
    let keys = [
        server.key(Role::Applicant, &hku, &[]).await,
        server.key(Role::Applicant, &cityu, &[]).await,
        server.key(Role::Applicant, &um, &[]).await,
    ];
    let institutions = [&hku, &cityu, &um];
    let mut watch = server.watch(&viewer);
    let (mut stream, _) = open(
        &mut watch,
        v1::WatchApplicationEventsRequest {
            programme: cycle.name.clone(),
            ..Default::default()
        },
    )
    .await
    .expect("watch the cycle");

    // Sixteen proposals of 12.5 hours, racing for 100.5 hours.
    let mut proposals = Vec::new();
    for n in 0..16 {
        let i = n % 3;
        let p = propose(&server, &keys[i], &cycle.name, proposal(institutions[i], 25, n)).await;
        assert_eq!(steps(&p.requested_resource), 25);
        assert_eq!(p.requested_resource.as_ref().map(|r| r.value.as_str()), Some("12.5"));
        assert!(p.requested_amount.is_none());
        assert_eq!(p.preferred_periods.len(), 1);
        proposals.push(start_review(&server, &officer, &p.name).await.expect("start review"));
    }
    // The ranking, in beam hours (without peer review no entry is above
    // the funding line; the running totals show where it would fall).
    let ranking = server
        .reviews(&officer)
        .get_review_ranking(v1::GetReviewRankingRequest {
            programme: cycle.name.clone(),
        })
        .await
        .expect("rank the proposals")
        .into_inner()
        .ranking
        .expect("ranking");
    assert!(ranking.remaining_budget.is_none());
    assert_eq!(steps(&ranking.remaining_capacity), 201);
    let ninth = &ranking.entries[8];
    assert_eq!(steps(&ninth.requested_resource), 25);
    assert_eq!(
        ninth.cumulative_requested_resource.as_ref().map(|c| c.value.as_str()),
        Some("112.5")
    );
    assert!(ninth.requested_amount.is_none() && ninth.cumulative_requested.is_none());
    assert_eq!(ranking.entries.len(), 16);
    let races = proposals.iter().map(|p| {
        let (server, officer, name) = (&server, &officer, p.name.clone());
        async move { allocate(server, officer, &name, 25).await }
    });
    let results = futures_util::future::join_all(races).await;
    let (won, lost): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    assert_eq!(won.len(), 8, "exactly as many allocations as fit");
    for refusal in &lost {
        let status = refusal.as_ref().expect_err("refused");
        assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
        assert_eq!(reason(status), "BUDGET_EXCEEDED");
        assert!(status.message().contains("0.5 beam-h is free"), "{}", status.message());
    }
    let winners: Vec<v1::Application> = won.into_iter().map(|r| r.expect("won")).collect();
    for w in &winners {
        assert_eq!(w.state, state(State::Approved));
        assert_eq!(steps(&w.awarded_resource), 25);
        assert!(w.schedule.is_none(), "a facility award has no payment schedule");
    }

    // Two half-hour proposals race for the last half hour: one wins.
    let mut last = Vec::new();
    for n in 0..2 {
        let p = propose(&server, &keys[2], &cycle.name, proposal(&um, 1, 100 + n)).await;
        last.push(start_review(&server, &officer, &p.name).await.expect("start review"));
    }
    let (a, b) = tokio::join!(
        allocate(&server, &officer, &last[0].name, 1),
        allocate(&server, &officer, &last[1].name, 1)
    );
    assert!(
        a.is_ok() != b.is_ok(),
        "one of the two takes the last half hour: {a:?} {b:?}"
    );
    let full = server
        .programmes(&officer)
        .get_programme(v1::GetProgrammeRequest {
            name: cycle.name.clone(),
        })
        .await
        .expect("get the cycle")
        .into_inner()
        .programme
        .expect("programme");
    let facility = full.facility.expect("facility");
    assert_eq!(steps(&facility.allocated), 201, "allocated to the last step");
    assert_eq!(facility.allocated.as_ref().map(|a| a.value.as_str()), Some("100.5"));

    // Usage: 10 hours of the first allocation, then 2.5 more fits exactly;
    // half an hour beyond is refused and changes nothing.
    let first = &winners[0];
    let ten_hours = usage(20, "CSNS-P2027-0001");
    let recorded = record(&server, &officer, &first.name, ten_hours.clone(), "use-1")
        .await
        .expect("record usage");
    let record_one = recorded.usage_record.expect("usage record");
    assert!(record_one.name.contains("/usageRecords/"), "{}", record_one.name);
    assert_eq!(
        recorded.application.as_ref().map(|a| a.state),
        Some(state(State::Active))
    );
    let replay = record(&server, &officer, &first.name, ten_hours, "use-1")
        .await
        .expect("a retry replays");
    assert_eq!(replay.usage_record.map(|u| u.name), Some(record_one.name.clone()));
    let over = record(&server, &officer, &first.name, usage(6, "CSNS-P2027-0002"), "").await;
    let status = over.expect_err("usage beyond the allocation");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "USAGE_EXCEEDS_ALLOCATION");
    assert!(status.message().contains("2.5 beam-h is left"), "{}", status.message());
    let reused = record(&server, &officer, &winners[1].name, usage(2, "CSNS-P2027-0001"), "").await;
    let status = reused.expect_err("a reused reference");
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(reason(&status), "DUPLICATE_USAGE_REFERENCE");
    assert!(
        status.message().contains("usage_record.reference"),
        "{}",
        status.message()
    );
    let after = get(&server, &officer, &first.name).await.expect("get");
    assert_eq!(steps(&after.used_resource), 20, "refusals changed nothing");
    let listed = server
        .awards(&officer)
        .list_usage_records(v1::ListUsageRecordsRequest {
            parent: first.name.clone(),
            ..Default::default()
        })
        .await
        .expect("list usage")
        .into_inner();
    assert_eq!(listed.usage_records.len(), 1);
    assert_eq!(listed.usage_records[0].reference, "CSNS-P2027-0001");
    assert_eq!(
        listed.usage_records[0].amount.as_ref().map(|a| a.value.as_str()),
        Some("10")
    );

    // Closing releases the unused 2.5 hours to the cycle.
    let closed = close(&server, &officer, &first.name).await.expect("close");
    assert_eq!(closed.state, state(State::Closed));
    let s = summary(&server, &viewer, &cycle.name).await;
    assert!(
        s.committed.is_none() && s.remaining_budget.is_none(),
        "no money in the summary"
    );
    assert_eq!(steps(&s.capacity), 201);
    assert_eq!(steps(&s.allocated), 201 - 5, "the unused 2.5 hours went back");
    assert_eq!(steps(&s.free), 5);
    assert_eq!(steps(&s.used), 20);
    assert_eq!(s.award_count, 9);
    let region = match first.applicant_institution == um {
        true => v1::Region::Macao,
        false => v1::Region::HongKong,
    };
    let by_region: HashMap<i32, i64> = s.region_totals.iter().map(|r| (r.region, steps(&r.used))).collect();
    assert_eq!(by_region.get(&i32::from(region)), Some(&20), "{by_region:?}");
    assert_eq!(by_region.values().sum::<i64>(), 20, "usage by region adds up");

    // The cycle's capacity may grow, never below what is allocated.
    let update = |steps: i64, etag: String| {
        let mut programmes = server.programmes(&server.admin_key);
        let name = cycle.name.clone();
        async move {
            programmes
                .update_programme(v1::UpdateProgrammeRequest {
                    programme: Some(v1::Programme {
                        name,
                        etag,
                        facility: Some(v1::Facility {
                            capacity: Some(beam(steps)),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        // An unset largest request follows the capacity.
                        paths: vec!["facility.capacity".into(), "facility.max_request".into()],
                    }),
                    request_id: String::new(),
                })
                .await
        }
    };
    let current = server
        .programmes(&officer)
        .get_programme(v1::GetProgrammeRequest {
            name: cycle.name.clone(),
        })
        .await
        .expect("get the cycle")
        .into_inner()
        .programme
        .expect("programme");
    let status = expect_code(update(195, current.etag.clone()).await, Code::FailedPrecondition);
    assert_eq!(reason(&status), "BUDGET_BELOW_COMMITTED");
    assert!(
        status.message().contains("programme.facility.capacity"),
        "{}",
        status.message()
    );
    let grown = update(400, current.etag)
        .await
        .expect("grow the cycle")
        .into_inner()
        .programme
        .and_then(|p| p.facility)
        .expect("facility");
    assert_eq!(grown.capacity.as_ref().map(|c| c.value.as_str()), Some("200"));
    assert_eq!(steps(&grown.allocated), 196);
    assert_eq!(grown.unit, "beam-h", "the unit stays");
    assert_eq!(steps(&grown.max_request), 400);

    // The stream saw every change; its last snapshots add up to the summary.
    let mut latest: HashMap<String, v1::Application> = HashMap::new();
    let mut usage_events = 0;
    let want = 18 * 3 + 8 + 1 + 1 + 1; // each proposal: create, submit, review; approvals; usage; close.
    let mut seen = 0;
    while seen < want {
        match tokio::time::timeout(std::time::Duration::from_secs(10), next(&mut stream))
            .await
            .expect("the stream keeps up")
            .expect("stream")
        {
            Some(Kind::Event(e)) => {
                seen += 1;
                if !e.usage_record.is_empty() {
                    usage_events += 1;
                    assert_eq!(e.usage_record, record_one.name);
                    assert!(e.disbursement.is_empty());
                }
                let snapshot = e.snapshot.expect("snapshot");
                latest.insert(snapshot.name.clone(), snapshot);
            }
            Some(_) => {}
            None => panic!("the stream ended"),
        }
    }
    assert_eq!(usage_events, 1);
    let allocated: i64 = latest
        .values()
        .map(|a| match State::try_from(a.state) {
            Ok(State::Approved | State::Active) => steps(&a.awarded_resource),
            Ok(State::Closed) => steps(&a.used_resource),
            _ => 0,
        })
        .sum();
    let used: i64 = latest.values().map(|a| steps(&a.used_resource)).sum();
    assert_eq!(
        allocated,
        steps(&s.allocated),
        "stream and summary agree on the allocation"
    );
    assert_eq!(used, steps(&s.used), "and on the usage");
}

async fn money_and_resources_never_mix(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    let programmes = server.programmes(&server.admin_key);
    let refused = |mut p: v1::Programme, field: &'static str| {
        let mut programmes = programmes.clone();
        async move {
            let status = expect_code(
                programmes
                    .create_programme(v1::CreateProgrammeRequest {
                        programme: Some(std::mem::take(&mut p)),
                        request_id: String::new(),
                    })
                    .await,
                Code::InvalidArgument,
            );
            assert!(bad_fields(&status).contains(&field.to_owned()), "{field}: {status:?}");
        }
    };
    let mut with_budget = csns_cycle(200);
    with_budget.budget = Some(money("CNY", 1_000_000, 0));
    refused(with_budget, "programme.budget").await;
    let mut with_currency = csns_cycle(200);
    with_currency.currency_code = "CNY".into();
    refused(with_currency, "programme.currency_code").await;
    let mut foreign_unit = csns_cycle(200);
    if let Some(f) = foreign_unit.facility.as_mut() {
        f.unit = "beam-hours".into();
    }
    refused(foreign_unit, "programme.facility.unit").await;
    let mut mixed_capacity = csns_cycle(200);
    if let Some(f) = mixed_capacity.facility.as_mut() {
        f.capacity = Some(v1::ResourceAmount {
            unit: "core-h".into(),
            steps: 100,
            value: String::new(),
        });
    }
    refused(mixed_capacity, "programme.facility.capacity.unit").await;
    let list = programmes
        .clone()
        .list_programmes(v1::ListProgrammesRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(list.programmes.len(), 2, "no refused programme was created");
    assert!(
        list.programmes
            .iter()
            .all(|p| p.facility.is_none() && p.currency_code == "CNY"),
        "money programmes look as they always did"
    );

    let cycle = server.open_programme(csns_cycle(200)).await;
    let officer = server.key(Role::Officer, "", &[&cycle.name]).await;
    let applicant = |p: v1::Application, parent: &str| {
        let (mut apps, parent) = (server.apps(&w.hku_key), parent.to_owned());
        async move {
            apps.create_application(v1::CreateApplicationRequest {
                parent,
                application: Some(p),
                request_id: String::new(),
            })
            .await
        }
    };
    let mut money_request = proposal(&w.hku, 10, 1);
    money_request.requested_resource = None;
    money_request.requested_amount = Some(money("CNY", 50_000, 0));
    let status = expect_code(applicant(money_request, &cycle.name).await, Code::InvalidArgument);
    assert_eq!(bad_fields(&status), vec!["application.requested_amount"]);
    let mut core_hours = proposal(&w.hku, 10, 2);
    core_hours.requested_resource = Some(v1::ResourceAmount {
        unit: "core-h".into(),
        steps: 10,
        value: String::new(),
    });
    let status = expect_code(applicant(core_hours, &cycle.name).await, Code::InvalidArgument);
    assert_eq!(bad_fields(&status), vec!["application.requested_resource.unit"]);
    let status = expect_code(
        applicant(proposal(&w.hku, 10, 3), &w.programme.name).await,
        Code::InvalidArgument,
    );
    assert!(
        bad_fields(&status).contains(&"application.requested_resource".to_owned()),
        "{status:?}"
    );
    let mut backwards = proposal(&w.hku, 10, 4);
    backwards.preferred_periods[0].end_time = Some(ts(now_seconds()));
    let status = expect_code(applicant(backwards, &cycle.name).await, Code::InvalidArgument);
    assert_eq!(bad_fields(&status), vec!["application.preferred_periods[0].end_time"]);

    // An allocation in money, a payment, usage on a money grant.
    let p = propose(&server, &w.hku_key, &cycle.name, proposal(&w.hku, 10, 5)).await;
    start_review(&server, &officer, &p.name).await.expect("start review");
    let status = expect_code(
        server
            .reviews(&officer)
            .approve_application(v1::ApproveApplicationRequest {
                name: p.name.clone(),
                awarded_amount: Some(money("CNY", 5, 0)),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["awarded_amount"]);
    allocate(&server, &officer, &p.name, 10)
        .await
        .expect("allocate in beam-h");
    let status = expect_code(
        server
            .awards(&officer)
            .record_disbursement(v1::RecordDisbursementRequest {
                parent: p.name.clone(),
                disbursement: Some(payment(5, 5, 0, "1")),
                request_id: String::new(),
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["disbursement.amount"]);
    let status = expect_code(
        server
            .awards(&officer)
            .list_disbursements(v1::ListDisbursementsRequest {
                parent: p.name.clone(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["parent"]);
    let grant = w.approved(&server, 100_000, 80_000).await;
    let status = expect_code(
        server
            .awards(&w.officer_key)
            .record_usage(v1::RecordUsageRequest {
                parent: grant.name.clone(),
                usage_record: Some(usage(4, "CSNS-P2027-0100")),
                request_id: String::new(),
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), vec!["usage_record.amount"]);
    let unchanged = get(&server, &officer, &p.name).await.expect("get");
    assert_eq!(unchanged.state, state(State::Approved), "nothing was paid or used");
    assert_eq!(steps(&unchanged.used_resource), 0);
    let grant = get(&server, &w.officer_key, &grant.name).await.expect("get");
    assert_eq!(grant.state, state(State::Approved));
    assert!(grant.used_resource.is_none() && grant.disbursed_amount.is_some());
}
