"""The data the core works with: small frozen dataclasses, nothing that knows about Discord."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


FACT_PREFIX = "fact:"  # near_misses.yaml lists a fact's near misses under "fact:<fact id>" (ids may coincide)


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of the brief, repaired and verbatim."""

    id: str  # "<section id>.<n>", e.g. "pos2.3"
    section_id: str
    section_title: str
    number: int  # 1-based within its section
    text: str

    @property
    def ref(self) -> str:
        """Human-readable reference, e.g. "Power of Siberia 2, ¶3"."""
        return f"{self.section_title}, \u00b6{self.number}"


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    paragraphs: tuple[Paragraph, ...]


@dataclass(frozen=True, slots=True)
class BriefMeta:
    title: str
    series: str
    volume: int
    number: int
    year: int
    author: str
    contact: str
    publisher: str
    keywords: tuple[str, ...]
    source: str

    @property
    def citation_line(self) -> str:
        """How the brief is named in footers: title and series numbering."""
        return f"{self.title} ({self.publisher} {self.series} Vol.{self.volume} No.{self.number}, {self.year})"


@dataclass(frozen=True, slots=True)
class Brief:
    meta: BriefMeta
    sections: tuple[Section, ...]

    def paragraphs(self) -> tuple[Paragraph, ...]:
        return tuple(p for s in self.sections for p in s.paragraphs)


@dataclass(frozen=True, slots=True)
class Citation:
    """A pointer into the brief: the paragraph and a verbatim quote from it."""

    paragraph_id: str
    quote: str
    ref: str = ""  # filled in from the paragraph when the knowledge is loaded
    section: str = ""
    paragraph: int = 0


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class QAEntry:
    id: str
    topic: str
    questions: tuple[str, ...]
    answer: str
    citations: tuple[Citation, ...]
    related: tuple[str, ...]
    source: str = ""  # "file:line", for error messages
    opens_with_polarity: bool = False  # opt-in: the answer may open "Yes."/"No." (bot/core/fidelity.py checks it)

    @property
    def title(self) -> str:
        """The canonical question: the first phrasing."""
        return self.questions[0]


@dataclass(frozen=True, slots=True)
class Fact:
    id: str
    topic: str
    text: str
    keywords: tuple[str, ...]
    citation: Citation
    source: str = ""


@dataclass(frozen=True, slots=True)
class Knowledge:
    """Everything the engine answers from, validated."""

    brief: Brief
    topics: tuple[Topic, ...]
    entries: tuple[QAEntry, ...]
    facts: tuple[Fact, ...]
    aliases: tuple[tuple[str, tuple[str, ...]], ...]  # (canonical, variants)
    version: str  # short hash of the files' bytes
    near_misses: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (entry id, questions it must not answer)
    _paragraphs: dict[str, Paragraph] = field(init=False, repr=False, compare=False)
    _entries: dict[str, QAEntry] = field(init=False, repr=False, compare=False)
    _facts: dict[str, Fact] = field(init=False, repr=False, compare=False)
    _topics: dict[str, Topic] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_paragraphs", {p.id: p for p in self.brief.paragraphs()})
        object.__setattr__(self, "_entries", {e.id: e for e in self.entries})
        object.__setattr__(self, "_facts", {f.id: f for f in self.facts})
        object.__setattr__(self, "_topics", {t.id: t for t in self.topics})

    def paragraph(self, paragraph_id: str) -> Paragraph | None:
        return self._paragraphs.get(paragraph_id)

    def entry(self, entry_id: str) -> QAEntry | None:
        return self._entries.get(entry_id)

    def fact(self, fact_id: str) -> Fact | None:
        return self._facts.get(fact_id)

    def topic(self, topic_id: str) -> Topic | None:
        return self._topics.get(topic_id)


class Status(str, Enum):
    ANSWERED = "answered"
    CLARIFY = "clarify"
    ABSTAINED = "abstained"


@dataclass(frozen=True, slots=True)
class Match:
    kind: str | None  # "qa" | "fact" | None
    id: str | None
    score: float


@dataclass(frozen=True, slots=True)
class Answer:
    """What the engine says about one question."""

    question: str
    status: Status
    text: str
    citations: tuple[Citation, ...]
    suggestions: tuple[str, ...]
    match: Match
    confidence: float
    related: tuple[str, ...] = ()  # canonical questions of related entries (answered only)
    candidates: tuple[str, ...] = ()  # ids behind the suggestions, same order
    read_as: str = ""  # the question the bot took this one for, when it matched by meaning (shown, to be checked)

    @property
    def answered(self) -> bool:
        return self.status is Status.ANSWERED
