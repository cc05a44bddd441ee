"""Curious, not critical: the rules, free of discord and the database.

- **Reading a text** (`read`): which critical phrasings it uses (from the data table in
  `data/curiosity/<language>.toml`), whether it shouts or sounds harsh overall, one short
  line saying what Hearth noticed, and two or three curious rewrites that keep what the
  sentence is about — or, when nothing is critical, a warm "already curious" and one way
  to go deeper.
- **Tallies and replies**: the reactions under a post and the starters of a reply.
- **Cards**: the practice-3 deck at the group's depth is `bot.decks`' job; `card_line`
  says it.

Bounded by construction, whatever anyone types: at most `MAX_CHARS` characters and
`MAX_SENTENCES` sentences are read, and patterns are written in a small language of our
own (`compile_pattern`) whose regular expressions have no nested repetition — so no input
can make matching slow — and the output is clipped (`MAX_REWRITE_CHARS`).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "curiosity"
DEFAULT_LANGUAGE = "en"

MAX_CHARS = 1000  # read at most this much of a text (the slash option allows as much)
MAX_SENTENCES = 12
MAX_TAIL_WORDS = 24
MAX_REWRITE_CHARS = 700
MAX_NOTE_CHARS = 160
MAX_TEMPLATE_CHARS = 220

TAILS = ("base", "ing", "clause", "to", "that")
WEIGHTS = (1, 2)
SHOUTING = "shouting"
HARSH_TONE = "harsh-tone"

# Between two words of a pattern: spaces, and the commas people put in ("oh great, you").
_SEP = r"[\s,]+"
_WORD_START = r"(?<![\w'])"
_WORD_END = r"(?![\w'])"
_SLOTS = ("rest", "insult", "judgement")


class TableError(ValueError):
    """A data table breaks a rule; the message names the file and the entry."""


# --------------------------------------------------------------------------- text


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u00b4": "'", "`": "'"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")
# Quoted words are someone else's (or the writer's, reported): never noticed. Bounded.
_QUOTED = re.compile(
    r"\"[^\"\n]{0,400}\"|“[^”\n]{0,400}”|‘[^‘’\n]{0,400}’(?!\w)|`[^`\n]{0,400}`|^>[^\n]{0,1000}",
    re.MULTILINE,
)
_SENTENCE = re.compile(r"[^.!?…\n]+[.!?…]*")
_WORDS = re.compile(r"[^\W\d_][\w'-]*")


def _tidy(text: str) -> str:
    """No control characters, single spaces, at most MAX_CHARS; quotes as typed."""
    # Controls out before composing: "A", a control, then a combining accent is "À" once
    # the control is gone (as Discord will show it, through bot.textfit).
    text = _CONTROL.sub("", text[: MAX_CHARS * 2])
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return text[:MAX_CHARS]


def normalize(text: str) -> str:
    """`_tidy`, with one apostrophe ("don’t" → "don't"): what patterns and rewrites see."""
    return _tidy(text).translate(_APOSTROPHES)


def mask_quotes(text: str) -> str:
    """`text` with quoted spans blanked out (same length, so positions still match)."""
    return _QUOTED.sub(lambda m: " " * len(m[0]), text)


def sentences(masked: str) -> list[tuple[int, int]]:
    """Where each sentence starts and ends (at most MAX_SENTENCES), in a text whose quotes
    are masked (`mask_quotes`), so a "?" inside a quote ends nothing."""
    spans: list[tuple[int, int]] = []
    for match in _SENTENCE.finditer(masked):
        if match[0].strip():
            start = match.start() + len(match[0]) - len(match[0].lstrip())
            spans.append((start, match.end()))
        if len(spans) >= MAX_SENTENCES:
            break
    return spans


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut between words, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:—-") + "…"


def is_shouting(sentence: str) -> bool:
    """Mostly capitals over at least two words of two letters or more ("NASA" alone isn't)."""
    letters = [c for c in sentence if c.isalpha()]
    if len(letters) < 6:
        return False
    upper = sum(1 for c in letters if c.isupper())
    loud_words = sum(1 for w in _WORDS.findall(sentence) if len(w) >= 2 and w.isupper())
    return loud_words >= 2 and upper / len(letters) >= 0.7


def calm(sentence: str) -> str:
    """A sentence in ordinary case, without its final marks ("WHY NOT!!" → "Why not")."""
    text = sentence.strip().rstrip(".!?… ")
    if is_shouting(text):
        text = text.lower()
        text = re.sub(r"(?<![\w'])i(?=$|[\s',.!?])", "I", text)
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- patterns


class _Kind(StrEnum):
    """The pieces of a pattern in the phrasing table's small language."""

    WORD = "word"  # a literal word
    ALT = "alt"  # (a|b): one of these
    OPT = "opt"  # [a|b]: one of these, or nothing
    SLOT = "slot"  # {insult}, {judgement}, {rest}
    START = "start"  # ^
    END = "end"  # $


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    values: tuple[str, ...] = ()


_REST = _Token(_Kind.SLOT, ("rest",))


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    closers = {"(": ")", "[": "]", "{": "}"}
    while i < len(source):
        char = source[i]
        if char.isspace():
            i += 1
            continue
        if char in closers:
            end = source.find(closers[char], i + 1)
            if end < 0:
                raise ValueError(f"an unclosed {char!r}")
            inner = source[i + 1 : end]
            i = end + 1
            if char == "{":
                if inner not in _SLOTS:
                    raise ValueError(f"an unknown slot {{{inner}}}")
                tokens.append(_Token(_Kind.SLOT, (inner,)))
                continue
            options = tuple(" ".join(o.split()) for o in inner.split("|"))
            if not all(options):
                raise ValueError(f"an empty choice in {char}{inner}{closers[char]}")
            tokens.append(_Token(_Kind.ALT if char == "(" else _Kind.OPT, options))
            continue
        if char in ")]}":
            raise ValueError(f"a stray {char!r}")
        if char in "^$":
            tokens.append(_Token(_Kind.START if char == "^" else _Kind.END))
            i += 1
            continue
        end = i
        while end < len(source) and not source[end].isspace() and source[end] not in "([{)]}":
            end += 1
        tokens.append(_Token(_Kind.WORD, (source[i:end],)))
        i = end
    return tokens


def _literal(phrase: str) -> str:
    words = phrase.split()
    body = _SEP.join(re.escape(w) for w in words)
    if re.match(r"\w", phrase):
        body = _WORD_START + body
    if re.search(r"\w$", phrase):
        body += _WORD_END
    return body


def _choice(options: Iterable[str]) -> str:
    ordered = sorted(set(options), key=lambda o: (-len(o), o))  # longest first
    return "(?:" + "|".join(_literal(o) for o in ordered) + ")"


def compile_pattern(
    source: str, insults: Sequence[str], judgements: Sequence[str]
) -> re.Pattern[str]:
    """A pattern of the data table's small language as a regular expression.

    Every piece is a literal word, a choice of literals or a slot, joined by one run of
    separators: no repetition nests inside another, so matching a sentence costs at most
    (sentence length × pattern length), whatever the input. ValueError names a problem.
    """
    tokens = _tokens(source)
    start = bool(tokens) and tokens[0].kind is _Kind.START
    if start:
        tokens = tokens[1:]
    end = bool(tokens) and tokens[-1].kind is _Kind.END
    if end:
        tokens = tokens[:-1]
    rest = bool(tokens) and tokens[-1] == _REST
    if rest:
        tokens = tokens[:-1]
    if rest and end:
        raise ValueError("{rest} and $ can't both end a pattern")
    if any(t.kind in (_Kind.START, _Kind.END) for t in tokens):
        raise ValueError("^ and $ go only at the start and the end")
    if any(t == _REST for t in tokens):
        raise ValueError("{rest} goes only at the end")
    if not any(t.kind is not _Kind.OPT for t in tokens):
        raise ValueError("a pattern needs at least one word that isn't optional")
    pieces: list[tuple[str, bool]] = []
    for token in tokens:
        if token.kind is _Kind.WORD:
            pieces.append((_literal(token.values[0]), False))
        elif token.kind is _Kind.ALT:
            pieces.append((_choice(token.values), False))
        elif token.kind is _Kind.OPT:
            pieces.append((_choice(token.values), True))
        else:
            words = insults if token.values[0] == "insult" else judgements
            pieces.append((_choice(words), False))
    body = ""
    pending_sep = False  # a required piece came before: the next one needs a separator
    for regex, optional in pieces:
        if optional:
            body += f"(?:{_SEP}{regex})?" if pending_sep else f"(?:{regex}{_SEP})?"
            continue
        body += (_SEP if pending_sep else "") + regex
        pending_sep = True
    if start:
        body = r"^[\s,]*" + body
    if rest:
        body += "(?P<rest>.*)"
    if end:
        body += r"[\s.!?…]*$"
    return re.compile(body, re.IGNORECASE)


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True, slots=True)
class Phrasing:
    id: str
    weight: int
    patterns: tuple[re.Pattern[str], ...]
    tail: str
    noticed: str
    rewrites: tuple[str, ...]
    bare: tuple[str, ...]
    unless: re.Pattern[str] | None = None  # right after the phrase: not critical after all


