"""Named moments where a test may kill Hearth on purpose, to prove nothing is lost or
doubled whatever moment a crash or a deploy lands on.

`HEARTH_CRASH_AT="outbox.after_send:3:KILL"` makes the process send itself SIGKILL the
third time it passes `hit("outbox.after_send")` (`TERM` for a clean deploy's SIGTERM).
Unset — always, outside the crash-consistency tests — `hit` is a dictionary lookup.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)

ENV = "HEARTH_CRASH_AT"

# The moments, for the tests and the soak to name.
POINTS = (
    "outbox.committed",  # a state change and its intents are committed, nothing sent yet
    "outbox.before_send",
    "outbox.after_send",  # Discord made it; Hearth hasn't recorded that yet
    "outbox.after_record",
)

_plan: dict[str, list[int | signal.Signals]] = {}


def load(value: str | None = None) -> None:
    """Read the plan from the environment (or `value`): "point:nth:KILL|TERM"."""
    _plan.clear()
    text = os.environ.get(ENV, "") if value is None else value
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, rest = part.partition(":")
        nth, _, how = rest.partition(":")
        sig = signal.SIGTERM if how.upper() == "TERM" else signal.SIGKILL
        _plan[name] = [int(nth or 1), sig]


def hit(name: str) -> None:
    plan = _plan.get(name)
    if plan is None:
        return
    plan[0] = int(plan[0]) - 1
    if plan[0] == 0:
        sig = plan[1]
        assert isinstance(sig, signal.Signals)
        log.warning("crash point reached point=%s signal=%s", name, sig.name)
        os.kill(os.getpid(), sig)


load()
