-- Boundaries every feature consults (bot/boundaries.py). Ids, times and choices only.

-- One person, everywhere. No row = the defaults: no time zone, no quiet hours,
-- not paused, and no DMs (Hearth never DMs anyone who hasn't said yes).
CREATE TABLE person_boundaries (
    user_id             INTEGER PRIMARY KEY,
    timezone            TEXT,
    quiet_start         TEXT,  -- 'HH:MM' local wall time
    quiet_end           TEXT,
    paused_until        TEXT,  -- UTC instant; NULL = not paused (or paused indefinitely)
    paused_indefinitely INTEGER NOT NULL DEFAULT 0 CHECK (paused_indefinitely IN (0, 1)),
    dms_allowed         INTEGER NOT NULL DEFAULT 0 CHECK (dms_allowed IN (0, 1)),
    dm_unreachable      INTEGER NOT NULL DEFAULT 0 CHECK (dm_unreachable IN (0, 1)),
    updated_at          TEXT    NOT NULL,
    CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);

-- One person in one server. The row appears when they first use Hearth there, which
-- is what makes them a participant of that server.
CREATE TABLE member_boundaries (
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    comfort_depth   INTEGER CHECK (comfort_depth IN (1, 2, 3)),  -- NULL = follow the group
    skip_topics     TEXT    NOT NULL DEFAULT '',                 -- comma-separated topic keys
    opt_prompts     INTEGER NOT NULL DEFAULT 1 CHECK (opt_prompts IN (0, 1)),
    opt_pairing     INTEGER NOT NULL DEFAULT 0 CHECK (opt_pairing IN (0, 1)),
    opt_phones_down INTEGER NOT NULL DEFAULT 0 CHECK (opt_phones_down IN (0, 1)),
    opt_checkins    INTEGER NOT NULL DEFAULT 0 CHECK (opt_checkins IN (0, 1)),
    first_seen      TEXT    NOT NULL,
    last_seen       TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE INDEX member_boundaries_user ON member_boundaries (user_id);

-- The depth a server has agreed on by consent. No row = 1 (light).
CREATE TABLE guild_depth (
    guild_id   INTEGER PRIMARY KEY,
    depth      INTEGER NOT NULL DEFAULT 1 CHECK (depth IN (1, 2, 3)),
    changed_at TEXT    NOT NULL
);
