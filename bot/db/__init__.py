"""The database: SQLite (one aiosqlite connection, serialised writes) or PostgreSQL (an
asyncpg pool, bot.db.postgres), the same numbered migrations on both."""

from bot.db.database import Database, IntegrityError, SchemaTooNew
from bot.db.migrate import Migration, discover_migrations
from bot.db.types import Row, Tx

__all__ = [
    "Database",
    "IntegrityError",
    "Migration",
    "Row",
    "SchemaTooNew",
    "Tx",
    "discover_migrations",
]
