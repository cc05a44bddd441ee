"""One package per practice (plus setup, prompts and privacy).

Each package has `async def setup(bot)`, which HearthBot calls at start for every
package found here; adding a folder adds a practice.
"""
