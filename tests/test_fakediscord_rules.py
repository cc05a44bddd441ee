"""The emulator's own tests: Discord's rules — limits, timing, permissions, mentions,
OpenAPI validation, rate limits, injected faults and gateway recovery."""

from __future__ import annotations

import asyncio
import io
import time
import types
from typing import Any

import aiohttp
import discord
import pytest
from discord.http import Route

from tests.fakediscord import FakeChannel, FakeDiscord, FakeMessage, plugin
from tests.fakediscord.example_bot import ExampleBot
from tests.fakediscord.example_world import World, bot, world

__all__ = ["bot", "world"]  # fixtures shared by the emulator's tests


async def post_raw(bot: ExampleBot, channel: FakeChannel, body: dict[str, Any]) -> dict[str, Any]:
    """POST a raw message body through discord.py's own HTTP client."""
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
    result: dict[str, Any] = await bot.http.request(route, json=body)
    return result


def button(custom_id: str, label: str = "b") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def select(n_options: int = 2, **extra: Any) -> dict[str, Any]:
    options = [{"label": f"o{i}", "value": f"v{i}"} for i in range(n_options)]
    return {"type": 3, "custom_id": "s", "options": options, **extra}


def embed(**fields: Any) -> dict[str, Any]:
    return {"title": "t", **fields}


LIMIT_BREAKERS: list[tuple[str, dict[str, Any], str]] = [
    ("content", {"content": "x" * 2001}, "content"),
    ("ten embeds", {"embeds": [embed() for _ in range(11)]}, "embeds"),
    ("embed title", {"embeds": [embed(title="x" * 257)]}, "embeds.0.title"),
    ("embed description", {"embeds": [embed(description="x" * 4097)]}, "embeds.0.description"),
    (
        "25 fields",
        {"embeds": [embed(fields=[{"name": "n", "value": "v"}] * 26)]},
        "embeds.0.fields",
    ),
    (
        "field name",
        {"embeds": [embed(fields=[{"name": "n" * 257, "value": "v"}])]},
        "embeds.0.fields.0.name",
    ),
    (
        "field value",
        {"embeds": [embed(fields=[{"name": "n", "value": "v" * 1025}])]},
        "embeds.0.fields.0.value",
    ),
    ("footer", {"embeds": [embed(footer={"text": "f" * 2049})]}, "embeds.0.footer.text"),
    ("author", {"embeds": [embed(author={"name": "a" * 257})]}, "embeds.0.author.name"),
    ("6000 total", {"embeds": [embed(description="d" * 3000) for _ in range(3)]}, "embeds"),
    (
        "six rows",
        {"content": "x", "components": [row(button(f"b{i}")) for i in range(6)]},
        "components",
    ),
    (
        "six buttons",
        {"content": "x", "components": [row(*(button(f"b{i}") for i in range(6)))]},
        "components.0.components",
    ),
    (
        "select with button",
        {"content": "x", "components": [row(select(), button("b"))]},
        "components.0.components",
    ),
    (
        "custom_id",
        {"content": "x", "components": [row(button("c" * 101))]},
        "components.0.components.0.custom_id",
    ),
    (
        "duplicate custom_id",
        {"content": "x", "components": [row(button("same"), button("same"))]},
        "components.0.components.1.custom_id",
    ),
    (
        "button label",
        {"content": "x", "components": [row(button("b", label="l" * 81))]},
        "components.0.components.0.label",
    ),
    (
        "26 options",
        {"content": "x", "components": [row(select(26))]},
        "components.0.components.0.options",
    ),
    (
        "option label",
        {"content": "x", "components": [row(select(options=[{"label": "l" * 101, "value": "v"}]))]},
        "components.0.components.0.options.0.label",
    ),
    (
        "option value",
        {"content": "x", "components": [row(select(options=[{"label": "l", "value": "v" * 101}]))]},
        "components.0.components.0.options.0.value",
    ),
    (
        "option description",
        {
            "content": "x",
            "components": [
                row(select(options=[{"label": "l", "value": "v", "description": "d" * 101}]))
            ],
        },
        "components.0.components.0.options.0.description",
    ),
    (
        "placeholder",
        {"content": "x", "components": [row(select(placeholder="p" * 151))]},
        "components.0.components.0.placeholder",
    ),
]


