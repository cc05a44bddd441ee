"""The outbox: what Hearth says on Discord moves together with Hearth's state.

Every post, DM, edit, delete, thread, reaction and thread member added that follows from
a change of state is an *intent*: a row in `outbox`, written in the same transaction as
the change (`Outbox.post(tx, …)` and friends, inside `async with bot.db.transaction() as
tx`). If the transaction rolls back, nothing is said; once it commits, the worker
delivers it, whatever happens to the process meanwhile.

- **In order, per lane.** Intents of one lane (by default one channel, or one person's
  DMs) go one at a time in the order they were written; lanes run side by side.
  A reveal — a thread, then each answer, then the edit of the post — is one lane.
- **Exactly once.** A post or DM carries a nonce derived from its intent with
  `enforce_nonce`, so resending it after a crash gets the message Discord already made
  (for the few minutes Discord remembers nonces; after that, the recorded intent
  decides: `done` is never sent again, `pending` is sent). Thread creation, edits,
  deletes and reactions are idempotent on Discord's side. The result is recorded, and
  the intent's handler told, in one transaction.
- **Transient failures** (5xx, 429, dropped connections, timeouts) are retried with
  backoff and jitter for up to a day; **permanent ones** (50007, 10003, 50013…) settle
  the intent as failed and its handler decides what that means for the practice.
- **Words.** An intent names whose words it carries (`Words`); once delivered they
  move to `posted_words` with the message's id, so `/privacy delete` can always find
  them — even before the message exists (a pending intent is cancelled, or its body
  replaced by the redacted one, and a message made meanwhile is deleted).

Handlers are registered by name (`outbox.handle("prompts.posted", delivered=…,
failed=…)`) so rows outlive the process; each is called inside the transaction that
settles the intent. Interaction answers are not intents: they are the interaction's
own reply (`Outbox.wait` lets a command report what became of its post).
"""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord.http import Route

from bot import crashpoints, textfit
from bot.db import Database, Row, Tx
from bot.db.codec import need_dt, opened, sealed, ts
from bot.outbox_store import Op, Status, Unsaid, forget_words, prune

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

__all__ = [
    "CHANNEL_LOST",
    "DM_CLOSED",
    "GAVE_UP",
    "THREAD_CLOSED",
    "UNWELCOME",
    "Message",
    "Op",
    "Outbox",
    "Outcome",
    "Status",
    "Tx",
    "Unsaid",
    "Words",
    "forget_words",
    "prune",
]

# Codes of our own for failures Discord didn't name (negative, so never Discord's).
GAVE_UP = -1  # transient failures for longer than RETRY_FOR
UNWELCOME = -2  # a DM whose recipient no longer welcomes DMs (paused, DMs off)
NO_TARGET = -3  # what it depended on was never made (a failed post to edit)
UNREACHABLE = 50007

# Discord's answers that mean "this person can't get DMs from Hearth".
DM_CLOSED = frozenset({50007, 50278})
# …and "this channel is gone or closed to Hearth" (a schedule pauses; admins hear).
CHANNEL_LOST = frozenset({10003, 50001, 50013})
_ARCHIVED = 50083  # acting in an archived thread: unarchive, then try again
# …and a thread closed for good to Hearth: archived and locked (50083), or locked (160005).
THREAD_CLOSED = frozenset({_ARCHIVED, 160005})
_THREAD_EXISTS = 160004  # a thread already started from that message (it has its id)
_GONE = frozenset({10003, 10008})  # deleting what is already gone is done

CONCURRENCY = 16  # lanes delivering at once (Discord's global limit paces requests)
RETRY_FOR = timedelta(hours=24)
_BACKOFF_CAP = 600.0
_AMBIGUOUS_CAP = 60.0
RESCAN_SECONDS = 60.0  # how often the worker looks for intents it wasn't told about


