"""The answer engine: from a question to answered / did you mean / abstained, with citations.

A short pipeline (docs/matching.md): ``read_question`` reads a question once (``Analysis``); ``rank`` scores the
units that share its words, and those closest in meaning, subject to named hard constraints (``_admissible``);
``features.read`` turns the candidates into features; ``decide.judge_reading`` applies the learned decision;
``answer_from`` builds the Answer with its citations.
"""

from __future__ import annotations

import heapq
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from operator import itemgetter

import numpy as np
from rapidfuzz import fuzz, process, utils

from .models import FACT_PREFIX, Answer, Fact, Knowledge, Match, QAEntry, Status
from .decide import SUGGEST_FLOOR, Verdict, hold_back, judge_reading, load_model, rivals
from .features import read
from .model import Model
from .semantic import Encoder, SemanticIndex
from .text import (
    asked_as_question,
    clean_question,
    head_words,
    intents,
    is_chit_chat,
    is_content,
    leans_on_earlier,
    question_readings,
    stem,
    unframed_words,
    words,
)

log = logging.getLogger(__name__)

SUGGEST_BY_MEANING = 12  # units closest in meaning looked at for suggestions when no candidate passed the constraints

MAX_QUESTION_CHARS = 2000  # longer input is cut before matching; Discord itself caps messages at 2,000 / 4,000
MAX_WORDS = 60  # content words considered: a question is not an essay, and this bounds the time per question
MAX_READINGS = 4  # other readings of a message of several sentences tried (its question sentences)
MAX_CORRECTIONS = 12  # unknown words sent to typo correction per question
DICTIONARY_MIN = 4  # English words at least this long are never "corrected" into the knowledge base's words
READ_AS_BELOW = 0.65  # an answer whose best phrasing is less close than this in words was found by meaning


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The numbers of the stages before the learned decision: reading a question and ranking units by words."""

    typo_cutoff: float = 80.0  # rapidfuzz ratio a word needs to be corrected to a known word
    intent_weight: float = 1.0  # weight of a "why/when/who/how many" pseudo-word in phrasing similarity
    framing_idf: float = 1.6  # words with a lower IDF (in a fifth of all units) frame a question: never "missing"
    answer_weight: float = 0.75  # a question word found only in the answer or quotes (not in any phrasing)
    context_weight: float = 0.5  # a question word found only in the cited paragraph counts this much
    candidates: int = 15  # units scored in full after the index preselection (and those closest in meaning)
    # the lexical score, one of the model's features: weights of (coverage, close, fuzzy, answer_cov, intent_ok,
    # intent_miss, is_fact), fitted by scripts/fit_weights.py on the knowledge base's own phrasings
    rank_weights: tuple[float, ...] = (0.295, 0.416, 0.289, 0.23, 0.096, -0.192, -0.353)


@dataclass(slots=True)
class _Unit:
    kind: str  # "qa" | "fact"
    id: str
    topic: str
    phrasings: list[frozenset[str]]
    tokens: frozenset[str]
    paragraphs: frozenset[str]
    context: frozenset[str]  # words of the cited paragraphs that the unit itself lacks: partial coverage
    answer_tokens: frozenset[str]  # words of the answer (or fact text) and its quotes
    has_quantity: bool  # the answer states a number or amount
    has_date: bool  # the answer states a date, a year or a span of time
    near_misses: list[frozenset[str]] = field(default_factory=list)  # questions this unit must not answer
    phrased: frozenset[str] = frozenset()  # every word of its phrasings (their union)

    def knows(self, word: str) -> bool:
        """Whether the word is the unit's own or in the passage it cites: what "the candidate lacks a word of the
        question" means, for the learned decision's features and for training (one definition for both)."""
        return word in self.tokens or word in self.context


