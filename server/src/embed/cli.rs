//! `vantage token …`: issue, revoke, rotate, from the command line.

use std::collections::BTreeMap;

use app::model::TimeRange;

use super::{keys, EmbedClaims, EmbedKeys};
use crate::{
    config::{Config, TokenCommand},
    dashboards::Dashboards,
};

/// Longest life a token may be given.
const MAX_LIFE_SECONDS: i64 = 366 * 86_400;

/// Runs one token command; what to print, or why it failed.
pub fn run(config: &Config, command: &TokenCommand) -> Result<String, String> {
    let path = config
        .embed_key_file
        .as_deref()
        .ok_or("no embed_key_file is set")?;
    let keys = EmbedKeys::open(path).map_err(|e| e.to_string())?;
    match command {
        TokenCommand::Issue {
            dashboard,
            panel,
            ranges,
            vars,
            expires,
            base_url,
        } => {
            let dashboards =
                Dashboards::load(config.dashboards_dir.clone()).map_err(|e| e.to_string())?;
            let life = parse_life(expires)?;
            let claims = claims_for(&dashboards, dashboard, panel, ranges, vars, life)?;
            let token = keys
                .sign(&claims, super::keys::MintedBy::command_line())
                .map_err(|e| e.to_string())?;
            Ok(describe(&claims, &token, base_url.as_str()))
        }
        TokenCommand::Revoke { id } => {
            keys.revoke(id).map_err(|e| e.to_string())?;
            Ok(format!("revoked {id}"))
        }
        TokenCommand::RotateKey => {
            keys.rotate().map_err(|e| e.to_string())?;
            Ok(format!(
                "new key in {}: every token issued before is no longer valid",
                path.display()
            ))
        }
    }
}

/// Claims for one panel, checked against the dashboards being served: the
/// panel and the variables must exist, the ranges must be valid.
pub fn claims_for(
    dashboards: &Dashboards,
    dashboard: &str,
    panel: &str,
    ranges: &[String],
    vars: &[String],
    life_seconds: i64,
) -> Result<EmbedClaims, String> {
    let board = dashboards
        .get(dashboard)
        .ok_or_else(|| format!("no dashboard {dashboard:?}"))?;
    if board.panel(panel).is_none() {
        let known: Vec<&str> = board.panels.iter().map(|p| p.view.id.as_str()).collect();
        return Err(format!(
            "dashboard {dashboard:?} has no panel {panel:?}; its panels are {}",
            known.join(", ")
        ));
    }
    let mut allowed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for var in vars {
        let (name, value) = var
            .split_once('=')
            .ok_or_else(|| format!("{var:?}: a variable is NAME=VALUE"))?;
        if board.variable(name).is_none() {
            return Err(format!("dashboard {dashboard:?} has no variable {name:?}"));
        }
        crate::query::FilterValues::new(name, vec![value.to_string()])
            .map_err(|e| e.to_string())?;
        allowed
            .entry(name.to_string())
            .or_default()
            .push(value.to_string());
    }
    let ranges = ranges
        .iter()
        .map(|r| parse_range(r))
        .collect::<Result<Vec<_>, _>>()?;
    if ranges.is_empty() {
        return Err("a token needs at least one range".into());
    }
    if !(60..=MAX_LIFE_SECONDS).contains(&life_seconds) {
        return Err("a token lives from 1 minute to 366 days".into());
    }
    Ok(EmbedClaims {
        id: keys::new_token_id(),
        dashboard: dashboard.to_string(),
        panel: panel.to_string(),
        vars: allowed,
        ranges,
        exp: crate::clock::now_seconds() + life_seconds,
    })
}

fn parse_range(text: &str) -> Result<TimeRange, String> {
    let parsed = match text.split_once("..") {
        Some((from, to)) => TimeRange::from_params(None, Some(from), Some(to)),
        None => TimeRange::from_params(Some(text), None, None),
    };
    parsed.map_err(|e| format!("{text:?}: {e}"))
}

/// `30d`, `12h`, `90m`, `3600s` (or `1d 12h`) in whole seconds.
pub fn parse_life(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?}: a duration is a number and s, m, h or d (e.g. 30d)");
    let life = humantime::parse_duration(text.trim()).map_err(|_| bad())?;
    i64::try_from(life.as_secs())
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(bad)
}

fn describe(claims: &EmbedClaims, token: &str, base: &str) -> String {
    let base = base.trim_end_matches('/');
    let path = format!("{base}/embed/{}/{}", claims.dashboard, claims.panel);
    let expires = chrono::DateTime::<chrono::Utc>::from_timestamp(claims.exp, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    format!(
        "token id: {id} (expires {expires}; revoke with `vantage token revoke {id}`)\n\
         token:    {token}\n\
         live:     {path}?token={token}\n\
         svg:      {path}.svg?token={token}\n\
         png:      {path}.png?token={token}\n\
         iframe:   <iframe src=\"{path}?token={token}\" width=\"800\" height=\"360\" style=\"border:0\" title=\"{title}\"></iframe>",
        id = claims.id,
        title = claims.panel,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lives_and_ranges_parse() {
        assert_eq!(parse_life("30d"), Ok(30 * 86_400));
        assert_eq!(parse_life("90m"), Ok(5_400));
        assert_eq!(parse_life("1d 12h"), Ok(129_600));
        for bad in ["", "d", "30", "-1d", "0s", "forever", "99999999999999999d"] {
            assert!(parse_life(bad).is_err(), "{bad:?}");
        }
        assert!(parse_range("6h").is_ok());
        assert!(parse_range("1700000000..1700003600").is_ok());
        assert!(parse_range("1700003600..1700000000").is_err());
    }

    #[test]
    fn claims_name_only_what_exists() {
        let dashboards = Dashboards::load(None).unwrap();
        let one = |vars: &[&str]| {
            let vars: Vec<String> = vars.iter().map(|s| s.to_string()).collect();
            claims_for(
                &dashboards,
                "overview",
                "request_rate",
                &["1h".into()],
                &vars,
                3600,
            )
        };
        let c = one(&["service=api-gateway", "service=payments"]).unwrap();
        assert_eq!(c.vars["service"], ["api-gateway", "payments"]);
        assert!(one(&["nope=x"]).is_err());
        assert!(one(&["service"]).is_err());
        assert!(claims_for(&dashboards, "overview", "nope", &["1h".into()], &[], 3600).is_err());
        assert!(claims_for(&dashboards, "nope", "x", &["1h".into()], &[], 3600).is_err());
        assert!(claims_for(
            &dashboards,
            "overview",
            "request_rate",
            &["1h".into()],
            &[],
            10
        )
        .is_err());
    }
}
