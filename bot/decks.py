"""Prompt decks: the questions Hearth offers a group, one TOML file per practice.

Each file in ``data/prompts/`` holds one practice's deck::

    practice = "listening"

    [[prompt]]
    id = "listening-001"
    depth = 1                      # 1 light · 2 personal · 3 deep
    text = "..."                   # at most 200 characters
    tags = ["everyday"]            # topic tags from the vocabulary below
    tip = "..."                    # optional, at most 120 characters

Loading checks every rule and raises :class:`DeckError` with the file and line
of the first problem, so a typo in a deck fails loudly at start-up (and in the
tests) instead of quietly reaching a group.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.practices import KEYS

DEFAULT_DECK_DIR = Path(__file__).resolve().parent.parent / "data" / "prompts"

DEPTHS: tuple[int, ...] = (1, 2, 3)
MAX_TEXT_CHARS = 200
MAX_TIP_CHARS = 120

# Topics a person may choose to skip (key used in data → label people read).
SENSITIVE_TOPICS: dict[str, str] = {
    "family": "Family",
    "romance": "Love & dating",
    "body_health": "Body & health",
    "money": "Money",
    "faith": "Faith & beliefs",
    "past_hurts": "Past hurts",
    "work": "Work & school",
}

# Everyday topic tags; nobody needs to skip these.
GENERAL_TAGS: frozenset[str] = frozenset(
    {
        "everyday",
        "fun",
        "memories",
        "friendship",
        "feelings",
        "growth",
        "dreams",
        "gratitude",
        "conflict",
        "communication",
        "validation",  # ways to let someone know their feeling makes sense (/repair validate)
    }
)

_SENSITIVE_KEYS: frozenset[str] = frozenset(SENSITIVE_TOPICS)
ALL_TAGS: frozenset[str] = GENERAL_TAGS | _SENSITIVE_KEYS

_FIELDS: tuple[str, ...] = ("id", "depth", "text", "tags", "tip")
_REQUIRED: tuple[str, ...] = ("id", "depth", "text", "tags")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*-[0-9]{3,}$")
_HEADER_RE = re.compile(r"^\s*\[\[\s*prompt\s*\]\]")
_TOML_POS_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Prompt:
    """One question from a deck."""

    id: str
    practice: str
    depth: int
    text: str
    tags: frozenset[str]
    tip: str | None = None

    @property
    def sensitive_topics(self) -> frozenset[str]:
        """The skippable topics this prompt touches (empty for everyday prompts)."""
        return self.tags & _SENSITIVE_KEYS


class DeckError(Exception):
    """A deck file breaks a rule. The message names the file, line and prompt."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        line: int | None = None,
        prompt_id: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.prompt_id = prompt_id
        self.detail = message
        where = _display(self.path)
        if line is not None:
            where = f"{where}, line {line}"
        super().__init__(f"{where}: {message}")


def _display(path: Path) -> str:
    """A short, readable path: relative to the repository or the cwd when possible."""
    for base in (_REPO_ROOT, Path.cwd()):
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return str(path)


