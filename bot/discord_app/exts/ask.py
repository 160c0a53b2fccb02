"""Asking: /ask with autocomplete, and questions in channels (mentions, replies, DMs, watched channels)."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from ...core import limits
from ...core.limits import clip
from ...core.text import looks_like_question
from ..render import answer_reply
from .errors import cooldown_text

if TYPE_CHECKING:
    from ..client import BriefBot

log = logging.getLogger(__name__)

EMPTY_MENTION = ("Ask me something about the brief, for example: \u201cHow long is the Power of Siberia 2 "
                 "pipeline?\u201d \u2014 or use /ask, /topics or /help.")


class Ask(commands.Cog):
    def __init__(self, bot: "BriefBot"):
        self.bot = bot

    @app_commands.command(name="ask", description="Ask a question about the brief and get a cited answer")
    @app_commands.describe(question="Your question about the 2026 Beijing China-Russia summit brief",
                           private="Show the answer only to you (default: everyone in the channel sees it)")
    async def ask(self, interaction: discord.Interaction,
                  question: app_commands.Range[str, 1, limits.ASK_MAX_LENGTH], private: bool = False) -> None:
        wait = self.bot.cooldown.hit(interaction.user.id)
        if wait:
            await interaction.response.send_message(cooldown_text(wait), ephemeral=True)
            return
        answer, qid, engine = self.bot.ask(question, source="slash", user_id=interaction.user.id,
                                           guild_id=interaction.guild_id, channel_id=interaction.channel_id)
        reply = answer_reply(answer, engine.knowledge, question_id=qid)
        await interaction.response.send_message(**reply.kwargs(), ephemeral=private)
        if reply.view is not None:
            reply.view.interaction = interaction

    @ask.autocomplete("question")
    async def ask_autocomplete(self, interaction: discord.Interaction,
                               current: str) -> list[app_commands.Choice[str]]:
        choices = []
        seen: set[str] = set()
        for _, title in self.bot.engine.complete(current or "", limits.AUTOCOMPLETE_CHOICES):
            name = clip(title, limits.AUTOCOMPLETE_NAME)
            if name in seen:
                continue
            seen.add(name)
            choices.append(app_commands.Choice(name=name, value=clip(title, limits.AUTOCOMPLETE_VALUE)))
        return choices[: limits.AUTOCOMPLETE_CHOICES]

    # ------------------------------------------------------------------------------------------- messages

    def addressed(self, message: discord.Message) -> tuple[bool, str]:
        """Whether a message is for the bot, and where it came from ("dm", "mention", "reply", "channel")."""
        me = self.bot.user
        if me is None or message.author.bot or message.author.id == me.id:
            return False, ""
        if isinstance(message.channel, (discord.DMChannel, discord.GroupChannel)):
            return True, "dm"
        if me.id in message.raw_mentions:
            return True, "mention"
        ref = message.reference
        if ref is not None and isinstance(ref.resolved, discord.Message) and ref.resolved.author.id == me.id:
            return True, "reply"
        if message.channel.id in self.bot.channels:
            return True, "channel"
        return False, ""

    def question_of(self, message: discord.Message) -> str:
        me = self.bot.user
        text = message.content
        if me is not None:
            text = re.sub(rf"<@!?{me.id}>", " ", text)
        return " ".join(text.split())[: limits.MESSAGE]

    @staticmethod
    def previous_answer(message: discord.Message) -> str | None:
        """The entry behind the bot answer this message replies to (from that answer's passage button)."""
        ref = message.reference.resolved if message.reference else None
        for row in getattr(ref, "components", None) or []:
            for child in getattr(row, "children", []):
                custom_id = getattr(child, "custom_id", None) or ""
                if custom_id.startswith("bb:passage:"):
                    return custom_id.split(":")[-1]
        return None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        ok, source = self.addressed(message)
        if not ok:
            return
        question = self.question_of(message)
        try:
            if not question:
                await message.reply(EMPTY_MENTION, mention_author=False)
                return
            if source == "channel" and not looks_like_question(question):
                # In a watched channel people also chat: answer what reads as a question, or what the brief
                # answers, and stay quiet on the rest rather than saying "the brief doesn't cover that" to "lol".
                if not self.bot.engine.ask(question).answered:
                    return
            wait = self.bot.cooldown.hit(message.author.id)
            if wait:
                await message.reply(cooldown_text(wait), mention_author=False, delete_after=10)
                return
            previous = self.previous_answer(message)  # a reply to one of our answers, in a channel or a DM
            answer, qid, engine = self.bot.ask(question, follow_up_to=previous, source=source,
                                               user_id=message.author.id,
                                               guild_id=message.guild.id if message.guild
                                               else getattr(message.channel, "guild_id", None),
                                               channel_id=message.channel.id)
            reply = answer_reply(answer, engine.knowledge, question_id=qid)
            sent = await message.reply(**reply.kwargs(), mention_author=False)
            if reply.view is not None:
                reply.view.message = sent
        except discord.HTTPException as exc:
            # Missing permissions in a channel, a deleted message, a rate limit: log it, keep running.
            log.warning("could not reply to message %s in channel %s: %s", message.id, message.channel.id, exc)


async def setup(bot: "BriefBot") -> None:
    await bot.add_cog(Ask(bot))
