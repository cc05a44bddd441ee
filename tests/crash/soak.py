"""`make soak`: the crash-consistency story, many times, each killed at a random moment.

    python -m tests.crash.soak [--runs 30] [--seed N]

Each run starts a fresh emulator and a fresh Hearth (`python -m bot run`), picks one of
the outbox's crash points, which passage of it, and SIGKILL or a deploy's SIGTERM, then
tells the whole story and counts what friends would see. It prints one line per run and
a total — kills survived, messages lost, messages doubled — and exits non-zero unless
nothing was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

from bot.crashpoints import POINTS
from tests.crash.scenario import afternoon
from tests.fakediscord import FakeDiscord


async def one(seed: int, rng: random.Random) -> tuple[str, int, list[str], list[str]]:
    point = rng.choice(POINTS)
    # The first start says little (a welcome, a prompt); the one two days later says the
    # rest (the reveal, a share, a card, DMs, deletions): land the kill within each.
    later = rng.random() < 0.75
    passage = rng.randint(1, 10 if later else 2)
    plan = f"{point}:{passage}:{rng.choice(['KILL', 'KILL', 'TERM'])}"
    fake = FakeDiscord()
    await fake.start()
    fake.point_discord_here()
    try:
        with tempfile.TemporaryDirectory(prefix="hearth-soak-") as where:
            story = await afternoon(fake, Path(where))
            if later:
                story.plan = plan  # land it after the two days, in the reveal and later
                await story.bot.start()
            else:
                await story.bot.start(crash_at=plan)
            try:
                await story.run()
                report = story.check()
            finally:
                await story.bot.stop()
    finally:
        await fake.stop()
    return plan, report.kills, report.lost, report.doubled


async def soak(runs: int, seed: int) -> int:
    rng = random.Random(seed)
    kills = lost = doubled = 0
    started = time.monotonic()
    for n in range(1, runs + 1):
        plan, k, gone, twice = await one(seed, rng)
        kills += k
        lost += len(gone)
        doubled += len(twice)
        verdict = "ok" if not gone and not twice else f"LOST {gone} DOUBLED {twice}"
        print(f"run {n:3d}/{runs}  {plan:32s} kills={k}  {verdict}", flush=True)
    took = time.monotonic() - started
    print(
        f"\n{runs} runs in {took:.0f} s (seed {seed}): {kills} kills survived, "
        f"{lost} lost, {doubled} doubled"
    )
    return 0 if lost == 0 and doubled == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.crash.soak", description=__doc__)
    parser.add_argument("--runs", type=int, default=30, help="how many killed stories (30)")
    parser.add_argument("--seed", type=int, default=None, help="repeat a soak exactly")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    return asyncio.run(soak(args.runs, seed))


if __name__ == "__main__":
    sys.exit(main())
