"""Hearth's threads age the way Discord's do: a reveal thread archives after 7 days of
quiet, a debrief thread after 1, and a moderator may lock either. Every later action on
them either works the way Discord allows or gives up, kindly and boundedly."""

from __future__ import annotations

import logging

import pytest

from tests.e2e.test_privacy import ANA_ANSWER, ANA_DEBRIEF, Story, story, until_done
from tests.fakediscord import FakeChannel, FakeMessage

__all__ = ["story"]  # the fixture, shared with test_privacy


async def reveal_thread(story: Story) -> tuple[FakeChannel, FakeMessage]:
    """Ana's named answer, revealed in the prompt's thread: (thread, her answer there)."""
    await story.set_up()
    await story.prompt_answer()
    [answer] = [m for m in story.ana_words if ANA_ANSWER in m.text]
    return answer.channel, answer


async def debrief_thread(story: Story) -> tuple[FakeChannel, FakeMessage]:
    """Ana's debrief answer, in the thread on the phones-down results."""
    await story.set_up()
    await story.phones_down()
    [answer] = [m for m in story.ana_words if ANA_DEBRIEF in m.text]
    return answer.channel, answer


async def delete_everything(story: Story) -> str:
    asked = await story.ana.slash("privacy delete")
    clicked = await story.ana.click(asked, "Delete everything")
    return (await until_done(clicked)).text


async def test_a_reveal_thread_archives_after_a_quiet_week(story: Story) -> None:
    thread, _ = await reveal_thread(story)
    assert thread.auto_archive_duration == 7 * 24 * 60
    story.hearth.advance(days=6, hours=23)
    assert not thread.archived
    story.hearth.advance(hours=2)
    assert thread.archived


async def test_words_in_an_archived_reveal_thread_are_still_deleted(story: Story) -> None:
    thread, answer = await reveal_thread(story)
    story.hearth.advance(days=8)
    assert thread.archived
    said = await delete_everything(story)
    assert "I deleted 1 message of mine" in said
    assert answer.deleted
    assert thread.archived  # deleting is the one thing Discord does in an archived thread


async def test_words_in_a_locked_but_open_thread_are_still_deleted(story: Story) -> None:
    thread, answer = await reveal_thread(story)
    thread.lock()
    said = await delete_everything(story)
    assert "I deleted 1 message of mine" in said
    assert answer.deleted


async def test_words_in_an_archived_locked_thread_are_given_up_on_with_a_log_line(
    story: Story, caplog: pytest.LogCaptureFixture
) -> None:
    thread, answer = await reveal_thread(story)
    story.hearth.advance(days=8)
    thread.archive(locked=True)  # a moderator closed it for good
    story.fake.expect_errors(50083)
    with caplog.at_level(logging.INFO):
        await delete_everything(story)
        for _ in range(10):  # however long the outbox keeps going …
            await story.hearth.deliver(hours=1)
    attempts = [r for r in story.fake.requests if r.code == 50083]
    assert 1 <= len(attempts) <= 5  # … it stops trying
    assert not answer.deleted
    assert story.hearth.bot.scheduler.due("privacy:deletions") is None
    assert any(str(thread.id) in r.getMessage() for r in caplog.records)


async def test_a_debrief_answer_reopens_a_thread_that_archived_overnight(story: Story) -> None:
    thread, first = await debrief_thread(story)
    assert thread.auto_archive_duration == 24 * 60
    story.hearth.advance(days=2)
    assert thread.archived
    results = first.channel.starter_message
    assert results is not None
    opened = await story.ben.click(results, "Answer")
    done = await story.ben.submit_modal(opened, {"Your answer": "we made soup"})
    assert "Posted in" in (await done.wait_original()).text
    later = await story.fake.wait_for_message(thread, lambda m: "we made soup" in m.text)
    assert later.channel is thread
    assert not thread.archived


