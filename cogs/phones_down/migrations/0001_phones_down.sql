-- Phones down (practice 4): group challenges, who took part, and weekly sessions.
-- Ids, times and choices only; the one piece of text is the title the starter gave.

-- A weekly session an admin scheduled: local wall time in the server's time zone.
CREATE TABLE pd_sessions (
    session_id       INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    channel_id       INTEGER NOT NULL,
    creator_user_id  INTEGER NOT NULL,
    weekday          INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    local_time       TEXT    NOT NULL,                 -- 'HH:MM'
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 10 AND 240),
    remind_minutes   INTEGER NOT NULL CHECK (remind_minutes BETWEEN 1 AND 1440),
    title            TEXT,
    status           TEXT    NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'paused', 'cancelled')),
    pause_reason     TEXT CHECK (pause_reason IN ('channel', 'quiet')),
    quiet_rounds     INTEGER NOT NULL DEFAULT 0,       -- sessions in a row nobody joined
    next_at          TEXT    NOT NULL,                 -- UTC instant of the next start
    created_at       TEXT    NOT NULL
);

CREATE INDEX pd_sessions_guild ON pd_sessions (guild_id, status);

-- One challenge: a lobby, then running, then ended (or cancelled when nobody joined).
-- challenge_id is a snowflake: the id of the interaction that started it, or one made
-- from the clock for a scheduled session. Buttons carry it.
CREATE TABLE pd_challenges (
    challenge_id       INTEGER PRIMARY KEY,
    guild_id           INTEGER NOT NULL,
    channel_id         INTEGER NOT NULL,
    message_id         INTEGER,                        -- the lobby (later running) message
    starter_user_id    INTEGER NOT NULL,
    session_id         INTEGER REFERENCES pd_sessions (session_id) ON DELETE SET NULL,
    title              TEXT,
    duration_minutes   INTEGER NOT NULL CHECK (duration_minutes BETWEEN 10 AND 240),
    status             TEXT    NOT NULL
        CHECK (status IN ('lobby', 'running', 'ended', 'cancelled')),
    created_at         TEXT    NOT NULL,
    starts_at          TEXT    NOT NULL,               -- planned start (end of the join window)
    started_at         TEXT,
    ends_at            TEXT,
    ended_at           TEXT,
    results_message_id INTEGER,
    results_where      TEXT CHECK (results_where IN ('channel', 'dm', 'nowhere')),
    posted_late        INTEGER NOT NULL DEFAULT 0 CHECK (posted_late IN (0, 1)),
    prompt_id          TEXT,                           -- the debrief question
    thread_id          INTEGER,                        -- where debrief answers go
    participant_count  INTEGER,                        -- snapshot taken at the end
    made_it_count      INTEGER,
    free_minutes       INTEGER,
    UNIQUE (session_id, starts_at)
);

-- One lobby or running challenge per channel, enforced by the database itself.
CREATE UNIQUE INDEX pd_challenges_live_channel
    ON pd_challenges (channel_id) WHERE status IN ('lobby', 'running');
CREATE INDEX pd_challenges_guild ON pd_challenges (guild_id, status, ended_at);
CREATE INDEX pd_challenges_starter ON pd_challenges (starter_user_id);

-- Who took part. picked_up_at: the first message or Hearth command during the
-- challenge (matched by user id and server only; message text is never read).
CREATE TABLE pd_participants (
    challenge_id    INTEGER NOT NULL REFERENCES pd_challenges (challenge_id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    joined_at       TEXT    NOT NULL,
    picked_up_at    TEXT,
    stepped_away_at TEXT,
    PRIMARY KEY (challenge_id, user_id)
);

CREATE INDEX pd_participants_user ON pd_participants (user_id);
