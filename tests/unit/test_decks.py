"""The prompt decks: the real ones load and follow the rules, broken ones fail clearly,
and choosing respects depth, skipped topics and the no-repeat cycle."""

from __future__ import annotations

import random
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.decks import (
    ALL_TAGS,
    DEFAULT_DECK_DIR,
    GENERAL_TAGS,
    MAX_TEXT_CHARS,
    MAX_TIP_CHARS,
    SENSITIVE_TOPICS,
    DeckError,
    Decks,
    Prompt,
)
from bot.practices import KEYS


@cache
def real_decks() -> Decks:
    return Decks.load(DEFAULT_DECK_DIR)


def write(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text(body, encoding="utf-8")
    return path


def load_tiny(directory: Path) -> Decks:
    return Decks.load(directory, min_per_practice=0, min_per_depth=0)


GOOD_PROMPT = """
[[prompt]]
id = "listening-001"
depth = 1
text = "What made you smile today?"
tags = ["everyday"]
"""


# --- the real decks -------------------------------------------------------------


def test_real_decks_load_with_real_minimums() -> None:
    decks = Decks.load(DEFAULT_DECK_DIR, min_per_practice=30, min_per_depth=8)
    assert len(decks) >= 30 * len(KEYS)


@pytest.mark.parametrize("practice", KEYS)
def test_every_practice_has_enough_prompts_at_every_depth(practice: str) -> None:
    prompts = real_decks().for_practice(practice)
    assert len(prompts) >= 30
    depths = Counter(p.depth for p in prompts)
    assert all(depths[d] >= 8 for d in (1, 2, 3)), depths


def test_real_ids_are_unique_and_stable_looking() -> None:
    prompts = real_decks().all()
    ids = [p.id for p in prompts]
    assert len(ids) == len(set(ids))
    for p in prompts:
        assert p.id.startswith(f"{p.practice}-")
        assert real_decks().get(p.id) is p


def test_real_prompts_use_known_tags_and_fit_their_limits() -> None:
    for p in real_decks().all():
        assert p.tags, p.id
        assert p.tags <= ALL_TAGS, p.id
        assert 0 < len(p.text) <= MAX_TEXT_CHARS, p.id
        assert p.tip is None or 0 < len(p.tip) <= MAX_TIP_CHARS, p.id
        assert p.text == p.text.strip()


def test_tag_vocabulary() -> None:
    assert set(SENSITIVE_TOPICS) == {
        "family",
        "romance",
        "body_health",
        "money",
        "faith",
        "past_hurts",
        "work",
    }
    assert not GENERAL_TAGS & SENSITIVE_TOPICS.keys()
    assert frozenset(GENERAL_TAGS | SENSITIVE_TOPICS.keys()) == ALL_TAGS
    assert all(label and label[0].isupper() for label in SENSITIVE_TOPICS.values())


@pytest.mark.parametrize("practice", KEYS)
def test_skipping_every_sensitive_topic_still_leaves_light_prompts(practice: str) -> None:
    light = real_decks().eligible(practice, 1, SENSITIVE_TOPICS.keys())
    assert len(light) >= 8


def test_sensitive_topics_property() -> None:
    p = Prompt("x-001", "listening", 2, "Hi?", frozenset({"family", "fun"}), None)
    assert p.sensitive_topics == {"family"}


# --- broken decks ---------------------------------------------------------------


BROKEN: list[tuple[str, str, str, str]] = [
    # (case, file name, file body, expected message fragment incl. line)
    (
        "bad toml",
        "listening.toml",
        'practice = "listening"\n\n[[prompt]]\nid = "listening-001\ndepth = 1\n',
        "listening.toml, line 4: is not valid TOML",
    ),
    (
        "unknown practice",
        "listening.toml",
        'practice = "listning"\n' + GOOD_PROMPT,
        "listening.toml, line 1: unknown practice 'listning'",
    ),
    (
        "practice does not match file",
        "sharing.toml",
        'practice = "listening"\n' + GOOD_PROMPT,
        "sharing.toml, line 1: practice 'listening' does not match the file name",
    ),
    (
        "missing practice",
        "listening.toml",
        GOOD_PROMPT,
        "listening.toml, line 1: has no practice",
    ),
    (
        "duplicate id",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT + GOOD_PROMPT,
        "listening.toml, line 10: prompt 'listening-001' is a duplicate; "
        "that id is already used at",
    ),
    (
        "depth 4",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT.replace("depth = 1", "depth = 4"),
        "listening.toml, line 5: prompt 'listening-001' has depth 4; depth must be 1, 2 or 3.",
    ),
    (
        "depth 0",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT.replace("depth = 1", "depth = 0"),
        "line 5: prompt 'listening-001' has depth 0",
    ),
    (
        "depth of the wrong type",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT.replace("depth = 1", 'depth = "1"'),
        "line 5: prompt 'listening-001' has depth that is a string",
    ),
    (
        "tags of the wrong type",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT.replace('["everyday"]', '"everyday"'),
        "line 7: prompt 'listening-001' has tags that are a string; tags must be a list.",
    ),
    (
        "text of the wrong type",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT.replace('"What made you smile today?"', "42"),
        "line 6: prompt 'listening-001' has text that is a number",
    ),
    (
        "unknown tag",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT.replace('["everyday"]', '["everyday", "famly"]'),
        "line 7: prompt 'listening-001' has unknown tag 'famly'",
    ),
    (
        "no tags",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT.replace('["everyday"]', "[]"),
        "line 7: prompt 'listening-001' has no tags",
    ),
    (
        "overlong text",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT.replace("What made you smile today?", "a" * 201),
        "line 6: prompt 'listening-001' has text of 201 characters; the limit is 200.",
    ),
    (
        "overlong tip",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT + 'tip = "' + "b" * 121 + '"\n',
        "line 8: prompt 'listening-001' has a tip of 121 characters; the limit is 120.",
    ),
    (
        "missing text",
        "listening.toml",
        'practice = "listening"\n'
        + GOOD_PROMPT.replace('text = "What made you smile today?"\n', ""),
        "line 3: prompt 'listening-001' has no text.",
    ),
    (
        "empty text",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT.replace("What made you smile today?", "  "),
        "line 6: prompt 'listening-001' has an empty text.",
    ),
    (
        "missing id",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT.replace('id = "listening-001"\n', ""),
        "line 3: prompt #1 has no id.",
    ),
    (
        "id from another practice",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT.replace("listening-001", "sharing-001"),
        "line 4: prompt 'sharing-001' has a malformed id",
    ),
    (
        "unknown field",
        "listening.toml",
        'practice = "listening"\n' + GOOD_PROMPT + 'tipp = "typo"\n',
        "line 8: prompt 'listening-001' has unknown field 'tipp'",
    ),
]


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_broken_deck_is_rejected_with_file_and_line(
    tmp_path: Path, name: str, body: str, expected: str
) -> None:
    path = write(tmp_path, name, body)
    with pytest.raises(DeckError) as caught:
        load_tiny(tmp_path)
    message = str(caught.value)
    assert expected in message, message
    assert message.startswith(str(path)), message
    assert caught.value.path == path


def test_error_points_at_the_right_table_further_down(tmp_path: Path) -> None:
    body = ['practice = "listening"', ""]
    for n in range(1, 4):
        depth = 9 if n == 3 else 1
        body += [
            "[[prompt]]",
            f'id = "listening-00{n}"',
            f"depth = {depth}",
            f'text = "Question {n}?"',
            'tags = ["fun"]',
            "",
        ]
    write(tmp_path, "listening.toml", "\n".join(body))
    with pytest.raises(DeckError) as caught:
        load_tiny(tmp_path)
    # Third table starts on line 15; its depth is the line after the id.
    assert caught.value.line == 17
    assert caught.value.prompt_id == "listening-003"
    assert "line 17: prompt 'listening-003' has depth 9" in str(caught.value)


def test_too_few_prompts_is_rejected(tmp_path: Path) -> None:
    write(tmp_path, "listening.toml", 'practice = "listening"\n' + GOOD_PROMPT)
    with pytest.raises(DeckError, match=r"listening\.toml: practice 'listening' has 1 prompts"):
        Decks.load(tmp_path, min_per_practice=2, min_per_depth=0)
    with pytest.raises(DeckError, match=r"has 0 prompts at depth 2; it needs at least 1"):
        Decks.load(tmp_path, min_per_practice=1, min_per_depth=1)


def test_missing_practice_deck_is_rejected_when_minimums_apply(tmp_path: Path) -> None:
    write(tmp_path, "listening.toml", 'practice = "listening"\n' + GOOD_PROMPT)
    with pytest.raises(DeckError, match="no deck for practice 'sharing'"):
        Decks.load(tmp_path, min_per_practice=1, min_per_depth=0)


def test_empty_or_missing_directory_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(DeckError, match=r"no \*\.toml prompt decks"):
        load_tiny(tmp_path)
    with pytest.raises(DeckError, match="is not a folder"):
        load_tiny(tmp_path / "nope")


def test_tiny_deck_loads(tmp_path: Path) -> None:
    write(tmp_path, "listening.toml", 'practice = "listening"\n' + GOOD_PROMPT + 'tip = " Hi. "\n')
    decks = load_tiny(tmp_path)
    prompt = decks.get("listening-001")
    assert prompt == Prompt(
        "listening-001",
        "listening",
        1,
        "What made you smile today?",
        frozenset({"everyday"}),
        "Hi.",
    )
    assert decks.for_practice("sharing") == ()
    assert decks.get("listening-999") is None


# --- eligible and choose --------------------------------------------------------


def tiny(*specs: tuple[str, int, set[str]]) -> Decks:
    return Decks(
        Prompt(pid, pid.rsplit("-", 1)[0], depth, f"Question {pid}?", frozenset(tags), None)
        for pid, depth, tags in specs
    )


@pytest.mark.parametrize("max_depth", [1, 2, 3])
def test_choose_never_goes_deeper_or_into_skipped_topics(max_depth: int) -> None:
    decks = real_decks()
    # Without the skip, family prompts would be in reach at depths 2 and 3.
    reachable = decks.eligible(None, max_depth, ())
    assert any("family" in p.tags for p in reachable) == (max_depth > 1)
    rng = random.Random(7)
    used: list[str] = []
    for _ in range(200):
        prompt = decks.choose(None, max_depth, {"family"}, used, rng)
        assert prompt is not None
        assert prompt.depth <= max_depth
        assert "family" not in prompt.tags
        used.append(prompt.id)


@settings(max_examples=150, deadline=None)
@given(
    practice=st.sampled_from([None, *KEYS]),
    max_depth=st.sampled_from([1, 2, 3]),
    skip=st.sets(st.sampled_from(sorted(SENSITIVE_TOPICS))),
    seed=st.integers(0, 2**32),
)
def test_choose_respects_depth_and_skips(
    practice: str | None, max_depth: int, skip: set[str], seed: int
) -> None:
    rng = random.Random(seed)
    used: list[str] = []
    for _ in range(5):
        prompt = real_decks().choose(practice, max_depth, skip, used, rng)
        assert prompt is not None
        assert prompt.depth <= max_depth
        assert not prompt.tags & skip
        assert practice is None or prompt.practice == practice
        used.append(prompt.id)


def test_choose_cycles_without_repeats_then_starts_over() -> None:
    decks = real_decks()
    eligible = decks.eligible("repair", 2, {"work", "family"})
    assert eligible
    rng = random.Random(3)
    used: list[str] = []
    for _ in range(len(eligible)):
        prompt = decks.choose("repair", 2, {"work", "family"}, used, rng)
        assert prompt is not None
        assert prompt.id not in used
        used.append(prompt.id)
    assert set(used) == {p.id for p in eligible}
    again = decks.choose("repair", 2, {"work", "family"}, used, rng)
    assert again is not None
    assert again in eligible


def test_choose_returns_none_when_nothing_is_eligible() -> None:
    decks = tiny(("listening-001", 1, {"family"}), ("listening-002", 3, {"fun"}))
    rng = random.Random(1)
    assert decks.choose("listening", 1, {"family"}, (), rng) is None
    assert decks.choose("sharing", 3, (), (), rng) is None


def test_choose_weights_the_current_depth_double() -> None:
    decks = tiny(("listening-001", 1, {"fun"}), ("listening-002", 2, {"fun"}))
    rng = random.Random(11)
    picks = [decks.choose("listening", 2, (), (), rng) for _ in range(3000)]
    counts = Counter(p.id for p in picks if p is not None)
    share = counts["listening-002"] / 3000
    assert 0.62 < share < 0.72  # expected 2/3


def test_eligible_filters() -> None:
    decks = tiny(
        ("listening-001", 1, {"fun"}),
        ("listening-002", 2, {"money"}),
        ("sharing-001", 3, {"feelings"}),
    )
    assert [p.id for p in decks.eligible(None, 3, ())] == [
        "listening-001",
        "listening-002",
        "sharing-001",
    ]
    assert [p.id for p in decks.eligible("listening", 3, {"money"})] == ["listening-001"]
    assert [p.id for p in decks.eligible(None, 2, (), exclude_ids={"listening-001"})] == [
        "listening-002"
    ]


def test_unknown_practice_or_depth_is_a_caller_bug() -> None:
    decks = tiny(("listening-001", 1, {"fun"}))
    with pytest.raises(ValueError, match="unknown practice"):
        decks.eligible("listning", 1, ())
    with pytest.raises(ValueError, match="unknown practice"):
        decks.for_practice("listning")
    with pytest.raises(ValueError, match="max_depth"):
        decks.eligible("listening", 4, ())
    with pytest.raises(ValueError, match="duplicate"):
        tiny(("listening-001", 1, {"fun"}), ("listening-001", 2, {"fun"}))
