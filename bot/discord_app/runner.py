"""Starting the bot for real: log in, connect, and turn every start-up failure into one clear sentence."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import signal
from typing import Any, Iterator

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from ..core.engine import Engine
from .client import BriefBot, CommandsRefused

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 30.0
STALL_PROBE, STALL_WARNING = 0.05, 1.0  # seconds: how often the event loop's lateness is sampled; when to warn
DRAIN_TIMEOUT = 1.5  # on SIGTERM/SIGINT, how long the answers already being written may take to finish
# discord.py's names for the tasks that answer an event (a command, a component, a listener such as on_message)
ANSWERING = ("CommandTree-invoker", "discord-ui-view-dispatch-", "discord-ui-dynamic-item-", "discord.py: ")
REJECTED = ("Discord rejected the token. Copy it again from the Developer Portal (your application -> Bot -> "
            "Reset Token) into DISCORD_TOKEN in .env.")
UNREACHABLE = ("Could not reach Discord within {seconds:.0f} seconds ({reason}). Check this machine's internet "
               "connection and try again.")
NO_INTENT = ("Discord refused the privileged message-content intent. BRIEFBOT_CHANNELS is set, so the bot needs "
             "it: turn on 'Message Content Intent' in the Developer Portal (your application -> Bot -> Privileged "
             "Gateway Intents), or unset BRIEFBOT_CHANNELS.")


# What the bot needs in a channel; the README's invite URL carries the same number (a test checks it).
PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                                  embed_links=True, read_message_history=True, add_reactions=True)


class StartupError(Exception):
    """A failure to start that the user can fix; ``str()`` says how."""


def invite_url(application_id: int | None) -> str:
    return (f"https://discord.com/oauth2/authorize?client_id={application_id or 'YOUR_APPLICATION_ID'}"
            f"&scope=bot+applications.commands&permissions={PERMISSIONS.value}")


def commands_refused(exc: CommandsRefused) -> StartupError:
    """Discord's 403 on a command sync, as one sentence that names the likely cause and the fix."""
    where = f"server {exc.guild_id} (DISCORD_GUILD_ID)" if exc.guild_id else "this application"
    cause = ("the bot is not in that server, or was invited without the applications.commands scope" if exc.guild_id
             else "the token belongs to another application, or it lacks the applications.commands scope")
    return StartupError(f"Discord refused to register the slash commands in {where} (error {exc.error.code}): "
                        f"most likely {cause}; invite it with {invite_url(exc.application_id)}")


@contextlib.contextmanager
def discord_endpoints(api_base: str | None) -> Iterator[None]:
    """Send discord.py's REST calls to ``api_base`` (a REST proxy, or the local stand-in) while the bot runs.

    discord.py keeps its REST base (``Route.BASE``, which the interaction webhooks use too) and the gateway it
    identifies at (``DiscordWebSocket.DEFAULT_GATEWAY``) in class attributes, so this is process-wide; both are
    put back on exit. With no base, nothing changes: Discord itself."""
    if not api_base:
        yield
        return
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = api_base
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


async def _use_gateway_of_base(bot: BriefBot) -> None:
    """Identify at the gateway that ``GET /gateway/bot`` names on the configured base, as against Discord.

    discord.py asks that endpoint when it first connects, but identifies anew (after op 9, or when a resume
    fails) at its built-in address: point that at the same gateway."""
    _, url, _ = await bot.http.get_bot_gateway()
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


async def _login(bot: BriefBot, token: str, timeout: float, *, custom_base: bool = False) -> None:
    async def steps() -> None:
        await bot.login(token)
        if custom_base:
            await _use_gateway_of_base(bot)

    try:
        await asyncio.wait_for(steps(), timeout=timeout)
    except discord.LoginFailure as exc:
        raise StartupError(REJECTED) from exc
    except CommandsRefused as exc:  # the test-server sync in setup_hook
        raise commands_refused(exc) from exc
    except asyncio.TimeoutError as exc:
        raise StartupError(UNREACHABLE.format(seconds=timeout, reason="no answer")) from exc
    except (aiohttp.ClientError, OSError, discord.GatewayNotFound) as exc:
        raise StartupError(UNREACHABLE.format(seconds=timeout, reason=type(exc).__name__)) from exc


class _OneLineRetries(logging.Filter):
    """While the gateway is unreachable, discord.py logs a traceback at every reconnect attempt: keep its line
    (it says when the next attempt is) with the error's one-line summary instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Attempting a reconnect"):
            exc = record.exc_info[1]
            record.msg = f"{record.msg} (%s)"
            record.args = (*(record.args or ()), f"{type(exc).__name__}: {exc}")
            record.exc_info = None
        return True


def _install_signal_handlers() -> list[signal.Signals]:
    """SIGINT and SIGTERM stop whatever the bot is doing (logging in, connecting, waiting to retry, serving):
    they cancel the main task, whose way out closes the Discord connection and the question log cleanly.
    Returns the list that received signals are added to."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    received: list[signal.Signals] = []

    def stop(sig: signal.Signals) -> None:
        if received:
            log.info("%s received: already closing", sig.name)
            return
        received.append(sig)
        log.info("%s received: closing the Discord connection and the question log", sig.name)
        if main is not None:
            main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop, sig)
        except (NotImplementedError, RuntimeError):  # not on this platform / not the main thread
            pass
    return received


