"""The database: one aiosqlite connection, serialised writes, numbered migrations.

Store functions that write take the transaction (`tx: Tx`) first; reads take the
`Database`. Times and sealed text go through `bot.db.codec`.
"""

from bot.db.database import Database, SchemaTooNew, Tx, read_all, read_one
from bot.db.migrate import Migration, discover_migrations

__all__ = [
    "Database",
    "Migration",
    "SchemaTooNew",
    "Tx",
    "discover_migrations",
    "read_all",
    "read_one",
]