def error_paths(tree: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for key, value in tree.items():
        if key == "_errors":
            paths.add(prefix.rstrip("."))
        elif isinstance(value, dict):
            paths |= error_paths(value, f"{prefix}{key}.")
    return paths


@pytest.mark.parametrize(
    ("body", "path"),
    [(b, p) for _, b, p in LIMIT_BREAKERS],
    ids=[name for name, _, _ in LIMIT_BREAKERS],
)
async def test_each_message_limit_is_enforced(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World, body: dict[str, Any], path: str
) -> None:
    fake_discord.expect_errors(50035)
    with pytest.raises(discord.HTTPException) as caught:
        await post_raw(bot, world[1], body)
    assert caught.value.status == 400
    assert caught.value.code == 50035
    record = fake_discord.requests[-1]
    assert path in error_paths(record.error["errors"])  # type: ignore[index]


async def test_payloads_at_the_limits_are_accepted(bot: ExampleBot, world: World) -> None:
    body = {
        "content": "x" * 2000,
        "embeds": [
            embed(title="t" * 256, description="d" * 4096),
            embed(title="t" * 256, description="d" * 1391),
        ],
        "components": [row(*(button(f"b{r}-{i}", "l" * 80) for i in range(5))) for r in range(4)]
        + [row(select(25, placeholder="p" * 150))],
    }
    await post_raw(bot, world[1], body)
    message = world[1].last_message
    assert message is not None
    assert len(message.buttons) == 20


async def test_spec_validation_catches_a_bad_body(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    assert fake_discord.spec is not None, "Discord's OpenAPI spec should be present here"
    fake_discord.expect_errors(50035)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"content": "x", "tts": "yes"}, "tts"),
        ({"content": "x", "allowed_mentions": {"parse": ["bogus"]}}, "allowed_mentions"),
        ({"embeds": [{"title": 5}]}, "embeds.0.title"),
        (
            {"content": "x", "components": [{"type": 1, "components": [{"type": 99}]}]},
            "components.0.components.0.type",
        ),
    ]
    for body, path in cases:
        with pytest.raises(discord.HTTPException):
            await post_raw(bot, world[1], body)
        paths = error_paths(fake_discord.requests[-1].error["errors"])  # type: ignore[index]
        assert any(p.startswith(path) for p in paths), (body, paths)


async def callback(fake: FakeDiscord, interaction_id: int, body: dict[str, Any]) -> int:
    i = fake.interactions[interaction_id]
    url = f"{fake.api_url}/interactions/{i.id}/{i.token}/callback?with_response=1"
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status


def modal(**overrides: Any) -> dict[str, Any]:
    text = {"type": 4, "custom_id": "t", "label": "Label", "style": 1}
    data: dict[str, Any] = {
        "title": "Title",
        "custom_id": "m",
        "components": [{"type": 1, "components": [text]}],
    }
    for key, value in overrides.items():
        if key in ("title", "custom_id", "components"):
            data[key] = value
        else:
            text[key] = value
    return {"type": 9, "data": data}


