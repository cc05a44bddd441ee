"""bot.textfit: every outgoing text within Discord's limits, graphemes kept whole."""

from __future__ import annotations

import unicodedata

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import textfit
from bot.textfit import (
    AUTHOR,
    CONTENT,
    EMBED_DESCRIPTION,
    EMBED_FIELDS,
    EMBED_TITLE,
    EMBED_TOTAL,
    FIELD_NAME,
    FIELD_VALUE,
    FOOTER,
    clean,
    embed_length,
    fit,
    fit_embed,
    fit_embeds,
    one_line,
    quote_block,
    utf16_len,
)

ZWJ = "\u200d"
FAMILY = "👨‍👩‍👧"  # man ZWJ woman ZWJ girl: 5 code points, 8 UTF-16 units
RAINBOW_FLAG = "🏳️‍🌈"
GERMANY = "🇩🇪"
ENGLAND = "🏴󠁧󠁢󠁥󠁮󠁧󠁿"  # black flag + tag letters + cancel tag
THUMBS_MEDIUM = "👍🏽"
KEYCAP_ONE = "1️⃣"
HEBREW = "שָׁלוֹם עוֹלָם"
ARABIC = "مَرْحَبًا بِالْعَالَم"
DEVANAGARI = "नमस्ते दुनिया"  # spacing and non-spacing marks
ZALGO = "Z\u0335\u0321\u0358a\u0336\u0322l\u0334g\u0337o\u0338"

# --------------------------------------------------------------------------- strategies

emoji_sequences = st.sampled_from(
    [FAMILY, RAINBOW_FLAG, GERMANY, "🇫🇷🇯🇵", ENGLAND, THUMBS_MEDIUM, KEYCAP_ONE, "❤️", "😀"]
)
combining = st.builds(
    lambda base, marks: base + "".join(marks),
    st.sampled_from("aeoxZ"),
    st.lists(st.sampled_from("\u0300\u0301\u0308\u0323\u0335\u0358\u20dd"), max_size=6),
)
rtl = st.sampled_from([HEBREW, ARABIC, "\u202bRTL embed\u202c", "\u200f"])
whitespace = st.sampled_from([" ", "\n", "\n\n\n\n", "\t", "\r\n", "\u3000", "\xa0", " \n "])
controls = st.sampled_from(["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ufffe", "\U0010ffff"])
pieces = st.one_of(
    st.text(max_size=20),
    emoji_sequences,
    combining,
    rtl,
    whitespace,
    controls,
    st.just("@everyone"),
)
texts = st.one_of(
    st.text(),
    st.lists(pieces, max_size=60).map("".join),
    st.builds(lambda s, n: s * n, pieces, st.integers(1, 400)),
)
limits = st.integers(1, 6000)
# Long parts that hit every limit, mixed with short ones; bounded so examples stay fast.
embed_texts = st.one_of(
    st.none(),
    st.text(max_size=30),
    texts,
    st.builds(
        lambda s, n: s * n, st.sampled_from(["é", "😀", "ab ", "\n", FAMILY]), st.integers(0, 5000)
    ),
)


# --------------------------------------------------------------------------- helpers


def extends(char: str) -> bool:
    """Marks, joiners, selectors, modifiers, tags: characters that belong to the last one."""
    cp = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char in (ZWJ, "\u200c")
        or 0xFE00 <= cp <= 0xFE0F
        or 0x1F3FB <= cp <= 0x1F3FF
        or 0xE0020 <= cp <= 0xE007F
        or 0xE0100 <= cp <= 0xE01EF
    )