@dataclass(frozen=True, slots=True)
class Scored:
    unit_index: int
    score: float
    coverage: float
    close: float
    fuzzy: float
    answer_cov: float = 0.0  # share of the question's weight found in the answer and quotes themselves
    intent_ok: float = 0.0  # the best phrasing asks the same kind of question (why / when / who / how many)
    intent_miss: float = 0.0  # the question asks why/when/who/how many and no phrasing of the unit does
    uncovered: int = 0  # question words found neither in the unit nor in the paragraphs it cites
    foreign: int = 0  # of those, words that no unit of the knowledge base contains at all
    absent: int = 0  # question words not in the unit itself (its passage not counted)
    near_miss: float = 0.7  # closeness to the best of the unit's near-miss questions (knowledge/near_misses.yaml)

    def features(self, is_fact: bool) -> tuple[float, ...]:
        return (self.coverage, self.close, self.fuzzy, self.answer_cov, self.intent_ok, self.intent_miss,
                1.0 if is_fact else 0.0)


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
    numbers: frozenset[str] = frozenset()  # numbers in the question: the answer must contain each
    intents: frozenset[str] = frozenset()  # "?why", "?when", ...: what kind of answer is wanted
    heads: frozenset[str] = frozenset()  # what a "what/which ..." question asks about ("which cities")
    scope: frozenset[int] | None = None  # units a follow-up may be answered with (its topic), or None for all
    wants_reaction: bool = False  # "how did X react / respond", "X's response"
    asked: bool = False  # asked as a question ("what time is it"), not a topic to browse ("gas")


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Texts of the knowledge base left out while a question is read: how training asks a phrasing, a near miss
    or a labeled question that the curator copied into the knowledge base, as if it were new."""

    phrasings: dict[int, frozenset[int]] = field(default_factory=dict)  # unit -> its phrasing indices
    near_misses: dict[int, frozenset[int]] = field(default_factory=dict)  # unit -> its near-miss indices
    phrasing_rows: tuple[int, ...] = ()  # rows of the semantic phrasing index
    near_rows: tuple[int, ...] = ()  # rows of the semantic near-miss index


class Engine:
    """Matches questions against one validated Knowledge. Immutable once built; safe to share."""

    def __init__(self, knowledge: Knowledge, thresholds: Thresholds | None = None, *,
                 encoder: Encoder | None = None, model: Model | None = None):
        """``encoder`` turns on the reading by meaning (without it the words alone are read); ``model`` is the
        learned decision (default: the shipped one, bot/core/data/decision.json)."""
        self.knowledge = knowledge
        self.model = model if model is not None else load_model()
        self.t = thresholds or Thresholds()
        self.encoder = encoder
        self._aliases = self._build_aliases(knowledge)
        # first word -> (variant, canonical) pairs, longest variant first
        self._alias_starts: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for key, target in sorted(self._aliases.items(), key=lambda kv: -len(kv[0])):
            self._alias_starts.setdefault(key[0], []).append((key, target))
        self._units: list[_Unit] = []
        self._paragraph_words: dict[str, frozenset[str]] = {}
        for e in knowledge.entries:
            self._units.append(self._unit_for_entry(e))
        for f in knowledge.facts:
            self._units.append(self._unit_for_fact(f))
        for u in self._units:
            u.phrased = frozenset().union(*u.phrasings)
        by_key = self._near_miss_keys()
        for key, questions in knowledge.all_near_misses:
            if key in by_key:
                self._units[by_key[key]].near_misses.extend(self._phrasing(q) for q in questions)
        n = len(self._units)
        df: dict[str, int] = {}
        self._postings: dict[str, list[int]] = {}
        for i, u in enumerate(self._units):
            for tok in u.tokens:
                df[tok] = df.get(tok, 0) + 1
                self._postings.setdefault(tok, []).append(i)
        self._idf = {tok: math.log((n + 1) / (d + 0.5)) for tok, d in df.items()}
        self._idf_unknown = math.log((n + 1) / 0.5)
        self._phrasing_weight: dict[frozenset[str], float] = {}  # a phrasing's total weight, filled as used
        # every unit's phrasings (group i), and its near misses (group n + i), in one table: a question is compared
        # with all of them at once
        self._texts = _Texts([u.phrasings for u in self._units] + [u.near_misses for u in self._units],
                             self._own_weight)
        # per fact, the Q&A entries that cite its paragraph, in unit order (a fact's "did you mean" offers them)
        by_paragraph: dict[str, list[int]] = {}
        for j, u in enumerate(self._units):
            if u.kind == "qa":
                for pid in u.paragraphs:
                    by_paragraph.setdefault(pid, []).append(j)
        self._citing = {i: sorted({j for pid in u.paragraphs for j in by_paragraph.get(pid, ())})
                        for i, u in enumerate(self._units) if u.kind == "fact"}
        # each phrasing's words (not its intent pseudo-words) sorted, one space apart: what fuzzy matching reads
        self._sorted_words = {p: " ".join(sorted(t for t in p if t[0] != "?"))
                              for u in self._units for p in u.phrasings}
        self._sorted_words[frozenset()] = ""
        # Surface vocabulary for typo correction: every word the knowledge base or the brief uses.
        vocab: set[str] = set()
        for text in self._all_texts(knowledge):
            vocab.update(w for w in self._expand(words(text)) if is_content(w) and not w.isdigit())
        self._vocab_set = frozenset(vocab)
        self._vocab = sorted(vocab)
        self._known_stems = frozenset(stem(w) for w in vocab) | frozenset(df)
        # English words the knowledge base does not use are not typos of words it does ("weather" is not "water"):
        # the whole words of the encoder's BERT vocabulary, when there is one, are never corrected
        pieces = getattr(getattr(encoder, "tokenizer", None), "vocab", None) or {}
        self._dictionary = frozenset(w for w in pieces if len(w) >= DICTIONARY_MIN and w.isalpha() and w.islower())
        # Autocomplete and suggestions work on each entry's canonical question.
        self._choices = [(e.id, q) for e in knowledge.entries for q in e.questions]
        self._semantic: SemanticIndex | None = None
        self._semantic_near: SemanticIndex | None = None
        self._near_phrasings: list[frozenset[str]] = []  # every near miss, in _semantic_near's order
        self._near_numbers: list[frozenset[str]] = []  # ... and its numbers
        self._names = self._build_names(knowledge)
        # where each text of the knowledge base sits, by its folded form: for Exclusion
        self._phrasing_at: dict[str, list[tuple[int, int, int]]] = {}  # -> (unit, phrasing index, semantic row)
        self._near_at: dict[str, list[tuple[int, int, int]]] = {}  # -> (unit, near-miss index, semantic row)
        row = 0
        for i, u in enumerate(self._units):
            if u.kind == "qa":
                for j, q in enumerate(self.knowledge.entry(u.id).questions):
                    self._phrasing_at.setdefault(_key(q), []).append((i, j, row))
                    row += 1
            else:
                row += 1
        seen: dict[int, int] = {}
        nrow = 0
        for key, questions in knowledge.all_near_misses:
            if key not in by_key:
                continue
            i = by_key[key]
            for q in questions:
                j = seen.get(i, 0)
                seen[i] = j + 1
                self._near_at.setdefault(_key(q), []).append((i, j, nrow))
                nrow += 1
        if encoder is not None:
            self._build_semantic(encoder)

    def _build_semantic(self, encoder: Encoder) -> None:
        texts: list[str] = []
        owners: list[int] = []
        for i, u in enumerate(self._units):
            if u.kind == "qa":
                e = self.knowledge.entry(u.id)
                texts += e.questions
                owners += [i] * len(e.questions)
            else:
                texts.append(self.knowledge.fact(u.id).text)
                owners.append(i)
        index = self._near_miss_keys()
        near = [(index[key], q) for key, qs in self.knowledge.all_near_misses if key in index for q in qs]
        self._semantic = SemanticIndex(encoder, texts, owners, len(self._units))
        self._semantic_near = SemanticIndex(encoder, [q for _, q in near], [i for i, _ in near], len(self._units))
        self._near_phrasings = [self._phrasing(q) for _, q in near]
        self._near_numbers = [frozenset(t for t in p if t.isdigit()) for p in self._near_phrasings]

    def _near_miss_keys(self) -> dict[str, int]:
        """Unit index by its key in near_misses.yaml: an entry's id, or "fact:" and a fact's id."""
        return {(u.id if u.kind == "qa" else f"{FACT_PREFIX}{u.id}"): i for i, u in enumerate(self._units)}

    @property
    def semantic(self) -> bool:
        """Whether the semantic reading is on."""
        return self._semantic is not None

    # ----------------------------------------------------------------------------------------------- building

    def _build_names(self, knowledge: Knowledge) -> frozenset[str]:
        """Stems of the names the brief uses (people, places, organisations, projects): words it writes with a
        capital letter inside a sentence, and the aliases' canonical phrases."""
        names: set[str] = set()
        for p in knowledge.brief.paragraphs():
            for m in _NAME.finditer(p.text):
                for w in words(m.group(1)):
                    if is_content(w) and not w.isdigit():
                        names.add(stem(w))
        for canonical, _ in knowledge.aliases:
            names.update(stem(w) for w in words(canonical) if is_content(w) and not w.isdigit())
        return frozenset(names - _NOT_NAMES)

    def exclusion(self, texts: Iterable[str]) -> Exclusion:
        """The Exclusion that leaves out every phrasing and near miss whose folded text is one of ``texts``."""
        phr: dict[int, set[int]] = {}
        near: dict[int, set[int]] = {}
        prow: list[int] = []
        nrow: list[int] = []
        for text in texts:
            k = _key(text)
            for i, j, r in self._phrasing_at.get(k, ()):
                phr.setdefault(i, set()).add(j)
                prow.append(r)
            for i, j, r in self._near_at.get(k, ()):
                near.setdefault(i, set()).add(j)
                nrow.append(r)
        return Exclusion({i: frozenset(v) for i, v in phr.items()}, {i: frozenset(v) for i, v in near.items()},
                         tuple(prow), tuple(nrow))

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

    def _expand(self, toks: list[str]) -> list[str]:
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

    def _content(self, text: str) -> list[str]:
        return [stem(w) for w in self._expand(words(text)) if is_content(w)]

    def _phrasing(self, text: str) -> frozenset[str]:
        """A phrasing's content words plus its intent pseudo-words."""
        toks = self._expand(words(text))
        return frozenset([stem(w) for w in toks if is_content(w)] + sorted(intents(toks)))

    def _unit_for_entry(self, e: QAEntry) -> _Unit:
        phr = [self._phrasing(q) for q in e.questions]
        toks = {t for p in phr for t in p if not t.startswith("?")}
        said = set(self._content(e.answer))
        for c in e.citations:
            said.update(self._content(c.quote))
        toks |= said
        return _Unit("qa", e.id, e.topic, phr,
                     frozenset(toks), frozenset(c.paragraph_id for c in e.citations),
                     self._context(toks, [c.paragraph_id for c in e.citations]), frozenset(said),
                     _states_amount(e.answer), bool(_DATE.search(e.answer)))

    def _unit_for_fact(self, f: Fact) -> _Unit:
        phr = [self._phrasing(f.text), self._phrasing(" ".join(f.keywords))]
        phr += [self._phrasing(f"{f.text} {k}") for k in f.keywords]
        toks = {t for p in phr for t in p if not t.startswith("?")}
        said = set(self._content(f.text)) | set(self._content(f.citation.quote))
        toks |= said
        return _Unit("fact", f.id, f.topic, phr,
                     frozenset(toks), frozenset({f.citation.paragraph_id}),
                     self._context(toks, [f.citation.paragraph_id]), frozenset(said),
                     _states_amount(f.text), bool(_DATE.search(f.text)))

    def _context(self, toks: set[str], paragraph_ids: list[str]) -> frozenset[str]:
        ctx: set[str] = set()
        for pid in paragraph_ids:
            words_of = self._paragraph_words.get(pid)
            if words_of is None:
                p = self.knowledge.paragraph(pid)
                words_of = self._paragraph_words[pid] = frozenset(self._content(p.text)) if p else frozenset()
            ctx.update(words_of)
        return frozenset(ctx - toks)

    @staticmethod
    def _all_texts(k: Knowledge):
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

    # ----------------------------------------------------------------------------------------------- matching

    def analyse(self, question: str, exclude: Exclusion | None = None, extra: Iterable[int] = ()) -> Analysis:
        """Read a question and rank the units for it (``read_question``, then ``rank``)."""
        a = self.read_question(question)
        self.rank(a, exclude, extra)
        return a

    def read_question(self, question: str) -> Analysis:
        """Read a question once: cleaned text, content words (aliases, typos, stems), numbers, intents, what a
        "which X" asks for. Every later stage reads this object; nothing cleans or tokenizes the question again."""
        cleaned = clean_question(question[:MAX_QUESTION_CHARS])
        raw = self._expand(unframed_words(cleaned))
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
            if w in self._vocab_set or s in self._known_stems or w.isdigit():
                tokens.append(s)
                continue
            fixed = self._correct(w) if corrections < MAX_CORRECTIONS and w not in self._dictionary else None
            corrections += 1
            if fixed is None:
                unknown.append(w)
                tokens.append(s)
            else:
                corrected[w] = fixed
                tokens.extend(stem(x) for x in self._expand([fixed]) if is_content(x))
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
        a.heads = frozenset(stem(corrected.get(w, w)) for w in heads)
        return a

    def rank(self, a: Analysis, exclude: Exclusion | None = None, extra: Iterable[int] = (),
             keep: int | None = None) -> None:
        """Fill ``a.ranked``: the units that pass the hard constraints, scored by words, best first. ``extra``:
        units to score in full whatever the index says (the closest in meaning); ``keep``: a unit exempt from the
        constraints (the question is one of its phrasings, word for word: the curator vouched for it)."""
        a.ranked = [s for s in self._rank(a.tokens, a.intents, exclude, extra)
                    if s.unit_index == keep or self._admissible(a, self._units[s.unit_index])]

    def _admissible(self, a: Analysis, u: _Unit) -> bool:
        """Hard constraints: a question's numbers must be in the unit, and a "how many" or "when" question
        needs an answer that states an amount or a date. This is what turns "how many delegates ..." or
        "power of siberia 1 capacity" into an abstention instead of a near-miss answer."""
        if not a.numbers <= u.tokens:
            return False
        if a.wants_quantity and not u.has_quantity:
            return False
        # a question about money ("how much would it cost") needs a unit that talks about money
        if _MONEY.intersection(a.tokens) and not _MONEY & u.tokens:
            return False
        # "how did Tokyo respond": a reaction needs a unit that reports one
        if a.wants_reaction and not _REACTION & u.tokens:
            return False
        if a.wants_date and not u.has_date:
            return False
        # "who / when / where / how many / how long / how old" questions need a unit that is asked that way,
        # or (for amounts and dates) whose answer states one.
        for intent in a.intents - {"?why"}:
            if intent in u.phrased:  # a phrasing asks it that way
                continue
            if intent in ("?amount", "?length") and u.has_quantity:
                continue
            if intent == "?when" and u.has_date:
                continue
            if intent in ("?who", "?where") and u.kind == "fact":
                continue
            return False
        return True

    def heads_missing(self, a: Analysis, u: _Unit) -> int:
        """How many of the things a "which X / what X" question asks for ("which cities", "what nickname") are
        neither in the unit nor in its passage: evidence, for the learned decision, that it asks something else."""
        return sum(1 for h in a.heads if h not in u.tokens and h not in u.context
                   and self._idf.get(h, self._idf_unknown) >= self.t.framing_idf)

    def _correct(self, w: str) -> str | None:
        if len(w) < 4 or not w.isalpha():
            return None
        cutoff = self.t.typo_cutoff if len(w) >= 6 else max(self.t.typo_cutoff, 85.0)
        hit = process.extractOne(w, self._vocab, scorer=fuzz.ratio, processor=utils.default_process,
                                 score_cutoff=cutoff)
        return None if hit is None else hit[0]

    def _weight(self, tok: str) -> float:
        return self._idf.get(tok, self._idf_unknown)

    def _rank(self, tokens: list[str], wanted: frozenset[str] = frozenset(),
              exclude: Exclusion | None = None, extra: Iterable[int] = ()) -> list[Scored]:
        """Score the units that share a word with the question, best first.

        ``exclude`` leaves phrasings and near misses out, as if they were not in the knowledge base: how the
        learned decision is trained on the knowledge base's own phrasings and on labeled questions the curator
        copied into it (leave-one-out).
        """
        if not tokens:
            return []
        weights, qset, total, ptotal = self._query_weights(tokens, wanted)
        acc: dict[int, float] = {}
        for t in tokens:
            w = weights[t]
            for i in self._postings.get(t, ()):
                acc[i] = acc.get(i, 0.0) + w
        if not acc:
            return []
        top = heapq.nlargest(self.t.candidates, acc.items(), key=itemgetter(1))
        # units close in meaning are scored in full too: a question made of common words ("when was the
        # summit") shares them with many units, and the index alone cannot tell which
        chosen = {i for i, _ in top}
        top += [(i, acc[i]) for i in extra if i in acc and i not in chosen]
        qwords = frozenset(tokens)
        qtext = " ".join(sorted(qwords))
        rw = self.t.rank_weights
        n = len(self._units)
        dropped: dict[int, Iterable[int]] = {}
        if exclude is not None:
            dropped.update(exclude.phrasings)
            dropped.update((n + i, js) for i, js in exclude.near_misses.items())
        found = self._texts.closest(qset, weights, ptotal, dropped, [i for i, _ in top] + [n + i for i, _ in top])
        phr, nears = found[:len(top)], found[len(top):]
        fsum = math.fsum
        said_share, context_weight = 1.0 - self.t.answer_weight, self.t.context_weight
        # words most units use ("china", "summit", "brief") frame a question rather than say what it asks
        telling_words = [t for t in qwords if self._idf.get(t, self._idf_unknown) >= self.t.framing_idf]
        out: list[Scored] = []
        for (i, covered), (close, best_p), (near_miss, _) in zip(top, phr, nears):
            u = self._units[i]
            phrasings = u.phrasings
            utoks = u.tokens
            phrased = u.phrased
            if exclude is not None and i in exclude.phrasings:
                left_out = exclude.phrasings[i]
                phrasings = [p for j, p in enumerate(u.phrasings) if j not in left_out]
                phrased = frozenset().union(*phrasings)
                utoks = phrased | u.answer_tokens
                covered = fsum([weights[t] for t in qwords & utoks])
            said = (qwords & utoks) - phrased if phrasings else ()
            said_only = fsum([weights[t] for t in said]) if said else 0.0
            covered -= said_share * said_only
            in_context = u.context & qwords
            context = fsum([weights[t] for t in in_context]) if in_context else 0.0
            coverage = (covered + context_weight * context) / total
            in_answer = qwords & u.answer_tokens
            answer_cov = (fsum([weights[t] for t in in_answer]) if in_answer else 0.0) / total
            fz = fuzz.token_sort_ratio(qtext, self._sorted_words[best_p], processor=None) / 100.0
            intent_ok = 1.0 if wanted and wanted & best_p else 0.0
            intent_miss = 1.0 if wanted and wanted.isdisjoint(phrased) else 0.0  # no phrasing asks it that way
            telling = [t for t in telling_words if t not in utoks]
            missing = [t for t in telling if t not in u.context]
            foreign = sum(1 for t in missing if t not in self._idf)
            score = (rw[0] * coverage + rw[1] * close + rw[2] * fz + rw[3] * answer_cov + rw[4] * intent_ok
                     + rw[5] * intent_miss + (rw[6] if u.kind == "fact" else 0.0))
            out.append(Scored(i, score, coverage, close, fz, answer_cov, intent_ok, intent_miss, len(missing),
                              foreign, len(telling), near_miss))
        out.sort(key=lambda s: s.score, reverse=True)
        return out

    def _query_weights(self, tokens: list[str],
                       wanted: frozenset[str]) -> tuple[dict[str, float], frozenset[str], float, float]:
        """The weights of the question's words and intent pseudo-words, both as one set, the words' total weight
        and the total with the pseudo-words."""
        weights = {t: self._weight(t) for t in tokens}
        weights.update({t: self.t.intent_weight for t in wanted})
        total = sum(weights[t] for t in tokens)
        return weights, frozenset(tokens) | wanted, total, total + self.t.intent_weight * len(wanted)

    def _closest(self, qset: frozenset[str], weights: dict[str, float], ptotal: float,
                 phrasings: list[frozenset[str]]) -> tuple[float, int]:
        """The best IDF-weighted Dice between the question and one of ``phrasings``, and which one."""
        return _best_dice([(p, self._own_weight(p)) for p in phrasings], qset, weights, ptotal)

    def _own_weight(self, p: frozenset[str]) -> float:
        """A phrasing's total weight (it does not depend on the question: computed once)."""
        own = self._phrasing_weight.get(p)
        if own is None:
            own = self._phrasing_weight[p] = math.fsum(self._weight(t) if t[0] != "?" else self.t.intent_weight
                                                       for t in p)
        return own

    # ----------------------------------------------------------------------------------------------- answering

    def ask(self, question: str) -> Answer:
        """Answer one question. Never raises on any string input.

        A message with a preamble ("I'm writing a piece for our newsletter. Did Xi sign off on PoS2?") is read
        whole first; if that does not answer it, its question sentences alone are read, and the reading the model
        is surest of decides."""
        if not isinstance(question, str):
            question = str(question)
        return self.answer_from(question, self.judge(question))

    def judge(self, question: str, scope: frozenset[int] | None = None,
              exclude: Exclusion | None = None, near_miss_rule: bool = True) -> Verdict:
        """The model's verdict on a question: its best reading's candidates, probabilities and outcome.
        ``near_miss_rule=False``: a listed near miss is judged by the model like any question (``near_miss_check``)."""
        text = question[:MAX_QUESTION_CHARS]
        semantic = self.encoder is not None and self._semantic is not None
        own = self._phrasing_of(text, exclude)
        best = judge_reading(self.model, read(self, text, exclude, scope, semantic, keep=own), own)
        # the curator wrote it down as one not to answer
        if near_miss_rule and own is None and self._is_near_miss(text, exclude):
            return replace(best, outcome="abstained", reason="the question is a listed near miss, word for word",
                           offer=())
        # no word of it is one the knowledge base or the brief uses (another script, made-up words), nor does it
        # ask "when / who / what about" of the brief: what its vector says is noise, and the learned decision
        # never saw an answerable question like it
        a = best.reading.analysis
        if own is None and len(a.unknown) >= len(a.tokens) and (a.tokens or not a.intents):
            return replace(best, outcome="abstained", reason="no word of the question is one the bot knows",
                           offer=())
        if own is None and scope is None and leans_on_earlier(text):  # "and how long is it?", nothing earlier
            return hold_back(best, "a follow-up with nothing earlier to follow: which one is meant?")
        # the message's question sentences alone too, and the most confident reading wins: a whole message padded
        # with remarks ("... I need it for my notes.") can pass the bar with a worse answer than its question alone
        # gets; once some reading is answered, one more reading at most is tried
        answered = best.outcome == "answered"
        if answered and own is not None:  # the message is a phrasing, word for word
            return best
        for asked in question_readings(text)[:MAX_READINGS]:
            own = self._phrasing_of(asked, exclude)
            v = judge_reading(self.model, read(self, asked, exclude, scope, semantic, keep=own), own)
            if v.confidence > best.confidence:
                best = v
            if answered or best.outcome == "answered":
                break
        return best

    def _is_near_miss(self, text: str, exclude: Exclusion | None = None) -> bool:
        """Whether ``text`` is one of the listed near misses, word for word (case and punctuation aside)."""
        if exclude is not None and (exclude.near_misses or exclude.near_rows):
            return False
        return _key(text) in self._near_at

    def _phrasing_of(self, text: str, exclude: Exclusion | None = None) -> int | None:
        """The one Q&A unit that has ``text`` as a phrasing, word for word (case and punctuation aside)."""
        if exclude is not None and (exclude.phrasings or exclude.phrasing_rows):
            return None
        units = {i for i, _, _ in self._phrasing_at.get(_key(text), ())}
        return units.pop() if len(units) == 1 else None

    def follow_up(self, question: str, previous_id: str) -> Answer:
        """Answer a follow-up to the answer of ``previous_id`` ("and the capacity?"): the same question, read
        within that entry's topic, never answered with that entry again."""
        prev = self.knowledge.entry(previous_id) or self.knowledge.fact(previous_id)
        if prev is None:
            return self.ask(question)
        scope = frozenset(i for i, u in enumerate(self._units) if u.topic == prev.topic and u.id != previous_id)
        return self.answer_from(question, self.judge(question, scope))

    def answer_from(self, question: str, v: Verdict) -> Answer:
        """The Answer for a verdict: the best candidate's answer, "did you mean" with the plausible entries, or
        an abstention with the likeliest entries as suggestions."""
        ranked = v.ranked()
        best = v.best
        conf = round(v.confidence, 3)
        if v.outcome == "answered" and best is not None:
            unit = self._units[best.unit]
            s = best.scored if best.scored is not None else Scored(best.unit, 0.0, 0.0, 0.0, 0.0)
            answer = self._answer(question, unit, s, confidence=conf)
            # matched by meaning rather than by its words: say what the question was read as, to be checked
            if unit.kind == "qa" and (best.scored is None or best.scored.close < READ_AS_BELOW):
                answer = replace(answer, read_as=self.knowledge.entry(unit.id).title)
            return self._with_rival(answer, v)
        top = ranked[0][1] if ranked else 0.0
        plausible = [c.unit for c, p in ranked if p >= SUGGEST_FLOOR]
        if v.outcome == "clarify":
            offered = self._with_passages([v.reading.candidates[i].unit for i in v.offer], v.reading.meaning)
            ids = self._entry_ids(offered, limit=3)
            if len(ids) < 2:  # one passage answers several questions ("gas": its source, capacity, route)
                ids = self._entry_ids(offered, limit=3, by_passage=False)
            if len(ids) >= 2:
                titles = tuple(self.knowledge.entry(i).title for i in ids)
                return Answer(question, Status.CLARIFY, "", (), titles, Match(None, None, round(top, 4)),
                              conf, (), tuple(ids))
        meaning = v.reading.meaning
        ids = self._entry_ids(self._with_passages(plausible, meaning), limit=3)
        if not ids and meaning is not None and not is_chit_chat(question):
            # nothing passed the hard constraints ("what nickname ...", "how many papers ..."): the entries
            # closest in meaning are still the best suggestions, if not answers
            scope = v.reading.analysis.scope
            near = [int(i) for i in np.argsort(-meaning)[:SUGGEST_BY_MEANING]]
            ids = self._entry_ids(self._with_passages([i for i in near if scope is None or i in scope], meaning),
                                  limit=3)
        if not ids:
            ids = self.starter_ids()[:3]
        return Answer(question, Status.ABSTAINED, "", (), tuple(self.knowledge.entry(i).title for i in ids),
                      Match(None, None, round(top, 4)), conf, (), tuple(ids))

    def _with_rival(self, answer: Answer, v: Verdict) -> Answer:
        """An answer whose question the model also read another way, nearly as likely (another passage): that
        reading becomes the first of its related questions, one click away if the answer was not what was asked.
        A question the curator wrote down as one of the entry's phrasings has no other reading."""
        if self._phrasing_of(v.reading.text) is not None:
            return answer
        units = [v.reading.candidates[i].unit for i in rivals(v)]
        if not units:
            return answer
        taken = {answer.match.id} if answer.match.kind == "qa" else set()
        ids = [i for i in self._entry_ids(self._with_passages(units, v.reading.meaning), limit=1) if i not in taken]
        if not ids:
            return answer
        related = tuple(dict.fromkeys(ids + list(answer.candidates)))[:3]
        return replace(answer, related=tuple(self.knowledge.entry(i).title for i in related), candidates=related,
                       suggestions=tuple(self.knowledge.entry(i).title for i in related))

    def _with_passages(self, units: list[int], meaning: np.ndarray | None = None) -> list[int]:
        """Units, with each fact followed by the Q&A entries that cite its paragraph (a fact is no suggestion),
        closest in meaning to the question first when ``meaning`` (per unit) is known."""
        out: list[int] = []
        for i in units:
            out.append(i)
            if self._units[i].kind == "fact":
                cite = list(self._citing[i])
                if meaning is not None:
                    cite.sort(key=lambda j: -float(meaning[j]))
                out += cite
        return out

    def explain(self, question: str) -> str:
        """Why the bot answered, asked "did you mean" or abstained: the top candidates with their probabilities
        and main features, and the reason for the outcome. For curators (``ask --explain``, ``chat`` ``:why``)."""
        v = self.judge(question)
        lines = [f"reading: {v.reading.text!r}", f"outcome: {v.outcome} ({v.reason})",
                 f"confidence (calibrated probability that the best candidate is right): {v.confidence:.3f}"]
        shown = ("meaning", "close", "coverage", "lex_score", "usual", "usual_hits", "uncovered", "own_near_miss",
                 "near_miss_meaning_lead", "names_missing")
        for n, (c, p) in enumerate(v.ranked()[:5], 1):
            f = c.named()
            feats = ", ".join(f"{k} {f[k]:.2f}" for k in shown)
            lines.append(f"{n}. {c.kind}:{c.id}  p={p:.3f}  {feats}")
        if not v.order:
            lines.append("no candidates")
        return "\n".join(lines)

    def meaning_of(self, question: str) -> np.ndarray | None:
        """A question's vector; None when reading by meaning is off or the question has no words."""
        return self.vector_of(clean_question(question[:MAX_QUESTION_CHARS]))

    def vector_of(self, cleaned: str) -> np.ndarray | None:
        """The vector of an already cleaned question (``Analysis.cleaned``)."""
        if self.encoder is None or self._semantic is None or not any(ch.isalnum() for ch in cleaned):
            return None
        return self.encoder.encode([cleaned])[0]

    def closeness_by_meaning(self, question: str) -> dict[str, float]:
        """Each Q&A entry's closeness in meaning to ``question`` (cosine with its closest phrasing); empty when
        the semantic reading is off. For tools such as scripts/curate_from_set.py."""
        q = self.meaning_of(question)
        if q is None or self._semantic is None:
            return {}
        scores = self._semantic.scores(q)
        return {u.id: float(scores[i]) for i, u in enumerate(self._units) if u.kind == "qa"}

    def _entry_ids(self, units: Iterable[int], limit: int, by_passage: bool = True) -> list[str]:
        """Distinct Q&A entries among ranked unit indices, one per passage (``by_passage``): two entries citing
        the same paragraph would often be two wordings of one suggestion."""
        ids: list[str] = []
        seen: set[str] = set()
        for i in units:
            u = self._units[i]
            if u.kind != "qa" or u.id in ids or (by_passage and u.paragraphs & seen):
                continue
            ids.append(u.id)
            seen |= u.paragraphs
            if len(ids) >= limit:
                break
        return ids

    def _answer(self, question: str, unit: _Unit, s: Scored, confidence: float) -> Answer:
        """The answer ``unit`` gives; ``confidence`` is the learned decision's probability."""
        k = self.knowledge
        conf = confidence
        if unit.kind == "qa":
            e = k.entry(unit.id)
            assert e is not None
            related = tuple(r for r in e.related if k.entry(r) is not None)[:3]
            return Answer(question, Status.ANSWERED, e.answer, e.citations,
                          tuple(k.entry(r).title for r in related), Match("qa", e.id, round(s.score, 4)),
                          conf, tuple(k.entry(r).title for r in related), related)
        f = k.fact(unit.id)
        assert f is not None
        nearby = self._nearby_entries(f.citation.paragraph_id, limit=3)
        return Answer(question, Status.ANSWERED, f.text, (f.citation,),
                      tuple(k.entry(i).title for i in nearby), Match("fact", f.id, round(s.score, 4)),
                      conf, tuple(k.entry(i).title for i in nearby), tuple(nearby))

    def answer_unit(self, question: str, index: int, confidence: float = 0.0, score: float = 0.0) -> Answer:
        """The answer a unit (by its index) gives to ``question``."""
        return self._answer(question, self._units[index], Scored(index, score, 0.0, 0.0, 0.0), confidence)

    def _nearby_entries(self, paragraph_id: str, limit: int) -> list[str]:
        return [e.id for e in self.knowledge.entries
                if any(c.paragraph_id == paragraph_id for c in e.citations)][:limit]

    def self_check(self) -> list[tuple[str, str, str, str | None]]:
        """Phrasings that the bot does not answer with their own entry: (entry, phrasing, outcome, entry it
        answered with or None). A "did you mean" on a broad phrasing can be fine; an abstention or another
        entry means a near miss, a sibling or a rule is in the way: the curator's to look at."""
        out = []
        for e in self.knowledge.entries:
            for q in e.questions:
                a = self.ask(q)
                if a.status is not Status.ANSWERED or a.match.id != e.id:
                    out.append((e.id, q, a.status.value, a.match.id))
        return out

    def near_miss_check(self) -> list[tuple[str, str, str, str | None]]:
        """Near misses that the bot does not abstain on: (key in near_misses.yaml, near miss, outcome, what it
        answered with or None). Usually the near miss is filed under another entry than the one that answers it,
        or a phrasing reads closer; the curator's to look at."""
        out = []
        for key, questions in self.knowledge.near_misses:
            for q in questions:
                # the model's own view: the bot abstains on a listed near miss word for word anyway
                a = self.answer_from(q, self.judge(q, near_miss_rule=False))
                if a.status is not Status.ABSTAINED:
                    out.append((key, q, a.status.value, a.match.id))
        return out

    def conflicts(self) -> list[tuple[str, str, str, str]]:
        """Near misses that the matcher reads exactly like a curated phrasing (same words once aliases, stems and
        word order are folded away): (near-miss entry, near miss, phrasing entry, phrasing). On such a question
        the near miss wins and the bot abstains; ``bot check`` reports them so the curator can reword one."""
        by_words: dict[frozenset[str], tuple[str, str]] = {}
        for e in self.knowledge.entries:
            for q in e.questions:
                by_words.setdefault(self._phrasing(q), (e.id, q))
        out = []
        for entry_id, questions in self.knowledge.near_misses:
            for q in questions:
                hit = by_words.get(self._phrasing(q))
                if hit is not None:
                    out.append((entry_id, q, hit[0], hit[1]))
        return out

    # ----------------------------------------------------------------------------------------------- browsing

    def unit_kind(self, index: int) -> str:
        """ "qa" or "fact", for a ``Scored.unit_index``."""
        return self._units[index].kind

    def unit_id(self, index: int) -> str:
        return self._units[index].id

    def starter_ids(self) -> list[str]:
        """One entry per topic, in topic order: what to offer when nothing else fits."""
        seen: set[str] = set()
        out: list[str] = []
        for e in self.knowledge.entries:
            if e.topic not in seen:
                seen.add(e.topic)
                out.append(e.id)
        order = {t.id: n for n, t in enumerate(self.knowledge.topics)}
        out.sort(key=lambda i: order.get(self.knowledge.entry(i).topic, 99))
        return out

    def answer_entry(self, entry_id: str, question: str | None = None) -> Answer | None:
        """The answer of a known entry (a button click, a menu choice), without matching."""
        e = self.knowledge.entry(entry_id)
        if e is None:
            return None
        related = tuple(r for r in e.related if self.knowledge.entry(r) is not None)[:3]
        titles = tuple(self.knowledge.entry(r).title for r in related)
        return Answer(question or e.title, Status.ANSWERED, e.answer, e.citations, titles,
                      Match("qa", e.id, 1.0), 1.0, titles, related)

    def answer_fact(self, fact_id: str) -> Answer | None:
        f = self.knowledge.fact(fact_id)
        if f is None:
            return None
        return Answer(f.text, Status.ANSWERED, f.text, (f.citation,), (), Match("fact", f.id, 1.0), 1.0)

    def complete(self, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        """Autocomplete: (entry id, canonical question) pairs for what the user has typed so far.

        The matcher ranks entries by what the words typed so far mean (aliases, typos, the last word completed
        from the vocabulary); rapidfuzz's partial ratio over all phrasings fills in the rest."""
        limit = max(0, min(limit, 25))
        text = clean_question(prefix[:200])
        if not text.strip():
            return [(i, self.knowledge.entry(i).title) for i in self.starter_ids()][:limit]
        toks = words(text)
        if toks and not text.endswith(" ") and toks[-1] not in self._vocab_set:
            longer = [w for w in self._vocab if w.startswith(toks[-1])]
            if longer:
                # the commonest completion: the word most units use (lowest IDF)
                toks[-1] = min(longer, key=lambda w: self._idf.get(stem(w), self._idf_unknown))
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for sc in self.analyse(" ".join(toks)).ranked:
            u = self._units[sc.unit_index]
            if u.kind == "qa" and u.id not in seen and sc.coverage >= 0.5:
                seen.add(u.id)
                out.append((u.id, self.knowledge.entry(u.id).title))
        hits = process.extract(text, [q for _, q in self._choices], scorer=fuzz.partial_ratio,
                               processor=utils.default_process, score_cutoff=70, limit=limit * 6)
        for _, _, idx in hits:
            eid = self._choices[idx][0]
            if eid not in seen:
                seen.add(eid)
                out.append((eid, self.knowledge.entry(eid).title))
        return out[:limit]


CLOSE_TIE = 1e-9  # candidates for a unit's closest text: within this of the vectorised best, then summed exactly
TABLE_ROWS = 20_000  # above this many texts, each candidate unit's texts are scanned instead (at 100k phrasings the
# arrays over every text cost more than the scan of the few hundred texts of the candidates)


class _Texts:
    """Word sets of texts in groups (a unit's phrasings, a unit's near misses), each group's rows contiguous in
    one table with an inverted index from word to rows: the IDF-weighted Dice of a question with every text at
    once, in NumPy. The NumPy sums only preselect: a group's closest text, and its closeness, are then computed
    as ``Engine._closest`` computes them (``math.fsum``), so that the result is the same to the bit."""

    def __init__(self, groups: list[list[frozenset[str]]], own_weight):
        self.sets = [p for texts in groups for p in texts]
        sizes = np.array([len(texts) for texts in groups], dtype=np.int64)
        self.start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._start_list = self.start.tolist()
        self.n_groups = len(groups)
        self._nonempty = np.flatnonzero(sizes)  # groups with at least one text: one reduceat segment each
        self._owner = np.repeat(np.arange(self.n_groups, dtype=np.int64), sizes)
        self._own_list = [own_weight(p) for p in self.sets]  # each text's own weight, as _closest reads it
        self._own = np.array(self._own_list, dtype=np.float64)
        rows: dict[str, list[int]] = {}
        for r, p in enumerate(self.sets):
            for t in p:
                rows.setdefault(t, []).append(r)
        # the inverted index in two arrays: word k's rows are _flat[_offset[k]:_offset[k + 1]]
        self._word = {t: k for k, t in enumerate(rows)}
        self._offset = np.concatenate([[0], np.cumsum([len(r) for r in rows.values()])]).astype(np.int64)
        self._flat = np.fromiter((r for rs in rows.values() for r in rs), dtype=np.int32, count=int(self._offset[-1]))

    def closest(self, qset: frozenset[str], weights: dict[str, float], ptotal: float,
                dropped: dict[int, Iterable[int]], groups: list[int]) -> list[tuple[float, frozenset[str]]]:
        """For each of ``groups``, its closest text: (closeness, its word set), or (0.0, empty) when none shares
        a word with the question; ``dropped``: group -> indices of its texts left out. The exact closeness is
        computed for the texts within CLOSE_TIE of a group's best approximate one (most often one text), and the
        first with the highest wins, as in ``Engine._closest`` over all of them."""
        if not groups:
            return []
        if len(self.sets) > TABLE_ROWS:
            start = self._start_list
            return [self._best([start[g] + j for j in range(start[g + 1] - start[g]) if j not in dropped.get(g, ())],
                               qset, weights, ptotal) for g in groups]
        words = [(t, self._word[t]) for t in qset if t in self._word]
        found = [self._flat[self._offset[k]:self._offset[k + 1]] for _, k in words]
        inter = np.bincount(np.concatenate(found), np.repeat([weights[t] for t, _ in words], [len(r) for r in found]),
                            minlength=len(self.sets)) if found else np.zeros(len(self.sets))
        dice = 2.0 * inter / (ptotal + self._own)
        for g, js in dropped.items():
            s, e = self.start[g], self.start[g + 1]
            for j in js:
                if j < e - s:
                    dice[s + j] = -1.0
        top = np.zeros(self.n_groups, dtype=np.float64)
        if len(self._nonempty):
            top[self._nonempty] = np.maximum.reduceat(dice, self.start[self._nonempty])
        # the texts within CLOSE_TIE of their group's best, in the groups where one shares a word with the question
        hits = np.flatnonzero(dice >= np.where(top > 0.0, top - CLOSE_TIE, np.inf)[self._owner])
        wanted = np.asarray(groups, dtype=np.int64)
        lo = np.searchsorted(hits, self.start[wanted]).tolist()
        hi = np.searchsorted(hits, self.start[wanted + 1]).tolist()
        hits = hits.tolist()
        return [self._best(hits[lo[n]:hi[n]], qset, weights, ptotal) for n in range(len(groups))]

    def _best(self, rows: list[int], qset: frozenset[str], weights: dict[str, float],
              ptotal: float) -> tuple[float, frozenset[str]]:
        """The first of ``rows`` with the highest exact closeness, as ``Engine._closest`` computes it."""
        sets, own = self.sets, self._own_list
        best, j = _best_dice([(sets[r], own[r]) for r in rows], qset, weights, ptotal)
        return best, (sets[rows[j]] if j >= 0 else frozenset())


def _best_dice(texts: list[tuple[frozenset[str], float]], qset: frozenset[str], weights: dict[str, float],
               ptotal: float) -> tuple[float, int]:
    """The best IDF-weighted Dice between a question (its words ``qset``, their ``weights``, their total
    ``ptotal``) and one of ``texts`` (a word set and its own total weight), and which one (-1: none shares a
    weighted word); the first of equals wins."""
    best, best_j = 0.0, -1
    for j, (p, own) in enumerate(texts):
        common = qset & p
        if not common:
            continue
        inter = math.fsum([weights[t] for t in common])
        if not inter:
            continue
        d = 2 * inter / (ptotal + own)
        if d > best:
            best, best_j = d, j
    return best, best_j


def _key(text: str) -> str:
    """A text folded for recognising a copy of it: case, punctuation and spacing ignored."""
    return " ".join(re.findall(r"\w+", text.casefold()))


# a capitalised word inside a sentence (not after . ! ? or a line start), or a run of them: a name
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b((?:[A-Z][\w'-]+)(?:\s+[A-Z][\w'-]+)*)")
_NOT_NAMES = frozenset(stem(w) for w in "the this that these it its in on of and but however while most such "
                       "issue brief vol no abstract keywords introduction assessment".split())


_DATE_EXPR = re.compile(r"\b(?:january|february|march|april|may|june|july|august|september|october|november|"
                        r"december)\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?|\b(?:19|20)\d\d\b", re.IGNORECASE)


def _states_amount(text: str) -> bool:
    """Whether a text states an amount; the numbers of dates ("May 20, 2026") do not count."""
    return bool(_QUANTITY.search(_DATE_EXPR.sub(" ", text)))


_MONEY = frozenset(stem(w) for w in "cost costs costly price prices priced pricing dollar dollars usd budget fee fees "
                   "investment invest invested worth paid pay pays expensive cheap cheaper money funding "
                   "funded".split())
_REACTION = frozenset(stem(w) for w in "react reacted reaction reactions respond responded response responses reply "
                      "replied welcomed condemned protested".split())
_WANTS_REACTION = re.compile(r"\b(?:react(?:ed|ion|ions)?|respond(?:ed)?|responses?|repl(?:y|ies|ied)|"
                             r"comment(?:ed|s)?|(?:say|said|says|hit|fire|fired|shoot|shot) back|"
                             r"clap(?:ped)? back)\b")


# Amounts, not ordinals or "one-on-one": what a "how many / how much" answer must state.
_NUMBER_WORDS = (r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                 r"sixty|hundred|thousand|million|billion|half|few|several|dozen|dozens")
_QUANTITY = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_DATE = re.compile(r"\b(?:1[89]|20)\d\d\b|\b(?:january|february|march|april|may|june|july|august|september|"
                   r"october|november|december|days?|evening|morning|night|anniversary|ago|hours?)\b",
                   re.IGNORECASE)
_WANTS_QUANTITY = re.compile(r"\bhow (?:many|much|big|large|far|wide|tall|high|deep|heavy|expensive|costly)\b|"
                             r"\bwhat (?:number|percentage|share) of\b")
_WANTS_DATE = re.compile(r"\b(?:what|which) (?:date|year|day|month|time)\b|"
                         r"\bwhen (?:did|was|were|will|would|is|are|does)\b")
