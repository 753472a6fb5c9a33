//! Bad input, as an attacker on the network sends it, against one Vantage
//! with logins on (local users) and `/metrics` behind a token: names it is
//! not reached by, missing and forged sessions, requests from other sites,
//! forged and stretched embed tokens, query injection and traversal,
//! oversized inputs and slow clients. Every case says the status that must
//! come back, and every answer is checked for what must never leak: the
//! data source's address, query text, file paths, hashes, a panic, a session
//! handed to someone who did not log in, or the test's own secrets.
//!
//! Raw HTTP/1.1 over a socket, so a case can say exactly what a client
//! sends (any Host, any bytes).

use std::{net::SocketAddr, path::Path, time::Duration};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use vantage::{config::Config, edge::listener::Limits, router, AppState};

/// Nothing listens here: its address must never reach a client.
const NO_PROMETHEUS: &str = "http://127.0.0.1:9";
const METRICS_TOKEN: &str = "metrics-token-for-the-bad-input-suite";
const PASSWORD: &str = "ana's long password";

/// Never in any answer.
const LEAKS: &[&str] = &[
    "127.0.0.1:9/",
    "127.0.0.1:9\"",
    "argon2",
    "password_hash",
    PASSWORD,
    METRICS_TOKEN,
    "panicked",
    "users.toml",
    "/tmp/",
    "sum(rate(",
    "histogram_quantile",
    "<script>alert",
];

struct Suite {
    addr: SocketAddr,
    host: String,
    session: String,
    viewer: String,
    token: String,
    expired: String,
    _dir: tempfile::TempDir,
}

