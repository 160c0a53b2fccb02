"""The bot: an ``AutoShardedBot`` that gets everything it needs through its constructor."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Iterable

import discord
from discord.ext import commands

from ..core.engine import Engine
from ..core.feedback import FeedbackSink, LogFeedback
from ..core.loader import KnowledgeError, knowledge_stamp, load_report
from ..core.models import Answer
from ..core.ratelimit import Cooldown
from ..core.store import NullLog, QuestionLog, new_question_id
from . import components

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.discord_app.exts.errors",
    "bot.discord_app.exts.ask",
    "bot.discord_app.exts.browse",
    "bot.discord_app.exts.curator",
)
WATCH_INTERVAL = 2.0


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
        question_log: QuestionLog | NullLog | None = None,
        knowledge_dir: Path | None = None,
        watch: bool = False,
        knowledge_stamp: tuple | None = None,
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
        self.question_log = question_log or NullLog()
        self.feedback: FeedbackSink = feedback or (question_log if question_log is not None else LogFeedback())
        self.cooldown = cooldown or Cooldown(5, 30.0)
        self.sync_on_start = sync_on_start
        self.knowledge_dir = knowledge_dir
        self.watch = watch
        self._stamp = knowledge_stamp  # --watch: taken before the knowledge was loaded, so no edit slips by
        self._watch_task: asyncio.Task | None = None
        self._reload_lock = asyncio.Lock()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(*components.ALL)
        for ext in EXTENSIONS:
            await self.load_extension(ext)
        if self.watch and self.knowledge_dir is not None:
            self._watch_task = asyncio.create_task(self._watch_knowledge(), name="knowledge-watch")
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

    # ------------------------------------------------------------------------------------------- answering

    def ask(self, question: str, *, source: str, user_id: int | None, guild_id: int | None,
            channel_id: int | None, follow_up_to: str | None = None) -> tuple[Answer, int, Engine]:
        """Answer with the current knowledge and queue the question for the log (never blocks on the database).

        ``follow_up_to``: the entry of the answer this question replies to, if any.
        Returns the answer, the question's log id (carried by the feedback buttons) and the engine that
        answered, so a reload in the middle cannot mix two knowledge bases in one reply."""
        engine = self.engine
        started = time.perf_counter()
        answer = engine.ask(question)
        if follow_up_to and not answer.answered:
            # a reply to one of our answers that does not stand on its own: read it in that answer's topic
            followed = engine.follow_up(question, follow_up_to)
            if followed.answered:
                answer = followed
        elapsed = (time.perf_counter() - started) * 1000
        qid = new_question_id()
        self.question_log.record_question(qid, answer, source=source, guild_id=guild_id, channel_id=channel_id,
                                          user_id=user_id, kb_version=engine.knowledge.version, elapsed_ms=elapsed)
        return answer, qid, engine

    def record_answer(self, answer: Answer, engine: Engine, *, source: str, user_id: int | None,
                      guild_id: int | None, channel_id: int | None) -> int:
        """Log an answer given without matching (a button or a menu choice)."""
        qid = new_question_id()
        self.question_log.record_question(qid, answer, source=source, guild_id=guild_id, channel_id=channel_id,
                                          user_id=user_id, kb_version=engine.knowledge.version, elapsed_ms=0.0)
        return qid

    # ------------------------------------------------------------------------------------------- reloading

    async def reload_knowledge(self) -> tuple[bool, str]:
        """Load and validate the knowledge folder off the event loop; swap it in only if it is valid.

        Questions already being answered finish on the engine they started with. Never raises: whatever goes
        wrong, the bot keeps serving the knowledge it has."""
        if self.knowledge_dir is None:
            return False, "This bot was started without a knowledge folder to reload from."
        async with self._reload_lock:
            try:
                report = await asyncio.to_thread(load_report, self.knowledge_dir)
                engine = await asyncio.to_thread(Engine, report.knowledge, self.engine.t, encoder=self.engine.encoder)
            except KnowledgeError as exc:
                log.error("reload refused, still serving knowledge %s:\n%s", self.engine.knowledge.version,
                          exc.summary())
                return False, exc.summary()
            except Exception as exc:
                log.exception("reload failed, still serving knowledge %s", self.engine.knowledge.version)
                return False, f"The reload failed ({type(exc).__name__}); see the bot's log."
            old = self.engine.knowledge.version
            self.engine = engine
            k = engine.knowledge
            message = (f"Reloaded knowledge {old} \u2192 {k.version}: {len(k.entries)} entries, "
                       f"{len(k.facts)} facts.")
            log.info("%s", message)
            return True, message

    def _knowledge_stamp(self) -> tuple:
        return knowledge_stamp(self.knowledge_dir)

    async def _watch_knowledge(self) -> None:
        """``run --watch``: reload when a file in the knowledge folder changes. Supervised: an unexpected error
        is logged and the watch goes on."""
        last = self._stamp if self._stamp is not None else await asyncio.to_thread(self._knowledge_stamp)
        while not self.is_closed():
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                stamp = await asyncio.to_thread(self._knowledge_stamp)
                if stamp != last:
                    last = stamp
                    log.info("knowledge folder changed; reloading")
                    await self.reload_knowledge()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the knowledge watch hit an error; it keeps watching")

    async def close(self) -> None:
        if self._watch_task is not None:
            self._watch_task.cancel()
        await super().close()
        await asyncio.to_thread(self.question_log.close)
