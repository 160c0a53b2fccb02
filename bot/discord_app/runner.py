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
from .client import BriefBot, CommandsRefused

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 30.0
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


async def _login(bot: BriefBot, token: str, timeout: float) -> None:
    try:
        await asyncio.wait_for(bot.login(token), timeout=timeout)
    except discord.LoginFailure as exc:
        raise StartupError(REJECTED) from exc
    except asyncio.TimeoutError as exc:
        raise StartupError(UNREACHABLE.format(seconds=timeout, reason="no answer")) from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise StartupError(UNREACHABLE.format(seconds=timeout, reason=type(exc).__name__)) from exc
    except CommandsRefused as exc:  # the test-server sync in setup_hook
        raise commands_refused(exc) from exc


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


async def sync_global(bot: BriefBot, token: str, timeout: float = CONNECT_TIMEOUT, *,
                      clear_guild: int | None = None) -> int:
    """Log in, sync the commands globally (they can take up to an hour to appear everywhere), and remove the
    copies in the test server ``clear_guild`` so that they do not show twice there; log out."""
    bot.sync_on_start = False  # login runs setup_hook, which loads the extensions; sync globally here instead
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


async def clear_guild(bot: BriefBot, token: str, guild_id: int, timeout: float = CONNECT_TIMEOUT) -> None:
    """Log in, remove the test server's copies of the commands, log out."""
    bot.sync_on_start = False
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
