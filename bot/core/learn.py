"""Training the learned decision from the repository's own data (NumPy only, deterministic).

Examples come from three sources, each asked as if it were new (its own copy left out of the knowledge base):
the labeled sets in tests/data/ (their ``judge`` says which candidates would be a right answer), every Q&A
phrasing (its own entry is the right one) and every near miss (no candidate is right). Two logistic models are
fitted by Newton's method with an L2 penalty:

1. the ranker scores each candidate: how likely it is to be a right answer to the question;
2. the decision turns the ranker's view of the question (its best score, the runner-up, ...) into the calibrated
   probability that answering with the best candidate is right.

Evaluation is group k-fold by source (a labeled set is never in training and evaluation at once), so the
operating points (when to answer, when to offer "did you mean") are chosen on predictions for questions the
model was not trained on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .evaluation import Item, judge
from .features import FEATURES, read
from .model import Logistic, Model, decision_features, expand



@dataclass(slots=True)
class Example:
    group: str  # the source: a labeled set's file name, "phrasings" or "near-misses"
    question: str
    in_scope: bool
    features: np.ndarray  # candidates x FEATURES
    labels: np.ndarray  # candidates: 1 if answering with it is right
    ids: list[str]  # "qa:<id>" / "fact:<id>" of the candidates
    paragraphs: list[frozenset[str]]  # the paragraphs each candidate cites


def example(engine, group: str, item: Item, leave_out: Iterable[str] = (), semantic: bool = True) -> Example:
    """One question as the model sees it, labeled by ``judge``. ``leave_out``: texts of the knowledge base left
    out while it is read (the question itself, when the curator copied it into the knowledge base)."""
    exclude = engine.exclusion(leave_out)
    r = read(engine, item.q, exclude, semantic=semantic)
    feats = np.array([c.features for c in r.candidates], dtype=np.float64).reshape(-1, len(FEATURES))
    labels = np.zeros(len(r.candidates))
    if item.in_scope:
        for n, c in enumerate(r.candidates):
            labels[n] = 1.0 if judge(item, engine.answer_unit(item.q, c.unit))[0] else 0.0
    return Example(group, item.q, item.in_scope, feats, labels, [f"{c.kind}:{c.id}" for c in r.candidates],
                   [c.paragraphs for c in r.candidates])


def knowledge_examples(engine, semantic: bool = True) -> list[Example]:
    """Every phrasing (left out, its own entry is right) and every near miss (left out, nothing is right)."""
    out = []
    for e in engine.knowledge.entries:
        for q in e.questions:
            out.append(example(engine, "phrasings", Item(q, True, entry=e.id), [q], semantic))
    for _, questions in engine.knowledge.near_misses:
        for q in questions:
            out.append(example(engine, "near-misses", Item(q, False), [q], semantic))
    return out


# ------------------------------------------------------------------------------------------------- fitting


def fit_logistic(x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None,
                 l2: float = 1.0, steps: int = 50) -> Logistic:
    """L2-penalised logistic regression by Newton's method; deterministic for the same data."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    n, d = z.shape
    zb = np.hstack([z, np.ones((n, 1))])
    sw = np.ones(n) if sample_weight is None else sample_weight
    w = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(zb @ w, -30, 30)))
        grad = zb.T @ (sw * (p - y)) + penalty * w
        hess = (zb * (sw * p * (1 - p))[:, None]).T @ zb + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    return Logistic(tuple(mean), tuple(scale), tuple(w[:-1]), float(w[-1]))


