"""cogs.boundaries.logic: the consent rule, when asking is possible, and the words."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import textfit
from bot.boundaries_rules import MemberPrefs, OptIn, PersonPrefs
from bot.timeutil import UTC
from cogs.boundaries import logic
from cogs.boundaries.views import parse_vote, vote_custom_id

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- consent


def test_everyone_in_goes_deeper() -> None:
    assert logic.decide({1, 2, 3}, {1: True, 2: True, 3: True}, None, 2)


def test_one_not_yet_stays() -> None:
    assert not logic.decide({1, 2, 3}, {1: True, 2: False, 3: True}, None, 2)


def test_silence_is_not_consent() -> None:
    assert not logic.decide({1, 2, 3}, {1: True, 2: True}, None, 2)


def test_nobody_to_ask_means_no_change() -> None:
    assert not logic.decide(set(), {1: True}, None, 2)


def test_a_not_yet_counts_even_from_someone_who_paused_since() -> None:
    assert not logic.decide({1, 2}, {1: True, 2: True, 3: False}, None, 2)


def test_an_in_from_someone_not_taking_part_changes_nothing() -> None:
    assert logic.decide({1, 2}, {1: True, 2: True, 9: True}, None, 2)


def test_an_own_comfort_below_the_new_level_keeps_the_group_there() -> None:
    assert not logic.decide({1, 2}, {1: True, 2: True}, 1, 2)
    assert logic.decide({1, 2}, {1: True, 2: True}, 2, 2)


@given(
    active=st.sets(st.integers(1, 8), max_size=6),
    votes=st.dictionaries(st.integers(1, 10), st.booleans(), max_size=10),
    cap=st.one_of(st.none(), st.integers(1, 3)),
    to_depth=st.integers(2, 3),
)
def test_deeper_only_with_every_active_yes_and_no_no(
    active: set[int], votes: dict[int, bool], cap: int | None, to_depth: int
) -> None:
    deeper = logic.decide(active, votes, cap, to_depth)
    if deeper:
        assert active
        assert all(votes.get(user) is True for user in active)
        assert False not in votes.values()
        assert cap is None or cap >= to_depth


# --------------------------------------------------------------------------- asking


def ask(**overrides: object) -> logic.ProposalBlock | None:
    values: dict[str, object] = {
        "configured": True,
        "depth": 1,
        "open_channel_id": None,
        "open_closes_at": None,
        "rest_until": None,
        "now": NOW,
    }
    values.update(overrides)
    return logic.why_not_propose(**values)  # type: ignore[arg-type]


def test_asking_is_possible_by_default() -> None:
    assert ask() is None
    assert ask(depth=2) is None


@pytest.mark.parametrize(
    ("overrides", "reason", "words"),
    [
        ({"configured": False}, "not_set_up", "/hearth setup"),
        ({"depth": 3}, "deepest", "deepest"),
        ({"open_channel_id": 55, "open_closes_at": NOW}, "open", "<#55>"),
        ({"rest_until": NOW + timedelta(days=1)}, "resting", "<t:"),
    ],
)
def test_why_asking_is_not_possible(overrides: dict[str, object], reason: str, words: str) -> None:
    block = ask(**overrides)
    assert block is not None
    assert block.reason == reason
    assert words in block.text


def test_the_rest_ends() -> None:
    assert ask(rest_until=NOW) is None
    assert logic.cooldown_ends(None, logic.DEFAULT_COOLDOWN) is None
    assert logic.cooldown_ends(NOW, timedelta(days=14)) == NOW + timedelta(days=14)


def test_next_depth() -> None:
    assert logic.next_depth(1) == 2
    assert logic.next_depth(2) == 3
    assert logic.next_depth(3) is None


# --------------------------------------------------------------------------- vote ids


def test_vote_ids_round_trip_and_fit() -> None:
    big = 2**53
    custom_id = vote_custom_id(big, True)
    assert custom_id == f"hearth:depth:vote:{big}:yes"
    assert len(custom_id) <= textfit.CUSTOM_ID
    assert parse_vote(custom_id.removeprefix("hearth:depth:vote:")) == (big, True)
    assert parse_vote("12:no") == (12, False)


@pytest.mark.parametrize("rest", ["", "abc:yes", "12:maybe", "0:yes", "-4:yes", "12:yes:extra"])
def test_malformed_vote_ids(rest: str) -> None:
    assert parse_vote(rest) is None


# --------------------------------------------------------------------------- words


def test_no_message_counts_or_names_anyone() -> None:
    closes = NOW + timedelta(days=3)
    texts = [
        logic.proposal_text(1, 2, closes),
        logic.result_text(True, 2),
        logic.result_text(False, 1),
        logic.result_title(True),
        logic.result_title(False),
        logic.CLOSED_PROPOSAL_TEXT,
        logic.group_status(2),
    ]
    for text in texts:
        # Once timestamps and level names are gone, no number is left: nothing is counted.
        bare = re.sub(r"<t:\d+:[a-zA-Z]>|\d · [A-Z][a-z]+", "", text)
        assert not re.search(r"\d", bare), text
        assert "vote" not in text.lower()
        assert len(text) <= textfit.EMBED_DESCRIPTION
    assert logic.result_title(False) == "Staying here for now — and that's okay"
    assert "going a little deeper" in logic.result_text(True, 2)


def test_vote_acknowledgements() -> None:
    closes = NOW + timedelta(days=3)
    assert "not yet" in logic.vote_ack(False, closes, None, 2).lower()
    assert "in" in logic.vote_ack(True, closes, None, 2)
    capped = logic.vote_ack(True, closes, 1, 2)
    assert "1 · Light" in capped
    assert "/boundaries mine" in capped


# What the panel lists is what the practices declare (`HearthCog.opt_ins`): here, a few.
DECLARED = [
    OptIn("prompts", "Weekly group prompts", "The weekly question.", default=True),
    OptIn("pairing", "Listening pairs", "Now and then, a friend to listen with."),
    OptIn("checkins", "DM check-ins", "A gentle DM now and then.", by_dm=True),
]


def test_the_panel_shows_each_setting() -> None:
    person = PersonPrefs(
        1,
        timezone="Europe/Berlin",
        quiet_start=time(22, 0),
        quiet_end=time(7, 0),
        dms_allowed=True,
        paused_until=NOW + timedelta(days=1),
    )
    member = MemberPrefs(
        5, 1, comfort_depth=2, skip_topics=frozenset({"money"}), opt_ins=frozenset({"pairing"})
    )
    fields = dict(logic.panel_fields(person, member, NOW, DECLARED))
    assert "2 · Personal" in fields["Comfort depth here"]
    assert fields["Topics you skip here"] == "Money"
    assert "✅ Listening pairs" in fields["What you take part in here"]
    assert "▫️ Weekly group prompts" in fields["What you take part in here"]
    assert "Europe/Berlin" in fields["Time zone"]
    assert "13:00" in fields["Time zone"]  # 12:00 UTC is 13:00 in Berlin in March
    assert fields["Quiet hours"].startswith("22:00–07:00")
    assert fields["DMs from Hearth"].startswith("Allowed")
    assert fields["Pause"].startswith("Paused until <t:")
    dm_only = dict(logic.panel_fields(PersonPrefs(1), None, NOW, DECLARED))
    assert "Comfort depth here" not in dm_only
    assert dm_only["Pause"] == "Not paused"
    assert dm_only["DMs from Hearth"].startswith("Off")


def test_saved_lines_are_one_kind_line() -> None:
    lines = [
        logic.saved_comfort(None),
        logic.saved_comfort(1),
        logic.saved_topics(frozenset({"money", "family"})),
        logic.saved_topics(frozenset()),
        logic.saved_features(DECLARED, frozenset({"checkins"}), True),
        logic.saved_features(DECLARED, frozenset(), False),
        logic.saved_dms(True),
        logic.saved_dms(False),
        logic.saved_pause(None),
        logic.saved_pause(NOW),
        logic.SAVED_RESUME,
        logic.saved_quiet(time(22, 0), time(7, 0), "Europe/Berlin"),
        logic.SAVED_NO_QUIET,
        logic.saved_timezone("Asia/Tokyo", NOW),
    ]
    for line in lines:
        assert "\n" not in line
        assert len(line) < 300
    assert "family and money" in logic.saved_topics(frozenset({"money", "family"}))
    assert "allowed DMs" in logic.saved_features(DECLARED, frozenset({"checkins"}), True)
    assert "DM check-ins" in logic.saved_features(DECLARED, frozenset({"checkins"}), True)
    assert "21:00" in logic.saved_timezone("Asia/Tokyo", NOW)


def test_pace_line() -> None:
    assert "3 days" in logic.pace_line(logic.PaceSettings())
    assert "14 days" in logic.pace_line(logic.PaceSettings())
    one = logic.PaceSettings(window=timedelta(days=1), cooldown=timedelta(days=1))
    assert "1 day;" in logic.pace_line(one)
