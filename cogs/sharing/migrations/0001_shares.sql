-- Things people chose to share with `/share`: in the group channel (with their name or
-- anonymously) or privately with one friend. Deleted after the server's retention period.

CREATE TABLE shares (
    share_id       INTEGER PRIMARY KEY,  -- random, never shown
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,     -- who shared it
    friend_user_id INTEGER,              -- who it was for, when shared privately
    visibility     TEXT    NOT NULL CHECK (visibility IN ('named', 'anonymous', 'friend')),
    wants          TEXT    NOT NULL CHECK (wants IN ('listening', 'encouragement', 'advice')),
    prompt_text    TEXT,                 -- the prompt they kept (their own words if edited)
    body           TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('posted', 'delivered', 'pending', 'undelivered')),
    channel_id     INTEGER,
    message_id     INTEGER,
    created_at     TEXT    NOT NULL,
    deliver_at     TEXT,                 -- a private share waiting for the friend's quiet hours
    CHECK ((visibility = 'friend') = (friend_user_id IS NOT NULL))
);

CREATE INDEX shares_user ON shares (user_id);
CREATE INDEX shares_friend ON shares (friend_user_id);
CREATE INDEX shares_age ON shares (created_at);
CREATE INDEX shares_pending ON shares (status);
