"""End to end through the emulator: a support circle chosen by its person, a low day
shared with one tap (and nothing else), "I'm here", notes between friends, the quiet
watch, and where to find help."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest

from bot.timeutil import UTC
from cogs.support import logic, store
from tests.fakediscord import FakeDiscord, FakeGuild, FakeMember, FakeMessage, InteractionResult
from tests.fakediscord.harness import HearthHarness
from tests.writes import write

MONDAY_EARLY = datetime(2026, 1, 12, 5, 0, tzinfo=UTC)  # 06:00 in Berlin
NINE_BERLIN = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)


@dataclass
class Circle:
    fake: FakeDiscord
    hearth: HearthHarness
    guild: FakeGuild
    olwen: FakeMember  # the server's owner
    ana: FakeMember
    ben: FakeMember
    cat: FakeMember
    dev: FakeMember
    eve: FakeMember

    async def uses_hearth(self, *people: FakeMember) -> None:
        """They've used Hearth here and allowed DMs (set up the way the boundaries panel would)."""
        b = self.hearth.bot.boundaries
        for who in people:
            await b.touch(self.guild.id, who.user.id)
            await write(b.db, b.set_dms_allowed, who.user.id, True)

    async def done(self, r: InteractionResult) -> str:
        """The text of a deferred answer, once it has arrived."""
        assert r.deferred
        assert r.ephemeral
        return (await r.wait_followup()).text

    async def invite(self, owner: FakeMember, friend: FakeMember) -> FakeMessage:
        said = await self.done(await owner.slash("support circle add", friend=friend))
        assert "I've asked" in said
        return await self.fake.wait_for_message(friend)

    async def run_until(self, when: datetime) -> list[str]:
        self.hearth.clock.set(when)
        return await self.hearth.run_due()

    async def opt_in(self, who: FakeMember) -> None:
        r = await who.slash(
            "checkin start", frequency="daily", time="09:00", timezone="Europe/Berlin"
        )
        assert "Check-ins are on" in r.text

    async def next_checkin(self, who: FakeMember, when: datetime) -> FakeMessage:
        await self.run_until(when)
        return await self.fake.wait_for_message(who, lambda m: "How are you" in m.text)


@pytest.fixture
async def circle(fake_discord: FakeDiscord, hearth_unstarted: HearthHarness) -> Circle:
    hearth_unstarted.clock.set(MONDAY_EARLY)
    guild = fake_discord.add_guild("Friends", owner="Olwen")
    guild.add_text_channel("general")
    names = ["Aurelia", "Bramwell", "Cosima", "Dorian", "Evander"]
    people = [guild.add_member(name) for name in names]
    await hearth_unstarted.start()
    c = Circle(fake_discord, hearth_unstarted, guild, guild.owner, *people)
    await c.uses_hearth(c.ben, c.cat, c.dev, c.eve)
    return c


def everything_sent_to(fake: FakeDiscord, *people: FakeMember) -> str:
    return "\n".join(m.text for who in people for m in fake.dms_to(who))


