"""Turn core answers into Discord messages: embeds, plain text and the views that go with them.

Everything here stays inside Discord's limits (``bot.core.limits``); tests assert it on the longest answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import discord

from ..core import limits
from ..core.limits import clip, inert
from ..core.models import Answer, BriefMeta, Knowledge, Paragraph, Status
from ..core.render import ABSTAIN_TEXT, CLARIFY_TEXT
from . import ids

log = logging.getLogger(__name__)

COLOUR_ANSWER = discord.Colour.from_rgb(46, 134, 222)
COLOUR_CLARIFY = discord.Colour.from_rgb(241, 196, 15)
COLOUR_INFO = discord.Colour.from_rgb(99, 110, 114)


def safe(text: str) -> str:
    """User text made inert: no markdown, no mentions."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def footer(meta: BriefMeta) -> str:
    return clip(f"Source: {meta.title} \u00b7 {meta.series} Vol.{meta.volume} No.{meta.number}, {meta.year}",
                limits.EMBED_FOOTER)


@dataclass(slots=True)
class Reply:
    """One message to send: what ``send_message`` / ``reply`` take as keyword arguments."""

    content: str | None = None
    embed: discord.Embed | None = None
    embeds: list[discord.Embed] | None = None
    view: discord.ui.View | None = None

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.content is not None:
            out["content"] = self.content
        if self.embed is not None:
            out["embed"] = self.embed
        if self.embeds:
            out["embeds"] = self.embeds
        if self.view is not None:
            out["view"] = self.view
        return out


