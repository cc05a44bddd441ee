"""Settings, read from the environment and `.env` (see `.env.example`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

# Three base64url parts: the bot's id, a timestamp and an HMAC. Checked before we
# ever log in, so a pasted client secret or a stray quote is caught with a kind word.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{18,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")

TOKEN_HELP = (
    "Hearth needs a bot token to connect to Discord. Open "
    "https://discord.com/developers/applications, pick (or create) your application, "
    "go to Bot → Reset Token and copy the token. Then put it in a file named .env "
    "next to the Makefile, as a line like DISCORD_TOKEN=your-token-here "
    "(.env.example lists every setting), and run `make run` again. Keep the token secret: "
    "anyone who has it can act as your bot."
)


def _alias(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Everything an operator can set. Field names are what the code reads."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    discord_token: SecretStr | None = Field(
        default=None, validation_alias=_alias("DISCORD_TOKEN", "discord_token")
    )
    # A SQLite file (the default; `make run` needs nothing else) or a PostgreSQL URL
    # (`postgresql://user:password@host/db`: several processes, docs/scaling.md).
    database: Path | str = Field(
        default=Path("data/hearth.sqlite3"),
        validation_alias=_alias("HEARTH_DATABASE", "database"),
    )
    dev_guild_id: int | None = Field(
        default=None, validation_alias=_alias("HEARTH_DEV_GUILD_ID", "dev_guild_id")
    )
    log_level: LogLevel = Field(
        default="INFO", validation_alias=_alias("HEARTH_LOG_LEVEL", "log_level")
    )
    misfire_grace_seconds: int = Field(
        default=6 * 3600,
        ge=60,
        validation_alias=_alias("HEARTH_MISFIRE_GRACE_SECONDS", "misfire_grace_seconds"),
    )

    dm_open_rate: float = Field(
        default=5.0, gt=0, validation_alias=_alias("HEARTH_DM_OPEN_RATE", "dm_open_rate")
    )
    dm_open_burst: int = Field(
        default=5, ge=1, validation_alias=_alias("HEARTH_DM_OPEN_BURST", "dm_open_burst")
    )
    # Where Discord is: its REST API and gateway. Only for a rate-limit proxy in front of
    # Discord (or a local emulator); leave empty for Discord itself.
    discord_api: str | None = Field(
        default=None, validation_alias=_alias("HEARTH_DISCORD_API", "discord_api")
    )
    discord_gateway: str | None = Field(
        default=None, validation_alias=_alias("HEARTH_DISCORD_GATEWAY", "discord_gateway")
    )
    # Sharding (docs/scaling.md): how many shards the bot has in all (empty: Discord's
    # recommendation, one per 1,000 servers) and which of them this process runs ("0-3",
    # "4,5"; empty: all of them).
    shard_count: int | None = Field(
        default=None, ge=1, validation_alias=_alias("HEARTH_SHARD_COUNT", "shard_count")
    )
    shard_ids: str | None = Field(
        default=None, validation_alias=_alias("HEARTH_SHARD_IDS", "shard_ids")
    )
    # With PostgreSQL and several processes: how long a shard's lease (bot.leases) lasts
    # without a heartbeat — how soon a replacement takes over a process that died.
    lease_seconds: float = Field(
        default=30.0, ge=1.0, validation_alias=_alias("HEARTH_LEASE_SECONDS", "lease_seconds")
    )
    # Encrypts the words people write, at rest (bot.crypto). `make run` creates it in .env.
    data_key: SecretStr | None = Field(
        default=None, validation_alias=_alias("HEARTH_DATA_KEY", "data_key")
    )

    # Keys the data was sealed with before a rotation, comma-separated (newest first is
    # fastest): still opened, re-sealed under data_key by `python -m bot rotate-key`.
    old_data_keys: SecretStr | None = Field(
        default=None, validation_alias=_alias("HEARTH_OLD_DATA_KEYS", "old_data_keys")
    )

    @field_validator(
        "dev_guild_id",
        "data_key",
        "old_data_keys",
        "discord_api",
        "discord_gateway",
        "shard_count",
        "shard_ids",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("database")
    @classmethod
    def _path_or_url(cls, value: Path | str) -> Path | str:
        if isinstance(value, str) and not is_postgres_url(value):
            return Path(value)
        return value

    @field_validator("shard_ids")
    @classmethod
    def _shard_ids(cls, value: str | None) -> str | None:
        if value is not None:
            parse_shard_ids(value)  # a ValueError names what's wrong
        return value

    @model_validator(mode="after")
    def _shards_agree(self) -> Settings:
        # Processes that each run some shards must agree on how many there are; Discord's
        # recommendation can change between two processes' starts.
        if self.shard_ids is not None and self.shard_count is None:
            raise ValueError(
                "HEARTH_SHARD_IDS needs HEARTH_SHARD_COUNT too (every process must use the "
                "same count)"
            )
        if self.shard_ids is not None and self.shard_count is not None:
            bad = [i for i in parse_shard_ids(self.shard_ids) if i >= self.shard_count]
            if bad:
                raise ValueError(
                    f"HEARTH_SHARD_IDS names shard {bad[0]}, but shards are numbered 0 to "
                    f"{self.shard_count - 1} (HEARTH_SHARD_COUNT={self.shard_count})"
                )
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


def is_postgres_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("postgresql://", "postgres://"))


def sqlite_path(settings: Settings) -> Path | None:
    """The SQLite file Hearth uses, or None when HEARTH_DATABASE is PostgreSQL."""
    return settings.database if isinstance(settings.database, Path) else None


def shown_database(settings: Settings) -> str:
    """HEARTH_DATABASE as messages may show it: a PostgreSQL URL without its password."""
    if isinstance(settings.database, Path):
        return str(settings.database)
    from bot.db.postgres import safe_url

    return safe_url(settings.database)


def parse_shard_ids(text: str) -> list[int]:
    """`HEARTH_SHARD_IDS`: "0-3", "4,5" or "0-1,6" → sorted shard ids."""
    found: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ValueError(f"{part!r} isn't a shard id or a range like 0-3")
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            raise ValueError(f"{part!r} runs backwards")
        found.update(range(low, high + 1))
    if not found:
        raise ValueError("no shard ids given")
    return sorted(found)


def old_keys(settings: Settings) -> list[str]:
    """HEARTH_OLD_DATA_KEYS as a list (empty parts ignored)."""
    if settings.old_data_keys is None:
        return []
    return [k.strip() for k in settings.old_data_keys.get_secret_value().split(",") if k.strip()]


def token_problem(settings: Settings) -> str | None:
    """A plain-words reason the token can't work, or None when it looks right."""
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        return "No Discord token is set (DISCORD_TOKEN is empty or missing)."
    token = settings.discord_token.get_secret_value().strip()
    prefix = next((p for p in ("Bot ", "Bearer ") if token.lower().startswith(p.lower())), None)
    if prefix is not None:
        return (
            f"DISCORD_TOKEN starts with “{prefix.strip()}”: put only the token itself in "
            f".env, without “{prefix.strip()}” in front (Hearth adds what Discord needs)."
        )
    if not _TOKEN_SHAPE.match(token):
        return (
            "DISCORD_TOKEN doesn't look like a bot token (it should be three parts joined "
            "by dots; a client secret or public key won't work)."
        )
    return None
