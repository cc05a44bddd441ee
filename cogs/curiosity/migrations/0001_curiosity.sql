-- Curious, not critical: the posts of other practices that carry curious replies (through
-- bot.post_actions), the "same here" / "I hear you" under them, rephrasings waiting to be
-- sent as a question, and the curiosity cards each server has drawn.

-- A post (a revealed answer, a group share) that carries the curious-reply buttons. Its id
-- is the only thing the buttons carry; who wrote it stays here, never in a message.
CREATE TABLE curiosity_posts (
    post_id        INTEGER PRIMARY KEY,   -- random, from bot.post_actions
    kind           TEXT    NOT NULL,      -- bot.post_actions.KINDS
    guild_id       INTEGER NOT NULL,
    author_user_id INTEGER NOT NULL,      -- told privately of replies; never shown
    anonymous      INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1)),
    channel_id     INTEGER,               -- where the post turned out to be (first click)
    message_id     INTEGER,
    thread_id      INTEGER,               -- the thread replies go to, once it is there
    created_at     TEXT    NOT NULL
);

CREATE INDEX curiosity_posts_author ON curiosity_posts (author_user_id);
CREATE INDEX curiosity_posts_age ON curiosity_posts (guild_id, created_at);

-- "Same here" and "I hear you": one of each per person and post; a second click takes it back.
-- Someone who deletes their data leaves a nameless row (user_id 0), so the tally under the
-- post, which the group has seen, still adds up.
CREATE TABLE curiosity_reactions (
    reaction_id INTEGER PRIMARY KEY,
    post_id     INTEGER NOT NULL REFERENCES curiosity_posts (post_id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    reaction    TEXT    NOT NULL CHECK (reaction IN ('same', 'hear')),
    reacted_at  TEXT    NOT NULL
);

CREATE UNIQUE INDEX curiosity_reactions_once
    ON curiosity_reactions (post_id, user_id, reaction) WHERE user_id != 0;
CREATE INDEX curiosity_reactions_user ON curiosity_reactions (user_id);

-- The curious rewrites of one /curious rephrase, until one is sent as a question (once) or
-- a quarter of an hour has passed.
CREATE TABLE curiosity_drafts (
    draft_id   INTEGER PRIMARY KEY,       -- random
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,          -- where "Send as a question" posts
    user_id    INTEGER NOT NULL,
    rewrites   TEXT    NOT NULL,          -- sealed JSON list of the rewrites
    created_at TEXT    NOT NULL
);

CREATE INDEX curiosity_drafts_age ON curiosity_drafts (created_at);
CREATE INDEX curiosity_drafts_user ON curiosity_drafts (user_id);

-- Curiosity cards a server has drawn, so none repeats before the deck has gone round.
CREATE TABLE curiosity_cards (
    guild_id  INTEGER NOT NULL,
    prompt_id TEXT    NOT NULL,
    drawn_at  TEXT    NOT NULL,
    PRIMARY KEY (guild_id, prompt_id)
);
