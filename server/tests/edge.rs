//! The edge, as a client on the network meets it: names the server is not
//! reached by, headers, whose request id is believed, slow and idle clients,
//! the connection cap, oversized inputs. Each case says what must come back
//! and that nothing else did. No Prometheus is needed: these answers come
//! before any query (one points Vantage at a closed port).

mod support;

use std::{net::SocketAddr, time::Duration};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use vantage::{config::Config, edge::listener::Limits, router, AppState};

/// Nothing listens here: Vantage serves, its panels say Prometheus is away.
const NO_PROMETHEUS: &str = "http://127.0.0.1:9";

fn config() -> Config {
    Config {
        prometheus_url: NO_PROMETHEUS.parse().unwrap(),
        ..Config::default()
    }
}

/// Serves `config` through the real listener (its limits, the peer's
/// address) on a loopback port.
async fn serve(config: Config, limits: Limits) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(config).unwrap();
    tokio::spawn(vantage::edge::listener::serve(
        listener,
        router(state),
        limits,
        std::future::pending(),
    ));
    addr
}

const LIMITS: Limits = Limits {
    max_connections: 64,
    header_read_timeout: Duration::from_secs(10),
};

/// One raw HTTP/1.1 exchange: the status, the head and the body, read until
/// the server closes.
async fn raw(addr: SocketAddr, request: &str) -> (u16, String, String) {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), socket.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn get(path: &str, host: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n")
}

/// A header's value in `head` (names are matched case-blind).
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn a_name_the_server_is_not_reached_by_gets_421_and_nothing_else() {
    let addr = serve(config(), LIMITS).await;
    for path in [
        "/",
        "/d/overview",
        "/health",
        "/api/checks",
        "/api/dashboards",
        "/api/dashboards/overview/variables/service/values",
        "/api/stream?dashboard=overview",
        "/embed/overview/request_rate?token=x",
        "/pkg/frontend.js",
        "/no-such-page",
    ] {
        for host in [
            "rebind.attacker.example:3000".to_string(),
            format!("rebind.attacker.example:{}", addr.port()),
            "localhost.attacker.example".to_string(),
            "127.0.0.1.nip.io".to_string(),
        ] {
            let (status, _, body) = raw(addr, &get(path, &host, "")).await;
            assert_eq!(status, 421, "{path} for {host}");
            assert!(body.len() < 200, "{path} for {host}: {body}");
            assert!(!body.contains("attacker"), "the name is not echoed: {body}");
        }
    }
    // The server's own loopback names, and the probes' paths under any name.
    for host in [
        format!("127.0.0.1:{}", addr.port()),
        format!("localhost:{}", addr.port()),
        "[::1]".to_string(),
    ] {
        let (status, _, _) = raw(addr, &get("/api/dashboards", &host, "")).await;
        assert_eq!(status, 200, "{host}");
    }
    for path in ["/healthz", "/readyz", "/metrics"] {
        let (status, _, _) = raw(addr, &get(path, "10.1.2.3:3000", "")).await;
        assert_ne!(status, 421, "{path} answers a probe by address");
    }
}

#[tokio::test]
async fn public_url_names_the_hosts_a_network_may_use() {
    let addr = serve(
        Config {
            public_url: vec![
                "https://vantage.example.com".parse().unwrap(),
                "http://10.0.0.5:3000".parse().unwrap(),
            ],
            ..config()
        },
        LIMITS,
    )
    .await;
    for (host, want) in [
        ("vantage.example.com", 200),
        ("VANTAGE.example.com:443", 200),
        ("10.0.0.5:3000", 200),
        ("10.0.0.5:3001", 421),
        ("vantage.example.com.attacker.example", 421),
        ("evil-vantage.example.com", 421),
    ] {
        let (status, _, _) = raw(addr, &get("/api/dashboards", host, "")).await;
        assert_eq!(status, want, "{host}");
    }
}

