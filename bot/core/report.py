"""The curator's report: what people asked that the bot could not answer, which answers people did not like,
and how much the bot is used. Built from the question log; shared by ``bot report`` and ``/report``."""

from __future__ import annotations

import csv
import io
import logging
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from itertools import combinations

import numpy as np
from rapidfuzz import fuzz, process, utils

from .engine import Engine
from .limits import visible
from .models import Knowledge
from .store import FeedbackRow, QuestionRow
from .text import intents, is_chit_chat, is_content, stem, words

log = logging.getLogger(__name__)

GROUP_CUTOFF = 80.0  # token_sort_ratio at which two unanswered questions count as the same question
BLOCK_WORDS = 3  # a question is compared only with groups that share a pair of its rarest words ...
BLOCK_SIZE = 64  # ... at most this many per pair: grouping stays near-linear in the log's size
DEFAULT_DAYS = 30.0  # /report's window unless the curator asks for another
MAX_VERIFY_ROUNDS = 2
NEAR_MEANING = 0.5  # a near miss this close in meaning to a proposed phrasing is re-checked with it added ...
PHRASING_MEANING = 0.8  # a phrasing is proposed only for an entry this close in meaning (closest phrasing)
LOOKALIKE = 85.0  # token_set_ratio at which a question reads like a near miss
NEAR_EACH = 20  # ... up to this many per phrasing, and as many sharing most of its words
_HOW_MUCH = frozenset({"?amount", "?length", "?age", "?when"})
_EXACT = frozenset("exactly exact precisely precise specifically specific verbatim literally".split())


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
    action: str = "nothing"  # "phrasing" | "near_miss" | "new_entry" | "nothing"
    certainty: str = "unsure"  # "sure" | "likely" | "unsure": how sure the advice is
    target: str | None = None  # the entry a phrasing or near miss would go under


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
                "closest_score": round(g.closest_score, 3), "advice": g.advice, "action": g.action,
                "target": g.target, "certainty": g.certainty} for g in self.groups],
            "not_helpful": [{"kind": k, "id": i, "not_helpful": d, "helpful": u} for k, i, d, u in self.disliked],
            "answered_by_meaning": [{"question": q, "entry": e, "count": n} for q, e, n in self.by_meaning],
            "votes": self.votes,
        }


# ------------------------------------------------------------------------------------------------ grouping

def group_unanswered(rows: list[QuestionRow], engine: Engine, limit: int = 20) -> list[Group]:
    """The questions that ended in "doesn't cover that" or "did you mean", grouped by similarity, most asked
    first, the top ``limit`` with advice."""
    groups = _group([r for r in rows if r.status in ("abstained", "clarify") and r.question.strip()])
    groups.sort(key=lambda g: -g.count)
    groups = groups[:limit]
    advise(groups, engine)
    return groups


def _group(rows: list[QuestionRow]) -> list[Group]:
    """Near-linear grouping. Identical texts merge at once. Any other text is compared (token_sort_ratio) only
    with the groups filed under a pair of its BLOCK_WORDS rarest words (two texts this alike share most of their
    words, their rare ones included), at most BLOCK_SIZE groups per pair: a few dictionary look-ups and a few
    comparisons per question, however long the log."""
    keyed = [(utils.default_process(r.question), r) for r in rows]
    df = Counter(w for key in {k for k, _ in keyed} for w in set(key.split()))
    groups: list[Group] = []
    reps: list[str] = []
    exact: dict[str, int] = {}
    index: dict[tuple[str, str], list[int]] = {}
    for key, r in keyed:
        gi = exact.get(key)
        if gi is None:
            rare = sorted(sorted(set(key.split())), key=df.__getitem__)[:BLOCK_WORDS]  # stable: deterministic
            pairs = list(combinations(rare, 2)) or [(w, "") for w in rare]
            near = [i for p in pairs for i in index.get(p, ())]
            hit = process.extractOne(key, [reps[i] for i in near], scorer=fuzz.token_sort_ratio, processor=None,
                                     score_cutoff=GROUP_CUTOFF) if near else None
            if hit is not None:
                gi = near[hit[2]]
            else:
                gi = len(groups)
                groups.append(Group(example=r.question))
                reps.append(key)
                for p in pairs:
                    block = index.setdefault(p, [])
                    if len(block) < BLOCK_SIZE:
                        block.append(gi)
            exact[key] = gi
        g = groups[gi]
        g.count += 1
        g.statuses[r.status] += 1
        if len(g.variants) < 10 and r.question not in g.variants:
            g.variants.append(r.question)
    return groups


# ------------------------------------------------------------------------------------------------ safe advice

