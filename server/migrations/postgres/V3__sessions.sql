-- Logged-in sessions, so a session begun on one replica is known to every
-- other: the session record as JSON, and when it ends.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_ms);
