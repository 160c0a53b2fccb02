"""Stage 2 of the engine, candidates: the units (a Q&A entry, or a fact) that could answer a read question, scored
by words. An inverted index finds the units that share a word with the question; the best of them, and those the
engine found closest in meaning, are scored in full against their phrasings and near misses; named hard
constraints (a number the unit lacks, a "when" it cannot answer, ...) drop a unit before anything is learned
(docs/matching.md, "Candidates")."""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable, Iterable
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np
from rapidfuzz import fuzz

from .models import FACT_PREFIX, Fact, Knowledge, QAEntry
from .reading import Analysis, Reader
from .text import is_content, stem, words


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The numbers of the stages before the learned decision: reading a question and ranking units by words."""

    typo_cutoff: float = 80.0  # rapidfuzz ratio a word needs to be corrected to a known word
    intent_weight: float = 1.0  # weight of a "why/when/who/how many" pseudo-word in phrasing similarity
    framing_idf: float = 1.6  # words with a lower IDF (in a fifth of all units) frame a question: never "missing"
    answer_weight: float = 0.75  # a question word found only in the answer or quotes (not in any phrasing)
    context_weight: float = 0.5  # a question word found only in the cited paragraph counts this much
    candidates: int = 15  # units scored in full after the index preselection (and those closest in meaning)
    framing_numbers: float = 0.1  # a number in at least this share of the units (the year of the events) frames a
    # question as "china" or "summit" do: it need not be in the unit (a hard constraint for the other numbers)
    # the lexical score, one of the model's features: weights of (coverage, close, fuzzy, answer_cov, intent_ok,
    # intent_miss, is_fact), fitted by scripts/fit_weights.py on the knowledge base's own phrasings
    rank_weights: tuple[float, ...] = (0.295, 0.416, 0.289, 0.23, 0.096, -0.192, -0.353)



@dataclass(slots=True)
class Unit:
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
    names: frozenset[str] = frozenset()  # its words that are names the brief uses (Candidates.names)
    numbered: bool = False  # it states a number (a digit in its words: a year, a count, a volume)

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



@dataclass(frozen=True, slots=True)
class Exclusion:
    """Texts of the knowledge base left out while a question is read: how training asks a phrasing, a near miss
    or a labeled question that the curator copied into the knowledge base, as if it were new."""

    phrasings: dict[int, frozenset[int]] = field(default_factory=dict)  # unit -> its phrasing indices
    near_misses: dict[int, frozenset[int]] = field(default_factory=dict)  # unit -> its near-miss indices
    phrasing_rows: tuple[int, ...] = ()  # rows of the semantic phrasing index
    near_rows: tuple[int, ...] = ()  # rows of the semantic near-miss index


class Candidates:
    """The units of one Knowledge and what finds and scores them for a question: the index by words, the
    phrasings and near misses in one table, and the hard constraints. Immutable once built."""

    def __init__(self, knowledge: Knowledge, reader: Reader, thresholds: Thresholds | None = None):
        self.knowledge = knowledge
        self.reader = reader
        self.t = thresholds or Thresholds()
        self.units: list[Unit] = []
        self._paragraph_words: dict[str, frozenset[str]] = {}
        for e in knowledge.entries:
            self.units.append(self._unit_for_entry(e))
        for f in knowledge.facts:
            self.units.append(self._unit_for_fact(f))
        for u in self.units:
            u.phrased = frozenset().union(*u.phrasings)
        by_key = self.near_miss_keys()
        for key, questions in knowledge.all_near_misses:
            if key in by_key:
                self.units[by_key[key]].near_misses.extend(reader.phrasing(q) for q in questions)
        n = len(self.units)
        df: dict[str, int] = {}
        self._postings: dict[str, list[int]] = {}
        for i, u in enumerate(self.units):
            for tok in u.tokens:
                df[tok] = df.get(tok, 0) + 1
                self._postings.setdefault(tok, []).append(i)
        self.idf = {tok: math.log((n + 1) / (d + 0.5)) for tok, d in df.items()}
        self.idf_unknown = math.log((n + 1) / 0.5)
        # "who wrote the brief on the 2026 summit": the year says which summit, not what is asked; a number that
        # many units state (Thresholds.framing_numbers) is not required of a unit
        self.framing_numbers = frozenset(tok for tok, d in df.items()
                                         if tok.isdigit() and d >= self.t.framing_numbers * n)
        self._phrasing_weight: dict[frozenset[str], float] = {}  # a phrasing's total weight, filled as used
        # every unit's phrasings (group i), and its near misses (group n + i), in one table: a question is compared
        # with all of them at once
        self.texts = _Texts([u.phrasings for u in self.units] + [u.near_misses for u in self.units], self.own_weight)
        # per fact, the Q&A entries that cite its paragraph, in unit order (a fact's "did you mean" offers them)
        by_paragraph: dict[str, list[int]] = {}
        for j, u in enumerate(self.units):
            if u.kind == "qa":
                for pid in u.paragraphs:
                    by_paragraph.setdefault(pid, []).append(j)
        self.citing = {i: sorted({j for pid in u.paragraphs for j in by_paragraph.get(pid, ())})
                       for i, u in enumerate(self.units) if u.kind == "fact"}
        # each phrasing's words (not its intent pseudo-words) sorted, one space apart: what fuzzy matching reads
        self._sorted_words = {p: " ".join(sorted(t for t in p if t[0] != "?"))
                              for u in self.units for p in u.phrasings}
        self._sorted_words[frozenset()] = ""
        self.names = self._build_names(knowledge)
        for u in self.units:
            u.names = u.tokens & self.names
            u.numbered = any(t.isdigit() for t in u.tokens)
        # where each text of the knowledge base sits, by its folded form: for Exclusion
        self.phrasing_at: dict[str, list[tuple[int, int, int]]] = {}  # -> (unit, phrasing index, semantic row)
        self.near_at: dict[str, list[tuple[int, int, int]]] = {}  # -> (unit, near-miss index, semantic row)
        row = 0
        for i, u in enumerate(self.units):
            if u.kind == "qa":
                for j, q in enumerate(self.knowledge.entry(u.id).questions):
                    self.phrasing_at.setdefault(text_key(q), []).append((i, j, row))
                    row += 1
            else:
                row += 1
        seen: dict[int, int] = {}
        nrow = 0
        for k, questions in knowledge.all_near_misses:
            if k not in by_key:
                continue
            i = by_key[k]
            for q in questions:
                j = seen.get(i, 0)
                seen[i] = j + 1
                self.near_at.setdefault(text_key(q), []).append((i, j, nrow))
                nrow += 1

    def near_miss_keys(self) -> dict[str, int]:
        """Unit index by its key in near_misses.yaml: an entry's id, or "fact:" and a fact's id."""
        return {(u.id if u.kind == "qa" else f"{FACT_PREFIX}{u.id}"): i for i, u in enumerate(self.units)}

    def _build_names(self, knowledge: Knowledge) -> frozenset[str]:
        """Stems of the names the brief uses (people, places, organisations, projects): words it writes with a
        capital letter inside a sentence, and the aliases' canonical phrases; but not a word the brief writes in
        lower case at least as often as with a capital ("new", "gas", "pipeline", "year": capitalised in a title
        such as "New Type of International Relations", they are not names where people use them)."""
        names: set[str] = set()
        capital: Counter = Counter()
        lower: Counter = Counter()
        acronyms: set[str] = set()  # "INSS", "GTI": names however often a web address spells them in lower case
        for p in knowledge.brief.paragraphs():
            for m in _NAME.finditer(p.text):
                for w in words(m.group(1)):
                    if is_content(w) and not w.isdigit():
                        names.add(stem(w))
            for m in _WRITTEN.finditer(p.text):
                written = m.group(0)
                for w in words(written):
                    (capital if written[0].isupper() else lower)[stem(w)] += 1
                    if written.isupper():
                        acronyms.add(stem(w))
        for canonical, _ in knowledge.aliases:
            names.update(stem(w) for w in words(canonical) if is_content(w) and not w.isdigit())
        common = {s for s in names - acronyms if lower[s] and lower[s] >= capital[s]}
        return frozenset(names - _NOT_NAMES - common)

    def exclusion(self, texts: Iterable[str]) -> Exclusion:
        """The Exclusion that leaves out every phrasing and near miss whose folded text is one of ``texts``."""
        phr: dict[int, set[int]] = {}
        near: dict[int, set[int]] = {}
        prow: list[int] = []
        nrow: list[int] = []
        for text in texts:
            k = text_key(text)
            for i, j, r in self.phrasing_at.get(k, ()):
                phr.setdefault(i, set()).add(j)
                prow.append(r)
            for i, j, r in self.near_at.get(k, ()):
                near.setdefault(i, set()).add(j)
                nrow.append(r)
        return Exclusion({i: frozenset(v) for i, v in phr.items()}, {i: frozenset(v) for i, v in near.items()},
                         tuple(prow), tuple(nrow))

    def _unit_for_entry(self, e: QAEntry) -> Unit:
        phr = [self.reader.phrasing(q) for q in e.questions]
        toks = {t for p in phr for t in p if not t.startswith("?")}
        said = set(self.reader.content(e.answer))
        for c in e.citations:
            said.update(self.reader.content(c.quote))
        toks |= said
        return Unit("qa", e.id, e.topic, phr,
                     frozenset(toks), frozenset(c.paragraph_id for c in e.citations),
                     self._context(toks, [c.paragraph_id for c in e.citations]), frozenset(said),
                     _states_amount(e.answer), bool(_DATE.search(e.answer)))

    def _unit_for_fact(self, f: Fact) -> Unit:
        phr = [self.reader.phrasing(f.text), self.reader.phrasing(" ".join(f.keywords))]
        phr += [self.reader.phrasing(f"{f.text} {k}") for k in f.keywords]
        toks = {t for p in phr for t in p if not t.startswith("?")}
        said = set(self.reader.content(f.text)) | set(self.reader.content(f.citation.quote))
        toks |= said
        return Unit("fact", f.id, f.topic, phr,
                     frozenset(toks), frozenset({f.citation.paragraph_id}),
                     self._context(toks, [f.citation.paragraph_id]), frozenset(said),
                     _states_amount(f.text), bool(_DATE.search(f.text)))

    def _context(self, toks: set[str], paragraph_ids: list[str]) -> frozenset[str]:
        ctx: set[str] = set()
        for pid in paragraph_ids:
            words_of = self._paragraph_words.get(pid)
            if words_of is None:
                p = self.knowledge.paragraph(pid)
                words_of = self._paragraph_words[pid] = frozenset(self.reader.content(p.text)) if p else frozenset()
            ctx.update(words_of)
        return frozenset(ctx - toks)

    def is_near_miss(self, text: str, exclude: Exclusion | None = None) -> bool:
        """Whether ``text`` is one of the listed near misses, word for word (case and punctuation aside)."""
        if exclude is not None and (exclude.near_misses or exclude.near_rows):
            return False
        return text_key(text) in self.near_at


    def phrasing_of(self, text: str, exclude: Exclusion | None = None) -> int | None:
        """The one Q&A unit that has ``text`` as a phrasing, word for word (case and punctuation aside)."""
        if exclude is not None and (exclude.phrasings or exclude.phrasing_rows):
            return None
        units = {i for i, _, _ in self.phrasing_at.get(text_key(text), ())}
        return units.pop() if len(units) == 1 else None

    def rank(self, a: Analysis, exclude: Exclusion | None = None,
             extra: Iterable[int] | Callable[[], Iterable[int]] = (), keep: int | None = None) -> None:
        """Fill ``a.ranked``: the units that pass the hard constraints, scored by words, best first. ``extra``:
        units to score in full whatever the index says (the closest in meaning); ``keep``: a unit exempt from the
        constraints (the question is one of its phrasings, word for word: the curator vouched for it)."""
        def admitted(i: int) -> bool:
            return i == keep or self.admissible(a, self.units[i])

        a.ranked = self._rank(a.tokens, a.intents, exclude, extra, admitted)

    def admissible(self, a: Analysis, u: Unit) -> bool:
        """Hard constraints: a question's numbers must be in the unit (but not those that frame it, the
        ``framing_numbers``), and a "how many" or "when" question needs an answer that states an amount or a date.
        This is what turns "how many delegates ..." or "power of siberia 1 capacity" into an abstention instead of
        a near-miss answer."""
        numbers = a.numbers - self.framing_numbers
        # a premise's number may be the wrong one ("was this Putin's 15th trip?"): a unit that states a number of its
        # own may correct it, and the learned decision weighs the number it lacks
        if not numbers <= u.tokens and not (a.checks and u.numbered):
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

    def heads_missing(self, a: Analysis, u: Unit) -> int:
        """How many of the things a "which X / what X" question asks for ("which cities", "what nickname") are
        neither in the unit nor in its passage: evidence, for the learned decision, that it asks something else."""
        return sum(1 for h in a.heads if h not in u.tokens and h not in u.context
                   and self.idf.get(h, self.idf_unknown) >= self.t.framing_idf)

    def weight(self, tok: str) -> float:
        return self.idf.get(tok, self.idf_unknown)

    def _rank(self, tokens: list[str], wanted: frozenset[str] = frozenset(),
              exclude: Exclusion | None = None, extra: Iterable[int] | Callable[[], Iterable[int]] = (),
              admitted: Callable[[int], bool] | None = None) -> list[Scored]:
        """Score the units that share a word with the question, best first.

        ``exclude`` leaves phrasings and near misses out, as if they were not in the knowledge base: how the
        learned decision is trained on the knowledge base's own phrasings and on labeled questions the curator
        copied into it (leave-one-out). ``admitted``: of the units the index preselects, only those it admits
        are scored and returned (the hard constraints: a unit they reject is never scored in full).
        """
        if not tokens:
            return []
        weights, qset, total, ptotal = self.query_weights(tokens, wanted)
        acc: dict[int, float] = {}
        for t in tokens:
            w = weights[t]
            for i in self._postings.get(t, ()):
                acc[i] = acc.get(i, 0.0) + w
        if not acc:
            return []
        top = heapq.nlargest(self.t.candidates, acc.items(), key=itemgetter(1))
        chosen = {i for i, _ in top}
        if admitted is not None:
            top = [(i, covered) for i, covered in top if admitted(i)]
        n = len(self.units)
        dropped: dict[int, Iterable[int]] = {}
        if exclude is not None:
            dropped.update(exclude.phrasings)
            dropped.update((n + i, js) for i, js in exclude.near_misses.items())
        found = self.texts.found(qset, weights, ptotal, dropped)
        out = self._score(top, found, tokens, weights, total, wanted, exclude)
        # units close in meaning are scored in full too: a question made of common words ("when was the
        # summit") shares them with many units, and the index alone cannot tell which. They are asked for only
        # now: ``extra`` may be a function that waits for the cosines, computed meanwhile on another core
        more = [(i, acc[i]) for i in (extra() if callable(extra) else extra) if i in acc and i not in chosen]
        if admitted is not None:
            more = [(i, covered) for i, covered in more if admitted(i)]
        if more:
            out += self._score(more, found, tokens, weights, total, wanted, exclude)
        out.sort(key=lambda s: s.score, reverse=True)
        return out

    def _score(self, top: list[tuple[int, float]], found: "_Found", tokens: list[str], weights: dict[str, float],
               total: float, wanted: frozenset[str], exclude: Exclusion | None) -> list[Scored]:
        """Score in full each of ``top`` (a unit and the weight of the question's words it has), in that order."""
        if not top:
            return []
        n = len(self.units)
        qwords = frozenset(tokens)
        qtext = " ".join(sorted(qwords))
        rw = self.t.rank_weights
        closest = found.closest([i for i, _ in top] + [n + i for i, _ in top])
        phr, nears = closest[:len(top)], closest[len(top):]
        fsum = math.fsum
        said_share, context_weight = 1.0 - self.t.answer_weight, self.t.context_weight
        # words most units use ("china", "summit", "brief") frame a question rather than say what it asks
        telling_words = [t for t in qwords if self.idf.get(t, self.idf_unknown) >= self.t.framing_idf]
        out: list[Scored] = []
        for (i, covered), (close, best_p), (near_miss, _) in zip(top, phr, nears):
            u = self.units[i]
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
            foreign = sum(1 for t in missing if t not in self.idf)
            score = (rw[0] * coverage + rw[1] * close + rw[2] * fz + rw[3] * answer_cov + rw[4] * intent_ok
                     + rw[5] * intent_miss + (rw[6] if u.kind == "fact" else 0.0))
            out.append(Scored(i, score, coverage, close, fz, answer_cov, intent_ok, intent_miss, len(missing),
                              foreign, len(telling), near_miss))
        return out

    def query_weights(self, tokens: list[str],
                       wanted: frozenset[str]) -> tuple[dict[str, float], frozenset[str], float, float]:
        """The weights of the question's words and intent pseudo-words, both as one set, the words' total weight
        and the total with the pseudo-words."""
        weights = {t: self.weight(t) for t in tokens}
        weights.update({t: self.t.intent_weight for t in wanted})
        total = sum(weights[t] for t in tokens)
        return weights, frozenset(tokens) | wanted, total, total + self.t.intent_weight * len(wanted)

    def closest(self, qset: frozenset[str], weights: dict[str, float], ptotal: float,
                 phrasings: list[frozenset[str]]) -> tuple[float, int]:
        """The best IDF-weighted Dice between the question and one of ``phrasings``, and which one."""
        return _best_dice([(p, self.own_weight(p)) for p in phrasings], qset, weights, ptotal)

    def own_weight(self, p: frozenset[str]) -> float:
        """A phrasing's total weight (it does not depend on the question: computed once)."""
        own = self._phrasing_weight.get(p)
        if own is None:
            own = self._phrasing_weight[p] = math.fsum(self.weight(t) if t[0] != "?" else self.t.intent_weight
                                                       for t in p)
        return own


CLOSE_TIE = 1e-9  # candidates for a unit's closest text: within this of the vectorised best, then summed exactly
TABLE_ROWS = 20_000  # above this many texts, each candidate unit's texts are scanned instead (at 100k phrasings the
# arrays over every text cost more than the scan of the few hundred texts of the candidates)


class _Texts:
    """Word sets of texts in groups (a unit's phrasings, a unit's near misses), each group's rows contiguous in
    one table with an inverted index from word to rows: the IDF-weighted Dice of a question with every text at
    once, in NumPy. The NumPy sums only preselect: a group's closest text, and its closeness, are then computed
    as ``Candidates.closest`` computes them (``math.fsum``), so that the result is the same to the bit."""

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
        first with the highest wins, as in ``Candidates.closest`` over all of them."""
        return self.found(qset, weights, ptotal, dropped).closest(groups)

    def found(self, qset: frozenset[str], weights: dict[str, float], ptotal: float,
              dropped: dict[int, Iterable[int]]) -> "_Found":
        """The question's approximate closeness with every text, from which ``_Found.closest`` gives any group's
        closest text (``closest``, in two steps: the groups may be known only later)."""
        if len(self.sets) > TABLE_ROWS:
            return _Found(self, qset, weights, ptotal, dropped, None)
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
        return _Found(self, qset, weights, ptotal, dropped, hits)

    def _best(self, rows: list[int], qset: frozenset[str], weights: dict[str, float],
              ptotal: float) -> tuple[float, frozenset[str]]:
        """The first of ``rows`` with the highest exact closeness, as ``Candidates.closest`` computes it."""
        sets, own = self.sets, self._own_list
        best, j = _best_dice([(sets[r], own[r]) for r in rows], qset, weights, ptotal)
        return best, (sets[rows[j]] if j >= 0 else frozenset())


class _Found:
    """One question's closeness with the texts of ``_Texts``: ``hits``, the rows within CLOSE_TIE of their group's
    best (None above TABLE_ROWS texts: each group's rows are then scanned)."""

    __slots__ = ("texts", "qset", "weights", "ptotal", "dropped", "hits")

    def __init__(self, texts: _Texts, qset: frozenset[str], weights: dict[str, float], ptotal: float,
                 dropped: dict[int, Iterable[int]], hits: np.ndarray | None):
        self.texts, self.qset, self.weights, self.ptotal = texts, qset, weights, ptotal
        self.dropped, self.hits = dropped, hits

    def closest(self, groups: list[int]) -> list[tuple[float, frozenset[str]]]:
        """For each of ``groups``, its closest text, as ``_Texts.closest`` gives it."""
        if not groups:
            return []
        t, qset, weights, ptotal = self.texts, self.qset, self.weights, self.ptotal
        if self.hits is None:
            start, dropped = t._start_list, self.dropped
            return [t._best([start[g] + j for j in range(start[g + 1] - start[g]) if j not in dropped.get(g, ())],
                            qset, weights, ptotal) for g in groups]
        wanted = np.asarray(groups, dtype=np.int64)
        lo = np.searchsorted(self.hits, t.start[wanted]).tolist()
        hi = np.searchsorted(self.hits, t.start[wanted + 1]).tolist()
        hits = self.hits.tolist()
        sets, own, fsum = t.sets, t._own_list, math.fsum
        out: list[tuple[float, frozenset[str]]] = []
        for a, b in zip(lo, hi):
            if b - a > 1:
                out.append(t._best(hits[a:b], qset, weights, ptotal))
                continue
            # most groups have no text within reach, or one: _best_dice's arithmetic, inline
            best: tuple[float, frozenset[str]] = (0.0, _EMPTY)
            if b > a:
                r = hits[a]
                common = qset & sets[r]
                inter = fsum([weights[w] for w in common]) if common else 0.0
                if inter:
                    d = 2 * inter / (ptotal + own[r])
                    if d > 0.0:
                        best = (d, sets[r])
            out.append(best)
        return out


_EMPTY: frozenset[str] = frozenset()


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


def text_key(text: str) -> str:
    """A text folded for recognising a copy of it: case, punctuation and spacing ignored."""
    return " ".join(re.findall(r"\w+", text.casefold()))


# a capitalised word inside a sentence (not after . ! ? or a line start), or a run of them: a name
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b((?:[A-Z][\w'-]+)(?:\s+[A-Z][\w'-]+)*)")
_WRITTEN = re.compile(r"[^\W\d_][\w'\u2019-]*")  # a word as the brief writes it, its case kept
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

# Amounts, not ordinals or "one-on-one": what a "how many / how much" answer must state.
_NUMBER_WORDS = (r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                 r"sixty|hundred|thousand|million|billion|half|few|several|dozen|dozens")
_QUANTITY = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_DATE = re.compile(r"\b(?:1[89]|20)\d\d\b|\b(?:january|february|march|april|may|june|july|august|september|"
                   r"october|november|december|days?|evening|morning|night|anniversary|ago|hours?)\b",
                   re.IGNORECASE)
