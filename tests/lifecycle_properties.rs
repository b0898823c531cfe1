//! Property test, on every backend: random sequences of lifecycle calls on
//! a few applications sharing one budget. After every step the service
//! must agree with a simple model: committed ≤ budget, disbursed ≤
//! awarded, states move only along the graph, one event per change, and
//! every refusal carries the code and reason the model predicts.

mod common;

use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use gba_grants::proto::v1::application::State;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tonic::Code;

const BUDGET: i64 = 100_000;
const REQUESTED: i64 = 40_000;
const APPS: usize = 3;

#[derive(Debug, Clone, Copy)]
enum Op {
    Submit,
    Withdraw,
    StartReview,
    RequestChanges,
    Approve(i64),
    Reject,
    Disburse(i64),
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Submit),
        1 => Just(Op::Withdraw),
        3 => Just(Op::StartReview),
        1 => Just(Op::RequestChanges),
        3 => (1..=REQUESTED + 5_000).prop_map(Op::Approve),
        1 => Just(Op::Reject),
        3 => (1..=25_000_i64).prop_map(Op::Disburse),
        1 => Just(Op::Close),
    ]
}

/// What the model expects of one application.
#[derive(Debug, Clone)]
struct Model {
    state: State,
    awarded: i64,
    disbursed: i64,
    events: usize,
}

/// How the service must refuse a call: the gRPC code, the
/// `google.rpc.ErrorInfo` reason, and for INVALID_ARGUMENT the fields
/// named by `google.rpc.BadRequest`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    code: Code,
    reason: String,
    fields: Vec<String>,
}