def is_ri(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def within(text: str, limit: int) -> bool:
    return len(text) <= limit and utf16_len(text) <= limit


def nonempty_within(text: str, limit: int) -> bool:
    return bool(text) and within(text, limit)


def has_lone_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def assert_whole_prefix(body: str, source: str) -> None:
    """``body`` is a prefix of ``source`` that ends between two whole graphemes."""
    assert source.startswith(body)
    if not body:
        return
    assert body[-1] != ZWJ
    if len(body) < len(source):
        assert not extends(source[len(body)])
        run = len(body) - len(body.rstrip("".join(map(chr, range(0x1F1E6, 0x1F200)))))
        if is_ri(source[len(body)]):
            assert run % 2 == 0  # a flag is never cut in half


# --------------------------------------------------------------------------- constants


def test_limits_match_discord() -> None:
    assert (CONTENT, EMBED_TITLE, EMBED_DESCRIPTION, EMBED_FIELDS) == (2000, 256, 4096, 25)
    assert (FIELD_NAME, FIELD_VALUE, FOOTER, AUTHOR, EMBED_TOTAL) == (256, 1024, 2048, 256, 6000)
    assert textfit.EMBEDS_PER_MESSAGE == 10
    assert (textfit.BUTTON_LABEL, textfit.SELECT_OPTIONS, textfit.PLACEHOLDER) == (80, 25, 150)
    assert textfit.OPTION_LABEL == textfit.OPTION_VALUE == textfit.OPTION_DESCRIPTION == 100
    assert (textfit.MODAL_TITLE, textfit.TEXT_INPUT_LABEL) == (45, 45)
    assert (textfit.TEXT_INPUT_PLACEHOLDER, textfit.TEXT_INPUT_VALUE) == (100, 4000)
    assert textfit.CUSTOM_ID == textfit.CHOICE_NAME == textfit.CHOICE_VALUE == 100
    assert textfit.THREAD_NAME == textfit.COMMAND_DESCRIPTION == 100
    assert textfit.AUTOCOMPLETE_CHOICES == 25


@pytest.mark.parametrize(
    ("text", "units"),
    [("", 0), ("abc", 3), ("é", 1), ("😀", 2), (FAMILY, 8), (GERMANY, 4), ("\ud800", 1)],
)
def test_utf16_len(text: str, units: int) -> None:
    assert utf16_len(text) == units


# --------------------------------------------------------------------------- clean


@pytest.mark.parametrize(
    ("dirty", "expected"),
    [
        ("hello", "hello"),
        ("a\x00b\x07c\x1b[31md\x7fe", "abc[31mde"),
        ("keep\ttabs\nand newlines", "keep\ttabs\nand newlines"),
        ("windows\r\nline\rends\u2028too\x85", "windows\nline\nends\ntoo"),
        ("lone \ud800 surrogate \udfff", "lone  surrogate"),
        ("non\ufffechar\U0001ffff\ufdd0s", "nonchars"),
        ("e\u0301", "é"),  # NFC
        (FAMILY + RAINBOW_FLAG + GERMANY + ENGLAND, FAMILY + RAINBOW_FLAG + GERMANY + ENGLAND),
        (HEBREW, HEBREW),
        (ARABIC, ARABIC),
        (DEVANAGARI, DEVANAGARI),
        ("trailing   \n\n  ", "trailing"),
        ("\n\n  \n  indented first line", "  indented first line"),
        ("a\n\n\n\n\n\nb", "a\n\n\nb"),
        ("a\n \n\t\n  \n\nb", "a\n\n\nb"),
        ("a\n\n\nb", "a\n\n\nb"),
        ("   \n\t \u3000", ""),
        ("", ""),
        ("@everyone hi <@&123>", "@everyone hi <@&123>"),
        ("zero\u200bwidth", "zero\u200bwidth"),
    ],
)
def test_clean(dirty: str, expected: str) -> None:
    assert clean(dirty) == expected


@given(texts)
def test_clean_is_idempotent_and_safe(text: str) -> None:
    once = clean(text)
    assert clean(once) == once
    assert not has_lone_surrogate(once)
    assert once == once.rstrip()
    assert "\n\n\n\n" not in once
    assert all(c in "\n\t" or unicodedata.category(c) != "Cc" for c in once)


@given(st.one_of(texts, st.text()))
def test_text_that_needs_no_cleaning_is_recognised_without_cleaning_it(text: str) -> None:
    # Most text is already clean and is kept as it is without the full passes; that
    # shortcut must never change what cleaning gives, whatever the text.
    assert clean(text) == textfit._clean_slowly(text)
    once = clean(text)
    assert clean(once) is once  # clean text comes back untouched


def test_clean_removes_lone_surrogates_anywhere() -> None:
    assert clean("\udc80a\ud83d") == "a"
    assert clean("😀\ud83d") == "😀"


# --------------------------------------------------------------------------- fit


def test_fit_leaves_short_clean_text_alone() -> None:
    assert fit("Hello, friend!", 2000) == "Hello, friend!"
    assert fit("abc", 3) == "abc"


def test_fit_cuts_long_text_with_an_ellipsis() -> None:
    assert fit("A" * 10_000, 2000) == "A" * 1999 + "…"
    assert fit("abcdef", 4) == "abc…"
    assert fit("abcdef", 4, ellipsis="") == "abcd"
    assert fit("abcdef", 4, ellipsis="...") == "a..."
    assert fit("abcdef", 2, ellipsis="...") == "ab"  # an ellipsis that cannot fit is dropped


def test_fit_prefers_a_word_break_near_the_end() -> None:
    text = "The quick brown fox jumps over the lazy dog"
    assert fit(text, 20) == "The quick brown fox…"
    # No space in the last fifth: cut mid-word rather than lose most of the text.
    assert fit("word " + "x" * 100, 50) == "word " + "x" * 44 + "…"


def test_fit_empty_and_blank_input_give_empty() -> None:
    assert fit("", 10) == ""
    assert fit("  \n\t\u3000 ", 10) == ""
    assert one_line("\n\n", 10) == ""


def test_fit_rejects_a_zero_limit() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        fit("abc", 0)


def test_fit_counts_utf16_units() -> None:
    emoji = "😀" * 10  # 10 code points, 20 units
    result = fit(emoji, 10)
    assert result == "😀" * 4 + "…"
    assert utf16_len(result) == 9


@pytest.mark.parametrize("limit", range(1, 40))
def test_flags_at_the_cut_stay_whole(limit: int) -> None:
    body = fit("Go " + GERMANY * 8, limit).removesuffix("…")
    assert_whole_prefix(body, "Go " + GERMANY * 8)
    flags = body[3:] if body.startswith("Go ") else ""
    assert len(flags) % 2 == 0


@pytest.mark.parametrize("limit", range(1, 50))
def test_family_emoji_is_never_split(limit: int) -> None:
    text = "hi " + FAMILY * 5
    result = fit(text, limit)
    assert within(result, limit)
    body = result.removesuffix("…")
    assert_whole_prefix(body, text)
    assert body.removeprefix("hi ").replace(FAMILY, "") in ("", "hi", "h")


@pytest.mark.parametrize(
    "unit", [RAINBOW_FLAG, ENGLAND, THUMBS_MEDIUM, KEYCAP_ONE, "x\u0301\u0302\u0323", "क्षि"]
)
def test_other_sequences_are_never_split(unit: str) -> None:
    unit = clean(unit)  # NFC puts the marks in canonical order
    text = unit * 30
    for limit in range(1, utf16_len(text)):
        body = fit(text, limit).removesuffix("…")
        assert body.replace(unit, "") == "", (limit, body)


def test_a_single_huge_grapheme_becomes_just_the_ellipsis() -> None:
    assert fit("e" + "\u0301" * 500, 100) == "…"
    assert fit(ZWJ.join(["👩"] * 100), 50) == "…"


def test_mentions_survive_as_text() -> None:
    assert fit("@everyone look", 100) == "@everyone look"
    assert one_line("@here\n<@123>", 100) == "@here <@123>"


def test_rtl_text_is_cut_cleanly() -> None:
    for limit in range(1, len(ARABIC) + 2):
        result = fit(ARABIC, limit)
        assert within(result, limit)
        assert_whole_prefix(result.removesuffix("…"), clean(ARABIC))


def test_newline_floods_collapse() -> None:
    assert fit("\n" * 10_000 + "x", 10) == "x"
    assert fit("a" + "\n" * 10_000 + "b", 2000) == "a\n\n\nb"


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, limit=limits)
def test_fit_properties(text: str, limit: int) -> None:
    result = fit(text, limit)
    assert within(result, limit)
    assert not has_lone_surrogate(result)
    assert fit(result, limit) == result  # idempotent
    source = clean(text)
    if within(source, limit):
        assert result == source
        return
    assert result.endswith("…")
    body = result[:-1]
    assert not body.endswith(ZWJ)
    assert_whole_prefix(body, source)


