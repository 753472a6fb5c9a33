//! The browser bundle and static files (the app's wasm and JS, the script-tag
//! embed, the style sheet, the icon): carried inside the binary, so `vantage`
//! serves complete pages from any folder, or read from a folder (`site_root`)
//! while developing, so a rebuilt bundle is served without rebuilding the server.
//!
//! `scripts/build` writes `target/site` before it compiles the server, which
//! copies it in (in every profile, so a test binary is as self-contained as a
//! release). Release builds leave `.br` and `.gz` copies made at the highest
//! levels beside the files; they are served as they are when the browser
//! takes them.

use std::{
    borrow::Cow,
    path::{Path, PathBuf},
};

use axum::{
    body::Body,
    http::{header, HeaderMap, HeaderValue, Request, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// The files `scripts/build` left in `target/site` when the server was compiled.
#[derive(rust_embed::Embed)]
#[folder = "../target/site"]
// A build without the bundle still compiles (unit tests, clippy); such a
// binary refuses to serve (see `Site::embedded`).
#[allow_missing = true]
struct Bundle;

/// Files a page cannot work without: the hydration script loads the first
/// two, the page links the third.
const REQUIRED: [&str; 3] = ["pkg/vantage.js", "pkg/vantage_bg.wasm", "style/main.css"];

/// Where the static files come from.
#[derive(Clone, Debug)]
pub enum Site {
    /// Inside the binary.
    Embedded,
    /// A folder laid out like `target/site` (the `site_root` setting).
    Folder(PathBuf),
}

/// Why the static files cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(
        "site_root {folder} holds no browser bundle (no {missing}): build one there with \
         scripts/build, or unset site_root to serve the bundle inside the binary"
    )]
    FolderWithoutBundle { folder: PathBuf, missing: String },
    #[error(
        "this vantage binary was built without its browser bundle (no {missing}): build it with \
         scripts/build, or set site_root to a folder that holds one"
    )]
    NotEmbedded { missing: String },
}

impl Site {
    /// The files inside the binary, if it carries a whole bundle.
    pub fn embedded() -> Result<Self, SiteError> {
        match REQUIRED.iter().find(|f| Bundle::get(f).is_none()) {
            Some(missing) => Err(SiteError::NotEmbedded {
                missing: (*missing).to_string(),
            }),
            None => Ok(Site::Embedded),
        }
    }

    /// A development folder, if it holds a whole bundle.
    pub fn folder(folder: &Path) -> Result<Self, SiteError> {
        match REQUIRED.iter().find(|f| !folder.join(f).is_file()) {
            Some(missing) => Err(SiteError::FolderWithoutBundle {
                folder: folder.to_owned(),
                missing: (*missing).to_string(),
            }),
            None => Ok(Site::Folder(folder.to_owned())),
        }
    }

    /// The site a server with this `site_root` setting serves.
    pub fn from_setting(site_root: Option<&Path>) -> Result<Self, SiteError> {
        match site_root {
            Some(folder) => Self::folder(folder),
            None => Self::embedded(),
        }
    }

    /// The file at the request's path, in the encoding the request takes best,
    /// or `None` when there is no such file (the caller answers).
    pub async fn file(&self, uri: &Uri, headers: &HeaderMap) -> Option<Response> {
        match self {
            Site::Embedded => embedded_file(uri.path(), headers),
            Site::Folder(folder) => folder_file(folder, uri, headers).await,
        }
    }
}

async fn folder_file(folder: &Path, uri: &Uri, headers: &HeaderMap) -> Option<Response> {
    let mut copy = Request::get(uri.clone());
    for name in [
        header::ACCEPT_ENCODING,
        header::IF_NONE_MATCH,
        header::IF_MODIFIED_SINCE,
    ] {
        if let Some(value) = headers.get(&name) {
            copy = copy.header(name, value);
        }
    }
    let copy = copy.body(Body::empty()).ok()?;
    let response = ServeDir::new(folder)
        .precompressed_br()
        .precompressed_gzip()
        .oneshot(copy)
        .await
        .ok()?;
    (response.status() != StatusCode::NOT_FOUND).then(|| response.into_response())
}

fn embedded_file(path: &str, headers: &HeaderMap) -> Option<Response> {
    let name = path.strip_prefix('/')?;
    // Compressed copies are served only in place of their file.
    if name.ends_with(".br") || name.ends_with(".gz") {
        return None;
    }
    let plain = Bundle::get(name)?;
    let mime = plain.metadata.mimetype().to_string();
    let (file, encoding) = match preferred_encoding(headers) {
        Some(encoding) => match Bundle::get(&format!("{name}.{}", encoding.suffix())) {
            Some(copy) => (copy, Some(encoding)),
            None => (plain, None),
        },
        None => (plain, None),
    };
    let etag = etag(&file.metadata.sha256_hash());
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = match file.data {
            Cow::Borrowed(bytes) => Body::from(bytes),
            Cow::Owned(bytes) => Body::from(bytes),
        };
        let mut response = Response::new(body);
        if let Ok(value) = HeaderValue::from_str(&mime) {
            response.headers_mut().insert(header::CONTENT_TYPE, value);
        }
        if let Some(encoding) = encoding {
            response.headers_mut().insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_static(encoding.token()),
            );
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // The names carry no hash: browsers keep a copy but ask each time whether
    // it is still current (a 304 costs no body), so an upgrade is seen at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    Some(response)
}

fn etag(hash: &[u8; 32]) -> String {
    format!("\"{}\"", hex::encode(&hash[..16]))
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    fn suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gz",
        }
    }

    fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }
}

/// The precompressed encoding the client weighs highest (brotli on a tie),
/// or none. tower-http weighs `Accept-Encoding` the same way for `ServeDir`,
/// but keeps its parser private, and `ServeDir` reads only from disk.
fn preferred_encoding(headers: &HeaderMap) -> Option<Encoding> {
    let mut best: Option<(Encoding, f32)> = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q=").map(str::parse::<f32>))
                .unwrap_or(Ok(1.0))
                .unwrap_or(0.0);
            let encoding = match coding.as_str() {
                "br" => Encoding::Brotli,
                "gzip" | "x-gzip" => Encoding::Gzip,
                _ => continue,
            };
            if weight <= 0.0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((held, w)) => {
                    weight > w || (weight == w && encoding == Encoding::Brotli && held != encoding)
                }
            };
            if better {
                best = Some((encoding, weight));
            }
        }
    }
    best.map(|(encoding, _)| encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn the_encoding_follows_the_clients_weights() {
        assert_eq!(
            preferred_encoding(&accept("gzip, deflate, br")),
            Some(Encoding::Brotli)
        );
        assert_eq!(
            preferred_encoding(&accept("gzip, deflate")),
            Some(Encoding::Gzip)
        );
        assert_eq!(
            preferred_encoding(&accept("br;q=0.5, gzip")),
            Some(Encoding::Gzip)
        );
        assert_eq!(preferred_encoding(&accept("br;q=0, gzip;q=0")), None);
        assert_eq!(preferred_encoding(&accept("identity")), None);
        assert_eq!(
            preferred_encoding(&accept("GZIP;q=0.8, zstd")),
            Some(Encoding::Gzip)
        );
        assert_eq!(preferred_encoding(&HeaderMap::new()), None);
    }

    #[test]
    fn a_folder_without_a_bundle_is_refused_by_name() {
        let empty = tempfile::tempdir().unwrap();
        let err = Site::folder(empty.path()).unwrap_err().to_string();
        assert!(err.contains("pkg/vantage.js"), "{err}");
        assert!(err.contains(&empty.path().display().to_string()), "{err}");
    }
}
