//! The embedded store: one SQLite file in WAL mode. A committed transaction is
//! in the write-ahead log before `record` returns, so killing the process at
//! any moment loses nothing committed, and the next open recovers the log.
//! Writes and reads use separate connections, so pages read while checks write.
//! The in-memory store has one connection for both: SQLite's shared cache, the
//! only way two connections see one in-memory database, answers "locked" at
//! once where a file in WAL mode would let the reader go on.

use std::{
    collections::HashMap,
    path::Path,
    sync::{Mutex, MutexGuard},
};

use app::model::{Alert, CheckHistory, CheckResult, HistoryPoint, Transition};
use rusqlite::{params, Connection, OptionalExtension};

use super::{
    components_from, components_text, status_code, status_from_code, step_for, uptime, Current,
    HealthStore, Retention, StoreError, HOUR_MS, MINUTE_MS,
};

pub struct SqliteStore {
    writer: Mutex<Writer>,
    /// `None`: reads go through the writer's connection (in memory).
    reader: Option<Mutex<Connection>>,
}

/// A connection to read with: the reader's own, or the writer's.
enum ReadGuard<'a> {
    Own(MutexGuard<'a, Connection>),
    Writer(MutexGuard<'a, Writer>),
}

impl std::ops::Deref for ReadGuard<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            ReadGuard::Own(conn) => conn,
            ReadGuard::Writer(writer) => &writer.conn,
        }
    }
}

struct Writer {
    conn: Connection,
    ids: HashMap<String, i64>,
}

/// The store's first schema. Its `IF NOT EXISTS` lets it adopt a store made
/// before the schema had versions (same tables, `user_version` 0).
const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS checks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS results (
    check_id INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    status INTEGER NOT NULL,
    response_ms REAL NOT NULL,
    http_status INTEGER,
    error TEXT,
    components TEXT
);
CREATE INDEX IF NOT EXISTS results_by_check_time ON results (check_id, at_ms);
CREATE TABLE IF NOT EXISTS transitions (
    check_id INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    from_status INTEGER,
    to_status INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS transitions_by_check_time ON transitions (check_id, at_ms);
CREATE INDEX IF NOT EXISTS transitions_by_time ON transitions (at_ms);
CREATE TABLE IF NOT EXISTS rollup_minute (
    check_id INTEGER NOT NULL,
    bucket_ms INTEGER NOT NULL,
    up INTEGER NOT NULL,
    degraded INTEGER NOT NULL,
    down INTEGER NOT NULL,
    sum_ms REAL NOT NULL,
    max_ms REAL NOT NULL,
    PRIMARY KEY (check_id, bucket_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_hour (
    check_id INTEGER NOT NULL,
    bucket_ms INTEGER NOT NULL,
    up INTEGER NOT NULL,
    degraded INTEGER NOT NULL,
    down INTEGER NOT NULL,
    sum_ms REAL NOT NULL,
    max_ms REAL NOT NULL,
    PRIMARY KEY (check_id, bucket_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    since_ms INTEGER NOT NULL,
    ended_ms INTEGER,
    alert TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_by_time ON alerts (since_ms);
CREATE TABLE IF NOT EXISTS current (
    check_id INTEGER PRIMARY KEY,
    status INTEGER NOT NULL,
    since_ms INTEGER NOT NULL,
    last_at_ms INTEGER NOT NULL
);
";

/// The schema's versions in order (`PRAGMA user_version` says which a file
/// has); a change is a new step at the end, never an edit of an old one.
fn migrations() -> rusqlite_migration::Migrations<'static> {
    rusqlite_migration::Migrations::new(vec![rusqlite_migration::M::up(SCHEMA_V1)])
}

fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Failed(e.to_string())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl SqliteStore {
    /// Opens (or creates) the store file, recovering its log after a crash.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_err = |e: rusqlite::Error| StoreError::Open {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut writer = Connection::open(path).map_err(open_err)?;
        // The store is its owner's (the checks' URLs, the alerts): SQLite
        // gives its log files the database's mode, so set it first.
        crate::private_file::keep_to_owner(path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        // WAL: readers never wait for the writer; NORMAL sync is durable
        // against a crashed or killed process (not against power loss, which
        // would cost the last moments, never the file).
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA busy_timeout = 5000;
                 PRAGMA foreign_keys = OFF;",
            )
            .map_err(open_err)?;
        migrations()
            .to_latest(&mut writer)
            .map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                reason: format!("its schema: {e}"),
            })?;
        for suffix in ["-wal", "-shm"] {
            let mut log = path.as_os_str().to_owned();
            log.push(suffix);
            let _ = crate::private_file::keep_to_owner(Path::new(&log));
        }
        let reader = Connection::open(path).map_err(open_err)?;
        reader
            .execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;")
            .map_err(open_err)?;
        Self::with(writer, Some(reader))
    }

    /// A store that lives in memory only (tests, or no file wanted).
    pub fn in_memory() -> Result<Self, StoreError> {
        let mut writer = Connection::open_in_memory().map_err(|e| StoreError::Open {
            path: ":memory:".into(),
            reason: e.to_string(),
        })?;
        migrations()
            .to_latest(&mut writer)
            .map_err(|e| StoreError::Failed(e.to_string()))?;
        Self::with(writer, None)
    }

    fn reading(&self) -> ReadGuard<'_> {
        match &self.reader {
            Some(reader) => ReadGuard::Own(lock(reader)),
            None => ReadGuard::Writer(lock(&self.writer)),
        }
    }

    fn with(writer: Connection, reader: Option<Connection>) -> Result<Self, StoreError> {
        let mut ids = HashMap::new();
        {
            let mut stmt = writer
                .prepare("SELECT name, id FROM checks")
                .map_err(failed)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(failed)?;
            for row in rows {
                let (name, id) = row.map_err(failed)?;
                ids.insert(name, id);
            }
        }
        Ok(Self {
            writer: Mutex::new(Writer { conn: writer, ids }),
            reader: reader.map(Mutex::new),
        })
    }
}