@settings(max_examples=200)
@given(text=texts, limit=st.integers(1, 300))
def test_fit_with_any_ellipsis_stays_within(text: str, limit: int) -> None:
    for ellipsis in ("", "...", " [more]", "😀"):
        assert within(fit(text, limit, ellipsis=ellipsis), limit)


@settings(max_examples=200)
@given(text=texts, limit=st.integers(1, 300))
def test_one_line_properties(text: str, limit: int) -> None:
    result = one_line(text, limit)
    assert within(result, limit)
    assert "\n" not in result
    assert "\t" not in result
    assert "  " not in result
    assert result == result.strip()
    assert one_line(result, limit) == result


def test_one_line_collapses_whitespace() -> None:
    assert (
        one_line("  Weekly\n\n check-in \t for   friends  ", 100) == "Weekly check-in for friends"
    )
    assert one_line("a\nb c", 3) == "a…"


# --------------------------------------------------------------------------- quote_block


def test_quote_block() -> None:
    assert quote_block("hello\nworld", 100) == "> hello\n> world"
    assert quote_block("para one\n\npara two", 100) == "> para one\n> \n> para two"
    assert quote_block("  \n ", 100) == ""
    assert quote_block("hello world", 2) == ""
    long = quote_block("word " * 1000, 200)
    assert within(long, 200)
    assert long.startswith("> word")
    assert long.endswith("…")
    assert utf16_len(long) > 180  # uses most of the room


