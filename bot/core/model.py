"""The learned decision's model, as shipped: a ranker, a decision and two operating points, read from JSON.

Each of the two is a boosted ensemble of small trees (``Trees``) whose sum is a log-odds. Run time needs only
NumPy; ``bot/core/learn.py`` trains them with scikit-learn (``scripts/train_decision.py``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .features import FEATURES

# hinges and products of the main features, so that a linear model can say "an exact phrasing", "very close in
# meaning", "a near miss closer than any phrasing"
_I = {name: n for n, name in enumerate(FEATURES)}
DERIVED = ("exact_phrasing", "close_hi", "meaning_hi", "close_x_meaning", "own_near_miss_hi",
           "own_near_meaning_ahead", "meaning_lead_pos", "lex_lead_pos", "near_miss_ahead")
RANKER_FEATURES = FEATURES + DERIVED


def expand(feats: np.ndarray) -> np.ndarray:
    """The ranker's inputs: the candidates' features and the derived ones (DERIVED)."""
    f = np.atleast_2d(feats)
    col = lambda name: f[:, _I[name]]  # noqa: E731
    close, meaning = col("close"), col("meaning")
    derived = np.column_stack([
        (close >= 0.999).astype(float), np.maximum(0.0, close - 0.75), np.maximum(0.0, meaning - 0.75),
        close * meaning, np.maximum(0.0, col("own_near_miss") - 0.75), np.maximum(0.0, col("own_near_meaning_lead")),
        np.maximum(0.0, col("meaning_lead")), np.maximum(0.0, col("lex_lead")),
        np.maximum(0.0, col("near_miss_meaning_lead") * -1.0 + 0.05),
    ])
    return np.hstack([f, derived])


DECISION_FEATURES = ("best", "best_logit", "rival", "lead", "other_rivals", "candidates") + tuple(
    f"best.{name}" for name in FEATURES)


@dataclass(frozen=True, eq=False)
class Trees:
    """A boosted ensemble of binary trees, flattened into arrays: the sum of the leaves a row reaches, plus the
    baseline, is its log-odds. At each inner node a row goes left when ``x[feature] <= threshold``; a leaf points
    at itself (threshold +inf), so every row can take ``depth`` steps."""

    feature: np.ndarray  # int, per node
    threshold: np.ndarray  # float, per node (+inf at leaves)
    left: np.ndarray  # int, per node
    right: np.ndarray  # int, per node
    value: np.ndarray  # float, per node (0 at inner nodes)
    roots: np.ndarray  # int, per tree
    depth: int
    baseline: float
    _child: np.ndarray = field(init=False, repr=False)  # node n's children at 2n (left) and 2n + 1 (right)

    def __post_init__(self) -> None:
        child = np.empty(2 * len(self.left), dtype=np.int64)
        child[0::2], child[1::2] = self.left, self.right
        object.__setattr__(self, "_child", child)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Every row down every tree at once: ``depth`` steps of gathers on a (rows x trees) array of nodes."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        n, width = x.shape
        flat = x.ravel()
        offset = (np.arange(n, dtype=np.int64) * width)[:, None]
        node = np.tile(self.roots, (n, 1))
        for _ in range(self.depth):  # ``take`` and in-place steps: a question's few rows cost little more than one
            cell = self.feature.take(node)
            cell += offset
            right = flat.take(cell) > self.threshold.take(node)
            node += node
            node += right
            node = self._child.take(node)
        return self.value.take(node).sum(axis=1) + self.baseline

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logits(x), -30, 30)))

    @classmethod
    def empty(cls) -> "Trees":
        """No trees: log-odds 0, every probability 0.5."""
        none_i, none_f = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return cls(none_i, none_f, none_i, none_i, none_f, none_i, 0, 0.0)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trees):
            return NotImplemented
        return (self.depth == other.depth and self.baseline == other.baseline
                and all(np.array_equal(getattr(self, f), getattr(other, f))
                        for f in ("feature", "threshold", "left", "right", "value", "roots")))

    def to_dict(self) -> dict:
        # exact floats (a rounded threshold could send a row the other way); a leaf's threshold is null
        return {"kind": "trees", "depth": self.depth, "baseline": float(self.baseline),
                "roots": self.roots.tolist(), "feature": self.feature.tolist(),
                "threshold": [float(t) if np.isfinite(t) else None for t in self.threshold],
                "left": self.left.tolist(), "right": self.right.tolist(), "value": self.value.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Trees":
        thr = np.array([np.inf if t is None else float(t) for t in d["threshold"]], dtype=np.float64)
        ints = lambda k: np.asarray(d[k], dtype=np.int64)  # noqa: E731
        t = cls(ints("feature"), thr, ints("left"), ints("right"), np.asarray(d["value"], dtype=np.float64),
                ints("roots"), int(d["depth"]), float(d["baseline"]))
        n = len(thr)
        if d.get("kind") != "trees" or not (len(t.feature) == len(t.left) == len(t.right) == len(t.value) == n) or (
                n and (min(t.left.min(), t.right.min(), t.roots.min()) < 0
                       or max(t.left.max(), t.right.max(), t.roots.max()) >= n)):
            raise ValueError("the decision model's trees are malformed: retrain it (scripts/train_decision.py)")
        return t


@dataclass(frozen=True, eq=True)
class ScopeWords:
    """What a question's words say about whether the brief answers it: a logistic regression on the words (stems
    and intent pseudo-words, as the engine reads them) of the labeled sets' questions, in scope or not. Words like
    "cost", "age" or "next" lean out of scope whatever they are asked about; "tho" or "pls" lean nowhere. Two
    features come from it: the question's log-odds (``logit``) and, per candidate, the weight of the out-of-scope
    words the candidate lacks (``lacking``)."""

    intercept: float = 0.0
    weights: dict[str, float] = field(default_factory=dict)

    def logit(self, words) -> float:
        w = self.weights
        return self.intercept + math.fsum(w.get(t, 0.0) for t in words)

    def lacking(self, words, has) -> float:
        """The (negative) weight of the words, leaning out of scope, for which ``has(word)`` is false; intent
        pseudo-words ("?when") are the engine's business (its hard constraints), not the candidate's words."""
        w = self.weights
        # the words that lean in (weight 0 or more) add nothing: only the others are looked up with ``has``
        return math.fsum([v for t in words if t[0] != "?" and (v := w.get(t, 0.0)) < 0.0 and not has(t)])

    def to_dict(self) -> dict:
        return {"intercept": float(self.intercept), "weights": {k: float(v) for k, v in sorted(self.weights.items())}}

    @classmethod
    def from_dict(cls, d: dict) -> "ScopeWords":
        return cls(float(d["intercept"]), {str(k): float(v) for k, v in d["weights"].items()})


def _leads(values: Sequence[float]) -> list[float]:
    """How far each value is above the best of the others (negative when below; 0 when there is no other)."""
    out = []
    for n, v in enumerate(values):
        others = [*values[:n], *values[n + 1:]]
        out.append(v - max(others) if others else 0.0)
    return out


@dataclass(frozen=True, eq=True)
class UsualWords:
    """How each unit is usually asked: a naive Bayes profile of the words (stems, intent pseudo-words and pairs of
    consecutive words: ``features.word_pairs``) of the questions it answers, pooled over its phrasings and the
    labeled sets' questions it answers right. Where the lexical features compare a question with one phrasing at a
    time, this compares it with everything people asked of the unit: words spread over many phrasings count
    together, and words people use for any question ("tho", "brief") lean nowhere. A word ``w`` seen with unit
    ``u`` scores ``seen[u][w]``, the log of how much likelier ``w`` is in the unit's questions than in all
    questions (smoothed); any other word ``default[u]``. A unit nobody asked about scores 0 for every word.
    ``learn.fit_usual`` counts them; the three candidate features are the mean score per word, its lead over the
    other candidates, and the share of words seen."""

    default: dict[str, float] = field(default_factory=dict)  # per unit key ("qa:<id>", "fact:<id>")
    seen: dict[str, dict[str, float]] = field(default_factory=dict)

    def score(self, words, unit: str) -> tuple[float, float]:
        """(mean score per word, share of the words seen with the unit)."""
        if not words:
            return 0.0, 0.0
        table = self.seen.get(unit, {})
        other = self.default.get(unit, 0.0)
        hits = sum(map(table.__contains__, words))
        return math.fsum([table.get(w, other) for w in words]) / len(words), hits / len(words)

    def features(self, words, units) -> list[tuple[float, float, float]]:
        """Per candidate unit: its mean score, the lead of that over the best of the other candidates, and the
        share of the question's words seen with it."""
        scores = [self.score(words, u) for u in units]
        means = [m for m, _ in scores]
        return [(m, lead, hits) for (m, hits), lead in zip(scores, _leads(means))]

    def to_dict(self) -> dict:
        return {"default": {k: float(v) for k, v in sorted(self.default.items())},
                "seen": {u: {w: float(v) for w, v in sorted(t.items())} for u, t in sorted(self.seen.items())}}

    @classmethod
    def from_dict(cls, d: dict) -> "UsualWords":
        return cls({str(k): float(v) for k, v in d["default"].items()},
                   {str(u): {str(w): float(v) for w, v in t.items()} for u, t in d["seen"].items()})


