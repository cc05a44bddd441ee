-- Apologize and repair (practice 7): apologies between two people, the choice not to
-- receive them from someone, and pauses in a hard conversation.

-- An apology: its words (sealed) until the friend answers — "what I'll do differently"
-- until the sender's follow-up a week later — and never past 30 days; the row itself
-- until nothing is left to do (the weekly limit, a reminder, the follow-up), 30 days.
CREATE TABLE repair_apologies (
    apology_id     INTEGER PRIMARY KEY,  -- random; in the DM's button ids
    guild_id       INTEGER NOT NULL,     -- where it was written (and any talk thread goes)
    user_id        INTEGER NOT NULL,     -- who apologized
    friend_user_id INTEGER NOT NULL,     -- who it is for
    happened       TEXT,                 -- sealed: what happened, from my side
    impact         TEXT,                 -- sealed: how it may have felt for you
    change         TEXT,                 -- sealed: what I'll do differently
    need           TEXT,                 -- sealed, optional: anything you need from me?
    status         TEXT    NOT NULL CHECK (status IN
                       ('sending', 'open', 'time', 'thanked', 'talk', 'closed')),
    held           INTEGER NOT NULL DEFAULT 0,  -- the sender was told "on its way"
    created_at     TEXT    NOT NULL,
    answered_at    TEXT,
    remind_at      TEXT,                 -- "I need some time": the friend's own reminder
    follow_up_at   TEXT,                 -- the sender's follow-up, a week after the answer
    followed_up_at TEXT,                 -- …written (exactly once)
    thread_id      INTEGER               -- "Can we talk?": their private thread
);

CREATE INDEX repair_apologies_pair ON repair_apologies (user_id, friend_user_id, created_at);
CREATE INDEX repair_apologies_friend ON repair_apologies (friend_user_id);
CREATE INDEX repair_apologies_age ON repair_apologies (created_at);

-- "Don't send me apologies from this person": the choice is the friend's alone. Whose
-- apologies they don't want is sealed and named by no id column, so it never shows in
-- that person's export or counts and can't be found from their side.
CREATE TABLE repair_blocks (
    block_id   INTEGER PRIMARY KEY,  -- random; in the "allow again" button's id
    user_id    INTEGER NOT NULL,     -- who doesn't want apologies from someone
    other      TEXT    NOT NULL,     -- sealed: from whom
    created_at TEXT    NOT NULL
);

CREATE INDEX repair_blocks_user ON repair_blocks (user_id);

-- "I need a break": a pause in a conversation. Deleted once both have had their reminder.
CREATE TABLE repair_pauses (
    pause_id        INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,  -- who needs the pause
    friend_user_id  INTEGER NOT NULL,  -- who is told
    minutes         INTEGER NOT NULL,
    created_at      TEXT    NOT NULL,
    ends_at         TEXT    NOT NULL,
    thread_id       INTEGER,           -- the private thread they share, if any
    told            INTEGER NOT NULL DEFAULT 0,  -- the friend has been told (not held)
    user_reminded   INTEGER NOT NULL DEFAULT 0,
    friend_reminded INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX repair_pauses_user ON repair_pauses (user_id);
CREATE INDEX repair_pauses_friend ON repair_pauses (friend_user_id);
