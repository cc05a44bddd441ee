"""The emulator's own tests: messages the way Discord treats them — mentions rebuilt on
every content edit, interaction defaults, and the bodies Discord refuses that a bot could
send tomorrow (deferral flags, link buttons, blank embed fields, thread_id on followups)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from tests.fakediscord import FakeDiscord, Pings
from tests.fakediscord.example_bot import ExampleBot
from tests.fakediscord.example_world import World, bot, world

__all__ = ["bot", "world"]  # fixtures shared by the emulator's tests


async def call(
    fake: FakeDiscord, method: str, path: str, body: Any = None, *, auth: bool = True
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bot {fake.token}"} if auth else {}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.request(method, fake.api_url + path, json=body) as response,
    ):
        return response.status, (await response.json() if response.status != 204 else None)


def error_paths(tree: dict[str, Any], prefix: str = "") -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in tree.items():
        if key == "_errors":
            found[prefix.rstrip(".")] = [e["code"] for e in value]
        elif isinstance(value, dict):
            found.update(error_paths(value, f"{prefix}{key}."))
    return found


# -- mentions ------------------------------------------------------------------------------


async def test_an_edit_without_allowed_mentions_is_parsed_with_the_defaults(
    fake_discord: FakeDiscord, world: World
) -> None:
    _, chan, alice, bob = world
    quiet = {"parse": []}
    status, sent = await call(
        fake_discord,
        "POST",
        f"/channels/{chan.id}/messages",
        {"content": f"hello {alice.mention}", "allowed_mentions": quiet},
    )
    assert status == 200
    message = fake_discord.messages[int(sent["id"])]
    assert fake_discord.pings() == []

    edit = f"/channels/{chan.id}/messages/{message.id}"
    # An edit carrying its own allowed_mentions keeps to it …
    await call(
        fake_discord, "PATCH", edit, {"content": f"hi {bob.mention}", "allowed_mentions": quiet}
    )
    assert fake_discord.pings() == []
    # … one without is parsed as a fresh bot message: bob is notified now.
    await call(fake_discord, "PATCH", edit, {"content": f"hi {bob.mention} {alice.mention}"})
    assert fake_discord.pings() == [(message, Pings(frozenset({bob.id, alice.id})))]
    assert message.pings(bob)
    # Editing only the embeds leaves the mentions alone; the same names again notify nobody.
    await call(fake_discord, "PATCH", edit, {"embeds": [{"title": "t"}]})
    await call(fake_discord, "PATCH", edit, {"content": f"again {bob.mention}"})
    assert len(fake_discord.pings()) == 1
    assert message.pinged.users == frozenset({bob.id})


async def test_interaction_responses_parse_only_users_by_default(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    guild, _, alice, bob = world
    guild.set_bot_permissions(mention_everyone=True, send_messages=True, view_channel=True)
    mods = guild.add_role("mods", mentionable=True)
    pending = asyncio.create_task(alice.slash("silent"))
    await fake_discord.until(lambda: bool(fake_discord.interactions))
    [i] = fake_discord.interactions.values()
    text = f"@everyone {mods.mention} {bob.mention}"
    status, _ = await call(
        fake_discord,
        "POST",
        f"/interactions/{i.id}/{i.token}/callback",
        {"type": 4, "data": {"content": text}},
        auth=False,
    )
    assert status == 204  # no with_response: Discord sends no body
    await pending
    assert i.original is not None
    assert i.original.pinged == Pings(frozenset({bob.id}))  # no @everyone, no role


async def test_components_v2_text_displays_are_where_mentions_are_parsed(
    fake_discord: FakeDiscord, world: World
) -> None:
    _, chan, _, bob = world
    body = {
        "flags": 1 << 15,
        "components": [{"type": 10, "content": f"for {bob.mention}"}],
    }
    status, _ = await call(fake_discord, "POST", f"/channels/{chan.id}/messages", body)
    assert status == 200
    assert chan.last_message is not None
    assert chan.last_message.pings(bob)


# -- refusals ------------------------------------------------------------------------------


async def test_a_deferral_takes_no_flag_but_ephemeral(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    fake_discord.expect_errors(50035)
    pending = asyncio.create_task(world[2].slash("silent"))
    await fake_discord.until(lambda: bool(fake_discord.interactions))
    [i] = fake_discord.interactions.values()
    url = f"/interactions/{i.id}/{i.token}/callback"
    for flags in (1 << 2, 1 << 12, (1 << 6) | (1 << 2)):
        status, answer = await call(
            fake_discord, "POST", url, {"type": 5, "data": {"flags": flags}}, auth=False
        )
        assert status == 400
        assert answer["code"] == 50035
        assert "data.flags" in error_paths(answer["errors"])
    status, _ = await call(
        fake_discord, "POST", url, {"type": 5, "data": {"flags": 64}}, auth=False
    )
    assert status == 204
    assert (await pending).ephemeral


@pytest.mark.parametrize(
    ("component", "path", "code"),
    [
        (
            {"type": 2, "style": 5, "label": "l", "url": "https://example.com", "custom_id": "x"},
            "components.0.components.0.custom_id",
            "BUTTON_COMPONENT_LINK_CUSTOM_ID_INVALID",
        ),
        (
            {"type": 2, "style": 1, "label": "l", "custom_id": "x", "url": "https://example.com"},
            "components.0.components.0.url",
            "BUTTON_COMPONENT_URL_INVALID",
        ),
        (
            {"type": 2, "style": 5, "label": "l"},
            "components.0.components.0.url",
            "BASE_TYPE_REQUIRED",
        ),
    ],
    ids=["link with custom_id", "button with url", "link without url"],
)
async def test_buttons_are_either_links_or_carry_a_custom_id(
    fake_discord: FakeDiscord, world: World, component: dict[str, Any], path: str, code: str
) -> None:
    fake_discord.expect_errors(50035)
    body = {"content": "x", "components": [{"type": 1, "components": [component]}]}
    status, answer = await call(fake_discord, "POST", f"/channels/{world[1].id}/messages", body)
    assert status == 400
    assert answer["code"] == 50035
    assert code in error_paths(answer["errors"])[path]


async def test_good_link_and_plain_buttons_are_accepted(
    fake_discord: FakeDiscord, world: World
) -> None:
    row = [
        {"type": 2, "style": 5, "label": "Read", "url": "https://example.com"},
        {"type": 2, "style": 1, "label": "Join", "custom_id": "join"},
    ]
    body = {"content": "x", "components": [{"type": 1, "components": row}]}
    status, _ = await call(fake_discord, "POST", f"/channels/{world[1].id}/messages", body)
    assert status == 200


@pytest.mark.parametrize(
    ("field", "path"),
    [
        ({"name": "  ", "value": "v"}, "embeds.0.fields.0.name"),
        ({"name": "n", "value": "\n\t "}, "embeds.0.fields.0.value"),
        ({"name": "", "value": "v"}, "embeds.0.fields.0.name"),
    ],
    ids=["blank name", "blank value", "empty name"],
)
async def test_embed_fields_of_only_whitespace_are_refused(
    fake_discord: FakeDiscord, world: World, field: dict[str, str], path: str
) -> None:
    fake_discord.expect_errors(50035)
    body = {"embeds": [{"title": "t", "fields": [field]}]}
    status, answer = await call(fake_discord, "POST", f"/channels/{world[1].id}/messages", body)
    assert status == 400
    assert "BASE_TYPE_REQUIRED" in error_paths(answer["errors"])[path]
    # Text around the spaces is fine, and so is the zero-width space (not whitespace).
    fields = [{"name": " a ", "value": " b "}, {"name": "\u200b", "value": "\u200b"}]
    body = {"embeds": [{"title": "t", "fields": fields}]}
    status, _ = await call(fake_discord, "POST", f"/channels/{world[1].id}/messages", body)
    assert status == 200


async def test_a_followup_goes_where_the_interaction_was_not_to_a_thread(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, chan, alice, _ = world
    thread = chan.add_thread("talk", owner=alice)
    fake_discord.expect_errors(10003)
    for where, thread_id, expected in (
        (chan, thread.id, 404),  # a plain channel: no thread_id at all
        (thread, chan.id, 404),  # another channel than the thread itself
        (thread, thread.id, 200),
    ):
        r = await alice.slash("hi", name="x", channel=where)
        i = r.interaction
        path = f"/webhooks/{fake_discord.app_id}/{i.token}?thread_id={thread_id}&wait=true"
        status, answer = await call(fake_discord, "POST", path, {"content": "more"}, auth=False)
        assert status == expected, answer
        if expected == 404:
            assert answer["code"] == 10003


async def test_an_update_through_an_interaction_parses_only_users_by_default(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    guild, chan, alice, bob = world
    guild.set_bot_permissions(mention_everyone=True, send_messages=True, view_channel=True)
    button = {"type": 2, "style": 1, "label": "Nobody handles me", "custom_id": "unhandled"}
    body = {"content": "x", "components": [{"type": 1, "components": [button]}]}
    status, sent = await call(fake_discord, "POST", f"/channels/{chan.id}/messages", body)
    assert status == 200
    message = fake_discord.messages[int(sent["id"])]
    pending = asyncio.create_task(alice.click(message, "Nobody handles me"))
    await fake_discord.until(lambda: bool(fake_discord.interactions))
    [i] = fake_discord.interactions.values()
    update = {"type": 7, "data": {"content": f"@everyone {bob.mention}"}}
    url = f"/interactions/{i.id}/{i.token}/callback"
    assert (await call(fake_discord, "POST", url, update, auth=False))[0] == 204
    await pending
    # The bot's own message, edited through an interaction: users only, no @everyone.
    assert fake_discord.pings() == [(message, Pings(frozenset({bob.id})))]