impl Writer {
    fn id_of(
        tx: &rusqlite::Transaction<'_>,
        ids: &mut HashMap<String, i64>,
        name: &str,
    ) -> Result<i64, rusqlite::Error> {
        if let Some(id) = ids.get(name) {
            return Ok(*id);
        }
        tx.execute("INSERT OR IGNORE INTO checks (name) VALUES (?1)", [name])?;
        let id: i64 = tx.query_row("SELECT id FROM checks WHERE name = ?1", [name], |r| {
            r.get(0)
        })?;
        ids.insert(name.to_string(), id);
        Ok(id)
    }
}

fn add_to_rollup(
    tx: &rusqlite::Transaction<'_>,
    table: &str,
    id: i64,
    bucket: i64,
    r: &CheckResult,
) -> Result<(), rusqlite::Error> {
    let (up, degraded, down) = match status_code(r.status) {
        0 => (1, 0, 0),
        1 => (0, 1, 0),
        _ => (0, 0, 1),
    };
    tx.prepare_cached(&format!(
        "INSERT INTO {table} (check_id, bucket_ms, up, degraded, down, sum_ms, max_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT (check_id, bucket_ms) DO UPDATE SET
           up = up + excluded.up, degraded = degraded + excluded.degraded,
           down = down + excluded.down, sum_ms = sum_ms + excluded.sum_ms,
           max_ms = max(max_ms, excluded.max_ms)"
    ))?
    .execute(params![id, bucket, up, degraded, down, r.response_ms])?;
    Ok(())
}

