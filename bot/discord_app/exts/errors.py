"""One error handler for the whole command tree: log the traceback, tell the user kindly, never crash."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

log = logging.getLogger(__name__)

SOMETHING_WRONG = "Something went wrong on my side while answering. It has been logged; please try again."


def cooldown_text(seconds: float) -> str:
    return f"You're asking faster than I can keep up. Try again in {max(1, round(seconds))} s."


async def tell(interaction: discord.Interaction, text: str) -> None:
    """Say something ephemerally, whether or not the interaction was already answered; never raise."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning("could not send an error message for interaction %s: %s", interaction.id, exc)


class ErrorHandler(commands.Cog):
    def __init__(self, bot: commands.Bot):
        self.bot = bot
        self._previous = bot.tree.on_error
        bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(self, interaction: discord.Interaction,
                                   error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CommandOnCooldown):
            await tell(interaction, cooldown_text(error.retry_after))
            return
        if isinstance(error, app_commands.CheckFailure):
            await tell(interaction, "You can't use that command here.")
            return
        original = getattr(error, "original", error)
        if isinstance(original, discord.NotFound) and getattr(original, "code", None) == 10062:
            log.warning("interaction %s expired before the bot answered", interaction.id)
            return
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error("error in /%s (interaction %s)", command, interaction.id, exc_info=original)
        await tell(interaction, SOMETHING_WRONG)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ErrorHandler(bot))
