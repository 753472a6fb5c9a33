//! Settings: defaults, then a TOML file (`--config`), then `VANTAGE_*` variables
//! and flags. `vantage --help` lists every setting.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Parser;
use reqwest::Url;
use serde::Deserialize;

#[derive(Debug, Parser)]
#[command(
    name = "vantage",
    version,
    about = "Monitoring dashboards for microservices on Prometheus."
)]
pub struct Cli {
    /// A TOML file with settings; flags and VANTAGE_* variables override it.
    /// Paths in it are relative to its folder.
    #[arg(long, env = "VANTAGE_CONFIG", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub overrides: Overrides,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Checks dashboard files without serving: the built-in ones, those in
    /// dashboards_dir, and any FILES given; and the checks file, if set.
    /// Exits 1 if any has a mistake.
    Check {
        #[arg(value_name = "FILES")]
        files: Vec<PathBuf>,
    },
    /// Embed tokens: issue one for a panel, revoke one, or rotate the key
    /// (which ends every token issued so far).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Local users in the users file (users_file): add one, or remove one.
    #[command(subcommand)]
    User(UserCommand),
    /// Imports dashboards made for other tools as dashboard files.
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Grafana dashboard JSON files (schema 14 to 41) as Vantage dashboard
    /// files in DIR, one each, and a report of what came over, what changed
    /// and what did not. Exits 1 if a file is not a Grafana dashboard.
    Grafana {
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        /// The folder to write the dashboard files into (made if missing;
        /// a file of the same name is replaced)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The report's form
        #[arg(long, value_enum, default_value = "text")]
        report: ReportFormat,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Adds a user, or gives an existing one a new role and password. The
    /// password is read from standard input (one line), never from the
    /// command line, where other users of the machine could read it.
    Add {
        name: String,
        #[arg(long, value_name = "ROLE", default_value = "viewer")]
        role: app::model::Role,
        /// Read the password from standard input (required)
        #[arg(long)]
        password_stdin: bool,
    },
    /// Removes a user; their sessions end at their next request.
    Remove { name: String },
}

#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Prints a token for one panel and the URLs that use it.
    Issue {
        /// The dashboard's id, e.g. overview
        dashboard: String,
        /// The panel's id, e.g. request_rate
        panel: String,
        /// A range the embed may show (15m, 1h, 6h, 24h, 7d, or FROM..TO in
        /// Unix seconds); repeat to allow several, the first is the default
        #[arg(long = "range", value_name = "RANGE", default_value = "1h")]
        ranges: Vec<String>,
        /// A variable value the embed shows (NAME=VALUE); repeat for several
        /// values. Variables not given cannot be set by the embed.
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// How long the token lives: a number and s, m, h or d
        #[arg(long, default_value = "30d", value_name = "DURATION")]
        expires: String,
        /// Vantage's public address, for the printed URLs
        #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:3000")]
        base_url: Url,
    },
    /// Revokes one token by its id (printed when it was issued).
    Revoke { id: String },
    /// Makes a new signing key: every token issued so far stops working.
    RotateKey,
}

/// Every setting as an optional flag or environment variable.
#[derive(Debug, Default, clap::Args)]
pub struct Overrides {
    /// Address to serve on [default: 127.0.0.1:3000]
    #[arg(long, global = true, env = "VANTAGE_LISTEN", value_name = "ADDR", value_parser = parse_listen)]
    pub listen: Option<SocketAddr>,

    /// Base URL of Prometheus or another engine with its HTTP API [default: http://127.0.0.1:9090]
    #[arg(long, global = true, env = "VANTAGE_PROMETHEUS_URL", value_name = "URL", value_parser = parse_url)]
    pub prometheus_url: Option<Url>,

    /// A folder with the browser bundle and static files to serve instead of
    /// the ones inside the binary (for development: scripts/build writes
    /// target/site)
    #[arg(long, global = true, env = "VANTAGE_SITE_ROOT", value_name = "DIR")]
    pub site_root: Option<PathBuf>,