async def test_modal_and_autocomplete_limits(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, _, alice, _ = world
    fake_discord.expect_errors(50035)
    pending = asyncio.create_task(alice.slash("silent"))
    await fake_discord.until(lambda: bool(fake_discord.interactions))
    [iid] = fake_discord.interactions
    many = [
        {"type": 1, "components": [{"type": 4, "custom_id": f"t{i}", "label": "L", "style": 1}]}
        for i in range(6)
    ]
    for body in [
        modal(title="t" * 46),
        modal(components=[]),
        modal(components=many),
        modal(label="l" * 46),
        modal(placeholder="p" * 101),
        modal(value="v" * 4001),
        {"type": 8, "data": {"choices": [{"name": "n", "value": "v"}] * 26}},
    ]:
        assert await callback(fake_discord, iid, body) == 400, body
    assert await callback(fake_discord, iid, modal(title="t" * 45)) == 200
    result = await pending
    assert result.modal is not None
    assert result.modal.title == "t" * 45


async def test_discord_py_modal_with_long_title_is_rejected(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    fake_discord.expect_errors(50035)
    fake_discord.rejection_grace = 0.05
    r = await world[2].slash("feedback", title="x" * 46)
    assert not r.responded
    assert r.rejections[0].code == 50035


async def test_late_answer_gets_10062(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    fake_discord.expect_errors(10062)
    fake_discord.rejection_grace = 0.05
    r = await world[2].slash("late")  # the command moves the emulator clock 4 s first
    assert not r.responded
    assert bot.errors == [10062]


async def test_second_answer_gets_40060(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    fake_discord.expect_errors(40060)
    r = await world[2].slash("twice")
    assert r.content == "once"
    await fake_discord.until(lambda: bot.errors == [40060])


async def test_followup_after_15_minutes_is_refused(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    fake_discord.expect_errors(50027)
    r = await world[2].slash("wait")
    assert r.deferred
    fake_discord.advance(minutes=16)
    bot.gate.set()
    await fake_discord.until(lambda: bot.errors == [50027])
    assert r.message is not None
    assert r.message.loading


async def test_interaction_carries_what_discord_py_needs(bot: ExampleBot, world: World) -> None:
    guild, chan, alice, _ = world
    chan.deny_bot(embed_links=True)
    await alice.slash("hi", name="x")
    i = bot.interactions[-1]
    assert i.guild_id == guild.id
    assert i.channel is not None
    assert i.channel.id == chan.id
    assert i.app_permissions.send_messages
    assert not i.app_permissions.embed_links
    assert i.permissions.administrator
    assert isinstance(i.user, discord.Member)
    assert i.filesize_limit > 0
    assert i.locale == discord.Locale.american_english
    assert i.context.guild
    assert i.guild_locale is not None


async def test_missing_permissions(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _guild, chan, alice, _ = world
    fake_discord.expect_errors(50013, 50001)
    chan.deny_bot(send_messages=True)
    assert (await alice.slash("echo", text="hi")).deferred
    await fake_discord.until(lambda: bot.errors == [50013])
    assert not bot.interactions[-1].app_permissions.send_messages
    chan.deny_bot(view_channel=True)
    await alice.slash("echo", text="hi")
    await fake_discord.until(lambda: bot.errors == [50013, 50001])
    chan.allow_bot(send_messages=True, view_channel=True)
    await alice.slash("echo", text="hi")
    await fake_discord.wait_for_message(chan)


async def test_mentions_are_recorded(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _guild, chan, alice, bob = world
    text = f"@everyone look {alice.mention} {bob.mention}"
    await alice.slash("echo", text=text)  # the client says AllowedMentions.none()
    quiet = await fake_discord.wait_for_message(chan)
    assert quiet.content == text
    assert not quiet.pinged
    assert fake_discord.pings() == []
    assert quiet.allowed_mentions == {"parse": []}  # what AllowedMentions.none() sends

    await alice.slash("echo", text=text, ping=bob)  # allow exactly bob
    aimed = await fake_discord.wait_for_message(chan)
    assert aimed.pings(bob)
    assert not aimed.pings(alice)
    assert not aimed.pinged.everyone
    assert [m for m, _ in fake_discord.pings()] == [aimed]


async def test_missing_allowed_mentions_parses_everything(
    fake_discord: FakeDiscord, world: World
) -> None:
    guild, chan, _alice, bob = world
    loud = ExampleBot(allowed_mentions=None)
    await fake_discord.start_bot(loud)
    channel = loud.get_channel(chan.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send(f"@everyone {bob.mention}")
    first: FakeMessage = chan.bot_messages[-1]
    assert first.allowed_mentions is not None
    assert first.pings(bob)
    assert not first.pinged.everyone  # the bot may not mention everyone
    guild.set_bot_permissions(discord.Permissions.text())
    await channel.send("@everyone again")
    assert chan.bot_messages[-1].pinged.everyone


async def test_file_uploads(fake_discord: FakeDiscord, bot: ExampleBot, world: World) -> None:
    channel = bot.get_channel(world[1].id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("notes", file=discord.File(io.BytesIO(b"hello file"), "notes.txt"))
    [att] = world[1].last_message.attachments  # type: ignore[union-attr]
    assert att.filename == "notes.txt"
    assert att.data == b"hello file"
    assert await sent.attachments[0].read() == b"hello file"


async def test_bucket_is_waited_on_instead_of_429(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    fake_discord.ratelimits.configure(message_limit=5, message_window=0.3)
    channel = bot.get_channel(world[1].id)
    assert isinstance(channel, discord.TextChannel)
    started = time.perf_counter()
    for i in range(7):
        await channel.send(f"message {i}")
    assert time.perf_counter() - started >= 0.2  # discord.py slept on the exhausted bucket
    assert len(world[1].bot_messages) == 7
    assert fake_discord.stats.ratelimited == 0


async def test_429_with_discord_headers_when_a_client_ignores_them(
    fake_discord: FakeDiscord, world: World
) -> None:
    fake_discord.ratelimits.configure(message_limit=2, message_window=5.0)
    url = f"{fake_discord.api_url}/channels/{world[1].id}/messages"
    headers = {"Authorization": f"Bot {fake_discord.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        for _ in range(2):
            async with session.post(url, json={"content": "hi"}) as ok:
                assert ok.status == 200
        async with session.post(url, json={"content": "hi"}) as limited:
            assert limited.status == 429
            assert limited.headers["Via"]
            assert limited.headers["X-RateLimit-Scope"] == "user"
            assert limited.headers["X-RateLimit-Remaining"] == "0"
            assert (await limited.json())["retry_after"] > 0
    assert fake_discord.stats.ratelimited == 1
    assert fake_discord.stats.invalid == 1


async def test_global_limit_spares_interaction_callbacks(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    fake_discord.ratelimits.configure(global_limit=2, global_window=60.0)
    url = f"{fake_discord.api_url}/users/@me"
    headers = {"Authorization": f"Bot {fake_discord.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        statuses = []
        for _ in range(3):
            async with session.get(url) as response:
                statuses.append(response.status)
                scope = response.headers.get("X-RateLimit-Scope")
    assert statuses == [200, 200, 429]
    assert scope == "global"
    r = await world[2].slash("hi", name="still works")  # callbacks are outside the limit
    assert r.content == "hi still works"


async def test_forced_429_and_502_are_retried(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    channel = bot.get_channel(world[1].id)
    assert isinstance(channel, discord.TextChannel)
    limited = fake_discord.fail("POST /channels/{channel_id}/messages", status=429)
    await channel.send("after a 429")
    broken = fake_discord.fail("POST /channels/{channel_id}/messages", status=502)
    await channel.send("after a 502")  # discord.py waits 1 s before retrying a 5xx
    assert limited.used == 1
    assert broken.used == 1
    assert [m.content for m in world[1].bot_messages] == ["after a 429", "after a 502"]


async def test_gateway_outage_resumes_with_replay(
    fake_discord: FakeDiscord, bot: ExampleBot, world: World
) -> None:
    _, chan, alice, _ = world
    async with fake_discord.gateway_outage():
        missed = await alice.say(chan, "while you were away")
        assert not bot.seen_messages
    assert [m.id for m in bot.seen_messages] == [missed.id]
    assert fake_discord.gateway.resumes == 1
    assert fake_discord.gateway.identifies == 1

    await fake_discord.drop_gateway()
    await fake_discord.request_reconnect()
    assert fake_discord.gateway.resumes == 3
    await fake_discord.invalidate_session()
    assert fake_discord.gateway.identifies == 2
    assert (await alice.slash("hi", name="back")).content == "hi back"


async def test_unknown_route_is_404_and_fails_the_test(
    fake_discord: FakeDiscord, bot: ExampleBot
) -> None:
    with pytest.raises(discord.NotFound):
        await bot.http.request(Route("GET", "/no/such/route"))
    [record] = fake_discord.unexpected_errors()
    assert record.route == "?"
    assert record.status == 404

    item = types.SimpleNamespace(stash=pytest.Stash())
    item.stash[plugin._FAKE] = fake_discord
    hook = plugin.pytest_runtest_call(item)  # type: ignore[arg-type]
    next(hook)
    with pytest.raises(pytest.fail.Exception, match="unexpected error"):
        hook.send(None)
    fake_discord.expect_errors(404)
    assert fake_discord.unexpected_errors() == []