@dataclass(frozen=True, eq=False)
class UsualMeaning:
    """How each unit is usually asked, by meaning: a ridge regression from a question's vector (the static
    encoder's, unit length) to the units it answers, fitted on the same questions as ``UsualWords`` (the phrasings
    and the labeled sets' questions each unit answers right). Where ``UsualWords`` knows only words people have
    used, this one reads any word the encoder knows, so a synonym nobody has asked with still leans towards the
    unit whose questions mean the same. A unit's score is its row of ``weights`` times the question's vector; a
    unit nobody asked about scores 0. ``learn.fit_usual_meaning`` fits it; the two candidate features are the
    score and its lead over the other candidates."""

    units: tuple[str, ...] = ()  # unit keys ("qa:<id>", "fact:<id>"), one per row of ``weights``
    weights: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # units x dimensions
    _row: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_row", {u: n for n, u in enumerate(self.units)})

    def features(self, vector: np.ndarray | None, units: Sequence[str]) -> list[tuple[float, float]]:
        """Per candidate unit: its score for the question's ``vector`` (None: the question was not read by
        meaning, every score 0) and the lead of that over the best of the other candidates."""
        scores = [0.0] * len(units)
        if vector is not None:
            known = [(n, r) for n, u in enumerate(units) if (r := self._row.get(u)) is not None]
            if known:
                values = self.weights[[r for _, r in known]] @ np.asarray(vector, dtype=np.float64)
                for (n, _), value in zip(known, values.tolist()):
                    scores[n] = value
        return list(zip(scores, _leads(scores)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UsualMeaning):
            return NotImplemented
        return self.units == other.units and np.array_equal(self.weights, other.weights)

    def to_dict(self) -> dict:
        return {"units": list(self.units), "weights": [[float(w) for w in row] for row in self.weights]}

    @classmethod
    def from_dict(cls, d: dict) -> "UsualMeaning":
        units = tuple(str(u) for u in d["units"])
        weights = np.asarray(d["weights"], dtype=np.float64).reshape(len(units), -1) if units else np.zeros((0, 0))
        return cls(units, weights)


def decision_features(probs: np.ndarray, feats: np.ndarray,
                      paragraphs: Sequence[frozenset[str]] | None = None) -> np.ndarray:
    """The decision's view of a question: the ranker's probability of its best candidate, of its best rival and
    the rest (a rival cites other paragraphs: two entries drawn from the same paragraph are two wordings of one
    answer, not competitors), and the best candidate's own features."""
    if not len(probs):
        return np.zeros(len(DECISION_FEATURES))
    order = np.argsort(-probs, kind="stable")
    top = int(order[0])
    rivals = [int(i) for i in order[1:]
              if paragraphs is None or not (paragraphs[int(i)] & paragraphs[top])]
    best = float(probs[top])
    runner = float(probs[rivals[0]]) if rivals else 0.0
    eps = 1e-6
    head = np.array([best, math.log((best + eps) / (1 - best + eps)), runner, best - runner,
                     float(sum(probs[i] for i in rivals[1:])), math.log1p(len(probs))])
    return np.concatenate([head, feats[top]])


@dataclass(frozen=True, slots=True)
class Model:
    ranker: Trees  # candidate features (``expand``ed) -> the probability it is a right answer
    decision: Trees  # ``decision_features`` -> the probability that answering with the best is right
    answer_at: float  # answer when the decision's probability is at least this
    clarify_at: float  # otherwise offer "did you mean" when it is at least this (and two candidates are close)
    features: tuple[str, ...] = FEATURES
    trained_on: str = ""
    scope: ScopeWords = field(default_factory=ScopeWords)  # the words' lean: two of the candidates' features
    usual: UsualWords = field(default_factory=UsualWords)  # how each unit is usually asked: three more
    usual_meaning: UsualMeaning = field(default_factory=UsualMeaning)  # ... by meaning: two more

    @classmethod
    def placeholder(cls) -> "Model":
        """A model that knows nothing (every probability 0.5, never answers, no word leans): what training starts
        from."""
        return cls(Trees.empty(), Trees.empty(), 2.0, 2.0, FEATURES, "placeholder")

    def rank(self, feats: np.ndarray) -> np.ndarray:
        return self.ranker.probabilities(expand(feats)) if len(feats) else np.zeros(0)

    def confidence(self, probs: np.ndarray, feats: np.ndarray,
                   paragraphs: Sequence[frozenset[str]] | None = None) -> float:
        x = decision_features(probs, feats, paragraphs)[None, :]
        return float(self.decision.probabilities(x)[0])

    def to_json(self) -> str:
        return json.dumps({"format": 5, "features": list(RANKER_FEATURES), "decision_features": list(DECISION_FEATURES),
                           "ranker": self.ranker.to_dict(), "decision": self.decision.to_dict(),
                           "scope": self.scope.to_dict(), "usual": self.usual.to_dict(),
                           "usual_meaning": self.usual_meaning.to_dict(),
                           "answer_at": round(self.answer_at, 6), "clarify_at": round(self.clarify_at, 6),
                           "trained_on": self.trained_on}, sort_keys=True, separators=(",", ":")) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Model":
        d = json.loads(text)
        if d.get("format") != 5 or tuple(d["features"]) != RANKER_FEATURES or tuple(d["decision_features"]) != DECISION_FEATURES:
            raise ValueError("the decision model was trained on other features: retrain it (scripts/train_decision.py)")
        return cls(Trees.from_dict(d["ranker"]), Trees.from_dict(d["decision"]), float(d["answer_at"]),
                   float(d["clarify_at"]), FEATURES, d.get("trained_on", ""), ScopeWords.from_dict(d["scope"]),
                   UsualWords.from_dict(d["usual"]), UsualMeaning.from_dict(d["usual_meaning"]))


