-- The outbox: everything Hearth says on Discord because its state changed (a post, a
-- DM, an edit, a delete, a thread, a reaction) is a row here, written in the same
-- transaction as that change. A worker delivers the rows in order per lane, records
-- what Discord made, retries what failed for a moment and settles what failed for good.

CREATE TABLE outbox (
    intent_id         INTEGER PRIMARY KEY,
    lane              TEXT    NOT NULL,  -- delivered one at a time, in order, per lane
    op                TEXT    NOT NULL,  -- post | dm | edit | delete | thread | react
    guild_id          INTEGER,
    channel_id        INTEGER,           -- where (with channel_of: only if that failed)
    channel_of        INTEGER,           -- …or the thread an earlier intent opened
    message_id        INTEGER,           -- the message to edit, delete, react to, thread on
    message_of        INTEGER,           -- …or the message an earlier intent made
    recipient_user_id INTEGER,           -- a DM's recipient
    body              TEXT,              -- sealed JSON; cleared once settled
    version           INTEGER NOT NULL DEFAULT 0,  -- bumped when the body is redacted
    handler           TEXT,              -- who hears how it went
    ref               INTEGER,           -- the handler's own id (a round, a check-in…)
    consent           INTEGER NOT NULL DEFAULT 0,  -- a DM re-checks the person's boundaries
    status            TEXT    NOT NULL DEFAULT 'pending',  -- pending | done | failed | cancelled
    due_at            TEXT    NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    result_id         INTEGER,           -- the message or thread Discord made
    result_channel_id INTEGER,           -- where it landed (a DM channel, a thread)
    error             INTEGER,           -- Discord's code when it failed for good
    created_at        TEXT    NOT NULL,
    settled_at        TEXT
);

CREATE INDEX outbox_pending ON outbox (status, intent_id);
CREATE INDEX outbox_guild ON outbox (guild_id);
CREATE INDEX outbox_recipient ON outbox (recipient_user_id);
CREATE INDEX outbox_settled ON outbox (settled_at);

-- Whose words an intent carries, before it is delivered (then they move to
-- posted_words, with the message's id). `redact` is what the message says instead if
-- that person deletes their data (sealed JSON); NULL means the message goes.
CREATE TABLE outbox_words (
    intent_id INTEGER NOT NULL REFERENCES outbox (intent_id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL,
    guild_id  INTEGER,
    practice  TEXT    NOT NULL,
    redact    TEXT,
    PRIMARY KEY (intent_id, user_id)
);

CREATE INDEX outbox_words_user ON outbox_words (user_id);
CREATE INDEX outbox_words_guild ON outbox_words (guild_id);

-- One message can carry several people's words; each can ask for theirs to go. A
-- message that stays for the group (a phones-down card) is edited to `redact` instead.
CREATE TABLE posted_words_v2 (
    message_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    guild_id   INTEGER,
    user_id    INTEGER NOT NULL,
    practice   TEXT    NOT NULL,
    posted_at  TEXT    NOT NULL,
    redact     TEXT,
    PRIMARY KEY (message_id, user_id)
);

INSERT INTO posted_words_v2 (message_id, channel_id, guild_id, user_id, practice, posted_at)
SELECT message_id, channel_id, guild_id, user_id, practice, posted_at FROM posted_words;

DROP TABLE posted_words;

ALTER TABLE posted_words_v2 RENAME TO posted_words;

CREATE INDEX posted_words_user ON posted_words (user_id);
CREATE INDEX posted_words_guild ON posted_words (guild_id);

-- Deletions still waiting become outbox intents (they name nobody, as before).
INSERT INTO outbox (lane, op, channel_id, message_id, due_at, created_at)
SELECT 'ch:' || channel_id, 'delete', channel_id, message_id, queued_at, queued_at
FROM message_deletions ORDER BY queued_at, message_id;

DROP TABLE message_deletions;
