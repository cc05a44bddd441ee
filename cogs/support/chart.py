"""A small picture of someone's mood over time, drawn with Pillow (no discord here)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from PIL import Image, ImageDraw, ImageFont

from bot import timeutil
from cogs.support.logic import MOODS

SIZE = (800, 320)
_BACKGROUND = (255, 248, 243)
_GRID = (236, 224, 216)
_TEXT = (110, 96, 90)
_LINE = (217, 139, 166)  # the support practice's colour
_LEFT, _RIGHT, _TOP, _BOTTOM = 78, 24, 24, 44
# A dot per mood, from rough (muted blue) to great (warm gold).
_DOT = {
    1: (108, 142, 191),
    2: (142, 160, 200),
    3: (190, 180, 170),
    4: (232, 168, 124),
    5: (224, 176, 70),
}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def mood_chart(points: Sequence[tuple[datetime, int]], tz: str) -> bytes:
    """A PNG of moods (1–5) against time, oldest on the left, in the person's time zone."""
    width, height = SIZE
    image = Image.new("RGB", SIZE, _BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = _font(13)
    plot_w = width - _LEFT - _RIGHT
    plot_h = height - _TOP - _BOTTOM

    def y_of(mood: int) -> float:
        return _TOP + plot_h - (mood - 1) / 4 * plot_h

    for value, info in MOODS.items():
        y = y_of(value)
        draw.line([(_LEFT, y), (width - _RIGHT, y)], fill=_GRID, width=1)
        draw.text((_LEFT - 10, y), info.label, fill=_TEXT, font=font, anchor="rm")

    ordered = sorted(points)
    if ordered:
        first, last = ordered[0][0], ordered[-1][0]
        span = (last - first).total_seconds()

        def x_of(when: datetime) -> float:
            if span <= 0:
                return _LEFT + plot_w / 2
            return _LEFT + (when - first).total_seconds() / span * plot_w

        xy = [(x_of(when), y_of(mood)) for when, mood in ordered]
        if len(xy) > 1:
            draw.line(xy, fill=_LINE, width=3, joint="curve")
        for (x, y), (_, mood) in zip(xy, ordered, strict=True):
            draw.ellipse([x - 6, y - 6, x + 6, y + 6], fill=_DOT[mood], outline=(255, 255, 255))
        bottom = height - _BOTTOM + 14
        start_label = timeutil.to_local(first, tz).strftime("%d %b")
        draw.text((_LEFT, bottom), start_label, fill=_TEXT, font=font, anchor="lt")
        if span > 0:
            end_label = timeutil.to_local(last, tz).strftime("%d %b")
            draw.text((width - _RIGHT, bottom), end_label, fill=_TEXT, font=font, anchor="rt")

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
