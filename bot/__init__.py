"""Hearth's core: everything the practice cogs rely on, and no feature logic."""
