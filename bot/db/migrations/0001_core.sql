-- Core tables: small key/value facts about this install, and each server's set-up.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per server Hearth has been in. No personal data: ids, times and choices only.
CREATE TABLE guilds (
    guild_id       INTEGER PRIMARY KEY,
    channel_id     INTEGER,
    timezone       TEXT    NOT NULL DEFAULT 'UTC',
    prompt_weekday INTEGER NOT NULL DEFAULT 6 CHECK (prompt_weekday BETWEEN 0 AND 6),
    prompt_time    TEXT    NOT NULL DEFAULT '18:00',
    practices      TEXT    NOT NULL
        DEFAULT 'listening,sharing,curiosity,phones_down,support,boundaries,repair',
    configured_at  TEXT,
    joined_at      TEXT    NOT NULL,
    left_at        TEXT
);
