"""Check that a change to the engine keeps every reading's features and every answer: dump, then compare.

Usage:
    python scripts/feature_equality.py dump FILE      # on the code before the change
    python scripts/feature_equality.py compare FILE   # on the code after it: exit 1 on any difference

What is read, for every question of the labeled sets directly in tests/data/ (never tests/data/untouched/), every
Q&A phrasing and every near miss: ``features.read`` as training reads it (its own copies left out of the
knowledge base, by meaning and by words alone) and as the bot reads it (nothing left out), and ``Engine.ask``'s
outcome, entry and confidence. Compared: the candidate units and their order, the lexical ranking (units and
scores), the feature matrices (max abs difference at most 1e-9) and the answers (identical).
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the bot and training run

import numpy as np  # noqa: E402

from bot.core.engine import Engine  # noqa: E402
from bot.core.evaluation import load_items  # noqa: E402
from bot.core.features import FEATURES, read  # noqa: E402
from bot.core.loader import load_knowledge  # noqa: E402
from bot.core.semantic import load_static_encoder  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-9


def questions(engine: Engine, sets: Path) -> list[tuple[str, str]]:
    """(source, question): the labeled sets' questions, then the phrasings and the near misses."""
    out = [(p.stem, i.q) for p in sorted(sets.glob("*.yaml")) for i in load_items(p)]
    out += [("phrasings", q) for e in engine.knowledge.entries for q in e.questions]
    out += [("near-misses", q) for _, qs in engine.knowledge.near_misses for q in qs]
    return out


def _reading(engine: Engine, q: str, exclude, semantic: bool) -> dict:
    r = read(engine, q, exclude, semantic=semantic)
    feats = np.array([c.features for c in r.candidates], dtype=np.float64).reshape(-1, len(FEATURES))
    ranked = [(s.unit_index, s.score, s.coverage, s.close, s.fuzzy, s.near_miss) for s in r.analysis.ranked]
    return {"units": [c.unit for c in r.candidates], "features": feats, "ranked": ranked}


def snapshot(engine: Engine, sets: Path, log=lambda m: None) -> dict:
    out: dict = {}
    items = questions(engine, sets)
    for n, (source, q) in enumerate(items):
        loo = engine.exclusion([q])
        rec = {"loo": _reading(engine, q, loo, True), "loo_words": _reading(engine, q, loo, False),
               "plain": _reading(engine, q, None, True)}
        a = engine.ask(q)
        rec["ask"] = (a.status.value, a.match.id, a.confidence, a.candidates, a.read_as)
        out[(source, n, q)] = rec
        if n % 1000 == 0:
            log(f"{n}/{len(items)}")
    return out


def compare(before: dict, after: dict) -> list[str]:
    problems: list[str] = []
    if before.keys() != after.keys():
        return [f"different questions: {len(before)} before, {len(after)} after"]
    worst = 0.0
    for key, b in before.items():
        a = after[key]
        for kind in ("loo", "loo_words", "plain"):
            rb, ra = b[kind], a[kind]
            if rb["units"] != ra["units"]:
                problems.append(f"{key} {kind}: candidates {rb['units']} -> {ra['units']}")
                continue
            if rb["features"].shape != ra["features"].shape:
                problems.append(f"{key} {kind}: feature shape {rb['features'].shape} -> {ra['features'].shape}")
                continue
            if rb["features"].size:
                d = float(np.max(np.abs(rb["features"] - ra["features"])))
                worst = max(worst, d)
                if d > TOLERANCE:
                    problems.append(f"{key} {kind}: features differ by {d:g}")
            if [r[0] for r in rb["ranked"]] != [r[0] for r in ra["ranked"]]:
                problems.append(f"{key} {kind}: lexical ranking differs")
            elif rb["ranked"] and np.max(np.abs(np.array(rb["ranked"]) - np.array(ra["ranked"]))) > TOLERANCE:
                problems.append(f"{key} {kind}: lexical scores differ")
        if b["ask"] != a["ask"]:
            problems.append(f"{key}: ask {b['ask']} -> {a['ask']}")
    print(f"{len(before)} questions x 3 readings; max abs feature difference {worst:.3g}")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("action", choices=("dump", "compare"))
    p.add_argument("file", type=Path)
    p.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    p.add_argument("--sets", type=Path, default=ROOT / "tests" / "data")
    args = p.parse_args(argv)
    start = time.perf_counter()
    engine = Engine(load_knowledge(args.knowledge), encoder=load_static_encoder())
    snap = snapshot(engine, args.sets, log=lambda m: print(m, file=sys.stderr, flush=True))
    if args.action == "dump":
        args.file.write_bytes(pickle.dumps(snap))
        print(f"{len(snap)} questions dumped to {args.file} in {time.perf_counter() - start:.0f} s")
        return 0
    problems = compare(pickle.loads(args.file.read_bytes()), snap)
    for line in problems[:50]:
        print(line)
    print(f"{len(problems)} differences ({time.perf_counter() - start:.0f} s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
