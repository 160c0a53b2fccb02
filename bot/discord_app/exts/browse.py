"""Browsing: /topics, /brief, /fact and /help."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from ...core import limits
from ...core.limits import clip
from ..render import brief_embed, fact_embed, help_embed, topics_reply

if TYPE_CHECKING:
    from ..client import BriefBot


class Browse(commands.Cog):
    def __init__(self, bot: "BriefBot", rng: random.Random | None = None):
        self.bot = bot
        self.rng = rng or random.Random()

    @app_commands.command(name="topics", description="Browse the topics of the brief and the questions I can answer")
    async def topics(self, interaction: discord.Interaction) -> None:
        reply = topics_reply(self.bot.engine.knowledge)
        await interaction.response.send_message(**reply.kwargs(), ephemeral=True)
        reply.view.interaction = interaction

    @app_commands.command(name="brief", description="What the source is: title, author, publisher, abstract")
    async def brief(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=brief_embed(self.bot.engine.knowledge))

    @app_commands.command(name="fact", description="A random fact from the brief, with its citation")
    @app_commands.describe(topic="Only facts about this topic")
    async def fact(self, interaction: discord.Interaction, topic: str | None = None) -> None:
        engine = self.bot.engine
        knowledge = engine.knowledge
        facts = [f for f in knowledge.facts if topic is None or f.topic == topic]
        if not facts:
            await interaction.response.send_message(
                "I have no facts under that topic. Pick one from the list, or leave it empty.", ephemeral=True)
            return
        fact = self.rng.choice(facts)
        answer = engine.answer_fact(fact.id)
        t = knowledge.topic(fact.topic)
        await interaction.response.send_message(
            embed=fact_embed(answer, knowledge.brief.meta, t.title if t else None))

    @fact.autocomplete("topic")
    async def fact_topic_autocomplete(self, interaction: discord.Interaction,
                                      current: str) -> list[app_commands.Choice[str]]:
        needle = current.casefold().strip()
        return [app_commands.Choice(name=clip(t.title, limits.AUTOCOMPLETE_NAME), value=t.id)
                for t in self.bot.engine.knowledge.topics
                if not needle or needle in t.title.casefold() or needle in t.id][: limits.AUTOCOMPLETE_CHOICES]

    @app_commands.command(name="help", description="How to use briefbot")
    async def help(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            embed=help_embed(self.bot.engine.knowledge, bool(self.bot.channels)), ephemeral=True)


async def setup(bot: "BriefBot") -> None:
    await bot.add_cog(Browse(bot))
