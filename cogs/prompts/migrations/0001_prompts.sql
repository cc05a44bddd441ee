-- The weekly group prompt: each server's schedule state, its rounds, the once-a-week
-- ledger, the prompts it has had, people's private answers, and how long they are kept.

-- One row per server that changed something (no row = the defaults: rotating, 48 h, running).
CREATE TABLE prompt_schedules (
    guild_id        INTEGER PRIMARY KEY,
    pinned_practice TEXT,                                  -- NULL = rotate through practices
    deadline_hours  INTEGER NOT NULL DEFAULT 48 CHECK (deadline_hours BETWEEN 1 AND 144),
    paused_reason   TEXT CHECK (paused_reason IN ('silent', 'channel')),  -- NULL = running
    paused_at       TEXT
);

-- One prompt posted to a server. No personal data: ids, times and counts only.
CREATE TABLE prompt_rounds (
    round_id     INTEGER PRIMARY KEY,  -- random, so button ids can't be walked
    guild_id     INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    message_id   INTEGER,
    thread_id    INTEGER,
    kind         TEXT    NOT NULL CHECK (kind IN ('weekly', 'manual')),
    practice     TEXT    NOT NULL,
    prompt_id    TEXT    NOT NULL,
    depth        INTEGER NOT NULL CHECK (depth IN (1, 2, 3)),
    status       TEXT    NOT NULL
        CHECK (status IN ('posting', 'open', 'revealed', 'quiet', 'failed')),
    opened_at    TEXT    NOT NULL,
    closes_at    TEXT    NOT NULL,
    closed_at    TEXT,
    answer_count INTEGER
);

CREATE INDEX prompt_rounds_guild ON prompt_rounds (guild_id, opened_at);
CREATE INDEX prompt_rounds_live ON prompt_rounds (status);

-- The ledger: one row per server and local week, written in the same transaction that
-- records the weekly round, so a restart or a DST fall-back night never posts twice.
CREATE TABLE prompt_weeks (
    guild_id    INTEGER NOT NULL,
    week        TEXT    NOT NULL,  -- local ISO week, e.g. 2026-W43
    round_id    INTEGER NOT NULL,
    recorded_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, week)
);

-- Prompts a server has had, so none repeats until its eligible prompts are used up.
CREATE TABLE prompt_used (
    guild_id  INTEGER NOT NULL,
    prompt_id TEXT    NOT NULL,
    used_at   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, prompt_id)
);

-- Private answers (and skips, which hold no text). Deleted after the retention period.
CREATE TABLE prompt_answers (
    round_id    INTEGER NOT NULL REFERENCES prompt_rounds (round_id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    guild_id    INTEGER NOT NULL,
    body        TEXT,                    -- NULL for a skip
    anonymous   INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1)),
    skipped     INTEGER NOT NULL DEFAULT 0 CHECK (skipped IN (0, 1)),
    answered_at TEXT    NOT NULL,
    PRIMARY KEY (round_id, user_id),
    CHECK ((skipped = 1) = (body IS NULL))
);

CREATE INDEX prompt_answers_user ON prompt_answers (user_id);
CREATE INDEX prompt_answers_age ON prompt_answers (answered_at);

-- How long a server keeps shares and answers (no row = 90 days).
CREATE TABLE retention_periods (
    guild_id INTEGER PRIMARY KEY,
    days     INTEGER NOT NULL CHECK (days BETWEEN 7 AND 365)
);