@dataclass(frozen=True, slots=True)
class Language:
    """One language's table (`data/curiosity/<code>.toml`)."""

    code: str
    phrasings: tuple[Phrasing, ...]
    insults: tuple[str, ...]
    judgements: tuple[str, ...]
    harsh: tuple[str, ...]
    warm: tuple[str, ...]
    softeners: tuple[str, ...]
    addressed: tuple[str, ...]
    base_verbs: frozenset[str]
    fillers: frozenset[str]  # words that carry no meaning at a tail's edge
    vocatives: tuple[re.Pattern[str], ...]  # "…, you idiot": taken out of a tail
    irregular_past: Mapping[str, str]
    shouting_note: str
    shouting_rewrites: tuple[str, ...]
    harsh_note: str
    harsh_rewrites: tuple[str, ...]
    harsh_bare: tuple[str, ...]
    harsh_drop: tuple[str, ...]
    already: tuple[str, ...]
    deeper: Mapping[str, tuple[str, ...]]
    _words: dict[str, re.Pattern[str]] = field(default_factory=dict, compare=False)
    _sets: dict[str, tuple[frozenset[str], ...]] = field(default_factory=dict, compare=False)

    def words(self, name: str) -> re.Pattern[str]:
        """One of the word lists as a whole-word, any-case matcher (for taking words out)."""
        found = self._words.get(name)
        if found is None:
            found = self._words[name] = re.compile(_choice(getattr(self, name)), re.IGNORECASE)
        return found

    def count(self, name: str, text: str) -> int:
        """How many times words of a list appear in `text` (whole words, any case).

        By sets of one- to three-word runs rather than one long alternation: linear in the
        text, whatever the list's length."""
        sets = self._sets.get(name)
        if sets is None:
            entries = [tuple(e.lower().split()) for e in getattr(self, name)]
            sets = self._sets[name] = tuple(
                frozenset(" ".join(e) for e in entries if len(e) == n) for n in (1, 2, 3)
            )
        words = [w.lower() for w in _LIST_WORDS.findall(text)]
        found = 0
        for n, wanted in enumerate(sets, 1):
            if wanted:
                found += sum(
                    1 for i in range(len(words) - n + 1) if " ".join(words[i : i + n]) in wanted
                )
        return found


