//! One run of one check: the request, the deadline, and what the answer means.
//!
//! Every address a check connects to passes the guard: the resolved addresses
//! of each host (through our own resolver, so also those of every redirect)
//! and literal IP hosts (which skip resolving) in the URL and every redirect.
//! Link-local and cloud metadata addresses are refused unless allowed.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Instant,
};

use app::model::{CheckResult, ComponentResult, HealthStatus};
use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    redirect, Url,
};

use super::config::{CheckSpec, CheckerSettings};

/// How many redirects a check follows.
const MAX_REDIRECTS: usize = 5;

/// Which addresses checks may reach.
#[derive(Clone, Copy, Debug)]
pub struct AddressGuard {
    pub allow_link_local: bool,
}

impl AddressGuard {
    /// Whether `ip` is off limits: link-local (which holds the metadata service
    /// of most clouds) and the other clouds' metadata addresses, in every
    /// spelling (IPv4-mapped and IPv4-compatible IPv6 included).
    pub fn refuses(&self, ip: IpAddr) -> bool {
        if self.allow_link_local {
            return false;
        }
        match ip {
            IpAddr::V4(v4) => refused_v4(v4),
            IpAddr::V6(v6) => {
                if let Some(v4) = v6.to_ipv4_mapped().or_else(|| v6.to_ipv4()) {
                    if refused_v4(v4) && !v6.is_loopback() {
                        return true;
                    }
                }
                let s = v6.segments();
                // fe80::/10 link-local, and AWS' IPv6 metadata address.
                (s[0] & 0xffc0) == 0xfe80
                    || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
            }
        }
    }

    /// The URL's host, if it is a literal address the guard refuses.
    fn refuses_url(&self, url: &Url) -> bool {
        match url.host() {
            Some(url::Host::Ipv4(v4)) => self.refuses(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => self.refuses(IpAddr::V6(v6)),
            _ => false,
        }
    }
}

fn refused_v4(v4: Ipv4Addr) -> bool {
    v4.is_link_local()
        // Alibaba Cloud's metadata service.
        || v4 == Ipv4Addr::new(100, 100, 100, 200)
        // Nothing to check there, and on Linux it reaches this very host.
        || v4.is_unspecified()
}

/// Resolves names as the system does, then drops refused addresses; a name
/// with nothing left fails, so no connection is ever made to one.
struct GuardedResolver(AddressGuard);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.0;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| !guard.refuses(a.ip()))
                .collect();
            if allowed.is_empty() && !found.is_empty() {
                return Err(Box::new(Forbidden) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the address is not allowed (link-local or cloud metadata)")]
struct Forbidden;

/// Runs checks. One per checker, shared by every check (one connection pool).
pub struct Prober {
    client: reqwest::Client,
    guard: AddressGuard,
    max_body_bytes: usize,
}

impl Prober {
    pub fn new(settings: &CheckerSettings) -> Result<Self, reqwest::Error> {
        let guard = AddressGuard {
            allow_link_local: settings.allow_link_local,
        };
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver(guard)))
            .redirect(redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
                } else if guard.refuses_url(attempt.url()) {
                    attempt.error(Forbidden)
                } else {
                    attempt.follow()
                }
            }))
            // A proxy from the environment would hide where checks really go.
            .no_proxy()
            .user_agent(concat!("vantage-health/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(std::time::Duration::from_secs(30))
            .build()?;
        Ok(Self {
            client,
            guard,
            max_body_bytes: settings.max_body_bytes,
        })
    }

    /// Runs `check` once. Never fails and never outlives its timeout: whatever
    /// goes wrong is a `Down` result that says what.
    pub async fn probe(&self, check: &CheckSpec) -> CheckResult {
        let at_ms = crate::clock::now_ms();
        let started = Instant::now();
        let outcome = if self.guard.refuses_url(&check.url) {
            Err(Forbidden.to_string())
        } else {
            match tokio::time::timeout(check.timeout, self.request(check)).await {
                Ok(answer) => answer,
                Err(_) => Err(format!(
                    "no answer within {:.1} s",
                    check.timeout.as_secs_f64()
                )),
            }
        };
        let elapsed = started.elapsed();
        let response_ms = elapsed.as_secs_f64() * 1000.0;
        let mut result = CheckResult {
            check: check.name.clone(),
            at_ms,
            status: HealthStatus::Down,
            response_ms,
            http_status: None,
            error: None,
            components: Vec::new(),
        };
        match outcome {
            Err(error) => result.error = Some(error),
            Ok(answer) => {
                result.http_status = Some(answer.status);
                result.components = answer.components;
                result.status = judge(check, &answer.verdict, elapsed);
                result.error = match (&answer.verdict, result.status) {
                    (Err(why), _) => Some(why.clone()),
                    (Ok(()), HealthStatus::Down) => Some(format!(
                        "answered in {response_ms:.0} ms, over the {} ms limit",
                        check.down_after.as_millis()
                    )),
                    _ => None,
                };
                // A component that is not up makes an answering service degraded.
                if result.status == HealthStatus::Up
                    && result
                        .components
                        .iter()
                        .any(|c| c.status != HealthStatus::Up)
                {
                    result.status = HealthStatus::Degraded;
                }
            }
        }
        result
    }

    async fn request(&self, check: &CheckSpec) -> Result<Answer, String> {
        let mut request = self.client.request(check.method.clone(), check.url.clone());
        for (k, v) in &check.headers {
            request = request.header(k, v);
        }
        let mut response = request.send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        let mut too_large = false;
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if body.len() + chunk.len() > self.max_body_bytes {
                too_large = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        let verdict = if too_large {
            Err(format!(
                "the answer is larger than {} bytes",
                self.max_body_bytes
            ))
        } else {
            verdict(check, status, json.as_ref())
        };
        Ok(Answer {
            status,
            verdict,
            components: json.as_ref().map(components).unwrap_or_default(),
        })
    }
}

struct Answer {
    status: u16,
    /// Whether the answer is the one expected (status code, conditions).
    verdict: Result<(), String>,
    components: Vec<ComponentResult>,
}

fn verdict(check: &CheckSpec, status: u16, json: Option<&serde_json::Value>) -> Result<(), String> {
    let expected = if check.expect_status.is_empty() {
        (200..300).contains(&status)
    } else {
        check.expect_status.contains(&status)
    };
    if !expected {
        return Err(format!("answered HTTP {status}"));
    }
    for c in &check.conditions {
        let Some(json) = json else {
            return Err("the answer is not JSON".into());
        };
        match json.pointer(&c.pointer) {
            Some(v) if *v == c.equals => {}
            Some(v) => {
                return Err(format!(
                    "{} is {}, not {}",
                    c.pointer,
                    shorten(&v.to_string()),
                    c.equals
                ))
            }
            None => return Err(format!("{} is missing", c.pointer)),
        }
    }
    Ok(())
}

/// UP, DEGRADED or DOWN by the answer and how long it took.
fn judge(
    check: &CheckSpec,
    verdict: &Result<(), String>,
    took: std::time::Duration,
) -> HealthStatus {
    if verdict.is_err() || took > check.down_after {
        HealthStatus::Down
    } else if took > check.degraded_after {
        HealthStatus::Degraded
    } else {
        HealthStatus::Up
    }
}

/// The components of a detailed health answer: `components` (or `checks`)
/// as an object of `{ "name": { "status": "…" } }` or `{ "name": "…" }`.
fn components(json: &serde_json::Value) -> Vec<ComponentResult> {
    let Some(map) = json
        .get("components")
        .or_else(|| json.get("checks"))
        .and_then(|c| c.as_object())
    else {
        return Vec::new();
    };
    map.iter()
        .take(50)
        .filter_map(|(name, v)| {
            let said = v
                .get("status")
                .and_then(|s| s.as_str())
                .or_else(|| v.as_str())?;
            Some(ComponentResult {
                name: shorten(name),
                status: HealthStatus::from_word(said),
                said: shorten(said),
            })
        })
        .collect()
}

/// Text from an answer, cut to a size a card can show.
fn shorten(text: &str) -> String {
    const MAX: usize = 120;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        text.chars().take(MAX).collect::<String>() + "…"
    }
}

