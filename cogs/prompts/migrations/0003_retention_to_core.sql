-- The retention setting moved to the core (guild_retention, core migration 0007).
INSERT INTO guild_retention (guild_id, days) SELECT guild_id, days FROM retention_periods;
DROP TABLE retention_periods;