async fn raw(addr: SocketAddr, request: &[u8]) -> (u16, String, String) {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn request(method: &str, path: &str, host: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        text.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    text.push_str("\r\n");
    text.push_str(body);
    text.into_bytes()
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn add_user(users: &Path, name: &str, role: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vantage"))
        .arg("--users-file")
        .arg(users)
        .args(["user", "add", name, "--role", role, "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(child.wait().unwrap().success());
}

async fn suite() -> Suite {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    add_user(&users, "ana", "editor");
    add_user(&users, "bo", "viewer");
    let token_file = dir.path().join("metrics.token");
    std::fs::write(&token_file, METRICS_TOKEN).unwrap();
    let state = AppState::new(Config {
        prometheus_url: NO_PROMETHEUS.parse().unwrap(),
        users_file: Some(users),
        metrics_token_file: Some(token_file),
        login_attempts_per_minute: 10_000,
        rate_limit_per_second: 10_000,
        mint_limit_per_minute: 10_000,
        ..Config::default()
    })
    .unwrap();
    let claims = |exp: i64| {
        let mut claims = vantage::embed::cli::claims_for(
            &state.dashboards,
            "overview",
            "request_rate",
            &["1h".to_string()],
            &[],
            3600,
        )
        .unwrap();
        if exp != 0 {
            claims.exp = exp;
        }
        claims
    };
    let by = vantage::embed::keys::MintedBy::command_line;
    let token = state.embeds.issue(&claims(0), by()).unwrap();
    let expired = state
        .embeds
        .issue(&claims(vantage::clock::now_seconds() - 60), by())
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(vantage::edge::listener::serve(
        listener,
        router(state),
        Limits {
            max_connections: 256,
            header_read_timeout: Duration::from_secs(1),
        },
        std::future::pending(),
    ));
    let host = format!("127.0.0.1:{}", addr.port());
    let log_in = |name: &str| {
        request(
            "POST",
            "/auth/login",
            &host,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &form(&[("name", name), ("password", PASSWORD)]),
        )
    };
    let cookie = |head: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix("set-cookie: vantage_session="))
            .map(|v| format!("vantage_session={}", v.split(';').next().unwrap()))
            .expect("a session")
    };
    let (_, head, _) = raw(addr, &log_in("ana")).await;
    let session = cookie(&head);
    let (_, head, _) = raw(addr, &log_in("bo")).await;
    let viewer = cookie(&head);
    Suite {
        addr,
        host,
        session,
        viewer,
        token,
        expired,
        _dir: dir,
    }
}

/// One case: what is sent, the status that must come back, and words its
/// answer must not hold (besides [`LEAKS`]).
struct Case {
    name: &'static str,
    sent: Vec<u8>,
    status: u16,
    absent: Vec<String>,
}

fn case(name: &'static str, sent: Vec<u8>, status: u16) -> Case {
    Case {
        name,
        sent,
        status,
        absent: Vec::new(),
    }
}

impl Case {
    fn without(mut self, words: &[&str]) -> Self {
        self.absent.extend(words.iter().map(|w| w.to_string()));
        self
    }
}

fn cases(s: &Suite) -> Vec<Case> {
    let h = s.host.as_str();
    let get = |path: &str, headers: &[(&str, &str)]| request("GET", path, h, headers, "");
    let signed = |path: &str| request("GET", path, h, &[("Cookie", s.session.as_str())], "");
    let post_json = |path: &str, headers: &[(&str, &str)], body: &str| {
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        request("POST", path, h, &all, body)
    };
    let mint = r#"{"dashboard":"overview","panel":"request_rate","ranges":["1h"],"expires":"1d"}"#;
    let login = |pairs: &[(&str, &str)], headers: &[(&str, &str)]| {
        let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        request("POST", "/auth/login", h, &all, &form(pairs))
    };
    let token = s.token.as_str();
    let mut forged = s.token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let embed = |q: &str| get(&format!("/embed/overview/request_rate/data?{q}"), &[]);
    let big = "x".repeat(9 * 1024);
    let a_session = [s.session.as_str()];
    let mut all = vec![
        // Names the server is not reached by (DNS rebinding).
        case("host: another name", request("GET", "/api/checks", "rebind.attacker.example:3000", &[("Cookie", s.session.as_str())], ""), 421).without(&a_session),
        case("host: a page under another name", request("GET", "/", "rebind.attacker.example", &[], ""), 421),
        case("host: a login under another name", request("POST", "/auth/login", "attacker.example", &[("Content-Type", "application/x-www-form-urlencoded")], &form(&[("name", "ana"), ("password", PASSWORD)])), 421).without(&["vantage_session"]),
        case("host: a loopback name as a suffix", request("GET", "/api/checks", "127.0.0.1.attacker.example", &[], ""), 421),
        case("host: localhost as a prefix", request("GET", "/api/checks", "localhost.attacker.example", &[], ""), 421),
        case("host: userinfo before a loopback name", request("GET", "/api/checks", "127.0.0.1@attacker.example", &[], ""), 421),
        // No name is no rebound name (not a browser): the login still holds.
        case("host: none at all", b"GET /api/checks HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec(), 401),
        case("host: two of them", b"GET /api/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n".to_vec(), 400),

        // Nobody signed in, or a session that is not one.
        case("login: the API without a session", get("/api/checks", &[]), 401),
        case("login: the stream without a session", get("/api/stream?dashboard=overview", &[]), 401),
        case("login: a page without a session", get("/d/overview", &[]), 303).without(&["Request rate"]),
        case("login: the health page without a session", get("/health", &[]), 303),
        case("login: a forged session id", get("/api/checks", &[("Cookie", "vantage_session=AAAAAAAAAAAAAAAAAAAAAA")]), 401),
        case("login: a session cookie of garbage", get("/api/checks", &[("Cookie", "vantage_session=%00%ff<script>")]), 401),
        case("login: a huge session cookie", get("/api/checks", &[("Cookie", &format!("vantage_session={}", "A".repeat(6000)))]), 401),
        case("login: a proxy's header sent by a client", get("/api/checks", &[("X-Forwarded-User", "ana")]), 401),
        case("login: basic credentials the server does not take", get("/api/checks", &[("Authorization", "Basic YW5hOmFuYQ==")]), 401),
        case("login: a wrong password", login(&[("name", "ana"), ("password", "guess")], &[]), 401).without(&["vantage_session="]),
        case("login: a name that does not exist", login(&[("name", "mallory"), ("password", PASSWORD)], &[]), 401).without(&["vantage_session="]),
        case("login: a name with a line break", login(&[("name", "ana\nrole=admin"), ("password", PASSWORD)], &[]), 401).without(&["vantage_session="]),
        case("login: a password of 5000 bytes", login(&[("name", "ana"), ("password", &"p".repeat(5000))], &[]), 401).without(&["vantage_session="]),
        case("login: no fields", login(&[], &[]), 400),
        case("login: JSON instead of a form", post_json("/auth/login", &[], r#"{"name":"ana","password":"x"}"#), 400),
        case("login: a form past 8 KiB", login(&[("name", "ana"), ("password", &big)], &[]), 400),
        case("login: the viewer's session may not mint", post_json("/api/embed-tokens", &[("Cookie", s.viewer.as_str())], mint), 403),
        case("login: the viewer's session may not list tokens", request("GET", "/api/embed-tokens", h, &[("Cookie", s.viewer.as_str())], ""), 403).without(&[token]),
        case("login: metrics without their token", get("/metrics", &[]), 401).without(&["vantage_"]),
        case("login: metrics with a wrong token", get("/metrics", &[("Authorization", "Bearer metrics-token-for-the-bad-input-suit")]), 401).without(&["vantage_"]),
        case("login: metrics with the token without Bearer", get("/metrics", &[("Authorization", METRICS_TOKEN)]), 401),

        // Requests from another site that would change something.
        case("csrf: a login posted by another site", login(&[("name", "ana"), ("password", PASSWORD)], &[("Origin", "http://attacker.example")]), 403).without(&["vantage_session="]),
        case("csrf: a mint from another site", post_json("/api/embed-tokens", &[("Cookie", s.session.as_str()), ("Origin", "http://attacker.example")], mint), 403).without(&["token"]),
        case("csrf: a mint from a sandboxed frame", post_json("/api/embed-tokens", &[("Cookie", s.session.as_str()), ("Origin", "null")], mint), 403),
        case("csrf: a mint from a sibling site", post_json("/api/embed-tokens", &[("Cookie", s.session.as_str()), ("Sec-Fetch-Site", "same-site")], mint), 403),
        case("csrf: a mint from another port", post_json("/api/embed-tokens", &[("Cookie", s.session.as_str()), ("Origin", "http://127.0.0.1:1")], mint), 403),
        case("csrf: a revoke from another site", request("POST", "/api/embed-tokens/abc/revoke", h, &[("Cookie", s.session.as_str()), ("Sec-Fetch-Site", "cross-site")], ""), 403),
        case("csrf: a logout from another site", request("POST", "/auth/logout", h, &[("Cookie", s.session.as_str()), ("Origin", "http://attacker.example")], ""), 403),
        case("csrf: a mint as a simple form (no preflight)", request("POST", "/api/embed-tokens", h, &[("Cookie", s.session.as_str()), ("Content-Type", "text/plain")], mint), 415),
        case("csrf: a mint as an urlencoded form", request("POST", "/api/embed-tokens", h, &[("Cookie", s.session.as_str()), ("Content-Type", "application/x-www-form-urlencoded")], "dashboard=overview"), 415),
        case("csrf: a login that sends the browser away", login(&[("name", "ana"), ("password", PASSWORD), ("next", "//attacker.example/x")], &[]), 303),

        // Embed tokens forged, stretched or spent.
        case("token: none", embed(""), 401),
        case("token: garbage", embed("token=not-a-token"), 401),
        case("token: a signature changed", embed(&format!("token={forged}")), 401),
        case("token: expired", embed(&format!("token={}", s.expired)), 401),
        case("token: for another panel", get(&format!("/embed/overview/error_rate/data?token={token}"), &[]), 403),
        case("token: for another dashboard", get(&format!("/embed/api/request_rate/data?token={token}"), &[]), 403),
        case("token: a range it does not allow", embed(&format!("token={token}&range=7d")), 403),
        case("token: a filter it does not allow", embed(&format!("token={token}&service=checkout")), 403),
        case("token: 5000 characters", embed(&format!("token={}", "A".repeat(5000))), 401),
        case("token: a line break in it", embed(&format!("token={token}%0d%0aX-Injected:%201")), 401),
        case("token: two of them, one forged", embed(&format!("token={token}&token={forged}")), 401),
        case("token: an image wider than allowed", get(&format!("/embed/overview/request_rate.png?token={token}&width=100000"), &[]), 400),
        // Not an image: a panel named so, which the token is not for.
        case("token: an image of a format that is not one", get(&format!("/embed/overview/request_rate.gif?token={token}"), &[]), 403),
        case("token: the page of a panel that does not exist", get(&format!("/embed/overview/nope?token={token}"), &[]), 403),

        // Injection and traversal.
        case("inject: a label value that closes the selector", signed("/api/dashboards/overview/panels/request_rate?service=a%22%7Dor%20vector(1)%23"), 200).without(&["vector(1)"]),
        case("inject: a placeholder as a filter value", signed("/api/dashboards/overview/panels/request_rate?service=%24range"), 200),
        // Read as U+FFFD, a value like any other: no Prometheus text comes back.
        case("inject: a value that is not UTF-8", signed("/api/dashboards/overview/panels/request_rate?service=%ff"), 200),
        case("inject: a key that is no variable", signed("/api/dashboards/overview/panels/request_rate?job=x"), 400),
        case("inject: a range that is no range", signed("/api/dashboards/overview/panels/request_rate?range=1h;drop"), 400),
        case("inject: a from that is no time", signed("/api/dashboards/overview/panels/request_rate?from=abc&to=1"), 400),
        case("inject: a script in a page's filter", signed("/d/overview?service=%3Cscript%3Ealert(1)%3C/script%3E"), 200),
        case("inject: a script in a dashboard id", signed("/api/dashboards/%3Cscript%3Ealert(1)%3C%2Fscript%3E"), 404),
        case("traversal: a dashboard id that climbs", signed("/api/dashboards/..%2F..%2Fetc%2Fpasswd"), 404).without(&["root:"]),
        case("traversal: a static file that climbs", get("/pkg/%2e%2e/%2e%2e/Cargo.toml", &[]), 303).without(&["[package]"]),
        case("traversal: a style file that climbs", get("/style/../../../etc/passwd", &[]), 303).without(&["root:"]),
        case("traversal: a check's history that climbs", signed("/api/checks/..%2F..%2Fetc/history"), 404),
        case("inject: a line break in a redirect", get("/d/x%0d%0aSet-Cookie:%20a=b", &[]), 303).without(&["\r\nSet-Cookie: a=b"]),
        case("inject: a forged request id", get("/healthz", &[("X-Request-Id", "forged id\"")]), 200).without(&["forged id"]),

        // Oversized inputs.
        case("size: a page's query string past 8 KiB", signed(&format!("/d/overview?service={big}")), 414).without(&[&big[..200]]),
        case("size: the API's query string past 8 KiB", signed(&format!("/api/dashboards/overview/panels/request_rate?service={big}")), 400).without(&[&big[..200]]),
        case("size: a mint body past 16 KiB", post_json("/api/embed-tokens", &[("Cookie", s.session.as_str())], &format!(r#"{{"dashboard":"{}"}}"#, "d".repeat(17 * 1024))), 413),
        case("size: a mint with nine ranges", post_json("/api/embed-tokens", &[("Cookie", s.session.as_str())], r#"{"dashboard":"overview","panel":"request_rate","ranges":["1h","1h","1h","1h","1h","1h","1h","1h","1h"],"expires":"1d"}"#), 400),
        case("size: a mint that lives a century", post_json("/api/embed-tokens", &[("Cookie", s.session.as_str())], r#"{"dashboard":"overview","panel":"request_rate","ranges":["1h"],"expires":"36500d"}"#), 400),
        case("size: a mint for a panel that does not exist", post_json("/api/embed-tokens", &[("Cookie", s.session.as_str())], r#"{"dashboard":"overview","panel":"nope","ranges":["1h"],"expires":"1d"}"#), 400),
        case("size: a mint with a field it does not know", post_json("/api/embed-tokens", &[("Cookie", s.session.as_str())], r#"{"dashboard":"overview","panel":"request_rate","ranges":["1h"],"expires":"1d","admin":true}"#), 422),
        case("size: a path of 10 KiB", signed(&format!("/api/dashboards/{}", "d".repeat(10 * 1024))), 404),
        case("size: a header of 70 KiB", get("/healthz", &[("X-Filler", &"f".repeat(70 * 1024))]), 431),
    ];
    all.push(case(
        "inject: a header name with a space",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\nConnection: close\r\n\r\n"
            .to_vec(),
        400,
    ));
    all
}

#[tokio::test]
async fn bad_input_gets_a_clear_refusal_and_leaks_nothing() {
    let s = suite().await;
    let cases = cases(&s);
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let (status, head, body) = raw(s.addr, &case.sent).await;
        let answer = format!("{head}\r\n\r\n{body}");
        if status != case.status {
            failures.push(format!("{}: {status}, not {}", case.name, case.status));
        }
        for word in LEAKS
            .iter()
            .copied()
            .chain(case.absent.iter().map(String::as_str))
        {
            if answer.contains(word) {
                failures.push(format!("{}: the answer holds {word:?}", case.name));
            }
        }
        // A refusal sets no session; a redirect goes nowhere but here.
        if status >= 400
            && header(&head, "set-cookie")
                .is_some_and(|c| c.contains("vantage_session=") && !c.contains("Max-Age=0"))
        {
            failures.push(format!("{}: a refusal set a session", case.name));
        }
        if let Some(to) = header(&head, "location") {
            if !to.starts_with('/') || to.starts_with("//") {
                failures.push(format!("{}: sent the browser to {to}", case.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Clients that hold a connection without finishing a request are closed
/// after the header-read timeout (1 s here), whatever they trickle.
#[tokio::test]
async fn slow_clients_are_closed() {
    let s = suite().await;
    for (name, first) in [
        ("slow: never a byte", &b""[..]),
        ("slow: half a request line", &b"GET /api/chec"[..]),
        (
            "slow: a head without its end",
            &b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"[..],
        ),
    ] {
        let mut socket = TcpStream::connect(s.addr).await.unwrap();
        socket.write_all(first).await.unwrap();
        let mut buf = [0u8; 256];
        let closed = tokio::time::timeout(Duration::from_secs(4), async {
            loop {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => return true,
                    Ok(_) => {}
                }
            }
        })
        .await
        .unwrap_or(false);
        assert!(closed, "{name}: still open after 4 s");
    }
}
