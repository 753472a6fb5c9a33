//! The page's bundle as browsers get it: the copies a release build compressed
//! ahead of time when the browser takes them, compressed on the fly otherwise.

use axum::body::Body;
use http_body_util::BodyExt;
use tower::ServiceExt;
use vantage::{config::Config, router, AppState};

async fn fetch(state: &AppState, path: &str, accept: &str) -> (Option<String>, Vec<u8>) {
    let response = router(state.clone())
        .oneshot(
            axum::http::Request::get(path)
                .header("accept-encoding", accept)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let encoding = response
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_string());
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (encoding, body)
}

#[tokio::test]
async fn the_bundle_is_served_precompressed_when_a_build_left_copies() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let wasm = b"\0asm the bundle, repeated repeated repeated repeated".repeat(200);
    std::fs::write(pkg.join("vantage_bg.wasm"), &wasm).unwrap();
    // Stand-ins whose bytes show which copy was served.
    std::fs::write(pkg.join("vantage_bg.wasm.br"), b"brotli copy").unwrap();
    std::fs::write(pkg.join("vantage_bg.wasm.gz"), b"gzip copy").unwrap();
    std::fs::write(pkg.join("vantage.js"), "export default 1;\n".repeat(200)).unwrap();
    std::fs::create_dir_all(site.path().join("style")).unwrap();
    std::fs::write(site.path().join("style/main.css"), "body {}\n").unwrap();
    let state = AppState::new(Config {
        prometheus_url: "http://127.0.0.1:9".parse().unwrap(),
        site_root: Some(site.path().to_owned()),
        ..Config::default()
    })
    .unwrap();

    let (encoding, body) = fetch(&state, "/pkg/vantage_bg.wasm", "gzip, deflate, br").await;
    assert_eq!(encoding.as_deref(), Some("br"));
    assert_eq!(body, b"brotli copy");
    let (encoding, body) = fetch(&state, "/pkg/vantage_bg.wasm", "gzip").await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert_eq!(body, b"gzip copy");
    let (encoding, body) = fetch(&state, "/pkg/vantage_bg.wasm", "identity").await;
    assert_eq!(encoding, None);
    assert_eq!(body, wasm);
    // No copy (a debug build): compressed on the fly, and it decompresses back.
    let (encoding, body) = fetch(&state, "/pkg/vantage.js", "gzip").await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut text).unwrap();
    assert_eq!(text, "export default 1;\n".repeat(200));
}
