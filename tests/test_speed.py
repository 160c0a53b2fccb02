"""What the engine does to be fast gives the same results as the plain computation it replaces."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.text import _FRAMING, unframed


@pytest.mark.parametrize("rows", [None, 0])  # None: the table as shipped; 0: every table scanned, as at 100k texts
def test_closeness_of_all_texts_at_once_is_the_closeness_of_each(engine, monkeypatch, rows):
    """The vectorised preselection (``_Texts.closest``) gives, for every unit, the same closest phrasing and near
    miss, to the bit, as ``Candidates.closest`` over that unit's texts one by one; also with texts left out, as
    training leaves a question's own copies out."""
    if rows is not None:
        monkeypatch.setattr("bot.core.candidates.TABLE_ROWS", rows)
    units = list(range(len(engine.index.units)))
    n = len(units)
    questions = [q for e in engine.knowledge.entries[::7] for q in e.questions[:2]]
    questions += [q for _, qs in engine.knowledge.near_misses[::5] for q in qs[:1]]
    questions += ["when was the summit", "how long is the pipline", "putin xi gas price", "what did Japan say"]
    checked = 0
    for q in questions:
        a = engine.read_question(q)
        if not a.tokens:
            continue
        weights, qset, _, ptotal = engine.index.query_weights(a.tokens, a.intents)
        exclude = engine.exclusion([q])
        dropped = dict(exclude.phrasings) | {n + i: js for i, js in exclude.near_misses.items()}
        assert exclude.phrasings or exclude.near_misses or q in questions[-4:]
        for drop in ({}, dropped):
            found = engine.index.texts.closest(qset, weights, ptotal, drop, units + [n + i for i in units])
            for i in units:
                u = engine.index.units[i]
                phrasings = [p for j, p in enumerate(u.phrasings) if j not in drop.get(i, ())]
                near = [p for j, p in enumerate(u.near_misses) if j not in drop.get(n + i, ())]
                close, j = engine.index.closest(qset, weights, ptotal, phrasings)
                assert found[i] == (close, phrasings[j] if j >= 0 else frozenset())
                close, j = engine.index.closest(qset, weights, ptotal, near)
                assert found[n + i] == (close, near[j] if j >= 0 else frozenset())
                checked += close > 0
    assert checked > 100


_FRAGMENTS = ["according to", "acc. to", "the author", "The Brief", "issue brief", "tell me", "show us a bit",
              "about", "ABOUT", "per", "does", "say", "says", "INSS", "text", "gas", "pipeline", "?", ",", "whats"]


@given(st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=8), max_size=8))
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_framing_is_dropped_as_the_expression_drops_it(parts):
    """``unframed`` skips the framing expression for an ASCII text without the words every framing holds; what it
    returns is what the expression gives, on any text."""
    text = " ".join(parts)
    assert unframed(text) == _FRAMING.sub(" ", text)
