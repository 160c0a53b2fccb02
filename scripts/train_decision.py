"""Train the learned decision (bot/core/data/decision.json) from the repository's data, and report.

Usage: python scripts/train_decision.py [--out FILE] [--knowledge DIR]

First knowledge/asked_out_of_scope.yaml is made anew: every question the labeled sets directly in tests/data/ (never
tests/data/untouched/) mark out of scope, filed under the candidate the engine, without that file, reads first.
Examples: every labeled set (each question read with its whole set left out of the knowledge base), every phrasing
and every near miss (each with its own copy left out). Two boosted tree ensembles (scikit-learn's
HistGradientBoostingClassifier, exported to JSON: `pip install -e '.[train]'`) and the operating points, chosen on group k-fold out-of-fold predictions (a set is never in training and
evaluation at once). Deterministic: the same repository gives the same file (tests/test_decision.py checks it).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

# scikit-learn's trees train on every core (OpenMP); BLAS stays on one thread, as in the bot (bot/__init__.py),
# or the features' last digits, and so the training data's digest, would depend on the thread count
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))

import numpy as np  # noqa: E402

from bot.core import learn  # noqa: E402
from bot.core.decide import MODEL_FILE  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.loader import ASKED_FILE, load_knowledge  # noqa: E402
from bot.core.model import Model  # noqa: E402
from bot.core.semantic import load_static_encoder  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "bot" / "core" / "data" / MODEL_FILE)
    p.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    p.add_argument("--sets", type=Path, default=ROOT / learn.TRAINING_SETS)
    args = p.parse_args(argv)
    start = time.perf_counter()
    encoder = load_static_encoder()
    bare = dataclasses.replace(load_knowledge(args.knowledge), asked_out_of_scope=())
    asked = learn.asked_out_of_scope(Engine(bare, encoder=encoder, model=Model.placeholder()), args.sets)
    learn.write_asked(asked, args.knowledge / ASKED_FILE)
    print(f"{sum(map(len, asked.values()))} questions asked out of scope: {args.knowledge / ASKED_FILE}",
          file=sys.stderr, flush=True)
    engine = Engine(load_knowledge(args.knowledge), encoder=encoder, model=Model.placeholder())
    examples = learn.training_examples(engine, args.sets, log=lambda m: print(m, file=sys.stderr, flush=True))
    model, oof = learn.train(examples)
    args.out.write_text(model.to_json(), encoding="utf-8")
    sem = [o for o in oof if o.example.features.shape[0] and o.example.features[0, -1] == 1.0]
    ins = [o for o in sem if o.example.in_scope]
    out = [o for o in sem if not o.example.in_scope]
    right = np.mean([o.best_right and o.confidence >= model.answer_at for o in ins])
    oos = np.mean([o.confidence < model.clarify_at for o in out])
    print(f"{len(examples)} examples; out of fold (group {learn.FOLDS}-fold by set): in scope answered right "
          f"{right:.1%}, out of scope abstained {oos:.1%}; answer_at {model.answer_at:.3f}, clarify_at "
          f"{model.clarify_at:.3f}; wrote {args.out} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
