"""Run a labeled question set through the engine and measure it.

A labeled set is YAML: ``questions:`` a list of items with ``q``, ``in_scope`` and, for in-scope items,
``paragraphs`` (ids where the answer is; any counts) and ``must_contain`` (groups of alternatives joined by
``|``; every group must appear in the answer or its quotes). An item may name ``entry`` instead or as well.
The set is split deterministically into a tuning half and a held-out half by a hash of the question text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

from .engine import Engine
from .models import Answer, Knowledge, Status
from .text import fold, normalise_for_quote


@dataclass(frozen=True, slots=True)
class Item:
    q: str
    in_scope: bool
    paragraphs: tuple[str, ...] = ()
    must_contain: tuple[str, ...] = ()
    entry: str | None = None
    note: str = ""

    @property
    def split(self) -> str:
        """"tune" or "heldout", stable for a given question text."""
        h = hashlib.sha256(self.q.encode("utf-8")).digest()[0]
        return "tune" if h % 2 == 0 else "heldout"


@dataclass(slots=True)
class Outcome:
    item: Item
    answer: Answer
    correct: bool
    reason: str
    reach: bool = False  # the right answer was given, or is one click away (a suggestion or a related button)
    best_right: bool = False  # the model's best candidate would have been a right answer (for calibration)


@dataclass(slots=True)
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    citations_checked: int = 0
    citations_verbatim: int = 0

    def _of(self, in_scope: bool) -> list[Outcome]:
        return [o for o in self.outcomes if o.item.in_scope is in_scope]

    @property
    def in_scope_correct(self) -> float:
        xs = self._of(True)
        return sum(o.correct for o in xs) / len(xs) if xs else 0.0

    @property
    def answered_rate(self) -> float:
        xs = self._of(True)
        return sum(o.answer.status is Status.ANSWERED for o in xs) / len(xs) if xs else 0.0

    @property
    def oos_abstained(self) -> float:
        xs = self._of(False)
        return sum(o.correct for o in xs) / len(xs) if xs else 0.0

    @property
    def overall(self) -> float:
        return sum(o.correct for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    @property
    def citation_validity(self) -> float:
        return self.citations_verbatim / self.citations_checked if self.citations_checked else 1.0

    @property
    def one_click_reach(self) -> float:
        xs = self._of(True)
        return sum(o.reach for o in xs) / len(xs) if xs else 0.0

    @property
    def in_scope_wrong(self) -> float:
        """In-scope questions answered, wrongly."""
        xs = self._of(True)
        return sum(o.answer.status is Status.ANSWERED and not o.correct for o in xs) / len(xs) if xs else 0.0

    def calibration(self, bins: int = 10) -> list[tuple[float, float, int, float, float]]:
        """(low, high, questions, mean confidence, share whose best candidate is right) per confidence bin."""
        rows = []
        for b in range(bins):
            lo, hi = b / bins, (b + 1) / bins
            xs = [o for o in self.outcomes if lo <= o.answer.confidence < hi or (b == bins - 1 and o.answer.confidence == 1.0)]
            if xs:
                rows.append((lo, hi, len(xs), sum(o.answer.confidence for o in xs) / len(xs),
                             sum(o.best_right for o in xs) / len(xs)))
        return rows

    @property
    def ece(self) -> float:
        """Expected calibration error of ``confidence`` (the probability that the best candidate is right)."""
        n = len(self.outcomes)
        return sum(k / n * abs(conf - acc) for _, _, k, conf, acc in self.calibration()) if n else 0.0

    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.correct]

    def summary(self) -> dict[str, float | int]:
        return {
            "questions": len(self.outcomes),
            "in_scope": len(self._of(True)),
            "out_of_scope": len(self._of(False)),
            "in_scope_correct": round(self.in_scope_correct, 4),
            "answered_rate": round(self.answered_rate, 4),
            "oos_abstained": round(self.oos_abstained, 4),
            "overall": round(self.overall, 4),
            "citation_validity": round(self.citation_validity, 4),
            "one_click_reach": round(self.one_click_reach, 4),
            "in_scope_wrong": round(self.in_scope_wrong, 4),
            "ece": round(self.ece, 4),
        }


class LabeledSetError(ValueError):
    pass


def load_items(path: str | Path) -> list[Item]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LabeledSetError(f"cannot read labeled set {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise LabeledSetError(f"{path}: expected a mapping with a 'questions' list")
    items = []
    for n, raw in enumerate(data["questions"], 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("q"), str) or not isinstance(raw.get("in_scope"), bool):
            raise LabeledSetError(f"{path}: item {n} needs 'q' (text) and 'in_scope' (true/false)")
        items.append(Item(raw["q"], raw["in_scope"], tuple(raw.get("paragraphs") or ()),
                          tuple(raw.get("must_contain") or ()), raw.get("entry"), raw.get("note") or ""))
    return items


def _norm(text: str) -> str:
    return re.sub(r"(?<=\d),(?=\d{3})", "", fold(text))


def judge(item: Item, answer: Answer) -> tuple[bool, str]:
    if not item.in_scope:
        ok = answer.status is Status.ABSTAINED
        return ok, "" if ok else f"should abstain, got {answer.status.value} ({answer.match.kind}:{answer.match.id})"
    if answer.status is not Status.ANSWERED:
        return False, f"not answered ({answer.status.value})"
    if item.entry and answer.match.id != item.entry:
        return False, f"expected entry {item.entry}, got {answer.match.id}"
    cited = {c.paragraph_id for c in answer.citations}
    if item.paragraphs and not cited & set(item.paragraphs):
        return False, f"cites {sorted(cited)}, expected one of {list(item.paragraphs)} ({answer.match.kind}:{answer.match.id})"
    body = _norm(" ".join([answer.text] + [c.quote for c in answer.citations]))
    for group in item.must_contain:
        if not any(_norm(alt) in body for alt in str(group).split("|") if alt.strip()):
            return False, f"answer lacks '{group}' ({answer.match.kind}:{answer.match.id})"
    return True, ""


def evaluate(engine: Engine, items: Iterable[Item], report: Report | None = None) -> Report:
    """Ask each item, judge the answer, and add it to ``report`` (a new one by default)."""
    report = Report() if report is None else report
    k: Knowledge = engine.knowledge
    for item in items:
        verdict = engine.judge(item.q)
        answer = engine.answer_from(item.q, verdict)
        for c in answer.citations:
            report.citations_checked += 1
            p = k.paragraph(c.paragraph_id)
            if p is not None and normalise_for_quote(c.quote) in normalise_for_quote(p.text):
                report.citations_verbatim += 1
        ok, reason = judge(item, answer)
        best = verdict.best
        best_right = best is not None and (ok if answer.status is Status.ANSWERED
                                           else judge(item, engine.answer_unit(item.q, best.unit))[0])
        reach = ok or (item.in_scope and any(
            judge(item, engine.answer_entry(i, item.q))[0] for i in answer.candidates if engine.knowledge.entry(i)))
        report.outcomes.append(Outcome(item, answer, ok, reason, reach, bool(best_right and item.in_scope)))
    return report