async def _watch_loop(bot: BriefBot, worst: list[float], every: float = STALL_PROBE) -> None:
    """Measure how late the event loop wakes up once the bot is ready: ``worst[0]`` keeps the longest stall, in
    seconds (start-up, which loads the extensions and the guild, is not serving anyone yet)."""
    loop = asyncio.get_running_loop()
    await bot.wait_until_ready()
    while True:
        start = loop.time()
        await asyncio.sleep(every)
        stall = loop.time() - start - every
        if stall > worst[0]:
            worst[0] = stall
        if stall > STALL_WARNING:
            log.warning("the event loop was blocked for %.1f s: answers and heartbeats waited", stall)


async def _drain(bot: BriefBot) -> None:
    """Stop reading the gateway, give the answers in progress a moment to reach Discord, cancel the rest quietly.

    Questions are logged when they are answered, so whatever was answered is in the log either way."""
    for shard in bot.shards.values():
        try:
            await asyncio.wait_for(shard.disconnect(), timeout=0.5)
        except (asyncio.TimeoutError, OSError, aiohttp.ClientError):
            pass
    me = asyncio.current_task()
    answering = [t for t in asyncio.all_tasks() if t is not me and t.get_name().startswith(ANSWERING)]
    if not answering:
        return
    _, late = await asyncio.wait(answering, timeout=DRAIN_TIMEOUT)
    if late:
        log.warning("%d answer(s) still in progress after %.1f s were cut short", len(late), DRAIN_TIMEOUT)
        for task in late:
            task.cancel()
        await asyncio.wait(late, timeout=0.5)


async def run_bot(bot: BriefBot, token: str, timeout: float = CONNECT_TIMEOUT, *,
                  api_base: str | None = None) -> None:
    """Log in and stay connected until closed or signalled. Raises StartupError on a failure the user can fix."""
    one_line = _OneLineRetries()
    logging.getLogger("discord.shard").addFilter(one_line)
    try:
        with discord_endpoints(api_base):
            async with bot:
                received = _install_signal_handlers()
                worst = [0.0]
                probe = asyncio.create_task(_watch_loop(bot, worst), name="briefbot-loop-probe")
                try:
                    await _login(bot, token, timeout, custom_base=bool(api_base))
                    # The knowledge base, discord.py and the extensions are loaded for good: keep the garbage
                    # collector's full passes (tens of ms each, on the event loop) from walking them every time.
                    gc.freeze()
                    await bot.connect(reconnect=True)
                except asyncio.CancelledError:
                    if not received:
                        raise
                    asyncio.current_task().uncancel()  # stopped by a signal: finish, close below, return
                    await _drain(bot)
                except discord.PrivilegedIntentsRequired as exc:
                    raise StartupError(NO_INTENT) from exc
                except discord.ConnectionClosed as exc:
                    if exc.code == 4004:  # the gateway's "authentication failed"
                        raise StartupError(REJECTED) from exc
                    raise
                finally:
                    probe.cancel()
                    if bot.is_ready():
                        log.info("event loop: worst stall %.0f ms since ready", worst[0] * 1000)
            if received:
                log.info("stopped: the Discord connection and the question log are closed")
    finally:
        logging.getLogger("discord.shard").removeFilter(one_line)


async def sync_global(bot: BriefBot, token: str, timeout: float = CONNECT_TIMEOUT, *,
                      clear_guild: int | None = None, api_base: str | None = None) -> int:
    """Log in, sync the commands globally (they can take up to an hour to appear everywhere), and remove the
    copies in the test server ``clear_guild`` so that they do not show twice there; log out."""
    bot.sync_on_start = False  # login runs setup_hook, which loads the extensions; sync globally here instead
    with discord_endpoints(api_base):
        async with bot:
            await _login(bot, token, timeout)
            try:
                synced = await bot.tree.sync()
            except discord.Forbidden as exc:
                raise commands_refused(CommandsRefused(None, bot.application_id, exc)) from exc
            log.info("synced %d commands globally", len(synced))
            if clear_guild is not None:
                await clear_guild_commands(bot, clear_guild)
            return len(synced)


async def clear_guild_commands(bot: BriefBot, guild_id: int) -> None:
    """Remove the commands `run` copied to a test server (a logged-in bot)."""
    try:
        await bot.sync_guild(guild_id, clear=True)
    except CommandsRefused as exc:
        raise commands_refused(exc) from exc


async def clear_guild(bot: BriefBot, token: str, guild_id: int, timeout: float = CONNECT_TIMEOUT, *,
                      api_base: str | None = None) -> None:
    """Log in, remove the test server's copies of the commands, log out."""
    bot.sync_on_start = False
    with discord_endpoints(api_base):
        async with bot:
            await _login(bot, token, timeout)
            await clear_guild_commands(bot, guild_id)


async def command_payloads(engine: Engine) -> list[dict[str, Any]]:
    """The JSON array the bot sends to Discord when it syncs, built without logging in."""
    bot = BriefBot(engine, sync_on_start=False)
    async with bot:  # sets up the loop-bound parts; closing needs them
        await bot.setup_hook()
        return [c.to_dict(bot.tree) for c in bot.tree._get_all_commands(guild=None)]


def commands_json(engine: Engine) -> str:
    return json.dumps(asyncio.run(command_payloads(engine)), indent=2, ensure_ascii=False)
