//! The dashboard page on the API's listener, over plain HTTP/1.1, and
//! cross-origin gRPC-Web only for the origins named by `--cors-origin`.

mod common;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_every_backend!(
    the_page_is_served_at_the_root_with_a_strict_policy,
    only_named_origins_may_call_from_a_browser,
);

/// One HTTP/1.1 exchange; the response as text.
async fn http(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    String::from_utf8_lossy(&response).into_owned()
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next().unwrap_or("");
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

async fn the_page_is_served_at_the_root_with_a_strict_policy(backend: Backend) {
    let server = TestServer::start(backend).await;
    let page = http(
        server.addr,
        "GET / HTTP/1.1\r\nHost: grants\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(page.starts_with("HTTP/1.1 200"), "{}", &page[..page.len().min(200)]);
    assert_eq!(header(&page, "content-type"), Some("text/html; charset=utf-8"));
    assert!(page.contains("<script src=\"app.js\""));
    let policy = header(&page, "content-security-policy").expect("a content security policy");
    assert!(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"));
    assert!(!page.contains(&server.admin_key), "no key in the page");

    let script = http(
        server.addr,
        "GET /app.js HTTP/1.1\r\nHost: grants\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(script.starts_with("HTTP/1.1 200"));
    assert_eq!(header(&script, "content-type"), Some("text/javascript; charset=utf-8"));
    let style = http(
        server.addr,
        "GET /app.css HTTP/1.1\r\nHost: grants\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(style.starts_with("HTTP/1.1 200"));
    // Anything else is not a page, and the API still needs a key.
    let other = http(
        server.addr,
        "GET /secrets HTTP/1.1\r\nHost: grants\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(!other.starts_with("HTTP/1.1 200"), "{other}");
}

fn preflight(origin: &str) -> String {
    format!(
        "OPTIONS /gba.grants.v1.ProgrammeService/ListProgrammes HTTP/1.1\r\nHost: grants\r\nOrigin: {origin}\r\n\
         Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization,content-type,x-grpc-web\r\n\
         Connection: close\r\n\r\n"
    )
}

async fn only_named_origins_may_call_from_a_browser(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start_with(db, |s| s.cors_origins = vec!["https://dash.example.org".into()]).await;
    let allowed = http(server.addr, &preflight("https://dash.example.org")).await;
    assert_eq!(
        header(&allowed, "access-control-allow-origin"),
        Some("https://dash.example.org")
    );
    assert!(
        header(&allowed, "access-control-allow-headers").is_some_and(|h| h.contains("authorization")),
        "{allowed}"
    );
    let refused = http(server.addr, &preflight("https://evil.example.org")).await;
    assert_eq!(header(&refused, "access-control-allow-origin"), None);

    // Without --cors-origin no origin is allowed at all.
    let plain = TestServer::start(backend).await;
    let refused = http(plain.addr, &preflight("https://dash.example.org")).await;
    assert_eq!(header(&refused, "access-control-allow-origin"), None);

    // A malformed origin stops the start with a message naming it.
    let db = TestDb::new(backend).await;
    let mut settings = gba_grants::startup::Settings::new("127.0.0.1:0", db.url.clone());
    settings.cors_origins = vec!["dash.example.org/*".into()];
    let err = gba_grants::startup::Application::build(settings)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("dash.example.org/*"), "{err}");
}