def _stack(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [e.features for e in examples if len(e.features)]
    x = np.vstack(rows) if rows else np.zeros((0, len(FEATURES)))
    y = np.concatenate([e.labels for e in examples if len(e.features)]) if rows else np.zeros(0)
    # each question weighs the same, however many candidates it has; phrasings and near misses count half
    w = np.concatenate([np.full(len(e.labels), (0.5 if e.group in ("phrasings", "near-misses") else 1.0)
                                / max(1, len(e.labels))) for e in examples if len(e.features)]) if rows else np.zeros(0)
    return x, y, w * len(examples) / max(1.0, w.sum())


def fit_ranker(examples: Sequence[Example], l2: float = 1.0) -> Logistic:
    x, y, w = _stack(examples)
    return fit_logistic(expand(x), y, w, l2=l2)


def decision_rows(ranker: Logistic, examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for e in examples:
        probs = ranker.probabilities(expand(e.features)) if len(e.features) else np.zeros(0)
        xs.append(decision_features(probs, e.features, e.paragraphs))
        ys.append(float(e.labels[int(np.argmax(probs))]) if len(probs) else 0.0)
    return np.array(xs), np.array(ys)


def fit_model(examples: Sequence[Example], l2: float = 1.0) -> tuple[Logistic, Logistic]:
    ranker = fit_ranker(examples, l2)
    x, y = decision_rows(ranker, examples)
    w = np.array([0.5 if e.group in ("phrasings", "near-misses") else 1.0 for e in examples])
    return ranker, fit_logistic(x, y, w, l2=l2)


def digest(examples: Sequence[Example]) -> str:
    h = hashlib.sha256()
    for e in examples:
        h.update(e.group.encode())
        h.update(e.question.encode())
        h.update(np.round(e.features, 6).tobytes())
        h.update(e.labels.tobytes())
    return h.hexdigest()[:16]


def save(model: Model, path: Path) -> None:
    path.write_text(model.to_json(), encoding="utf-8")


# ------------------------------------------------------------------------------------------------- the recipe

TRAINING_SETS = "tests/data"  # every *.yaml directly in it; tests/data/untouched/ is never read
FOLDS = 6
OOS_ANSWERED_MAX = 0.025  # answer_at: out-of-scope questions answered, out of fold, at most this share
OOS_NOT_ABSTAINED_MAX = 0.03  # clarify_at: ... answered or "did you mean", at most this share (the 97% floor)
L2 = 1.0


def training_examples(engine, root: Path, log=lambda msg: None) -> list[Example]:
    """Every labeled set directly in ``root`` (each question with its copies in the knowledge base left out),
    every phrasing and every near miss (each left out), asked with the semantic reading and, for a third of
    them, without it (an engine without the vector table uses the same model)."""
    from .evaluation import load_items

    out: list[Example] = []
    for path in sorted(Path(root).glob("*.yaml")):
        for n, item in enumerate(load_items(path)):
            out.append(example(engine, path.stem, item, [item.q]))
            if n % 3 == 0:
                out.append(example(engine, path.stem, item, [item.q], semantic=False))
        log(f"{path.stem}: {len(out)} examples")
    for n, e in enumerate(knowledge_examples(engine)):
        out.append(e)
    log(f"phrasings and near misses: {len(out)} examples")
    return out


@dataclass(frozen=True, slots=True)
class OutOfFold:
    example: Example
    confidence: float
    probabilities: np.ndarray

    @property
    def best_right(self) -> bool:
        return bool(len(self.probabilities)) and bool(self.example.labels[int(np.argmax(self.probabilities))])


def out_of_fold(examples: Sequence[Example], folds: int = FOLDS, l2: float = L2) -> list[OutOfFold]:
    """Predictions for each labeled-set question by a model trained without its set (group k-fold by set;
    phrasings and near misses are always in training and never predicted)."""
    sets = sorted({e.group for e in examples if e.group not in ("phrasings", "near-misses")})
    fold_of = {s: n % folds for n, s in enumerate(sets)}
    out: list[OutOfFold] = []
    for k in range(folds):
        train = [e for e in examples if fold_of.get(e.group, -1) != k]
        test = [e for e in examples if fold_of.get(e.group, -1) == k]
        ranker, decision = fit_model(train, l2)
        for e in test:
            probs = ranker.probabilities(expand(e.features)) if len(e.features) else np.zeros(0)
            conf = float(decision.probabilities(decision_features(probs, e.features, e.paragraphs)[None, :])[0])
            out.append(OutOfFold(e, conf, probs))
    return out


def operating_points(oof: Sequence[OutOfFold]) -> tuple[float, float]:
    """answer_at and clarify_at: the lowest bars that keep out-of-scope questions (with the semantic reading,
    out of fold) answered at most OOS_ANSWERED_MAX, and answered or "did you mean" at most OOS_NOT_ABSTAINED_MAX."""
    conf = np.sort(np.array([o.confidence for o in oof if not o.example.in_scope
                             and o.example.features.shape[0] and o.example.features[0, -1] == 1.0]))[::-1]
    if not len(conf):
        return 0.5, 0.5
    answer_at = float(conf[int(len(conf) * OOS_ANSWERED_MAX)]) + 1e-6
    clarify_at = float(conf[int(len(conf) * OOS_NOT_ABSTAINED_MAX)]) + 1e-6
    return answer_at, min(answer_at, clarify_at)


def train(examples: Sequence[Example], l2: float = L2) -> tuple[Model, list[OutOfFold]]:
    oof = out_of_fold(examples, l2=l2)
    answer_at, clarify_at = operating_points(oof)
    ranker, decision = fit_model(examples, l2)
    return Model(ranker, decision, answer_at, clarify_at, FEATURES,
                 f"{len(examples)} examples, digest {digest(examples)}"), oof