async def test_a_low_day_reaches_every_accepted_friend_and_nobody_else(circle: Circle) -> None:
    fake, ana, ben, cat, dev, eve = (
        circle.fake,
        circle.ana,
        circle.ben,
        circle.cat,
        circle.dev,
        circle.eve,
    )
    invite = await circle.invite(ana, ben)
    assert "Aurelia would like you in their support circle" in invite.text
    r = await ben.click(invite, "Yes, I'm in")
    assert "You're in their circle" in r.text
    assert invite.buttons == []
    r = await cat.click(await circle.invite(ana, cat), "No, thanks")
    assert "won't be told" in r.text
    await circle.invite(ana, dev)  # Dev never answers
    listed = await ana.slash("support circle list")
    assert f"<@{ben.user.id}>" in listed.embed["fields"][0]["value"]  # type: ignore[index]
    # A "no" is silent: Cosima reads the same as Dorian, who hasn't answered.
    assert "declined" not in listed.text.lower()
    assert f"<@{cat.user.id}>" in listed.text
    assert f"<@{dev.user.id}>" in listed.text
    before = {who.user.id: len(who.dms()) for who in (ben, cat, dev, eve)}

    await circle.opt_in(ana)
    dm = await circle.next_checkin(ana, NINE_BERLIN + timedelta(minutes=3))
    opened = await ana.click(dm, "Add a few words")
    await ana.submit_modal(opened, {"What's on your mind?": "The interview went badly."})
    await ana.click(dm, "Low")
    offer = await fake.wait_for_message(ana, lambda m: "circle to know" in m.text)
    assert logic.CIRCLE_OFFER in offer.text
    r = await ana.click(offer, "Yes, let them know")
    await r.wait_edit()
    assert "1 friend will know" in offer.text
    assert "Nothing else was shared" in offer.text

    signal = await fake.wait_for_message(ben)
    assert "Aurelia could use some support today" in signal.text
    for who in (cat, dev, eve):
        assert len(who.dms()) == before[who.user.id]  # declined, pending, never asked
    told = everything_sent_to(fake, ben, cat, dev, eve)
    assert "interview" not in told
    for mood in logic.MOODS.values():  # neither the answer nor any other mood
        assert mood.label not in told
        assert mood.emoji not in told

    again = await ana.click(dm, "Rough")  # lower still: help shows, but no second signal
    assert again.type == 7
    help_message = await fake.wait_for_message(ana, lambda m: "help right now" in m.text)
    assert "emergency number" in help_message.text
    assert "circle to know" not in help_message.text
    assert len(ben.dms()) == 2

    # "I'm here" from the circle reaches Ana, with Ben's note.
    opened = await ben.click(signal, "Send an “I'm here”")
    assert opened.modal is not None
    sent = await ben.submit_modal(opened, {"A short note (optional)": "Call you tonight?"})
    assert "Sent" in await circle.done(sent)
    here = await fake.wait_for_message(ana, lambda m: "is here for you" in m.text)
    assert "Bramwell is here for you" in here.text
    assert "Call you tonight?" in here.text


async def test_only_the_circle_can_send_im_here_and_only_once_per_signal(circle: Circle) -> None:
    fake, ana, ben, cat = circle.fake, circle.ana, circle.ben, circle.cat
    await ben.click(await circle.invite(ana, ben), "Yes, I'm in")
    cats_invite = await circle.invite(ana, cat)
    # Cosima hasn't accepted: a forged "I'm here" button from her is refused.
    cats_invite.components[0]["components"][0]["custom_id"] = f"hearth:sc:here:{ana.user.id}"
    refused = await cat.click(cats_invite, f"hearth:sc:here:{ana.user.id}")
    assert refused.ephemeral
    assert "friends in their support circle" in refused.text
    # Accepting on someone else's behalf doesn't work either.
    bens_copy = await circle.invite(ana, circle.dev)
    bens_copy.components[0]["components"][0]["custom_id"] = f"hearth:sc:accept:{ben.user.id}"
    r = await circle.dev.click(bens_copy, f"hearth:sc:accept:{ben.user.id}")
    assert "isn't open any more" in r.text
    assert await store.accepted_members(circle.hearth.bot.db, ben.user.id) == []

    # Limits: Ben can't flood Ana with notes.
    await circle.opt_in(ana)
    dm = await circle.next_checkin(ana, NINE_BERLIN + timedelta(minutes=3))
    await ana.click(dm, "Low")
    offer = await fake.wait_for_message(ana, lambda m: "circle to know" in m.text)
    await (await ana.click(offer, "Yes, let them know")).wait_edit()
    signal = await fake.wait_for_message(ben)
    for _ in range(3):
        opened = await ben.click(signal, "Send an “I'm here”")
        assert "Sent" in await circle.done(await ben.submit_modal(opened, {}))
    too_many = await ben.click(signal, "Send an “I'm here”")
    assert too_many.modal is None
    assert "plenty" in too_many.text
    assert len([m for m in ana.dms() if "is here for you" in m.text]) == 3

    # Removing Ben ends it: his old button no longer works.
    r = await ana.slash("support circle remove", friend=ben)
    assert "out of your circle" in r.text
    gone = await ben.click(signal, "Send an “I'm here”")
    assert "friends in their support circle" in gone.text


