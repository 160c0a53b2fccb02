"""Starting the bot for real: log in, connect, and turn every start-up failure into one clear sentence."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from typing import Any

import aiohttp
import discord

from ..core.engine import Engine
from .client import BriefBot

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 30.0
REJECTED = ("Discord rejected the token. Copy it again from the Developer Portal (your application -> Bot -> "
            "Reset Token) into DISCORD_TOKEN in .env.")
UNREACHABLE = ("Could not reach Discord within {seconds:.0f} seconds ({reason}). Check this machine's internet "
               "connection and try again.")
NO_INTENT = ("Discord refused the privileged message-content intent. BRIEFBOT_CHANNELS is set, so the bot needs "
             "it: turn on 'Message Content Intent' in the Developer Portal (your application -> Bot -> Privileged "
             "Gateway Intents), or unset BRIEFBOT_CHANNELS.")


class StartupError(Exception):
    """A failure to start that the user can fix; ``str()`` says how."""


async def _login(bot: BriefBot, token: str, timeout: float) -> None:
    try:
        await asyncio.wait_for(bot.login(token), timeout=timeout)
    except discord.LoginFailure as exc:
        raise StartupError(REJECTED) from exc
    except asyncio.TimeoutError as exc:
        raise StartupError(UNREACHABLE.format(seconds=timeout, reason="no answer")) from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise StartupError(UNREACHABLE.format(seconds=timeout, reason=type(exc).__name__)) from exc


def _install_signal_handlers(bot: BriefBot) -> None:
    """SIGINT and SIGTERM close the Discord connection and the question log cleanly."""
    loop = asyncio.get_running_loop()

    def stop(sig: signal.Signals) -> None:
        log.info("%s received: closing the Discord connection and the question log", sig.name)
        if not bot.is_closed():
            loop.create_task(bot.close())

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop, sig)
        except (NotImplementedError, RuntimeError):  # not on this platform / not the main thread
            pass


async def run_bot(bot: BriefBot, token: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Log in and stay connected until closed. Raises StartupError on a failure the user can fix."""
    async with bot:
        _install_signal_handlers(bot)
        await _login(bot, token, timeout)
        try:
            await bot.connect(reconnect=True)
        except discord.PrivilegedIntentsRequired as exc:
            raise StartupError(NO_INTENT) from exc


async def sync_global(bot: BriefBot, token: str, timeout: float = CONNECT_TIMEOUT) -> int:
    """Log in, sync the commands globally (they can take up to an hour to appear everywhere), log out."""
    bot.sync_on_start = False  # login runs setup_hook, which loads the extensions; sync globally here instead
    async with bot:
        await _login(bot, token, timeout)
        synced = await bot.tree.sync()
        log.info("synced %d commands globally", len(synced))
        return len(synced)


async def command_payloads(engine: Engine) -> list[dict[str, Any]]:
    """The JSON array the bot sends to Discord when it syncs, built without logging in."""
    bot = BriefBot(engine, sync_on_start=False)
    async with bot:  # sets up the loop-bound parts; closing needs them
        await bot.setup_hook()
        return [c.to_dict(bot.tree) for c in bot.tree._get_all_commands(guild=None)]


def commands_json(engine: Engine) -> str:
    return json.dumps(asyncio.run(command_payloads(engine)), indent=2, ensure_ascii=False)
