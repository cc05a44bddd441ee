-- Active listening (practice 1): reflections, listening circles and listening pairs.
-- Ids, times and choices only. The words people write live in Hearth's messages (the
-- outbox names whose they are); the one piece of text kept here is a circle's topic, and
-- the private "please don't pair me with" list, both sealed.

-- "Reflect back": a reply to someone's message saying what the reflector heard, with
-- buttons only the person whose words they were may answer.
CREATE TABLE listening_reflections (
    reflection_id     INTEGER PRIMARY KEY,            -- the interaction that posted it
    guild_id          INTEGER NOT NULL,
    channel_id        INTEGER NOT NULL,               -- where both messages are
    message_id        INTEGER NOT NULL,               -- the message reflected back
    writer_user_id    INTEGER NOT NULL,               -- whose words were reflected
    reflector_user_id INTEGER NOT NULL,
    named             INTEGER NOT NULL CHECK (named IN (0, 1)),  -- may the writer be named
    answer            TEXT    NOT NULL DEFAULT 'open'
        CHECK (answer IN ('open', 'yes', 'not_quite')),
    post_intent       INTEGER,                        -- the outbox intent posting the reply
    created_at        TEXT    NOT NULL,
    answered_at       TEXT
);

CREATE INDEX listening_reflections_guild ON listening_reflections (guild_id, created_at);
CREATE INDEX listening_reflections_writer ON listening_reflections (writer_user_id);
CREATE INDEX listening_reflections_reflector ON listening_reflections (reflector_user_id);

-- A listening circle: a thread, members who joined, and a talking stick passed in turn.
CREATE TABLE listening_circles (
    circle_id       INTEGER PRIMARY KEY,              -- the interaction that started it
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,                 -- where its card is
    thread_id       INTEGER,                          -- where it happens, once made
    in_thread       INTEGER NOT NULL CHECK (in_thread IN (0, 1)),  -- started in a thread
    starter_user_id INTEGER NOT NULL,
    topic           TEXT,                             -- sealed
    turn_minutes    INTEGER NOT NULL CHECK (turn_minutes BETWEEN 1 AND 30),
    phase           TEXT    NOT NULL
        CHECK (phase IN ('gathering', 'speaking', 'reflecting', 'ended')),
    holder_user_id  INTEGER,                          -- who holds the stick (speaking)
    turn_no         INTEGER NOT NULL DEFAULT 0,       -- guards every move of the stick
    phase_ends_at   TEXT,                             -- when the turn or the pause ends
    last_active_at  TEXT    NOT NULL,
    card_intent     INTEGER,
    card_message_id INTEGER,
    thread_intent   INTEGER,
    turn_intent     INTEGER,                          -- the latest "stick is with" message
    created_at      TEXT    NOT NULL,
    ended_at        TEXT,
    end_reason      TEXT CHECK (end_reason IN ('closed', 'idle', 'thread'))
);

CREATE INDEX listening_circles_live ON listening_circles (phase);
CREATE INDEX listening_circles_guild ON listening_circles (guild_id);
CREATE INDEX listening_circles_thread ON listening_circles (thread_id);

