-- Steady support (practice 5): DM check-ins, support circles and notes between friends.
-- Ids, times and choices — plus the words a person typed into their own check-in, and a
-- friend's short note only until it is delivered.

-- One person's check-in schedule (check-ins are per person, wherever they opted in).
CREATE TABLE checkin_schedules (
    user_id          INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,  -- where they opted in: whose help text they see
    frequency        TEXT    NOT NULL
        CHECK (frequency IN ('daily', 'weekdays', 'twice_weekly', 'weekly')),
    local_time       TEXT    NOT NULL,  -- 'HH:MM' on their own clock
    weekday          INTEGER NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),
    active           INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    next_slot        TEXT,              -- the regular time of the next check-in (UTC)
    next_send_at     TEXT,              -- when it goes out: slot + spread, or deferred
    quiet_days       INTEGER CHECK (quiet_days BETWEEN 2 AND 30),  -- NULL: no quiet watch
    quiet_since      TEXT,              -- the last answer (or start) the quiet watch counts from
    quiet_alerted_at TEXT,              -- the circle heard about this quiet spell
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);

CREATE INDEX checkin_schedules_active ON checkin_schedules (active);

-- One check-in DM and its answer. The unique slot makes a repeated job harmless.
CREATE TABLE checkins (
    checkin_id     INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL,
    slot           TEXT    NOT NULL,  -- the scheduled time, or 'now:<time>' for /checkin now
    sent_at        TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'sent'
        CHECK (status IN ('sent', 'answered', 'skipped', 'failed')),
    mood           INTEGER CHECK (mood BETWEEN 1 AND 5),
    note           TEXT,              -- their own words, for them alone
    answered_at    TEXT,
    circle_told_at TEXT,              -- they chose to let their circle know (once)
    UNIQUE (user_id, slot)
);

CREATE INDEX checkins_user_sent ON checkins (user_id, sent_at);

-- Each person's support circle: who they asked, and whether that friend said yes.
CREATE TABLE support_circle (
    user_id        INTEGER NOT NULL,  -- whose circle it is
    member_user_id INTEGER NOT NULL,  -- the friend asked to be in it
    guild_id       INTEGER NOT NULL,  -- the server they share, where the ask was made
    status         TEXT    NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'declined')),
    invited_at     TEXT    NOT NULL,
    answered_at    TEXT,
    PRIMARY KEY (user_id, member_user_id),
    CHECK (user_id != member_user_id)
);

CREATE INDEX support_circle_member ON support_circle (member_user_id);

-- DMs between friends waiting for the recipient's quiet hours to end. A row is deleted
-- when it is delivered (or can't be), and the note with it.
CREATE TABLE support_outbox (
    outbox_id         INTEGER PRIMARY KEY,
    kind              TEXT    NOT NULL
        CHECK (kind IN ('invite', 'signal', 'quiet', 'here', 'thinking')),
    sender_user_id    INTEGER NOT NULL,  -- who it's from (or whose circle it's about)
    recipient_user_id INTEGER NOT NULL,
    guild_id          INTEGER,
    note              TEXT,              -- the sender's own short note, if any
    quiet_days        INTEGER,           -- for 'quiet': how long it has been
    due_at            TEXT    NOT NULL,
    created_at        TEXT    NOT NULL
);

CREATE INDEX support_outbox_sender ON support_outbox (sender_user_id);
CREATE INDEX support_outbox_recipient ON support_outbox (recipient_user_id);

-- Someone whose DMs turned out closed; removed once they've been told how to open them.
CREATE TABLE support_dm_notices (
    user_id   INTEGER PRIMARY KEY,
    failed_at TEXT    NOT NULL
);

-- Where to find help, as a server's admins wrote it (no row: Hearth's general text).
CREATE TABLE support_resources (
    guild_id   INTEGER PRIMARY KEY,
    text       TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);
