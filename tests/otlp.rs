//! Traces, end to end, on every backend: the built server, started with
//! `--otlp-endpoint`, exports over OTLP/gRPC to a real receiver (the
//! collector protocol's own TraceService, from `opentelemetry-proto`). A
//! call made with a W3C `traceparent` comes back as a server span of that
//! trace, child of the caller's span, named for its method, with the RPC
//! attributes and its status, and with spans below it for the domain's
//! decision and the database write.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::process::Process;
use common::*;
use gba_grants::proto::v1;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;

on_every_backend!(a_call_is_traced_end_to_end_under_the_callers_trace);

#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<Span>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().expect("spans");
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans);
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

/// The bytes a hex id spells.
fn bytes_of(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

async fn a_call_is_traced_end_to_end_under_the_callers_trace(backend: Backend) {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let collector = listener.local_addr().expect("address");
    let serving = receiver.clone();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(serving))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
    });

    let db = TestDb::new(backend).await;
    let endpoint = format!("http://{collector}");
    let mut server = Process::start_with(
        &db.url,
        &["--otlp-endpoint", &endpoint],
        &[("OTEL_BSP_SCHEDULE_DELAY", "100")],
    );
    let channel = server.serving().await;
    let admin = server
        .stdout
        .recv_timeout(Duration::from_secs(5))
        .expect("the bootstrap key");
    let client = TestServer::remote(channel.clone(), &admin);
    let w = client.world().await;
    let draft = w.draft(&client, 100_000).await;

    // The caller's trace and span.
    let (trace_id, parent_id) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let mut request = tonic::Request::new(v1::SubmitApplicationRequest {
        name: draft.name.clone(),
        ..Default::default()
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-{parent_id}-01").parse().expect("header"),
    );
    let submitted = client
        .apps(&w.hku_key)
        .submit_application(request)
        .await
        .expect("submit")
        .into_inner()
        .application
        .expect("application");
    assert_eq!(submitted.state, v1::application::State::Submitted as i32);

    // The receiver gets the trace: the server span, and below it the
    // decision and the write.
    let trace = bytes_of(trace_id);
    let parent = bytes_of(parent_id);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let spans = loop {
        let spans: Vec<Span> = receiver
            .spans
            .lock()
            .expect("spans")
            .iter()
            .filter(|s| s.trace_id == trace)
            .cloned()
            .collect();
        let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
        let write = ["sqlite.write", "postgresql.statement"];
        if names.contains(&"gba.grants.v1.ApplicationService/SubmitApplication")
            && names.contains(&"decide")
            && names.iter().any(|n| write.contains(n))
        {
            break spans;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the trace did not arrive whole; got {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let call = spans
        .iter()
        .find(|s| s.name == "gba.grants.v1.ApplicationService/SubmitApplication")
        .expect("the server span");
    assert_eq!(
        call.parent_span_id, parent,
        "the server span is the caller's span's child"
    );
    assert_eq!(call.kind, 2, "kind SERVER");
    let text = |key| match attribute(call, key) {
        Some(Value::StringValue(s)) => s.clone(),
        other => panic!("{key}: {other:?}"),
    };
    assert_eq!(text("rpc.system"), "grpc");
    assert_eq!(text("rpc.service"), "gba.grants.v1.ApplicationService");
    assert_eq!(text("rpc.method"), "SubmitApplication");
    assert!(
        matches!(attribute(call, "rpc.grpc.status_code"), Some(Value::IntValue(0))),
        "{:?}",
        attribute(call, "rpc.grpc.status_code")
    );
    // Every other span of the trace descends from the server span.
    let by_id = |id: &[u8]| spans.iter().find(|s| s.span_id == id);
    for span in spans.iter().filter(|s| s.span_id != call.span_id) {
        let mut at = span;
        let mut hops = 0;
        while at.parent_span_id != call.span_id {
            at = by_id(&at.parent_span_id)
                .unwrap_or_else(|| panic!("{} does not descend from the call's span", span.name));
            hops += 1;
            assert!(hops < 10, "a cycle of parents");
        }
    }
    server.kill_nine();
}
