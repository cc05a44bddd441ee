"""Loads the Discord emulator's fixtures (fake_discord, hearth) for every test."""

pytest_plugins = ["tests.fakediscord.plugin"]
