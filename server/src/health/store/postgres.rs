//! The shared store: PostgreSQL, for several replicas on one history.
//!
//! The same tables as the SQLite store, in PostgreSQL's types; its schema
//! versions are refinery's (`server/migrations/postgres`), run at open under
//! an advisory lock, so replicas starting together migrate once. Connections
//! come from a deadpool pool with timeouts: a store that does not answer is
//! an error within seconds, never a hang. A committed `record` is durable
//! (PostgreSQL's commit), whichever replica wrote it.
//!
//! The trait's calls block (as the SQLite store's do); the store runs its
//! queries on a small runtime of its own and waits for them, so a call works
//! from the blocking pool or at start-up alike.

use std::{future::Future, time::Duration};

use app::model::{Alert, CheckHistory, CheckResult, HistoryPoint, Transition};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Timeouts};
use tokio_postgres::NoTls;

use super::{
    components_from, components_text, status_code, status_from_code, step_for, uptime, Current,
    HealthStore, Retention, StoreError, HOUR_MS, MINUTE_MS,
};

mod embedded {
    refinery::embed_migrations!("migrations/postgres");
}

/// How long a connection may take to be made, handed out or checked.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections per replica: checks write in batches, pages read.
const POOL_SIZE: usize = 8;
/// The advisory lock replicas take to migrate one at a time.
const MIGRATION_LOCK: i64 = 0x7661_6e74_6167_6501;

pub struct PostgresStore {
    pool: Pool,
    /// `Some` until dropped (a runtime must not be dropped inside another).
    runtime: Option<tokio::runtime::Runtime>,
    /// The URL without its password, for messages.
    shown: String,
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Failed(e.to_string())
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and brings its
    /// schema to this version.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let shown = Self::shown(url);
        let open_error = |reason: String| StoreError::Open {
            path: shown.clone(),
            reason,
        };
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| open_error(format!("not a PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("vantage");
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("vantage-store")
            .enable_all()
            .build()
            .map_err(|e| open_error(e.to_string()))?;
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .timeouts(Timeouts {
                wait: Some(CONNECT_TIMEOUT),
                create: Some(CONNECT_TIMEOUT),
                recycle: Some(CONNECT_TIMEOUT),
            })
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| open_error(e.to_string()))?;
        let store = Self {
            pool,
            runtime: Some(runtime),
            shown: shown.clone(),
        };
        store
            .run(|pool| async move {
                let mut client = pool.get().await.map_err(failed)?;
                client
                    .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
                    .await
                    .map_err(failed)?;
                let migrated = embedded::migrations::runner()
                    .run_async(&mut **client)
                    .await
                    .map_err(failed);
                client
                    .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
                    .await
                    .map_err(failed)?;
                migrated.map(|_| ())
            })
            .map_err(|e| open_error(e.to_string()))?;
        Ok(store)
    }

    /// A store URL as messages show it: without its password.
    pub fn shown(url: &str) -> String {
        url::Url::parse(url)
            .map(|mut u| {
                let _ = u.set_password(None);
                u.to_string()
            })
            .unwrap_or_else(|_| "(an unreadable store_url)".into())
    }

    /// Runs a query's future on the store's runtime and waits for it.
    fn run<T, F, Fut>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(Pool) -> Fut,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| failed("the store is closed"))?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let future = work(self.pool.clone());
        runtime.spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv()
            .map_err(|_| failed("the store's query was dropped"))?
            .map_err(|e| match e {
                StoreError::Failed(reason) => {
                    StoreError::Failed(format!("{reason} ({})", self.shown))
                }
                other => other,
            })
    }
}

