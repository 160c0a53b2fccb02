"""What the learned decision sees: a question's candidates and one feature vector per candidate.

The engine's earlier stages read the question once (``Analysis``: tokens, numbers, intents, its vector) and rank
the knowledge base's units by their words (``Scored``) and by meaning (cosines with the phrasings and the near
misses). This module turns that into numbers: for each candidate unit the lexical features, its closeness in
meaning, how it compares with the other candidates, how close the nearest listed near miss is, whether the names
the question uses are the unit's, how the question's words compare with the words people usually ask the unit
with (``model.UsualWords``) and how its meaning compares with what they mean (``model.UsualMeaning``), and a few
facts about the question itself. ``bot/core/decide.py`` scores them; ``scripts/train_decision.py`` learns the weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

MAX_CANDIDATES = 8  # units scored by the learned model per reading of a question
LEXICAL_CANDIDATES = 6  # ... the best by words, ...
SEMANTIC_CANDIDATES = 4  # ... and the best by meaning (admissible ones only)
NEAR_WORDS_OF = 5  # near misses closest in meaning whose closeness in words is measured

FEATURES = (
    "lex_score", "coverage", "close", "fuzzy", "answer_cov", "intent_ok", "intent_miss",
    "uncovered", "foreign", "absent_share", "own_near_miss", "own_near_miss_lead", "is_fact",
    "meaning", "meaning_lead", "meaning_top", "lex_top", "lex_lead", "lexical_missing",
    "near_miss_meaning_lead", "near_miss_words", "own_near_meaning_lead", "names_missing", "names_other",
    "heads_missing", "question_words", "telling_words", "unknown_words", "framing_only", "asked",
    "scope_prior", "lacking_weight", "usual", "usual_lead", "usual_hits", "usual_meaning", "usual_meaning_lead",
    "meaning_known",
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One unit that might answer a question, with what the model sees of it."""

    unit: int  # index into the engine's units
    kind: str  # "qa" | "fact"
    id: str
    features: tuple[float, ...]
    scored: object | None  # the lexical ``Scored`` row, when the words found this unit
    paragraphs: frozenset[str] = frozenset()  # the paragraphs it cites

    def named(self) -> dict[str, float]:
        return dict(zip(FEATURES, self.features, strict=True))


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """The indices of the ``k`` largest values, in no order (a partition: the near misses are thousands)."""
    return np.argpartition(-values, k)[:k] if len(values) > k else np.arange(len(values))


def _lead(values: list[float], i: int) -> float:
    """How far values[i] is above the best of the others (negative when below)."""
    others = values[:i] + values[i + 1:]
    return values[i] - (max(others) if others else 0.0)


def word_pairs(tokens) -> frozenset[str]:
    """The question's consecutive content words, as pairs ("power siberia", "gas price"): what the units'
    profiles (``model.UsualWords``) count besides the single words."""
    return frozenset(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))