@settings(max_examples=200)
@given(text=texts, limit=st.integers(3, 2000))
def test_quote_block_properties(text: str, limit: int) -> None:
    result = quote_block(text, limit)
    assert within(result, limit)
    if clean(text):
        assert result
        assert all(line.startswith("> ") for line in result.split("\n"))


# --------------------------------------------------------------------------- embeds


def assert_embed_within_limits(embed: discord.Embed) -> None:
    data = embed.to_dict()
    assert within(data.get("title", ""), EMBED_TITLE)
    assert within(data.get("description", ""), EMBED_DESCRIPTION)
    fields = data.get("fields", [])
    assert len(fields) <= EMBED_FIELDS
    for field in fields:
        assert nonempty_within(field["name"], FIELD_NAME)
        assert nonempty_within(field["value"], FIELD_VALUE)
    if "footer" in data:
        assert nonempty_within(data["footer"]["text"], FOOTER)
    if "author" in data:
        assert nonempty_within(data["author"]["name"], AUTHOR)
    for key in ("title", "description"):
        assert data.get(key, "x") != ""  # empty strings are rejected; absent is fine
    assert len(embed) <= EMBED_TOTAL
    assert embed_length(embed) <= EMBED_TOTAL


@st.composite
def embeds(draw: st.DrawFn) -> discord.Embed:
    embed = discord.Embed(title=draw(embed_texts), description=draw(embed_texts))
    for _ in range(draw(st.integers(0, 30))):
        embed.add_field(
            name=draw(embed_texts) or "",
            value=draw(embed_texts) or "",
            inline=draw(st.booleans()),
        )
    footer = draw(embed_texts)
    if footer is not None:
        embed.set_footer(text=footer, icon_url=draw(st.none() | st.just("https://x.test/i.png")))
    author = draw(embed_texts)
    if author is not None:
        embed.set_author(name=author, url="https://x.test")
    return embed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(embeds())
