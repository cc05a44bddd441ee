"""Loads the Discord emulator's fixtures (fake_discord, hearth) for every test."""

from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.fakediscord.plugin", "tests.pg"]


@pytest.fixture(autouse=True)
def _data_key() -> Iterator[None]:
    """Stores seal people's words with the active data key; unit tests get the test key
    (a started bot activates its own from its settings)."""
    from bot import crypto
    from tests.fakediscord.harness import TEST_DATA_KEY

    crypto.activate(crypto.DataCipher(TEST_DATA_KEY))
    yield
    crypto.activate(None)
