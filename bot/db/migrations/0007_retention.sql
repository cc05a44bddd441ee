-- How long each server keeps what people share (prompt answers, shares), as its admins
-- chose with /hearth retention. No row = the default (90 days). The core's now: the daily
-- sweep is the core's (bot.retention), whichever practices are on. The prompts cog's
-- retention_periods moves here in its own migration 0003.
CREATE TABLE guild_retention (
    guild_id INTEGER PRIMARY KEY,
    days     INTEGER NOT NULL CHECK (days BETWEEN 7 AND 365)
);
