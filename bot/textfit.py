"""Fitting any text to Discord's limits. Every outgoing string goes through here.

Discord rejects a whole message when one part is a character too long, so a long
name or reflection must never turn into a failed post. Lengths are checked both as
Python code points and as UTF-16 code units (what Discord's clients count): a result
satisfies both, so an emoji-heavy text is simply cut a little earlier.

Cuts fall between grapheme-ish units: never inside a combining sequence, a ZWJ emoji
sequence, a skin-tone or keycap sequence or a flag pair. This is a deliberately simple
approximation of UAX #29, not a full implementation.

Mentions are not neutralised here: that is ``allowed_mentions``' job, so "@everyone"
stays readable text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate

import discord

__all__ = [
    "AUTHOR",
    "AUTOCOMPLETE_CHOICES",
    "BUTTON_LABEL",
    "CHOICE_NAME",
    "CHOICE_VALUE",
    "COMMAND_DESCRIPTION",
    "CONTENT",
    "CUSTOM_ID",
    "ELLIPSIS",
    "EMBEDS_PER_MESSAGE",
    "EMBED_DESCRIPTION",
    "EMBED_FIELDS",
    "EMBED_TITLE",
    "EMBED_TOTAL",
    "EMPTY_FIELD",
    "FIELD_NAME",
    "FIELD_VALUE",
    "FOOTER",
    "MODAL_TITLE",
    "OPTION_DESCRIPTION",
    "OPTION_LABEL",
    "OPTION_VALUE",
    "PLACEHOLDER",
    "SELECT_OPTIONS",
    "TEXT_INPUT_LABEL",
    "TEXT_INPUT_PLACEHOLDER",
    "TEXT_INPUT_VALUE",
    "THREAD_NAME",
    "clean",
    "embed_length",
    "fit",
    "fit_embed",
    "fit_embeds",
    "one_line",
    "quote_block",
    "utf16_len",
]

# Message
CONTENT = 2000
# Embeds
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
EMBED_TOTAL = 6000  # all embeds of one message together
EMBEDS_PER_MESSAGE = 10
# Components
BUTTON_LABEL = 80
SELECT_OPTIONS = 25
OPTION_LABEL = 100
OPTION_VALUE = 100
OPTION_DESCRIPTION = 100
PLACEHOLDER = 150
CUSTOM_ID = 100
# Modals
MODAL_TITLE = 45
TEXT_INPUT_LABEL = 45
TEXT_INPUT_PLACEHOLDER = 100
TEXT_INPUT_VALUE = 4000
# Application commands
CHOICE_NAME = 100
CHOICE_VALUE = 100
COMMAND_DESCRIPTION = 100
AUTOCOMPLETE_CHOICES = 25
# Threads
THREAD_NAME = 100

ELLIPSIS = "…"
# Stands in for an empty embed field name/value, which Discord rejects. A visible dash
# rather than a zero-width space, so screen readers and copy-paste see something honest.
EMPTY_FIELD = "—"

ZWJ = "\u200d"
_ZWNJ = "\u200c"
_VIRAMA = 9  # canonical combining class of viramas/halants

# Line breaks other than "\n" become "\n" so counting and quoting see one kind.
_NEWLINES = str.maketrans({"\r": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"})
# C0/C1 controls except tab and newline, lone surrogates (they cannot be encoded as
# UTF-8, so the request would fail) and the 66 noncharacters. The 32 astral
# noncharacters get their own pattern: astral members make a character class ~10x
# slower, and most text has no astral characters at all.
_REMOVE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_REMOVE_ASTRAL = re.compile(
    "[" + "".join(f"{chr(p << 16 | 0xFFFE)}-{chr(p << 16 | 0xFFFF)}" for p in range(1, 17)) + "]"
)
_BLANK_RUN = re.compile(r"\n(?:[^\S\n]*\n){3,}")  # a line end plus 3+ blank lines
_LEADING_BLANK_LINES = re.compile(r"\A(?:[^\S\n]*\n)+")
# Anything `clean` would change, found in one pass: controls but tab and newline (so "\r",
# "\x85" too), the other line breaks, lone surrogates, noncharacters of the first plane, a
# run of three blank lines, a blank first line. Most text has none: it's kept as it is
# without the six passes cleaning takes (fitting ran ~16 times per interaction).
_DIRTY = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
    r"|\n(?:[^\S\n]*\n){3}|\A[^\S\n]*\n"
)
# The whitespace cut is preferred when it loses at most this share of the text.
_WORD_CUT_WINDOW = 0.2


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the way Discord's clients count."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _units(text: str) -> int:
    # Both measures must hold; UTF-16 units are never fewer than code points.
    return utf16_len(text)


def _is_clean(text: str) -> bool:
    """Whether `clean` would leave `text` as it is (checked without cleaning it)."""
    if text[-1:].isspace() or _DIRTY.search(text):
        return False
    if text.isascii():
        return True
    if not unicodedata.is_normalized("NFC", text):
        return False
    return utf16_len(text) == len(text) or not _REMOVE_ASTRAL.search(text)


def clean(text: str) -> str:
    """Text Discord accepts, with the person's words untouched.

    NFC-normalises; drops control characters (except newline and tab), lone surrogates
    and noncharacters; unifies line breaks; keeps emoji sequences, combining marks and
    right-to-left text as they are; collapses more than two blank lines; drops leading
    blank lines and trailing whitespace. Whitespace-only text becomes "".
    """
    return text if _is_clean(text) else _clean_slowly(text)


def _clean_slowly(text: str) -> str:
    """`clean`, every pass of it (what `_is_clean` spares text that needs none)."""
    text = text.replace("\r\n", "\n").translate(_NEWLINES)
    text = _REMOVE.sub("", text)
    if utf16_len(text) != len(text):
        text = _REMOVE_ASTRAL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _BLANK_RUN.sub("\n\n\n", text)
    text = _LEADING_BLANK_LINES.sub("", text)
    return text.rstrip()


def _is_regional_indicator(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def _extends(char: str) -> bool:
    """Whether ``char`` belongs to the grapheme before it."""
    cp = ord(char)
    return (
        char in (ZWJ, _ZWNJ)
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors (emoji/text presentation)
        or 0x1F3FB <= cp <= 0x1F3FF  # skin-tone modifiers
        or 0xE0020 <= cp <= 0xE007F  # tags (subdivision flags like England's)
        or 0xE0100 <= cp <= 0xE01EF  # variation selectors supplement
        or unicodedata.category(char) in ("Mn", "Mc", "Me")  # combining marks, keycaps
    )


def _is_boundary(text: str, i: int) -> bool:
    """Whether cutting ``text`` before index ``i`` keeps every grapheme whole."""
    if i <= 0 or i >= len(text):
        return True
    prev, nxt = text[i - 1], text[i]
    if _extends(nxt) or prev == ZWJ:
        return False
    if unicodedata.combining(prev) == _VIRAMA and unicodedata.category(nxt) == "Lo":
        return False  # an Indic conjunct (क्ष) is one letter to its reader
    if _is_regional_indicator(prev) and _is_regional_indicator(nxt):
        # Flags are pairs counted from the start of the run: an odd count before the
        # cut means it would split a flag.
        run = 0
        j = i - 1
        while j >= 0 and _is_regional_indicator(text[j]):
            run += 1
            j -= 1
        return run % 2 == 0
    return True


def _max_prefix(text: str, budget: int) -> int:
    """The largest i such that text[:i] fits ``budget`` in both measures."""
    head = text[:budget]
    if utf16_len(head) == len(head):  # no astral characters: code points == units
        return len(head)
    widths = accumulate(2 if ord(c) > 0xFFFF else 1 for c in head)
    return bisect_right(list(widths), budget)


def _cut(text: str, budget: int) -> str:
    """A whole-grapheme prefix of ``text`` within ``budget``, preferring a word break."""
    i = _max_prefix(text, budget)
    if i >= len(text):
        return text
    if not text[i].isspace():
        window_start = i - int(i * _WORD_CUT_WINDOW)
        space = next((j for j in range(i - 1, window_start - 1, -1) if text[j].isspace()), -1)
        if space > 0:
            i = space
        else:
            while i > 0 and not _is_boundary(text, i):
                i -= 1
    head = text[:i]
    # A break after a space can leave a joiner dangling ("a\u200d b"); trim both.
    while head and (head[-1].isspace() or head[-1] in (ZWJ, _ZWNJ)):
        head = head[:-1]
    return head


def fit(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    """``clean(text)`` cut to at most ``limit`` code points and UTF-16 units.

    A cut text ends with ``ellipsis`` (dropped if it alone would not fit). Empty or
    whitespace-only text gives "", so callers choose their own fallback. A single
    grapheme longer than the limit (say a letter with hundreds of accents) gives just
    the ellipsis rather than a broken character.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return _fit_clean(clean(text), limit, ellipsis)


