"""What a click on one of the bot's buttons or menus does. Each is a ``DynamicItem`` registered on the bot: its
custom id (``ids``) carries what it needs, so a click works at any time, after a restart too, or says clearly
that the question has since left the knowledge base.

Clicks that give an answer share the per-user cooldown of questions. Every callback runs inside the one guard.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from ..core.feedback import Vote
from . import ids
from .guard import cooldown_text, guarded
from .render import answer_reply, passage_embeds, topic_questions_reply

if TYPE_CHECKING:
    from .client import BriefBot

log = logging.getLogger(__name__)

EXPIRED = "That question is no longer in the knowledge base (it has been updated since). Try /ask or /topics."
OLD_VOTE = "That button is from an older answer that I can't match to a question any more. Ask again to vote."


def _bot(interaction: discord.Interaction) -> "BriefBot":
    return interaction.client  # type: ignore[return-value]


async def _slowed(interaction: discord.Interaction) -> bool:
    """The per-user cooldown, for clicks that give an answer: True (and said) when the user must wait."""
    wait = _bot(interaction).cooldown.hit(interaction.user.id)
    if wait:
        await interaction.response.send_message(cooldown_text(wait), ephemeral=True)
    return bool(wait)


async def send_answer(interaction: discord.Interaction, entry_id: str) -> None:
    """Answer a known entry for the person who clicked, ephemerally."""
    if await _slowed(interaction):
        return
    bot = _bot(interaction)
    engine = bot.engine
    answer = engine.answer_entry(entry_id)
    if answer is None:
        await interaction.response.send_message(EXPIRED, ephemeral=True)
        return
    qid = bot.record_answer(answer, engine, source="button", user_id=interaction.user.id,
                            guild_id=interaction.guild_id, channel_id=interaction.channel_id)
    reply = answer_reply(answer, engine.knowledge, question_id=qid)
    await interaction.response.send_message(**reply.kwargs(), ephemeral=True)


class AskButton(discord.ui.DynamicItem[discord.ui.Button], template=ids.ASK):
    """A question the bot can answer (related, "did you mean", or a suggestion): click to get its answer."""

    def __init__(self, entry_id: str):
        super().__init__(discord.ui.Button(custom_id=ids.ask(entry_id)))
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> "AskButton":
        return cls(match["id"])

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await send_answer(interaction, self.entry_id)


class PassageButton(discord.ui.DynamicItem[discord.ui.Button], template=ids.PASSAGE):
    """Shows the full paragraph(s) an answer cites, ephemerally."""

    def __init__(self, kind: str, item_id: str):
        super().__init__(discord.ui.Button(custom_id=ids.passage(kind, item_id)))
        self.kind = kind
        self.item_id = item_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> "PassageButton":
        return cls(match["kind"], match["id"])

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        if await _slowed(interaction):
            return
        knowledge = _bot(interaction).engine.knowledge
        if self.kind == "qa":
            entry = knowledge.entry(self.item_id)
            cits = entry.citations if entry else ()
        else:
            fact = knowledge.fact(self.item_id)
            cits = (fact.citation,) if fact else ()
        paragraphs = []
        for c in cits:
            p = knowledge.paragraph(c.paragraph_id)
            if p is not None and p not in paragraphs:
                paragraphs.append(p)
        if not paragraphs:
            await interaction.response.send_message(EXPIRED, ephemeral=True)
            return
        await interaction.response.send_message(embeds=passage_embeds(paragraphs, knowledge.brief.meta),
                                                ephemeral=True)


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button], template=ids.VOTE):
    """Helpful / not helpful on one answered question. Anyone who sees the answer may vote; the store keeps one
    vote per person per question (a second click replaces the first). Votes on what the knowledge base does not
    hold, or without the question they are about, are not recorded."""

    def __init__(self, helpful: bool, kind: str, item_id: str, question_id: int | None = None):
        super().__init__(discord.ui.Button(custom_id=ids.vote(helpful, kind, item_id, question_id)))
        self.helpful = helpful
        self.kind = kind
        self.item_id = item_id
        self.question_id = question_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> "FeedbackButton":
        return cls(match["vote"] == "up", match["kind"], match["id"], int(match["q"]) if match["q"] else None)

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        knowledge = bot.engine.knowledge
        known = knowledge.entry(self.item_id) if self.kind == "qa" else knowledge.fact(self.item_id)
        if known is None:
            log.info("vote ignored: %s:%s is not in the knowledge base", self.kind, self.item_id)
            await interaction.response.send_message(EXPIRED, ephemeral=True)
            return
        if self.question_id is None:
            await interaction.response.send_message(OLD_VOTE, ephemeral=True)
            return
        vote = Vote(self.helpful, self.kind, self.item_id, interaction.user.id, interaction.guild_id,
                    interaction.channel_id)
        try:
            bot.feedback.record_vote(vote, self.question_id)
        except Exception:  # a broken store must not turn a thank-you into an error
            log.exception("could not record feedback on %s:%s", self.kind, self.item_id)
        text = ("Thanks, glad it helped." if self.helpful
                else "Thanks for telling us. The curator will look at this answer.")
        await interaction.response.send_message(text + " (Clicking again replaces your vote.)", ephemeral=True)


class TopicSelect(discord.ui.DynamicItem[discord.ui.Select], template=ids.TOPICS):
    """The topics menu of /topics: choosing one shows its questions."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Select(custom_id=ids.topics()))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select,
                             match: re.Match[str]) -> "TopicSelect":
        return cls()

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        values = (interaction.data or {}).get("values") or []
        reply = topic_questions_reply(_bot(interaction).engine.knowledge, values[0] if values else "")
        await interaction.response.send_message(**reply.kwargs(), ephemeral=True)


class TopicQuestionSelect(discord.ui.DynamicItem[discord.ui.Select], template=ids.TOPIC_QUESTIONS):
    """A topic's questions: choosing one answers it."""

    def __init__(self, topic_id: str):
        super().__init__(discord.ui.Select(custom_id=ids.topic_questions(topic_id)))
        self.topic_id = topic_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select,
                             match: re.Match[str]) -> "TopicQuestionSelect":
        return cls(match["topic"])

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        values = (interaction.data or {}).get("values") or []
        await send_answer(interaction, values[0] if values else "")


ALL: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    AskButton, PassageButton, FeedbackButton, TopicSelect, TopicQuestionSelect)
