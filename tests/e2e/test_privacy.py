"""End to end: a member uses every practice, then sees, exports and deletes it all.

`Story` builds the world and plays the whole scenario; other privacy and abuse tests
(the log scan) reuse it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from bot.privacy import is_person_column
from bot.timeutil import UTC
from tests.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeMember, FakeMessage
from tests.fakediscord.harness import HearthHarness

# Monday 12 January 2026, 14:00 in Berlin: nobody's quiet hours, DMs go at once.
AFTERNOON = datetime(2026, 1, 12, 13, 0, tzinfo=UTC)

# Words only Aurelia wrote; each must be findable through Hearth and gone after deletion.
ANA_NOTE = "quietly proud of the tomato seedlings"
ANA_FRIEND_NOTE = "remember the canal walk in the fog"
ANA_DEBRIEF = "the kettle sang and nobody reached for a screen"
ANA_TITLE = "Tea by the window"
ANA_ANSWER = "my grandmother's garden taught me patience"
ANA_SHARE = "I finally told my sister I was sorry"
ANA_PRIVATE_SHARE = "nervous about the interview on friday"
BEN_NOTE = "tired but the soup was good"
BEN_ANSWER = "the smell of rain on hot stone"


@dataclass
class Story:
    fake: FakeDiscord
    hearth: HearthHarness
    guild: FakeGuild
    chan: FakeChannel
    olwen: FakeMember  # the owner, an admin
    ana: FakeMember
    ben: FakeMember
    cat: FakeMember
    # Hearth's messages that carry Ana's words, as the story produced them.
    ana_words: list[FakeMessage] = field(default_factory=list)

    @property
    def db(self) -> Any:
        return self.hearth.bot.db

    async def done(self, r: Any) -> str:
        """The text of a deferred private answer, once it has arrived."""
        assert r.ephemeral
        return str((await r.wait_followup()).text)

    # ------------------------------------------------------------------ the scenario

    async def set_up(self) -> None:
        r = await self.olwen.slash("hearth setup", {"channel": self.chan}, timezone="Europe/Berlin")
        assert "Hearth is set up" in r.text
        for who in (self.ana, self.ben, self.cat):
            await who.slash("boundaries mine")  # using Hearth makes them participants

    async def boundaries(self) -> None:
        r = await self.ana.slash("boundaries timezone", zone="Europe/Berlin")
        assert r.ephemeral

    async def checkins(self) -> None:
        for who in (self.ana, self.ben):
            r = await who.slash(
                "checkin start", frequency="daily", time="09:00", timezone="Europe/Berlin"
            )
            assert "Check-ins are on" in r.text
        for who, words in ((self.ana, ANA_NOTE), (self.ben, BEN_NOTE)):
            await (await who.slash("checkin now")).wait_followup()
            dm = await self.fake.wait_for_message(who, lambda m: "How are you" in m.text)
            await who.click(dm, "Good")
            opened = await who.click(dm, "Add a few words")
            await who.submit_modal(opened, {"What's on your mind?": words})

    async def circles(self) -> None:
        # Ana asks Ben into her circle, and Ben asks Ana into his.
        for owner, friend in ((self.ana, self.ben), (self.ben, self.ana)):
            said = await self.done(await owner.slash("support circle add", friend=friend))
            assert "I've asked" in said
            invite = await self.fake.wait_for_message(friend, lambda m: "circle" in m.text)
            yes = await friend.click(invite, "Yes, I'm in")
            assert yes.type == 7
        said = await self.done(
            await self.ana.slash("support send", friend=self.ben, note=ANA_FRIEND_NOTE)
        )
        assert "Sent" in said
        note = await self.fake.wait_for_message(self.ben, lambda m: ANA_FRIEND_NOTE in m.text)
        self.ana_words.append(note)

    async def phones_down(self) -> None:
        lobby = await self.ana.slash("phonesdown start", duration="30m", title=ANA_TITLE)
        await lobby.wait_followup()
        card = await self.fake.wait_for_message(self.chan, lambda m: ANA_TITLE in m.text)
        await self.ben.click(card, "Join")
        cid = next(
            int(m[1])
            for b in card.buttons
            if (m := re.fullmatch(r"hearth:pd:[a-z]+:(\d+)", b.get("custom_id", "")))
        )
        self.hearth.advance(minutes=2)
        assert await self.hearth.fire(f"phonesdown:start:{cid}")
        self.hearth.advance(minutes=30)
        assert await self.hearth.fire(f"phonesdown:end:{cid}")
        results = await self.fake.wait_for_message(self.chan, lambda m: "Answer" in str(m.buttons))
        opened = await self.ana.click(results, "Answer")
        done = await self.ana.submit_modal(opened, {"Your answer": ANA_DEBRIEF})
        await done.wait_original()
        [thread] = self.chan.threads
        answer = await self.fake.wait_for_message(thread, lambda m: ANA_DEBRIEF in m.text)
        self.ana_words.append(answer)

    async def going_deeper(self) -> None:
        status = await self.ana.slash("boundaries group")
        asked = await self.ana.click(status, "Suggest going deeper")
        await asked.wait_original()
        await self.fake.wait_for_message(self.chan, lambda m: "deeper" in m.text.lower())

    async def prompt_answer(self) -> None:
        """The weekly prompt: Ana answers with her name; it is revealed in a thread."""
        bot = self.hearth.bot
        job = f"prompt:{self.guild.id}"
        await self.fake.until(lambda: bot.scheduler.due(job) is not None)
        assert await self.hearth.fire(job)
        post = await self.fake.wait_for_message(
            self.chan, lambda m: "Answer privately" in str(m.buttons)
        )
        for who, words in ((self.ana, ANA_ANSWER), (self.ben, BEN_ANSWER)):
            panel = await who.click(post, "Answer privately")
            opened = await who.click(panel, "Answer with my name")
            await who.submit_modal(opened, {"Your answer": words})
        round_id = int(post.buttons[0]["custom_id"].rsplit(":", 1)[1])
        self.hearth.advance(days=3)
        await bot.scheduler.fire(f"prompt:reveal:{round_id}")
        await self.fake.until(lambda: post.thread is not None and "Revealed" in post.text)
        assert post.thread is not None
        [answer] = [m for m in post.thread.bot_messages if ANA_ANSWER in m.text]
        self.ana_words.append(answer)

    async def shares(self) -> None:
        opened = await self.ana.slash("share", {"how": "named", "wants": "listening"})
        r = await self.ana.submit_modal(opened, {"What would you like to share?": ANA_SHARE})
        assert "Shared in" in (await r.wait_original()).text
        post = await self.fake.wait_for_message(self.chan, lambda m: ANA_SHARE in m.text)
        self.ana_words.append(post)
        opened = await self.ana.slash(
            "share", {"how": "friend", "wants": "encouragement", "friend": self.ben}
        )
        r = await self.ana.submit_modal(
            opened, {"What would you like to share?": ANA_PRIVATE_SHARE}
        )
        assert "Sent to" in (await r.wait_original()).text
        dm = await self.fake.wait_for_message(self.ben, lambda m: ANA_PRIVATE_SHARE in m.text)
        self.ana_words.append(dm)

    async def everything(self) -> None:
        await self.set_up()
        await self.boundaries()
        await self.checkins()
        await self.circles()
        await self.phones_down()
        await self.going_deeper()
        await self.shares()
        await self.prompt_answer()

    # ------------------------------------------------------------------ looking

    async def rows_naming(self, user_id: int) -> dict[str, int]:
        """Every table and person column in the database that still holds this id."""
        found: dict[str, int] = {}
        for table in await self.db.tables():
            for row in await self.db.fetchall(f"PRAGMA table_info({table})"):
                column = row[1]
                if not is_person_column(column):
                    continue
                n = await self.db.fetchval(
                    f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (user_id,)
                )
                if n:
                    found[f"{table}.{column}"] = n
        return found

    async def export(self, who: FakeMember, *, in_dm: bool = False) -> dict[str, Any]:
        r = await who.slash("privacy export", channel=who.dm_channel if in_dm else None)
        assert r.deferred
        message = await r.wait_followup()
        assert message.ephemeral
        [file] = message.attachments
        assert file.filename.endswith(".json")
        data: dict[str, Any] = json.loads(file.data)
        return data


async def make_story(fake: FakeDiscord, hearth: HearthHarness) -> Story:
    hearth.clock.set(AFTERNOON)
    # Discord's 5 posts per 5 s per channel, sped up: the story posts a week in seconds.
    fake.ratelimits.configure(message_limit=5, message_window=0.25)
    guild = fake.add_guild("Friends", owner="Olwen")
    chan = guild.add_text_channel("hearth")
    ana = guild.add_member("Aurelia")
    ben = guild.add_member("Bramwell")
    cat = guild.add_member("Cosima")
    await hearth.start()
    return Story(fake, hearth, guild, chan, guild.owner, ana, ben, cat)


@pytest.fixture
async def story(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> Story:
    return await make_story(fake_discord, hearth_unstarted)


async def until_done(clicked: Any) -> FakeMessage:
    """The confirm's message once it shows the outcome (after "Deleting…")."""
    message = clicked.message
    assert message is not None
    await clicked.interaction.fake.until(
        lambda: "Deleting" not in message.text and len(message.history) >= 2, timeout=5
    )
    return message


