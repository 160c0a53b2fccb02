"""Fit the engine's ranking weights on the knowledge base's own phrasings (leave-one-out), and report.

Each phrasing of each Q&A entry is asked as a question with that phrasing left out of the index; the entry
it belongs to should come first. A pairwise logistic model (the right unit against each wrong candidate) over
the engine's features gives the weights printed at the end, to paste into ``Thresholds.rank_weights``.
Usage: python scripts/fit_weights.py [knowledge_dir]
"""

from __future__ import annotations

import sys

import numpy as np

from bot.core.engine import Engine, Thresholds
from bot.core.loader import load_knowledge
from bot.core.model import Model


def collect(engine: Engine, stride: int = 1):
    pairs, queries = [], []
    for ui, e in enumerate(engine.knowledge.entries):
        for j, q in enumerate(e.questions):
            if (ui + j) % stride:
                continue
            a = engine.analyse(q, exclude=engine.exclusion([q]))
            feats = {s.unit_index: np.array(s.features(engine.index.units[s.unit_index].kind == "fact")) for s in a.ranked}
            if ui not in feats:
                continue
            queries.append((ui, feats))
            pos = feats[ui]
            same = {k for k, u in enumerate(engine.index.units) if u.paragraphs & engine.index.units[ui].paragraphs}
            for k, f in feats.items():
                if k != ui and k not in same:
                    pairs.append(pos - f)
    return np.array(pairs), queries


def fit(pairs: np.ndarray, l2: float = 1e-3, steps: int = 3000, lr: float = 0.5) -> np.ndarray:
    w = np.zeros(pairs.shape[1])
    for _ in range(steps):
        z = pairs @ w
        p = 1 / (1 + np.exp(-z))
        grad = -((1 - p)[:, None] * pairs).mean(axis=0) + l2 * w
        w -= lr * grad
    return w


def top1(queries, w) -> float:
    ok = 0
    for ui, feats in queries:
        best = max(feats, key=lambda k: feats[k] @ w)
        ok += best == ui
    return ok / len(queries)


def main() -> None:
    k = load_knowledge(sys.argv[1] if len(sys.argv) > 1 else "knowledge")
    engine = Engine(k, model=Model.placeholder())
    pairs, queries = collect(engine)
    current = np.array(Thresholds().rank_weights)
    print(f"{len(queries)} leave-one-out questions, {len(pairs)} pairs")
    print(f"top-1 with current weights: {top1(queries, current):.3f}")
    w = fit(pairs)
    w = w / np.abs(w[:3]).sum()  # scale so coverage+close+fuzzy weights sum to about 1
    print(f"top-1 with fitted weights:  {top1(queries, w):.3f}")
    print("rank_weights =", tuple(round(float(x), 3) for x in w))


if __name__ == "__main__":
    main()
