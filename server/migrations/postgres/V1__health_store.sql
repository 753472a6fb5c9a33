-- The health store's first schema on PostgreSQL: the SQLite store's tables
-- (server/src/health/store/sqlite.rs), in PostgreSQL's types.
CREATE TABLE checks (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE results (
    check_id BIGINT NOT NULL REFERENCES checks (id),
    at_ms BIGINT NOT NULL,
    status BIGINT NOT NULL,
    response_ms DOUBLE PRECISION NOT NULL,
    http_status INTEGER,
    error TEXT,
    components TEXT
);
CREATE INDEX results_by_check_time ON results (check_id, at_ms);
CREATE TABLE transitions (
    check_id BIGINT NOT NULL REFERENCES checks (id),
    at_ms BIGINT NOT NULL,
    from_status BIGINT,
    to_status BIGINT NOT NULL
);
CREATE INDEX transitions_by_check_time ON transitions (check_id, at_ms);
CREATE INDEX transitions_by_time ON transitions (at_ms);
CREATE TABLE rollup_minute (
    check_id BIGINT NOT NULL REFERENCES checks (id),
    bucket_ms BIGINT NOT NULL,
    up BIGINT NOT NULL,
    degraded BIGINT NOT NULL,
    down BIGINT NOT NULL,
    sum_ms DOUBLE PRECISION NOT NULL,
    max_ms DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (check_id, bucket_ms)
);
CREATE TABLE rollup_hour (
    check_id BIGINT NOT NULL REFERENCES checks (id),
    bucket_ms BIGINT NOT NULL,
    up BIGINT NOT NULL,
    degraded BIGINT NOT NULL,
    down BIGINT NOT NULL,
    sum_ms DOUBLE PRECISION NOT NULL,
    max_ms DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (check_id, bucket_ms)
);
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    since_ms BIGINT NOT NULL,
    ended_ms BIGINT,
    alert TEXT NOT NULL
);
CREATE INDEX alerts_by_time ON alerts (since_ms);
CREATE TABLE current (
    check_id BIGINT PRIMARY KEY REFERENCES checks (id),
    status BIGINT NOT NULL,
    since_ms BIGINT NOT NULL,
    last_at_ms BIGINT NOT NULL
);
