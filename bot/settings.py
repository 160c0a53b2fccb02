"""Settings for running the Discord bot, read from the environment (and .env) only when asked, never at import."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .paths import default_data_dir, default_knowledge_dir


class SettingsError(ValueError):
    pass


MISSING_TOKEN = """\
No Discord token found: DISCORD_TOKEN is not set.
To run the bot, copy .env.example to .env and put your bot's token in it (Discord Developer Portal ->
your application -> Bot -> Reset Token), optionally with DISCORD_GUILD_ID set to your test server's id so the
slash commands appear there at once. Then run `python -m bot run` again. To try the answers without Discord,
use `python -m bot ask "..."` or `python -m bot chat`."""

EMPTY_TOKEN = """No Discord token found: the DISCORD_TOKEN line is empty (in .env, or in the environment).
Put your bot's token after `DISCORD_TOKEN=` (Discord Developer Portal -> your application -> Bot -> Reset
Token), then run `python -m bot run` again. To try the answers without Discord, use `python -m bot ask "..."`."""


@dataclass(frozen=True, slots=True)
class Settings:
    token: str = field(repr=False)
    guild_id: int | None = None
    channels: frozenset[int] = frozenset()
    log_level: str = "INFO"
    knowledge_dir: Path = field(default_factory=default_knowledge_dir)
    data_dir: Path = field(default_factory=default_data_dir)
    log_questions: bool = True
    retention_days: float | None = None
    hash_key: str | None = field(default=None, repr=False)
    api_base: str | None = None  # discord.py's REST base, for a REST proxy (or the local stand-in); None: Discord

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, require_token: bool = True) -> "Settings":
        env = os.environ if env is None else env
        token = (env.get("DISCORD_TOKEN") or "").strip()
        if require_token and not token:
            raise SettingsError(EMPTY_TOKEN if "DISCORD_TOKEN" in env else MISSING_TOKEN)
        guild = (env.get("DISCORD_GUILD_ID") or "").strip()
        if guild and not (guild.isascii() and guild.isdigit()):
            raise SettingsError(f"DISCORD_GUILD_ID must be a server id (digits), got {guild!r}.")
        channels: set[int] = set()
        for part in (env.get("BRIEFBOT_CHANNELS") or "").replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not (part.isascii() and part.isdigit()):
                raise SettingsError(f"BRIEFBOT_CHANNELS must be channel ids separated by commas, got {part!r}.")
            channels.add(int(part))
        level = (env.get("BRIEFBOT_LOG_LEVEL") or "INFO").strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise SettingsError(f"BRIEFBOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}.")
        flag = (env.get("BRIEFBOT_LOG_QUESTIONS") or "1").strip().lower()
        if flag not in {"0", "1", "true", "false", "yes", "no", "on", "off"}:
            raise SettingsError(f"BRIEFBOT_LOG_QUESTIONS must be 1 or 0, got {flag!r}.")
        retention = (env.get("BRIEFBOT_RETENTION_DAYS") or "").strip()
        try:
            days = float(retention) if retention else None
        except ValueError:
            raise SettingsError(f"BRIEFBOT_RETENTION_DAYS must be a number of days, got {retention!r}.") from None
        if days is not None and days <= 0:
            raise SettingsError("BRIEFBOT_RETENTION_DAYS must be more than 0 (leave it empty to keep everything).")
        hash_key = (env.get("BRIEFBOT_HASH_KEY") or "").strip() or None
        if hash_key is not None and len(hash_key.encode()) < 32:
            raise SettingsError("BRIEFBOT_HASH_KEY must be at least 32 characters (or empty, to keep a generated "
                                "key in the data folder); a short key lets anyone recompute the hashed user ids.")
        api_base = (env.get("DISCORD_API_BASE") or "").strip().rstrip("/") or None
        if api_base is not None and not re.fullmatch(r"https?://[^/\s]+(/\S*)?", api_base):
            raise SettingsError("DISCORD_API_BASE must be an http(s) URL such as http://127.0.0.1:8080/api/v10 "
                                f"(leave it empty for Discord itself), got {api_base!r}.")
        return cls(
            token=token,
            guild_id=int(guild) if guild else None,
            channels=frozenset(channels),
            log_level=level,
            knowledge_dir=Path(env.get("BRIEFBOT_KNOWLEDGE") or default_knowledge_dir()),
            data_dir=Path(env.get("BRIEFBOT_DATA") or default_data_dir()),
            log_questions=flag in {"1", "true", "yes", "on"},
            retention_days=days,
            hash_key=hash_key,
            api_base=api_base,
        )