/// Sessions of logged-in people, kept here so every replica knows them
/// (`auth::session`). Records are the session layer's, as JSON.
impl PostgresStore {
    pub fn session_load(&self, id: &str, now_ms: i64) -> Result<Option<String>, StoreError> {
        let id = id.to_string();
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(failed)?;
            Ok(client
                .query_opt(
                    "SELECT record FROM sessions WHERE id = $1 AND expires_ms > $2",
                    &[&id, &now_ms],
                )
                .await
                .map_err(failed)?
                .map(|row| row.get(0)))
        })
    }

    pub fn session_save(&self, id: &str, record: &str, expires_ms: i64) -> Result<(), StoreError> {
        let (id, record) = (id.to_string(), record.to_string());
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(failed)?;
            client
                .execute(
                    "INSERT INTO sessions (id, record, expires_ms) VALUES ($1, $2, $3)
                     ON CONFLICT (id) DO UPDATE SET record = excluded.record,
                       expires_ms = excluded.expires_ms",
                    &[&id, &record, &expires_ms],
                )
                .await
                .map_err(failed)?;
            Ok(())
        })
    }

    pub fn session_delete(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_string();
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(failed)?;
            client
                .execute("DELETE FROM sessions WHERE id = $1", &[&id])
                .await
                .map_err(failed)?;
            Ok(())
        })
    }
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.shown)
            .finish()
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A check's id, made on first sight.
async fn id_of(tx: &deadpool_postgres::Transaction<'_>, name: &str) -> Result<i64, StoreError> {
    let row = tx
        .query_one(
            "INSERT INTO checks (name) VALUES ($1)
             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
            &[&name],
        )
        .await
        .map_err(failed)?;
    Ok(row.get(0))
}

async fn add_to_rollup(
    tx: &deadpool_postgres::Transaction<'_>,
    table: &str,
    id: i64,
    bucket: i64,
    r: &CheckResult,
) -> Result<(), StoreError> {
    let (up, degraded, down): (i64, i64, i64) = match status_code(r.status) {
        0 => (1, 0, 0),
        1 => (0, 1, 0),
        _ => (0, 0, 1),
    };
    let sql = format!(
        "INSERT INTO {table} AS r (check_id, bucket_ms, up, degraded, down, sum_ms, max_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (check_id, bucket_ms) DO UPDATE SET
           up = r.up + excluded.up, degraded = r.degraded + excluded.degraded,
           down = r.down + excluded.down, sum_ms = r.sum_ms + excluded.sum_ms,
           max_ms = greatest(r.max_ms, excluded.max_ms)"
    );
    let statement = tx.prepare_cached(&sql).await.map_err(failed)?;
    tx.execute(
        &statement,
        &[&id, &bucket, &up, &degraded, &down, &r.response_ms],
    )
    .await
    .map_err(failed)?;
    Ok(())
}

fn transition(check: String, at_ms: i64, from: Option<i64>, to: i64) -> Transition {
    Transition {
        check,
        at_ms,
        from: from.map(status_from_code),
        to: status_from_code(to),
    }
}

