"""The phones-down forest: one tree per session over the last 12 weeks (Pillow, no discord).

A tree is fuller the more of the group made it the whole way: a bare trunk with a few
leaves when nobody did, a round, layered crown when everyone did. Drawing is
deterministic, so the same history always gives the same picture.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TypeAlias

from PIL import Image, ImageDraw, ImageFont

WIDTH = 800
HEIGHT = 400
SIZE = (WIDTH, HEIGHT)

_SKY_TOP = (231, 224, 247)
_SKY_BOTTOM = (250, 243, 233)
_HILL = (196, 222, 180)
_GROUND = (150, 190, 130)
_TRUNK = (120, 86, 60)
_LEAF_DARK = (63, 125, 78)
_LEAF = (92, 160, 96)
_LEAF_LIGHT = (142, 196, 120)
_LABEL = (96, 88, 120)
_EMPTY_MARK = (170, 190, 160)

Colour: TypeAlias = tuple[int, int, int]

_MARGIN_X = 20
_GROUND_Y = 340
_MAX_PER_WEEK = 6


def _gradient(img: Image.Image) -> None:
    draw = ImageDraw.Draw(img)
    for y in range(_GROUND_Y):
        t = y / _GROUND_Y
        colour = tuple(round(a + (b - a) * t) for a, b in zip(_SKY_TOP, _SKY_BOTTOM, strict=True))
        draw.line([(0, y), (WIDTH, y)], fill=colour)


def _blob(draw: ImageDraw.ImageDraw, x: float, y: float, r: float, colour: Colour) -> None:
    draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)


def _tree(draw: ImageDraw.ImageDraw, x: float, base: float, scale: float, fullness: float) -> None:
    """A tree standing at (x, base). `scale` ~1 is a normal tree; `fullness` 0–1."""
    fullness = min(1.0, max(0.0, fullness))
    trunk_h = 70 * scale
    trunk_w = max(3.0, 7 * scale)
    draw.rectangle([x - trunk_w / 2, base - trunk_h, x + trunk_w / 2, base], fill=_TRUNK)
    top = base - trunk_h
    # Even a tree nobody finished has a few leaves: everyone still gave it a go.
    width = (8 + 16 * fullness) * scale  # half the crown's width
    height = (10 + 42 * fullness) * scale  # how far the crown climbs above the trunk
    blobs = 3 + round(11 * fullness)
    leaf = (6 + 8 * fullness) * scale
    palette = (_LEAF_DARK, _LEAF, _LEAF_LIGHT)
    for i in range(blobs):
        # Spread blobs over an upright oval, inner ones last so the crown looks round.
        angle = 2 * math.pi * i / blobs + (0.4 if i % 2 else 0.0)
        ring = 0.9 if i % 2 == 0 else 0.55
        bx = x + math.cos(angle) * width * ring
        by = top - height / 2 + math.sin(angle) * height / 2 * ring
        _blob(draw, bx, by, leaf, palette[i % 3])
    if fullness >= 0.5:
        _blob(draw, x, top - height / 2, leaf * 1.2, _LEAF)
    if fullness >= 0.99:
        _blob(draw, x - width * 0.2, top - height * 0.7, leaf * 0.8, _LEAF_LIGHT)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except Exception:  # Pillow built without FreeType: the small bitmap font still reads
        return ImageFont.load_default()


def draw_forest(weeks: Sequence[Sequence[float]], labels: Sequence[str] = ()) -> bytes:
    """A PNG (800×400) of the weeks, oldest on the left; each week a list of fullness values."""
    img = Image.new("RGB", SIZE, _SKY_BOTTOM)
    _gradient(img)
    draw = ImageDraw.Draw(img)
    draw.ellipse([-200, _GROUND_Y - 70, WIDTH * 0.6, _GROUND_Y + 140], fill=_HILL)
    draw.ellipse([WIDTH * 0.35, _GROUND_Y - 45, WIDTH + 220, _GROUND_Y + 140], fill=_HILL)
    draw.rectangle([0, _GROUND_Y, WIDTH, HEIGHT], fill=_GROUND)

    count = max(1, len(weeks))
    column = (WIDTH - 2 * _MARGIN_X) / count
    font = _font(13)
    for index, sessions in enumerate(weeks):
        centre = _MARGIN_X + column * (index + 0.5)
        shown = list(sessions)[:_MAX_PER_WEEK]
        if not shown:
            draw.ellipse([centre - 3, _GROUND_Y + 6, centre + 3, _GROUND_Y + 12], fill=_EMPTY_MARK)
        else:
            # Several sessions in a week stand side by side, a little smaller.
            n = len(shown)
            scale = max(0.55, 1.0 - 0.12 * (n - 1))
            spread = column * 0.8
            for j, fullness in enumerate(shown):
                offset = 0.0 if n == 1 else (j / (n - 1) - 0.5) * spread * 0.8
                # Alternate rows give a little depth without trees hiding each other.
                base = _GROUND_Y + (8 if j % 2 else 0)
                _tree(draw, centre + offset, base, scale, fullness)
        if index < len(labels):
            text = labels[index]
            box = draw.textbbox((0, 0), text, font=font)
            draw.text((centre - (box[2] - box[0]) / 2, HEIGHT - 34), text, fill=_LABEL, font=font)

    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
