"""DM channels, remembered so a DM opens one channel per person.

Sending a DM is the outbox's work (`bot.outbox`: consent asked again at delivery, paced
opening, 50007 → unreachable, never retried into a wall); this is the cache it uses.
"""

from __future__ import annotations

from collections import OrderedDict


class DMChannels:
    """user id → DM channel id, bounded, so a DM opens one channel per person."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._ids: OrderedDict[int, int] = OrderedDict()

    def get(self, user_id: int) -> int | None:
        channel_id = self._ids.get(user_id)
        if channel_id is not None:
            self._ids.move_to_end(user_id)
        return channel_id

    def forget(self, user_id: int) -> None:
        self._ids.pop(user_id, None)

    def put(self, user_id: int, channel_id: int) -> None:
        self._ids[user_id] = channel_id
        self._ids.move_to_end(user_id)
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)
