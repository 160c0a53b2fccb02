"""Stage 1 of the engine, reading: a question (or a phrasing of the knowledge base) into the words the later
stages compare. Cleaning, aliases, typo correction against the knowledge base's own vocabulary, stems, the question's
numbers, intents and what a "which X" asks for, read once into one ``Analysis`` (docs/matching.md, "Read")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process, utils

from .models import Knowledge
from .text import asked_as_question, clean_question, head_words, intents, is_content, stem, unframed_words, words

if TYPE_CHECKING:
    from .candidates import Scored

MAX_QUESTION_CHARS = 2000  # longer input is cut before matching; Discord itself caps messages at 2,000 / 4,000
MAX_WORDS = 60  # content words considered: a question is not an essay, and this bounds the time per question
MAX_CORRECTIONS = 12  # unknown words sent to typo correction per question
DICTIONARY_MIN = 4  # English words at least this long are never "corrected" into the knowledge base's words


@dataclass(slots=True)
class Analysis:
    """What the engine made of a question; useful for debugging and for the eval's miss report."""

    cleaned: str
    tokens: list[str]
    unknown: list[str]
    corrected: dict[str, str] = field(default_factory=dict)
    ranked: list[Scored] = field(default_factory=list)
    wants_quantity: bool = False  # "how many ...", "how much ..."
    wants_date: bool = False  # "what year ...", "when did ...", "when will ..."
    numbers: frozenset[str] = frozenset()  # numbers in the question: the answer must contain each (but framing ones)
    intents: frozenset[str] = frozenset()  # "?why", "?when", ...: what kind of answer is wanted
    heads: frozenset[str] = frozenset()  # what a "what/which ..." question asks about ("which cities")
    scope: frozenset[int] | None = None  # units a follow-up may be answered with (its topic), or None for all
    wants_reaction: bool = False  # "how did X react / respond", "X's response"
    asked: bool = False  # asked as a question ("what time is it"), not a topic to browse ("gas")
    checks: bool = False  # checks a premise ("was it 1999?", "... right?", "I think it was 40"): a number in it
    # may be the wrong one, which the answer corrects


