"""Buttons and select menus. Each is a ``DynamicItem``: its custom id carries what it needs (``bb:ask:<entry>``),
so a click still works after a restart, or says clearly that the question has since left the knowledge base.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from ..core import limits
from ..core.feedback import Vote
from ..core.limits import clip
from ..core.models import Knowledge, QAEntry

if TYPE_CHECKING:
    from .client import BriefBot

log = logging.getLogger(__name__)

EXPIRED = "That question is no longer in the knowledge base (it has been updated since). Try /ask or /topics."
_ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"


def guarded(callback):
    """Buttons and menus are not commands, so the command tree's error handler does not see their failures:
    log them here and tell the person who clicked, privately, instead of leaving "interaction failed"."""

    @functools.wraps(callback)
    async def wrapper(self, interaction: discord.Interaction) -> None:
        try:
            await callback(self, interaction)
        except Exception:
            log.exception("error in component %s", getattr(self, "custom_id", type(self).__name__))
            from .exts.errors import SOMETHING_WRONG, tell

            await tell(interaction, SOMETHING_WRONG)

    return wrapper


def _bot(interaction: discord.Interaction) -> "BriefBot":
    return interaction.client  # type: ignore[return-value]


async def send_answer(interaction: discord.Interaction, entry_id: str) -> None:
    """Answer a known entry for the person who clicked, ephemerally."""
    from .render import answer_reply  # late import: render imports this module

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
    if reply.view is not None:
        reply.view.interaction = interaction


class AskButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"bb:ask:(?P<id>{_ID})"):
    """A question the bot can answer (related, "did you mean", or a suggestion): click to get its answer."""

    def __init__(self, entry_id: str, label: str = "Ask", row: int | None = None):
        super().__init__(discord.ui.Button(label=clip(label, limits.BUTTON_LABEL), style=discord.ButtonStyle.secondary,
                                           custom_id=f"bb:ask:{entry_id}"), row=row)
        self.entry_id = entry_id

    @classmethod
    def make(cls, entry_id: str, title: str, row: int | None = None) -> "AskButton":
        return cls(entry_id, title, row)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> "AskButton":
        return cls(match["id"], item.label or "Ask")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await send_answer(interaction, self.entry_id)


class PassageButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"bb:passage:(?P<kind>qa|fact):(?P<id>{_ID})"):
    """Shows the full paragraph(s) an answer cites, ephemerally."""

    def __init__(self, kind: str, item_id: str):
        super().__init__(discord.ui.Button(label="Show passage", emoji="\U0001f4c4", style=discord.ButtonStyle.primary,
                                           custom_id=f"bb:passage:{kind}:{item_id}"), row=0)
        self.kind = kind
        self.item_id = item_id

    @classmethod
    def make(cls, kind: str, item_id: str) -> "PassageButton":
        return cls(kind, item_id)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> "PassageButton":
        return cls(match["kind"], match["id"])

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        from .render import passage_embeds

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


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button],
                     template=rf"bb:fb:(?P<vote>up|down):(?P<kind>qa|fact):(?P<id>{_ID})(?::(?P<q>\d{{1,16}}))?"):
    """Helpful / not helpful: acknowledged ephemerally, handed to the bot's feedback sink with the question."""

    def __init__(self, helpful: bool, kind: str, item_id: str, question_id: int | None = None):
        vote = "up" if helpful else "down"
        tail = f":{question_id}" if question_id else ""
        super().__init__(discord.ui.Button(
            label="Helpful" if helpful else "Not helpful",
            emoji="\U0001f44d" if helpful else "\U0001f44e",
            style=discord.ButtonStyle.secondary,
            custom_id=f"bb:fb:{vote}:{kind}:{item_id}{tail}"), row=0)
        self.helpful = helpful
        self.kind = kind
        self.item_id = item_id
        self.question_id = question_id

    @classmethod
    def make(cls, helpful: bool, kind: str, item_id: str, question_id: int | None = None) -> "FeedbackButton":
        return cls(helpful, kind, item_id, question_id)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> "FeedbackButton":
        return cls(match["vote"] == "up", match["kind"], match["id"], int(match["q"]) if match["q"] else None)

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        vote = Vote(self.helpful, self.kind, self.item_id, interaction.user.id, interaction.guild_id,
                    interaction.channel_id)
        try:
            bot.feedback.record_vote(vote, self.question_id)
        except Exception:  # a broken store must not turn a thank-you into an error
            log.exception("could not record feedback on %s:%s", self.kind, self.item_id)
        text = ("Thanks, glad it helped." if self.helpful
                else "Thanks for telling us. The curator will look at this answer.")
        await interaction.response.send_message(text, ephemeral=True)


class TopicSelect(discord.ui.DynamicItem[discord.ui.Select], template=r"bb:topics"):
    """/topics: pick a topic to see its questions."""

    def __init__(self, options: list[discord.SelectOption] | None = None):
        super().__init__(discord.ui.Select(custom_id="bb:topics", placeholder="Choose a topic\u2026",
                                           options=options or [discord.SelectOption(label="\u2026", value="none")]))

    @classmethod
    def make(cls, knowledge: Knowledge) -> "TopicSelect":
        options = [discord.SelectOption(label=clip(t.title, limits.SELECT_OPTION_LABEL), value=t.id,
                                        description=clip(t.description, limits.SELECT_OPTION_DESCRIPTION))
                   for t in knowledge.topics[: limits.SELECT_OPTIONS]]
        return cls(options)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select,
                             match: re.Match[str]) -> "TopicSelect":
        return cls(list(item.options) or None)

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        from .render import topic_questions_reply

        topic_id = self.item.values[0] if self.item.values else ""
        reply = topic_questions_reply(_bot(interaction).engine.knowledge, topic_id)
        await interaction.response.send_message(**reply.kwargs(), ephemeral=True)
        if reply.view is not None:
            reply.view.interaction = interaction


class TopicQuestionSelect(discord.ui.DynamicItem[discord.ui.Select], template=rf"bb:tq:(?P<topic>{_ID})"):
    """A topic's questions: choosing one answers it."""

    def __init__(self, topic_id: str, options: list[discord.SelectOption] | None = None):
        super().__init__(discord.ui.Select(custom_id=f"bb:tq:{topic_id}", placeholder="Choose a question\u2026",
                                           options=options or [discord.SelectOption(label="\u2026", value="none")]))
        self.topic_id = topic_id

    @classmethod
    def make(cls, topic_id: str, entries: list[QAEntry]) -> "TopicQuestionSelect":
        options = [discord.SelectOption(label=clip(e.title, limits.SELECT_OPTION_LABEL), value=e.id)
                   for e in entries[: limits.SELECT_OPTIONS]]
        return cls(topic_id, options)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select,
                             match: re.Match[str]) -> "TopicQuestionSelect":
        return cls(match["topic"], list(item.options) or None)

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        entry_id = self.item.values[0] if self.item.values else ""
        await send_answer(interaction, entry_id)


ALL: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    AskButton, PassageButton, FeedbackButton, TopicSelect, TopicQuestionSelect)
