"""Loads the Discord emulator's fixtures (fake_discord, hearth) for every test."""

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["tests.fakediscord.plugin", "tests.pg"]

# Property tests judge what comes out, never how fast: on a loaded machine one example may
# take far longer than hypothesis's default 200 ms deadline without anything being wrong.
settings.register_profile("hearth", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("hearth")


@pytest.fixture(autouse=True)
def _data_key() -> Iterator[None]:
    """Stores seal people's words with the active data key; unit tests get the test key
    (a started bot activates its own from its settings)."""
    from bot import crypto
    from tests.fakediscord.harness import TEST_DATA_KEY

    crypto.activate(crypto.DataCipher(TEST_DATA_KEY))
    yield
    crypto.activate(None)
