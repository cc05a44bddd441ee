"""Hearth's benchmarks: fast, lean and rate-limit-bound, driven through the local Discord
emulator (tests/fakediscord). `python -m bench` runs them all; docs/performance.md has the
last table and how each figure is measured."""