/// What went wrong, in words for a person; never the inner error chain
/// with addresses of our own.
fn describe(e: reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        if s.is::<Forbidden>() {
            return Forbidden.to_string();
        }
        source = s.source();
    }
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_redirect() {
        "too many redirects".into()
    } else if e.is_connect() {
        "connection refused or host unreachable".into()
    } else if e.is_body() || e.is_decode() {
        "the answer broke off".into()
    } else {
        "the request failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_link_local_addresses_are_refused_in_every_spelling() {
        let guard = AddressGuard {
            allow_link_local: false,
        };
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://0xA9FEA9FE/",          // hex
            "http://2852039166/",          // one number
            "http://0251.0376.0251.0376/", // octal
            "http://[::ffff:169.254.169.254]/",
            "http://[fe80::1]/",
            "http://[fd00:ec2::254]/",
            "http://100.100.100.200/",
            "http://0.0.0.0:8080/",
        ] {
            let parsed = Url::parse(url).unwrap();
            assert!(guard.refuses_url(&parsed), "{url} must be refused");
        }
        for url in [
            "http://127.0.0.1:8001/health",
            "http://[::1]/",
            "http://10.0.0.5/",
        ] {
            assert!(!guard.refuses_url(&Url::parse(url).unwrap()), "{url}");
        }
        let open = AddressGuard {
            allow_link_local: true,
        };
        assert!(!open.refuses_url(&Url::parse("http://169.254.169.254/").unwrap()));
    }

    #[test]
    fn components_are_read_from_detailed_answers() {
        let json = serde_json::json!({
            "status": "degraded",
            "components": {
                "database": { "status": "healthy", "latency_ms": 3 },
                "data_freshness": { "status": "stale" },
                "cache": "warn"
            }
        });
        let mut c = components(&json);
        c.sort_by(|a, b| a.name.cmp(&b.name));
        let got: Vec<_> = c.iter().map(|c| (c.name.as_str(), c.status)).collect();
        assert_eq!(
            got,
            [
                ("cache", HealthStatus::Degraded),
                ("data_freshness", HealthStatus::Down),
                ("database", HealthStatus::Up)
            ]
        );
    }
}
