"""The learned decision's model, as shipped: two logistic models and two operating points, read from JSON.

Run time needs only NumPy; ``bot/core/learn.py`` trains it (``scripts/train_decision.py``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Logistic:
    """A logistic model over standardised features."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.weights) + self.bias

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logits(x), -30, 30)))

    def to_dict(self) -> dict:
        r = lambda xs: [round(float(v), 8) for v in xs]  # noqa: E731
        return {"mean": r(self.mean), "scale": r(self.scale), "weights": r(self.weights),
                "bias": round(float(self.bias), 8)}

    @classmethod
    def from_dict(cls, d: dict) -> "Logistic":
        return cls(tuple(d["mean"]), tuple(d["scale"]), tuple(d["weights"]), float(d["bias"]))


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
    ranker: Logistic
    decision: Logistic
    answer_at: float  # answer when the decision's probability is at least this
    clarify_at: float  # otherwise offer "did you mean" when it is at least this (and two candidates are close)
    features: tuple[str, ...] = FEATURES
    trained_on: str = ""

    @classmethod
    def placeholder(cls) -> "Model":
        """A model that knows nothing (every probability 0.5, never answers): what training starts from."""
        n, m = len(RANKER_FEATURES), len(DECISION_FEATURES)
        zero = lambda k: Logistic((0.0,) * k, (1.0,) * k, (0.0,) * k, 0.0)  # noqa: E731
        return cls(zero(n), zero(m), 2.0, 2.0, FEATURES, "placeholder")

    def rank(self, feats: np.ndarray) -> np.ndarray:
        return self.ranker.probabilities(expand(feats)) if len(feats) else np.zeros(0)

    def confidence(self, probs: np.ndarray, feats: np.ndarray,
                   paragraphs: Sequence[frozenset[str]] | None = None) -> float:
        x = decision_features(probs, feats, paragraphs)[None, :]
        return float(self.decision.probabilities(x)[0])

    def to_json(self) -> str:
        return json.dumps({"format": 1, "features": list(RANKER_FEATURES), "decision_features": list(DECISION_FEATURES),
                           "ranker": self.ranker.to_dict(), "decision": self.decision.to_dict(),
                           "answer_at": round(self.answer_at, 6), "clarify_at": round(self.clarify_at, 6),
                           "trained_on": self.trained_on}, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Model":
        d = json.loads(text)
        if d.get("format") != 1 or tuple(d["features"]) != RANKER_FEATURES or tuple(d["decision_features"]) != DECISION_FEATURES:
            raise ValueError("the decision model was trained on other features: retrain it (scripts/train_decision.py)")
        return cls(Logistic.from_dict(d["ranker"]), Logistic.from_dict(d["decision"]), float(d["answer_at"]),
                   float(d["clarify_at"]), FEATURES, d.get("trained_on", ""))


