"""The custom ids of the bot's buttons and menus: what ``render`` puts on a message and ``components`` reads back.

A custom id carries everything a click needs (``bb:ask:<entry>``), so a click works whenever it comes, after a
restart too. Discord refuses a message with a custom id over 100 characters; ``bot.core.limits.ITEM_ID`` is the
longest entry or fact id that keeps every id below within that (the knowledge check enforces it).
"""

from __future__ import annotations

ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"

ASK = rf"bb:ask:(?P<id>{ID})"
PASSAGE = rf"bb:passage:(?P<kind>qa|fact):(?P<id>{ID})"
VOTE = rf"bb:fb:(?P<vote>up|down):(?P<kind>qa|fact):(?P<id>{ID})(?::(?P<q>\d{{1,16}}))?"
TOPICS = r"bb:topics"
TOPIC_QUESTIONS = rf"bb:tq:(?P<topic>{ID})"


def ask(entry_id: str) -> str:
    return f"bb:ask:{entry_id}"


def passage(kind: str, item_id: str) -> str:
    return f"bb:passage:{kind}:{item_id}"


def vote(helpful: bool, kind: str, item_id: str, question_id: int | None = None) -> str:
    tail = f":{question_id}" if question_id else ""
    return f"bb:fb:{'up' if helpful else 'down'}:{kind}:{item_id}{tail}"


def topics() -> str:
    return "bb:topics"


def topic_questions(topic_id: str) -> str:
    return f"bb:tq:{topic_id}"


def all_for(kind: str, item_id: str, question_id: int) -> list[str]:
    """Every custom id the bot can build for one entry or fact."""
    out = [passage(kind, item_id), vote(True, kind, item_id, question_id), vote(False, kind, item_id, question_id)]
    return out + ([ask(item_id)] if kind == "qa" else [])