def candidate_features(engine, a, meaning: np.ndarray | None, near: np.ndarray | None,
                       near_words: float, own_near: np.ndarray | None = None,
                       by_meaning: np.ndarray | None = None, vector: np.ndarray | None = None) -> list[Candidate]:
    """The candidates of one reading of a question and their features.

    ``a`` is the engine's Analysis (its ``ranked`` list holds only admissible units: a number the unit lacks, a
    "how many" it cannot answer ... are hard constraints, not features). ``meaning`` holds each unit's cosine with
    the question (None when the semantic reading is off), ``near`` each near miss's, and ``near_words`` how close
    in words the closest-in-meaning near miss is; ``by_meaning``, when given, is ``np.argsort(-meaning)``; ``vector``
    the question's own vector (None when the semantic reading is off)."""
    units = engine.index.units
    ranked = a.ranked
    picked: list[int] = [s.unit_index for s in ranked[:LEXICAL_CANDIDATES]]
    by_unit = {s.unit_index: s for s in ranked}
    if meaning is not None:
        allowed = a.scope
        added = 0
        if by_meaning is None:
            by_meaning = np.argsort(-meaning)
        for i in by_meaning[:SEMANTIC_CANDIDATES * 3].tolist():
            i = int(i)
            if added >= SEMANTIC_CANDIDATES:
                break
            if i in picked or (allowed is not None and i not in allowed):
                continue
            if i not in by_unit and not engine.index.admissible(a, units[i]):
                continue
            picked.append(i)
            added += 1
    picked = picked[:MAX_CANDIDATES]
    if not picked:
        return []
    lex = [by_unit[i].score if i in by_unit else 0.0 for i in picked]
    sem = [float(meaning[i]) if meaning is not None else 0.0 for i in picked]
    top_sem = max(sem)
    near_top = float(near.max(initial=-1.0)) if near is not None and len(near) else -1.0
    weights = [engine.index.weight(t) for t in a.tokens]
    telling = sum(1 for w in weights if w >= engine.t.framing_idf)
    framing_only = 1.0 if (not a.intents and a.tokens and telling == 0) else 0.0
    qnames = frozenset(t for t in a.tokens if t in engine.index.names)
    question_facts = (
        math.log1p(len(a.tokens)), math.log1p(telling), float(min(len(a.unknown), 3)), framing_only,
        1.0 if a.asked else 0.0,
    )
    scope = engine.model.scope
    qwords = frozenset(a.tokens) | a.intents
    prior = scope.logit(qwords)
    meaning_known = 1.0 if meaning is not None else 0.0
    keys = [f"{units[i].kind}:{units[i].id}" for i in picked]
    usual = engine.model.usual.features(qwords | word_pairs(a.tokens), keys)
    dense = engine.model.usual_meaning.features(vector, keys)
    out: list[Candidate] = []
    for n, i in enumerate(picked):
        u = units[i]
        s = by_unit.get(i)
        if s is not None:
            lexical = (s.score, s.coverage, s.close, s.fuzzy, s.answer_cov, s.intent_ok, s.intent_miss,
                       float(min(s.uncovered, 3)), float(min(s.foreign, 2)), s.absent / telling if telling else 0.0,
                       s.near_miss, max(0.0, s.near_miss - s.close))
        else:
            lexical = (0.0,) * 7 + (3.0, 0.0, 1.0, 0.0, 0.0)
        unit_names = u.names
        feats = lexical + (
            1.0 if u.kind == "fact" else 0.0,
            sem[n], _lead(sem, n), 1.0 if sem[n] >= top_sem else 0.0,
            1.0 if s is not None and lex[n] >= max(lex) else 0.0, _lead(lex, n), 0.0 if s is not None else 1.0,
            max(0.0, near_top - sem[n]) if meaning is not None else 0.0, near_words,
            float(own_near[i]) - sem[n] if own_near is not None and own_near[i] > -1.0 else -1.0,
            float(len(qnames - u.tokens - u.context)), 1.0 if qnames and not qnames & unit_names and unit_names else 0.0,
            float(min(engine.index.heads_missing(a, u), 2)),
        ) + question_facts + (prior, scope.lacking(qwords, u.knows)) + usual[n] + dense[n] + (meaning_known,)
        out.append(Candidate(i, u.kind, u.id, tuple(map(float, feats)), s, u.paragraphs))
    return out


@dataclass(slots=True)
class Reading:
    """One reading of a question: the engine's analysis, the cosines, and the candidates with their features."""

    text: str
    analysis: object
    meaning: np.ndarray | None  # per unit
    near: np.ndarray | None  # per near miss
    candidates: list[Candidate]
    vector: np.ndarray | None = None  # the text's own vector, when it was read by meaning


def read(engine, text: str, exclude=None, scope: frozenset[int] | None = None, semantic: bool = True,
         keep: int | None = None) -> Reading:
    """Read one text (a whole message, or one of its question sentences) into its candidates; ``semantic=False``
    reads it by its words alone, as an engine without the vector table does. ``keep``: a unit that stays a
    candidate whatever the hard constraints say (the one the text is a phrasing of, word for word)."""
    # the cosines are computed on the other core while the question is read and ranked by its words; the units
    # closest in meaning, which are ranked by words too, are asked for last
    cleaned = engine.reader.clean(text)
    vec = engine.vector_of(cleaned) if semantic else None
    cosines = engine.cosines(vec, exclude) if vec is not None else None
    a = engine.read_question(text, cleaned)
    meaning = near = own_near = by_meaning = None
    near_words = 0.0
    extra: list[int] | Callable[[], list[int]] = []
    if cosines is not None:
        extra = partial(cosines.first, SEMANTIC_CANDIDATES * 2)
    engine.rank(a, exclude, extra, keep)
    if cosines is not None:
        meaning, near, own_near, by_meaning = cosines.result()
    if scope is not None:
        a.scope = scope
        a.ranked = [s for s in a.ranked if s.unit_index in scope]
    if near is not None and len(near) and a.tokens:
        weights, qset, _, total = engine.index.query_weights(a.tokens, a.intents)
        near_words = max(engine.index.closest(qset, weights, total, [engine._near_phrasings[int(j)]])[0]
                         for j in _top(near, NEAR_WORDS_OF))
    return Reading(text, a, meaning, near,
                   candidate_features(engine, a, meaning, near, near_words, own_near, by_meaning, vec), vec)
