"""The learned decision: from a question's candidates to answered / did you mean / abstained.

The ranker (a logistic model over ``bot/core/features.py``'s features) scores each candidate; the decision model
turns those scores into the calibrated probability that answering with the best candidate is right. That
probability is the answer's ``confidence``. The operating points were chosen on questions the model was not
trained on (group k-fold by labeled set): answer at ``answer_at`` or above; below it, offer "did you mean" when
the probability is at least ``clarify_at`` and two or three candidates are plausible; abstain otherwise, with the
likeliest entries as suggestions. ``scripts/train_decision.py`` trains the model from the repository's data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np

from .features import Candidate, Reading
from .model import Model
from .text import is_chit_chat

log = logging.getLogger(__name__)

MODEL_FILE = "decision.json"
PLAUSIBLE = 0.5  # a candidate the ranker gives at least this share of the best one's probability is plausible
SUGGEST_FLOOR = 0.02  # suggestions below this probability are not offered
BROWSE_AT = 0.1  # a bare topic ("gas", "putin") gets "did you mean" when its best candidate is this likely
BROWSE_SHARE = 0.15  # ... offering the entries at least this share as likely as the best
BROWSE_WORDS = 2  # ... and it has at most this many content words


def browsing(reading: Reading) -> bool:
    """A named rule, not a learned one: a bare topic ("gas", "what about putin", "china russia") is someone
    browsing; "did you mean" with its likeliest entries serves them better than "the brief doesn't cover that"."""
    a = reading.analysis
    return (not a.asked and not a.intents and 0 < len(a.tokens) <= BROWSE_WORDS and not a.unknown
            and not a.numbers)


def load_model(path: Path | None = None) -> Model:
    """The shipped model (bot/core/data/decision.json), or the one at ``path``."""
    if path is None:
        text = resources.files("bot.core").joinpath("data", MODEL_FILE).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return Model.from_json(text)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the model made of one reading: its candidates best first, their probabilities, the confidence that
    the best is right, the outcome and why."""

    reading: Reading
    order: tuple[int, ...]  # candidate positions, best first
    probabilities: tuple[float, ...]  # per candidate (reading order)
    confidence: float
    outcome: str  # "answered" | "clarify" | "abstained"
    reason: str
    offer: tuple[int, ...] = ()  # the candidates a "did you mean" offers, best first

    @property
    def best(self) -> Candidate | None:
        return self.reading.candidates[self.order[0]] if self.order else None

    def ranked(self) -> list[tuple[Candidate, float]]:
        return [(self.reading.candidates[i], self.probabilities[i]) for i in self.order]


def _within(order, probs, share: float) -> list[int]:
    """The candidates (best first) at least ``share`` as likely as the best one, and worth suggesting at all."""
    best = probs[order[0]]
    return [i for i in order if probs[i] >= share * best and probs[i] >= SUGGEST_FLOOR]


def rivals(v: Verdict) -> list[int]:
    """The candidates (best first) the ranker finds plausible besides the best one, that cite none of its
    paragraphs: other readings of the question, not other wordings of the same answer."""
    if not v.order:
        return []
    top = v.reading.candidates[v.order[0]].paragraphs
    return [i for i in _within(v.order, v.probabilities, PLAUSIBLE)[1:]
            if not (v.reading.candidates[i].paragraphs & top)]


def hold_back(v: Verdict, reason: str) -> Verdict:
    """A verdict that must not answer (a named rule outside the model): "did you mean" with its plausible
    candidates when there are two or more and the best is worth offering (as for a topic to browse), otherwise
    an abstention."""
    if v.outcome == "clarify" or not v.order:
        return v
    plausible = tuple(_within(v.order, v.probabilities, PLAUSIBLE))
    if len(plausible) >= 2 and v.probabilities[v.order[0]] >= BROWSE_AT:
        return replace(v, outcome="clarify", reason=reason, offer=plausible)
    if v.outcome == "abstained":
        return v
    return replace(v, outcome="abstained", reason=reason, offer=())


def judge_reading(model: Model, reading: Reading, phrasing_of: int | None = None) -> Verdict:
    """The model's verdict on one reading. ``phrasing_of``: the unit whose phrasing the reading is, word for word
    (a named rule: what the curator wrote down as a way to ask an entry is answered with it)."""
    cands = reading.candidates
    if not cands:
        return Verdict(reading, (), (), 0.0, "abstained", "no unit shares a word or a meaning with the question")
    feats = np.array([c.features for c in cands], dtype=np.float64)
    probs = model.rank(feats)
    order = tuple(int(i) for i in np.argsort(-probs, kind="stable"))
    conf = model.confidence(probs, feats, [c.paragraphs for c in cands])
    best = float(probs[order[0]])
    plausible = _within(order, probs, PLAUSIBLE)
    browsed = _within(order, probs, BROWSE_SHARE)
    exact = next((n for n, c in enumerate(cands) if c.unit == phrasing_of), None)
    if exact is not None:
        order = (exact,) + tuple(i for i in order if i != exact)
        conf = max(conf, model.answer_at)
        outcome, reason = "answered", f"the question is a phrasing of {cands[exact].id}, word for word"
    elif conf < model.answer_at and is_chit_chat(reading.text):  # "good bot", "hello": never "did you mean"
        outcome, reason = "abstained", "chit-chat: nothing in the brief to offer"
    elif browsing(reading) and cands[order[0]].named()["framing_only"] and len(browsed) >= 2:
        # only words that frame questions ("china russia", "the summit"): too broad to answer, whatever the model
        outcome, reason = "clarify", "only words that frame questions: too broad to answer"
        plausible = browsed
    elif conf >= model.answer_at:
        outcome, reason = "answered", f"confidence {conf:.2f} >= {model.answer_at:.2f}"
    elif browsing(reading) and len(browsed) >= 2 and best >= BROWSE_AT:
        outcome, reason = "clarify", f"a topic to browse, not a question: {len(browsed)} plausible entries"
        plausible = browsed
    elif conf >= model.clarify_at and len(plausible) >= 2:
        outcome, reason = "clarify", (f"confidence {conf:.2f} < {model.answer_at:.2f}, with {len(plausible)} "
                                      f"plausible readings")
    else:
        outcome, reason = "abstained", (f"confidence {conf:.2f} < {model.answer_at:.2f}"
                                        + ("" if conf < model.clarify_at else ", and one plausible reading only"))
    return Verdict(reading, order, tuple(float(p) for p in probs), conf, outcome, reason,
                   tuple(plausible) if outcome == "clarify" else ())
