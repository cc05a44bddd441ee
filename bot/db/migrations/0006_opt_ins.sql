-- What people take part in, per server, as rows: one per choice a person made, for the
-- opt-ins the practices declare (bot.boundaries_rules.OptIn). No row = the declared
-- default. Until now each opt-in was a column of member_boundaries, so a new practice
-- needed a core migration; the columns' values move here and the columns go.
CREATE TABLE member_opt_ins (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    opt_in      TEXT    NOT NULL,  -- the declared key: 'prompts', 'checkins', 'pairing', …
    taking_part INTEGER NOT NULL CHECK (taking_part IN (0, 1)),
    chosen_at   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id, opt_in)
);

CREATE INDEX member_opt_ins_user ON member_opt_ins (user_id);

-- Values that differ from their default (prompts on; pairs, reminders, check-ins off)
-- were chosen; those equal to it read the same without a row.
INSERT INTO member_opt_ins (guild_id, user_id, opt_in, taking_part, chosen_at)
    SELECT guild_id, user_id, 'prompts', 0, last_seen FROM member_boundaries WHERE opt_prompts = 0;
INSERT INTO member_opt_ins (guild_id, user_id, opt_in, taking_part, chosen_at)
    SELECT guild_id, user_id, 'pairing', 1, last_seen FROM member_boundaries WHERE opt_pairing = 1;
INSERT INTO member_opt_ins (guild_id, user_id, opt_in, taking_part, chosen_at)
    SELECT guild_id, user_id, 'phones_down', 1, last_seen FROM member_boundaries
    WHERE opt_phones_down = 1;
INSERT INTO member_opt_ins (guild_id, user_id, opt_in, taking_part, chosen_at)
    SELECT guild_id, user_id, 'checkins', 1, last_seen FROM member_boundaries
    WHERE opt_checkins = 1;

ALTER TABLE member_boundaries DROP COLUMN opt_prompts;
ALTER TABLE member_boundaries DROP COLUMN opt_pairing;
ALTER TABLE member_boundaries DROP COLUMN opt_phones_down;
ALTER TABLE member_boundaries DROP COLUMN opt_checkins;