CREATE TABLE listening_circle_members (
    circle_id INTEGER NOT NULL REFERENCES listening_circles (circle_id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL,
    position  INTEGER NOT NULL,                       -- join order: the stick goes round it
    joined_at TEXT    NOT NULL,
    left_at   TEXT,
    PRIMARY KEY (circle_id, user_id)
);

CREATE INDEX listening_circle_members_user ON listening_circle_members (user_id);

-- Who held the stick, from when to when (the summary: who spoke and for how long).
CREATE TABLE listening_circle_turns (
    circle_id  INTEGER NOT NULL REFERENCES listening_circles (circle_id) ON DELETE CASCADE,
    turn_no    INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    started_at TEXT    NOT NULL,
    ended_at   TEXT,
    PRIMARY KEY (circle_id, turn_no)
);

CREATE INDEX listening_circle_turns_user ON listening_circle_turns (user_id);

-- The ledger of quiet marks: one per person per turn, whatever happens (a restart).
CREATE TABLE listening_circle_marks (
    circle_id INTEGER NOT NULL REFERENCES listening_circles (circle_id) ON DELETE CASCADE,
    turn_no   INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    marked_at TEXT    NOT NULL,
    PRIMARY KEY (circle_id, turn_no, user_id)
);

CREATE INDEX listening_circle_marks_user ON listening_circle_marks (user_id);

-- Listening pairs: a server's rhythm (an admin sets it), in local wall time.
CREATE TABLE listening_pair_schedules (
    guild_id   INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,                      -- private threads open here
    cadence    TEXT    NOT NULL CHECK (cadence IN ('weekly', 'fortnightly')),
    weekday    INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    local_time TEXT    NOT NULL,                      -- 'HH:MM' in the server's zone
    status     TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    next_at    TEXT    NOT NULL,                      -- UTC instant of the next round
    updated_at TEXT    NOT NULL
);

-- One round. (guild_id, occurrence) is the ledger: a round is drawn once per scheduled
-- time, however often the job runs (a restart, a DST fall-back night).
CREATE TABLE listening_pair_rounds (
    round_id   INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    number     INTEGER NOT NULL,                      -- 1, 2, 3… in this server
    occurrence TEXT    NOT NULL,
    started_at TEXT    NOT NULL,
    nudge_at   TEXT    NOT NULL,
    ask_at     TEXT    NOT NULL,
    ends_at    TEXT    NOT NULL,
    status     TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    nudged     INTEGER NOT NULL DEFAULT 0 CHECK (nudged IN (0, 1)),
    asked      INTEGER NOT NULL DEFAULT 0 CHECK (asked IN (0, 1)),
    pair_count INTEGER NOT NULL DEFAULT 0,
    met_count  INTEGER,                               -- told to the group at the end
    UNIQUE (guild_id, occurrence)
);

CREATE INDEX listening_pair_rounds_open ON listening_pair_rounds (status);

CREATE TABLE listening_pairs (
    pair_id       INTEGER PRIMARY KEY,
    round_id      INTEGER NOT NULL REFERENCES listening_pair_rounds (round_id) ON DELETE CASCADE,
    guild_id      INTEGER NOT NULL,
    via           TEXT    NOT NULL CHECK (via IN ('thread', 'dm')),
    thread_intent INTEGER,
    thread_id     INTEGER,
    prompt_id     TEXT,
    depth         INTEGER NOT NULL CHECK (depth IN (1, 2, 3)),
    spoke_at      TEXT,                               -- the first message in its thread
    nudged        INTEGER NOT NULL DEFAULT 0 CHECK (nudged IN (0, 1))
);

CREATE INDEX listening_pairs_round ON listening_pairs (round_id);
CREATE INDEX listening_pairs_thread ON listening_pairs (thread_id);

-- Who was in a pair (pairing history: nobody meets the same person twice before they've
-- met everyone) and whether they said they got to talk.
CREATE TABLE listening_pair_people (
    pair_id     INTEGER NOT NULL REFERENCES listening_pairs (pair_id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    met         TEXT CHECK (met IN ('yes', 'no')),
    answered_at TEXT,
    PRIMARY KEY (pair_id, user_id)
);

CREATE INDEX listening_pair_people_user ON listening_pair_people (user_id);

-- Someone's private "please don't pair me with" list. The other person is named only
-- sealed, inside the owner's row: it is the owner's boundary, shown and exported to them
-- alone, and nobody can find out they are on someone's list.
CREATE TABLE listening_pair_avoid (
    entry_id     INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    avoid_sealed TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
);

CREATE INDEX listening_pair_avoid_owner ON listening_pair_avoid (guild_id, user_id);
