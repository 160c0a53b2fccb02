"""Where helpful / not-helpful votes go. The question-log store implements this; until then votes are logged."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Vote:
    helpful: bool
    kind: str  # "qa" | "fact"
    item_id: str
    user_id: int
    guild_id: int | None
    channel_id: int | None


class FeedbackSink(Protocol):
    def record_vote(self, vote: Vote, question_id: int | None = None) -> None: ...


class LogFeedback:
    """The stand-in sink: one log line per vote, nothing stored."""

    def __init__(self) -> None:
        self.count = 0

    def record_vote(self, vote: Vote, question_id: int | None = None) -> None:
        self.count += 1
        log.info("feedback: %s on %s:%s", "helpful" if vote.helpful else "not helpful", vote.kind, vote.item_id)