async def test_thinking_of_you_notes_respect_consent_quiet_hours_and_closed_dms(
    circle: Circle,
) -> None:
    fake, ana, ben, olwen = circle.fake, circle.ana, circle.ben, circle.olwen
    r = await ana.slash("support send", friend=ben, note="Proud of you!")
    said = await circle.done(r)
    assert "Sent" in said
    note = await fake.wait_for_message(ben)
    assert "Aurelia is thinking of you" in note.text
    assert "Proud of you!" in note.text
    assert not note.pinged  # a mention to click, never a ping

    never = await ana.slash("support send", friend=olwen)  # never used Hearth here
    assert "hasn't used Hearth in this server" in never.text
    await circle.hearth.bot.boundaries.touch(circle.guild.id, olwen.user.id)
    closed = await ana.slash("support send", friend=olwen)  # used it, never allowed DMs
    assert "hasn't allowed DMs from Hearth" in closed.text
    me = await ana.slash("support send", friend=ana)
    assert "That's you" in me.text
    assert olwen.dms() == []
    assert ana.dms() == []

    # Quiet hours: it waits, then arrives.
    b = circle.hearth.bot.boundaries
    await write(b.db, b.set_timezone, ben.user.id, "Europe/Berlin")
    await write(b.db, b.set_quiet_hours, ben.user.id, time(22, 0), time(8, 0))  # it's 06:00 there
    later = await circle.done(await ana.slash("support send", friend=ben, note="Morning!"))
    assert "quiet hours" in later
    assert len(ben.dms()) == 1
    await circle.run_until(datetime(2026, 1, 12, 7, 0, 1, tzinfo=UTC))
    morning = await fake.wait_for_message(ben)
    assert "Morning!" in morning.text
    waiting = await circle.hearth.bot.db.fetchval("SELECT COUNT(*) FROM support_outbox")
    assert waiting == 0  # the note isn't kept once delivered

    # Closed DMs: one attempt, and the sender is told kindly.
    fake.expect_errors(50007)
    circle.eve.close_dms()
    failed = await circle.done(await ana.slash("support send", friend=circle.eve))
    assert "couldn't deliver" in failed
    again = await circle.done(await ana.slash("support send", friend=circle.eve))
    assert "isn't taking messages" in again
    assert sum(1 for r in fake.requests if r.code == 50007) == 1


async def test_quiet_for_n_days_tells_the_circle_once_not_daily(circle: Circle) -> None:
    fake, ana, ben = circle.fake, circle.ana, circle.ben
    # Days pass on the fake clock in moments; the per-channel bucket runs on real time.
    fake.ratelimits.configure(message_window=0.05)
    await ben.click(await circle.invite(ana, ben), "Yes, I'm in")
    await circle.opt_in(ana)
    r = await ana.slash("support quiet", days=3)
    assert "3 days" in r.text
    assert "just once" in r.text
    ben_before = len(ben.dms())

    def quiet_notes() -> list[FakeMessage]:
        return [m for m in ben.dms() if "quiet for a while" in m.text]

    # Check-ins arrive daily and go unanswered.
    for day in range(3):
        await circle.run_until(NINE_BERLIN + timedelta(days=day, minutes=3))
        assert quiet_notes() == []
    await circle.run_until(MONDAY_EARLY + timedelta(days=3, minutes=1))
    [note] = quiet_notes()
    assert "Aurelia" in note.text
    assert "3 days" in note.text
    for day in range(4, 10):  # not again the next days
        await circle.run_until(NINE_BERLIN + timedelta(days=day, minutes=3))
    assert len(quiet_notes()) == 1
    assert len(ben.dms()) == ben_before + 1

    # An answer starts a new spell; three more quiet days tell them once more.
    latest = [m for m in ana.dms() if "How are you" in m.text][-1]
    await ana.click(latest, "Okay")
    answered_at = circle.hearth.clock.now()
    for day in range(1, 8):
        await circle.run_until(answered_at + timedelta(days=day))
    assert len(quiet_notes()) == 2


