"""Asking: /ask with autocomplete, and questions in channels (mentions, replies, DMs, watched channels)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from ...core import limits
from ...core.limits import clip
from ...core.text import looks_like_question
from .. import ids
from ..components import EXPIRED
from ..guard import cooldown_text, message_failed
from ..render import Reply, answer_reply

if TYPE_CHECKING:
    from ..client import BriefBot

log = logging.getLogger(__name__)

EMPTY_MENTION = ("Ask me something about the brief, for example: \u201cHow long is the Power of Siberia 2 "
                 "pipeline?\u201d \u2014 or use /ask, /topics or /help.")
REPLY_UNREAD = ("Discord doesn't show me the text of a reply that doesn't mention me. Keep the @ on when you "
                "reply to me, mention me, or use /ask.")
PICK = "qa:"  # an autocomplete choice's value: the entry itself, so a pick gives exactly that entry
SLOWED = "\u23f3"  # the reaction that says "too fast" in a watched channel, where a reply would be noise
ANSWERED_TYPES = (discord.MessageType.default, discord.MessageType.reply)


_PICKED = re.compile(rf"{PICK}(?P<id>{ids.ID})")


def picked_entry(question: str) -> str | None:
    """The entry id of an autocomplete pick (``qa:<id>``), or None for a question typed in full."""
    m = _PICKED.fullmatch(question.strip())
    return m["id"] if m else None


async def respond(interaction: discord.Interaction, reply: Reply, *, ephemeral: bool) -> None:
    """Send ``reply`` as the interaction's response, or as its follow-up once it was deferred."""
    if interaction.response.is_done():
        await interaction.followup.send(**reply.kwargs(), ephemeral=ephemeral)
    else:
        await interaction.response.send_message(**reply.kwargs(), ephemeral=ephemeral)


class Ask(commands.Cog):
    def __init__(self, bot: "BriefBot"):
        self.bot = bot

    @app_commands.command(name="ask", description="Ask a question about the brief and get a cited answer")
    @app_commands.describe(question="Your question about the 2026 Beijing China-Russia summit brief",
                           private="Show the answer only to you (default: everyone in the channel sees it)")
    async def ask(self, interaction: discord.Interaction,
                  question: app_commands.Range[str, 1, limits.ASK_MAX_LENGTH], private: bool = False) -> None:
        bot = self.bot
        wait = bot.cooldown.hit(interaction.user.id)
        if wait:
            await interaction.response.send_message(cooldown_text(wait), ephemeral=True)
            return
        where = dict(user_id=interaction.user.id, guild_id=interaction.guild_id, channel_id=interaction.channel_id)
        entry_id = picked_entry(question)
        if entry_id is not None:
            engine = bot.engine
            answer = engine.answer_entry(entry_id)
            if answer is None:
                await interaction.response.send_message(EXPIRED, ephemeral=True)
                return
            qid = bot.record_answer(answer, engine, source="slash", **where)
        else:
            job = asyncio.ensure_future(bot.off_loop(bot.match, question))
            done, _ = await asyncio.wait({job}, timeout=bot.defer_after)
            if not done:  # Discord wants a response within 3 seconds: say "thinking" and answer when ready
                job.add_done_callback(lambda j: j.cancelled() or j.exception())
                await interaction.response.defer(ephemeral=private, thinking=True)
            answer, engine, elapsed = await job
            qid = bot.log_question(answer, engine, elapsed, source="slash", **where)
        await respond(interaction, answer_reply(answer, engine.knowledge, question_id=qid), ephemeral=private)

    @ask.autocomplete("question")
    async def ask_autocomplete(self, interaction: discord.Interaction,
                               current: str) -> list[app_commands.Choice[str]]:
        choices = []
        seen: set[str] = set()
        completions = await self.bot.off_loop(self.bot.engine.complete, current or "", limits.AUTOCOMPLETE_CHOICES)
        for entry_id, title in completions:
            name = clip(title, limits.AUTOCOMPLETE_NAME)
            value = PICK + entry_id
            if name in seen or len(value) > limits.AUTOCOMPLETE_VALUE:
                continue
            seen.add(name)
            choices.append(app_commands.Choice(name=name, value=value))
        return choices[: limits.AUTOCOMPLETE_CHOICES]

    # ------------------------------------------------------------------------------------------- messages

    def _my_role(self, message: discord.Message) -> int | None:
        """The id of the bot's own role in the message's server (Discord often offers it instead of the bot)."""
        role = message.guild.self_role if message.guild is not None else None
        return role.id if role is not None else None

    def addressed(self, message: discord.Message) -> tuple[bool, str]:
        """Whether a message is for the bot, and where it came from ("dm", "mention", "reply", "channel")."""
        me = self.bot.user
        if me is None or message.author.bot or message.author.id == me.id:
            return False, ""
        if isinstance(message.channel, (discord.DMChannel, discord.GroupChannel)):
            return True, "dm"
        if me.id in message.raw_mentions:
            return True, "mention"
        role = self._my_role(message)
        if role is not None and role in message.raw_role_mentions:
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
        role = self._my_role(message)
        if role is not None:
            text = text.replace(f"<@&{role}>", " ")
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
        if not ok or message.type not in ANSWERED_TYPES:  # pins, joins, boosts and other system messages
            return
        try:
            await self._answer_message(message, source)
        except Exception as exc:
            await message_failed(message, exc)

    async def _answer_message(self, message: discord.Message, source: str) -> None:
        bot = self.bot
        question = self.question_of(message)
        if not question and source == "channel":
            return  # an image, a sticker, an embed: nothing to answer, and a watched channel wants no hint
        chat = source == "channel" and not looks_like_question(question)
        wait = bot.cooldown.hit(message.author.id)
        if wait:
            # one notice per person per window; in a watched channel a reaction, and none for chit-chat
            if not chat and bot.cooldown.notice(message.author.id):
                if source == "channel":
                    await message.add_reaction(SLOWED)
                else:
                    await message.reply(cooldown_text(wait), mention_author=False, delete_after=10)
            return
        if not question:
            if source == "reply" and not bot.intents.message_content:
                await message.reply(REPLY_UNREAD, mention_author=False)
            elif source != "reply":
                await message.reply(EMPTY_MENTION, mention_author=False)
            return
        previous = self.previous_answer(message)  # a reply to one of our answers, in a channel or a DM
        answer, engine, elapsed = await bot.match_message(question, previous)
        if chat and not answer.answered:
            # In a watched channel people also chat: answer what reads as a question, or what the brief answers,
            # and stay quiet on the rest rather than saying "the brief doesn't cover that" to "lol".
            return
        guild_id = message.guild.id if message.guild else getattr(message.channel, "guild_id", None)
        qid = bot.log_question(answer, engine, elapsed, source=source, user_id=message.author.id,
                               guild_id=guild_id, channel_id=message.channel.id)
        reply = answer_reply(answer, engine.knowledge, question_id=qid)
        await message.reply(**reply.kwargs(), mention_author=False)


async def setup(bot: "BriefBot") -> None:
    await bot.add_cog(Ask(bot))
