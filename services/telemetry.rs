//! Logs and traces. Logs go to standard error, filtered by `RUST_LOG`, as
//! pretty text or JSON lines. With an OTLP endpoint (`--otlp-endpoint`,
//! or the standard `OTEL_EXPORTER_OTLP_ENDPOINT`), traces are exported
//! over OTLP/gRPC: a span per call (its parent from the caller's W3C
//! `traceparent`), and below it spans for the domain's decision and for
//! each database statement or group of writes.
//!
//! The trace spans have the target [`TRACE`]; without an endpoint no layer
//! is interested in them, so each is a disabled callsite (a branch on a
//! cached flag) and costs nothing measurable.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The target of the spans exported as traces.
pub const TRACE: &str = "gba_grants::trace";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// What was installed; export ends (flushing what is buffered) when it is
/// shut down.
#[derive(Debug, Default)]
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes and stops the trace export, if any.
    pub fn shutdown(self) {
        if let Some(provider) = self.traces
            && let Err(err) = provider.shutdown()
        {
            eprintln!("gba-grants: the trace export did not end cleanly: {err}");
        }
    }
}

/// The log filter: `RUST_LOG`, else `info`. Trace spans stay out of the
/// logs (so they cost nothing without an OTLP endpoint, whatever
/// `RUST_LOG` says); the ORM's statement spans unless `RUST_LOG` asks.
fn log_filter() -> EnvFilter {
    let asked = std::env::var("RUST_LOG").unwrap_or_default();
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let quiet = [
        (!asked.contains("sea_orm")).then_some("sea_orm=warn"),
        Some("gba_grants::trace=off"),
    ];
    for directive in quiet.into_iter().flatten() {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

/// Installs the global subscriber (a second call in one process keeps the
/// first) and, with `otlp`, the trace export to that endpoint.
pub fn init(format: LogFormat, otlp: Option<&str>) -> Result<Telemetry, String> {
    let logs = match format {
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(log_filter())
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .with_filter(log_filter())
            .boxed(),
    };
    let Some(endpoint) = otlp.filter(|e| !e.is_empty()) else {
        // Already installed (tests start several servers): keep the first.
        drop(tracing_subscriber::registry().with(logs).try_init());
        return Ok(Telemetry::default());
    };
    let provider = tracer_provider(endpoint)?;
    opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
    let traces = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("gba-grants"))
        .with_filter(EnvFilter::new(format!("{TRACE}=info,sea_orm=info")));
    drop(tracing_subscriber::registry().with(logs).with(traces).try_init());
    tracing::info!(%endpoint, "exporting traces over OTLP");
    Ok(Telemetry { traces: Some(provider) })
}

fn tracer_provider(endpoint: &str) -> Result<SdkTracerProvider, String> {
    use opentelemetry_otlp::WithExportConfig;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| format!("cannot export traces to {endpoint}: {e}"))?;
    // The builder reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES;
    // "gba-grants" is the name when neither gives one.
    let mut resource = opentelemetry_sdk::Resource::builder().with_attribute(opentelemetry::KeyValue::new(
        "service.version",
        env!("CARGO_PKG_VERSION"),
    ));
    let named = std::env::var_os("OTEL_SERVICE_NAME").is_some()
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES")
            .is_ok_and(|a| a.split(',').any(|kv| kv.trim().starts_with("service.name=")));
    if !named {
        resource = resource.with_service_name("gba-grants");
    }
    let resource = resource.build();
    Ok(SdkTracerProvider::builder()
        .with_resource(resource)
        .with_batch_exporter(exporter)
        .build())
}

/// The caller's trace context, from a call's `traceparent` header.
pub fn parent_of(headers: &http::HeaderMap) -> opentelemetry::Context {
    struct Headers<'a>(&'a http::HeaderMap);
    impl opentelemetry::propagation::Extractor for Headers<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|v| v.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(http::HeaderName::as_str).collect()
        }
    }
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)))
}
