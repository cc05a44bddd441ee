"""The forest picture: the promised size, and trees that really are fuller when more made it."""

from __future__ import annotations

import io

from PIL import Image

from cogs.phones_down import forest


def _open(png: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(png))
    img.load()
    return img


def _leafy(png: bytes) -> int:
    """Pixels that are clearly leaf green (green well above red and blue)."""
    raw = _open(png).convert("RGB").tobytes()
    pixels = zip(raw[0::3], raw[1::3], raw[2::3], strict=True)
    return sum(1 for r, g, b in pixels if g > 110 and g - r > 40 and g - b > 40)


def test_the_forest_is_an_800_by_400_png() -> None:
    png = forest.draw_forest([[1.0], [], [0.5, 0.25]] + [[]] * 9, ["1 Jan"] * 12)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    img = _open(png)
    assert img.format == "PNG"
    assert img.size == (800, 400) == forest.SIZE
    assert len(png) > 2000


def test_an_empty_forest_still_draws() -> None:
    assert _open(forest.draw_forest([[] for _ in range(12)])).size == (800, 400)
    assert _open(forest.draw_forest([])).size == (800, 400)


def test_trees_are_fuller_the_more_of_the_group_made_it() -> None:
    weeks_none = [[0.0] for _ in range(12)]
    weeks_half = [[0.5] for _ in range(12)]
    weeks_all = [[1.0] for _ in range(12)]
    none, half, full = (_leafy(forest.draw_forest(w)) for w in (weeks_none, weeks_half, weeks_all))
    assert none < half < full
    assert full > 2 * none


def test_one_tree_per_session() -> None:
    empty = _leafy(forest.draw_forest([[] for _ in range(12)]))
    one = _leafy(forest.draw_forest([[1.0]] + [[] for _ in range(11)]))
    three = _leafy(forest.draw_forest([[1.0, 1.0, 1.0]] + [[] for _ in range(11)]))
    assert empty < one < three


def test_the_same_history_draws_the_same_picture() -> None:
    weeks = [[0.3, 0.9], [1.0]] + [[] for _ in range(10)]
    assert forest.draw_forest(weeks) == forest.draw_forest(weeks)
