-- Which process runs each shard's jobs and outbox (bot.leases), when several processes
-- share one PostgreSQL database. Names no one: process names, shard numbers and times.
CREATE TABLE shard_leases (
    shard_id     INTEGER PRIMARY KEY,
    shard_count  INTEGER NOT NULL,
    owner        TEXT    NOT NULL,  -- host:pid:random of the process holding it
    expires_at   TEXT    NOT NULL,  -- UTC; past it, another process may take it over
    heartbeat_at TEXT    NOT NULL
);
