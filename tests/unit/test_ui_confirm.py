"""The private yes/no question (`bot.ui.confirm`): every press gets an answer."""

from __future__ import annotations

from bot import ui


class Response:
    """What a press can answer with, recorded."""

    def __init__(self) -> None:
        self.deferred = False
        self.sent: list[tuple[str, bool]] = []

    async def defer(self) -> None:
        self.deferred = True

    async def send_message(self, content: str, *, ephemeral: bool) -> None:
        self.sent.append((content, ephemeral))


class Press:
    def __init__(self) -> None:
        self.response = Response()


async def test_a_second_press_that_arrives_before_the_first_closes_it_is_answered() -> None:
    view = ui.ConfirmView(owner_id=1)
    yes = view.children[0]
    first, second = Press(), Press()
    # Both presses were routed to the question before the first one closed it.
    await yes.callback(first)  # type: ignore[arg-type]
    await yes.callback(second)  # type: ignore[arg-type]
    assert await view.wait_result() is True
    assert view.answered is first  # type: ignore[comparison-overlap]
    assert first.response.deferred
    assert second.response.sent == [(ui.ANSWERED, True)]  # not left without a word