    /// How often watched panels refresh, in seconds [default: 5]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_REFRESH_SECONDS",
        value_name = "SECONDS"
    )]
    pub refresh_seconds: Option<u64>,

    /// A folder of dashboard files (*.toml) to serve besides the built-in ones;
    /// changes are picked up without a restart
    #[arg(
        long,
        global = true,
        env = "VANTAGE_DASHBOARDS_DIR",
        value_name = "DIR"
    )]
    pub dashboards_dir: Option<PathBuf>,

    /// Deadline for one query to Prometheus, in seconds [default: 10]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_QUERY_TIMEOUT_SECONDS",
        value_name = "SECONDS"
    )]
    pub query_timeout_seconds: Option<u64>,

    /// A TOML file of health checks (see docs/health.md); changes are picked
    /// up without a restart
    #[arg(long, global = true, env = "VANTAGE_CHECKS_FILE", value_name = "FILE")]
    pub checks_file: Option<PathBuf>,

    /// The health store's database file [default: vantage-health.sqlite next
    /// to the --config file, or in the working directory]
    #[arg(long, global = true, env = "VANTAGE_STORE_PATH", value_name = "FILE")]
    pub store_path: Option<PathBuf>,

    /// A PostgreSQL health store shared by several replicas
    /// (postgres://user:password@host:5432/db) instead of the SQLite file
    #[arg(long, global = true, env = "VANTAGE_STORE_URL", value_name = "URL")]
    pub store_url: Option<String>,

    /// Alertmanager to send health alerts to (its v2 API)
    #[arg(long, global = true, env = "VANTAGE_ALERTMANAGER_URL", value_name = "URL", value_parser = parse_url)]
    pub alertmanager_url: Option<Url>,

    /// A URL that gets every health alert as JSON (firing and resolved)
    #[arg(long, global = true, env = "VANTAGE_ALERT_WEBHOOK_URL", value_name = "URL", value_parser = parse_url)]
    pub alert_webhook_url: Option<Url>,

    /// The key that signs embed tokens (made on first start if missing)
    /// [default: vantage-embed.key next to the --config file, or in the
    /// working directory]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_EMBED_KEY_FILE",
        value_name = "FILE"
    )]
    pub embed_key_file: Option<PathBuf>,

    /// Origins allowed to frame embeds and call them across origins, e.g.
    /// https://portal.example.com (repeat, or comma-separated in the variable)
    #[arg(
        long,
        global = true,
        env = "VANTAGE_EMBED_ORIGINS",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    pub embed_origins: Vec<String>,

    /// How logs are written: text, or json (one object a line)
    #[arg(long, global = true, env = "VANTAGE_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,

    /// The label that names a service, e.g. service or app [default: found
    /// from Prometheus: service, else service_name, else job]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_SERVICE_LABEL",
        value_name = "LABEL"
    )]
    pub service_label: Option<String>,

    /// The URL people reach Vantage by, e.g. https://vantage.example.com
    /// (repeat, or comma-separated in the variable); requests naming another
    /// host get 421. Loopback names are always accepted. Needed to listen
    /// beyond loopback.
    #[arg(long, global = true, env = "VANTAGE_PUBLIC_URL", value_name = "URL", value_delimiter = ',', value_parser = parse_url)]
    pub public_url: Vec<Url>,

    /// Reverse proxies whose X-Request-Id is kept: addresses or networks such
    /// as 10.0.0.0/8 (repeat, or comma-separated in the variable)
    #[arg(long, global = true, env = "VANTAGE_TRUSTED_PROXIES", value_name = "NET", value_delimiter = ',', value_parser = parse_net)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Most connections open at once; more wait until one closes [default: 4096]
    #[arg(long, global = true, env = "VANTAGE_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,

    /// Seconds a client has to send a request's headers, and that an idle
    /// connection is kept open [default: 15]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_HEADER_READ_TIMEOUT_SECONDS",
        value_name = "SECONDS"
    )]
    pub header_read_timeout_seconds: Option<u64>,

    /// Most queries in flight to Prometheus at once; more wait their turn
    /// (up to query_timeout_seconds) [default: 16]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_PROMETHEUS_MAX_CONCURRENCY",
        value_name = "N"
    )]
    pub prometheus_max_concurrency: Option<usize>,

    /// API, image and embed-data requests one client address may make a
    /// second, with bursts of four seconds' worth [default: 50]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_RATE_LIMIT_PER_SECOND",
        value_name = "N"
    )]
    pub rate_limit_per_second: Option<u32>,

    /// Embed tokens one client address may mint a minute [default: 20]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_MINT_LIMIT_PER_MINUTE",
        value_name = "N"
    )]
    pub mint_limit_per_minute: Option<u32>,

    /// Most streams one client address may hold open [default: 32]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_MAX_STREAMS_PER_CLIENT",
        value_name = "N"
    )]
    pub max_streams_per_client: Option<usize>,

    /// Most distinct views (dashboard, range, filter) refreshed for streams
    /// at once; a stream for one more gets 503 [default: 256]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_MAX_WATCHED_VIEWS",
        value_name = "N"
    )]
    pub max_watched_views: Option<usize>,

    /// Whether a dashboard's stream sends only what changed in a panel after
    /// the first whole one (false: every panel whole, every refresh)
    /// [default: true]
    #[arg(long, global = true, env = "VANTAGE_STREAM_DELTAS", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub stream_deltas: Option<bool>,

    /// A TOML file of local users with password hashes, written by
    /// `vantage user add` (see docs/security.md)
    #[arg(long, global = true, env = "VANTAGE_USERS_FILE", value_name = "FILE")]
    pub users_file: Option<PathBuf>,

    /// Lets anyone who reaches Vantage view dashboards without logging in
    /// (as a viewer), e.g. a TV wall on a closed network
    #[arg(long, global = true, env = "VANTAGE_ANONYMOUS_VIEWING", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub anonymous_viewing: Option<bool>,

    /// The header in which a reverse proxy in trusted_proxies names the
    /// logged-in user, e.g. X-Forwarded-User
    #[arg(
        long,
        global = true,
        env = "VANTAGE_PROXY_USER_HEADER",
        value_name = "HEADER"
    )]
    pub proxy_user_header: Option<String>,

    /// The header in which that proxy lists the user's groups, separated by
    /// commas, e.g. X-Forwarded-Groups
    #[arg(
        long,
        global = true,
        env = "VANTAGE_PROXY_GROUPS_HEADER",
        value_name = "HEADER"
    )]
    pub proxy_groups_header: Option<String>,

    /// Groups whose members are editors (repeat, or comma-separated)
    #[arg(
        long,
        global = true,
        env = "VANTAGE_EDITOR_GROUPS",
        value_name = "GROUP",
        value_delimiter = ','
    )]
    pub editor_groups: Vec<String>,

    /// Groups whose members are admins (repeat, or comma-separated)
    #[arg(
        long,
        global = true,
        env = "VANTAGE_ADMIN_GROUPS",
        value_name = "GROUP",
        value_delimiter = ','
    )]
    pub admin_groups: Vec<String>,

    /// Minutes without a request after which a session ends [default: 720]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_SESSION_IDLE_MINUTES",
        value_name = "MINUTES"
    )]
    pub session_idle_minutes: Option<u64>,

    /// Hours after a login at which its session ends, used or not [default: 168]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_SESSION_MAX_HOURS",
        value_name = "HOURS"
    )]
    pub session_max_hours: Option<u64>,

    /// Password logins one client address may try a minute [default: 10]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_LOGIN_ATTEMPTS_PER_MINUTE",
        value_name = "N"
    )]
    pub login_attempts_per_minute: Option<u32>,

    /// An OpenID Connect provider to log in with (its issuer URL, e.g.
    /// https://login.example.com/realms/team); discovery finds the rest
    #[arg(long, global = true, env = "VANTAGE_OPENID_ISSUER", value_name = "URL", value_parser = parse_url)]
    pub openid_issuer: Option<Url>,

    /// Vantage's client id at that provider
    #[arg(
        long,
        global = true,
        env = "VANTAGE_OPENID_CLIENT_ID",
        value_name = "ID"
    )]
    pub openid_client_id: Option<String>,

    /// A file holding the client secret (none: a public client, PKCE only)
    #[arg(
        long,
        global = true,
        env = "VANTAGE_OPENID_CLIENT_SECRET_FILE",
        value_name = "FILE"
    )]
    pub openid_client_secret_file: Option<PathBuf>,

    /// The provider's name on the login button [default: single sign-on]
    #[arg(long, global = true, env = "VANTAGE_OPENID_NAME", value_name = "NAME")]
    pub openid_name: Option<String>,

    /// The claim that lists a user's groups, for editor_groups and
    /// admin_groups [default: groups]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_OPENID_ROLES_CLAIM",
        value_name = "CLAIM"
    )]
    pub openid_roles_claim: Option<String>,

    /// Scopes asked for besides openid (repeat, or comma-separated)
    /// [default: profile,email]
    #[arg(
        long,
        global = true,
        env = "VANTAGE_OPENID_SCOPES",
        value_name = "SCOPE",
        value_delimiter = ','
    )]
    pub openid_scopes: Vec<String>,

    /// A file holding the bearer token that /metrics asks for (without
    /// one, /metrics is open, like /healthz)
    #[arg(
        long,
        global = true,
        env = "VANTAGE_METRICS_TOKEN_FILE",
        value_name = "FILE"
    )]
    pub metrics_token_file: Option<PathBuf>,

    /// Which built-in dashboards to show: true (all), false (none), or a
    /// comma-separated list such as overview,system [default: true]
    #[arg(long, global = true, env = "VANTAGE_BUILTIN_DASHBOARDS", value_name = "WHICH", value_parser = parse_builtin_dashboards)]
    pub builtin_dashboards: Option<BuiltinDashboards>,
}

