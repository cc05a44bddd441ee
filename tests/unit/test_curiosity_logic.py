"""The curiosity practice's rules: what Hearth notices in a sentence, the rewrites it offers
(they keep what the sentence is about), the data table's shape, and that no input — however
long or strange — can make reading it raise, run away or overflow Discord's limits."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cogs.curiosity import logic
from tests.unit.curiosity_table import FRESH, TABLE, Row, precision_recall

LANG = logic.load_languages()["en"]


def primary(reading: logic.Reading) -> str | None:
    if not reading.findings:
        return None
    chosen = max(
        reading.findings,
        key=lambda f: (f.weight, f.kind not in (logic.SHOUTING, logic.HARSH_TONE), -f.sentence),
    )
    return chosen.kind


def test_the_table_is_big_enough_and_touches_every_phrasing() -> None:
    assert len(LANG.phrasings) >= 25
    assert len(TABLE) >= 40
    assert sum(r.kind is None for r in TABLE) >= 20  # plenty that must be left alone
    exercised = {r.kind for r in TABLE}
    assert {p.id for p in LANG.phrasings} <= exercised
    assert {logic.SHOUTING, logic.HARSH_TONE} <= exercised


@pytest.mark.parametrize("row", TABLE, ids=[r.text[:40] for r in TABLE])
def test_what_is_noticed_and_every_rewrite_keeps_the_subject(row: Row) -> None:
    reading = logic.read(row.text, LANG)
    assert primary(reading) == row.kind
    if row.kind is None:
        assert not reading.critical
        assert reading.noticed is None
        assert reading.rewrites == ()
        assert reading.already
        return
    assert reading.noticed
    assert 2 <= len(reading.rewrites) <= 3
    assert len(set(reading.rewrites)) == len(reading.rewrites)
    for rewrite in reading.rewrites:
        for words in row.keep:
            assert words.lower() in rewrite.lower(), (rewrite, words)
        # Names called in passing never make it into a rewrite.
        said = {w.lower() for w in re.findall(r"[\w']+", rewrite)}
        assert not said & {"idiot", "moron", "lazy", "jerk", "stupid", "childish"}, rewrite


def test_precision_and_recall_on_the_table_and_on_fresh_sentences() -> None:
    on_table = precision_recall(
        [logic.read(r.text, LANG).critical for r in TABLE], [r.kind is not None for r in TABLE]
    )
    assert on_table == (1.0, 1.0)
    # Written apart from the rules and never tuned against: measured (0.94 and 0.80 when
    # last looked at), held to a floor so a change that loses ground is noticed.
    precision, recall = precision_recall(
        [logic.read(text, LANG).critical for text, _ in FRESH], [c for _, c in FRESH]
    )
    assert precision >= 0.9
    assert recall >= 0.75


def test_the_noticed_line_is_one_short_line() -> None:
    for phrasing in LANG.phrasings:
        assert "\n" not in phrasing.noticed
        assert len(phrasing.noticed) <= logic.MAX_NOTE_CHARS
    shouted = logic.read("WHY WOULD YOU DO THAT TO ME", LANG)
    assert shouted.noticed is not None
    assert "caps" in shouted.noticed  # both things it noticed, still one line
    assert "\n" not in shouted.noticed


def test_nothing_critical_gets_a_warm_line_and_a_way_deeper_where_it_fits() -> None:
    to_someone = logic.read("How did your week go?", LANG)
    assert to_someone.already
    assert "curious" in to_someone.already
    assert to_someone.deeper is not None
    about_a_thing = logic.read("Why did the bus stop?", LANG)
    assert about_a_thing.already
    assert about_a_thing.deeper is None
    assert logic.read("ok", LANG).deeper is None


def test_quoted_words_are_not_the_writers() -> None:
    for text in (
        'My sister said "you never listen" to me.',
        "My sister said “you never listen” to me.",
        "My sister said ‘you never listen’ to me.",
        "> you never listen\nmy sister, this morning",
    ):
        assert not logic.read(text, LANG).critical, text
    # …but words outside the quote still count.
    mixed = logic.read('You always say "sorry" and then do it again.', LANG)
    assert primary(mixed) == "you-always"


def test_a_long_text_is_read_up_to_its_limit() -> None:
    long = "I had a lovely day at the lake with everyone. " * 40 + "You never call me."
    reading = logic.read(long, LANG)
    assert reading.cut
    assert not reading.critical  # the end is past what Hearth reads, and it says so


def test_past_forms_come_back_to_their_plain_form() -> None:
    reading = logic.read("You never told me about the party.", LANG)
    assert any("tell me about the party" in r for r in reading.rewrites)
    reading = logic.read("You never replied to my message.", LANG)
    assert any("reply to my message" in r for r in reading.rewrites)


# --------------------------------------------------------------------------- the table


def test_a_second_language_loads_beside_english(tmp_path: Path) -> None:
    shutil.copy(logic.DATA_DIR / "en.toml", tmp_path / "en.toml")
    text = (logic.DATA_DIR / "en.toml").read_text("utf-8")
    (tmp_path / "xx.toml").write_text(text.replace('language = "en"', 'language = "xx"'))
    found = logic.load_languages(tmp_path)
    assert set(found) == {"en", "xx"}
    assert len(found["xx"].phrasings) == len(LANG.phrasings)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (
            (
                'weight = 2\nmatch = [\n    "why (would|could) you {rest}",',
                'weight = 3\nmatch = [\n    "why (would|could) you {rest}",',
            ),
            "weight",
        ),
        (('"why (would|could) you {rest}",', '"why (would|could you {rest}",'), "unclosed"),
        (('"why (would|could) you {rest}",', '"why {rest} (would|could) you",'), "{rest}"),
        (('"why (would|could) you {rest}",', '"why (would|could) you {whatever}",'), "slot"),
        (
            ('"Help me understand what led you to {rest}.",', '"Help me {understand} {rest}.",'),
            "may use",
        ),
    ],
)
def test_a_broken_table_names_its_file_and_entry(
    tmp_path: Path, change: tuple[str, str], complaint: str
) -> None:
    text = (logic.DATA_DIR / "en.toml").read_text("utf-8")
    assert change[0] in text
    (tmp_path / "en.toml").write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(logic.TableError) as caught:
        logic.load_languages(tmp_path)
    assert "en.toml" in str(caught.value)
    assert "why-would-you" in str(caught.value)
    assert complaint in str(caught.value)


def test_patterns_have_no_nested_repetition() -> None:
    """The structural bound on matching: every repetition in a compiled pattern is a run of
    separators (a character class) or the tail at the very end — never a repeated group —
    so no input can make the regular expression engine backtrack without end."""
    for phrasing in LANG.phrasings:
        for pattern in phrasing.patterns:
            source = pattern.pattern
            assert not re.search(r"\)[*+{]", source), (phrasing.id, source)
            assert source.count(".*") <= 1
            if ".*" in source:
                assert source.endswith("(?P<rest>.*)")


# --------------------------------------------------------------------------- any input


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=3000))
def test_any_text_reads_without_error_within_bounds(text: str) -> None:
    reading = logic.read(text, LANG)
    assert len(reading.findings) <= logic.MAX_SENTENCES
    assert (reading.noticed is None) == (not reading.critical)
    assert len(reading.rewrites) <= 3
    for rewrite in reading.rewrites:
        assert 0 < len(rewrite) <= logic.MAX_REWRITE_CHARS
    if reading.noticed is not None:
        assert len(reading.noticed) <= 2 * logic.MAX_NOTE_CHARS


_HOSTILE = st.lists(
    st.sampled_from(
        [
            "you",
            "why",
            "would",
            "always",
            "never",
            "idiot",
            ",",
            " ",
            "YOU",
            "'",
            "“",
            "?",
            "!",
            "🙄",
            "don't",
            "even",
            "so",
            "lazy",
            "\n",
            "> ",
            '"',
            "é",
            "\u200b",
            "\u0301",
        ]
    ),
    max_size=600,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(_HOSTILE)
def test_hostile_word_soup_reads_without_error(text: str) -> None:
    reading = logic.read(text, LANG)
    for rewrite in reading.rewrites:
        assert len(rewrite) <= logic.MAX_REWRITE_CHARS


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=3000) | _HOSTILE)
@example("IDIOT\nA\x1f\u0300")  # a control between a letter and its accent
def test_whatever_is_typed_the_panel_and_the_question_fit_discord(text: str) -> None:
    from bot import textfit
    from cogs.curiosity import views

    reading = logic.read(text, LANG)
    embed, view = views.panel(reading, 123456789 if reading.critical else None)
    assert len(embed.description or "") <= textfit.EMBED_DESCRIPTION
    assert textfit.embed_length(embed) <= textfit.EMBED_TOTAL
    assert (view is not None) == reading.critical
    if view is not None:
        assert len(view.children) == len(reading.rewrites)
    for rewrite in reading.rewrites:
        said = views.question_message(2**63 - 1, rewrite)
        assert len(said) <= textfit.CONTENT
        assert rewrite in said  # fits whole: nothing cut from what they chose