impl Refusal {
    fn new(code: Code, reason: &str, fields: &[&str]) -> Self {
        Self {
            code,
            reason: reason.into(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
        }
    }

    fn of(status: &tonic::Status) -> Self {
        Self {
            code: status.code(),
            reason: reason(status),
            fields: bad_fields(status),
        }
    }
}

/// The model's answer: `Ok(new model)` if the call must succeed, else how
/// it must be refused. The state is checked first; then, for an approval,
/// the amount against the request (a bad argument) before the budget; for
/// a disbursement, the total against the award.
fn step(m: &Model, op: Op, committed: i64) -> Result<(Model, i64), Refusal> {
    use State::*;
    let mut next = m.clone();
    next.events += 1;
    let mut committed = committed;
    next.state = match (m.state, op) {
        (Draft | ChangesRequested, Op::Submit) => Submitted,
        (Draft | Submitted | UnderReview | ChangesRequested, Op::Withdraw) => Withdrawn,
        (Submitted, Op::StartReview) => UnderReview,
        (Submitted | UnderReview, Op::RequestChanges) => ChangesRequested,
        (Submitted | UnderReview, Op::Reject) => Rejected,
        (UnderReview, Op::Approve(a)) if a > REQUESTED => {
            return Err(Refusal::new(
                Code::InvalidArgument,
                "INVALID_FIELD",
                &["awarded_amount"],
            ));
        }
        (UnderReview, Op::Approve(a)) if committed + a > BUDGET => {
            return Err(Refusal::new(Code::FailedPrecondition, "BUDGET_EXCEEDED", &[]));
        }
        (UnderReview, Op::Approve(a)) => {
            next.awarded = a;
            committed += a;
            Approved
        }
        (Approved | Active, Op::Disburse(d)) if m.disbursed + d > m.awarded => {
            return Err(Refusal::new(
                Code::FailedPrecondition,
                "DISBURSEMENT_EXCEEDS_AWARD",
                &[],
            ));
        }
        (Approved | Active, Op::Disburse(d)) => {
            next.disbursed += d;
            Active
        }
        // Closing an APPROVED grant never paid rescinds it (the helper
        // gives a reason), releasing the whole award.
        (Approved | Active, Op::Close) => {
            committed -= m.awarded - m.disbursed;
            Closed
        }
        _ => return Err(Refusal::new(Code::FailedPrecondition, "INVALID_STATE", &[])),
    };
    Ok((next, committed))
}

async fn run_case(
    server: &TestServer,
    applicant: &str,
    applicant_key: &str,
    ops: &[(usize, Op)],
) -> Result<(), TestCaseError> {
    let programme = server.open_programme(programme_without_partner(BUDGET, 50_000)).await;
    let officer = server.key(Role::Officer, "", &[&programme.name]).await;
    let mut names = Vec::new();
    for _ in 0..APPS {
        let created = server
            .apps(applicant_key)
            .create_application(v1::CreateApplicationRequest {
                parent: programme.name.clone(),
                application: Some(application(applicant, &[], REQUESTED)),
                request_id: String::new(),
            })
            .await
            .expect("create")
            .into_inner()
            .application
            .expect("application");
        names.push(created.name);
    }
    let mut models = vec![
        Model {
            state: State::Draft,
            awarded: 0,
            disbursed: 0,
            events: 1
        };
        APPS
    ];
    let mut committed_model = 0;
    for &(i, op) in ops {
        let name = &names[i];
        let result = match op {
            Op::Submit => submit(server, applicant_key, name).await.map(drop),
            Op::Withdraw => withdraw(server, applicant_key, name).await.map(drop),
            Op::StartReview => start_review(server, &officer, name).await.map(drop),
            Op::RequestChanges => request_changes(server, &officer, name, "why").await.map(drop),
            Op::Approve(a) => approve(server, &officer, name, a, "").await.map(drop),
            Op::Reject => reject(server, &officer, name, "no").await.map(drop),
            Op::Disburse(d) => disburse(server, &officer, name, payment(d, d, 0, "1"), "")
                .await
                .map(drop),
            Op::Close => close(server, &officer, name).await.map(drop),
        };
        match (step(&models[i], op, committed_model), result) {
            (Ok((next, committed)), Ok(())) => {
                models[i] = next;
                committed_model = committed;
            }
            (Ok(_), Err(status)) => {
                return Err(TestCaseError::fail(format!(
                    "{op:?} on {:?} must succeed: {status:?}",
                    models[i].state
                )));
            }
            (Err(expected), Ok(())) => {
                return Err(TestCaseError::fail(format!(
                    "{op:?} on {:?} must be refused with {expected:?}",
                    models[i].state
                )));
            }
            (Err(expected), Err(status)) => prop_assert_eq!(
                Refusal::of(&status),
                expected,
                "{:?} on {:?}: {:?}",
                op,
                models[i].state,
                status
            ),
        }
        // Invariants, read back from the service after every step.
        let committed = committed(server, &programme.name).await.units;
        prop_assert!(committed <= BUDGET);
        prop_assert_eq!(committed, committed_model);
        let app = get(server, &officer, name).await.expect("get");
        prop_assert_eq!(app.state, state(models[i].state));
        let awarded = app.awarded_amount.map_or(0, |m| m.units);
        let disbursed = app.disbursed_amount.map_or(0, |m| m.units);
        prop_assert!(disbursed <= awarded || awarded == 0 && disbursed == 0);
        prop_assert_eq!((awarded, disbursed), (models[i].awarded, models[i].disbursed));
        let history = events(server, &officer, name).await;
        prop_assert_eq!(history.len(), models[i].events, "one event per change");
    }
    Ok(())
}

fn property(backend: Backend) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt.block_on(TestServer::start(backend));
    let (applicant, key) = rt.block_on(async {
        let applicant = server
            .register("Hong Kong Baptist University", "香港浸會大學", v1::Region::HongKong)
            .await;
        let key = server.key(Role::Applicant, &applicant, &[]).await;
        (applicant, key)
    });
    let mut runner = TestRunner::new(Config {
        cases: 12,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = proptest::collection::vec((0..APPS, op()), 10..40);
    let result = runner.run(&strategy, |ops| rt.block_on(run_case(&server, &applicant, &key, &ops)));
    rt.block_on(server.stop());
    if let Err(err) = result {
        panic!("{err}");
    }
}

#[test]
fn random_call_sequences_keep_the_invariants_sqlite() {
    property(Backend::Sqlite);
}

#[test]
#[ignore = "needs PostgreSQL: cargo test -- --include-ignored"]
fn random_call_sequences_keep_the_invariants_postgres() {
    property(Backend::Postgres);
}