#[test]
fn a_network_address_without_public_url_is_refused_with_the_way_out() {
    let cli =
        <vantage::config::Cli as clap::Parser>::parse_from(["vantage", "--listen", "0.0.0.0:3000"]);
    let error = Config::load(&cli).unwrap_err().to_string();
    assert!(error.contains("public_url"), "{error}");
    let cli = <vantage::config::Cli as clap::Parser>::parse_from([
        "vantage",
        "--listen",
        "0.0.0.0:3000",
        "--public-url",
        "https://vantage.example.com",
        "--anonymous-viewing",
    ]);
    Config::load(&cli).unwrap();
}

#[tokio::test]
async fn a_page_runs_only_the_scripts_it_wrote_and_says_so() {
    let addr = serve(config(), LIMITS).await;
    let host = format!("127.0.0.1:{}", addr.port());
    let mut nonces = Vec::new();
    for path in ["/health", "/alerts", "/dashboards", "/no-such-page"] {
        let (status, head, body) = raw(addr, &get(path, &host, "")).await;
        assert!(status == 200 || status == 404, "{path}: {status}");
        let policy = header(&head, "content-security-policy").expect("a policy");
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{path}: no nonce in {policy}"))
            .to_string();
        for directive in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "'wasm-unsafe-eval'",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        // Every inline script the page carries names this response's nonce;
        // the bundle's files come from the page's own origin ('self').
        let scripts = body.matches("<script").count();
        assert!(scripts >= 2, "{path}: {scripts} scripts");
        let nonced = body.matches(&format!("nonce=\"{nonce}\"")).count();
        assert!(
            nonced >= scripts,
            "{path}: {nonced} of {scripts} scripts carry the nonce"
        );
        assert_eq!(
            header(&head, "referrer-policy"),
            Some("same-origin"),
            "{path}"
        );
        assert_eq!(
            header(&head, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "a fresh nonce for every page");
    // The API's answers may not be framed either.
    let (_, head, _) = raw(addr, &get("/api/dashboards", &host, "")).await;
    assert_eq!(
        header(&head, "content-security-policy"),
        Some("frame-ancestors 'none'")
    );
}

#[tokio::test]
async fn embeds_keep_their_referrer_and_are_not_cached() {
    let state = AppState::new(config()).unwrap();
    let claims = vantage::embed::cli::claims_for(
        &state.dashboards,
        "overview",
        "request_rate",
        &["1h".to_string()],
        &[],
        3600,
    )
    .unwrap();
    let token = state
        .embeds
        .issue(&claims, vantage::embed::keys::MintedBy::command_line())
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(vantage::edge::listener::serve(
        listener,
        router(state),
        LIMITS,
        std::future::pending(),
    ));
    let host = format!("127.0.0.1:{}", addr.port());
    for (path, cached) in [
        (format!("/embed/overview/request_rate?token={token}"), false),
        (
            format!("/embed/overview/request_rate/data?token={token}"),
            false,
        ),
        (
            format!("/embed/overview/request_rate/data.csv?token={token}"),
            false,
        ),
        (
            "/embed/overview/request_rate/data?token=forged".to_string(),
            false,
        ),
        // An image of a moving range may be kept for one refresh.
        (
            format!("/embed/overview/request_rate.svg?token={token}"),
            true,
        ),
    ] {
        let (status, head, body) = raw(addr, &get(&path, &host, "")).await;
        assert_ne!(status, 0, "{path}");
        assert_eq!(
            header(&head, "referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
        let cache = header(&head, "cache-control").unwrap_or("");
        if cached {
            assert!(cache.starts_with("public, max-age="), "{path}: {cache}");
        } else {
            assert_eq!(cache, "no-store", "{path} ({status})");
        }
        assert!(
            !body.contains("127.0.0.1:9"),
            "{path}: Prometheus' address leaked"
        );
    }
    // The live page may be framed by Vantage itself (and the configured
    // origins) and still runs only its own scripts.
    let (_, head, _) = raw(
        addr,
        &get(
            &format!("/embed/overview/request_rate?token={token}"),
            &host,
            "",
        ),
    )
    .await;
    let policy = header(&head, "content-security-policy").unwrap();
    assert!(policy.contains("frame-ancestors 'self'"), "{policy}");
    assert!(policy.contains("'nonce-"), "{policy}");
    assert!(!policy.contains("frame-ancestors 'none'"), "{policy}");
}

#[tokio::test]
async fn a_clients_request_id_is_replaced_unless_a_trusted_proxy_sent_it() {
    let plain = serve(config(), LIMITS).await;
    let proxied = serve(
        Config {
            trusted_proxies: vec!["127.0.0.0/8".parse().unwrap()],
            ..config()
        },
        LIMITS,
    )
    .await;
    let ask = |addr: SocketAddr, id: &'static str| async move {
        let host = format!("127.0.0.1:{}", addr.port());
        let (_, head, _) = raw(
            addr,
            &get("/healthz", &host, &format!("X-Request-Id: {id}\r\n")),
        )
        .await;
        header(&head, "x-request-id").unwrap_or("").to_string()
    };
    let made = ask(plain, "forged-id").await;
    assert_ne!(made, "forged-id");
    assert_eq!(made.len(), 36, "a server-made UUID: {made}");
    assert_eq!(ask(proxied, "proxy-7f3a").await, "proxy-7f3a");
    // Even a trusted proxy's id is refused if it is not plainly an id.
    let odd = ask(proxied, "a\"b<c>").await;
    assert_ne!(odd, "a\"b<c>");
    assert_eq!(odd.len(), 36);
}

/// Whether the server closed `socket` within `within` (a read returns 0 or fails).
async fn closed_within(socket: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, socket.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn idle_half_sent_and_trickled_requests_are_closed() {
    let limits = Limits {
        max_connections: 64,
        header_read_timeout: Duration::from_secs(1),
    };
    let addr = serve(config(), limits).await;
    let host = format!("127.0.0.1:{}", addr.port());
    let started = tokio::time::Instant::now();

    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(format!("GET /api/checks HTTP/1.1\r\nHost: {host}\r\n").as_bytes())
        .await
        .unwrap();
    let trickled = tokio::spawn({
        let host = host.clone();
        async move {
            let mut socket = TcpStream::connect(addr).await.unwrap();
            let request = format!(
                "GET /api/checks HTTP/1.1\r\nHost: {host}\r\nX-Pad: {}\r\n\r\n",
                "a".repeat(40)
            );
            for byte in request.bytes() {
                if socket.write_all(&[byte]).await.is_err() {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // Every byte went out: the server waited the whole ~9 s.
            false
        }
    });
    // A kept-alive connection after its answer.
    let mut kept = TcpStream::connect(addr).await.unwrap();
    kept.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut first = [0u8; 512];
    let n = kept.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));

    for (name, socket) in [
        ("silent", &mut silent),
        ("half-sent", &mut half),
        ("kept-alive", &mut kept),
    ] {
        assert!(
            closed_within(socket, Duration::from_secs(5)).await,
            "{name} still open"
        );
    }
    assert!(trickled.await.unwrap(), "a trickled request is cut off");
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[tokio::test]
async fn past_max_connections_a_new_client_waits_until_one_closes() {
    let limits = Limits {
        max_connections: 2,
        header_read_timeout: Duration::from_secs(2),
    };
    let addr = serve(config(), limits).await;
    let host = format!("127.0.0.1:{}", addr.port());
    let mut idle = [
        TcpStream::connect(addr).await.unwrap(),
        TcpStream::connect(addr).await.unwrap(),
    ];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = tokio::time::Instant::now();
    let third = tokio::spawn(async move { raw(addr, &get("/healthz", &host, "")).await });
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !third.is_finished(),
        "a third connection was served beside two open ones"
    );
    // The idle two are closed by the header timeout; then the third is served.
    let (status, _, _) = tokio::time::timeout(Duration::from_secs(10), third)
        .await
        .expect("served once a connection closed")
        .unwrap();
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(1500));
    for socket in &mut idle {
        assert!(closed_within(socket, Duration::from_secs(1)).await);
    }
}

#[tokio::test]
async fn oversized_inputs_get_a_short_refusal() {
    let addr = serve(config(), LIMITS).await;
    let host = format!("127.0.0.1:{}", addr.port());
    let long = format!("service={}", "a".repeat(40 * 1024));
    for path in [
        format!("/?{long}"),
        format!("/d/api?{long}"),
        format!("/health?{long}"),
        format!("/api/checks?{long}"),
    ] {
        let (status, _, body) = raw(addr, &get(&path, &host, "")).await;
        assert!(status == 414 || status == 400, "{}: {status}", &path[..12]);
        assert!(
            body.len() < 2048,
            "{}: {} bytes back",
            &path[..12],
            body.len()
        );
    }

    // A mint request the size of a file, or with more ranges or variables
    // than a dialog offers.
    let mint = |body: String| {
        format!(
            "POST /api/embed-tokens HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let huge = format!(
        r#"{{"dashboard":"overview","panel":"request_rate","ranges":["1h"],"vars":[["service","{}"]],"expires":"1d"}}"#,
        "a".repeat(2 * 1024 * 1024)
    );
    let (status, _, body) = raw(addr, &mint(huge)).await;
    assert_eq!(status, 413);
    assert!(body.len() < 1024);
    let many_ranges = format!(
        r#"{{"dashboard":"overview","panel":"request_rate","ranges":[{}],"expires":"1d"}}"#,
        vec![r#""1h""#; 50].join(",")
    );
    let (status, _, body) = raw(addr, &mint(many_ranges)).await;
    assert_eq!(status, 400, "{body}");
    let many_vars = format!(
        r#"{{"dashboard":"overview","panel":"request_rate","ranges":["1h"],"vars":[{}],"expires":"1d"}}"#,
        (0..200)
            .map(|i| format!(r#"["service","s{i}"]"#))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (status, _, body) = raw(addr, &mint(many_vars)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.len() < 1024);
}

/// Opens a stream at `path` and returns the socket (kept open) once its
/// status line came, with that status.
async fn open_stream(addr: SocketAddr, path: &str) -> (u16, String, TcpStream) {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut byte))
            .await
            .expect("a status line")
            .unwrap();
        assert_eq!(n, 1, "closed before its head");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head, socket)
}

async fn refusals(addr: SocketAddr, limit: &str) -> f64 {
    let (_, _, body) = raw(addr, &get("/metrics", "127.0.0.1", "")).await;
    body.lines()
        .find_map(|l| {
            l.strip_prefix(&format!(
                "vantage_limit_refusals_total{{limit=\"{limit}\"}} "
            ))
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn one_client_holds_only_its_share_of_streams() {
    let addr = serve(
        Config {
            max_streams_per_client: 2,
            ..config()
        },
        LIMITS,
    )
    .await;
    let (a, _, first) = open_stream(addr, "/api/stream?view=health").await;
    let (b, _, _second) = open_stream(addr, "/api/stream?view=alerts").await;
    assert_eq!((a, b), (200, 200));
    let (status, head, _) = open_stream(addr, "/api/stream?view=health").await;
    assert_eq!(status, 429);
    assert_eq!(header(&head, "retry-after"), Some("5"));
    assert_eq!(refusals(addr, "streams_per_client").await, 1.0);
    // A stream that ends gives its share back.
    drop(first);
    let mut admitted = false;
    for _ in 0..50 {
        let (status, _, _third) = open_stream(addr, "/api/stream?view=health").await;
        if status == 200 {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(admitted, "the freed share was never given back");
}

#[tokio::test]
async fn past_the_watched_views_limit_a_new_view_gets_503_and_a_known_one_joins() {
    let addr = serve(
        Config {
            max_watched_views: 1,
            ..config()
        },
        LIMITS,
    )
    .await;
    let (status, _, _first) = open_stream(addr, "/api/stream?dashboard=overview&range=15m").await;
    assert_eq!(status, 200);
    let (status, _, _same) = open_stream(addr, "/api/stream?dashboard=overview&range=15m").await;
    assert_eq!(status, 200, "a view being refreshed is joined");
    let (status, head, socket) = open_stream(addr, "/api/stream?dashboard=overview&range=1h").await;
    assert_eq!(status, 503);
    assert_eq!(header(&head, "retry-after"), Some("5"));
    drop(socket);
    assert_eq!(refusals(addr, "watched_views").await, 1.0);
}

#[tokio::test]
async fn queries_past_the_concurrency_limit_wait_their_turn_instead_of_piling_on() {
    // A Prometheus that accepts and never answers (a stall a real one does
    // not produce on demand): how many connections it holds open, and how
    // many it was ever sent.
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let stalled = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", stalled.local_addr().unwrap());
    let (open, reached) = (
        std::sync::Arc::new(AtomicUsize::new(0)),
        std::sync::Arc::new(AtomicUsize::new(0)),
    );
    tokio::spawn({
        let (open, reached) = (open.clone(), reached.clone());
        async move {
            while let Ok((mut socket, _)) = stalled.accept().await {
                reached.fetch_add(1, SeqCst);
                open.fetch_add(1, SeqCst);
                let open = open.clone();
                tokio::spawn(async move {
                    // Read until the client gives up and closes.
                    let mut buf = [0u8; 1024];
                    while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
                    open.fetch_sub(1, SeqCst);
                });
            }
        }
    });
    let client =
        vantage::prometheus::PrometheusClient::new(url.parse().unwrap(), Duration::from_secs(1))
            .unwrap()
            .with_max_concurrency(2);
    let started = tokio::time::Instant::now();
    let asks: Vec<_> = (0..6)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.query(&format!("up + {i}"), None).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(reached.load(SeqCst), 2, "two sent in the first 0.9 s");
    assert_eq!(open.load(SeqCst), 2, "two sent");
    let load = client.queue_load();
    assert_eq!(
        (load.in_flight, load.waiting),
        (2, 4),
        "four waiting their turn"
    );
    let mut busy = 0;
    for ask in asks {
        match ask.await.unwrap() {
            Err(vantage::prometheus::PrometheusError::Busy { limit: 2, .. }) => busy += 1,
            Err(vantage::prometheus::PrometheusError::Timeout(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    // Waiting counts against each query's one deadline: all six ended
    // within about one timeout, those whose turn never came (or came as the
    // deadline passed) without being sent.
    assert!(
        started.elapsed() < Duration::from_millis(1600),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(client.queue_load().waited_out, busy as u64);
}

#[tokio::test]
async fn a_client_past_its_rate_gets_429_with_when_to_come_back() {
    let addr = serve(
        Config {
            rate_limit_per_second: 1,
            mint_limit_per_minute: 4,
            ..config()
        },
        LIMITS,
    )
    .await;
    // A burst of four seconds' worth (4) passes, and one more if a second
    // went by meanwhile; the rest of a quick ten do not.
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..10 {
        let (status, head, body) = raw(addr, &get("/api/dashboards", "127.0.0.1", "")).await;
        if status == 429 {
            retry_after = header(&head, "retry-after").map(str::to_owned);
            assert!(body.contains("too_many"), "{body}");
        }
        statuses.push(status);
    }
    let passed = statuses.iter().filter(|s| **s == 200).count();
    assert!((4..=5).contains(&passed), "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        10 - passed,
        "{statuses:?}"
    );
    let wait: u64 = retry_after.expect("a Retry-After").parse().unwrap();
    assert_eq!(wait, 1);
    // Pages and probes are not the API's to count.
    let (status, _, _) = raw(addr, &get("/healthz", "127.0.0.1", "")).await;
    assert_eq!(status, 200);
    assert_eq!(refusals(addr, "rate").await, (10 - passed) as f64);

    // Minting: one at once (a quarter of four a minute), then 429.
    let mint = || {
        let body =
            r#"{"dashboard":"overview","panel":"request_rate","ranges":["1h"],"expires":"1d"}"#;
        format!(
            "POST /api/embed-tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let (first, _, body) = raw(addr, &mint()).await;
    assert_eq!(first, 200, "{body}");
    let (second, head, _) = raw(addr, &mint()).await;
    assert_eq!(second, 429);
    assert!(header(&head, "retry-after").is_some());
    assert_eq!(refusals(addr, "mint_rate").await, 1.0);
}