@pytest.mark.parametrize("archived", [True, False], ids=["archived and locked", "locked"])
async def test_a_debrief_answer_into_a_locked_thread_gets_a_kind_word(
    story: Story, archived: bool
) -> None:
    thread, first = await debrief_thread(story)
    if archived:
        thread.archive(locked=True)
    else:
        thread.lock()
    story.fake.expect_errors(50083, 160005)
    results = first.channel.starter_message
    assert results is not None
    opened = await story.ben.click(results, "Answer")
    done = await story.ben.submit_modal(opened, {"Your answer": "we made soup"})
    reply = await done.wait_original()
    assert "thread has been" in reply.text  # closed, or locked: said kindly, no incident
    assert "incident" not in reply.text
    assert not [m for m in thread.bot_messages if "we made soup" in m.text]
    await story.hearth.deliver(hours=1)  # and nothing comes back to try again
    assert len([r for r in story.fake.requests if r.code in (50083, 160005)]) == 1
    assert "we made soup" in reply.text  # their words come back to them


async def test_the_reveal_job_leaves_a_thread_it_opened_alone_afterwards(story: Story) -> None:
    """Nothing of Hearth's own keeps touching a week-old reveal thread (no edits, no posts)."""
    thread, _ = await reveal_thread(story)
    before = len(story.fake.requests)
    story.hearth.advance(days=8)
    await story.hearth.run_due()
    touching = [r for r in story.fake.requests[before:] if str(thread.id) in r.path]
    assert touching == []
    assert story.fake.unexpected_errors() == []


async def phones_down_in_a_thread(story: Story, *, minutes: int) -> tuple[FakeChannel, FakeMessage]:
    """A challenge started inside a member's thread that archives after `minutes` idle."""
    await story.set_up()
    thread = story.chan.add_thread("tea time", owner=story.ana)
    thread.auto_archive_duration = minutes
    lobby = await story.ana.slash("phonesdown start", {"duration": "1h"}, channel=thread)
    await lobby.wait_followup()
    card = await story.fake.wait_for_message(thread, lambda m: "Join" in str(m.buttons))
    await story.ben.click(card, "Join")
    cid = next(
        int(b["custom_id"].rsplit(":", 1)[1]) for b in card.buttons if "pd:" in b["custom_id"]
    )
    story.hearth.advance(minutes=2)
    assert await story.hearth.fire(f"phonesdown:start:{cid}")
    story.hearth.advance(minutes=61)  # phones down means nobody talks: the thread goes idle
    assert thread.archived
    assert await story.hearth.fire(f"phonesdown:end:{cid}")
    return thread, card


async def test_a_challenge_whose_thread_archived_in_the_silence_still_ends_there(
    story: Story,
) -> None:
    thread, card = await phones_down_in_a_thread(story, minutes=60)
    results = await story.fake.wait_for_message(thread, lambda m: "done" in m.text.lower())
    assert results.channel is thread
    assert not thread.archived  # the results post reopened it, as any message does
    assert "This one's done" in card.text
    assert story.fake.unexpected_errors() == []


@pytest.mark.parametrize("archived", [True, False], ids=["archived and locked", "locked"])
async def test_a_challenge_whose_thread_was_locked_tells_its_starter_instead(
    story: Story, archived: bool
) -> None:
    await story.set_up()
    thread = story.chan.add_thread("tea time", owner=story.ana)
    lobby = await story.ana.slash("phonesdown start", {"duration": "30m"}, channel=thread)
    await lobby.wait_followup()
    card = await story.fake.wait_for_message(thread, lambda m: "Join" in str(m.buttons))
    cid = next(
        int(b["custom_id"].rsplit(":", 1)[1]) for b in card.buttons if "pd:" in b["custom_id"]
    )
    story.hearth.advance(minutes=2)
    assert await story.hearth.fire(f"phonesdown:start:{cid}")
    if archived:
        thread.archive(locked=True)  # a moderator closed the thread meanwhile
    else:
        thread.lock()
    story.fake.expect_errors(50083, 160005)
    story.hearth.advance(minutes=31)
    assert await story.hearth.fire(f"phonesdown:end:{cid}")
    dm = await story.fake.wait_for_message(story.ana, lambda m: "couldn't post" in m.text)
    assert "done" in dm.text.lower()
    assert thread.bot_messages[-1] is card  # nothing new landed in the closed thread
    refused = [r for r in story.fake.requests if r.code in (50083, 160005)]
    assert 1 <= len(refused) <= 2  # the results post (and the card edit), once each
    await story.hearth.deliver(hours=1)
    assert [r for r in story.fake.requests if r.code in (50083, 160005)] == refused
