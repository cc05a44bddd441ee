"""Encryption at rest for the words people write to Hearth.

Free text a person submits (check-in notes, answers, shares, titles…) is sealed with
Fernet (AES-128-CBC + HMAC-SHA256, from the `cryptography` package) before it reaches
the database, under a key from the environment (`HEARTH_DATA_KEY`). A sealed value is
text: `enc:v1:` followed by the Fernet token, so it fits the same TEXT column.

Whatever a person types is sealed, always — even text that happens to start with
`enc:v1:`. Sealed and plain are never told apart by the prefix alone: only a value that
actually opens under the key is sealed. (Text stored before encryption existed, or raw
text that merely looked sealed, is sealed by the start-up step in `bot.privacy`.)

The bot activates its cipher in `setup_hook` after checking the key against the
database; stores then call `seal` / `unseal`. Nothing here is our own cryptography.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "enc:v1:"
# What the key check in the `meta` table decrypts to when the key is the right one.
_CHECK_PLAINTEXT = "hearth data key check"
KEY_CHECK_META = "data_key_check"

DATA_KEY_HELP = (
    "Hearth encrypts the words people write to it (check-in notes, answers, shares) with a "
    "key of your own, HEARTH_DATA_KEY. `make run` creates one for you in .env the first "
    "time. Without make, run `python -m bot ensure-data-key` once: it writes a fresh key "
    "into .env (it never prints it). Keep a copy of .env somewhere safe — without the key "
    "nobody, not even you, can read those words again."
)

WRONG_KEY_HELP = (
    "HEARTH_DATA_KEY doesn't open this database: its data was encrypted with a different "
    "key. If you changed or regenerated the key, put the old one back into .env and start "
    "again. If the old key is lost, the encrypted words can't be recovered — to start over, "
    "point HEARTH_DATABASE at a new file (the old one stays untouched)."
)


class UnreadableValue(RuntimeError):
    """A stored value that should be sealed didn't open under this database's key.

    The key itself was checked at start, so this is one damaged value, not a wrong key.
    """


class DataKeyError(RuntimeError):
    """The data key is missing, malformed, or not the one this database was sealed with.

    Its message is written for the operator: Hearth prints it and stops, no traceback.
    """


def new_key() -> str:
    """A fresh random key (32 bytes, URL-safe base64, 44 characters)."""
    return Fernet.generate_key().decode("ascii")


def key_is_valid(key: str) -> bool:
    raw = key.strip().encode("ascii", "replace")
    try:
        decoded = base64.urlsafe_b64decode(raw)
    except (binascii.Error, ValueError):
        return False
    return len(decoded) == 32 and len(raw) == 44


def _check_key_shape(key: str, setting: str = "HEARTH_DATA_KEY") -> bytes:
    if not key_is_valid(key):
        raise DataKeyError(
            f"{setting} isn't a valid key: it should be 44 characters of URL-safe "
            "base64, exactly as `python -m bot ensure-data-key` makes it.\n\n" + DATA_KEY_HELP
        )
    return key.strip().encode("ascii")


class DataCipher:
    """Seals with one key; opens with it or with any of the old ones.

    `old_keys` (HEARTH_OLD_DATA_KEYS) are keys the data was sealed with before a key
    rotation: values still sealed with one of them open, and `python -m bot rotate-key`
    re-seals them under the current key (cryptography's MultiFernet does the work).
    """

    def __init__(self, key: str, old_keys: Sequence[str] = ()) -> None:
        self._fernet = Fernet(_check_key_shape(key))
        self._old = [
            Fernet(_check_key_shape(old, f"Key {n} of HEARTH_OLD_DATA_KEYS"))
            for n, old in enumerate(old_keys, start=1)
        ]
        # Every key, the current one first: opens with any, seals with the first.
        self._any = MultiFernet([self._fernet, *self._old])

    @property
    def has_old_keys(self) -> bool:
        return bool(self._old)

    def seal(self, text: str | None) -> str | None:
        if text is None:
            return None
        # Always: a person's text that merely starts like a sealed value is still text.
        return PREFIX + self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def unseal(self, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(PREFIX):
            return value  # written before encryption; sealed by the start-up step
        opened = self.try_open(value)
        if opened is None:
            raise UnreadableValue("a stored value didn't open under the data key")
        return opened

    def try_open(self, value: str) -> str | None:
        """The text inside a sealed value, or None when it doesn't open (sealed by none of
        the keys: e.g. raw text that only starts like a sealed value)."""
        if not value.startswith(PREFIX):
            return None
        try:
            token = value[len(PREFIX) :].encode("ascii")
            return self._any.decrypt(token).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            return None

    def is_current(self, value: str) -> bool:
        """Whether `value` is sealed with the current key (not an old one, not plain)."""
        if not value.startswith(PREFIX):
            return False
        try:
            self._fernet.decrypt(value[len(PREFIX) :].encode("ascii"))
        except (InvalidToken, UnicodeError, ValueError):
            return False
        return True

    def reseal(self, value: str) -> str | None:
        """`value` sealed again under the current key, or None when no key opens it."""
        if not value.startswith(PREFIX):
            return None
        try:
            token = self._any.rotate(value[len(PREFIX) :].encode("ascii"))
        except (InvalidToken, UnicodeError, ValueError):
            return None
        return PREFIX + token.decode("ascii")

    def key_check(self) -> str:
        """A value for the `meta` table that only this key opens."""
        sealed = self.seal(_CHECK_PLAINTEXT)
        assert sealed is not None
        return sealed

    def opens(self, check: str) -> bool:
        return self.try_open(check) == _CHECK_PLAINTEXT


def looks_sealed(value: object) -> bool:
    """Whether a stored value has the sealed shape. Only a hint for reports and tests:
    whether it *is* sealed is decided by opening it (`DataCipher.try_open`)."""
    return isinstance(value, str) and value.startswith(PREFIX)


# The running bot's cipher. One process runs one Hearth, so stores reach it here rather
# than threading a key through every function; `HearthBot.setup_hook` activates it.
_active: DataCipher | None = None


def activate(cipher: DataCipher | None) -> None:
    global _active
    _active = cipher


def active() -> DataCipher:
    if _active is None:
        raise DataKeyError("No data key is active yet.\n\n" + DATA_KEY_HELP)
    return _active


def seal(text: str | None) -> str | None:
    """Text → what the database stores (None stays None)."""
    return None if text is None else active().seal(text)


def unseal(value: str | None) -> str | None:
    """What the database stores → the text (None stays None)."""
    return None if value is None else active().unseal(value)