impl HealthStore for PostgresStore {
    fn record(&self, results: &[CheckResult]) -> Result<Vec<Transition>, StoreError> {
        let results = results.to_vec();
        self.run(|pool| async move {
            let mut client = pool.get().await.map_err(failed)?;
            let tx = client.transaction().await.map_err(failed)?;
            let mut transitions = Vec::new();
            for r in &results {
                let id = id_of(&tx, &r.check).await?;
                let http_status = r.http_status.map(i32::from);
                let insert = tx
                    .prepare_cached(
                        "INSERT INTO results (check_id, at_ms, status, response_ms, http_status, error, components)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .await
                    .map_err(failed)?;
                tx.execute(
                    &insert,
                    &[
                        &id,
                        &r.at_ms,
                        &status_code(r.status),
                        &r.response_ms,
                        &http_status,
                        &r.error,
                        &components_text(r),
                    ],
                )
                .await
                .map_err(failed)?;
                let minute = r.at_ms.div_euclid(MINUTE_MS) * MINUTE_MS;
                add_to_rollup(&tx, "rollup_minute", id, minute, r).await?;
                let hour = r.at_ms.div_euclid(HOUR_MS) * HOUR_MS;
                add_to_rollup(&tx, "rollup_hour", id, hour, r).await?;
                // Locked: another replica's write of this check waits for ours.
                let before: Option<i64> = tx
                    .query_opt(
                        "SELECT status FROM current WHERE check_id = $1 FOR UPDATE",
                        &[&id],
                    )
                    .await
                    .map_err(failed)?
                    .map(|row| row.get(0));
                let now = status_code(r.status);
                if before != Some(now) {
                    tx.execute(
                        "INSERT INTO transitions (check_id, at_ms, from_status, to_status) VALUES ($1, $2, $3, $4)",
                        &[&id, &r.at_ms, &before, &now],
                    )
                    .await
                    .map_err(failed)?;
                    tx.execute(
                        "INSERT INTO current (check_id, status, since_ms, last_at_ms) VALUES ($1, $2, $3, $3)
                         ON CONFLICT (check_id) DO UPDATE SET status = excluded.status,
                           since_ms = excluded.since_ms, last_at_ms = excluded.last_at_ms",
                        &[&id, &now, &r.at_ms],
                    )
                    .await
                    .map_err(failed)?;
                    transitions.push(transition(r.check.clone(), r.at_ms, before, now));
                } else {
                    tx.execute(
                        "UPDATE current SET last_at_ms = $2 WHERE check_id = $1",
                        &[&id, &r.at_ms],
                    )
                    .await
                    .map_err(failed)?;
                }
            }
            tx.commit().await.map_err(failed)?;
            Ok(transitions)
        })
    }

    fn current(&self) -> Result<Vec<Current>, StoreError> {
        self.run(|pool| async move {
            let client = pool.get().await.map_err(failed)?;
            let rows = client
                .query(
                    "SELECT DISTINCT ON (cur.check_id) c.name, cur.since_ms, r.at_ms, r.status,
                            r.response_ms, r.http_status, r.error, r.components
                     FROM current cur
                     JOIN checks c ON c.id = cur.check_id
                     JOIN results r ON r.check_id = cur.check_id AND r.at_ms = cur.last_at_ms
                     ORDER BY cur.check_id",
                    &[],
                )
                .await
                .map_err(failed)?;
            Ok(rows
                .iter()
                .map(|row| Current {
                    since_ms: row.get(1),
                    latest: CheckResult {
                        check: row.get(0),
                        at_ms: row.get(2),
                        status: status_from_code(row.get(3)),
                        response_ms: row.get(4),
                        http_status: row
                            .get::<_, Option<i32>>(5)
                            .and_then(|s| u16::try_from(s).ok()),
                        error: row.get(6),
                        components: components_from(row.get(7)),
                    },
                })
                .collect())
        })
    }

    fn history(&self, check: &str, from_ms: i64, to_ms: i64) -> Result<CheckHistory, StoreError> {
        let check = check.to_string();
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(failed)?;
            let step_ms = step_for(to_ms - from_ms);
            let mut history = CheckHistory {
                check: check.clone(),
                from_ms,
                to_ms,
                step_ms,
                points: Vec::new(),
                transitions: Vec::new(),
                uptime_percent: None,
            };
            let Some(id): Option<i64> = client
                .query_opt("SELECT id FROM checks WHERE name = $1", &[&check])
                .await
                .map_err(failed)?
                .map(|row| row.get(0))
            else {
                return Ok(history);
            };
            if step_ms == 0 {
                let rows = client
                    .query(
                        "SELECT at_ms, status, response_ms FROM results
                         WHERE check_id = $1 AND at_ms >= $2 AND at_ms <= $3 ORDER BY at_ms",
                        &[&id, &from_ms, &to_ms],
                    )
                    .await
                    .map_err(failed)?;
                history.points = rows
                    .iter()
                    .map(|r| {
                        let status: i64 = r.get(1);
                        let ms: f64 = r.get(2);
                        HistoryPoint {
                            at_ms: r.get(0),
                            up: u32::from(status == 0),
                            degraded: u32::from(status == 1),
                            down: u32::from(status == 2),
                            mean_ms: ms,
                            max_ms: ms,
                        }
                    })
                    .collect();
            } else {
                let table = if step_ms == MINUTE_MS {
                    "rollup_minute"
                } else {
                    "rollup_hour"
                };
                let start = from_ms.div_euclid(step_ms) * step_ms;
                let rows = client
                    .query(
                        &format!(
                            "SELECT bucket_ms, up, degraded, down, sum_ms, max_ms FROM {table}
                             WHERE check_id = $1 AND bucket_ms >= $2 AND bucket_ms <= $3 ORDER BY bucket_ms"
                        ),
                        &[&id, &start, &to_ms],
                    )
                    .await
                    .map_err(failed)?;
                history.points = rows
                    .iter()
                    .map(|r| {
                        let count = |i: usize| u32::try_from(r.get::<_, i64>(i)).unwrap_or(0);
                        let (up, degraded, down) = (count(1), count(2), count(3));
                        let runs = f64::from((up + degraded + down).max(1));
                        HistoryPoint {
                            at_ms: r.get(0),
                            up,
                            degraded,
                            down,
                            mean_ms: r.get::<_, f64>(4) / runs,
                            max_ms: r.get(5),
                        }
                    })
                    .collect();
            }
            history.uptime_percent = uptime(&history.points);
            let rows = client
                .query(
                    "SELECT at_ms, from_status, to_status FROM transitions
                     WHERE check_id = $1 AND at_ms >= $2 AND at_ms <= $3 ORDER BY at_ms LIMIT 10000",
                    &[&id, &from_ms, &to_ms],
                )
                .await
                .map_err(failed)?;
            history.transitions = rows
                .iter()
                .map(|r| transition(check.clone(), r.get(0), r.get(1), r.get(2)))
                .collect();
            Ok(history)
        })
    }

    fn transitions_between(
        &self,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Transition>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(failed)?;
            let rows = client
                .query(
                    "SELECT c.name, t.at_ms, t.from_status, t.to_status
                     FROM transitions t JOIN checks c ON c.id = t.check_id
                     WHERE t.at_ms >= $1 AND t.at_ms <= $2 ORDER BY t.at_ms DESC LIMIT $3",
                    &[&from_ms, &to_ms, &limit],
                )
                .await
                .map_err(failed)?;
            let mut found: Vec<Transition> = rows
                .iter()
                .map(|r| transition(r.get(0), r.get(1), r.get(2), r.get(3)))
                .collect();
            found.reverse();
            Ok(found)
        })
    }

    fn prune(&self, now_ms: i64, retention: Retention) -> Result<u64, StoreError> {
        self.run(move |pool| async move {
            let mut client = pool.get().await.map_err(failed)?;
            let tx = client.transaction().await.map_err(failed)?;
            let day = 24 * HOUR_MS;
            let mut removed = 0u64;
            for (sql, days) in [
                ("DELETE FROM results WHERE at_ms < $1", retention.raw_days),
                (
                    "DELETE FROM rollup_minute WHERE bucket_ms < $1",
                    retention.minute_days,
                ),
                (
                    "DELETE FROM rollup_hour WHERE bucket_ms < $1",
                    retention.hour_days,
                ),
                (
                    "DELETE FROM transitions WHERE at_ms < $1",
                    retention.hour_days,
                ),
            ] {
                let cutoff = now_ms - i64::from(days) * day;
                removed += tx.execute(sql, &[&cutoff]).await.map_err(failed)?;
            }
            // Sessions that ended are not history: they go whenever they end.
            tx.execute("DELETE FROM sessions WHERE expires_ms < $1", &[&now_ms])
                .await
                .map_err(failed)?;
            tx.commit().await.map_err(failed)?;
            Ok(removed)
        })
    }

    fn result_count(&self) -> Result<u64, StoreError> {
        self.run(|pool| async move {
            let client = pool.get().await.map_err(failed)?;
            let row = client
                .query_one("SELECT count(*) FROM results", &[])
                .await
                .map_err(failed)?;
            Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
        })
    }

    fn save_alerts(&self, alerts: &[Alert]) -> Result<(), StoreError> {
        let alerts = alerts.to_vec();
        self.run(|pool| async move {
            let mut client = pool.get().await.map_err(failed)?;
            let tx = client.transaction().await.map_err(failed)?;
            for a in &alerts {
                let json = serde_json::to_string(a).map_err(failed)?;
                tx.execute(
                    "INSERT INTO alerts (id, since_ms, ended_ms, alert) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (id) DO UPDATE SET ended_ms = excluded.ended_ms, alert = excluded.alert",
                    &[&a.id, &a.since_ms, &a.ended_ms, &json],
                )
                .await
                .map_err(failed)?;
            }
            tx.commit().await.map_err(failed)
        })
    }

    fn alerts_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Alert>, StoreError> {
        self.alerts_where(
            "SELECT alert FROM alerts WHERE since_ms <= $1 AND (ended_ms IS NULL OR ended_ms >= $2)
             ORDER BY since_ms DESC LIMIT 10000",
            vec![to_ms, from_ms],
        )
    }

    fn firing_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        self.alerts_where("SELECT alert FROM alerts WHERE ended_ms IS NULL", vec![])
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn claim_checks(
        &self,
        replica: &str,
        checks: &[String],
        ttl_ms: i64,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let (replica, checks) = (replica.to_string(), checks.to_vec());
        self.run(move |pool| async move {
            let mut client = pool.get().await.map_err(failed)?;
            let tx = client.transaction().await.map_err(failed)?;
            // The database's clock, not the replicas': theirs may disagree.
            let now: i64 = tx
                .query_one(
                    "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint",
                    &[],
                )
                .await
                .map_err(failed)?
                .get(0);
            tx.execute(
                "INSERT INTO replicas (id, seen_ms) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET seen_ms = excluded.seen_ms",
                &[&replica, &now],
            )
            .await
            .map_err(failed)?;
            tx.execute("DELETE FROM replicas WHERE seen_ms < $1", &[&(now - 10 * ttl_ms)])
                .await
                .map_err(failed)?;
            let live: Vec<String> = tx
                .query(
                    "SELECT id FROM replicas WHERE seen_ms >= $1 ORDER BY id",
                    &[&(now - ttl_ms)],
                )
                .await
                .map_err(failed)?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let wanted: Vec<&String> = checks
                .iter()
                .filter(|c| super::rendezvous_owner(c, &live) == Some(replica.as_str()))
                .collect();
            // Ours to take: free, expired, or ours already.
            let owned: Vec<String> = tx
                .query(
                    "INSERT INTO check_leases AS l (check_name, replica, expires_ms)
                     SELECT unnest($1::text[]), $2, $3
                     ON CONFLICT (check_name) DO UPDATE SET replica = excluded.replica,
                       expires_ms = excluded.expires_ms
                     WHERE l.replica = excluded.replica OR l.expires_ms < $4
                     RETURNING check_name",
                    &[&wanted, &replica, &(now + ttl_ms), &now],
                )
                .await
                .map_err(failed)?
                .iter()
                .map(|r| r.get(0))
                .collect();
            // What another replica should run now is given up at once.
            tx.execute(
                "DELETE FROM check_leases WHERE replica = $1 AND NOT (check_name = ANY($2::text[]))",
                &[&replica, &wanted],
            )
            .await
            .map_err(failed)?;
            tx.commit().await.map_err(failed)?;
            Ok(Some(owned))
        })
    }
}

impl PostgresStore {
    fn alerts_where(&self, sql: &'static str, args: Vec<i64>) -> Result<Vec<Alert>, StoreError> {
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(failed)?;
            let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = args
                .iter()
                .map(|a| a as &(dyn tokio_postgres::types::ToSql + Sync))
                .collect();
            let rows = client.query(sql, &params).await.map_err(failed)?;
            // A row this version cannot read is skipped, not fatal.
            Ok(rows
                .iter()
                .filter_map(|r| serde_json::from_str(r.get::<_, &str>(0)).ok())
                .collect())
        })
    }
}
