"""End to end: answers and shares leave the database after the server's retention period."""

from __future__ import annotations

from cogs.prompts import store as prompt_store
from tests.e2e.test_prompts_week import World, make_world, round_id
from tests.fakediscord import FakeDiscord
from tests.fakediscord.harness import HearthHarness


async def count(world: World, table: str) -> int:
    assert table in ("prompt_answers", "shares")
    return int(await world.hearth.bot.db.fetchval(f"SELECT COUNT(*) FROM {table}"))


async def test_retention_is_the_admins_choice_and_the_daily_job_keeps_it(
    fake_discord: FakeDiscord, hearth_unstarted: HearthHarness
) -> None:
    world = await make_world(fake_discord, hearth_unstarted, ("Aurelia", "Bramwell"))
    bot = world.hearth.bot
    assert "90 days" in (await world.admin.slash("hearth retention")).text
    refused = await world["A"].slash("hearth retention", days=30)
    assert "server admins" in refused.text
    done = await world.admin.slash("hearth retention", days=30)
    assert "kept for 30 days" in done.text
    assert "kept for 30 days" in (await world.admin.slash("hearth settings")).text

    post = await world.post()
    rid = round_id(post)
    await world.answer(world["A"], post, "Answer one.")
    await world.answer(world["B"], post, "Answer two.", anonymous=True)
    opened = await world["A"].slash("share", {"how": "named", "wants": "advice"})
    shared = await world["A"].submit_modal(opened, {"What would you like to share?": "A share."})
    await shared.wait_followup()  # posted, saved, then confirmed
    assert await count(world, "prompt_answers") == 2
    assert await count(world, "shares") == 1

    world.hearth.advance(days=29)
    assert await world.hearth.fire("retention:daily")
    await world.fake.sync()
    assert await count(world, "prompt_answers") == 2
    assert await count(world, "shares") == 1
    assert bot.scheduler.due("retention:daily") is not None  # it re-arms itself

    world.hearth.advance(days=2)
    assert await world.hearth.fire("retention:daily")
    assert await count(world, "prompt_answers") == 0
    assert await count(world, "shares") == 0  # the same sweep, the sharing cog's part
    # The round itself (no personal data) stays, so the week's history is intact.
    assert await prompt_store.get_round(bot.db, rid) is not None
