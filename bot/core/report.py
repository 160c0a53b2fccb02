"""The curator's report: what people asked that the bot could not answer, which answers people did not like,
and how much the bot is used. Built from the question log; shared by ``bot report`` and ``/report``."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils

from .engine import Engine
from .store import FeedbackRow, QuestionRow
from .text import words

GROUP_CUTOFF = 80.0  # token_sort_ratio at which two unanswered questions count as the same question


@dataclass(slots=True)
class Group:
    example: str
    count: int = 0
    statuses: Counter = field(default_factory=Counter)
    variants: list[str] = field(default_factory=list)
    closest_id: str | None = None
    closest_question: str | None = None
    closest_score: float = 0.0
    advice: str = ""


@dataclass(slots=True)
class Report:
    since: float
    total: int
    by_status: dict[str, int]
    per_day: list[tuple[str, dict[str, int]]]
    groups: list[Group]
    disliked: list[tuple[str, str, int, int]]  # kind, id, not helpful, helpful
    votes: int
    by_meaning: list[tuple[str, str, int]] = field(default_factory=list)  # question, entry id, times asked

    def to_dict(self) -> dict:
        return {
            "since": self.since,
            "questions": self.total,
            "by_status": self.by_status,
            "per_day": [{"day": d, **c} for d, c in self.per_day],
            "unanswered_groups": [{
                "example": g.example, "count": g.count, "statuses": dict(g.statuses), "variants": g.variants[:5],
                "closest_entry": g.closest_id, "closest_question": g.closest_question,
                "closest_score": round(g.closest_score, 3), "advice": g.advice} for g in self.groups],
            "not_helpful": [{"kind": k, "id": i, "not_helpful": d, "helpful": u} for k, i, d, u in self.disliked],
            "answered_by_meaning": [{"question": q, "entry": e, "count": n} for q, e, n in self.by_meaning],
            "votes": self.votes,
        }


def group_unanswered(rows: list[QuestionRow], engine: Engine, limit: int = 20) -> list[Group]:
    groups: list[Group] = []
    keys: list[str] = []
    for r in rows:
        if r.status not in ("abstained", "clarify") or not r.question.strip():
            continue
        key = utils.default_process(r.question)
        hit = process.extractOne(key, keys, scorer=fuzz.token_sort_ratio, processor=None,
                                 score_cutoff=GROUP_CUTOFF) if keys else None
        if hit is None:
            groups.append(Group(example=r.question))
            keys.append(key)
            g = groups[-1]
        else:
            g = groups[hit[2]]
        g.count += 1
        g.statuses[r.status] += 1
        if r.question not in g.variants:
            g.variants.append(r.question)
    groups.sort(key=lambda g: -g.count)
    groups = groups[:limit]
    for g in groups:
        _advise(g, engine)
    return groups


def _advise(g: Group, engine: Engine) -> None:
    """The closest existing entry, and whether a new phrasing there or a new entry is the likelier fix."""
    analysis = engine.analyse(g.example)
    best = next((s for s in analysis.ranked if engine.unit_kind(s.unit_index) == "qa"), None)
    if best is None:
        g.advice = "nothing in the knowledge base is close: a new entry, if the brief covers it"
        return
    entry = engine.knowledge.entry(engine.unit_id(best.unit_index))
    g.closest_id = entry.id
    g.closest_question = entry.title
    g.closest_score = best.score
    if g.statuses.get("clarify", 0) * 2 > g.count:
        g.advice = ("too broad for one answer (people got 'did you mean'): an overview entry could answer it, "
                    f"or add this wording to the entry it usually means, e.g. '{entry.id}'")
    elif analysis.unknown:
        g.advice = (f"words the knowledge base does not know ({', '.join(analysis.unknown[:3])}): check whether "
                    f"the brief covers this; if it does, add an entry or an alias")
    elif best.coverage >= 0.8:
        g.advice = f"likely the same question as '{entry.id}': add this wording as a phrasing there"
    else:
        g.advice = f"partly like '{entry.id}': a new entry if the brief answers it, else leave it abstained"


def build_report(questions: list[QuestionRow], votes: list[FeedbackRow], engine: Engine,
                 since: float | None = None, limit: int = 20) -> Report:
    by_status = Counter(r.status for r in questions)
    days: dict[str, Counter] = defaultdict(Counter)
    for r in questions:
        days[time.strftime("%Y-%m-%d", time.gmtime(r.ts))][r.status] += 1
    per_day = [(d, {s: c[s] for s in ("answered", "clarify", "abstained")}) for d, c in sorted(days.items())]
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for v in votes:
        tally[(v.kind, v.item_id)][0 if not v.helpful else 1] += 1
    disliked = sorted(((k, i, d, u) for (k, i), (d, u) in tally.items() if d), key=lambda t: (-t[2], t[3]))[:limit]
    # answers found by the semantic reading: each is worth a look, as a phrasing to add (it was right) or a near
    # miss to add (it was not)
    seen: dict[tuple[str, str], list] = {}
    for r in questions:
        if r.reading == "semantic" and r.match_id:
            key = (" ".join(words(r.question)), r.match_id)
            seen.setdefault(key, [r.question, r.match_id, 0])[2] += 1
    by_meaning = sorted((tuple(v) for v in seen.values()), key=lambda t: -t[2])[:limit]
    return Report(since or 0.0, len(questions), {s: by_status.get(s, 0) for s in ("answered", "clarify", "abstained")},
                  per_day, group_unanswered(questions, engine, limit), disliked, len(votes), by_meaning)


def report_text(r: Report) -> str:
    lines = [f"Questions: {r.total} (answered {r.by_status['answered']}, did-you-mean {r.by_status['clarify']}, "
             f"abstained {r.by_status['abstained']}); votes: {r.votes}"]
    lines.append("")
    lines.append("Most-asked questions the bot could not answer:")
    if not r.groups:
        lines.append("  none")
    for n, g in enumerate(r.groups, 1):
        lines.append(f"  {n}. \u201c{g.example}\u201d \u00d7{g.count} ({', '.join(f'{k} {v}' for k, v in g.statuses.items())})")
        if len(g.variants) > 1:
            lines.append(f"     also asked as: {'; '.join(g.variants[1:4])}")
        if g.closest_id:
            lines.append(f"     closest entry: {g.closest_id} \u2014 {g.closest_question} (score {g.closest_score:.2f})")
        lines.append(f"     \u2192 {g.advice}")
    lines.append("")
    lines.append("Answered by meaning, not by words (right: add the question as a phrasing of the entry; wrong: add "
                 "it to near_misses.yaml under the entry):")
    if not r.by_meaning:
        lines.append("  none")
    for question, entry, n in r.by_meaning:
        lines.append(f"  \u201c{question}\u201d \u00d7{n} \u2192 {entry}")
    lines.append("")
    lines.append("Answers marked not helpful:")
    if not r.disliked:
        lines.append("  none")
    for kind, item, down, up in r.disliked:
        lines.append(f"  {kind}:{item}: \U0001f44e {down}, \U0001f44d {up}")
    lines.append("")
    lines.append("Per day (answered / did-you-mean / abstained):")
    for day, c in r.per_day[-14:]:
        lines.append(f"  {day}: {c['answered']} / {c['clarify']} / {c['abstained']}")
    if not r.per_day:
        lines.append("  no questions recorded yet")
    return "\n".join(lines)


def report_csv(r: Report) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["section", "key", "count", "detail", "closest_entry", "closest_score", "advice"])
    for g in r.groups:
        w.writerow(["unanswered", g.example, g.count, " | ".join(g.variants[1:5]), g.closest_id or "",
                    f"{g.closest_score:.3f}", g.advice])
    for kind, item, down, up in r.disliked:
        w.writerow(["not_helpful", f"{kind}:{item}", down, f"helpful {up}", "", "", ""])
    for question, entry, n in r.by_meaning:
        w.writerow(["answered_by_meaning", question, n, "", entry, "", "a phrasing if right, a near miss if wrong"])
    for day, c in r.per_day:
        for status in ("answered", "clarify", "abstained"):
            w.writerow(["per_day", day, c[status], status, "", "", ""])
    return out.getvalue()
