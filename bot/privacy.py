"""Personal data, declared in one place per cog, so it can be shown, exported and deleted.

Every cog that stores something about a person declares it as a `PersonalData`: the
tables it owns, which columns name a person (`user_id`, `…_user_id`) and how each is
forgotten, which columns hold free text (sealed at rest), which column ties a row to a
server (deleted 14 days after Hearth leaves it), a plain-words statement of what it
keeps and why, and how long. The `Registry` built from those declarations does the
work for every practice at once:

- `summary` — counts and dates per practice for `/privacy show`,
- `export` — every row about a person, text unsealed, with a README-style header,
- `forget` — every row about a person, deleted (or, where a blanket delete would destroy
  other people's history, the person's id set to 0 and their words cleared) in ONE
  transaction; Hearth's messages carrying their words are queued for deletion,
- `forget_server` — everything tied to a server,
- `seal_plaintext` — the one-off start-up step that encrypts text stored before
  encryption existed.

A schema test walks every table and column after all migrations and fails when a table
isn't declared or a person column isn't covered, so a new practice can't forget this.
Core tables are declared here; each cog declares its own next to its SQL (`store.py`)
and names it on the cog (`personal_data = store.PERSONAL_DATA`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot import crypto
from bot.db import Database, Tx
from bot.db.codec import dt, opened
from bot.db.dialect import ROWID
from bot.outbox_store import Unsaid, forget_words
from bot.timeutil import UTC

# Set once every stored value has been checked by opening it (see `seal_plaintext`).
LOOKALIKES_META = "sealed_lookalikes_checked"

# How long a server's data stays after Hearth is removed from it, in case it comes back.
SERVER_GRACE_DAYS = 14


class Forget(StrEnum):
    DELETE = "delete"  # rows naming the person are deleted
    # The row stays for the group, but its person id becomes 0 and the table's `clear`
    # columns (their words) become NULL. For group history other people share.
    ANONYMISE = "anonymise"


@dataclass(frozen=True, slots=True)
class Person:
    """A column holding a person's id: how they are forgotten, and how it reads in
    `/privacy show` ("3 check-ins")."""

    singular: str
    plural: str
    forget: Forget = Forget.DELETE

    def count(self, n: int) -> str:
        return f"{n} {self.singular if n == 1 else self.plural}"


@dataclass(frozen=True, slots=True)
class Table:
    """One table a cog owns."""

    name: str
    about: str  # what one row is, in plain words (the export's header)
    people: Mapping[str, Person] = field(default_factory=dict)
    when: str | None = None  # a UTC time column: dates in /privacy show, export order
    sealed: tuple[str, ...] = ()  # free-text columns encrypted at rest
    server: str | None = None  # the column naming its server (purged after Hearth leaves)
    server_via: str | None = None  # …or the parent table whose deletion cascades to these
    clear: tuple[str, ...] = ()  # blanked when a person is anonymised out of a row
    # column → person column: only the person named there sees it in their export
    # (a note waiting for a friend is the sender's, not the friend's, until delivered).
    owner_only: Mapping[str, str] = field(default_factory=dict)
    # Columns never exported: machinery, or words that aren't the person's own yet.
    hidden: tuple[str, ...] = ()


KeptDetail = Callable[[Database, int], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class PersonalData:
    """What one cog (or the core) keeps about people."""

    key: str
    title: str
    statement: str  # what it keeps, why and for how long, in plain words
    kept: str  # how long, one short line for /privacy show
    tables: tuple[Table, ...]
    practice: str | None = None  # for the emoji and colour
    kept_detail: KeptDetail | None = None  # e.g. each of the person's servers' own period

    def person_tables(self) -> list[Table]:
        return [t for t in self.tables if t.people]


# --------------------------------------------------------------------------- core tables

POSTED_WORDS = "posted_words"

CORE = PersonalData(
    key="core",
    title="Messages with your words",
    statement=(
        "Which of Hearth's own messages carry your words (a revealed answer, a share, a "
        "debrief answer, a note to a friend, the name you gave a challenge) — message and "
        "channel ids only — so they can be deleted (or your words taken out) when you ask; "
        "and, for a few minutes until Discord has them, the messages Hearth is about to "
        "send (encrypted). Kept until you delete your data, or until the server's data is "
        "deleted. Each server's set-up (channel, time zone, weekly time) names no one."
    ),
    kept="Until you delete your data, or 14 days after Hearth leaves the server.",
    tables=(
        Table(
            "meta",
            "Facts about this install (a key check, the command list's fingerprint).",
        ),
        Table("schema_migrations", "Which database changes have been applied."),
        Table("shard_leases", "Which Hearth process runs each shard's jobs, and until when."),
        Table(
            "guilds",
            "Each server's set-up: channel, time zone, weekly time, practices.",
            server="guild_id",
        ),
        Table(
            "guild_retention",
            "How long a server keeps shares and answers (no one is named).",
            server="guild_id",
        ),
        Table(
            POSTED_WORDS,
            "A message Hearth posted that carries your words, so it can be deleted.",
            people={
                "user_id": Person(
                    "message of yours Hearth posted", "messages of yours Hearth posted"
                )
            },
            when="posted_at",
            server="guild_id",
            sealed=("redact",),
            hidden=("redact",),
        ),
        Table(
            "outbox",
            "A message Hearth is sending (or sent) because something changed: kept until "
            "Discord has it, then only ids for a week.",
            people={
                "recipient_user_id": Person(
                    "message on its way to you", "messages on their way to you"
                )
            },
            when="created_at",
            server="guild_id",
            sealed=("body",),
            hidden=("body",),
        ),
        Table(
            "outbox_words",
            "A message on its way that carries your words.",
            people={
                "user_id": Person(
                    "message with your words on its way", "messages with your words on their way"
                )
            },
            server="guild_id",
            sealed=("redact",),
            hidden=("redact",),
        ),
    ),
)

BOUNDARIES = PersonalData(
    key="core.boundaries",
    title="Your boundaries",
    practice="boundaries",
    statement=(
        "The boundaries you set: your time zone, quiet hours, a pause, whether Hearth may "
        "DM you (and whether your DMs turned out closed), and, per server, your comfort "
        "depth, topics to skip, what you take part in and when you last used Hearth "
        "there — so every practice can respect them. Kept until you change them or delete "
        "your data; a server's part goes 14 days after Hearth leaves it."
    ),
    kept="Until you change them or delete your data.",
    tables=(
        Table(
            "person_boundaries",
            "Your own settings everywhere: time zone, quiet hours, pause, DMs.",
            people={"user_id": Person("set of personal settings", "sets of personal settings")},
            when="updated_at",
        ),
        Table(
            "member_boundaries",
            "Your settings in one server: comfort depth, topics you skip, when you first "
            "and last used Hearth there.",
            people={"user_id": Person("server you use Hearth in", "servers you use Hearth in")},
            when="last_seen",
            server="guild_id",
        ),
        Table(
            "member_opt_ins",
            "One thing you chose to take part in (or not) in one server, like DM check-ins.",
            people={
                "user_id": Person(
                    "choice of what you take part in", "choices of what you take part in"
                )
            },
            when="chosen_at",
            server="guild_id",
        ),
        Table(
            "guild_depth",
            "How deep a server's prompts go, agreed by consent (no one is named).",
            server="guild_id",
        ),
    ),
)

CORE_DECLARATIONS: tuple[PersonalData, ...] = (CORE, BOUNDARIES)


def is_person_column(name: str) -> bool:
    """The project's convention: a person's id lives in `user_id` or `…_user_id`."""
    return name == "user_id" or name.endswith("_user_id")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Held:
    """One line of /privacy show: how many of something, and the first and last dates."""

    what: str
    count: int
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True, slots=True)
class Section:
    declaration: PersonalData
    held: list[Held]
    kept: str


@dataclass(slots=True)
class Forgotten:
    """What `forget` removed, per declaration: the lines of the confirmation."""

    removed: dict[str, list[str]] = field(default_factory=dict)
    rows: int = 0
    # Hearth's messages that carried their words: intents deleting (or redacting) them.
    unsaid: Unsaid = field(default_factory=Unsaid)


def _when(value: Any) -> datetime | None:
    """A declared `when` column's value as a time (None when it isn't one)."""
    if not isinstance(value, str):
        return None
    try:
        return dt(value)
    except ValueError:
        return None


def _where(columns: Iterable[str]) -> str:
    return " OR ".join(f"{c} = ?" for c in columns)


# --------------------------------------------------------------------------- the registry


class Registry:
    """Every declaration in the running bot (the core's first, then each cog's)."""

    def __init__(self, declarations: Iterable[PersonalData]) -> None:
        self.declarations: list[PersonalData] = list(declarations)
        self.tables: dict[str, tuple[PersonalData, Table]] = {}
        for decl in self.declarations:
            for table in decl.tables:
                if table.name in self.tables:
                    raise ValueError(
                        f"table {table.name} is declared by both {self.tables[table.name][0].key}"
                        f" and {decl.key}"
                    )
                for column in (*table.people, *table.sealed, *table.clear):
                    if not column.replace("_", "").isalnum():
                        raise ValueError(f"odd column name {column!r} in {table.name}")
                self.tables[table.name] = (decl, table)

    @classmethod
    def of(cls, cogs: Iterable[object]) -> Registry:
        """The core's declarations plus every cog's `personal_data` declaration."""
        found = list(CORE_DECLARATIONS)
        for cog in cogs:
            decl = getattr(cog, "personal_data", None)
            if isinstance(decl, PersonalData):
                found.append(decl)
        return cls(found)

    def sealed_columns(self) -> list[tuple[str, str]]:
        return [(t.name, c) for _, t in self.tables.values() for c in t.sealed]

    # ------------------------------------------------------------------ showing

    async def summary(self, db: Database, user_id: int) -> list[Section]:
        """What Hearth holds about this person, per declaration (only those with something)."""
        sections: list[Section] = []
        for decl in self.declarations:
            held: list[Held] = []
            for table in decl.person_tables():
                for column, person in table.people.items():
                    if table.when:
                        row = await db.aggregate(
                            f"SELECT COUNT(*), MIN({table.when}), MAX({table.when})"
                            f" FROM {table.name} WHERE {column} = ?",
                            (user_id,),
                        )
                    else:
                        row = await db.aggregate(
                            f"SELECT COUNT(*), NULL, NULL FROM {table.name} WHERE {column} = ?",
                            (user_id,),
                        )
                    count = int(row[0]) if row is not None else 0
                    if count:
                        assert row is not None
                        held.append(Held(person.count(count), count, _when(row[1]), _when(row[2])))
            if not held:
                continue
            kept = decl.kept
            if decl.kept_detail is not None:
                detail = await decl.kept_detail(db, user_id)
                if detail:
                    kept = detail
            sections.append(Section(decl, held, kept))
        return sections

    # ------------------------------------------------------------------ exporting

    async def export(self, db: Database, user_id: int, now: datetime) -> dict[str, Any]:
        """Everything about this person, as JSON-ready data with a header explaining it."""
        parts: dict[str, Any] = {}
        for decl in self.declarations:
            tables: dict[str, Any] = {}
            for table in decl.person_tables():
                order = f" ORDER BY {table.when}" if table.when else ""
                rows = await db.fetchall(
                    f"SELECT * FROM {table.name} WHERE {_where(table.people)}{order}",
                    [user_id] * len(table.people),
                )
                if not rows:
                    continue
                out: list[dict[str, Any]] = []
                for row in rows:
                    item = dict(row)
                    item.pop(ROWID, None)  # PostgreSQL's stand-in for SQLite's row id
                    for column in table.sealed:
                        if column in item:
                            item[column] = opened(item[column])
                    for column, owner in table.owner_only.items():
                        if item.get(owner) != user_id:
                            item.pop(column, None)
                    for column in table.hidden:
                        item.pop(column, None)
                    out.append(item)
                tables[table.name] = {"what_a_row_is": table.about, "rows": out}
            if tables:
                parts[decl.key] = {
                    "practice": decl.title,
                    "what_hearth_keeps_and_why": decl.statement,
                    "how_long": decl.kept,
                    "tables": tables,
                }
        return {
            "about_this_file": [
                "Everything Hearth holds about you, as it is stored, with your own words "
                "decrypted so you can read them.",
                "Each part below is one practice: what it keeps and why, how long it keeps "
                "it, and its rows. A row names people by Discord id; your id is user_id.",
                "Times are UTC, written as ISO-8601 (2026-03-01T18:00:00+00:00).",
                "You can delete all of it with /privacy delete.",
            ],
            "exported_at": now.astimezone(UTC).isoformat(timespec="seconds"),
            "user_id": user_id,
            "parts": parts,
        }

    # ------------------------------------------------------------------ forgetting

    async def forget(self, tx: Tx, user_id: int, now: datetime) -> Forgotten:
        """Remove this person from every table, inside the caller's one transaction.

        Hearth's messages carrying their words become outbox intents that delete them (or
        take their words out), and messages not yet sent stop carrying them — in the same
        transaction, so a crash can't lose track of any. Scrub after it commits
        (`Database.scrub`): gone from the file and its log too, before anyone is told.
        """
        result = Forgotten()
        result.unsaid = await forget_words(tx, "user_id", user_id, now)
        for decl in self.declarations:
            lines: list[str] = []
            for table in decl.person_tables():
                for column, person in table.people.items():
                    changed = await _forget_column(tx, table, column, person, user_id)
                    if changed:
                        lines.append(person.count(changed))
                        result.rows += changed
            if lines:
                result.removed[decl.title] = lines
        return result

    async def forget_server(
        self, tx: Tx, guild_id: int, now: datetime, *, delete_messages: bool
    ) -> tuple[int, Unsaid]:
        """Delete every row tied to this server, inside the caller's transaction: (rows
        removed, the intents deleting its messages).

        With `delete_messages` (Hearth is still there) its messages carrying people's
        words in that server are deleted from Discord; otherwise they are only forgotten.
        """
        removed = 0
        unsaid = await forget_words(tx, "guild_id", guild_id, now, on_discord=delete_messages)
        for _, table in self.tables.values():
            if table.server is None:
                continue  # not per server, or cascades from a parent table
            cur = await tx.execute(
                f"DELETE FROM {table.name} WHERE {table.server} = ?", (guild_id,)
            )
            removed += max(cur.rowcount, 0)
        return removed, unsaid

    # ------------------------------------------------------------------ sealing

    async def seal_plaintext(self, db: Database) -> int:
        """Encrypt free text that isn't sealed: text stored before encryption existed, and
        (one pass per database) raw text that only *looked* sealed — a value starting with
        `enc:v1:` that was stored as typed by a Hearth that trusted the prefix. Whether a
        value is sealed is decided by opening it under the key, never by its prefix.
        """
        cipher = crypto.active()
        lookalikes_done = await db.fetchval(
            "SELECT value FROM meta WHERE key = ?", (LOOKALIKES_META,)
        )
        sealed = 0
        async with db.transaction(bulk=True) as conn:
            for table, column in self.sealed_columns():
                if lookalikes_done:
                    where = (
                        f"{column} IS NOT NULL AND substr({column}, 1, {len(crypto.PREFIX)}) != ?"
                    )
                    params: tuple[Any, ...] = (crypto.PREFIX,)
                else:
                    where, params = f"{column} IS NOT NULL", ()
                cur = await conn.execute(
                    f"SELECT rowid, {column} FROM {table} WHERE {where}", params
                )
                for rowid, value in list(await cur.fetchall()):
                    text = str(value)
                    if cipher.try_open(text) is not None:
                        continue  # truly sealed
                    await conn.execute(
                        f"UPDATE {table} SET {column} = ? WHERE rowid = ?",
                        (cipher.seal(text), rowid),
                    )
                    sealed += 1
            if not lookalikes_done:
                await conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, '1')"
                    " ON CONFLICT (key) DO UPDATE SET value = '1'",
                    (LOOKALIKES_META,),
                )
        if sealed:
            # Push the old pages out of the write-ahead log too (secure_delete zeroes them
            # in the main file), so the plaintext is gone from disk, not just unreachable.
            await db.scrub()
        return sealed


async def _forget_column(tx: Tx, table: Table, column: str, person: Person, user_id: int) -> int:
    if person.forget is Forget.DELETE:
        cur = await tx.execute(f"DELETE FROM {table.name} WHERE {column} = ?", (user_id,))
        return max(cur.rowcount, 0)
    sets = ", ".join([f"{column} = 0", *(f"{c} = NULL" for c in table.clear)])
    cur = await tx.execute(f"UPDATE {table.name} SET {sets} WHERE {column} = ?", (user_id,))
    return max(cur.rowcount, 0)


async def check_data_key(db: Database, cipher: crypto.DataCipher) -> None:
    """Refuse (DataKeyError, a sentence for the operator) a key that isn't this database's.

    The first start with a key stores a check value only that key opens.
    """
    check = await db.fetchval("SELECT value FROM meta WHERE key = ?", (crypto.KEY_CHECK_META,))
    if check is None:
        await db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (crypto.KEY_CHECK_META, cipher.key_check()),
        )
        return
    if not cipher.opens(str(check)):
        raise crypto.DataKeyError(crypto.WRONG_KEY_HELP)


# Tables that belong to the machinery, not to any practice's data.
_SQLITE_INTERNAL = ("sqlite_",)


async def coverage_problems(db: Database, registry: Registry) -> list[str]:
    """Everything in the live schema that the declarations don't cover, in plain words.

    Walks every table and column of the live schema after all migrations (SQLite's
    `sqlite_master` and `PRAGMA table_info`, or PostgreSQL's catalogue: `db.tables()`).
    Empty means: every table is declared, every person column is exported
    and forgotten, every server-keyed table is purged with its server.
    """
    problems: list[str] = []
    names = [name for name in await db.tables() if not name.startswith(_SQLITE_INTERNAL)]
    for name in names:
        columns = [column for column, _ in await db.columns(name)]
        declared = registry.tables.get(name)
        people = sorted(c for c in columns if is_person_column(c))
        if declared is None:
            problems.append(
                f"table {name} isn't declared in any PERSONAL_DATA"
                + (f" (it holds people: {', '.join(people)})" if people else "")
            )
            continue
        decl, table = declared
        where = f"{decl.key}: {name}"
        for column in people:
            if column not in table.people:
                problems.append(f"{where}.{column} names a person but isn't exported/forgotten")
        named = [
            *table.people,
            *table.sealed,
            *table.clear,
            *table.owner_only,
            *table.owner_only.values(),
            *table.hidden,
            *([table.when] if table.when else []),
            *([table.server] if table.server else []),
        ]
        for column in named:
            if column not in columns:
                problems.append(f"{where} declares a column {column} it doesn't have")
        for column, owner in table.owner_only.items():
            if owner not in table.people:
                problems.append(f"{where}.{column} is owner-only for {owner}, not a person column")
        for column in table.clear:
            if column not in table.sealed:
                problems.append(f"{where}.{column} is cleared but holds no sealed words")
        anonymised = [p for p in table.people.values() if p.forget is Forget.ANONYMISE]
        if anonymised and not table.clear and table.sealed:
            problems.append(f"{where} keeps rows of forgotten people but not their words")
        if "guild_id" in columns and table.server is None and table.server_via is None:
            problems.append(f"{where} has a guild_id but isn't purged with its server")
        if table.server_via is not None:
            fks = await db.foreign_keys(name)
            if not any(parent == table.server_via and rule == "CASCADE" for parent, rule in fks):
                problems.append(
                    f"{where} says it goes with {table.server_via}, but has no ON DELETE"
                    " CASCADE reference to it"
                )
            elif table.server_via in registry.tables:
                parent = registry.tables[table.server_via][1]
                if parent.server is None:
                    problems.append(f"{where}: its parent {table.server_via} isn't per server")
    for name in registry.tables:
        if name not in names:
            problems.append(f"{name} is declared but isn't in the database")
    return problems


# --------------------------------------------------------------------------- the docs

DOCS_START = "<!-- personal-data:start (generated by `python -m bot privacy-docs`) -->"
DOCS_END = "<!-- personal-data:end -->"


def discover_declarations() -> list[PersonalData]:
    """Every declaration, read from the cog classes without starting a bot."""
    import importlib

    from bot.app import discover_cogs
    from bot.cog import HearthCog

    found = list(CORE_DECLARATIONS)
    for extension in discover_cogs():
        module = importlib.import_module(f"{extension}.cog")  # each practice's cog class
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, HearthCog):
                decl = getattr(value, "personal_data", None)
                if isinstance(decl, PersonalData) and decl not in found:
                    found.append(decl)
    return found


def docs_block(declarations: Iterable[PersonalData]) -> str:
    """What each part of Hearth keeps, for README.md and PRIVACY.md (one source: the code)."""
    lines = [DOCS_START, ""]
    for decl in declarations:
        lines.append(f"- **{decl.title}.** {decl.statement} _How long:_ {decl.kept}")
    lines += ["", DOCS_END]
    return "\n".join(lines)


def with_docs_block(text: str, block: str) -> str:
    """`text` with its generated block replaced (ValueError if it has no markers)."""
    start, end = text.find(DOCS_START), text.find(DOCS_END)
    if start < 0 or end < start:
        raise ValueError("no personal-data markers")
    return text[:start] + block + text[end + len(DOCS_END) :]