/// Which built-in dashboards are shown (`Dashboards::load_with` refuses an
/// id that is not one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BuiltinDashboards {
    #[default]
    All,
    /// These ids, in the built-ins' order.
    Only(Vec<String>),
}

impl BuiltinDashboards {
    pub fn keeps(&self, id: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(ids) => ids.iter().any(|i| i == id),
        }
    }
}

/// `true`, `false` or ids separated by commas.
pub fn parse_builtin_dashboards(text: &str) -> Result<BuiltinDashboards, String> {
    match text.trim() {
        "true" => Ok(BuiltinDashboards::All),
        "false" | "" => Ok(BuiltinDashboards::Only(Vec::new())),
        list => Ok(BuiltinDashboards::Only(
            list.split(',').map(|s| s.trim().to_string()).collect(),
        )),
    }
}

impl<'de> Deserialize<'de> for BuiltinDashboards {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Flag(bool),
            Ids(Vec<String>),
        }
        let written = Written::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "builtin_dashboards is true, false or a list of ids such as [\"overview\", \"system\"]",
            )
        })?;
        Ok(match written {
            Written::Flag(true) => Self::All,
            Written::Flag(false) => Self::Only(Vec::new()),
            Written::Ids(ids) => Self::Only(ids),
        })
    }
}