def test_fit_embed_always_yields_a_valid_embed(embed: discord.Embed) -> None:
    fitted = fit_embed(embed)
    assert fitted is embed
    assert_embed_within_limits(fitted)
    assert fit_embed(fitted).to_dict() == fitted.to_dict()  # idempotent


def test_fit_embed_trims_description_first() -> None:
    embed = discord.Embed(title="T" * 300, description="d " * 3000)
    for i in range(3):
        embed.add_field(name=f"field {i}", value="v" * 2000)
    embed.set_footer(text="f" * 3000, icon_url="https://x.test/i.png")
    fit_embed(embed)
    assert_embed_within_limits(embed)
    assert embed.title == "T" * 255 + "…"
    assert [f.value for f in embed.fields] == ["v" * 1023 + "…"] * 3
    assert embed.footer.text == "f" * 2047 + "…"
    assert embed.footer.icon_url == "https://x.test/i.png"
    assert embed.description is not None
    assert embed_length(embed) > EMBED_TOTAL - 20  # trimmed, not emptied


def test_fit_embed_then_trims_field_values_from_the_last() -> None:
    embed = discord.Embed(description="d" * 100)
    for i in range(8):
        embed.add_field(name=f"f{i}", value=str(i) * 1024)
    fit_embed(embed)
    assert_embed_within_limits(embed)
    assert embed.description is None
    values = [f.value or "" for f in embed.fields]
    assert values[:5] == [str(i) * 1024 for i in range(5)]
    assert values[5].endswith("…")
    assert values[6] == values[7] == "—"


def test_fit_embed_fields() -> None:
    embed = discord.Embed()
    for i in range(30):
        embed.add_field(name=f"n{i}", value=f"v{i}")
    embed.add_field(name="", value="")
    fit_embed(embed)
    assert len(embed.fields) == 25
    assert embed.fields[-1].name == "n24"

    embed = discord.Embed().add_field(name=" \n", value="\x00").add_field(name="a\nb", value="ok")
    fit_embed(embed)
    assert [(f.name, f.value) for f in embed.fields] == [("—", "—"), ("a b", "ok")]


def test_fit_embed_drops_blank_parts_discord_would_reject() -> None:
    embed = discord.Embed(title="  ", description="\n\n", colour=0x123456)
    embed.set_footer(text=" ", icon_url="https://x.test/i.png")
    embed.set_author(name="\x00")
    fit_embed(embed)
    assert embed.to_dict() == discord.Embed(colour=0x123456).to_dict()


def test_fit_embed_keeps_everyone_text_and_emoji() -> None:
    embed = discord.Embed(title=f"@everyone {FAMILY}", description=GERMANY * 3000)
    fit_embed(embed)
    assert embed.title == f"@everyone {FAMILY}"
    assert (embed.description or "").removesuffix("…").replace(GERMANY, "") == ""


def test_fit_embeds_shares_the_total() -> None:
    many = [discord.Embed(description="x" * 4000) for _ in range(12)]
    fitted = fit_embeds(many)
    assert 1 <= len(fitted) <= 10
    assert sum(embed_length(e) for e in fitted) <= EMBED_TOTAL
    assert fitted[0].description == "x" * 4000
    for embed in fitted:
        assert_embed_within_limits(embed)
    images = [discord.Embed().set_image(url="https://x.test/i.png") for _ in range(3)]
    assert len(fit_embeds(images)) == 3  # text-free embeds cost nothing and are kept


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(embeds(), max_size=12))
def test_fit_embeds_properties(many: list[discord.Embed]) -> None:
    fitted = fit_embeds(many)
    assert len(fitted) <= 10
    assert sum(embed_length(e) for e in fitted) <= EMBED_TOTAL
    for embed in fitted:
        assert_embed_within_limits(embed)
