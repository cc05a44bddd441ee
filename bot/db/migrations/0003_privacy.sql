-- Privacy: which of Hearth's messages carry a person's words, and the queue of messages
-- to delete from Discord. Ids and times only — never the words themselves.

-- A message Hearth posted (in a channel, a thread or a DM) that carries someone's words:
-- a revealed answer, a share, a debrief answer, a note to a friend. `/privacy delete`
-- deletes these from Discord.
CREATE TABLE posted_words (
    message_id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    guild_id   INTEGER,            -- NULL for a DM
    user_id    INTEGER NOT NULL,   -- whose words it carries
    practice   TEXT    NOT NULL,
    posted_at  TEXT    NOT NULL
);

CREATE INDEX posted_words_user ON posted_words (user_id);
CREATE INDEX posted_words_guild ON posted_words (guild_id);

-- Messages waiting to be deleted from Discord. Names nobody, so a person's deletion is
-- complete the moment it commits; a job works through the queue (and after a restart).
CREATE TABLE message_deletions (
    message_id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    queued_at  TEXT    NOT NULL
);
