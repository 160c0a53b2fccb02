"""For the people who keep the knowledge base: ``/curator report`` (what to add next) and ``/curator reload``
(without a restart). One command group, in servers only, shown to members with Manage Server."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from ...core import limits
from ...core.limits import clip, visible
from ...core.report import DEFAULT_DAYS, build_report, report_discord
from ...core.store import DatabaseDamaged, QuestionLog, read_log

if TYPE_CHECKING:
    from ..client import BriefBot

log = logging.getLogger(__name__)


async def is_curator(interaction: discord.Interaction) -> bool:
    """Members with Manage Server, or the bot's owner."""
    perms = interaction.permissions
    if perms is not None and perms.manage_guild:
        return True
    client = interaction.client
    return isinstance(client, commands.Bot) and await client.is_owner(interaction.user)


@app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
@app_commands.allowed_installs(guilds=True, users=False)
@app_commands.default_permissions(manage_guild=True)
class Curator(commands.GroupCog, group_name="curator",
              group_description="For the curators of the knowledge base (Manage Server)"):
    def __init__(self, bot: "BriefBot"):
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await is_curator(interaction)  # False: the one guard says "You can't use that command here."

    @app_commands.command(name="report", description="What people asked that I could not answer")
    @app_commands.describe(days=f"How many days back to look (default {DEFAULT_DAYS:g})")
    async def report(self, interaction: discord.Interaction,
                     days: app_commands.Range[int, 1, 3650] = int(DEFAULT_DAYS)) -> None:
        store = self.bot.question_log
        if not isinstance(store, QuestionLog):
            await interaction.response.send_message(
                "The question log is turned off (BRIEFBOT_LOG_QUESTIONS=0), so there is nothing to report.",
                ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        engine = self.bot.engine
        since = time.time() - days * 86400

        def build() -> str:
            store.flush(5)
            # read-only: never creates, moves or changes the file
            questions, votes = read_log(store.path, since) if store.path.exists() else ([], [])
            # people's questions are echoed here: inside one code block they cannot close, and nothing in them
            # may reorder or hide the report's text
            return visible(report_discord(build_report(questions, votes, engine, since, limit=10),
                                          limits.EMBED_DESCRIPTION))

        try:
            text = await asyncio.to_thread(build)
        except DatabaseDamaged as exc:
            log.error("the question log %s is damaged: %s", store.path, exc)
            await interaction.followup.send("The question log is damaged; see the bot's log. Nothing was changed.",
                                            ephemeral=True)
            return
        except (sqlite3.Error, OSError) as exc:
            log.warning("could not read the question log for /report: %s", exc)
            await interaction.followup.send("I could not read the question log right now; see the bot's log.",
                                            ephemeral=True)
            return
        embed = discord.Embed(title=f"Curator report: the last {days} day(s)", description=text,
                              colour=discord.Colour.dark_teal())
        embed.set_footer(text="Full report: python -m bot report (also --json, --csv, --days N)")
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="reload", description="Reload the knowledge base from disk")
    async def reload(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        ok, message = await self.bot.reload_knowledge()
        if not ok:
            message = "Reload refused; I keep answering from the knowledge I had.\n" + message
        await interaction.followup.send(clip(message, limits.MESSAGE), ephemeral=True)


async def setup(bot: "BriefBot") -> None:
    await bot.add_cog(Curator(bot))