/// The settings in force.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    #[serde(deserialize_with = "listen_from_text")]
    pub listen: SocketAddr,
    #[serde(deserialize_with = "url_from_text")]
    pub prometheus_url: Url,
    /// A development folder with the browser bundle; `None` serves the one
    /// inside the binary.
    pub site_root: Option<PathBuf>,
    pub refresh_seconds: u64,
    pub query_timeout_seconds: u64,
    pub dashboards_dir: Option<PathBuf>,
    pub checks_file: Option<PathBuf>,
    /// Where the health store lives; `None` keeps it in memory (tests). The
    /// command line always sets one.
    pub store_path: Option<PathBuf>,
    /// A PostgreSQL store shared by replicas; when set, `store_path` is not used.
    pub store_url: Option<String>,
    #[serde(deserialize_with = "optional_url_from_text")]
    pub alertmanager_url: Option<Url>,
    #[serde(deserialize_with = "optional_url_from_text")]
    pub alert_webhook_url: Option<Url>,
    /// The embed signing key's file; `None` keeps a key in memory (tests).
    /// The command line always sets one.
    pub embed_key_file: Option<PathBuf>,
    /// Origins that may frame embeds (`frame-ancestors`) and read them (CORS).
    pub embed_origins: Vec<String>,
    pub log_format: LogFormat,
    /// The label that names a service; `None`: found from Prometheus.
    pub service_label: Option<String>,
    pub builtin_dashboards: BuiltinDashboards,
    /// Where Vantage is reached (its `Host` names); loopback names always are.
    #[serde(deserialize_with = "urls_from_text")]
    pub public_url: Vec<Url>,
    /// Proxies whose `X-Request-Id` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub max_connections: usize,
    pub header_read_timeout_seconds: u64,
    pub prometheus_max_concurrency: usize,
    pub max_streams_per_client: usize,
    pub max_watched_views: usize,
    pub stream_deltas: bool,
    pub rate_limit_per_second: u32,
    pub mint_limit_per_minute: u32,
    /// Local users (`vantage user add`); `None`: no password logins.
    pub users_file: Option<PathBuf>,
    /// Anyone may view, as a viewer, without logging in.
    pub anonymous_viewing: bool,
    /// The header a trusted proxy names the user in; `None`: no proxy logins.
    pub proxy_user_header: Option<String>,
    pub proxy_groups_header: Option<String>,
    pub editor_groups: Vec<String>,
    pub admin_groups: Vec<String>,
    pub session_idle_minutes: u64,
    pub session_max_hours: u64,
    pub login_attempts_per_minute: u32,
    /// The bearer token `/metrics` asks for; `None`: open.
    pub metrics_token_file: Option<PathBuf>,
    /// An OpenID Connect provider; `None`: no OpenID logins.
    #[serde(deserialize_with = "optional_url_from_text")]
    pub openid_issuer: Option<Url>,
    pub openid_client_id: Option<String>,
    pub openid_client_secret_file: Option<PathBuf>,
    pub openid_name: String,
    pub openid_roles_claim: String,
    pub openid_scopes: Vec<String>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people: one line an event (coloured only on a terminal).
    #[default]
    Text,
    /// For log shippers: one JSON object a line.
    Json,
}

/// `127.0.0.1:3000`, `[::1]:3000` or `localhost:3000` (a name is resolved
/// once, at start).
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let mut addrs = std::net::ToSocketAddrs::to_socket_addrs(text).map_err(|e| {
        format!("{text:?} is not an address to listen on (HOST:PORT, e.g. 127.0.0.1:3000): {e}")
    })?;
    addrs
        .next()
        .ok_or_else(|| format!("{text:?} resolves to no address"))
}

/// An http(s) URL, told in words when the scheme is missing (the URL crate
/// says "relative URL without a base").
pub fn parse_url(text: &str) -> Result<Url, String> {
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        // `localhost:9090` parses as the scheme "localhost".
        Ok(_) | Err(url::ParseError::RelativeUrlWithoutBase) if !text.contains("://") => Err(
            format!("{text:?} has no scheme: write it as http://{text} or https://{text}"),
        ),
        Ok(url) => Err(format!(
            "{text:?} must be an http or https URL, not {:?}",
            url.scheme()
        )),
        Err(e) => Err(format!("{text:?} is not a URL: {e}")),
    }
}

