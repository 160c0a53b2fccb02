"""Propose knowledge-base additions from a labeled question set: the curator's loop, run on test users.

For every in-scope question the bot misses, it proposes the question as a new phrasing of the entry whose answer
the labels accept (the one closest in meaning when several do); for every out-of-scope question the bot answers,
it proposes the question as a near miss of the entry or fact ("fact:<id>") it answered with. A phrasing is proposed
only if the entry's answer answers it by the fidelity rules (bot.core.fidelity.phrasing_problems: a "how many /
which year / when / who / where" question needs an answer that states one, and so on); the others are listed under
"rejected" with the reason, to become a near miss or a new entry. A yes/no phrasing asked the opposite way round
from the entry's own is proposed but flagged under "flagged" (bot.core.fidelity.polarity_note). Nothing is written
into knowledge/: the proposals go to a YAML file for a person to read, move or drop, and merge (context-dependent
follow-ups such as "and who met him?" should not become phrasings). Out-of-scope questions met with "did you mean" are listed as
notes only.

    python scripts/curate_from_set.py tests/data/dev_casual.yaml [more sets ...] --out proposals.yaml

A set used this way stops being an independent measurement: keep some sets, and the held-out half, out of it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.engine import Engine  # noqa: E402
from bot.core.evaluation import judge, load_items  # noqa: E402
from bot.core.fidelity import phrasing_problems, polarity_note  # noqa: E402
from bot.core.loader import load_knowledge  # noqa: E402
from bot.core.models import FACT_PREFIX, Status  # noqa: E402
from bot.core.semantic import load_static_encoder  # noqa: E402


def propose(engine: Engine, items) -> dict:
    k = engine.knowledge
    phrasings: dict[str, list[str]] = {}
    near: dict[str, list[str]] = {}
    notes: list[str] = []
    rejected: dict[str, list[str]] = {}  # entry id -> "question: why its answer does not answer it"
    flagged: dict[str, list[str]] = {}  # entry id -> "question: asks the opposite way round of ..."
    for it in items:
        a = engine.ask(it.q)
        if it.in_scope:
            if judge(it, a)[0]:
                continue
            good = [e.id for e in k.entries if judge(it, engine.answer_entry(e.id, it.q))[0]]
            if not good:
                notes.append(f"no entry answers: {it.q}")
                continue
            closeness = engine.closeness_by_meaning(it.q)
            best = max(good, key=lambda g: closeness.get(g, 0.0))
            fit = [g for g in good if not phrasing_problems(k.entry(g), it.q)]
            if not fit:
                why = "; ".join(phrasing_problems(k.entry(best), it.q))
                rejected.setdefault(best, []).append(f"{it.q}: {why}")
                continue
            best = max(fit, key=lambda g: closeness.get(g, 0.0))
            phrasings.setdefault(best, []).append(it.q)
            note = polarity_note(k.entry(best), it.q)
            if note:
                flagged.setdefault(best, []).append(f"{it.q}: {note}")
        elif a.status is Status.ANSWERED:
            key = a.match.id if a.match.kind == "qa" else f"{FACT_PREFIX}{a.match.id}"
            near.setdefault(key, []).append(it.q)
        elif a.status is Status.CLARIFY:
            notes.append(f"'did you mean' instead of abstaining: {it.q}")
    return {"phrasings": phrasings, "near_misses": near, "notes": notes, "rejected": rejected, "flagged": flagged}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", help="labeled sets (the format of tests/data/questions.yaml)")
    ap.add_argument("--knowledge", default=str(ROOT / "knowledge"))
    ap.add_argument("--out", default="-", help="where to write the proposals (default: standard output)")
    args = ap.parse_args()
    engine = Engine(load_knowledge(args.knowledge), encoder=load_static_encoder())
    items = [i for f in args.sets for i in load_items(f)]
    result = propose(engine, items)
    text = yaml.safe_dump(result, allow_unicode=True, sort_keys=True, width=110)
    if args.out == "-":
        print(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
    print(f"{sum(map(len, result['phrasings'].values()))} phrasings, "
          f"{sum(map(len, result['near_misses'].values()))} near misses, {len(result['notes'])} notes, "
          f"{sum(map(len, result['rejected'].values()))} rejected, {sum(map(len, result['flagged'].values()))} "
          f"flagged",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
