"""The core's post actions (bot/post_actions.py): kinds declared in one place, providers
consulted by hosts, ids parsed by the core parser, and refreshes that touch buttons only."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import discord
import pytest

from bot.outbox import Message
from bot.post_actions import (
    ANSWER,
    KINDS,
    SHARE,
    Post,
    PostActionItem,
    PostActions,
    action_custom_id,
)

AUTHOR = 1460241904435200042  # a snowflake-sized id, so "not in" means something


class Knock(
    PostActionItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(r"hearth:test:(?P<rest>.*)"),
):
    actions = ("knock", "wave")

    def __init__(self, action: str | None, post_id: int | None, *, custom_id: str | None = None):
        super().__init__(
            discord.ui.Button(
                label=action or "?",
                custom_id=custom_id
                or action_custom_id("hearth:test:", action or "knock", post_id or 0),
            )
        )
        self.action, self.post_id = action, post_id


class Provider:
    def __init__(self, offer: bool = True) -> None:
        self.offer = offer
        self.seen: list[Post] = []

    async def attach(self, tx: Any, post: Post) -> Sequence[discord.ui.Item[Any]]:
        self.seen.append(post)
        return [Knock("knock", post.post_id)] if self.offer else []

    async def items(self, post_id: int, kind: str) -> Sequence[discord.ui.Item[Any]]:
        return [Knock("wave", post_id)] if self.offer else []


class FakeOutbox:
    def __init__(self) -> None:
        self.edits: list[dict[str, Any]] = []

    async def edit(self, tx: Any, **kwargs: Any) -> int:
        self.edits.append(kwargs)
        return len(self.edits)


class FakeBot:
    def __init__(self) -> None:
        self.outbox = FakeOutbox()


def registry() -> tuple[PostActions, FakeBot]:
    bot = FakeBot()
    return PostActions(bot), bot  # type: ignore[arg-type]


async def test_a_host_gets_every_providers_items_and_a_fresh_id_per_post() -> None:
    actions, _ = registry()
    assert (
        await actions.attach(
            None, ANSWER, guild_id=1, channel_id=2, author_id=AUTHOR, anonymous=True
        )
        is None
    )
    first, second = Provider(), Provider(offer=False)
    actions.provide("first", (ANSWER, SHARE), first)
    actions.provide("second", (ANSWER,), second)
    view = await actions.attach(
        None, ANSWER, guild_id=1, channel_id=2, author_id=AUTHOR, anonymous=True
    )
    assert view is not None
    assert view.timeout is None  # persistent
    assert [c.custom_id for c in view.children] == [  # type: ignore[attr-defined]
        f"hearth:test:knock:{first.seen[0].post_id}"
    ]
    again = await actions.attach(
        None, ANSWER, guild_id=1, channel_id=2, author_id=AUTHOR, anonymous=True
    )
    assert again is not None
    assert first.seen[0].post_id != first.seen[1].post_id
    assert first.seen[0].author_id == AUTHOR
    assert str(AUTHOR) not in str(again.to_components())  # the author never rides on a button
    assert second.seen  # consulted, offered nothing
    # A provider that offers nothing anywhere: the host posts as before.
    only_quiet, _ = registry()
    only_quiet.provide("quiet", (SHARE,), Provider(offer=False))
    assert (
        await only_quiet.attach(
            None, SHARE, guild_id=1, channel_id=2, author_id=AUTHOR, anonymous=False
        )
        is None
    )


def test_kinds_are_declared_in_the_core() -> None:
    actions, _ = registry()
    assert set(KINDS) == {ANSWER, SHARE}
    with pytest.raises(ValueError, match="unknown post kind"):
        actions.provide("x", ("phones_down.card",), Provider())


def test_a_provider_registers_once_per_name() -> None:
    actions, _ = registry()
    actions.provide("curiosity", (SHARE,), Provider())
    actions.provide("curiosity", (SHARE,), Provider())  # a restarted bot's cog
    assert actions.providers(SHARE) == ["curiosity"]


async def test_refresh_edits_the_buttons_only() -> None:
    actions, bot = registry()
    actions.provide("first", (SHARE,), Provider())
    await actions.refresh(None, post_id=7, kind=SHARE, guild_id=1, channel_id=2, message_id=9)
    (edit,) = bot.outbox.edits
    assert edit["message_id"] == 9
    message = edit["message"]
    assert isinstance(message, Message)
    body = message.payload(edit=True)
    assert set(body) == {"components", "allowed_mentions"}  # content and embeds untouched
    assert "hearth:test:wave:7" in str(body["components"])
    # A whole edit still says "no embeds, no buttons" when it has none.
    assert set(Message("hi").payload(edit=True)) == {
        "content",
        "embeds",
        "components",
        "allowed_mentions",
    }


@pytest.mark.parametrize(
    ("tail", "parsed"),
    [
        ("knock:123", ("knock", 123)),
        ("wave:9007199254740990", ("wave", 9007199254740990)),
        ("kick:123", None),
        ("knock:0", None),
        ("knock:-1", None),
        ("knock:99999999999999999999", None),
        ("knock:12a", None),
        ("knock", None),
        ("", None),
    ],
)
def test_ids_are_parsed_by_the_core_parser(tail: str, parsed: tuple[str, int] | None) -> None:
    assert Knock.parse_tail(tail) == parsed