fn listen_from_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    parse_listen(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn url_from_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    parse_url(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// `10.0.0.0/8`, or one address (`10.0.0.7`, a network of one).
pub fn parse_net(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text:?} is not an address or a network (10.0.0.7, 10.0.0.0/8)"))
}

/// One URL or a list of them.
fn urls_from_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Url>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        One(String),
        Many(Vec<String>),
    }
    let texts = match Written::deserialize(d)? {
        Written::One(t) => vec![t],
        Written::Many(ts) => ts,
    };
    texts
        .iter()
        .map(|t| parse_url(t).map_err(serde::de::Error::custom))
        .collect()
}

fn optional_url_from_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Url>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(text) => parse_url(&text).map(Some).map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

/// The health store's file name when no path is given.
pub const DEFAULT_STORE_FILE: &str = "vantage-health.sqlite";
/// The embed key's file name when no path is given.
pub const DEFAULT_EMBED_KEY_FILE: &str = "vantage-embed.key";

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            prometheus_url: Url::parse("http://127.0.0.1:9090").expect("a valid constant URL"),
            site_root: None,
            refresh_seconds: 5,
            query_timeout_seconds: 10,
            dashboards_dir: None,
            checks_file: None,
            store_path: None,
            store_url: None,
            alertmanager_url: None,
            alert_webhook_url: None,
            embed_key_file: None,
            embed_origins: Vec::new(),
            log_format: LogFormat::Text,
            service_label: None,
            builtin_dashboards: BuiltinDashboards::All,
            public_url: Vec::new(),
            trusted_proxies: Vec::new(),
            max_connections: 4096,
            header_read_timeout_seconds: 15,
            prometheus_max_concurrency: crate::prometheus::DEFAULT_MAX_CONCURRENCY,
            max_streams_per_client: 32,
            max_watched_views: 256,
            stream_deltas: true,
            rate_limit_per_second: 50,
            mint_limit_per_minute: 20,
            users_file: None,
            anonymous_viewing: false,
            proxy_user_header: None,
            proxy_groups_header: None,
            editor_groups: Vec::new(),
            admin_groups: Vec::new(),
            session_idle_minutes: 720,
            session_max_hours: 168,
            login_attempts_per_minute: 10,
            metrics_token_file: None,
            openid_issuer: None,
            openid_client_id: None,
            openid_client_secret_file: None,
            openid_name: "single sign-on".into(),
            openid_roles_claim: "groups".into(),
            openid_scopes: vec!["profile".into(), "email".into()],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Settings from the file named on the command line (if any) and the overrides.
    pub fn load(cli: &Cli) -> Result<Self, ConfigError> {
        let base = match &cli.config {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        let mut config = base.with_overrides(&cli.overrides);
        let folder = cli
            .config
            .as_deref()
            .and_then(|c| c.parent())
            .map(PathBuf::from)
            .unwrap_or_default();
        if config.store_path.is_none() {
            config.store_path = Some(folder.join(DEFAULT_STORE_FILE));
        }
        if config.embed_key_file.is_none() {
            config.embed_key_file = Some(folder.join(DEFAULT_EMBED_KEY_FILE));
        }
        config.validated()
    }

    /// Settings from a file; its relative paths are taken from its folder, so
    /// the file means the same whichever folder Vantage starts in.
    pub fn from_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config: Self = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let folder = path.parent().unwrap_or(std::path::Path::new(""));
        let within = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = folder.join(&*p);
            }
        };
        for p in [
            config.site_root.as_mut(),
            config.dashboards_dir.as_mut(),
            config.checks_file.as_mut(),
            config.store_path.as_mut(),
            config.embed_key_file.as_mut(),
            config.users_file.as_mut(),
            config.metrics_token_file.as_mut(),
            config.openid_client_secret_file.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            within(p);
        }
        Ok(config)
    }

    pub fn with_overrides(mut self, o: &Overrides) -> Self {
        if let Some(v) = o.listen {
            self.listen = v;
        }
        if let Some(v) = &o.prometheus_url {
            self.prometheus_url = v.clone();
        }
        if let Some(v) = &o.site_root {
            self.site_root = Some(v.clone());
        }
        if let Some(v) = o.refresh_seconds {
            self.refresh_seconds = v;
        }
        if let Some(v) = &o.dashboards_dir {
            self.dashboards_dir = Some(v.clone());
        }
        if let Some(v) = o.query_timeout_seconds {
            self.query_timeout_seconds = v;
        }
        if let Some(v) = &o.checks_file {
            self.checks_file = Some(v.clone());
        }
        if let Some(v) = &o.store_path {
            self.store_path = Some(v.clone());
        }
        if let Some(v) = &o.store_url {
            self.store_url = Some(v.clone());
        }
        if let Some(v) = &o.alertmanager_url {
            self.alertmanager_url = Some(v.clone());
        }
        if let Some(v) = &o.alert_webhook_url {
            self.alert_webhook_url = Some(v.clone());
        }
        if let Some(v) = &o.embed_key_file {
            self.embed_key_file = Some(v.clone());
        }
        if !o.embed_origins.is_empty() {
            self.embed_origins = o.embed_origins.clone();
        }
        if let Some(v) = o.log_format {
            self.log_format = v;
        }
        if let Some(v) = &o.service_label {
            self.service_label = Some(v.clone());
        }
        if let Some(v) = &o.builtin_dashboards {
            self.builtin_dashboards = v.clone();
        }
        if !o.public_url.is_empty() {
            self.public_url = o.public_url.clone();
        }
        if !o.trusted_proxies.is_empty() {
            self.trusted_proxies = o.trusted_proxies.clone();
        }
        if let Some(v) = o.max_connections {
            self.max_connections = v;
        }
        if let Some(v) = o.header_read_timeout_seconds {
            self.header_read_timeout_seconds = v;
        }
        if let Some(v) = o.prometheus_max_concurrency {
            self.prometheus_max_concurrency = v;
        }
        if let Some(v) = o.max_streams_per_client {
            self.max_streams_per_client = v;
        }
        if let Some(v) = o.max_watched_views {
            self.max_watched_views = v;
        }
        if let Some(v) = o.stream_deltas {
            self.stream_deltas = v;
        }
        if let Some(v) = o.rate_limit_per_second {
            self.rate_limit_per_second = v;
        }
        if let Some(v) = o.mint_limit_per_minute {
            self.mint_limit_per_minute = v;
        }
        if let Some(v) = &o.users_file {
            self.users_file = Some(v.clone());
        }
        if let Some(v) = o.anonymous_viewing {
            self.anonymous_viewing = v;
        }
        if let Some(v) = &o.proxy_user_header {
            self.proxy_user_header = Some(v.clone());
        }
        if let Some(v) = &o.proxy_groups_header {
            self.proxy_groups_header = Some(v.clone());
        }
        if !o.editor_groups.is_empty() {
            self.editor_groups = o.editor_groups.clone();
        }
        if !o.admin_groups.is_empty() {
            self.admin_groups = o.admin_groups.clone();
        }
        if let Some(v) = o.session_idle_minutes {
            self.session_idle_minutes = v;
        }
        if let Some(v) = o.session_max_hours {
            self.session_max_hours = v;
        }
        if let Some(v) = o.login_attempts_per_minute {
            self.login_attempts_per_minute = v;
        }
        if let Some(v) = &o.metrics_token_file {
            self.metrics_token_file = Some(v.clone());
        }
        if let Some(v) = &o.openid_issuer {
            self.openid_issuer = Some(v.clone());
        }
        if let Some(v) = &o.openid_client_id {
            self.openid_client_id = Some(v.clone());
        }
        if let Some(v) = &o.openid_client_secret_file {
            self.openid_client_secret_file = Some(v.clone());
        }
        if let Some(v) = &o.openid_name {
            self.openid_name = v.clone();
        }
        if let Some(v) = &o.openid_roles_claim {
            self.openid_roles_claim = v.clone();
        }
        if !o.openid_scopes.is_empty() {
            self.openid_scopes = o.openid_scopes.clone();
        }
        self
    }

    fn validated(self) -> Result<Self, ConfigError> {
        if !matches!(self.prometheus_url.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid(format!(
                "prometheus_url must be http or https, not {:?}",
                self.prometheus_url.scheme()
            )));
        }
        for (key, url) in [
            ("alertmanager_url", &self.alertmanager_url),
            ("alert_webhook_url", &self.alert_webhook_url),
        ] {
            if let Some(url) = url {
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(ConfigError::Invalid(format!(
                        "{key} must be http or https, not {:?}",
                        url.scheme()
                    )));
                }
            }
        }
        if let Some(bad) = self.embed_origins.iter().find(|o| !valid_origin(o)) {
            return Err(ConfigError::Invalid(format!(
                "embed_origins: {bad:?} is not an origin (scheme://host[:port], no path)"
            )));
        }
        if let Some(label) = &self.service_label {
            if !crate::prometheus::is_label_name(label) || label.starts_with("__") {
                return Err(ConfigError::Invalid(format!(
                    "service_label: {label:?} is not a label name (letters, digits and _, not starting with a digit)"
                )));
            }
        }
        if let Some(bad) = self
            .public_url
            .iter()
            .find(|u| !matches!(u.scheme(), "http" | "https") || u.host_str().is_none())
        {
            return Err(ConfigError::Invalid(format!(
                "public_url: {bad} is not an http or https URL with a host"
            )));
        }
        if !self.listen.ip().is_loopback() && self.public_url.is_empty() {
            return Err(ConfigError::Invalid(format!(
                "listen = {} reaches beyond this machine, so Vantage must know the name people use: \
                 set public_url (e.g. --public-url https://vantage.example.com). Requests naming \
                 any other host are refused, so a hostile page cannot rebind a name to this server.",
                self.listen
            )));
        }
        for (key, header) in [
            ("proxy_user_header", &self.proxy_user_header),
            ("proxy_groups_header", &self.proxy_groups_header),
        ] {
            if let Some(header) = header {
                if axum::http::HeaderName::try_from(header.as_str()).is_err() {
                    return Err(ConfigError::Invalid(format!(
                        "{key}: {header:?} is not a header name"
                    )));
                }
            }
        }
        if self.openid_issuer.is_some() && self.openid_client_id.is_none() {
            return Err(ConfigError::Invalid(
                "openid_issuer is set, so openid_client_id must be too (Vantage's client id at the provider)"
                    .into(),
            ));
        }
        if self.proxy_user_header.is_some() && self.trusted_proxies.is_empty() {
            return Err(ConfigError::Invalid(
                "proxy_user_header is believed only from trusted_proxies: set them to the \
                 proxy's addresses (e.g. --trusted-proxies 10.0.0.7), or anyone could name \
                 themselves in that header"
                    .into(),
            ));
        }
        if !self.listen.ip().is_loopback() && !self.login_configured() && !self.anonymous_viewing {
            return Err(ConfigError::Invalid(format!(
                "listen = {} reaches beyond this machine, and no login is configured: anyone \
                 who reaches it would read every dashboard and share panels. Choose one: \
                 users_file (local users, `vantage user add NAME --role admin --password-stdin`), \
                 openid_issuer with openid_client_id (an OpenID Connect provider), \
                 proxy_user_header with trusted_proxies (a reverse proxy that logs people in), \
                 or anonymous_viewing = true (anyone may view; no one may share panels). \
                 See docs/security.md.",
                self.listen
            )));
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            return Err(ConfigError::Invalid(
                "max_connections must be between 1 and 1000000".into(),
            ));
        }
        for (key, value) in [
            (
                "prometheus_max_concurrency",
                self.prometheus_max_concurrency,
            ),
            ("max_streams_per_client", self.max_streams_per_client),
            ("max_watched_views", self.max_watched_views),
            ("rate_limit_per_second", self.rate_limit_per_second as usize),
            ("mint_limit_per_minute", self.mint_limit_per_minute as usize),
            (
                "login_attempts_per_minute",
                self.login_attempts_per_minute as usize,
            ),
        ] {
            if !(1..=100_000).contains(&value) {
                return Err(ConfigError::Invalid(format!(
                    "{key} must be between 1 and 100000"
                )));
            }
        }
        if !(1..=525_600).contains(&self.session_idle_minutes) {
            return Err(ConfigError::Invalid(
                "session_idle_minutes must be between 1 and 525600 (a year)".into(),
            ));
        }
        if !(1..=8_760).contains(&self.session_max_hours) {
            return Err(ConfigError::Invalid(
                "session_max_hours must be between 1 and 8760 (a year)".into(),
            ));
        }
        if !(1..=600).contains(&self.header_read_timeout_seconds) {
            return Err(ConfigError::Invalid(
                "header_read_timeout_seconds must be between 1 and 600".into(),
            ));
        }
        if !(1..=3600).contains(&self.refresh_seconds) {
            return Err(ConfigError::Invalid(
                "refresh_seconds must be between 1 and 3600".into(),
            ));
        }
        if !(1..=300).contains(&self.query_timeout_seconds) {
            return Err(ConfigError::Invalid(
                "query_timeout_seconds must be between 1 and 300".into(),
            ));
        }
        Ok(self)
    }

    /// Whether some way of logging in is set (a users file, a trusted proxy).
    pub fn login_configured(&self) -> bool {
        self.users_file.is_some()
            || self.proxy_user_header.is_some()
            || self.openid_issuer.is_some()
    }

    pub fn refresh_interval(&self) -> Duration {
        Duration::from_secs(self.refresh_seconds)
    }

    pub fn query_timeout(&self) -> Duration {
        Duration::from_secs(self.query_timeout_seconds)
    }
}

