-- Replicas sharing the store share out the checks: each check is run by
-- the replica holding its lease (renewed every second, given up when another
-- should run it), and replicas say they are alive, so the others know whom
-- to share with and take over from one that stopped.
CREATE TABLE replicas (
    id TEXT PRIMARY KEY,
    seen_ms BIGINT NOT NULL
);
CREATE TABLE check_leases (
    check_name TEXT PRIMARY KEY,
    replica TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);