def _fit_clean(text: str, limit: int, ellipsis: str) -> str:
    """`fit` of text already clean."""
    if not text or _units(text) <= limit:
        return text
    mark = ellipsis if _units(ellipsis) <= limit else ""
    return _cut(text, limit - _units(mark)) + mark


def one_line(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    """Like ``fit`` with every run of whitespace (newlines too) made one space.

    For titles, labels, thread names, option labels and other single-line places.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    # Clean text joined by single spaces is still clean: no second cleaning pass.
    return _fit_clean(" ".join(clean(text).split()), limit, ellipsis)


def quote_block(text: str, limit: int) -> str:
    """``text`` as a Discord quote ("> " before every line), at most ``limit`` long.

    Blank lines become "> " so the quote does not break in the middle. Returns "" for
    empty text or a limit too small for "> …".
    """
    body = clean(text)
    if not body:
        return ""

    def render(s: str) -> str:
        return "\n".join("> " + line for line in s.split("\n"))

    whole = render(body)
    if _units(whole) <= limit:
        return whole
    # Each line costs two more characters once quoted, so search for the largest inner
    # limit whose quoted form still fits.
    best = ""
    lo, hi = 1, limit
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = render(fit(body, mid))
        if _units(candidate) <= limit:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best


# --------------------------------------------------------------------------- embeds


def _text_parts(embed: discord.Embed) -> list[str]:
    parts = [embed.title or "", embed.description or ""]
    for field in embed.fields:
        parts += [field.name or "", field.value or ""]
    parts += [embed.footer.text or "", embed.author.name or ""]
    return parts


def embed_length(embed: discord.Embed) -> int:
    """The embed's text length as Discord totals it, in the stricter of both measures."""
    return sum(_units(part) for part in _text_parts(embed))


def _shrunk(text: str, excess: int) -> str:
    """``text`` shortened by at least ``excess`` units ("" if that leaves nothing)."""
    room = _units(text) - excess
    return fit(text, room) if room >= 1 else ""


def _set_field(embed: discord.Embed, index: int, *, name: str, value: str) -> None:
    field = embed.fields[index]
    embed.set_field_at(index, name=name, value=value, inline=field.inline)


def fit_embed(embed: discord.Embed, *, total: int = EMBED_TOTAL) -> discord.Embed:
    """Fit every text part of ``embed`` to its limit, and all of it to ``total``.

    Mutates and returns the same embed. Title, field names and author become one line;
    empty field names/values become "—"; fields past 25 are dropped. If the text is
    still over ``total`` it is trimmed in this order until it fits: description, field
    values (last first), footer, field names (last first), author, title, and finally
    whole fields (last first).
    """
    if total < 0:
        raise ValueError("total must not be negative")
    # Each part is measured as it is fitted, so an embed within `total` (nearly all) is
    # never measured again; discord.py builds a proxy per field each time `fields` is read.
    length = 0
    if embed.title is not None:
        embed.title = one_line(str(embed.title), EMBED_TITLE) or None
        length += _units(embed.title or "")
    if embed.description is not None:
        embed.description = fit(str(embed.description), EMBED_DESCRIPTION) or None
        length += _units(embed.description or "")

    fields = embed.fields
    fitted = [
        (
            one_line(field.name or "", FIELD_NAME) or EMPTY_FIELD,
            fit(field.value or "", FIELD_VALUE) or EMPTY_FIELD,
            field.inline,
        )
        for field in fields[:EMBED_FIELDS]
    ]
    if len(fitted) < len(fields) or any(
        (name, value) != (field.name, field.value)
        for (name, value, _inline), field in zip(fitted, fields, strict=False)
    ):
        embed.clear_fields()  # only when there are fields: it would add "fields": []
        for name, value, inline in fitted:
            embed.add_field(name=name, value=value, inline=inline)
    length += sum(_units(name) + _units(value) for name, value, _inline in fitted)

    footer = embed.footer
    if footer.text is not None:
        text = fit(footer.text, FOOTER)
        if text:
            if text != footer.text:
                embed.set_footer(text=text, icon_url=footer.icon_url)
            length += _units(text)
        else:  # Discord requires footer text whenever there is a footer
            embed.remove_footer()
    author = embed.author
    if author.name is not None:
        name = one_line(author.name, AUTHOR)
        if name:
            if name != author.name:
                embed.set_author(name=name, url=author.url, icon_url=author.icon_url)
            length += _units(name)
        else:  # likewise, an author needs a name
            embed.remove_author()

    if length > total:
        _trim_to_total(embed, total)
    return embed


def _trim_to_total(embed: discord.Embed, total: int) -> None:
    # Track the overshoot as parts shrink instead of re-measuring the whole embed.
    over = embed_length(embed) - total

    def shrink(text: str) -> str:
        nonlocal over
        shorter = _shrunk(text, over)
        over -= _units(text) - _units(shorter)
        return shorter

    def shrink_field(text: str) -> str:
        nonlocal over
        shorter = _shrunk(text, over) or EMPTY_FIELD
        over -= _units(text) - _units(shorter)
        return shorter

    if over > 0 and embed.description:
        embed.description = shrink(embed.description) or None
    for i in reversed(range(len(embed.fields))):
        if over <= 0:
            break
        field = embed.fields[i]
        if field.value != EMPTY_FIELD:
            value = shrink_field(field.value or "")
            _set_field(embed, i, name=field.name or EMPTY_FIELD, value=value)
    if over > 0 and embed.footer.text:
        footer = embed.footer
        text = shrink(footer.text or "")
        if text:
            embed.set_footer(text=text, icon_url=footer.icon_url)
        else:
            embed.remove_footer()
    for i in reversed(range(len(embed.fields))):
        if over <= 0:
            break
        field = embed.fields[i]
        if field.name != EMPTY_FIELD:
            name = shrink_field(field.name or "")
            _set_field(embed, i, name=name, value=field.value or EMPTY_FIELD)
    if over > 0 and embed.author.name:
        author = embed.author
        name = shrink(author.name or "")
        if name:
            embed.set_author(name=name, url=author.url, icon_url=author.icon_url)
        else:
            embed.remove_author()
    if over > 0 and embed.title:
        embed.title = shrink(embed.title) or None
    while over > 0 and embed.fields:
        last = embed.fields[-1]
        over -= _units(last.name or "") + _units(last.value or "")
        embed.remove_field(len(embed.fields) - 1)


def fit_embeds(embeds: Iterable[discord.Embed]) -> list[discord.Embed]:
    """Fit the embeds of one message: at most 10, with all their text ≤ 6000 together.

    Earlier embeds keep their text first; each is fitted in place as by ``fit_embed``.
    An embed whose text had to go entirely is left out.
    """
    result: list[discord.Embed] = []
    remaining = EMBED_TOTAL
    for embed in list(embeds)[:EMBEDS_PER_MESSAGE]:
        had_text = embed_length(embed) > 0
        fit_embed(embed, total=remaining)
        used = embed_length(embed)
        if had_text and used == 0:
            continue
        remaining -= used
        result.append(embed)
    return result