def _toml_type(value: object) -> str:
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _join(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


class _Lines:
    """Finds where things are in a deck's raw text (tomllib gives no positions)."""

    def __init__(self, raw: str, table_count: int) -> None:
        self._lines = raw.splitlines()
        headers = [i for i, line in enumerate(self._lines) if _HEADER_RE.match(line)]
        # If the headers we found don't match the parsed tables (a header hidden in a
        # multi-line string, say) we'd rather give no line than a wrong one.
        self._headers: list[int] | None = headers if len(headers) == table_count else None

    def _key_line(self, key: str, start: int, end: int) -> int | None:
        pattern = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
        for i in range(start, min(end, len(self._lines))):
            if pattern.match(self._lines[i]):
                return i + 1
        return None

    def top_level(self, key: str) -> int | None:
        end = self._headers[0] if self._headers else len(self._lines)
        return self._key_line(key, 0, end)

    def prompt(self, index: int, key: str | None = None) -> int | None:
        """The line of the index-th [[prompt]] header, or of `key` inside that table."""
        if self._headers is None:
            return None
        start = self._headers[index]
        if key is not None:
            end = self._headers[index + 1] if index + 1 < len(self._headers) else len(self._lines)
            found = self._key_line(key, start + 1, end)
            if found is not None:
                return found
        return start + 1


def _parse_file(path: Path, seen: dict[str, tuple[Path, int | None]]) -> list[Prompt]:
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DeckError(path, f"is not UTF-8 text ({exc.reason}).") from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POS_RE.search(message)
        line = int(match.group(1)) if match else None
        reason = message[: match.start()] if match else message
        column = f" at column {match.group(2)}" if match else ""
        raise DeckError(
            path, f"is not valid TOML: {reason.rstrip('.')}{column}.", line=line
        ) from None

    tables = data.get("prompt")
    table_count = len(tables) if isinstance(tables, list) else 0
    lines = _Lines(raw, table_count)

    practice = data.get("practice")
    if practice is None:
        raise DeckError(
            path, f'has no practice; start the file with practice = "{path.stem}".', line=1
        )
    if not isinstance(practice, str):
        raise DeckError(
            path,
            f"practice must be a string, not {_toml_type(practice)}.",
            line=lines.top_level("practice"),
        )
    if practice not in KEYS:
        raise DeckError(
            path,
            f"unknown practice '{practice}'; it must be one of: {', '.join(KEYS)}.",
            line=lines.top_level("practice"),
        )
    if practice != path.stem:
        raise DeckError(
            path,
            f"practice '{practice}' does not match the file name; "
            f"this file must hold practice '{path.stem}' (or be named {practice}.toml).",
            line=lines.top_level("practice"),
        )
    for key in data:
        if key not in ("practice", "prompt"):
            raise DeckError(
                path,
                f"unknown top-level key '{key}'; a deck has only practice and [[prompt]] tables.",
                line=lines.top_level(key),
            )
    if tables is None:
        return []
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise DeckError(
            path,
            "prompts must be [[prompt]] tables.",
            line=lines.top_level("prompt"),
        )

    prompts: list[Prompt] = []
    for index, table in enumerate(tables):
        prompt = _parse_prompt(path, practice, index, table, lines)
        line = lines.prompt(index, "id")
        if prompt.id in seen:
            other_path, other_line = seen[prompt.id]
            other = _display(other_path) + (f", line {other_line}" if other_line else "")
            raise DeckError(
                path,
                f"prompt '{prompt.id}' is a duplicate; that id is already used at {other}.",
                line=line,
                prompt_id=prompt.id,
            )
        seen[prompt.id] = (path, line)
        prompts.append(prompt)
    return prompts


def _parse_prompt(
    path: Path, practice: str, index: int, table: dict[str, Any], lines: _Lines
) -> Prompt:
    raw_id = table.get("id")
    prompt_id = raw_id if isinstance(raw_id, str) and raw_id.strip() else None
    name = f"prompt '{prompt_id}'" if prompt_id else f"prompt #{index + 1}"

    def fail(message: str, key: str | None = None) -> DeckError:
        return DeckError(
            path, f"{name} {message}", line=lines.prompt(index, key), prompt_id=prompt_id
        )

    for key in table:
        if key not in _FIELDS:
            raise fail(f"has unknown field '{key}'; allowed fields: {', '.join(_FIELDS)}.", key)
    for key in _REQUIRED:
        if key not in table:
            raise fail(f"has no {key}.")

    if not isinstance(raw_id, str):
        raise fail(f"has an id that is {_toml_type(raw_id)}; id must be a string.", "id")
    if prompt_id is None:
        raise fail("has an empty id.", "id")
    if not _ID_RE.match(prompt_id) or not prompt_id.startswith(f"{practice}-"):
        raise fail(f"has a malformed id; ids look like '{practice}-014'.", "id")

    depth = table["depth"]
    if not isinstance(depth, int) or isinstance(depth, bool):
        raise fail(f"has depth that is {_toml_type(depth)}; depth must be 1, 2 or 3.", "depth")
    if depth not in DEPTHS:
        raise fail(f"has depth {depth}; depth must be 1, 2 or 3.", "depth")

    text = table["text"]
    if not isinstance(text, str):
        raise fail(f"has text that is {_toml_type(text)}; text must be a string.", "text")
    text = text.strip()
    if not text:
        raise fail("has an empty text.", "text")
    if len(text) > MAX_TEXT_CHARS:
        raise fail(f"has text of {len(text)} characters; the limit is {MAX_TEXT_CHARS}.", "text")

    tags = table["tags"]
    if not isinstance(tags, list):
        raise fail(f"has tags that are {_toml_type(tags)}; tags must be a list.", "tags")
    if not tags:
        raise fail("has no tags; give it at least one.", "tags")
    for tag in tags:
        if not isinstance(tag, str):
            raise fail(f"has a tag that is {_toml_type(tag)}; tags must be strings.", "tags")
        if tag not in ALL_TAGS:
            raise fail(f"has unknown tag '{tag}'; known tags: {_join(ALL_TAGS)}.", "tags")

    tip = table.get("tip")
    if tip is not None:
        if not isinstance(tip, str):
            raise fail(f"has a tip that is {_toml_type(tip)}; tip must be a string.", "tip")
        tip = tip.strip()
        if not tip:
            raise fail("has an empty tip; leave the tip out instead.", "tip")
        if len(tip) > MAX_TIP_CHARS:
            raise fail(f"has a tip of {len(tip)} characters; the limit is {MAX_TIP_CHARS}.", "tip")

    return Prompt(
        id=prompt_id,
        practice=practice,
        depth=depth,
        text=text,
        tags=frozenset(tags),
        tip=tip,
    )


def _check_counts(
    directory: Path,
    files: dict[str, Path],
    prompts: list[Prompt],
    min_per_practice: int,
    min_per_depth: int,
) -> None:
    for practice in KEYS:
        mine = [p for p in prompts if p.practice == practice]
        if practice not in files:
            if min_per_practice > 0 or min_per_depth > 0:
                raise DeckError(
                    directory, f"there is no deck for practice '{practice}' ({practice}.toml)."
                )
            continue
        path = files[practice]
        if len(mine) < min_per_practice:
            raise DeckError(
                path,
                f"practice '{practice}' has {len(mine)} prompts; "
                f"it needs at least {min_per_practice}.",
            )
        for depth in DEPTHS:
            count = sum(1 for p in mine if p.depth == depth)
            if count < min_per_depth:
                raise DeckError(
                    path,
                    f"practice '{practice}' has {count} prompts at depth {depth}; "
                    f"it needs at least {min_per_depth} at each depth.",
                )


class Decks:
    """All loaded prompts, with the lookups and the picking the practices need."""

    def __init__(self, prompts: Iterable[Prompt]) -> None:
        self._prompts: tuple[Prompt, ...] = tuple(prompts)
        self._by_id: dict[str, Prompt] = {}
        for prompt in self._prompts:
            if prompt.id in self._by_id:
                raise ValueError(f"duplicate prompt id {prompt.id!r}")
            self._by_id[prompt.id] = prompt

    @classmethod
    def load(
        cls,
        directory: Path = DEFAULT_DECK_DIR,
        *,
        min_per_practice: int = 30,
        min_per_depth: int = 8,
    ) -> Decks:
        """Load and check every ``*.toml`` deck in `directory`; raise DeckError on a problem."""
        if not directory.is_dir():
            raise DeckError(directory, "is not a folder of prompt decks.")
        paths = sorted(directory.glob("*.toml"))
        if not paths:
            raise DeckError(directory, "has no *.toml prompt decks.")
        seen: dict[str, tuple[Path, int | None]] = {}
        files: dict[str, Path] = {}
        prompts: list[Prompt] = []
        for path in paths:
            prompts.extend(_parse_file(path, seen))
            files[path.stem] = path
        _check_counts(directory, files, prompts, min_per_practice, min_per_depth)
        order = {key: i for i, key in enumerate(KEYS)}
        prompts.sort(key=lambda p: order[p.practice])  # stable: file order within a practice
        return cls(prompts)

    def __len__(self) -> int:
        return len(self._prompts)

    def __iter__(self) -> Iterator[Prompt]:
        return iter(self._prompts)

    def get(self, prompt_id: str) -> Prompt | None:
        """The prompt with this id, or None (for example, one retired from the deck)."""
        return self._by_id.get(prompt_id)

    def all(self) -> tuple[Prompt, ...]:
        """Every prompt, in practice order then deck order."""
        return self._prompts

    def for_practice(self, practice: str) -> tuple[Prompt, ...]:
        """One practice's prompts, in deck order. ValueError for an unknown practice."""
        _check_practice(practice)
        return tuple(p for p in self._prompts if p.practice == practice)

    def eligible(
        self,
        practice: str | None,
        max_depth: int,
        skip_topics: Collection[str],
        exclude_ids: Collection[str] = (),
    ) -> list[Prompt]:
        """Prompts of `practice` (None = any) no deeper than `max_depth`, with none of
        the `skip_topics` tags and not in `exclude_ids`, in deck order."""
        if practice is not None:
            _check_practice(practice)
        if max_depth not in DEPTHS:
            raise ValueError(f"max_depth must be 1, 2 or 3, not {max_depth!r}")
        skip = frozenset(skip_topics)
        exclude = frozenset(exclude_ids)
        return [
            p
            for p in self._prompts
            if (practice is None or p.practice == practice)
            and p.depth <= max_depth
            and not (p.tags & skip)
            and p.id not in exclude
        ]

    def choose(
        self,
        practice: str | None,
        max_depth: int,
        skip_topics: Collection[str],
        used_ids: Collection[str],
        rng: random.Random,
    ) -> Prompt | None:
        """Pick the next prompt for a group.

        Picks among the eligible prompts (see :meth:`eligible`) the group hasn't had
        yet. Once every eligible prompt has been used, the cycle starts over and
        `used_ids` is ignored, so a group never runs dry. Returns None only when no
        prompt is eligible at all; the caller decides what to do then.

        The pick is random, weighted towards the group's current depth: a prompt at
        exactly `max_depth` has weight 2, a lighter one weight 1. A group that has
        agreed to go deeper mostly gets deeper prompts but still some light ones.
        """
        candidates = self.eligible(practice, max_depth, skip_topics)
        if not candidates:
            return None
        used = frozenset(used_ids)
        fresh = [p for p in candidates if p.id not in used]
        pool = fresh or candidates
        weights = [2 if p.depth == max_depth else 1 for p in pool]
        return rng.choices(pool, weights=weights, k=1)[0]


def _check_practice(practice: str) -> None:
    if practice not in KEYS:
        raise ValueError(f"unknown practice {practice!r}; expected one of {', '.join(KEYS)}")
