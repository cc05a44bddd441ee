"""A friend group's afternoon with Hearth, for killing Hearth in the middle of it.

Every step changes state and makes Hearth say something on Discord: a welcome, a
prompt, answers revealed in a thread two days later, a share, a phones-down card, a
check-in DM, a friend's note, a privacy deletion. The steps run one after another; when
Hearth dies during one (a crash point, a kill), it is started again and the story goes
on with the next step. Two days pass in the middle: Hearth is stopped like a deploy and
started again two days later, when the prompt's deadline has passed and the reveal runs
at once (the crash plan can be saved for that second start, to land in the reveal).
At the end every message must be there exactly once, as counted from the emulator's
own record — nothing lost, nothing doubled — and every message carrying someone's
words must be gone once they delete their data.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.crash.realbot import RealBot
from tests.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeMember, FakeMessage
from tests.fakediscord.actors import NoResponse

ANA_SHARE = "The garden finally bloomed after three years of trying"
ANA_ANSWER = "My grandmother's kitchen on a Sunday"
BEN_ANSWER = "The lake at dawn when nobody else is up"
ANA_TITLE = "Ana's quiet tea hour"
ANA_NOTE = "thinking of you and your big week"


@dataclass
class Report:
    """What a run saw: kills survived, and anything lost or doubled (with why)."""

    kills: int = 0
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.lost and not self.doubled


@dataclass
class Afternoon:
    fake: FakeDiscord
    bot: RealBot
    guild: FakeGuild
    chan: FakeChannel
    olwen: FakeMember  # the admin
    ana: FakeMember
    ben: FakeMember
    report: Report = field(default_factory=Report)
    plan: str | None = None  # a crash plan kept for the start two days later

    # ------------------------------------------------------------------ running

    async def settle(self, quiet: float = 0.4, limit: float = 20.0) -> None:
        """Until Hearth has been quiet towards Discord for a moment (what it owed went out)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + limit
        seen, since = -1, loop.time()
        while loop.time() < end:
            if len(self.fake.requests) != seen:
                seen, since = len(self.fake.requests), loop.time()
            elif loop.time() - since >= quiet:
                return
            await asyncio.sleep(0.05)

    async def step(self, act: Callable[[], Awaitable[object]]) -> None:
        """Do one thing as a friend would; if Hearth died meanwhile, start it again."""
        if self.bot.alive:
            with contextlib.suppress(NoResponse, TimeoutError, AssertionError, LookupError):
                await act()
            await self.settle()
        if not self.bot.alive or await self.bot.exited(0.2) is not None:
            self.report.kills += 1
            await self.bot.start()
            await self.bot.ready(self.olwen)
            await self.settle()

    # ------------------------------------------------------------------ the story

    async def run(self) -> None:
        await self.bot.ready(self.olwen)
        # Hearth welcomes the server once it has settled in (before anyone sets it up).
        await self.step(self.welcomed)
        await self.step(self.welcomed)  # …even if it died on the way
        await self.step(self.set_up)
        await self.step(self.prompt_now)
        await self.step(lambda: self.answer(self.ana, ANA_ANSWER))
        await self.step(lambda: self.answer(self.ben, BEN_ANSWER))
        await self.two_days_later()  # the deadline has passed: the reveal
        await self.step(self.share)
        await self.step(self.phones_down)
        await self.step(self.checkin)
        await self.step(self.note)
        await self.step(self.forget_ana)
        await self.settle()

    async def welcomed(self) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + 10
        while self.bot.alive and loop.time() < end:
            if any("Hi, I'm Hearth" in m.text for m in self.chan.messages):
                return
            await asyncio.sleep(0.05)

    async def set_up(self) -> None:
        await self.olwen.slash("hearth setup", {"channel": self.chan}, timezone="Europe/Berlin")
        for who in (self.ana, self.ben):
            await who.slash("boundaries mine")  # they use Hearth here
        # Ben's check-ins mean he welcomes DMs from Hearth (and so Ana's note).
        await self.ben.slash(
            "checkin start", frequency="weekly", time="09:00", timezone="Europe/Berlin"
        )

    def prompt_post(self) -> FakeMessage | None:
        posts = [m for m in self.chan.visible_messages if "a prompt for you all" in m.text]
        return posts[0] if posts else None

    async def prompt_now(self) -> None:
        await self.olwen.slash("hearth prompt now")

    async def answer(self, who: FakeMember, words: str) -> None:
        post = self.prompt_post()
        assert post is not None
        panel = await who.click(post, "Answer privately")
        opened = await who.click(panel, "Answer with my name")
        assert opened.modal is not None
        await who.submit_modal(opened, {"Your answer": words})

    async def two_days_later(self) -> None:
        """A deploy: SIGTERM, then a start two days on (with any crash plan kept for it)."""
        await self.bot.stop()
        self.bot.offset += 49 * 3600
        await self.bot.start(crash_at=self.plan)
        await self.step(self.revealed)
        await self.step(self.revealed)  # …even if it died on the way

    async def revealed(self) -> None:
        with contextlib.suppress(RuntimeError):  # it may die while starting: step restarts it
            await self.bot.ready(self.olwen)
        loop = asyncio.get_running_loop()
        end = loop.time() + 15
        while self.bot.alive and loop.time() < end:
            post = self.prompt_post()
            if post is not None and "Revealed" in post.text:
                return
            await asyncio.sleep(0.05)

    async def share(self) -> None:
        opened = await self.ana.slash("share", {"how": "named", "wants": "listening"})
        assert opened.modal is not None
        await self.ana.submit_modal(opened, {"What would you like to share?": ANA_SHARE})

    async def phones_down(self) -> None:
        await self.ana.slash("phonesdown start", duration="30m", title=ANA_TITLE)

    async def checkin(self) -> None:
        await self.ana.slash(
            "checkin start", frequency="daily", time="09:00", timezone="Europe/Berlin"
        )
        await self.ana.slash("checkin now")

    async def note(self) -> None:
        await self.ana.slash("support send", friend=self.ben, note=ANA_NOTE)

    async def forget_ana(self) -> None:
        asked = await self.ana.slash("privacy delete")
        await self.ana.click(asked, "Delete everything")

    # ------------------------------------------------------------------ counting

    def everywhere(self) -> list[FakeMessage]:
        """Every message Hearth made (deleted ones too), anywhere: channels, threads, DMs."""
        return [
            m
            for m in self.fake.messages.values()
            if m.author is self.fake.bot_user and not m.ephemeral
        ]

    def expect_once(self, what: str, found: list[FakeMessage]) -> list[FakeMessage]:
        if not found:
            self.report.lost.append(what)
        elif len(found) > 1:
            self.report.doubled.append(f"{what} ×{len(found)}")
        return found

    def check(self) -> Report:
        made = self.everywhere()

        def having(needle: str) -> list[FakeMessage]:
            return [m for m in made if needle in m.text or any(needle in str(h) for h in m.history)]

        self.expect_once("the welcome", having("Hi, I'm Hearth"))
        self.expect_once("the prompt", having("a prompt for you all"))
        self.expect_once("the reveal's thanks", having("in no particular order"))
        for what, words in (("Ana's answer", ANA_ANSWER), ("Ben's answer", BEN_ANSWER)):
            self.expect_once(what, having(words))
        self.expect_once("the share", having(ANA_SHARE))
        self.expect_once("the phones-down card", having("Tap **Join** to be in"))
        self.expect_once("the check-in", [m for m in made if "How are you" in m.text])
        self.expect_once("Ana's note to Ben", having(ANA_NOTE))
        post = self.prompt_post()
        if post is None or "Revealed" not in post.text:
            self.report.lost.append("the post's revealed state")
        # Ana deleted her data: every message with her words is gone (or, the group's
        # card, without her title), whatever moment Hearth died at.
        for what, words in (
            ("her answer", ANA_ANSWER),
            ("her share", ANA_SHARE),
            ("her note", ANA_NOTE),
        ):
            if any(not m.deleted for m in having(words)):
                self.report.lost.append(f"the deletion of {what}")
        if any(ANA_TITLE in m.text and not m.deleted for m in made):
            self.report.lost.append("taking her title off the card")
        if any(BEN_ANSWER in m.text and m.deleted for m in made):
            self.report.lost.append("Ben's answer (deleted with Ana's)")
        return self.report


async def afternoon(fake: FakeDiscord, workdir: Path) -> Afternoon:
    # Discord's 5 posts per 5 s per channel would only make the story slow.
    fake.ratelimits.configure(message_window=0.05)
    guild = fake.add_guild("Friends", owner="Olwen")
    chan = guild.add_text_channel("hearth")
    ana = guild.add_member("Ana")
    ben = guild.add_member("Ben")
    return Afternoon(fake, RealBot(fake, workdir), guild, chan, guild.owner, ana, ben)
