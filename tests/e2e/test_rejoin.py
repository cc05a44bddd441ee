"""End to end: a server that removes Hearth and invites it back within the 14 days gets its
whole schedule back — the open prompt reveals on time, next week's prompt posts, the weekly
phones-down time and an open question about going deeper carry on — and what fell due
while Hearth was away runs as it would after a downtime."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.test_boundaries_group import ASKED, DEEPER, STAYING
from tests.e2e.test_prompts_week import FIRST_SUNDAY, WEEKLY, make_world, round_id
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness

WEDNESDAY = 2


async def test_kicked_monday_invited_back_tuesday_the_week_goes_on(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    world = await make_world(fake_discord, hearth_unstarted)
    fake, hearth, guild, chan = world.fake, world.hearth, world.guild, world.channel
    ana, ben = world["A"], world["B"]
    admin = world.admin
    r = await admin.slash("phonesdown schedule", weekday=WEDNESDAY, time="20:00", duration="1h")
    assert "Weekly phones-down time is set" in r.text
    r = await admin.slash("hearth pace", vote_days=1)
    assert r.ephemeral

    # Sunday 18:00 in Berlin: the weekly prompt; two friends answer.
    hearth.clock.set(FIRST_SUNDAY)
    await hearth.bot.scheduler.run_due()
    post = await fake.wait_for_message(chan, lambda m: WEEKLY in m.text)
    rid = round_id(post)
    await world.answer(ana, post, "The bakery smell on Saturdays.")
    await world.answer(ben, post, "My brother's terrible jokes.", anonymous=True)
    # An hour later Ana asks, privately, whether the group would like to go deeper.
    hearth.advance(hours=1)
    status = await ana.slash("boundaries group")
    await (await ana.click(status, "Suggest going deeper")).wait_original()
    await fake.wait_for_message(chan, lambda m: ASKED in m.text)

    def server_jobs() -> list[str]:
        sched = hearth.bot.scheduler
        return sorted(
            job
            for prefix in ("prompt:", "depth:close:", "phonesdown:")
            for job in sched.job_ids(prefix)
        )

    before = server_jobs()
    assert f"prompt:{guild.id}" in before
    assert f"prompt:reveal:{rid}" in before
    assert any(j.startswith("depth:close:") for j in before)
    assert any(j.startswith("phonesdown:session:") for j in before)

    # Monday: removed. Everything of this server waits, as if Hearth were down here.
    hearth.clock.set(FIRST_SUNDAY + timedelta(hours=17))
    await guild.remove_bot()
    await fake.until(lambda: server_jobs() == [], what="the server's jobs to be suspended")
    # A restart while it's away doesn't wake them either (the question's time passes).
    hearth.advance(hours=10)
    await hearth.restart()
    assert server_jobs() == []
    assert hearth.bot.scheduler.due(f"privacy:purge:{guild.id}") is not None

    # Tuesday morning: invited back. Every job returns; the purge is off.
    hearth.clock.set(FIRST_SUNDAY + timedelta(days=1, hours=15))
    await fake.add_bot_to(guild)
    await fake.until(
        lambda: set(before) <= set(server_jobs()), what="the server's jobs to come back"
    )
    assert hearth.bot.scheduler.due(f"privacy:purge:{guild.id}") is None
    sched = hearth.bot.scheduler
    assert sched.due(f"prompt:reveal:{rid}") == FIRST_SUNDAY + timedelta(hours=48)
    assert sched.due(f"prompt:{guild.id}") == FIRST_SUNDAY + timedelta(days=7)
    # The question closed while Hearth was away: it is decided now, as after a downtime.
    assert any(j.startswith("depth:close:") for j in await sched.run_due())
    result = await fake.wait_for_message(chan, lambda m: STAYING in m.text or DEEPER in m.text)
    assert STAYING in result.text  # not everyone said yes

    # Tuesday 18:00 in Berlin: the round reveals on time.
    hearth.clock.set(FIRST_SUNDAY + timedelta(hours=48))
    assert f"prompt:reveal:{rid}" in await sched.run_due()
    messages = await world.thread_messages(post)
    texts = sorted(e["description"] for m in messages for e in m.embeds)
    assert texts == [
        "My brother's terrible jokes.\n\n— shared anonymously",
        f"The bakery smell on Saturdays.\n\n— <@{ana.id}>",
    ]

    # Wednesday evening's phones-down card comes as usual, and next Sunday's prompt.
    session = next(j for j in server_jobs() if j.startswith("phonesdown:session:"))
    reminder = session.replace(":session:", ":reminder:")
    hearth.clock.set(sched.due(reminder))  # type: ignore[arg-type]
    assert reminder in await sched.run_due()
    await fake.wait_for_message(chan, lambda m: "Join" in str(m.buttons))
    hearth.clock.set(FIRST_SUNDAY + timedelta(days=7))
    assert f"prompt:{guild.id}" in await sched.run_due()
    second = await fake.wait_for_message(chan, lambda m: WEEKLY in m.text)
    assert second.id != post.id
    assert fake.pings() == []
