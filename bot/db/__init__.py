"""The database: one aiosqlite connection, serialised writes, numbered migrations."""

from bot.db.database import Database, SchemaTooNew
from bot.db.migrate import Migration, discover_migrations

__all__ = ["Database", "Migration", "SchemaTooNew", "discover_migrations"]