class Reader:
    """Reads questions and the knowledge base's own texts the same way. Immutable once the engine has told it
    the stems its index knows (``know``)."""

    def __init__(self, knowledge: Knowledge, *, typo_cutoff: float = 80.0, dictionary: Iterable[str] = ()):
        """``dictionary``: the encoder's whole-word vocabulary, when there is one: English words the knowledge
        base does not use are not typos of words it does ("weather" is not "water")."""
        self.typo_cutoff = typo_cutoff
        self._aliases = self._build_aliases(knowledge)
        # first word -> (variant, canonical) pairs, longest variant first
        self._alias_starts: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for key, target in sorted(self._aliases.items(), key=lambda kv: -len(kv[0])):
            self._alias_starts.setdefault(key[0], []).append((key, target))
        # Surface vocabulary for typo correction: every word the knowledge base or the brief uses.
        vocab: set[str] = set()
        for text in self._all_texts(knowledge):
            vocab.update(w for w in self.expand(words(text)) if is_content(w) and not w.isdigit())
        self.vocab_set = frozenset(vocab)
        self.vocab = sorted(vocab)
        self._vocab_processed = [utils.default_process(w) for w in self.vocab]  # as typo correction compares them
        self._known_stems = frozenset(stem(w) for w in vocab)
        self._dictionary = frozenset(w for w in dictionary if len(w) >= DICTIONARY_MIN and w.isalpha() and w.islower())

    def know(self, stems: Iterable[str]) -> None:
        """Stems the index has (its units' words): never sent to typo correction."""
        self._known_stems = self._known_stems | frozenset(stems)

    @staticmethod
    def _build_aliases(knowledge: Knowledge) -> dict[tuple[str, ...], tuple[str, ...]]:
        table: dict[tuple[str, ...], tuple[str, ...]] = {}
        for canonical, variants in knowledge.aliases:
            target = tuple(words(canonical))
            table[target] = target
            for v in variants:
                key = tuple(words(v))
                if key:
                    table[key] = target
        return table

    def expand(self, toks: list[str]) -> list[str]:
        """Replace alias variants by their canonical words, longest match first."""
        out: list[str] = []
        i = 0
        n = len(toks)
        starts = self._alias_starts
        while i < n:
            for key, target in starts.get(toks[i], ()):
                size = len(key)
                if tuple(toks[i:i + size]) == key:
                    out.extend(target)
                    i += size
                    break
            else:
                out.append(toks[i])
                i += 1
        return out

    def content(self, text: str) -> list[str]:
        return [stem(w) for w in self.expand(words(text)) if is_content(w)]

    def phrasing(self, text: str) -> frozenset[str]:
        """A phrasing's content words plus its intent pseudo-words."""
        toks = self.expand(words(text))
        return frozenset([stem(w) for w in toks if is_content(w)] + sorted(intents(toks)))

    @staticmethod
    def _all_texts(k: Knowledge) -> Iterator[str]:
        for p in k.brief.paragraphs():
            yield p.text
        for e in k.entries:
            yield from e.questions
            yield e.answer
        for f in k.facts:
            yield f.text
            yield from f.keywords
        for canonical, _ in k.aliases:
            yield canonical

    @staticmethod
    def clean(question: str) -> str:
        """The question's cleaned text, as ``read`` starts from (``Analysis.cleaned``)."""
        return clean_question(question[:MAX_QUESTION_CHARS])

    def read(self, question: str, cleaned: str | None = None) -> Analysis:
        """Read a question once: cleaned text, content words (aliases, typos, stems), numbers, intents, what a
        "which X" asks for. Every later stage reads this object; nothing cleans or tokenizes the question again.
        ``cleaned``: ``clean(question)``, when the caller has it already."""
        if cleaned is None:
            cleaned = self.clean(question)
        # "in 3 sentences", "5 bullet points on ...": how to reply, not what is asked: those numbers are not read
        raw = self.expand(unframed_words(_FORMAT.sub(" ", cleaned)))
        wanted = intents(raw)
        heads = head_words(raw)
        tokens: list[str] = []
        unknown: list[str] = []
        corrected: dict[str, str] = {}
        corrections = 0
        for w in raw:
            if not is_content(w):
                continue
            if len(tokens) >= MAX_WORDS:
                break
            s = stem(w)
            if w in self.vocab_set or s in self._known_stems or w.isdigit():
                tokens.append(s)
                continue
            fixed = self._correct(w) if corrections < MAX_CORRECTIONS and w not in self._dictionary else None
            corrections += 1
            if fixed is None:
                unknown.append(w)
                tokens.append(s)
            else:
                corrected[w] = fixed
                tokens.extend(stem(x) for x in self.expand([fixed]) if is_content(x))
        seen: set[str] = set()
        uniq = [t for t in tokens if not (t in seen or seen.add(t))]
        folded = cleaned.casefold()
        a = Analysis(cleaned, uniq, unknown, corrected,
                     wants_quantity=bool(_WANTS_QUANTITY.search(folded)),
                     wants_date=bool(_WANTS_DATE.search(folded)),
                     numbers=frozenset(t for t in uniq if t.isdigit()))
        a.intents = frozenset(wanted)
        a.wants_reaction = bool(_WANTS_REACTION.search(folded))
        a.asked = asked_as_question(cleaned)
        a.checks = bool(_CHECKS.search(folded))
        a.heads = frozenset(stem(corrected.get(w, w)) for w in heads)
        return a

    def _correct(self, w: str) -> str | None:
        if len(w) < 4 or not w.isalpha():
            return None
        cutoff = self.typo_cutoff if len(w) >= 6 else max(self.typo_cutoff, 85.0)
        # the vocabulary processed once at build, not on every call: the same scores, the same first best
        hit = process.extractOne(utils.default_process(w), self._vocab_processed, scorer=fuzz.ratio, processor=None,
                                 score_cutoff=cutoff)
        return None if hit is None else self.vocab[hit[2]]


# a number of sentences, lines, bullet points or words the reply should have ("in 3~4 sentences", "5 key points")
_FORMAT = re.compile(r"\b\d+(?:\s*(?:~|-|\u2013|/|to|or)?\s*\d+)?(?=\s+(?:(?:short|quick|key|main|bullet)\s+)?"
                     r"(?:sentences?|lines?|bullets?|points?|words?|tweets?)\b)", re.IGNORECASE)
# a premise put to the bot to confirm or correct: a yes/no question (at a sentence's start or after a comma), a tag
# ("..., right?", "or something"), or a half-memory ("I think it was ...", "someone said ...")
_CHECKS = re.compile(r"(?:^|[.!?;:,]\s*)(?:so\s+|and\s+|but\s+)?(?:is|are|was|were|did|do|does|has|have|had|isn't|"
                     r"aren't|wasn't|weren't|didn't|doesn't|don't|hasn't|haven't)\b|\b(?:right|correct|true)\s*\?|"
                     r"\bor (?:something|so|not)\b|\bi (?:think|thought|heard|remember|read)\b|"
                     r"\bsomeone (?:said|says|claimed|told)\b")

_WANTS_REACTION = re.compile(r"\b(?:react(?:ed|ion|ions)?|respond(?:ed)?|responses?|repl(?:y|ies|ied)|"
                             r"comment(?:ed|s)?|(?:say|said|says|hit|fire|fired|shoot|shot) back|"
                             r"clap(?:ped)? back)\b")

_WANTS_QUANTITY = re.compile(r"\bhow (?:many|much|big|large|far|wide|tall|high|deep|heavy|expensive|costly)\b|"
                             r"\bwhat (?:number|percentage|share) of\b")
_WANTS_DATE = re.compile(r"\b(?:what|which) (?:date|year|day|month|time)\b|"
                         r"\bwhen (?:did|was|were|will|would|is|are|does)\b")