def _known_stems(k: Knowledge) -> set[str]:
    texts = [p.text for p in k.brief.paragraphs()] + [" ".join(k.brief.meta.keywords), k.brief.meta.title]
    texts += [t for e in k.entries for t in (*e.questions, e.answer)]
    texts += [t for f in k.facts for t in (f.text, *f.keywords)]
    texts += [t for canonical, variants in k.aliases for t in (canonical, *variants)]
    return {stem(w) for t in texts for w in words(t)}


def _near_miss_lookalike(k: Knowledge, question: str) -> tuple[str, str] | None:
    """The near miss that reads like ``question`` (same words in any order, give or take a few), if any."""
    key = utils.default_process(question)
    nears = [(owner, q) for owner, qs in k.near_misses for q in qs]
    hit = process.extractOne(key, [utils.default_process(q) for _, q in nears], scorer=fuzz.token_set_ratio,
                             processor=None, score_cutoff=LOOKALIKE) if nears else None
    return None if hit is None else nears[hit[2]]


def _fit_problems(entry, question: str) -> list[str]:
    """Why ``entry``'s answer does not answer ``question`` (empty: as far as the checks here can tell, it does)."""
    if _EXACT.intersection(words(question)):
        return ["it asks for exact detail, and only a person can tell whether the answer gives it"]
    asked = intents(words(question))
    known = set().union(*(intents(words(q)) for q in entry.questions))
    problems = [f"it asks {k.lstrip('?')}, which no phrasing of '{entry.id}' asks" for k in sorted(asked - known)]
    # every word that says what is asked must be in the answer or in a phrasing the answer already serves: the
    # answer cannot speak of what it never names ("how old is xi" is not answered by an entry about Peng Pai)
    said = {stem(w) for t in (entry.answer, *entry.questions) for w in words(t)}
    missing = [w for w in words(question) if is_content(w) and stem(w) not in said]
    if missing:
        problems.append(f"its answer never mentions {', '.join(missing[:3])}")
    if asked & _HOW_MUCH:  # a count, a length, a date: the answer's figure is for what one phrasing asks, exactly
        mine = {stem(w) for w in words(question) if is_content(w)}
        if not any(mine <= {stem(w) for w in words(q)} for q in entry.questions):
            problems.append(f"it asks for a figure about something no single phrasing of '{entry.id}' asks about")
    # FIDELITY HOOK (the single call site): once bot/core/fidelity.py (branch `fidelity`) is on main, its
    # phrasing_problems(entry, question) judges whether the entry's answer answers the question.
    fidelity = _fidelity()
    if fidelity is not None:
        problems += fidelity(entry, question)
    return problems


def _fidelity():
    try:
        from .fidelity import phrasing_problems  # type: ignore[attr-defined]
    except ImportError:
        return None
    return phrasing_problems