class Layout(discord.ui.View):
    """The buttons and menus of one message, as a layout only.

    Every custom id on it (``ids``) is handled by a ``DynamicItem`` class the bot registers (``components``), so
    a click works at any time, after a restart too, and discord.py keeps nothing per message: no view store
    entry, no timeout, nothing to disable later."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    def is_dispatchable(self) -> bool:
        return False

    def is_finished(self) -> bool:  # never listening, so never stored: discord.py checks this before storing
        return True

    def button(self, label: str, custom_id: str, *, row: int, emoji: str | None = None,
               style: discord.ButtonStyle = discord.ButtonStyle.secondary) -> None:
        self.add_item(discord.ui.Button(label=clip(label, limits.BUTTON_LABEL), custom_id=custom_id, emoji=emoji,
                                        style=style, row=row))

    def menu(self, custom_id: str, placeholder: str, options: list[discord.SelectOption]) -> None:
        self.add_item(discord.ui.Select(custom_id=custom_id, placeholder=placeholder,
                                        options=options[: limits.SELECT_OPTIONS]))


def _same_words(a: str, b: str) -> bool:
    return " ".join(a.casefold().strip(" ?!.").split()) == " ".join(b.casefold().strip(" ?!.").split())


def answer_embed(answer: Answer, meta: BriefMeta, *, title: str = "Answer", asked: str | None = None) -> discord.Embed:
    """``title``: the question the bot answered (never the user's raw words); ``asked``: the user's words, shown
    small above it when they differ."""
    text = answer.text
    if answer.read_as:  # matched by meaning: say what the bot took the question for, so it can be checked
        text = f"*Read as: {safe(inert(answer.read_as))}*\n\n{text}"
    embed = discord.Embed(title=clip(title, limits.EMBED_TITLE), description=clip(text, limits.EMBED_DESCRIPTION),
                          colour=COLOUR_ANSWER)
    asked = inert(asked or "")
    if asked and not _same_words(asked, title):
        # an author line is not markdown: only mentions need making inert
        embed.set_author(name=clip(f"You asked: \u201c{discord.utils.escape_mentions(asked)}\u201d",
                                   limits.EMBED_AUTHOR))
    for c in answer.citations[: limits.EMBED_FIELDS]:
        embed.add_field(name=clip(c.ref, limits.EMBED_FIELD_NAME),
                        value=clip(f"> \u201c{c.quote}\u201d", limits.EMBED_FIELD_VALUE), inline=False)
    embed.set_footer(text=footer(meta))
    while len(embed) > limits.EMBED_TOTAL and embed.fields:
        embed.remove_field(-1)
    return embed


def answered_title(answer: Answer, knowledge: Knowledge) -> str:
    """The question an answer answers: its entry's title; for a fact, where it comes from."""
    entry = knowledge.entry(answer.match.id) if answer.match.kind == "qa" and answer.match.id else None
    return entry.title if entry is not None else "From the brief"


def answer_reply(answer: Answer, knowledge: Knowledge, *, view: bool = True, question_id: int | None = None) -> Reply:
    """The reply for any outcome: answered (embed + buttons), clarify (candidates), abstained (suggestions)."""
    meta = knowledge.brief.meta
    if answer.status is Status.ANSWERED:
        v = Layout() if view else None
        kind, item = answer.match.kind, answer.match.id
        if v is not None and kind and item:
            v.button("Show passage", ids.passage(kind, item), emoji="\U0001f4c4", style=discord.ButtonStyle.primary,
                     row=0)
            v.button("Helpful", ids.vote(True, kind, item, question_id), emoji="\U0001f44d", row=0)
            v.button("Not helpful", ids.vote(False, kind, item, question_id), emoji="\U0001f44e", row=0)
            for eid in answer.candidates[:3]:
                e = knowledge.entry(eid)
                if e is not None:
                    v.button(e.title, ids.ask(eid), row=1)
        embed = answer_embed(answer, meta, title=answered_title(answer, knowledge), asked=answer.question)
        return Reply(embed=embed, view=v)
    v = Layout() if view else None
    if v is not None:
        for n, eid in enumerate(answer.candidates[:5]):
            e = knowledge.entry(eid)
            if e is not None:
                v.button(e.title, ids.ask(eid), row=n // 3 if n < 3 else 1)
    lines = [f"- {clip(s, 200)}" for s in answer.suggestions[:5]]
    if answer.status is Status.CLARIFY:
        embed = discord.Embed(title="Did you mean\u2026", description=CLARIFY_TEXT + "\n" + "\n".join(lines),
                              colour=COLOUR_CLARIFY)
        embed.set_footer(text=footer(meta))
        return Reply(embed=embed, view=v)
    intro = f"**{ABSTAIN_TEXT}**"
    if lines:
        intro += "\nQuestions I can answer:\n" + "\n".join(lines)
    return Reply(content=clip(intro, limits.MESSAGE), view=v)


def passage_embeds(paragraphs: list[Paragraph], meta: BriefMeta) -> list[discord.Embed]:
    """The full cited paragraphs, one embed each, within the 6,000-character total for a message."""
    embeds: list[discord.Embed] = []
    budget = limits.EMBED_TOTAL
    for p in paragraphs[:10]:
        title = clip(p.ref, limits.EMBED_TITLE)
        foot = footer(meta)
        room = budget - len(title) - len(foot) - 10
        if room < 200:
            break
        e = discord.Embed(title=title, description=clip(p.text, min(limits.EMBED_DESCRIPTION, room)),
                          colour=COLOUR_INFO)
        e.set_footer(text=foot)
        budget -= len(e)
        embeds.append(e)
    return embeds


def brief_embed(knowledge: Knowledge) -> discord.Embed:
    meta = knowledge.brief.meta
    abstract = knowledge.paragraph("abstract.1")
    embed = discord.Embed(title=clip(meta.title, limits.EMBED_TITLE),
                          description=clip(abstract.text if abstract else "", limits.EMBED_DESCRIPTION),
                          colour=COLOUR_INFO)
    embed.add_field(name="Author", value=clip(f"{meta.author} ({meta.contact})", limits.EMBED_FIELD_VALUE))
    embed.add_field(name="Publisher", value=clip(meta.publisher, limits.EMBED_FIELD_VALUE))
    embed.add_field(name="Series", value=f"{meta.series} Vol.{meta.volume} No.{meta.number}, {meta.year}")
    embed.add_field(name="Keywords", value=clip(", ".join(meta.keywords), limits.EMBED_FIELD_VALUE), inline=False)
    sections = [s.title for s in knowledge.brief.sections if s.id not in {"front", "keywords"}]
    embed.add_field(name="Sections", value=clip(" \u00b7 ".join(sections), limits.EMBED_FIELD_VALUE), inline=False)
    embed.set_footer(text="Ask about it with /ask, or mention me with a question.")
    return embed


def help_embed(knowledge: Knowledge, channels: bool) -> discord.Embed:
    meta = knowledge.brief.meta
    lines = [
        f"I answer questions about **{meta.title}** ({meta.series} Vol.{meta.volume} No.{meta.number}, "
        f"{meta.year}) by {meta.author}, with the passage and a verbatim quote for every answer.",
        "",
        "**/ask** `question` \u2014 a cited answer; start typing to see questions I know. `private: True` "
        "shows the answer to you only.",
        "**/topics** \u2014 browse what I can answer, topic by topic.",
        "**/fact** \u2014 a random fact from the brief, with its source.",
        "**/brief** \u2014 what the brief is: author, publisher, abstract, sections.",
        "",
        "You can also mention me with a question, reply to one of my answers, or send me a direct message."
        + (" In this server's Q&A channels I answer every message." if channels else ""),
        "",
        "If the brief doesn't say something, I tell you so and suggest what I can answer. I never guess.",
        "Curators (Manage Server): **/curator report** shows what people asked that I could not answer; "
        "**/curator reload** loads an edited knowledge base without a restart.",
        "Buttons: **Show passage** shows the whole paragraph; \U0001f44d/\U0001f44e tell the curator how I did "
        "(one vote each; clicking again replaces it).",
    ]
    embed = discord.Embed(title="How to use briefbot", description=clip("\n".join(lines), limits.EMBED_DESCRIPTION),
                          colour=COLOUR_INFO)
    embed.set_footer(text=footer(meta))
    return embed


def fact_embed(answer: Answer, meta: BriefMeta, topic_title: str | None) -> discord.Embed:
    embed = answer_embed(answer, meta)
    embed.title = clip("Did you know?" + (f" \u00b7 {topic_title}" if topic_title else ""), limits.EMBED_TITLE)
    return embed


def topics_reply(knowledge: Knowledge) -> Reply:
    lines = [f"**{t.title}** \u2014 {t.description}" for t in knowledge.topics]
    embed = discord.Embed(title="Topics in the brief", description=clip("\n".join(lines), limits.EMBED_DESCRIPTION),
                          colour=COLOUR_INFO)
    embed.set_footer(text="Pick a topic below to see its questions.")
    view = Layout()
    view.menu(ids.topics(), "Choose a topic\u2026",
              [discord.SelectOption(label=clip(t.title, limits.SELECT_OPTION_LABEL), value=t.id,
                                    description=clip(t.description, limits.SELECT_OPTION_DESCRIPTION))
               for t in knowledge.topics])
    return Reply(embed=embed, view=view)


def topic_questions_reply(knowledge: Knowledge, topic_id: str) -> Reply:
    topic = knowledge.topic(topic_id)
    if topic is None:
        return Reply(content="That topic no longer exists; run /topics again.")
    entries = [e for e in knowledge.entries if e.topic == topic_id]
    shown = entries[: limits.SELECT_OPTIONS]
    more = f"\n\u2026and {len(entries) - len(shown)} more: ask with /ask." if len(entries) > len(shown) else ""
    embed = discord.Embed(title=clip(topic.title, limits.EMBED_TITLE),
                          description=clip(f"{topic.description}\nChoose a question below.{more}",
                                           limits.EMBED_DESCRIPTION), colour=COLOUR_INFO)
    view = Layout()
    if shown:
        view.menu(ids.topic_questions(topic_id), "Choose a question\u2026",
                  [discord.SelectOption(label=clip(e.title, limits.SELECT_OPTION_LABEL), value=e.id) for e in shown])
    return Reply(embed=embed, view=view)
