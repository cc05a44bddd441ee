"""The database: SQLite (serialised writes on the loop's thread, reads beside them) or
PostgreSQL (an asyncpg pool, bot.db.postgres), the same numbered migrations on both.

Store functions that write take the transaction (`tx: Tx`) first; reads take the
`Database`. Times and sealed text go through `bot.db.codec`.
"""

from bot.db.database import (
    Database,
    IntegrityError,
    SchemaTooNew,
    changed,
    read_all,
    read_one,
)
from bot.db.migrate import Migration, discover_migrations
from bot.db.types import Row, Tx

__all__ = [
    "Database",
    "IntegrityError",
    "Migration",
    "Row",
    "SchemaTooNew",
    "Tx",
    "changed",
    "discover_migrations",
    "read_all",
    "read_one",
]
