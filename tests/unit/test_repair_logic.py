"""Repair's pure rules: the gentle-notes table, the parts of an apology, the weekly limit,
what an answer may do, how long words stay, pauses and validating."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.timeutil import UTC
from cogs.repair import logic
from cogs.repair.logic import ApologyStatus, Card, Parts

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RULES = logic.load_rules()


def slips_in(text: str) -> list[str]:
    return [s.rule.id for s in logic.find_slips(Parts(text, "It hurt.", "I'll ask."), RULES)]


# --------------------------------------------------------------------------- gentle notes


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("I'm sorry if you felt left out.", "sorry-if"),
        ("I’m sorry you feel that way.", "sorry-you-feel"),  # a phone's curly apostrophe
        ("Sorry that you're upset about it.", "sorry-you-feel"),
        ("I'm sorry, but I was exhausted that week.", "but"),
        ("I apologise; however, you started it.", "but"),
        ("You made me lose my temper.", "you-made-me"),
        ("I was just joking around!", "i-was-just"),
        ("Honestly you overreacted a bit.", "their-reaction"),
        ("You never tell me when something's wrong.", "always-never"),
        ("We both said things.", "we-both"),
        ("Can we just move on?", "move-on"),
        ("Mistakes were made.", "nobody-did-it"),
        ("I guess I'm sorry.", "hedged"),
        ("At least I apologised in the end.", "at-least"),
        ("I didn't mean to hurt you.", "didnt-mean"),
    ],
)
def test_each_non_apology_gets_its_gentle_note(text: str, rule: str) -> None:
    assert rule in slips_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "I planned the trip in a chat you weren't in, and I didn't notice for days.",
        "I'm sorry I snapped at you in front of everyone. That wasn't fair.",
        "I said your idea was silly. It wasn't, and I'm sorry I said it.",
        "I forgot your birthday and made a joke about it instead of owning it.",
        "I butted in while you were telling your story.",  # "but" inside a word
    ],
)
def test_a_sincere_apology_trips_nothing(text: str) -> None:
    assert slips_in(text) == []


def test_every_rule_has_a_short_note_and_catches_its_example() -> None:
    assert len(RULES) >= 10
    assert len({r.id for r in RULES}) == len(RULES)
    for rule in RULES:
        assert 0 < len(rule.note) <= logic.MAX_NOTE
        assert rule.id in slips_in(rule.example)


def test_a_slip_quotes_the_sentence_it_is_in_and_each_rule_comes_once() -> None:
    parts = Parts(
        "We had a great day. I'm sorry if you felt left out! Then sorry if it dragged on.",
        "Lonely, I think.",
        "I'll ask first.",
    )
    [slip] = logic.find_slips(parts, RULES)
    assert slip.rule.id == "sorry-if"
    assert slip.part == "happened"
    assert slip.words == "I'm sorry if you felt left out"


@given(st.text(max_size=400), st.text(max_size=400))
def test_any_words_are_safe_to_check(happened: str, change: str) -> None:
    parts = Parts(happened, "x", change)
    for slip in logic.find_slips(parts, RULES):
        assert slip.words in happened or slip.words in change


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ("[[rule]]\nid='a'\nmatch=['x']\nnote='n'\n", "needs exactly"),
        ("[[rule]]\nid='A b'\nmatch=['x']\nnote='n'\nexample='x'\n", "lowercase"),
        ("[[rule]]\nid='a'\nmatch=['(']\nnote='n'\nexample='('\n", "doesn't compile"),
        ("[[rule]]\nid='a'\nmatch=['x']\nnote='n'\nexample='y'\n", "own example"),
        (
            "[[rule]]\nid='a'\nmatch=['x']\nnote='n'\nexample='x'\n" * 2,
            "duplicate",
        ),
        ("[[rule]]\nid='a'\nmatch=['x']\nnote='" + "n" * 201 + "'\nexample='x'\n", "note"),
        ("rule = 3\n", "[[rule]] tables"),
        ("[[rule]\n", "not valid TOML"),
    ],
)
def test_a_broken_rules_table_names_the_problem(toml: str, problem: str) -> None:
    with pytest.raises(logic.RulesError, match=problem.replace("[", r"\[")):
        logic.parse_rules(toml)


# --------------------------------------------------------------------------- parts


def test_an_apology_needs_its_three_parts_and_keeps_the_words_as_written() -> None:
    parts = logic.check_parts("  I was late. ", "Annoyed.", "I'll leave earlier.", "  ")
    assert parts == Parts("I was late.", "Annoyed.", "I'll leave earlier.", "")
    with pytest.raises(logic.ApologyProblem, match="what i'll do differently"):
        logic.check_parts("I was late.", "Annoyed.", " ")
    with pytest.raises(logic.ApologyProblem, match="shorten"):
        logic.check_parts("x" * (logic.MAX_PART + 1), "Annoyed.", "Leave earlier.")
    assert [k for k, _ in parts.named()] == ["happened", "impact", "change"]


def test_the_draft_comes_back_as_written() -> None:
    text = logic.draft_text(Parts("one", "two", "three", "four"))
    assert text.index("one") < text.index("two") < text.index("three") < text.index("four")
    assert "Anything you need from me?" in text


# --------------------------------------------------------------------------- limits, life


def test_two_apologies_a_week_to_the_same_friend() -> None:
    assert logic.next_apology_at([], NOW) is None
    one = [NOW - timedelta(days=2)]
    assert logic.next_apology_at(one, NOW) is None
    two = [NOW - timedelta(days=6), NOW - timedelta(hours=1)]
    assert logic.next_apology_at(two, NOW) == NOW + timedelta(days=1)
    old = [NOW - timedelta(days=8), NOW - timedelta(days=7)]
    assert logic.next_apology_at(old, NOW) is None


def test_what_an_answer_may_do() -> None:
    assert logic.may_answer(ApologyStatus.OPEN, ApologyStatus.TIME)
    assert not logic.may_answer(ApologyStatus.TIME, ApologyStatus.TIME)  # "some time" is said once
    assert logic.may_answer(ApologyStatus.TIME, ApologyStatus.THANKED)
    assert logic.may_answer(ApologyStatus.TIME, ApologyStatus.TALK)
    for done in (ApologyStatus.THANKED, ApologyStatus.TALK, ApologyStatus.CLOSED):
        for answer in logic.ANSWERS:
            assert not logic.may_answer(done, answer)
    assert logic.may_remind(ApologyStatus.TIME)
    assert not logic.may_remind(ApologyStatus.THANKED)
    assert logic.follow_up_due(ApologyStatus.THANKED, NOW) == NOW + timedelta(days=7)
    assert logic.follow_up_due(ApologyStatus.TALK, NOW) == NOW + timedelta(days=7)
    assert logic.follow_up_due(ApologyStatus.TIME, NOW) is None
    assert logic.words_kept_after(ApologyStatus.THANKED) == ("change",)
    assert logic.words_kept_after(ApologyStatus.CLOSED) == ()


def test_a_closed_inbox_and_a_block_read_the_same() -> None:
    # One sentence for every reason an apology didn't arrive: nothing names the reason.
    text = logic.undelivered_text("<@1>")
    for word in ("block", "chose", "don't want", "closed"):
        assert word not in text.lower()


def test_a_held_pause_looks_again_at_the_end_of_theirs_or_hourly() -> None:
    soon = NOW + timedelta(minutes=20)
    assert logic.next_hold_check(soon, NOW) == soon
    assert logic.next_hold_check(NOW + timedelta(days=3), NOW) == NOW + timedelta(hours=1)
    assert logic.next_hold_check(None, NOW) == NOW + timedelta(hours=1)
    assert logic.minutes_text(20) == "20 minutes"
    assert logic.minutes_text(60) == "an hour"
    assert logic.minutes_text(150) == "2 hours and 30 minutes"


def test_validations_are_different_and_lightest_first() -> None:
    cards = [Card(f"c{i}", "Try: …", depth) for i, depth in enumerate([3, 1, 2, 1, 3, 2])]
    for seed in range(20):
        chosen = logic.pick_validations(cards, random.Random(seed))
        assert len({c.text for c in chosen}) == logic.VALIDATIONS_SHOWN
        assert [c.depth for c in chosen] == sorted(c.depth for c in chosen)
    assert logic.pick_validations(cards[:2], random.Random(1)) != []
    assert logic.pick_validations([], random.Random(1)) == []