def advise(groups: list[Group], engine: Engine) -> None:
    """Safe advice for each group. A phrasing is suggested only when the closest entry's answer answers the
    question and, with the phrasing added to that entry in a copy of the knowledge, a new Engine answers the
    question with that entry and every near miss it could affect still abstains. Otherwise: a new entry, a near
    miss, or nothing. Chit-chat is never advised."""
    k = engine.knowledge
    known = _known_stems(k)
    proposals: dict[int, tuple[str, str]] = {}
    for n, g in enumerate(groups):
        q = g.example
        answer = engine.ask(q)
        closeness = engine.closeness_by_meaning(q)
        ranked = [c for c in answer.candidates if k.entry(c) is not None]
        ranked += [i for i, _ in sorted(closeness.items(), key=lambda kv: -kv[1])[:3] if i not in ranked]
        if ranked:
            entry = k.entry(ranked[0])
            g.closest_id, g.closest_question = entry.id, entry.title
            g.closest_score = closeness.get(entry.id, answer.confidence)
        if is_chit_chat(q):
            _set(g, "nothing", None, "sure", "chit-chat: nothing to add")
            continue
        if answer.answered:
            _set(g, "nothing", None, "likely",
                 f"answered now (with '{answer.match.id}'), after a knowledge change: nothing to add")
            continue
        unknown = [w for w in words(q) if is_content(w) and not w.isdigit() and stem(w) not in known]
        if unknown:
            _set(g, "new_entry", None, "unsure",
                 f"words the knowledge base does not know ({', '.join(unknown[:3])}): if the brief covers this, "
                 "a new entry (or an alias, for another name of something it names); otherwise nothing")
            continue
        content = {w for w in words(q) if is_content(w)}
        if len(content) < 2:
            _set(g, "nothing", None, "likely", "one word is a topic, not a question: nothing to add (a 'did you "
                                               "mean' or an abstention is the right reply)")
            continue
        if g.statuses.get("clarify", 0) * 2 > g.count:
            _set(g, "new_entry" if ranked else "nothing", None, "likely",
                 "too broad for one answer (people got 'did you mean', which is right for a topic): an overview "
                 "entry could answer it, if the brief has one; never a phrasing of one narrow entry")
            continue
        reasons = []
        lookalike = _near_miss_lookalike(k, q)
        if lookalike is not None:
            key, near = lookalike
            _set(g, "near_miss", key, "likely", f"it reads like the near miss '{near}' (under '{key}'), which the "
                                                 "brief does not answer: add it there as a near miss, or nothing")
            continue
        for cid in ranked[:3]:
            if closeness and closeness.get(cid, 0.0) < PHRASING_MEANING:
                reasons.append(f"'{cid}': not close enough in meaning to any of its phrasings")
                continue
            problems = _fit_problems(k.entry(cid), q)
            if not problems:
                proposals[n] = (cid, q)
                break
            reasons.append(f"'{cid}': {problems[0]}")
        if n in proposals:
            continue
        if ranked:
            _set(g, "near_miss", ranked[0], "unsure",
                 f"the closest entries do not answer it ({'; '.join(reasons[:2])}): a new entry if the brief "
                 f"answers it; if it does not, a near miss of '{ranked[0]}' keeps it abstaining")
        else:
            _set(g, "new_entry", None, "unsure", "nothing in the knowledge base is close: a new entry, if the "
                                                 "brief covers it")
    if proposals:
        failed = _verify(engine, proposals)
        sure = "sure" if _fidelity() is not None else "likely"
        for n, (cid, q) in proposals.items():
            g = groups[n]
            if n in failed:
                _set(g, "new_entry", None, "unsure",
                     f"adding it as a phrasing of '{cid}' would not be safe ({failed[n]}): a new entry if the brief "
                     "answers it, else nothing")
            else:
                _set(g, "phrasing", cid, sure,
                     f"add it as a phrasing of '{cid}': checked, the bot then answers it with '{cid}' and the near "
                     "misses still abstain" + ("" if sure == "sure" else " (read the answer to be sure it fits)"))


def _set(g: Group, action: str, target: str | None, certainty: str, advice: str) -> None:
    g.action, g.target, g.certainty, g.advice = action, target, certainty, f"{advice} [{certainty}]"


def _verify(engine: Engine, proposals: dict[int, tuple[str, str]]) -> dict[int, str]:
    """Try the proposed phrasings in a copy of the knowledge; the reason each one that is not safe fails.
    The proposals that survive a round are tried again together until none fails (at most MAX_VERIFY_ROUNDS)."""
    k = engine.knowledge
    encoder = getattr(engine, "encoder", None)
    remaining = dict(proposals)
    failed: dict[int, str] = {}
    baseline: dict[str, bool] = {}  # near miss -> the current engine abstains on it
    for _ in range(MAX_VERIFY_ROUNDS):
        added: dict[str, list[str]] = defaultdict(list)
        for cid, q in remaining.values():
            added[cid].append(q)
        entries = tuple(replace(e, questions=e.questions + tuple(added[e.id])) if e.id in added else e
                        for e in k.entries)
        trial = Engine(replace(k, entries=entries), encoder=encoder, model=getattr(engine, "model", None))
        blame: dict[int, str] = {}
        for n, (cid, q) in remaining.items():
            a = trial.ask(q)
            if not (a.answered and a.match.id == cid):
                blame[n] = f"even then the bot would {'answer it with ' + str(a.match.id) if a.answered else a.status.value}"
        targets = {cid for cid, _ in remaining.values()}
        for near in _near_misses_at_risk(k, remaining.values(), encoder):
            a = trial.ask(near)
            if a.status.value == "abstained" or not ({a.match.id, *a.candidates} & targets):
                continue  # still abstains, or what it gets has nothing to do with the entries tried
            if near not in baseline:
                before = engine.ask(near)
                baseline[near] = before.status == a.status and before.match.id == a.match.id
            if baseline[near]:
                continue  # the same today: `check --phrasings` lists it; not this phrasing's doing
            culprits = [n for n, (cid, _) in remaining.items() if cid in {a.match.id, *a.candidates}]
            for n in culprits:
                blame.setdefault(n, f"the near miss '{near}' would get {a.status.value}")
        if not blame:
            return failed
        failed.update(blame)
        remaining = {n: p for n, p in remaining.items() if n not in blame}
        if not remaining:
            return failed
    failed.update({n: "could not be checked on its own" for n in remaining})
    return failed


