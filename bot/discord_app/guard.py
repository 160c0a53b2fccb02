"""The one guard for every entry point (slash commands, buttons and menus, messages): log a failure once, at the
right level, and tell the person something useful, privately where Discord allows, without ever raising."""

from __future__ import annotations

import functools
import logging
from typing import Awaitable, Callable, TypeVar

import discord
from discord import app_commands

log = logging.getLogger(__name__)

SOMETHING_WRONG = "Something went wrong on my side while answering. It has been logged; please try again."
COMMAND_CHANGED = ("That command has just changed with an update of the bot. Try again in a minute, once Discord "
                   "has the new version (reopen the channel if it still fails).")
NOT_ALLOWED = "You can't use that command here."
UNKNOWN_INTERACTION = 10062  # Discord no longer knows the interaction: its 3 seconds (or 15 minutes) are over
ALREADY_ACKNOWLEDGED = 40060


def cooldown_text(seconds: float) -> str:
    return f"You're asking faster than I can keep up. Try again in {max(1, round(seconds))} s."


def _expired(error: BaseException) -> bool:
    return isinstance(error, discord.HTTPException) and error.code in (UNKNOWN_INTERACTION, ALREADY_ACKNOWLEDGED)


async def tell(interaction: discord.Interaction, text: str) -> None:
    """Say something ephemerally, whether or not the interaction was already answered; never raise."""
    if interaction.type is discord.InteractionType.autocomplete:
        return  # an autocomplete request can only be answered with choices
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning("could not send an error message for interaction %s: %s", interaction.id, exc)


async def interaction_failed(interaction: discord.Interaction, error: BaseException, where: str) -> None:
    """A slash command or a component (``where``: "/ask", "component bb:ask:x") failed with ``error``."""
    if isinstance(error, app_commands.CommandOnCooldown):
        await tell(interaction, cooldown_text(error.retry_after))
        return
    if isinstance(error, (app_commands.CommandNotFound, app_commands.CommandSignatureMismatch)):
        # a command Discord still shows from before a deploy: not a bug, and it fixes itself
        log.warning("stale command %s (interaction %s): %s", where, interaction.id, error)
        await tell(interaction, COMMAND_CHANGED)
        return
    if isinstance(error, app_commands.CheckFailure):
        await tell(interaction, NOT_ALLOWED)
        return
    original = getattr(error, "original", None) or error
    if _expired(original):
        # too late to answer at all: a second response could not succeed either
        log.warning("interaction %s (%s) expired before the bot answered: %s", interaction.id, where, original)
        return
    log.error("error in %s (interaction %s)", where, interaction.id, exc_info=original)
    await tell(interaction, SOMETHING_WRONG)


async def message_failed(message: discord.Message, error: BaseException) -> None:
    """Answering a message (a mention, a reply, a DM, a watched channel) failed with ``error``."""
    if isinstance(error, discord.HTTPException):
        # missing permissions in a channel, a deleted message, a rate limit: nothing to tell anyone
        log.warning("could not reply to message %s in channel %s: %s", message.id, message.channel.id, error)
        return
    log.error("error answering message %s in channel %s", message.id, message.channel.id, exc_info=error)
    try:
        await message.reply(SOMETHING_WRONG, mention_author=False)
    except discord.HTTPException as exc:
        log.warning("could not send an error message for message %s: %s", message.id, exc)


T = TypeVar("T")


def guarded(callback: Callable[[T, discord.Interaction], Awaitable[None]]):
    """For component callbacks, which the command tree's error handler does not see."""

    @functools.wraps(callback)
    async def wrapper(self: T, interaction: discord.Interaction) -> None:
        try:
            await callback(self, interaction)
        except Exception as exc:
            custom_id = getattr(getattr(self, "item", None), "custom_id", None) or type(self).__name__
            await interaction_failed(interaction, exc, f"component {custom_id}")

    return wrapper


class BriefTree(app_commands.CommandTree):
    """The bot's command tree: every slash command and autocomplete failure goes through the one guard."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        command = interaction.command.qualified_name if interaction.command else (
            (interaction.data or {}).get("name", "?"))
        await interaction_failed(interaction, error, f"/{command}")
