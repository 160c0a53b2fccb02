"""The bot: an ``AutoShardedBot`` that gets everything it needs through its constructor."""

from __future__ import annotations

import logging
from typing import Iterable

import discord
from discord.ext import commands

from ..core.engine import Engine
from ..core.feedback import FeedbackSink, LogFeedback
from ..core.models import Answer
from ..core.ratelimit import Cooldown
from . import components

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.discord_app.exts.errors",
    "bot.discord_app.exts.ask",
    "bot.discord_app.exts.browse",
)


def intents_for(channels: Iterable[int]) -> discord.Intents:
    """Default intents; the privileged message-content intent only when the bot must read whole channels."""
    intents = discord.Intents.default()
    intents.message_content = bool(frozenset(channels))
    return intents


class BriefBot(commands.AutoShardedBot):
    def __init__(
        self,
        engine: Engine,
        *,
        guild_id: int | None = None,
        channels: Iterable[int] = (),
        feedback: FeedbackSink | None = None,
        cooldown: Cooldown | None = None,
        sync_on_start: bool = True,
        **options,
    ):
        channels = frozenset(channels)
        # A text-only bot: voice libraries are not needed, so don't warn that they are missing.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        options.setdefault("intents", intents_for(channels))
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.engine = engine
        self.guild_id = guild_id
        self.channels = channels
        self.feedback: FeedbackSink = feedback or LogFeedback()
        self.cooldown = cooldown or Cooldown(5, 30.0)
        self.sync_on_start = sync_on_start

    async def setup_hook(self) -> None:
        self.add_dynamic_items(*components.ALL)
        for ext in EXTENSIONS:
            await self.load_extension(ext)
        if self.guild_id is not None and self.sync_on_start:
            guild = discord.Object(id=self.guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to test guild %s", len(synced), self.guild_id)

    async def on_ready(self) -> None:
        log.info("logged in as %s (%s) in %d guild(s), %d shard(s)", self.user, getattr(self.user, "id", "?"),
                 len(self.guilds), self.shard_count or 1)

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: messages are handled by the ask extension's listener only."""

    def record_answer(self, interaction: discord.Interaction | None, answer: Answer, *, source: str) -> None:
        """One place where every answer passes; the question log hooks in here."""
        log.debug("%s question answered with %s (%s:%s)", source, answer.status.value, answer.match.kind,
                  answer.match.id)
