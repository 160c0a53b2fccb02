"""The bot: an ``AutoShardedBot`` that gets everything it needs through its constructor."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, TypeVar

import aiohttp
import discord
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket, ReconnectWebSocket
from discord.shard import Shard

from ..core.engine import Engine
from ..core.feedback import FeedbackSink, LogFeedback
from ..core.followup import answer_follow_up
from ..core.loader import KnowledgeError, knowledge_stamp, load_report
from ..core.models import Answer
from ..core.ratelimit import Cooldown
from ..core.store import NullLog, QuestionLog, new_question_id
from . import components
from .guard import BriefTree

log = logging.getLogger(__name__)
T = TypeVar("T")

EXTENSIONS = (
    "bot.discord_app.exts.ask",
    "bot.discord_app.exts.browse",
    "bot.discord_app.exts.curator",
)
WATCH_INTERVAL = 2.0
RETRY_FIRST, RETRY_MAX = 1.0, 60.0  # seconds between attempts to reach the gateway, doubling
DEFER_AFTER = 1.0  # seconds: an /ask whose answer is not ready by then is deferred ("briefbot is thinking...")
ENGINE_THREADS = 2

# Where the commands can be used: in servers, in DMs with the bot and, once installed to a user, in any channel.
# The curator group narrows this to servers (exts/curator.py).
EVERYWHERE = discord.app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
ANY_INSTALL = discord.app_commands.AppInstallationType(guild=True, user=True)


class CommandsRefused(Exception):
    """Discord answered 403 when the bot registered its commands in ``guild_id``."""

    def __init__(self, guild_id: int | None, application_id: int | None, error: discord.Forbidden):
        super().__init__(f"command sync refused for guild {guild_id}: {error}")
        self.guild_id = guild_id
        self.application_id = application_id
        self.error = error


def intents_for(channels: Iterable[int]) -> discord.Intents:
    """Only what the bot uses: servers (for its role and channels), messages in servers and DMs, and the
    privileged message-content intent only when it must read whole channels. No typing, voice, invite,
    reaction, presence or member events."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
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
        executor: Executor | None = None,
        defer_after: float = DEFER_AFTER,
        watch_interval: float | None = None,
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
            tree_cls=BriefTree,
            allowed_contexts=EVERYWHERE,
            allowed_installs=ANY_INSTALL,
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
        self.watch_interval = watch_interval
        self._stamp = knowledge_stamp  # --watch: taken before the knowledge was loaded, so no edit slips by
        self._watch_task: asyncio.Task | None = None
        self._reload_lock = asyncio.Lock()
        # The engine never runs on the event loop: matching happens on these threads. Messages take one thread
        # at a time, so a burst of them never stands between a slash command and its 3-second deadline.
        self._own_executor = executor is None
        self.executor = executor or ThreadPoolExecutor(ENGINE_THREADS, thread_name_prefix="briefbot-engine")
        self.defer_after = defer_after
        self._message_lane = asyncio.Semaphore(max(1, ENGINE_THREADS - 1))

    async def setup_hook(self) -> None:
        self.add_dynamic_items(*components.ALL)
        for ext in EXTENSIONS:
            await self.load_extension(ext)
        if self.watch and self.knowledge_dir is not None:
            self._watch_task = asyncio.create_task(self._watch_knowledge(), name="knowledge-watch")
        if self.guild_id is not None and self.sync_on_start:
            await self.sync_guild(self.guild_id)

    async def sync_guild(self, guild_id: int, *, clear: bool = False) -> int:
        """Copy the commands to one server (they show there at once), or with ``clear`` remove that server's
        copies. Raises CommandsRefused when Discord answers 403 (the bot is not in that server, or was invited
        without the applications.commands scope)."""
        guild = discord.Object(id=guild_id)
        if clear:
            self.tree.clear_commands(guild=guild)
        else:
            self.tree.copy_global_to(guild=guild)
        try:
            synced = await self.tree.sync(guild=guild)
        except discord.Forbidden as exc:
            raise CommandsRefused(guild_id, self.application_id, exc) from exc
        log.info("%s %d commands in guild %s", "removed; now" if clear else "synced", len(synced), guild_id)
        return len(synced)

    async def launch_shard(self, gateway: yarl.URL, shard_id: int, *, initial: bool = False) -> None:
        """Connect one shard, retrying with backoff while the gateway cannot be reached.

        discord.py's own launcher retries every 5 s forever, recursively (each traceback chained to the last, and
        logged whole) and even after close(); this one logs one line per attempt and stops with the bot."""
        delay = RETRY_FIRST
        for attempt in itertools.count(1):
            try:
                ws = await asyncio.wait_for(
                    DiscordWebSocket.from_client(self, initial=initial, gateway=gateway, shard_id=shard_id),
                    timeout=self.shard_connect_timeout)
            except discord.ConnectionClosed as exc:
                if exc.code in (4004, 4014):  # the token or the intents: retrying cannot help
                    raise
                reason = f"closed with {exc.code}"
            except (OSError, aiohttp.ClientError, asyncio.TimeoutError, ReconnectWebSocket) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            else:
                shard = Shard(ws, self, self._AutoShardedClient__queue.put_nowait)  # as discord.py's launcher
                self._AutoShardedClient__shards[shard_id] = shard
                shard.launch()
                return
            if self.is_closed():
                return
            log.warning("cannot connect to the Discord gateway (%s); attempt %d failed, next in %.0f s",
                        reason, attempt, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)
            if self.is_closed():
                return

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
        answer, engine, elapsed = self.match(question, follow_up_to)
        qid = self.log_question(answer, engine, elapsed, source=source, user_id=user_id, guild_id=guild_id,
                                channel_id=channel_id)
        return answer, qid, engine

    def match(self, question: str, follow_up_to: str | None = None) -> tuple[Answer, Engine, float]:
        """The engine's answer (blocking: call it on a thread), the engine used, and the time it took in ms."""
        engine = self.engine
        started = time.perf_counter()
        # a reply to one of our answers may lean on it ("how old is he now?", "and the capacity?")
        answer = answer_follow_up(engine, question, follow_up_to, reply=True)
        return answer, engine, (time.perf_counter() - started) * 1000

    def log_question(self, answer: Answer, engine: Engine, elapsed_ms: float, *, source: str,
                     user_id: int | None, guild_id: int | None, channel_id: int | None) -> int:
        qid = new_question_id()
        self.question_log.record_question(qid, answer, source=source, guild_id=guild_id, channel_id=channel_id,
                                          user_id=user_id, kb_version=engine.knowledge.version,
                                          elapsed_ms=elapsed_ms)
        return qid

    async def off_loop(self, fn: Callable[..., T], *args) -> T:
        """Run ``fn`` (engine work) on the engine threads, never on the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def match_message(self, question: str, follow_up_to: str | None = None) -> tuple[Answer, Engine, float]:
        """``match`` for a chat message, one message at a time, leaving a thread free for slash commands."""
        async with self._message_lane:
            return await self.off_loop(self.match, question, follow_up_to)

    def record_answer(self, answer: Answer, engine: Engine, *, source: str, user_id: int | None,
                      guild_id: int | None, channel_id: int | None) -> int:
        """Log an answer given without matching (a button, a menu choice, an autocomplete pick)."""
        return self.log_question(answer, engine, 0.0, source=source, user_id=user_id, guild_id=guild_id,
                                 channel_id=channel_id)

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
        is logged with its traceback and the watch goes on. The first snapshot is the one taken before the
        knowledge was loaded, when given (``knowledge_stamp``): an edit made while it loaded is not missed."""
        last: tuple | None = self._stamp
        while not self.is_closed():
            try:
                stamp = await asyncio.to_thread(self._knowledge_stamp)
                changed = last is not None and stamp != last
                last = stamp
                if changed:
                    log.info("knowledge folder changed; reloading")
                    await self.reload_knowledge()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the knowledge watch failed; still watching")
            await asyncio.sleep(WATCH_INTERVAL if self.watch_interval is None else self.watch_interval)

    async def close(self) -> None:
        if self._watch_task is not None:
            self._watch_task.cancel()
        await super().close()
        await asyncio.to_thread(self.question_log.close)
        if self._own_executor:
            self.executor.shutdown(wait=False, cancel_futures=True)
