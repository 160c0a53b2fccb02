"""The learned decision's out-of-fold figures on the training sets, for the shipped recipe or a variant of it.

Usage:
    python scripts/out_of_fold.py                      # the shipped recipe
    python scripts/out_of_fold.py --set USUAL_ALPHA=2 --set 'DECISION_TREES={"min_samples_leaf": 80}'
    python scripts/out_of_fold.py --set 'GROUP_WEIGHTS={"phrasings": 1.0, "near-misses": 1.0}'
    python scripts/out_of_fold.py --answer-at-clarify  # answering down to the "did you mean" bar

Reads the training sets (tests/data/*.yaml, never tests/data/untouched/) as scripts/train_decision.py does, fits
the model six times (group 6-fold by set, the same cross-fitting and out-of-scope bar as training), and prints in
scope answered right, the right entry ranked first, in scope answered wrongly and out of scope abstained, over the
questions read by meaning. A ``--set NAME=VALUE`` changes ``bot.core.learn.NAME`` first (a dict updates the dict).
Training-sets only: use it to choose between variants; the untouched sets then say what the choice is worth.
About 6 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the bot and training run

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import learn  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.loader import load_knowledge  # noqa: E402
from bot.core.model import Model  # noqa: E402
from bot.core.semantic import load_static_encoder  # noqa: E402


def override(setting: str) -> None:
    name, _, value = setting.partition("=")
    current = getattr(learn, name)  # an unknown name is an error, not a silent no-op
    new = json.loads(value)
    if isinstance(current, dict):
        current.update(new)
    else:
        setattr(learn, name, type(current)(new))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--answer-at-clarify", action="store_true",
                   help='answer down to the "did you mean" bar (clarify_at) rather than at answer_at: the figures '
                        'of that operating point (docs/quality.md, round 10)')
    args = p.parse_args(argv)
    for s in args.set:
        override(s)
    start = time.perf_counter()
    engine = Engine(load_knowledge(ROOT / "knowledge"), encoder=load_static_encoder(), model=Model.placeholder())
    examples = learn.training_examples(engine, ROOT / learn.TRAINING_SETS)
    examples, *_ = learn.cross_fitted(examples)
    oof = learn.out_of_fold(examples)
    answer_at, clarify_at = learn.operating_points(oof)
    if args.answer_at_clarify:
        answer_at = clarify_at
    read = [o for o in oof if o.example.features.shape[0] and o.example.features[0, -1] == 1.0]
    inside = [o for o in read if o.example.in_scope]
    outside = [o for o in read if not o.example.in_scope]
    print(f"{len(inside)} in scope, {len(outside)} out of scope (out of fold, read by meaning); "
          f"answer_at {answer_at:.3f}, clarify_at {clarify_at:.3f}")
    print(f"  in scope answered right  {np.mean([o.best_right and o.confidence >= answer_at for o in inside]):.2%}")
    print(f"  right entry ranked first {np.mean([o.best_right for o in inside]):.2%}")
    print(f"  in scope answered wrong  {np.mean([not o.best_right and o.confidence >= answer_at for o in inside]):.2%}")
    print(f"  out of scope abstained   {np.mean([o.confidence < clarify_at for o in outside]):.2%}")
    print(f"  out of scope answered    {np.mean([o.confidence >= answer_at for o in outside]):.2%}")
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