/// Checks an allowed origin as configured: `scheme://host[:port]`, nothing else
/// (a path or a wildcard would make the frame and CORS rules mean something
/// other than what they say).
pub fn valid_origin(origin: &str) -> bool {
    let Ok(url) = url::Url::parse(origin) else {
        return false;
    };
    matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.origin().ascii_serialization() == origin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("vantage").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn no_arguments_give_the_public_defaults() {
        let c = Config::load(&cli(&[])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(c.prometheus_url.as_str(), "http://127.0.0.1:9090/");
    }

    #[test]
    fn flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:4000\"\nrefresh_seconds = 7\n").unwrap();
        let c = Config::load(&cli(&[
            "--config",
            path.to_str().unwrap(),
            "--listen",
            "127.0.0.1:5000",
        ]))
        .unwrap();
        assert_eq!(c.listen.port(), 5000);
        assert_eq!(c.refresh_seconds, 7);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.toml");
        std::fs::write(&path, "refresh_secnds = 7\n").unwrap();
        let err = Config::load(&cli(&["--config", path.to_str().unwrap()]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("refresh_secnds"), "{err}");

        let err = Config::load(&cli(&["--refresh-seconds", "0"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("refresh_seconds"), "{err}");
        let err = Cli::try_parse_from(["vantage", "--prometheus-url", "file:///etc/passwd"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("http or https"), "{err}");
    }

    #[test]
    fn paths_in_a_file_are_relative_to_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        std::fs::create_dir(&etc).unwrap();
        let path = etc.join("v.toml");
        std::fs::write(
            &path,
            "dashboards_dir = \"boards\"\nchecks_file = \"checks.toml\"\n\
             store_path = \"../state/health.sqlite\"\nembed_key_file = \"/abs/embed.key\"\n\
             site_root = \"site\"\n",
        )
        .unwrap();
        let c = Config::load(&cli(&["--config", path.to_str().unwrap()])).unwrap();
        assert_eq!(c.dashboards_dir, Some(etc.join("boards")));
        assert_eq!(c.checks_file, Some(etc.join("checks.toml")));
        assert_eq!(c.store_path, Some(etc.join("../state/health.sqlite")));
        assert_eq!(c.embed_key_file, Some(PathBuf::from("/abs/embed.key")));
        assert_eq!(c.site_root, Some(etc.join("site")));
        // Flags and variables are the caller's own: relative to where it runs.
        let c = Config::load(&cli(&[
            "--config",
            path.to_str().unwrap(),
            "--checks-file",
            "here.toml",
        ]))
        .unwrap();
        assert_eq!(c.checks_file, Some(PathBuf::from("here.toml")));
        // Defaults sit beside the file.
        std::fs::write(&path, "").unwrap();
        let c = Config::load(&cli(&["--config", path.to_str().unwrap()])).unwrap();
        assert_eq!(c.store_path, Some(etc.join(DEFAULT_STORE_FILE)));
        assert_eq!(c.embed_key_file, Some(etc.join(DEFAULT_EMBED_KEY_FILE)));
    }

    #[test]
    fn addresses_and_urls_are_read_as_people_write_them() {
        let c = Config::load(&cli(&["--listen", "localhost:3000"])).unwrap();
        assert!(c.listen.ip().is_loopback(), "{}", c.listen);
        assert_eq!(c.listen.port(), 3000);
        for (flag, value) in [
            ("--prometheus-url", "127.0.0.1:9090"),
            ("--prometheus-url", "prometheus.internal:9090"),
            ("--alertmanager-url", "127.0.0.1:9093"),
        ] {
            let err = Cli::try_parse_from(["vantage", flag, value])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("has no scheme") && err.contains(&format!("http://{value}")),
                "{err}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.toml");
        std::fs::write(&path, "prometheus_url = \"127.0.0.1:9090\"\n").unwrap();
        let err = Config::load(&cli(&["--config", path.to_str().unwrap()]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no scheme"), "{err}");
        std::fs::write(
            &path,
            "listen = \"localhost:4000\"\nlog_format = \"json\"\n",
        )
        .unwrap();
        let c = Config::load(&cli(&["--config", path.to_str().unwrap()])).unwrap();
        assert_eq!(c.listen.port(), 4000);
        assert_eq!(c.log_format, LogFormat::Json);
        assert!(Cli::try_parse_from(["vantage", "--listen", "no such host:1"]).is_err());
    }

    #[test]
    fn setting_flags_work_after_a_subcommand_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.toml");
        std::fs::write(&path, "refresh_seconds = 7\n").unwrap();
        let parsed = cli(&[
            "token",
            "revoke",
            "abc",
            "--config",
            path.to_str().unwrap(),
            "--embed-key-file",
            "/tmp/k.key",
        ]);
        assert!(matches!(
            parsed.command,
            Some(Command::Token(TokenCommand::Revoke { .. }))
        ));
        let c = Config::load(&parsed).unwrap();
        assert_eq!(c.refresh_seconds, 7);
        assert_eq!(c.embed_key_file, Some(PathBuf::from("/tmp/k.key")));
        let c = Config::load(&cli(&["check", "--dashboards-dir", "/srv/boards"])).unwrap();
        assert_eq!(c.dashboards_dir, Some(PathBuf::from("/srv/boards")));
    }

    #[test]
    fn a_missing_file_says_which() {
        let err = Config::load(&cli(&["--config", "/nonexistent/v.toml"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/v.toml"), "{err}");
    }

    #[test]
    fn origins_are_exact() {
        assert!(valid_origin("https://portal.example.com"));
        assert!(valid_origin("http://127.0.0.1:8080"));
        for bad in [
            "*",
            "https://portal.example.com/",
            "https://portal.example.com/wiki",
            "portal.example.com",
            "javascript:alert(1)",
            "https://a.example.com; script-src *",
        ] {
            assert!(!valid_origin(bad), "{bad:?}");
        }
    }
}
