"""Post actions: one practice's buttons under another practice's posts.

A practice that posts something a person wrote — a *host*: the prompts cog's revealed
answers, the sharing cog's group shares — names the kind of post and asks this registry
for the actions other practices offer on it. A practice that offers actions — a
*provider*: the curiosity cog's curious replies — registers for the kinds it serves.
Neither imports the other; both import this module.

- **Kinds** are declared here (`ANSWER`, `SHARE`); a new host adds its kind to `KINDS`.
- **A host**, inside the transaction that writes the post's outbox intent::

      view = await bot.post_actions.attach(
          tx, ANSWER, guild_id=…, channel_id=…, author_id=…, anonymous=…
      )
      await bot.outbox.post(tx, …, message=Message(embeds=[…], view=view))

  `attach` gives the post a fresh random id — the only thing its buttons carry, never
  its author — lets every provider of that kind remember it in the same transaction, and
  returns a persistent view with their items (None when nobody offers anything: the
  host posts exactly as before).
- **A provider** registers in its cog's `__init__` with `provide(name, kinds, provider)`.
  Its items are `PostActionItem` DynamicItems (`hearth:<area>:<action>:<post id>`, the
  tail parsed by the core `parse_id`), listed in the cog's `dynamic_items` so they answer
  after a restart. A click tells it which message the post became (`interaction.message`).
- **Refreshing**: when what a provider shows changes (a tally), `refresh(tx, …)` writes an
  outbox edit that replaces only the post's components — every provider's items as they
  are now — and leaves the host's words and embeds untouched.

The post's author is the host's to give and the provider's to keep: a provider that
stores it declares it in its `PERSONAL_DATA`, and never lets it reach a payload when the
post is anonymous.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import discord

from bot.cog import CogT, IdItem, parse_action_tail
from bot.db.codec import new_id
from bot.outbox import Message, Tx

if TYPE_CHECKING:
    from bot.app import HearthBot

log = logging.getLogger(__name__)

# The kinds of post other practices may add actions to: key → what it is.
ANSWER = "prompts.answer"  # one revealed answer to a weekly prompt (in the reveal thread)
SHARE = "sharing.share"  # a /share posted in the group channel
KINDS: dict[str, str] = {
    ANSWER: "a revealed answer to the weekly prompt",
    SHARE: "something shared with the group",
}

ROW_WIDTH = 5  # buttons in one action row (Discord)
MAX_ITEMS = 25  # five rows of five


@dataclass(frozen=True, slots=True)
class Post:
    """A post as a host describes it to providers when it is written."""

    post_id: int
    kind: str
    guild_id: int
    channel_id: int  # where the host posts it (the message may land in a thread of it)
    author_id: int  # whose words it carries — never shown when `anonymous`
    anonymous: bool


class Provider(Protocol):
    """What a practice offering actions implements."""

    async def attach(self, tx: Tx, post: Post) -> Sequence[discord.ui.Item[Any]]:
        """A new post of a kind it serves, inside the host's transaction: remember what it
        needs and return its items (none: it offers nothing on this one)."""
        ...

    async def items(self, post_id: int, kind: str) -> Sequence[discord.ui.Item[Any]]:
        """Its items on this post as they should look now (none if it never attached)."""
        ...


class PostActions:
    """The registry (`bot.post_actions`): providers by kind, consulted by hosts."""

    def __init__(self, bot: HearthBot) -> None:
        self.bot = bot
        self._providers: dict[str, list[tuple[str, Provider]]] = {}

    def provide(self, name: str, kinds: Collection[str], provider: Provider) -> None:
        """Offer `provider`'s actions on posts of `kinds` (register in a cog's __init__).
        A name registers once per kind: a restarted bot's cog replaces its predecessor."""
        for kind in kinds:
            if kind not in KINDS:
                raise ValueError(f"unknown post kind {kind!r}; known: {', '.join(KINDS)}")
            mine = [(n, p) for n, p in self._providers.get(kind, []) if n != name]
            self._providers[kind] = [*mine, (name, provider)]

    def providers(self, kind: str) -> list[str]:
        return [name for name, _ in self._providers.get(kind, [])]

    async def attach(
        self,
        tx: Tx,
        kind: str,
        *,
        guild_id: int,
        channel_id: int,
        author_id: int,
        anonymous: bool,
    ) -> discord.ui.View | None:
        """A host is writing a post of `kind`: the view to post with it, or None."""
        if kind not in KINDS:
            raise ValueError(f"unknown post kind {kind!r}")
        providers = self._providers.get(kind, [])
        if not providers:
            return None
        post = Post(new_id(), kind, guild_id, channel_id, author_id, anonymous)
        items: list[discord.ui.Item[Any]] = []
        for _, provider in providers:
            items.extend(await provider.attach(tx, post))
        return _view(items)

    async def view(self, post_id: int, kind: str) -> discord.ui.View | None:
        """Every provider's items on a post as they are now."""
        items: list[discord.ui.Item[Any]] = []
        for _, provider in self._providers.get(kind, []):
            items.extend(await provider.items(post_id, kind))
        return _view(items)

    async def refresh(
        self,
        tx: Tx,
        *,
        post_id: int,
        kind: str,
        guild_id: int,
        channel_id: int,
        message_id: int,
    ) -> int | None:
        """Show the post's actions as they are now: an outbox edit of its components only
        (the intent's id), or None when no provider has anything on it any more."""
        view = await self.view(post_id, kind)
        if view is None:
            return None
        return await self.bot.outbox.edit(
            tx,
            channel_id=channel_id,
            message_id=message_id,
            guild_id=guild_id,
            message=Message(view=view, partial=True),
        )


def _view(items: Sequence[discord.ui.Item[Any]]) -> discord.ui.View | None:
    if not items:
        return None
    view = discord.ui.View(timeout=None)  # persistent: DynamicItems answer after restarts
    for item in items[:MAX_ITEMS]:
        view.add_item(item)
    return view


def action_custom_id(prefix: str, action: str, post_id: int) -> str:
    """`hearth:<area>:` + `<action>:<post id>`."""
    return f"{prefix}{action}:{post_id}"


class PostActionItem(IdItem[CogT]):
    """A provider's button on a post. The custom id's tail is `<action>:<post id>`; a
    subclass names its `actions` and its template (`re.escape(prefix) + (?P<rest>.*)`), and
    takes `(action, post_id, *, custom_id=None)`. A tail that isn't one of its actions and
    a core-parsed id arrives as (None, None), for `handle` to refuse kindly."""

    tail_arity: ClassVar[int] = 2
    actions: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.actions:  # a well-formed tail, for the forgery test
            cls.example_tail = f"{cls.actions[0]}:1"

    @classmethod
    def parse_tail(cls, rest: str) -> tuple[str, int] | None:
        parsed = parse_action_tail(rest)
        return parsed if parsed is not None and parsed[0] in cls.actions else None