impl HealthStore for SqliteStore {
    fn record(&self, results: &[CheckResult]) -> Result<Vec<Transition>, StoreError> {
        let mut writer = lock(&self.writer);
        let Writer { conn, ids } = &mut *writer;
        let tx = conn.transaction().map_err(failed)?;
        let mut transitions = Vec::new();
        for r in results {
            let id = Writer::id_of(&tx, ids, &r.check).map_err(failed)?;
            let components = components_text(r);
            tx.prepare_cached(
                "INSERT INTO results (check_id, at_ms, status, response_ms, http_status, error, components)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    id,
                    r.at_ms,
                    status_code(r.status),
                    r.response_ms,
                    r.http_status,
                    r.error,
                    components
                ])
            })
            .map_err(failed)?;
            add_to_rollup(
                &tx,
                "rollup_minute",
                id,
                r.at_ms.div_euclid(MINUTE_MS) * MINUTE_MS,
                r,
            )
            .map_err(failed)?;
            add_to_rollup(
                &tx,
                "rollup_hour",
                id,
                r.at_ms.div_euclid(HOUR_MS) * HOUR_MS,
                r,
            )
            .map_err(failed)?;
            let before: Option<i64> = tx
                .prepare_cached("SELECT status FROM current WHERE check_id = ?1")
                .and_then(|mut s| s.query_row([id], |row| row.get(0)).optional())
                .map_err(failed)?;
            let now = status_code(r.status);
            if before != Some(now) {
                tx.prepare_cached(
                    "INSERT INTO transitions (check_id, at_ms, from_status, to_status) VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut s| s.execute(params![id, r.at_ms, before, now]))
                .map_err(failed)?;
                tx.prepare_cached(
                    "INSERT INTO current (check_id, status, since_ms, last_at_ms) VALUES (?1, ?2, ?3, ?3)
                     ON CONFLICT (check_id) DO UPDATE SET status = excluded.status,
                       since_ms = excluded.since_ms, last_at_ms = excluded.last_at_ms",
                )
                .and_then(|mut s| s.execute(params![id, now, r.at_ms]))
                .map_err(failed)?;
                transitions.push(Transition {
                    check: r.check.clone(),
                    at_ms: r.at_ms,
                    from: before.map(status_from_code),
                    to: r.status,
                });
            } else {
                tx.prepare_cached("UPDATE current SET last_at_ms = ?2 WHERE check_id = ?1")
                    .and_then(|mut s| s.execute(params![id, r.at_ms]))
                    .map_err(failed)?;
            }
        }
        tx.commit().map_err(failed)?;
        Ok(transitions)
    }

    fn current(&self) -> Result<Vec<Current>, StoreError> {
        let conn = self.reading();
        let mut stmt = conn
            .prepare(
                "SELECT c.name, cur.since_ms, r.at_ms, r.status, r.response_ms, r.http_status, r.error, r.components
                 FROM current cur
                 JOIN checks c ON c.id = cur.check_id
                 JOIN results r ON r.check_id = cur.check_id AND r.at_ms = cur.last_at_ms
                 GROUP BY cur.check_id",
            )
            .map_err(failed)?;
        let rows = stmt
            .query_map([], |row| {
                Ok(Current {
                    since_ms: row.get(1)?,
                    latest: result_from_row(row.get(0)?, row, 2)?,
                })
            })
            .map_err(failed)?;
        rows.collect::<Result<_, _>>().map_err(failed)
    }

    fn history(&self, check: &str, from_ms: i64, to_ms: i64) -> Result<CheckHistory, StoreError> {
        let conn = self.reading();
        let id: Option<i64> = conn
            .query_row("SELECT id FROM checks WHERE name = ?1", [check], |r| {
                r.get(0)
            })
            .optional()
            .map_err(failed)?;
        let step_ms = step_for(to_ms - from_ms);
        let mut history = CheckHistory {
            check: check.to_string(),
            from_ms,
            to_ms,
            step_ms,
            points: Vec::new(),
            transitions: Vec::new(),
            uptime_percent: None,
        };
        let Some(id) = id else {
            return Ok(history);
        };
        if step_ms == 0 {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT at_ms, status, response_ms FROM results
                     WHERE check_id = ?1 AND at_ms >= ?2 AND at_ms <= ?3 ORDER BY at_ms",
                )
                .map_err(failed)?;
            let rows = stmt
                .query_map(params![id, from_ms, to_ms], |r| {
                    let status: i64 = r.get(1)?;
                    let ms: f64 = r.get(2)?;
                    Ok(HistoryPoint {
                        at_ms: r.get(0)?,
                        up: u32::from(status == 0),
                        degraded: u32::from(status == 1),
                        down: u32::from(status == 2),
                        mean_ms: ms,
                        max_ms: ms,
                    })
                })
                .map_err(failed)?;
            history.points = rows.collect::<Result<_, _>>().map_err(failed)?;
        } else {
            let table = if step_ms == MINUTE_MS {
                "rollup_minute"
            } else {
                "rollup_hour"
            };
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT bucket_ms, up, degraded, down, sum_ms, max_ms FROM {table}
                     WHERE check_id = ?1 AND bucket_ms >= ?2 AND bucket_ms <= ?3 ORDER BY bucket_ms"
                ))
                .map_err(failed)?;
            let start = from_ms.div_euclid(step_ms) * step_ms;
            let rows = stmt
                .query_map(params![id, start, to_ms], |r| {
                    let (up, degraded, down): (u32, u32, u32) = (r.get(1)?, r.get(2)?, r.get(3)?);
                    let runs = f64::from((up + degraded + down).max(1));
                    Ok(HistoryPoint {
                        at_ms: r.get(0)?,
                        up,
                        degraded,
                        down,
                        mean_ms: r.get::<_, f64>(4)? / runs,
                        max_ms: r.get(5)?,
                    })
                })
                .map_err(failed)?;
            history.points = rows.collect::<Result<_, _>>().map_err(failed)?;
        }
        history.uptime_percent = uptime(&history.points);
        let mut stmt = conn
            .prepare_cached(
                "SELECT at_ms, from_status, to_status FROM transitions
                 WHERE check_id = ?1 AND at_ms >= ?2 AND at_ms <= ?3 ORDER BY at_ms LIMIT 10000",
            )
            .map_err(failed)?;
        let rows = stmt
            .query_map(params![id, from_ms, to_ms], |r| {
                Ok(Transition {
                    check: check.to_string(),
                    at_ms: r.get(0)?,
                    from: r.get::<_, Option<i64>>(1)?.map(status_from_code),
                    to: status_from_code(r.get(2)?),
                })
            })
            .map_err(failed)?;
        history.transitions = rows.collect::<Result<_, _>>().map_err(failed)?;
        Ok(history)
    }

    fn transitions_between(
        &self,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Transition>, StoreError> {
        let conn = self.reading();
        let mut stmt = conn
            .prepare_cached(
                "SELECT c.name, t.at_ms, t.from_status, t.to_status
                 FROM transitions t JOIN checks c ON c.id = t.check_id
                 WHERE t.at_ms >= ?1 AND t.at_ms <= ?2 ORDER BY t.at_ms DESC LIMIT ?3",
            )
            .map_err(failed)?;
        let rows = stmt
            .query_map(params![from_ms, to_ms, limit as i64], |r| {
                Ok(Transition {
                    check: r.get(0)?,
                    at_ms: r.get(1)?,
                    from: r.get::<_, Option<i64>>(2)?.map(status_from_code),
                    to: status_from_code(r.get(3)?),
                })
            })
            .map_err(failed)?;
        let mut found: Vec<Transition> = rows.collect::<Result<_, _>>().map_err(failed)?;
        found.reverse();
        Ok(found)
    }

    fn prune(&self, now_ms: i64, retention: Retention) -> Result<u64, StoreError> {
        let day = 24 * HOUR_MS;
        let mut writer = lock(&self.writer);
        let ids: Vec<i64> = writer.ids.values().copied().collect();
        let tx = writer.conn.transaction().map_err(failed)?;
        let mut removed = 0u64;
        // Per check, so every delete walks the (check, time) index.
        for id in ids {
            for (sql, days) in [
                (
                    "DELETE FROM results WHERE check_id = ?1 AND at_ms < ?2",
                    retention.raw_days,
                ),
                (
                    "DELETE FROM rollup_minute WHERE check_id = ?1 AND bucket_ms < ?2",
                    retention.minute_days,
                ),
                (
                    "DELETE FROM rollup_hour WHERE check_id = ?1 AND bucket_ms < ?2",
                    retention.hour_days,
                ),
                (
                    "DELETE FROM transitions WHERE check_id = ?1 AND at_ms < ?2",
                    retention.hour_days,
                ),
            ] {
                let cutoff = now_ms - i64::from(days) * day;
                removed += tx
                    .prepare_cached(sql)
                    .and_then(|mut s| s.execute(params![id, cutoff]))
                    .map_err(failed)? as u64;
            }
        }
        tx.commit().map_err(failed)?;
        Ok(removed)
    }

    fn result_count(&self) -> Result<u64, StoreError> {
        let conn = self.reading();
        conn.query_row("SELECT count(*) FROM results", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(failed)
    }

    fn save_alerts(&self, alerts: &[Alert]) -> Result<(), StoreError> {
        let mut writer = lock(&self.writer);
        let tx = writer.conn.transaction().map_err(failed)?;
        for a in alerts {
            let json = serde_json::to_string(a).map_err(|e| StoreError::Failed(e.to_string()))?;
            tx.prepare_cached(
                "INSERT INTO alerts (id, since_ms, ended_ms, alert) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET ended_ms = excluded.ended_ms, alert = excluded.alert",
            )
            .and_then(|mut s| s.execute(params![a.id, a.since_ms, a.ended_ms, json]))
            .map_err(failed)?;
        }
        tx.commit().map_err(failed)
    }

    fn alerts_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Alert>, StoreError> {
        self.alerts_where(
            "SELECT alert FROM alerts WHERE since_ms <= ?1 AND (ended_ms IS NULL OR ended_ms >= ?2)
             ORDER BY since_ms DESC LIMIT 10000",
            params![to_ms, from_ms],
        )
    }

    fn firing_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        self.alerts_where("SELECT alert FROM alerts WHERE ended_ms IS NULL", params![])
    }
}

