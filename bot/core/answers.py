"""Stage 5 of the engine, the answer: what the bot says for a verdict, with its citations. The best candidate's
answer (and, when the question also reads another way nearly as likely, that reading one click away), "did you mean"
with the plausible entries, or an abstention with the likeliest entries as suggestions. Also the answers of a known
entry or fact (a button click), without matching."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from .candidates import Candidates, Scored, Unit
from .decide import SUGGEST_FLOOR, Verdict, rivals
from .models import Answer, Knowledge, Match, Status
from .text import is_chit_chat

SUGGEST_BY_MEANING = 12  # units closest in meaning looked at for suggestions when no candidate passed the constraints
READ_AS_BELOW = 0.65  # an answer whose best phrasing is less close than this in words was found by meaning


class Answers:
    """Builds Answers from the units of ``index`` (of ``knowledge``). Immutable; safe to share."""

    def __init__(self, knowledge: Knowledge, index: Candidates):
        self.knowledge = knowledge
        self.index = index

    def from_verdict(self, question: str, v: Verdict) -> Answer:
        """The Answer for a verdict: the best candidate's answer, "did you mean" with the plausible entries, or
        an abstention with the likeliest entries as suggestions."""
        ranked = v.ranked()
        best = v.best
        conf = round(v.confidence, 3)
        if v.outcome == "answered" and best is not None:
            unit = self.index.units[best.unit]
            s = best.scored if best.scored is not None else Scored(best.unit, 0.0, 0.0, 0.0, 0.0)
            answer = self._answer(question, unit, s, confidence=conf)
            # matched by meaning rather than by its words: say what the question was read as, to be checked
            if unit.kind == "qa" and (best.scored is None or best.scored.close < READ_AS_BELOW):
                answer = replace(answer, read_as=self.knowledge.entry(unit.id).title)
            return self._with_rival(answer, v)
        top = ranked[0][1] if ranked else 0.0
        plausible = [c.unit for c, p in ranked if p >= SUGGEST_FLOOR]
        if v.outcome == "clarify":
            offered = self.with_passages([v.reading.candidates[i].unit for i in v.offer], v.reading.meaning)
            ids = self._entry_ids(offered, limit=3)
            if len(ids) < 2:  # one passage answers several questions ("gas": its source, capacity, route)
                ids = self._entry_ids(offered, limit=3, by_passage=False)
            if len(ids) >= 2:
                titles = tuple(self.knowledge.entry(i).title for i in ids)
                return Answer(question, Status.CLARIFY, "", (), titles, Match(None, None, round(top, 4)),
                              conf, (), tuple(ids))
        meaning = v.reading.meaning
        ids = self._entry_ids(self.with_passages(plausible, meaning), limit=3)
        if not ids and meaning is not None and not is_chit_chat(question):
            # nothing passed the hard constraints ("what nickname ...", "how many papers ..."): the entries
            # closest in meaning are still the best suggestions, if not answers
            scope = v.reading.analysis.scope
            near = [int(i) for i in np.argsort(-meaning)[:SUGGEST_BY_MEANING]]
            ids = self._entry_ids(self.with_passages([i for i in near if scope is None or i in scope], meaning),
                                  limit=3)
        if not ids:
            ids = self.starter_ids()[:3]
        return Answer(question, Status.ABSTAINED, "", (), tuple(self.knowledge.entry(i).title for i in ids),
                      Match(None, None, round(top, 4)), conf, (), tuple(ids))

    def _with_rival(self, answer: Answer, v: Verdict) -> Answer:
        """An answer whose question the model also read another way, nearly as likely (another passage): that
        reading becomes the first of its related questions, one click away if the answer was not what was asked.
        A question the curator wrote down as one of the entry's phrasings has no other reading."""
        if self.index.phrasing_of(v.reading.text) is not None:
            return answer
        units = [v.reading.candidates[i].unit for i in rivals(v)]
        if not units:
            return answer
        taken = {answer.match.id} if answer.match.kind == "qa" else set()
        ids = [i for i in self._entry_ids(self.with_passages(units, v.reading.meaning), limit=1) if i not in taken]
        if not ids:
            return answer
        related = tuple(dict.fromkeys(ids + list(answer.candidates)))[:3]
        return replace(answer, related=tuple(self.knowledge.entry(i).title for i in related), candidates=related,
                       suggestions=tuple(self.knowledge.entry(i).title for i in related))

    def with_passages(self, units: list[int], meaning: np.ndarray | None = None) -> list[int]:
        """Units, with each fact followed by the Q&A entries that cite its paragraph (a fact is no suggestion),
        closest in meaning to the question first when ``meaning`` (per unit) is known."""
        out: list[int] = []
        for i in units:
            out.append(i)
            if self.index.units[i].kind == "fact":
                cite = list(self.index.citing[i])
                if meaning is not None:
                    cite.sort(key=lambda j: -float(meaning[j]))
                out += cite
        return out

    def _entry_ids(self, units: Iterable[int], limit: int, by_passage: bool = True) -> list[str]:
        """Distinct Q&A entries among ranked unit indices, one per passage (``by_passage``): two entries citing
        the same paragraph would often be two wordings of one suggestion."""
        ids: list[str] = []
        seen: set[str] = set()
        for i in units:
            u = self.index.units[i]
            if u.kind != "qa" or u.id in ids or (by_passage and u.paragraphs & seen):
                continue
            ids.append(u.id)
            seen |= u.paragraphs
            if len(ids) >= limit:
                break
        return ids

    def _answer(self, question: str, unit: Unit, s: Scored, confidence: float) -> Answer:
        """The answer ``unit`` gives; ``confidence`` is the learned decision's probability."""
        k = self.knowledge
        conf = confidence
        if unit.kind == "qa":
            e = k.entry(unit.id)
            assert e is not None
            related = tuple(r for r in e.related if k.entry(r) is not None)[:3]
            return Answer(question, Status.ANSWERED, e.answer, e.citations,
                          tuple(k.entry(r).title for r in related), Match("qa", e.id, round(s.score, 4)),
                          conf, tuple(k.entry(r).title for r in related), related)
        f = k.fact(unit.id)
        assert f is not None
        nearby = self._nearby_entries(f.citation.paragraph_id, limit=3)
        return Answer(question, Status.ANSWERED, f.text, (f.citation,),
                      tuple(k.entry(i).title for i in nearby), Match("fact", f.id, round(s.score, 4)),
                      conf, tuple(k.entry(i).title for i in nearby), tuple(nearby))

    def of_unit(self, question: str, index: int, confidence: float = 0.0, score: float = 0.0) -> Answer:
        """The answer a unit (by its index) gives to ``question``."""
        return self._answer(question, self.index.units[index], Scored(index, score, 0.0, 0.0, 0.0), confidence)

    def _nearby_entries(self, paragraph_id: str, limit: int) -> list[str]:
        return [e.id for e in self.knowledge.entries
                if any(c.paragraph_id == paragraph_id for c in e.citations)][:limit]

    def starter_ids(self) -> list[str]:
        """One entry per topic, in topic order: what to offer when nothing else fits."""
        seen: set[str] = set()
        out: list[str] = []
        for e in self.knowledge.entries:
            if e.topic not in seen:
                seen.add(e.topic)
                out.append(e.id)
        order = {t.id: n for n, t in enumerate(self.knowledge.topics)}
        out.sort(key=lambda i: order.get(self.knowledge.entry(i).topic, 99))
        return out

    def of_entry(self, entry_id: str, question: str | None = None) -> Answer | None:
        """The answer of a known entry (a button click, a menu choice), without matching."""
        e = self.knowledge.entry(entry_id)
        if e is None:
            return None
        related = tuple(r for r in e.related if self.knowledge.entry(r) is not None)[:3]
        titles = tuple(self.knowledge.entry(r).title for r in related)
        return Answer(question or e.title, Status.ANSWERED, e.answer, e.citations, titles,
                      Match("qa", e.id, 1.0), 1.0, titles, related)

    def of_fact(self, fact_id: str) -> Answer | None:
        f = self.knowledge.fact(fact_id)
        if f is None:
            return None
        return Answer(f.text, Status.ANSWERED, f.text, (f.citation,), (), Match("fact", f.id, 1.0), 1.0)
