-- Asking the group to go deeper. Proposals keep no proposer; votes are deleted the
-- moment a proposal is decided, so nobody's answer outlives the question.

CREATE TABLE depth_proposals (
    proposal_id INTEGER PRIMARY KEY,  -- random, so custom ids can't be walked
    guild_id    INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    message_id  INTEGER,
    from_depth  INTEGER NOT NULL CHECK (from_depth IN (1, 2)),
    to_depth    INTEGER NOT NULL CHECK (to_depth IN (2, 3)),
    status      TEXT    NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'deeper', 'stayed', 'cancelled')),
    opened_at   TEXT    NOT NULL,
    closes_at   TEXT    NOT NULL,
    decided_at  TEXT
);

-- One open question per server, enforced by the database itself.
CREATE UNIQUE INDEX depth_proposals_one_open ON depth_proposals (guild_id)
    WHERE status = 'open';
CREATE INDEX depth_proposals_guild ON depth_proposals (guild_id, decided_at);

CREATE TABLE depth_votes (
    proposal_id INTEGER NOT NULL REFERENCES depth_proposals (proposal_id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    in_favour   INTEGER NOT NULL CHECK (in_favour IN (0, 1)),
    voted_at    TEXT    NOT NULL,
    PRIMARY KEY (proposal_id, user_id)
);

-- How long a question stays open and how long a group rests after a "not yet".
CREATE TABLE depth_settings (
    guild_id      INTEGER PRIMARY KEY,
    window_hours  INTEGER NOT NULL DEFAULT 72 CHECK (window_hours BETWEEN 1 AND 336),
    cooldown_days INTEGER NOT NULL DEFAULT 14 CHECK (cooldown_days BETWEEN 1 AND 90)
);
