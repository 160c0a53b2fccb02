"""The answer engine: from a question to answered / did you mean / abstained, with citations.

A short pipeline (docs/matching.md), each stage in its own module: ``reading.Reader`` reads a question once
(``Analysis``); ``candidates.Candidates`` scores the units that share its words, and those closest in meaning
(``semantic``), subject to named hard constraints; ``features.read`` turns the candidates into features;
``decide.judge_reading`` applies the learned decision; ``answers.Answers`` builds the Answer with its citations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace

import numpy as np
from rapidfuzz import fuzz, process, utils

from .answers import Answers
from .candidates import Candidates, Exclusion, Scored, Thresholds
from .decide import Verdict, hold_back, judge_reading, load_model
from .features import read
from .model import Model
from .models import Answer, Knowledge, Status
from .reading import MAX_QUESTION_CHARS, Analysis, Reader
from .semantic import Cosines, Encoder, Product, SemanticIndex
from .text import clean_question, leans_on_earlier, question_readings, stem, unnamed_person, words

__all__ = ["Analysis", "Engine", "Exclusion", "Scored", "Thresholds"]

log = logging.getLogger(__name__)

MAX_READINGS = 4  # other readings of a message of several sentences tried (its question sentences)


class Engine:
    """Matches questions against one validated Knowledge. Immutable once built; safe to share."""

    def __init__(self, knowledge: Knowledge, thresholds: Thresholds | None = None, *,
                 encoder: Encoder | None = None, model: Model | None = None, background: bool | None = None):
        """``encoder`` turns on the reading by meaning (without it the words alone are read); ``model`` is the
        learned decision (default: the shipped one, bot/core/data/decision.json); ``background``: whether the
        cosines are computed on a worker thread while the words are ranked (default: when there are two cores;
        the answers are the same either way)."""
        self.knowledge = knowledge
        self.model = model if model is not None else load_model()
        self.t = thresholds or Thresholds()
        self.encoder = encoder
        # the whole words of the encoder's BERT vocabulary, when there is one, are never corrected as typos
        pieces = getattr(getattr(encoder, "tokenizer", None), "vocab", None) or {}
        self.reader = Reader(knowledge, typo_cutoff=self.t.typo_cutoff, dictionary=pieces)
        self.index = Candidates(knowledge, self.reader, self.t)
        self.reader.know(self.index.idf)
        self.answers = Answers(knowledge, self.index)
        # Autocomplete and suggestions work on each entry's canonical question.
        self._choices = [(e.id, q) for e in knowledge.entries for q in e.questions]
        self._semantic: SemanticIndex | None = None
        self._semantic_near: SemanticIndex | None = None
        self._near_phrasings: list[frozenset[str]] = []  # every near miss, in _semantic_near's order
        self._near_numbers: list[frozenset[str]] = []  # ... and its numbers
        self._product: Product | None = None  # the cosines with the phrasings and the near misses, in one product
        if encoder is not None:
            self._build_semantic(encoder, background)

    def _build_semantic(self, encoder: Encoder, background: bool | None) -> None:
        texts: list[str] = []
        owners: list[int] = []
        for i, u in enumerate(self.index.units):
            if u.kind == "qa":
                e = self.knowledge.entry(u.id)
                texts += e.questions
                owners += [i] * len(e.questions)
            else:
                texts.append(self.knowledge.fact(u.id).text)
                owners.append(i)
        index = self.index.near_miss_keys()
        near = [(index[key], q) for key, qs in self.knowledge.all_near_misses if key in index for q in qs]
        near_texts = [q for _, q in near]
        vectors = encoder.encode(texts + near_texts)  # one array: both indexes' rows, for one product (Product)
        self._semantic = SemanticIndex(encoder, texts, owners, len(self.index.units), vectors=vectors[:len(texts)])
        self._semantic_near = SemanticIndex(encoder, near_texts, [i for i, _ in near], len(self.index.units),
                                            vectors=vectors[len(texts):])
        self._near_phrasings = [self.reader.phrasing(q) for _, q in near]
        self._near_numbers = [frozenset(t for t in p if t.isdigit()) for p in self._near_phrasings]
        # one product over both tables' rows, of which the indexes' vectors are views; none where the index scores
        # in two stages (above COARSE_ABOVE texts: the full product is what that avoids)
        self._product = None if self._semantic.coarse or not texts else Product(vectors, background)

    @property
    def semantic(self) -> bool:
        """Whether the semantic reading is on."""
        return self._semantic is not None

    # ----------------------------------------------------------------------------------------------- the stages

    def read_question(self, question: str, cleaned: str | None = None) -> Analysis:
        """Stage 1 (``reading.Reader``): the question read once into the ``Analysis`` every later stage reads
        (``cleaned``: ``reader.clean(question)``, when the caller has it)."""
        return self.reader.read(question, cleaned)

    def rank(self, a: Analysis, exclude: Exclusion | None = None,
             extra: Iterable[int] | Callable[[], Iterable[int]] = (), keep: int | None = None) -> None:
        """Stage 2 (``candidates.Candidates.rank``): fill ``a.ranked`` with the units that pass the hard
        constraints, scored by words, best first."""
        self.index.rank(a, exclude, extra, keep)

    def exclusion(self, texts: Iterable[str]) -> Exclusion:
        """The Exclusion that leaves out every phrasing and near miss whose folded text is one of ``texts``."""
        return self.index.exclusion(texts)

    def analyse(self, question: str, exclude: Exclusion | None = None, extra: Iterable[int] = ()) -> Analysis:
        """Read a question and rank the units for it (``read_question``, then ``rank``)."""
        a = self.read_question(question)
        self.rank(a, exclude, extra)
        return a

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
        own = self.index.phrasing_of(text, exclude)
        best = judge_reading(self.model, read(self, text, exclude, scope, semantic, keep=own), own)
        # the curator wrote it down as one not to answer
        if near_miss_rule and own is None and self.index.is_near_miss(text, exclude):
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
        if own is None and scope is None and unnamed_person(text, a.tokens, self.index.names):  # "how old is he now"
            return hold_back(best, "a person named by a pronoun alone, with nothing earlier: who is meant?")
        # the message's question sentences alone too, and the most confident reading wins: a whole message padded
        # with remarks ("... I need it for my notes.") can pass the bar with a worse answer than its question alone
        # gets; once some reading is answered, one more reading at most is tried
        answered = best.outcome == "answered"
        if answered and own is not None:  # the message is a phrasing, word for word
            return best
        for asked in question_readings(text)[:MAX_READINGS]:
            own = self.index.phrasing_of(asked, exclude)
            v = judge_reading(self.model, read(self, asked, exclude, scope, semantic, keep=own), own)
            if v.confidence > best.confidence:
                best = v
            if answered or best.outcome == "answered":
                break
        return best

    def follow_up(self, question: str, previous_id: str) -> Answer:
        """Answer a follow-up to the answer of ``previous_id`` ("and the capacity?"): the same question, read
        within that entry's topic, never answered with that entry again."""
        prev = self.knowledge.entry(previous_id) or self.knowledge.fact(previous_id)
        if prev is None:
            return self.ask(question)
        scope = frozenset(i for i, u in enumerate(self.index.units) if u.topic == prev.topic and u.id != previous_id)
        return self.answer_from(question, self.judge(question, scope))

    def answer_from(self, question: str, v: Verdict) -> Answer:
        """Stage 5 (``answers.Answers``): the Answer for a verdict, with its citations."""
        return self.answers.from_verdict(question, v)

    def answer_unit(self, question: str, index: int, confidence: float = 0.0, score: float = 0.0) -> Answer:
        """The answer a unit (by its index) gives to ``question``."""
        return self.answers.of_unit(question, index, confidence, score)

    def answer_entry(self, entry_id: str, question: str | None = None) -> Answer | None:
        """The answer of a known entry (a button click, a menu choice), without matching."""
        return self.answers.of_entry(entry_id, question)

    def answer_fact(self, fact_id: str) -> Answer | None:
        return self.answers.of_fact(fact_id)

    def starter_ids(self) -> list[str]:
        """One entry per topic, in topic order: what to offer when nothing else fits."""
        return self.answers.starter_ids()

    def explain(self, question: str) -> str:
        """Why the bot answered, asked "did you mean" or abstained: the top candidates with their probabilities
        and main features, and the reason for the outcome. For curators (``ask --explain``, ``chat`` ``:why``)."""
        v = self.judge(question)
        lines = [f"reading: {v.reading.text!r}", f"outcome: {v.outcome} ({v.reason})",
                 f"confidence (calibrated probability that the best candidate is right): {v.confidence:.3f}"]
        shown = ("meaning", "close", "coverage", "lex_score", "usual", "usual_hits", "uncovered", "own_near_miss",
                 "near_miss_meaning_lead", "names_missing", "usual_meaning")
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

    def cosines(self, vector: np.ndarray, exclude: Exclusion | None = None) -> Cosines:
        """A reading's cosines with the phrasings and the near misses (those ``exclude`` leaves out: -1), started
        now and waited for when first read (``semantic.Cosines``)."""
        assert self._semantic is not None and self._semantic_near is not None
        return Cosines(vector, self._semantic, self._semantic_near, self._product,
                       np.asarray(exclude.phrasing_rows, dtype=np.int64) if exclude else None,
                       exclude.near_rows if exclude is not None else ())

    def closeness_by_meaning(self, question: str) -> dict[str, float]:
        """Each Q&A entry's closeness in meaning to ``question`` (cosine with its closest phrasing); empty when
        the semantic reading is off. For tools such as scripts/curate_from_set.py."""
        q = self.meaning_of(question)
        if q is None or self._semantic is None:
            return {}
        scores = self._semantic.scores(q)
        return {u.id: float(scores[i]) for i, u in enumerate(self.index.units) if u.kind == "qa"}

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
        for key_, questions in self.knowledge.near_misses:
            for q in questions:
                # the model's own view: the bot abstains on a listed near miss word for word anyway
                a = self.answer_from(q, self.judge(q, near_miss_rule=False))
                if a.status is not Status.ABSTAINED:
                    out.append((key_, q, a.status.value, a.match.id))
        return out

    def conflicts(self) -> list[tuple[str, str, str, str]]:
        """Near misses that the matcher reads exactly like a curated phrasing (same words once aliases, stems and
        word order are folded away): (near-miss entry, near miss, phrasing entry, phrasing). On such a question
        the near miss wins and the bot abstains; ``bot check`` reports them so the curator can reword one."""
        by_words: dict[frozenset[str], tuple[str, str]] = {}
        for e in self.knowledge.entries:
            for q in e.questions:
                by_words.setdefault(self.reader.phrasing(q), (e.id, q))
        out = []
        for entry_id, questions in self.knowledge.near_misses:
            for q in questions:
                hit = by_words.get(self.reader.phrasing(q))
                if hit is not None:
                    out.append((entry_id, q, hit[0], hit[1]))
        return out

    # ----------------------------------------------------------------------------------------------- browsing

    def unit_kind(self, index: int) -> str:
        """ "qa" or "fact", for a ``Scored.unit_index``."""
        return self.index.units[index].kind

    def unit_id(self, index: int) -> str:
        return self.index.units[index].id

    def complete(self, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        """Autocomplete: (entry id, canonical question) pairs for what the user has typed so far.

        The matcher ranks entries by what the words typed so far mean (aliases, typos, the last word completed
        from the vocabulary); rapidfuzz's partial ratio over all phrasings fills in the rest."""
        limit = max(0, min(limit, 25))
        text = clean_question(prefix[:200])
        if not text.strip():
            return [(i, self.knowledge.entry(i).title) for i in self.starter_ids()][:limit]
        toks = words(text)
        if toks and not text.endswith(" ") and toks[-1] not in self.reader.vocab_set:
            longer = [w for w in self.reader.vocab if w.startswith(toks[-1])]
            if longer:
                # the commonest completion: the word most units use (lowest IDF)
                toks[-1] = min(longer, key=lambda w: self.index.idf.get(stem(w), self.index.idf_unknown))
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for sc in self.analyse(" ".join(toks)).ranked:
            u = self.index.units[sc.unit_index]
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