@dataclass(frozen=True, slots=True)
class Message:
    """What a post, DM or edit says. Fitted to Discord's limits when written."""

    content: str | None = None
    embeds: Sequence[discord.Embed] = ()
    view: discord.ui.View | None = None  # persistent items only (DynamicItem)
    mentions: discord.AllowedMentions | None = None  # only where a ping is the point
    reply_to: int | None = None  # a message in the same channel
    # An edit that changes only what it carries (another practice's buttons on a post,
    # `bot.post_actions`): Discord keeps the content, embeds or components it leaves out.
    partial: bool = False

    def payload(self, *, edit: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {}
        whole = edit and not self.partial
        if self.content is not None:
            body["content"] = textfit.fit(self.content, textfit.CONTENT)
        embeds = textfit.fit_embeds(self.embeds) if self.embeds else []
        if embeds or whole:
            body["embeds"] = [e.to_dict() for e in embeds]
        if self.view is not None:
            body["components"] = self.view.to_components()
        elif whole:
            body["components"] = []
        # Always explicit: an edit without it is re-parsed with Discord's defaults.
        allowed = discord.AllowedMentions.none()
        if self.mentions is not None:
            allowed = allowed.merge(self.mentions)
        body["allowed_mentions"] = allowed.to_dict()
        if self.reply_to is not None and not edit:
            body["message_reference"] = {
                "message_id": str(self.reply_to),
                "fail_if_not_exists": False,
            }
        return body


@dataclass(frozen=True, slots=True)
class Words:
    """This intent carries `user_id`'s words (practice, for `/privacy show`). If they
    delete their data, the message is deleted — or, when it stays for the group,
    becomes `redact`."""

    user_id: int
    practice: str
    redact: Message | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an intent went, for its handler."""

    intent_id: int
    op: Op
    ref: int | None
    guild_id: int | None
    channel_id: int | None  # where it landed (a thread, a DM channel)
    message_id: int | None  # what Discord made (a message, a thread) or acted on
    recipient: int | None
    code: int | None = None  # Discord's code (or one of ours) when it failed

    @property
    def ok(self) -> bool:
        return self.code is None


Callback = Callable[[Tx, Outcome], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Handler:
    delivered: Callback | None = None
    failed: Callback | None = None


@dataclass(slots=True)
class _Lane:
    queue: deque[tuple[int, datetime]] = field(default_factory=deque)  # (intent, due)
    busy: bool = False


class Retry(Exception):
    """A transient failure: try again later."""


def _lane_of(lane: str | None, channel_id: int | None) -> str:
    if lane is not None:
        return lane
    if channel_id is None:
        raise ValueError("an intent with no channel of its own needs a lane")
    return f"ch:{channel_id}"


def nonce(intent_id: int) -> str:
    """Discord's nonce for an intent's message (≤ 25 characters)."""
    return f"h{intent_id}"


def _seal(message: Message | None, *, edit: bool = False) -> str | None:
    if message is None:
        return None
    return sealed(json.dumps(message.payload(edit=edit), ensure_ascii=False))


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, discord.HTTPException):
        return exc.status >= 500 or exc.status == 429
    return isinstance(
        exc, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError | OSError | Retry
    )


class Outbox:
    def __init__(
        self,
        bot: HearthBot,
        *,
        timeout: float = 15.0,
        retry_base: float = 2.0,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.bot = bot
        self.timeout = timeout  # one request, before it counts as a transient failure
        self.retry_base = retry_base  # seconds before the first retry; doubles each time
        self.concurrency = concurrency
        self.handlers: dict[str, Handler] = {}
        self._lanes: dict[str, _Lane] = {}
        self._heap: list[tuple[datetime, int, str]] = []  # (due, intent, lane) of idle heads
        self._high = 0  # the highest intent id picked up
        self._indexed: set[int] = set()  # pending intents in the lanes
        self._wake = asyncio.Event()
        self._busy = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._closing = False
        self._waiters: dict[int, list[asyncio.Future[Outcome]]] = {}
        # Ownership (bot.shards): with several processes, each delivers only the intents
        # of the shards it holds (a server's by its guild, a DM by its recipient, a
        # deletion naming neither by its channel). None: everything (one process).
        self._count = 1
        self._held: set[int] | None = None
        self._inflight: set[int] = set()
        self._owned_ids: dict[int, int] = {}  # queued intent → its shard (when owning)
        self._rng = random.Random()
        self.delivered = 0  # counters for logs, tests and benchmarks
        self.retried = 0
        self.failed = 0
        self.settled = 0  # write transactions of the outbox's own (recording outcomes)

    @property
    def db(self) -> Database:
        return self.bot.db

    # ------------------------------------------------------------------ handlers

    def handle(
        self, name: str, *, delivered: Callback | None = None, failed: Callback | None = None
    ) -> None:
        """Who hears how intents with `handler=name` went (called inside the transaction
        that settles them). Register before the worker starts (in a cog's __init__)."""
        self.handlers[name] = Handler(delivered, failed)

    # ------------------------------------------------------------------ writing intents

    async def post(
        self,
        tx: Tx,
        *,
        channel_id: int | None,
        message: Message,
        guild_id: int | None,
        channel_of: int | None = None,
        lane: str | None = None,
        words: Iterable[Words] = (),
        handler: str | None = None,
        ref: int | None = None,
    ) -> int:
        """A message in a channel (or in the thread intent `channel_of` opens, falling back
        to `channel_id` if that failed; with `channel_id` None, only in that thread — for
        words meant for a private thread alone — and `lane` says where it queues)."""
        return await self._add(
            tx,
            Op.POST,
            lane=_lane_of(lane, channel_id),
            guild_id=guild_id,
            channel_id=channel_id,
            channel_of=channel_of,
            body=_seal(message),
            words=words,
            handler=handler,
            ref=ref,
        )

    async def dm(
        self,
        tx: Tx,
        *,
        user_id: int,
        message: Message,
        guild_id: int | None = None,
        consent: bool = True,
        due: datetime | None = None,
        lane: str | None = None,
        words: Iterable[Words] = (),
        handler: str | None = None,
        ref: int | None = None,
    ) -> int:
        """A DM. With `consent` (the default) the person's DM boundaries are asked again at
        delivery: quiet hours move it later, a pause or "no DMs" drops it (UNWELCOME).
        Without it (the person just asked for this), only closed DMs stop it."""
        return await self._add(
            tx,
            Op.DM,
            # DMs that may wait for quiet hours keep their own order, and never hold up
            # one the person asked for just now.
            lane=lane or f"dm:{user_id}:{'wait' if consent else 'now'}",
            guild_id=guild_id,
            recipient=user_id,
            body=_seal(message),
            consent=consent,
            due=due,
            words=words,
            handler=handler,
            ref=ref,
        )

    async def edit(
        self,
        tx: Tx,
        *,
        channel_id: int,
        message: Message,
        guild_id: int | None,
        message_id: int | None = None,
        message_of: int | None = None,
        lane: str | None = None,
        words: Iterable[Words] = (),
        handler: str | None = None,
        ref: int | None = None,
    ) -> int:
        """Replace a message's content, embeds and components (`message_of`: the message an
        earlier intent made)."""
        return await self._add(
            tx,
            Op.EDIT,
            lane=lane or f"ch:{channel_id}",
            guild_id=guild_id,
            channel_id=channel_id,
            message_id=message_id,
            message_of=message_of,
            body=_seal(message, edit=True),
            words=words,
            handler=handler,
            ref=ref,
        )

    async def delete(
        self,
        tx: Tx,
        *,
        channel_id: int,
        message_id: int,
        guild_id: int | None = None,
        lane: str | None = None,
        handler: str | None = None,
        ref: int | None = None,
    ) -> int:
        return await self._add(
            tx,
            Op.DELETE,
            lane=lane or f"ch:{channel_id}",
            guild_id=guild_id,
            channel_id=channel_id,
            message_id=message_id,
            handler=handler,
            ref=ref,
        )

    async def thread(
        self,
        tx: Tx,
        *,
        channel_id: int,
        name: str,
        guild_id: int | None,
        message_id: int | None = None,
        message_of: int | None = None,
        private: bool = False,
        archive_minutes: int = 1440,
        lane: str | None = None,
        handler: str | None = None,
        ref: int | None = None,
    ) -> int:
        """A thread: on a message (`message_id`, or the one `message_of` made), or on its own
        (private or public). Its result is the thread's id."""
        body: dict[str, Any] = {
            "name": textfit.one_line(name, textfit.THREAD_NAME) or "Thread",
            "auto_archive_duration": archive_minutes,
        }
        if message_id is None and message_of is None:
            body["type"] = 12 if private else 11
            if private:
                body["invitable"] = False
        return await self._add(
            tx,
            Op.THREAD,
            lane=lane or f"ch:{channel_id}",
            guild_id=guild_id,
            channel_id=channel_id,
            message_id=message_id,
            message_of=message_of,
            body=sealed(json.dumps(body, ensure_ascii=False)),
            handler=handler,
            ref=ref,
        )

    async def react(
        self,
        tx: Tx,
        *,
        channel_id: int,
        message_id: int,
        emoji: str,
        guild_id: int | None,
        lane: str | None = None,
    ) -> int:
        return await self._add(
            tx,
            Op.REACT,
            lane=lane or f"ch:{channel_id}",
            guild_id=guild_id,
            channel_id=channel_id,
            message_id=message_id,
            body=sealed(json.dumps({"emoji": emoji}, ensure_ascii=False)),
        )

    async def add_to_thread(
        self,
        tx: Tx,
        *,
        user_id: int,
        guild_id: int | None,
        thread_id: int | None = None,
        channel_of: int | None = None,
        lane: str | None = None,
        handler: str | None = None,
        ref: int | None = None,
    ) -> int:
        """Add someone to a thread (a private one shows only to its members): `thread_id`, or
        the one an earlier intent `channel_of` opens (nothing happens if that failed).
        Idempotent on Discord's side; the person is the intent's recipient, so forgetting
        them forgets it."""
        return await self._add(
            tx,
            Op.MEMBER,
            lane=_lane_of(lane, thread_id),
            guild_id=guild_id,
            channel_id=thread_id,
            channel_of=channel_of,
            recipient=user_id,
            handler=handler,
            ref=ref,
        )

    async def _add(
        self,
        tx: Tx,
        op: Op,
        *,
        lane: str,
        guild_id: int | None = None,
        channel_id: int | None = None,
        channel_of: int | None = None,
        message_id: int | None = None,
        message_of: int | None = None,
        recipient: int | None = None,
        body: str | None = None,
        consent: bool = False,
        due: datetime | None = None,
        words: Iterable[Words] = (),
        handler: str | None = None,
        ref: int | None = None,
    ) -> int:
        if handler is not None and handler not in self.handlers:
            raise ValueError(f"no outbox handler named {handler!r}")
        now = self.bot.clock.now()
        cur = await tx.execute(
            "INSERT INTO outbox (lane, op, guild_id, channel_id, channel_of, message_id,"
            " message_of, recipient_user_id, body, handler, ref, consent, due_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING intent_id",
            (
                lane,
                op.value,
                guild_id,
                channel_id,
                channel_of,
                message_id,
                message_of,
                recipient,
                body,
                handler,
                ref,
                int(consent),
                ts(due or now),
                ts(now),
            ),
        )
        row = await cur.fetchone()
        await cur.close()
        assert row is not None
        intent_id = int(row[0])
        # Words in a DM belong to no server: a server's deletion leaves people's DMs be.
        words_guild = None if op is Op.DM else guild_id
        for w in words:
            await tx.execute(
                "INSERT INTO outbox_words (intent_id, user_id, guild_id, practice, redact)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (intent_id, user_id) DO UPDATE"
                " SET redact = excluded.redact",
                (intent_id, w.user_id, words_guild, w.practice, _seal(w.redact, edit=True)),
            )
        self.db.after_commit(self._pick_up_soon)
        return intent_id

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        """Pick up everything pending (after a restart, too) and start delivering."""
        self._closing = False
        await self._pick_up()
        if self._runner is None:
            self._runner = asyncio.get_running_loop().create_task(self._run(), name="outbox")

    async def close(self, timeout: float = 5.0) -> None:
        """Stop starting deliveries; give those in flight `timeout` seconds to finish and
        be recorded. What is left stays pending for the next start (nonces make a resend
        of anything already made harmless)."""
        self._closing = True
        self._wake.set()
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1.0)
                log.info("outbox left for the next start in_flight=%d", len(late))
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
            self._runner = None
        for futures in self._waiters.values():
            for future in futures:
                future.cancel()
        self._waiters.clear()

    def kick(self) -> None:
        """Look again now (the clock moved, or something became due)."""
        self._wake.set()

    async def wait(self, intent_id: int, timeout: float) -> Outcome | None:
        """How an intent went, if it settles within `timeout` seconds (None otherwise)."""
        # Listen first, then look: it may settle in between.
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(intent_id, []).append(future)
        try:
            row = await self.db.fetchone("SELECT * FROM outbox WHERE intent_id = ?", (intent_id,))
            if row is None:
                return None
            if row["status"] != Status.PENDING:
                return self._outcome(row, code=row["error"])
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except (TimeoutError, asyncio.CancelledError):
            if not future.cancelled() and future.done():
                return future.result()
            return None
        finally:
            waiting = self._waiters.get(intent_id)
            if waiting is not None and future in waiting:
                waiting.remove(future)
                if not waiting:
                    del self._waiters[intent_id]

    async def idle(self, timeout: float = 5.0) -> bool:
        """Until nothing is due or in flight (tests and shutdown); False on timeout."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end:
            await self._pick_up()
            now = self.bot.clock.now()
            due = any(
                lane.queue and (lane.busy or lane.queue[0][1] <= now)
                for lane in self._lanes.values()
            )
            if not due and not self._tasks:
                return True
            self._wake.set()
            await asyncio.sleep(0.005)
        return False

    async def has_pending(self, handler: str, ref: int) -> bool:
        """Whether an intent for this handler and id is still on its way."""
        found = await self.db.fetchval(
            "SELECT 1 FROM outbox WHERE handler = ? AND ref = ? AND status = 'pending'",
            (handler, ref),
        )
        return found is not None

    async def cancel(self, tx: Tx, handler: str, ref: int) -> int:
        """Inside a transaction: intents for this handler and id that haven't gone yet never
        will (their handler isn't told; the caller decides what that means, in the same
        transaction). A message made while this happened is deleted when it is recorded."""
        now = self.bot.clock.now()
        cur = await tx.execute(
            "UPDATE outbox SET status = 'cancelled', body = NULL, settled_at = ?,"
            " version = version + 1 WHERE handler = ? AND ref = ? AND status = 'pending'"
            " RETURNING intent_id",
            (ts(now), handler, ref),
        )
        stopped = [int(row[0]) for row in await cur.fetchall()]
        await cur.close()
        for intent_id in stopped:
            await tx.execute("DELETE FROM outbox_words WHERE intent_id = ?", (intent_id,))
        return len(stopped)

    def pending(self) -> int:
        return sum(len(lane.queue) for lane in self._lanes.values())

    # ------------------------------------------------------------------ the index

    def _pick_up_soon(self) -> None:
        crashpoints.hit("outbox.committed")
        if self._closing:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._pick_up(), name="outbox:pick-up")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def pick_up(self, *, everything: bool = False) -> None:
        """Look for intents written without telling the outbox (`forget_words`)."""
        await self._pick_up(everything=everything)

    # ------------------------------------------------------------------ shards

    def own(self, count: int, held: set[int]) -> None:
        """From now on deliver only the intents of `held` shards (of `count`)."""
        self._count, self._held = count, set(held)

    async def hold(self, shard_id: int) -> None:
        """A shard's lease was taken over: its pending intents (the old holder's
        unfinished ones too) are picked up here."""
        if self._held is None or shard_id in self._held:
            return
        self._held.add(shard_id)
        await self._index(
            f"SELECT intent_id, lane, due_at, {_OWNER} % ? FROM outbox WHERE status = 'pending'"
            f" AND {_OWNER} % ? = ? ORDER BY intent_id",
            (self._count, self._count, shard_id),
        )

    def release(self, shard_id: int) -> None:
        """A shard's lease is gone: nothing more of its intents starts here (one already
        being sent finishes; its nonce makes the new holder's resend harmless)."""
        if self._held is None:
            return
        self._held.discard(shard_id)
        for lane in self._lanes.values():
            kept = deque(
                (i, due)
                for i, due in lane.queue
                if i in self._inflight or self._owned_ids.get(i, shard_id) != shard_id
            )
            self._indexed -= {i for i, _due in lane.queue} - {i for i, _due in kept}
            lane.queue = kept
        for i in [i for i, shard in self._owned_ids.items() if shard == shard_id]:
            if i not in self._inflight:
                del self._owned_ids[i]
        for name, lane in list(self._lanes.items()):
            if lane.busy:
                continue
            if lane.queue:
                head_id, head_due = lane.queue[0]
                heapq.heappush(self._heap, (head_due, head_id, name))
            else:
                del self._lanes[name]

    def _where_owned(self) -> tuple[str, tuple[int, ...]]:
        if self._held is None:
            return "", ()
        if not self._held:
            return " AND 0 = 1", ()
        marks = ", ".join("?" for _ in self._held)
        return f" AND {_OWNER} % ? IN ({marks})", (self._count, *sorted(self._held))

    async def _pick_up(self, *, everything: bool = False) -> None:
        """Index intents written since the last look. Ids grow in commit order on SQLite;
        `everything` also finds any that committed behind a later one (a database where
        ids are handed out before commit, PostgreSQL's sequences), and runs now and then."""
        owned, params = self._where_owned()
        await self._index(
            f"SELECT intent_id, lane, due_at, {_OWNER} % ? FROM outbox"
            f" WHERE status = 'pending' AND intent_id > ?{owned} ORDER BY intent_id",
            (self._count, 0 if everything else self._high, *params),
        )

    async def _index(self, sql: str, params: tuple[Any, ...]) -> None:
        rows = await self.db.fetchall(sql, params)
        changed: set[str] = set()
        for row in rows:
            intent_id = int(row[0])
            if intent_id in self._indexed or intent_id in self._inflight:
                continue  # two looks raced, or an earlier one has it
            self._indexed.add(intent_id)
            self._high = max(self._high, intent_id)
            if self._held is not None:
                self._owned_ids[intent_id] = int(row[3] or 0)
            name = row[1]
            lane = self._lanes.get(name)
            if lane is None:
                lane = self._lanes[name] = _Lane()
            if lane.queue and lane.queue[-1][0] > intent_id:
                changed.add(name)  # found behind a later one: put it in its place below
            lane.queue.append((intent_id, need_dt(row[2])))
            if len(lane.queue) == 1 and not lane.busy:
                heapq.heappush(self._heap, (lane.queue[0][1], intent_id, name))
        for name in changed:
            lane = self._lanes[name]
            head = [lane.queue.popleft()] if lane.busy else []
            lane.queue = deque(head + sorted(lane.queue))
            if not lane.busy:
                heapq.heappush(self._heap, (lane.queue[0][1], lane.queue[0][0], name))
        if rows:
            self._wake.set()

    # ------------------------------------------------------------------ the worker

    async def _run(self) -> None:
        while not self._closing:
            now = self.bot.clock.now()
            while self._heap and self._busy < self.concurrency:
                due, intent_id, name = self._heap[0]
                lane = self._lanes.get(name)
                if lane is None or lane.busy or not lane.queue or lane.queue[0] != (intent_id, due):
                    heapq.heappop(self._heap)  # stale: delivered, moved or busy
                    continue
                if due > now:
                    break
                heapq.heappop(self._heap)
                lane.busy = True
                self._busy += 1
                self._inflight.add(intent_id)
                task = asyncio.get_running_loop().create_task(
                    self._deliver_head(name, lane, intent_id), name=f"outbox:{intent_id}"
                )
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if self._heap and self._busy < self.concurrency:
                self._arm(self._heap[0][0])
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), RESCAN_SECONDS)
            except TimeoutError:
                await self._pick_up(everything=True)

    def _arm(self, due: datetime) -> None:
        """Wake at `due` on the bot's clock (the scheduler knows real and test time)."""
        scheduler = self.bot.scheduler
        current = scheduler.due(WAKE_JOB)
        if current is None or current > due:
            scheduler.at(WAKE_JOB, due, self._wake_job)

    async def _wake_job(self) -> None:
        self._wake.set()

    async def _deliver_head(self, name: str, lane: _Lane, intent_id: int) -> None:
        later: datetime | None = None
        try:
            later = await self._attempt(intent_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug, not Discord: keep the intent, look again later.
            log.exception("outbox delivery crashed intent=%s", intent_id)
            later = self.bot.clock.now() + timedelta(seconds=_BACKOFF_CAP)
        finally:
            lane.busy = False
            self._busy -= 1
            self._inflight.discard(intent_id)
            if later is None:
                self._owned_ids.pop(intent_id, None)
                if lane.queue and lane.queue[0][0] == intent_id:
                    lane.queue.popleft()
                self._indexed.discard(intent_id)
            elif lane.queue and lane.queue[0][0] == intent_id:
                lane.queue[0] = (intent_id, later)
            if lane.queue:
                head_id, head_due = lane.queue[0]
                heapq.heappush(self._heap, (head_due, head_id, name))
            elif self._lanes.get(name) is lane:
                self._lanes.pop(name, None)
            self._wake.set()

    async def _attempt(self, intent_id: int) -> datetime | None:
        """Try one intent. None when it is settled (or gone); a time to try again."""
        row = await self.db.fetchone("SELECT * FROM outbox WHERE intent_id = ?", (intent_id,))
        if row is None or row["status"] != Status.PENDING:
            self._resolve(intent_id, None)
            return None
        op = Op(row["op"])
        now = self.bot.clock.now()
        channel_id = row["channel_id"]
        if row["channel_of"] is not None:
            made = await self._result_of(int(row["channel_of"]))
            if made is not None:
                channel_id = made
        message_id = row["message_id"]
        if row["message_of"] is not None:
            message_id = await self._result_of(int(row["message_of"]))
            if message_id is None:
                await self._settle_failed(row, NO_TARGET)
                return None
        if op is Op.DM:
            recipient = int(row["recipient_user_id"])
            if (await self.bot.boundaries.person(recipient)).dm_unreachable:
                await self._settle_failed(row, UNREACHABLE)
                return None
            if row["consent"]:
                when = await self.bot.boundaries.next_dm_time(recipient, now)
                if when is None:
                    await self._settle_failed(row, UNWELCOME)
                    return None
                if when > now:
                    await self.db.execute(
                        "UPDATE outbox SET due_at = ? WHERE intent_id = ?", (ts(when), intent_id)
                    )
                    return when
        elif channel_id is None:
            await self._settle_failed(row, NO_TARGET)
            return None
        body = json.loads(opened(row["body"]) or "{}")
        version = int(row["version"])
        try:
            crashpoints.hit("outbox.before_send")
            # Each request has its own network timeout (`_request`); this only bounds the
            # whole, rate-limit waits included, so one stuck delivery can't hold a lane.
            made_id, landed = await asyncio.wait_for(
                self._send(op, intent_id, row, channel_id, message_id, body),
                2 * self.timeout,
            )
            crashpoints.hit("outbox.after_send")
        except Exception as exc:
            return await self._failed_attempt(row, exc, now)
        await self._settle_done(row, version, made_id, landed)
        crashpoints.hit("outbox.after_record")
        return None

    async def _result_of(self, intent_id: int) -> int | None:
        row = await self.db.fetchone(
            "SELECT result_id FROM outbox WHERE intent_id = ? AND status = 'done'", (intent_id,)
        )
        return None if row is None or row[0] is None else int(row[0])

    async def _send(
        self,
        op: Op,
        intent_id: int,
        row: Row,
        channel_id: int | None,
        message_id: int | None,
        body: dict[str, Any],
    ) -> tuple[int | None, int | None]:
        """Do it on Discord: (what was made or acted on, the channel it is in)."""
        if op is Op.DM:
            channel_id = await self._dm_channel(int(row["recipient_user_id"]))
        assert channel_id is not None
        if op in (Op.POST, Op.DM):
            body = {**body, "nonce": nonce(intent_id), "enforce_nonce": True}
            made = await self._request(
                Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id), body
            )
            return int(made["id"]), channel_id
        if op is Op.MEMBER:
            route = Route(
                "PUT",
                "/channels/{channel_id}/thread-members/{user_id}",
                channel_id=channel_id,
                user_id=int(row["recipient_user_id"]),
            )
            await self._unarchived(channel_id, lambda: self._request(route))
            return None, channel_id
        if op is not Op.THREAD:
            assert message_id is not None
            return await self._act_on(op, channel_id, message_id, body), channel_id
        # A thread.
        if message_id is not None:
            try:
                made = await self._request(
                    Route(
                        "POST",
                        "/channels/{channel_id}/messages/{message_id}/threads",
                        channel_id=channel_id,
                        message_id=message_id,
                    ),
                    body,
                )
            except discord.HTTPException as exc:
                if exc.code == _THREAD_EXISTS:
                    return message_id, channel_id  # made before a crash: same id as the message
                raise
            return int(made["id"]), int(made["id"])
        made = await self._request(
            Route("POST", "/channels/{channel_id}/threads", channel_id=channel_id), body
        )
        return int(made["id"]), int(made["id"])

    async def _act_on(self, op: Op, channel_id: int, target: int, body: dict[str, Any]) -> int:
        """Edit, delete or react to an existing message; returns its id."""
        path = "/channels/{channel_id}/messages/{message_id}"
        if op is Op.EDIT:
            route = Route("PATCH", path, channel_id=channel_id, message_id=target)
            await self._unarchived(channel_id, lambda: self._request(route, body))
        elif op is Op.DELETE:
            route = Route("DELETE", path, channel_id=channel_id, message_id=target)
            try:
                # Deleting works in an archived thread; a 50083 means it's locked too, and
                # unarchiving would be refused as well: settle it at once.
                await self._request(route)
            except discord.HTTPException as exc:
                if exc.code not in _GONE and exc.status != 404:
                    raise
        elif op is Op.REACT:
            route = Route(
                "PUT",
                path + "/reactions/{emoji}/@me",
                channel_id=channel_id,
                message_id=target,
                emoji=body["emoji"],
            )
            await self._unarchived(channel_id, lambda: self._request(route))
        else:
            raise ValueError(f"not an action on a message: {op}")
        return target

    async def _request(self, route: Route, body: dict[str, Any] | None = None) -> Any:
        """One request through discord.py (its rate limits, Hearth's global limit), with a
        network timeout: a hang is a transient failure, not a stuck lane."""
        kwargs: dict[str, Any] = {"timeout": aiohttp.ClientTimeout(total=self.timeout)}
        if body is not None:
            kwargs["json"] = body
        return await self.bot.http.request(route, **kwargs)

    async def _unarchived(self, channel_id: int, act: Callable[[], Awaitable[Any]]) -> Any:
        """Act; if Discord says the thread is archived, unarchive it once and act again
        (it archives itself again after its idle time)."""
        try:
            return await act()
        except discord.HTTPException as exc:
            if exc.code != _ARCHIVED:
                raise
            # A moderator may have locked it: then unarchiving would only be refused too
            # (a 403 Discord counts against Hearth), so look before asking.
            found = await self._request(
                Route("GET", "/channels/{channel_id}", channel_id=channel_id)
            )
            if (found.get("thread_metadata") or {}).get("locked"):
                raise
        await self._request(
            Route("PATCH", "/channels/{channel_id}", channel_id=channel_id), {"archived": False}
        )
        return await act()

    async def _dm_channel(self, user_id: int) -> int:
        bot = self.bot
        channel_id = bot.dm_channels.get(user_id)
        if channel_id is None:
            await bot.dm_pacer.wait()
            made = await self._request(
                Route("POST", "/users/@me/channels"), {"recipient_id": user_id}
            )
            channel_id = int(made["id"])
            bot.dm_channels.put(user_id, channel_id)
        return channel_id

    # ------------------------------------------------------------------ settling

    async def _failed_attempt(self, row: Row, exc: BaseException, now: datetime) -> datetime | None:
        intent_id = int(row["intent_id"])
        if _transient(exc):
            attempts = int(row["attempts"]) + 1
            if now - need_dt(row["created_at"]) > RETRY_FOR:
                log.warning(
                    "outbox gave up intent=%s op=%s attempts=%d", intent_id, row["op"], attempts
                )
                await self._settle_failed(row, GAVE_UP)
                return None
            cap = _BACKOFF_CAP
            if not isinstance(exc, discord.HTTPException):
                # No answer at all: Discord may have made it. Try again while it still
                # remembers the nonce (a few minutes), so the resend finds that message.
                cap = _AMBIGUOUS_CAP
            delay = min(self.retry_base * 2 ** (attempts - 1), cap)
            delay *= 0.8 + 0.4 * self._rng.random()
            later = now + timedelta(seconds=delay)
            await self.db.execute(
                "UPDATE outbox SET attempts = ?, due_at = ? WHERE intent_id = ? AND status = ?",
                (attempts, ts(later), intent_id, Status.PENDING),
            )
            self.retried += 1
            log.info(
                "outbox retry intent=%s op=%s attempt=%d in=%.1fs why=%s",
                intent_id,
                row["op"],
                attempts,
                delay,
                _why(exc),
            )
            return later
        code = exc.code if isinstance(exc, discord.HTTPException) else 0
        closed: int | None = None
        if isinstance(exc, discord.HTTPException) and row["op"] == Op.DM and code in DM_CLOSED:
            closed = int(row["recipient_user_id"])
            self.bot.dm_channels.forget(closed)
        if not isinstance(exc, discord.HTTPException):
            log.exception("outbox intent failed intent=%s", intent_id, exc_info=exc)
        await self._settle_failed(row, code or 0, unreachable=closed)
        return None

    async def _settle_done(
        self, row: Row, version: int, made_id: int | None, landed: int | None
    ) -> None:
        intent_id = int(row["intent_id"])
        op = Op(row["op"])
        now = self.bot.clock.now()
        outcome = self._outcome(row, channel_id=landed, message_id=made_id)
        async with self.db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE outbox SET status = 'done', result_id = ?, result_channel_id = ?,"
                " body = NULL, settled_at = ?, error = NULL"
                " WHERE intent_id = ? AND status = 'pending' AND version = ?",
                (made_id, landed, ts(now), intent_id, version),
            )
            if cur.rowcount == 0:
                await self._changed_in_flight(tx, row, made_id, landed, now)
            else:
                if made_id is not None and landed is not None:
                    await _words_posted(tx, intent_id, made_id, landed, now)
                await self._tell(tx, row["handler"], outcome, delivered=True)
        self.delivered += 1
        self.settled += 1
        if op in (Op.POST, Op.DM):
            log.debug("outbox delivered intent=%s op=%s", intent_id, op)
        self._resolve(intent_id, outcome)

    async def _changed_in_flight(
        self,
        tx: Tx,
        row: Row,
        made_id: int | None,
        landed: int | None,
        now: datetime,
    ) -> None:
        """It was cancelled or redacted (someone deleted their data) while it was being
        sent: the message made meanwhile is deleted, or edited to what it must say now."""
        intent_id = int(row["intent_id"])
        cur = await tx.execute(
            "SELECT status, body, version FROM outbox WHERE intent_id = ?", (intent_id,)
        )
        fresh = await cur.fetchone()
        await cur.close()
        made_message = Op(row["op"]) in (Op.POST, Op.DM) and made_id is not None
        if fresh is not None and fresh["status"] == Status.PENDING:
            # Redacted: record it as made, then say the redacted words instead.
            await tx.execute(
                "UPDATE outbox SET status = 'done', result_id = ?, result_channel_id = ?,"
                " body = NULL, settled_at = ? WHERE intent_id = ?",
                (made_id, landed, ts(now), intent_id),
            )
            if made_message and landed is not None and fresh["body"] is not None:
                await self._add(
                    tx,
                    Op.EDIT,
                    lane=str(row["lane"]),
                    guild_id=row["guild_id"],
                    channel_id=landed,
                    message_id=made_id,
                    body=_reseal_as_edit(str(fresh["body"])),
                )
            if made_message and made_id is not None and landed is not None:
                await _words_posted(tx, intent_id, made_id, landed, now)
            return
        if made_message and landed is not None:
            await self._add(
                tx,
                Op.DELETE,
                lane=str(row["lane"]),
                channel_id=landed,
                message_id=made_id,
            )
        log.info("outbox cancelled in flight intent=%s", intent_id)

    async def _settle_failed(self, row: Row, code: int, *, unreachable: int | None = None) -> None:
        """Settle an intent as failed (and tell its handler), in one transaction with
        marking the person `unreachable` when their DMs turned out closed."""
        intent_id = int(row["intent_id"])
        now = self.bot.clock.now()
        outcome = self._outcome(row, code=code)
        async with self.db.transaction() as tx:
            if unreachable is not None:
                await self.bot.boundaries.mark_dm_unreachable(tx, unreachable)
            cur = await tx.execute(
                "UPDATE outbox SET status = 'failed', error = ?, body = NULL, settled_at = ?"
                " WHERE intent_id = ? AND status = 'pending'",
                (code, ts(now), intent_id),
            )
            if cur.rowcount:
                await tx.execute("DELETE FROM outbox_words WHERE intent_id = ?", (intent_id,))
                await self._tell(tx, row["handler"], outcome, delivered=False)
        self.failed += 1
        self.settled += 1
        log.info(
            "outbox failed intent=%s op=%s guild=%s channel=%s code=%s",
            intent_id,
            row["op"],
            row["guild_id"],
            row["channel_id"],
            code,
        )
        self._resolve(intent_id, outcome)

    async def _tell(self, tx: Tx, name: str | None, outcome: Outcome, *, delivered: bool) -> None:
        if name is None:
            return
        handler = self.handlers.get(name)
        if handler is None:
            log.error("outbox handler missing name=%s intent=%s", name, outcome.intent_id)
            return
        callback = handler.delivered if delivered else handler.failed
        if callback is not None:
            await callback(tx, outcome)

    def _outcome(
        self,
        row: Row,
        *,
        channel_id: int | None = None,
        message_id: int | None = None,
        code: int | None = None,
    ) -> Outcome:
        return Outcome(
            intent_id=int(row["intent_id"]),
            op=Op(row["op"]),
            ref=row["ref"],
            guild_id=row["guild_id"],
            channel_id=channel_id if channel_id is not None else row["result_channel_id"],
            message_id=message_id if message_id is not None else row["result_id"],
            recipient=row["recipient_user_id"],
            code=code,
        )

    def _resolve(self, intent_id: int, outcome: Outcome | None) -> None:
        for future in self._waiters.pop(intent_id, []):
            if not future.done():
                if outcome is None:
                    future.cancel()
                else:
                    future.set_result(outcome)