def texts(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


# --------------------------------------------------------------------------- the tests


async def test_show_export_and_delete_everything_about_one_member(story: Story) -> None:
    await story.everything()
    ana, ben = story.ana, story.ben
    assert len(story.ana_words) == 5

    # /privacy show: private, per practice, counts and dates, and how long each is kept.
    shown = await ana.slash("privacy show")
    assert shown.ephemeral
    for words in (
        "1 check-in schedule",
        "1 check-in",
        "1 friend you asked into your circle",
        "1 circle you were asked into",
        "1 challenge you started",
        "1 challenge you joined",
        "1 answer to an open question",
        "7 messages of yours Hearth posted",
        "1 prompt answer or skip",
        "2 shares",
        "1 set of personal settings",
        "Check-ins: a year",
        "90 days after you answer",  # the server's own retention period
    ):
        assert words in shown.text, words
    assert "<t:" in shown.text  # dates, in the reader's own time zone
    why = await ana.select(shown, "Why does Hearth keep this?", ["support"])
    assert why.ephemeral
    assert "deleted after a year" in why.text

    # /privacy export: everything, her words readable, with a guide on top.
    data = await story.export(ana)
    assert data["user_id"] == ana.id
    assert any("/privacy delete" in line for line in data["about_this_file"])
    dumped = texts(data)
    for words in (ANA_NOTE, ANA_TITLE, ANA_ANSWER, ANA_SHARE, ANA_PRIVATE_SHARE):
        assert words in dumped
    assert BEN_NOTE not in dumped  # nobody else's words
    assert BEN_ANSWER not in dumped
    parts = data["parts"]
    assert {
        "core.boundaries",
        "support",
        "phones_down",
        "boundaries",
        "core",
        "prompts",
        "sharing",
    } <= set(parts)
    for part in parts.values():
        assert part["what_hearth_keeps_and_why"]
        assert part["how_long"]
        for table in part["tables"].values():
            assert table["what_a_row_is"]
            assert table["rows"]
    ben_before = await story.export(ben)

    # /privacy delete: a confirm first; "Keep it" keeps it.
    asked = await ana.slash("privacy delete")
    assert asked.ephemeral
    assert "can't be undone" in asked.text
    kept = await (await ana.click(asked, "Keep it")).wait_edit()
    assert "Nothing was deleted" in kept.text
    assert await story.rows_naming(ana.id)

    asked = await ana.slash("privacy delete")
    clicked = await ana.click(asked, "Delete everything")
    assert clicked.type == 6  # acknowledged at once; the question turns into the answer
    final = await until_done(clicked)
    said = final.text
    assert "Everything Hearth held about you is deleted" in said
    assert "Steady support" in said
    assert "I deleted 5 of my messages that carried your words" in said
    # The phones-down card and results stay for the group, without her title or name.
    assert "I took your name and words out of 2 messages the group keeps" in said

    # No row anywhere still names her (every table, every person column).
    assert await story.rows_naming(ana.id) == {}
    # Hearth's messages that carried her words are gone from Discord.
    assert all(m.deleted for m in story.ana_words)
    # Her words are nowhere in the database, not even encrypted; nor the title she gave.
    for table in await story.db.tables():
        for row in await story.db.fetchall(f"SELECT * FROM {table}"):
            for words in (ANA_NOTE, ANA_ANSWER, ANA_SHARE):
                assert words not in texts(list(row))
    # She's out of Ben's circle; his own data is otherwise untouched.
    ben_after = await story.export(ben)
    assert ben_after["parts"]["support"]["tables"].get("support_circle") is None

    def bens_own(data: dict[str, Any]) -> dict[str, list[Any]]:
        """Ben's rows that don't involve Ana (those went with her)."""
        return {
            table: [r for r in found["rows"] if ana.id not in r.values()]
            for part in data["parts"].values()
            for table, found in part["tables"].items()
        }

    kept_for_ben = {t: rows for t, rows in bens_own(ben_before).items() if rows}
    assert kept_for_ben.keys() >= {"checkins", "member_boundaries", "prompt_answers"}
    assert {t: rows for t, rows in bens_own(ben_after).items() if rows} == kept_for_ben
    assert BEN_NOTE in texts(ben_after)
    # The group's phones-down history stays, without her name or her title.
    rows = await story.db.fetchall("SELECT starter_user_id, title FROM pd_challenges")
    assert [tuple(r) for r in rows] == [(0, None)]
    # Nothing is waiting to be deleted, and her jobs are gone.
    assert await story.db.fetchval("SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == 0
    assert story.hearth.bot.scheduler.due(f"checkin:{ana.id}") is None
    assert story.hearth.bot.scheduler.due(f"checkin:{ben.id}") is not None
    # Nobody was pinged by any of it.
    assert story.fake.pings() == []

    # Asking again: nothing left.
    assert "nothing about you" in (await ana.slash("privacy show")).text
    exported = await ana.slash("privacy export")
    assert "nothing to export" in (await exported.wait_followup()).text


async def test_a_restart_finishes_deleting_what_discord_was_too_busy_for(
    story: Story,
) -> None:
    await story.set_up()
    await story.checkins()
    await story.circles()
    [note] = story.ana_words
    story.fake.fail("DELETE /channels/{channel_id}/messages/{message_id}", times=1, status=503)
    asked = await story.ana.slash("privacy delete")
    clicked = await story.ana.click(asked, "Delete everything")
    final = await until_done(clicked)
    assert "will be deleted in a few minutes" in final.text
    assert not note.deleted
    assert await story.rows_naming(story.ana.id) == {}  # her rows went at once regardless
    # The deletion waits in the outbox, names nobody, and survives a restart.
    [waiting] = await story.db.fetchall("SELECT * FROM outbox WHERE status = 'pending'")
    assert (waiting["op"], waiting["message_id"]) == ("delete", note.id)
    assert waiting["guild_id"] is None
    assert waiting["recipient_user_id"] is None
    await story.hearth.restart()
    await story.hearth.deliver(minutes=1)
    assert note.deleted
    assert await story.db.fetchval("SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == 0


async def test_privacy_works_in_dms_too(story: Story) -> None:
    await story.set_up()
    await story.checkins()
    shown = await story.ana.slash("privacy show", channel=story.ana.dm_channel)
    assert "1 check-in" in shown.text