async def test_admins_write_local_help_that_shows_at_the_lowest_mood(circle: Circle) -> None:
    ana, olwen = circle.ana, circle.olwen
    refused = await ana.slash("hearth resources")
    assert refused.modal is None
    assert "server admins" in refused.text
    opened = await olwen.slash("hearth resources")
    assert opened.modal is not None
    field = opened.modal.field("Shown privately at the lowest mood")
    assert field.value
    assert "findahelpline.com" in field.value
    saved = await olwen.submit_modal(opened, {field.label: "Ring our crisis line: 0800 111 0 111."})
    assert saved.ephemeral
    assert "0800 111 0 111" in saved.text
    cog = circle.hearth.bot.get_cog("SupportCog")
    assert cog is not None
    [(title, note)] = await cog.settings_notes(circle.guild.id)  # type: ignore[attr-defined]
    assert title == "Where to find help"
    assert "Your server's own text" in note

    await circle.opt_in(ana)
    dm = await circle.next_checkin(ana, NINE_BERLIN + timedelta(minutes=3))
    await ana.click(dm, "Rough")
    help_message = await circle.fake.wait_for_message(ana, lambda m: "help right now" in m.text)
    assert "0800 111 0 111" in help_message.text
    assert "findahelpline" not in help_message.text
    # Private: nothing about it reached the server's channels or anyone else.
    assert all("0800" not in m.text for c in circle.guild.channels for m in c.bot_messages)
    assert circle.ben.dms() == []
    assert circle.olwen.dms() == []

    # Cleared, it's Hearth's own text again.
    opened = await olwen.slash("hearth resources")
    await olwen.submit_modal(opened, {"Shown privately at the lowest mood": ""})
    assert await store.get_resources(circle.hearth.bot.db, circle.guild.id) is None


async def test_circle_dms_wait_for_a_friends_quiet_hours(circle: Circle) -> None:
    fake, ana, ben, cat = circle.fake, circle.ana, circle.ben, circle.cat
    await ben.click(await circle.invite(ana, ben), "Yes, I'm in")
    b = circle.hearth.bot.boundaries
    await write(b.db, b.set_timezone, cat.user.id, "Europe/Berlin")
    await write(b.db, b.set_quiet_hours, cat.user.id, time(22, 0), time(10, 0))  # Cosima sleeps in
    asked = await circle.done(await ana.slash("support circle add", friend=cat))
    assert "quiet hours" in asked
    assert cat.dms() == []
    await circle.run_until(datetime(2026, 1, 12, 9, 0, 1, tzinfo=UTC))  # 10:00 Berlin
    invite = await fake.wait_for_message(cat)
    await cat.click(invite, "Yes, I'm in")
    assert await store.accepted_members(circle.hearth.bot.db, ana.user.id) == [
        ben.user.id,
        cat.user.id,
    ]

    # The next morning Ana has a low day at nine: Bramwell hears now, Cosima at ten.
    await circle.opt_in(ana)
    dm = await circle.next_checkin(ana, datetime(2026, 1, 13, 8, 3, tzinfo=UTC))
    await ana.click(dm, "Low")
    offer = await fake.wait_for_message(ana, lambda m: "circle to know" in m.text)
    await (await ana.click(offer, "Yes, let them know")).wait_edit()
    assert "2 friends will know" in offer.text
    assert "1 will see it when their quiet hours end" in offer.text
    assert "could use some support" in ben.dms()[-1].text
    assert len(cat.dms()) == 1
    await circle.run_until(datetime(2026, 1, 13, 9, 0, 1, tzinfo=UTC))
    later = await fake.wait_for_message(cat, lambda m: "could use some support" in m.text)
    assert later.buttons[0]["label"] == "Send an “I'm here”"


async def test_a_friend_can_step_out_of_a_circle_quietly(circle: Circle) -> None:
    ana, ben = circle.ana, circle.ben
    await ben.click(await circle.invite(ana, ben), "Yes, I'm in")
    mine = await ben.slash("support circle list")
    assert f"<@{ana.user.id}>" in mine.text  # "You're in the circle of"
    dms_before = len(ana.dms())
    r = await ben.slash("support circle leave", person=ana)
    assert "stepped out" in r.text
    assert await store.accepted_members(circle.hearth.bot.db, ana.user.id) == []
    assert len(ana.dms()) == dms_before  # Ana isn't told
    again = await ben.slash("support circle leave", person=ana)
    assert "not in" in again.text