impl SqliteStore {
    fn alerts_where(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Alert>, StoreError> {
        let conn = self.reading();
        let mut stmt = conn.prepare_cached(sql).map_err(failed)?;
        let rows = stmt
            .query_map(args, |r| r.get::<_, String>(0))
            .map_err(failed)?;
        let mut out = Vec::new();
        for row in rows {
            // A row this version cannot read is skipped, not fatal.
            if let Ok(alert) = serde_json::from_str(&row.map_err(failed)?) {
                out.push(alert);
            }
        }
        Ok(out)
    }
}

fn result_from_row(
    check: String,
    row: &rusqlite::Row<'_>,
    at: usize,
) -> rusqlite::Result<CheckResult> {
    let components: Option<String> = row.get(at + 5)?;
    Ok(CheckResult {
        check,
        at_ms: row.get(at)?,
        status: status_from_code(row.get(at + 1)?),
        response_ms: row.get(at + 2)?,
        http_status: row.get(at + 3)?,
        error: row.get(at + 4)?,
        components: components_from(components),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::health::store::conformance::{self, result};
    use app::model::HealthStatus;

    /// What every store does (the PostgreSQL store is put through the same).
    #[test]
    fn it_does_what_every_store_does() {
        let dir = tempfile::tempdir().unwrap();
        let n = std::sync::atomic::AtomicUsize::new(0);
        conformance::all(&|| {
            let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Arc::new(SqliteStore::open(&dir.path().join(format!("h{i}.sqlite"))).unwrap())
        });
        // In memory too: readers and the writer share one database there.
        conformance::all(&|| Arc::new(SqliteStore::in_memory().unwrap()));
    }

    #[cfg(unix)]
    #[test]
    fn its_files_are_its_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("h.sqlite")).unwrap();
        store
            .record(&[result("auth", 1, HealthStatus::Up, 1.0)])
            .unwrap();
        for name in ["h.sqlite", "h.sqlite-wal", "h.sqlite-shm"] {
            let mode = std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name} is its owner's only");
        }
    }

    #[test]
    fn a_store_from_before_schema_versions_is_adopted_and_a_newer_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        {
            // How stores were made before the schema had versions.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA_V1).unwrap();
            conn.execute("INSERT INTO checks (name) VALUES ('api')", [])
                .unwrap();
        }
        drop(SqliteStore::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1);
        let kept: String = conn
            .query_row("SELECT name FROM checks", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, "api");
        // A store written by a newer Vantage is not opened by this one.
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        drop(conn);
        let err = SqliteStore::open(&path).err().unwrap().to_string();
        assert!(err.contains("schema"), "{err}");
    }

    #[test]
    fn reopening_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.sqlite");
        {
            let store = SqliteStore::open(&path).unwrap();
            store
                .record(&[
                    result("a", 1_000, HealthStatus::Up, 5.0),
                    result("a", 2_000, HealthStatus::Degraded, 1500.0),
                ])
                .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.result_count().unwrap(), 2);
        let current = store.current().unwrap();
        assert_eq!(current[0].latest.status, HealthStatus::Degraded);
        assert_eq!(current[0].since_ms, 2_000);
    }
}
