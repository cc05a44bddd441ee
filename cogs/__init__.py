"""One package per practice (plus setup, prompts and privacy). Each is a discord.py extension."""