WAKE_JOB = "outbox:wake"

# Whose an intent is, as a snowflake (bot.shards): a DM's recipient, else its server, else
# (a deletion that names nobody) its channel. `(… >> 22) % count` is its shard.
_OWNER = (
    "((CASE WHEN op = 'dm' THEN recipient_user_id ELSE COALESCE(guild_id, channel_id) END) >> 22)"
)


def _why(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"status={exc.status} code={exc.code}"
    return type(exc).__name__


def _reseal_as_edit(value: str) -> str:
    body = json.loads(opened(value) or "{}")
    body.pop("message_reference", None)
    body.setdefault("embeds", [])
    body.setdefault("components", [])
    return sealed(json.dumps(body, ensure_ascii=False)) or ""


async def _words_posted(
    tx: Tx, intent_id: int, message_id: int, channel_id: int, now: datetime
) -> None:
    """The words an intent carried now live in a message: remember it in posted_words."""
    await tx.execute(
        "INSERT INTO posted_words (message_id, channel_id, guild_id, user_id, practice,"
        " posted_at, redact)"
        " SELECT ?, ?, guild_id, user_id, practice, ?, redact FROM outbox_words"
        " WHERE intent_id = ?"
        " ON CONFLICT (message_id, user_id) DO UPDATE SET redact = excluded.redact",
        (message_id, channel_id, ts(now), intent_id),
    )
    await tx.execute("DELETE FROM outbox_words WHERE intent_id = ?", (intent_id,))