def _near_misses_at_risk(k: Knowledge, proposals, encoder) -> list[str]:
    """The near misses a proposed phrasing could affect: those filed under its entry, the NEAR_EACH closest to it
    in meaning, and the NEAR_EACH that share most of its words."""
    proposals = list(proposals)
    nears = [(key, q) for key, qs in k.near_misses for q in qs]
    if not nears:
        return []
    near_stems = [{stem(w) for w in words(q) if is_content(w)} for _, q in nears]
    sims = None
    if encoder is not None:
        sims = encoder.encode([q for _, q in nears]) @ encoder.encode([q for _, q in proposals]).T
    out: set[int] = set()
    for j, (cid, q) in enumerate(proposals):
        out.update(i for i, (key, _) in enumerate(nears) if key == cid)
        mine = {stem(w) for w in words(q) if is_content(w)}
        shared = sorted(range(len(nears)), key=lambda i: -len(mine & near_stems[i]) / (len(mine) or 1))
        out.update(i for i in shared[:NEAR_EACH] if len(mine & near_stems[i]) * 2 >= len(mine))
        if sims is not None:
            out.update(int(i) for i in np.argsort(-sims[:, j])[:NEAR_EACH] if sims[i, j] >= NEAR_MEANING)
    return [nears[i][1] for i in sorted(out)]


# ------------------------------------------------------------------------------------------------ the report

def build_report(questions: list[QuestionRow], votes: list[FeedbackRow], engine: Engine,
                 since: float | None = None, limit: int = 20) -> Report:
    k = engine.knowledge
    # a vote counts only for an entry or fact that exists (a forged button can name anything)
    votes = [v for v in votes if (k.entry(v.item_id) if v.kind == "qa" else k.fact(v.item_id) if v.kind == "fact"
                                  else None) is not None]
    by_status = Counter(r.status for r in questions)
    days: dict[int, Counter] = defaultdict(Counter)
    for r in questions:
        days[int(r.ts // 86400)][r.status] += 1
    per_day = [(time.strftime("%Y-%m-%d", time.gmtime(d * 86400)), {s: c[s] for s in ("answered", "clarify", "abstained")})
               for d, c in sorted(days.items())]
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


# ------------------------------------------------------------------------------------------------ output
# What people typed is shown to the curator: in a terminal it must not drive the terminal (escape sequences), in
# Discord it must not render (links, mentions, a code block closed early), in a spreadsheet it must not run.

def printable(text: str) -> str:
    """``text`` without the characters that disguise or reorder it (bidi controls, zero-width, NUL: removed, as
    Discord's echo does), and with every other control character (ESC, DEL, C1, line breaks) a visible U+FFFD."""
    return "".join("\ufffd" if unicodedata.category(ch) == "Cc" else ch for ch in visible(text))


def _lines(r: Report) -> list[str]:
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
    return [printable(line) for line in lines]


def report_text(r: Report) -> str:
    """For a terminal: no control character reaches it."""
    return "\n".join(_lines(r))


FENCE = "```"


def report_discord(r: Report, limit: int) -> str:
    """For a Discord embed of at most ``limit`` characters: the whole report inside one code block (nothing in it
    renders: no link, no mention, no markdown), which people's text cannot close because every backtick in it
    is replaced by a look-alike (U+02CB)."""
    body = "\n".join(line.replace("`", "\u02cb") for line in _lines(r))
    room = limit - 2 * len(FENCE) - 2
    if len(body) > room:
        body = body[:room - 1].rstrip() + "\u2026"
    return f"{FENCE}\n{body}\n{FENCE}"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell a spreadsheet will not run (OWASP CSV injection): text starting with = + - @ tab or CR gets a
    leading apostrophe; control characters are made visible."""
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_START):
        value = "'" + value
    return printable(value)


def report_csv(r: Report) -> str:
    out = io.StringIO()
    w = csv.writer(out)

    def row(*cells: object) -> None:
        w.writerow([csv_cell(c) for c in cells])

    row("section", "key", "count", "detail", "closest_entry", "closest_score", "advice")
    for g in r.groups:
        row("unanswered", g.example, g.count, " | ".join(g.variants[1:5]), g.closest_id or "",
            f"{g.closest_score:.3f}", g.advice)
    for kind, item, down, up in r.disliked:
        row("not_helpful", f"{kind}:{item}", down, f"helpful {up}", "", "", "")
    for question, entry, n in r.by_meaning:
        row("answered_by_meaning", question, n, "", entry, "", "a phrasing if right, a near miss if wrong")
    for day, c in r.per_day:
        for status in ("answered", "clarify", "abstained"):
            row("per_day", day, c[status], status, "", "", "")
    return out.getvalue()