_LIST_WORDS = re.compile(r"[\w']+|[^\w\s]")


def _strings(data: Mapping[str, Any], key: str, where: str, *, least: int = 1) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TableError(f"{where}: `{key}` must be a list of words or sentences")
    if len(value) < least:
        raise TableError(f"{where}: `{key}` needs at least {least}")
    return tuple(" ".join(v.split()) for v in value)


def _text(data: Mapping[str, Any], key: str, where: str, limit: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TableError(f"{where}: `{key}` must be some text")
    if len(value) > limit:
        raise TableError(f"{where}: `{key}` is {len(value)} characters; the limit is {limit}")
    return value.strip()


def _templates(
    data: Mapping[str, Any], key: str, where: str, slots: tuple[str, ...]
) -> tuple[str, ...]:
    found = _strings(data, key, where, least=2)
    if len(found) > 3:
        raise TableError(f"{where}: `{key}` has {len(found)}; two or three, please")
    for template in found:
        if len(template) > MAX_TEMPLATE_CHARS:
            raise TableError(f"{where}: a template in `{key}` is over {MAX_TEMPLATE_CHARS}")
        names = set(re.findall(r"\{([^}]*)\}", template))
        if not names <= set(slots) or template.count("{") != template.count("}"):
            allowed = ", ".join("{" + s + "}" for s in slots) or "no slots"
            raise TableError(f"{where}: `{key}` may use {allowed} only: {template!r}")
    return found


def load_language(path: Path) -> Language:
    """Read and check one table; TableError names the file and entry at fault."""
    name = path.name
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TableError(f"{name}: {exc}") from None
    code = data.get("language")
    if not isinstance(code, str) or code != path.stem:
        raise TableError(f"{name}: `language` must name the file ({path.stem!r})")
    insults = _strings(data, "insults", name)
    judgements = _strings(data, "judgements", name)
    phrasings: list[Phrasing] = []
    seen: set[str] = set()
    raw = data.get("phrasing")
    if not isinstance(raw, list) or not raw:
        raise TableError(f"{name}: no [[phrasing]] entries")
    for index, entry in enumerate(raw, 1):
        where = f"{name}, phrasing {index}"
        pid = entry.get("id")
        if not isinstance(pid, str) or not re.fullmatch(r"[a-z][a-z-]*", pid) or pid in seen:
            raise TableError(f"{where}: `id` must be new, lowercase-with-dashes")
        seen.add(pid)
        where = f"{name}, phrasing {pid!r}"
        weight = entry.get("weight")
        if weight not in WEIGHTS:
            raise TableError(f"{where}: `weight` is 1 (mild) or 2")
        tail = entry.get("tail")
        if tail not in TAILS:
            raise TableError(f"{where}: `tail` is one of {', '.join(TAILS)}")
        patterns: list[re.Pattern[str]] = []
        for source in _strings(entry, "match", where):
            try:
                patterns.append(compile_pattern(source, insults, judgements))
            except (ValueError, re.error) as exc:
                raise TableError(f"{where}: the pattern {source!r} has {exc}") from None
        phrasings.append(
            Phrasing(
                id=pid,
                weight=int(weight),
                patterns=tuple(patterns),
                tail=str(tail),
                noticed=_text(entry, "noticed", where, MAX_NOTE_CHARS),
                rewrites=_templates(entry, "rewrites", where, ("rest",)),
                bare=_templates(entry, "bare", where, ()),
                unless=(
                    re.compile(r"[\s,]*" + _choice(_strings(entry, "unless", where)), re.I)
                    if "unless" in entry
                    else None
                ),
            )
        )
    vocatives: list[re.Pattern[str]] = []
    for source in _strings(data, "vocatives", name):
        try:
            vocatives.append(compile_pattern(source, insults, judgements))
        except (ValueError, re.error) as exc:
            raise TableError(f"{name}: the vocative {source!r} has {exc}") from None
    irregular = data.get("irregular_past", {})
    if not isinstance(irregular, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in irregular.items()
    ):
        raise TableError(f"{name}: [irregular_past] maps past forms to plain ones")
    shouting = data.get("shouting", {})
    harsh = data.get("harsh_tone", {})
    deeper: dict[str, list[str]] = {"question": [], "statement": []}
    for index, entry in enumerate(data.get("deeper", []), 1):
        when = entry.get("when")
        if when not in deeper:
            raise TableError(f"{name}, deeper {index}: `when` is question or statement")
        deeper[when].append(_text(entry, "text", f"{name}, deeper {index}", MAX_NOTE_CHARS))
    if not all(deeper.values()):
        raise TableError(f"{name}: [[deeper]] needs a question and a statement entry")
    return Language(
        code=code,
        phrasings=tuple(phrasings),
        insults=insults,
        judgements=judgements,
        harsh=_strings(data, "harsh", name),
        warm=_strings(data, "warm", name),
        softeners=_strings(data, "softeners", name),
        addressed=_strings(data, "addressed", name),
        base_verbs=frozenset(_strings(data, "base_verbs", name)),
        fillers=frozenset(w.lower() for w in _strings(data, "fillers", name)),
        vocatives=tuple(vocatives),
        irregular_past={k.lower(): v for k, v in irregular.items()},
        shouting_note=_text(shouting, "noticed", f"{name}, [shouting]", MAX_NOTE_CHARS),
        shouting_rewrites=_templates(shouting, "rewrites", f"{name}, [shouting]", ("calm",)),
        harsh_note=_text(harsh, "noticed", f"{name}, [harsh_tone]", MAX_NOTE_CHARS),
        harsh_rewrites=_templates(harsh, "rewrites", f"{name}, [harsh_tone]", ("calm",)),
        harsh_bare=_templates(harsh, "bare", f"{name}, [harsh_tone]", ()),
        harsh_drop=_strings(harsh, "drop", f"{name}, [harsh_tone]"),
        already=_strings(data.get("already_curious", {}), "lines", f"{name}, [already_curious]"),
        deeper={k: tuple(v) for k, v in deeper.items()},
    )


def load_languages(directory: Path = DATA_DIR) -> dict[str, Language]:
    """Every table in the folder, by language code (English must be there)."""
    found = {p.stem: load_language(p) for p in sorted(directory.glob("*.toml"))}
    if DEFAULT_LANGUAGE not in found:
        raise TableError(f"{directory.name}: there is no {DEFAULT_LANGUAGE}.toml")
    return found


# --------------------------------------------------------------------------- tone


class Tone(Protocol):
    """How a sentence sounds overall: harsh (aimed at someone) or warm."""

    def harsh(self, sentence: str) -> bool: ...

    def warm(self, sentence: str) -> bool: ...


class WordListTone:
    """Our own word lists (the table's `harsh`, `warm` and `addressed`): harsh when two
    harsh words meet, or one in a sentence aimed at someone, and the warmth doesn't
    outweigh them; warm when warm words outnumber harsh ones."""

    def __init__(self, language: Language) -> None:
        self.language = language

    def _counts(self, sentence: str) -> tuple[int, int]:
        lang = self.language
        return lang.count("harsh", sentence), lang.count("warm", sentence)

    def harsh(self, sentence: str) -> bool:
        harsh, warm = self._counts(sentence)
        if harsh == 0 or warm >= harsh:
            return False
        return harsh >= 2 or self.language.count("addressed", sentence) > 0

    def warm(self, sentence: str) -> bool:
        harsh, warm = self._counts(sentence)
        return warm > harsh


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class Finding:
    """One critical thing in one sentence."""

    kind: str  # a phrasing's id, SHOUTING or HARSH_TONE
    note: str
    sentence: int  # which sentence (0-based)
    weight: int
    templates: tuple[str, ...]  # filled in order, one per rewrite
    slot: str  # the text the templates' slot takes ("" when they have none)
    lead: str = ""  # what came before the phrase, kept in front of a bare template


@dataclass(frozen=True, slots=True)
class Reading:
    """What Hearth makes of a text."""

    findings: tuple[Finding, ...]
    noticed: str | None  # one short line, or None when nothing is critical
    rewrites: tuple[str, ...]  # 2–3 curious ways to say it (critical only)
    already: str | None  # the warm line when nothing is critical
    deeper: str | None  # one way to go deeper, where it fits
    cut: bool  # the text was longer than Hearth reads

    @property
    def critical(self) -> bool:
        return bool(self.findings)


_CLAUSE_BREAK = re.compile(r"\s*(?:;|:|\s[—–-]\s|—|–).*$")
_TRAILING = re.compile(r"[\s.,!?…:;\"'()\[\]*_~]+$")
_LEADING = re.compile(r"^[\s,.;:!?…\-—–]+")


def _base_form(word: str, lang: Language) -> str:
    """A past form turned back into the plain one, when we know it ("called" → "call")."""
    lower = word.lower()
    if lower in lang.irregular_past:
        return lang.irregular_past[lower]
    if lower.endswith("ied") and lower[:-3] + "y" in lang.base_verbs:
        return lower[:-3] + "y"
    if lower.endswith("ed"):
        for stem in (lower[:-2], lower[:-1], lower[:-3]):
            if stem in lang.base_verbs:
                return stem
    return word


def _strip_heat(text: str, lang: Language) -> str:
    """Take vocative insults and swearing out of a tail ("do that, you idiot" → "do that")."""
    for pattern in lang.vocatives:
        text = pattern.sub("", text)
    text = lang.words("harsh_drop").sub("", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def shape_tail(raw: str, tail: str, lang: Language, *, shouted: bool) -> str | None:
    """The words after a phrase, shaped for the templates: "" when nothing meaningful
    follows, None when they don't fit the phrasing (`ing` without an -ing word)."""
    # More than a tail's worth of words is never used: don't spend work on it.
    text = _strip_heat(raw[: MAX_TAIL_WORDS * 12], lang)
    text = _CLAUSE_BREAK.sub("", text)
    text = _LEADING.sub("", text)
    text = _TRAILING.sub("", text)
    if shouted:
        text = calm(text).lower() if text else text
        text = re.sub(r"(?<![\w'])i(?=$|[\s',.!?])", "I", text)
    words = text.split()
    while words and words[0].lower().strip(",") in lang.fillers:
        words.pop(0)
    if len(words) > MAX_TAIL_WORDS:
        words = words[:MAX_TAIL_WORDS]
        joined = " ".join(words)
        comma = joined.rfind(",")
        if comma > len(joined) // 3:
            words = joined[:comma].split()
    if not words or all(w.lower().strip(",.!?") in lang.fillers for w in words):
        return None if tail == "ing" else ""
    if tail == "ing":
        return " ".join(words) if words[0].lower().endswith("ing") else None
    if tail == "to" and words[0].lower() == "to" and len(words) > 1:
        words = words[1:]
    if tail == "that" and words[0].lower() == "that" and len(words) > 1:
        words = words[1:]
    if tail == "base":
        words[0] = _base_form(words[0], lang)
    return _TRAILING.sub("", " ".join(words).rstrip(","))


def _softened(text: str, lang: Language) -> bool:
    return lang.count("softeners", text) > 0


def _lower_first(text: str) -> str:
    """For a sentence set inside a template: "This week…" → "this week…" ("I" stays)."""
    first = text.split(" ", 1)[0]
    if first == "I" or first.startswith("I'") or first.isupper():
        return text
    return text[:1].lower() + text[1:]


def _find(
    sentence: str, masked: str, index: int, lang: Language, tone: Tone, soft: bool
) -> tuple[Finding | None, bool]:
    """The strongest finding in one sentence (or None), and whether it shouts."""
    shouted = is_shouting(masked)
    asked = "?" in masked
    best: Finding | None = None
    best_at = len(masked) + 1
    for phrasing in lang.phrasings:
        for pattern in phrasing.patterns:
            match = pattern.search(masked)
            if match is None:
                continue
            raw = sentence[match.start("rest") :] if "rest" in pattern.groupindex else ""
            if phrasing.unless is not None and phrasing.unless.match(raw):
                continue
            slot = shape_tail(raw, phrasing.tail, lang, shouted=shouted) if raw else ""
            if slot is None:
                continue  # the words after it don't fit this phrasing
            if phrasing.weight == 1:
                outside = masked[: match.start()] + " " + masked[match.end() :]
                if soft or tone.warm(outside) or tone.warm(raw):
                    continue  # mild, in a warm or openly curious sentence: leave it
            weight = phrasing.weight
            if best is None or (weight, -match.start()) > (best.weight, -best_at):
                templates = phrasing.rewrites if slot else phrasing.bare
                lead = (
                    ""
                    if slot
                    else _lead(sentence[: match.start()], lang, shouted=shouted, asked=asked)
                )
                best = Finding(phrasing.id, phrasing.noticed, index, weight, templates, slot, lead)
                best_at = match.start()
            break
    if best is not None:
        return best, shouted
    if tone.harsh(masked):
        calmer = _TRAILING.sub("", lang.words("harsh_drop").sub("", calm(sentence)))
        calmer = re.sub(r"\s{2,}", " ", calmer).strip(" ,")
        if len(calmer.split()) >= 2:
            slot = _lower_first(calmer)
            return Finding(
                HARSH_TONE, lang.harsh_note, index, 1, lang.harsh_rewrites, slot
            ), shouted
        return Finding(HARSH_TONE, lang.harsh_note, index, 1, lang.harsh_bare, ""), shouted
    if shouted:
        slot = _lower_first(calm(sentence))
        return Finding(
            SHOUTING, lang.shouting_note, index, 1, lang.shouting_rewrites, slot
        ), shouted
    return None, shouted


def _lead(before: str, lang: Language, *, shouted: bool, asked: bool) -> str:
    """The words before a phrase that has nothing after it ("Do it now, you idiot" →
    "Do it now."), when they say something (two words or more); else ""."""
    text = _TRAILING.sub("", _strip_heat(before[-MAX_TAIL_WORDS * 12 :], lang))
    words = [w for w in text.split() if w.lower().strip(",") not in lang.fillers]
    if len(words) < 2:
        return ""
    text = calm(text) if shouted else text[:1].upper() + text[1:]
    return text + ("?" if asked else ".")


def _fill(finding: Finding, k: int) -> str:
    template = finding.templates[k]
    text = template.replace("{rest}", finding.slot).replace("{calm}", finding.slot)
    text = text[:1].upper() + text[1:]
    return f"{finding.lead} {text}" if finding.lead else text


def _stable(text: str) -> int:
    return sum(ord(c) for c in text)


def read(text: str, lang: Language, tone: Tone | None = None) -> Reading:
    """What Hearth notices in `text`, and curious ways to say it."""
    tone = tone or WordListTone(lang)
    typed = _tidy(text)
    clean = typed.translate(_APOSTROPHES)  # one to one: positions still match
    cut = len(text.strip()) > len(clean) + 1 and len(clean) >= MAX_CHARS
    masked_all = mask_quotes(typed).translate(_APOSTROPHES)
    soft = _softened(masked_all, lang)
    parts: list[tuple[str, Finding | None, bool]] = []
    findings: list[Finding] = []
    for index, (start, end) in enumerate(sentences(masked_all)):
        sentence, masked = clean[start:end], masked_all[start:end]
        found, shouted = _find(sentence, masked, index, lang, tone, soft)
        if found is not None:
            findings.append(found)
        parts.append((sentence, found, shouted))
    if not findings:
        already = lang.already[_stable(clean) % len(lang.already)]
        return Reading((), None, (), already, _deeper(clean, masked_all, lang), cut)
    primary = max(
        findings, key=lambda f: (f.weight, f.kind not in (SHOUTING, HARSH_TONE), -f.sentence)
    )
    noticed = primary.note
    if any(shouted for _, _, shouted in parts) and primary.kind != SHOUTING:
        extra = " All caps can read as shouting, too."
        if len(noticed) + len(extra) <= MAX_NOTE_CHARS + 40:
            noticed += extra
    rewrites: list[str] = []
    for k in range(3):
        pieces: list[str] = []
        for sentence, found, _ in parts:
            if found is None:
                pieces.append(sentence.strip())
            elif k < len(found.templates):
                pieces.append(_fill(found, k))
            else:
                pieces = []
                break
        rewrite = clip(" ".join(p for p in pieces if p), MAX_REWRITE_CHARS)
        if rewrite and rewrite not in rewrites:
            rewrites.append(rewrite)
    return Reading(tuple(findings), noticed, tuple(rewrites), None, None, cut)


def _deeper(text: str, masked: str, lang: Language) -> str | None:
    """One way to go deeper, where it fits: words to someone, with somewhere to go."""
    if len(_WORDS.findall(text)) < 3 or not lang.count("addressed", masked):
        return None
    kind = "question" if "?" in text else "statement"
    options = lang.deeper[kind]
    return options[_stable(text) % len(options)]


# --------------------------------------------------------------------------- curious replies


class Ask(StrEnum):
    """A curious reply that opens a form: a question, posted in the post's thread."""

    MORE = "more"  # "Tell me more"
    UNDERSTAND = "understand"  # "Help me understand"


class Reaction(StrEnum):
    """A one-click reply: a tally on the post, and who, for its writer's eyes only."""

    SAME = "same"  # "Same here"
    HEAR = "hear"  # "I hear you"
