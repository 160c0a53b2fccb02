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


def test_the_product_in_the_background_is_the_product_in_place():
    """``semantic.Product`` computes on a worker thread the same array, to the bit, as the product in the caller's
    thread, with several callers at once (the Discord adapter asks from several threads)."""
    import threading

    import numpy as np

    from bot.core.semantic import Product

    rng = np.random.default_rng(3)
    matrix = rng.standard_normal((3000, 256)).astype(np.float32)
    vectors = rng.standard_normal((40, 256)).astype(np.float32)
    background, in_place = Product(matrix, background=True), Product(matrix, background=False)
    got: dict[int, np.ndarray] = {}

    def ask(n: int) -> None:
        got[n] = background.start(vectors[n])()

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(vectors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(got) == list(range(len(vectors)))
    for n, v in enumerate(vectors):
        assert np.array_equal(got[n], in_place.start(v)())
        assert np.array_equal(got[n], matrix @ v)


def test_a_forked_process_gets_a_worker_of_its_own():
    """A process forked after the worker was made (a fork keeps no threads) still gets its product."""
    import multiprocessing

    import numpy as np

    from bot.core.semantic import Product

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    matrix = np.eye(8, dtype=np.float32)
    product = Product(matrix, background=True)
    assert product.start(np.ones(8, dtype=np.float32))()[0] == 1.0  # the parent's worker now exists

    def child() -> None:
        out = product.start(np.arange(8, dtype=np.float32))()
        raise SystemExit(0 if out.tolist() == list(range(8)) else 3)

    p = multiprocessing.get_context("fork").Process(target=child)
    p.start()
    p.join(timeout=30)
    if p.is_alive():
        p.kill()
    assert p.exitcode == 0


def test_cosines_in_the_background_read_as_in_place(knowledge, encoder, engine):
    """An engine that computes the cosines on a worker thread while it ranks by words reads every question as
    one that computes them first: the same candidates, features to the bit and answers; also with a question's
    own copies left out, as training reads it. The vectors of both indexes are views into the product's one
    matrix (no second copy)."""
    import numpy as np

    from bot.core.engine import Engine
    from bot.core.features import read

    assert engine._product is not None
    assert np.shares_memory(engine._semantic.vectors, engine._product.matrix)
    assert np.shares_memory(engine._semantic_near.vectors, engine._product.matrix)
    serial = Engine(knowledge, encoder=encoder, background=False)
    overlap = Engine(knowledge, encoder=encoder, background=True)
    questions = [q for e in knowledge.entries[::5] for q in e.questions[:2]]
    questions += [q for _, qs in knowledge.near_misses[::9] for q in qs[:1]]
    questions += ["when was the summit", "how long is the pipline? someone said 2,600 km", "what did Japan say",
                  "who wrote this", "what's the weather in Seoul", "?!"]
    extras = 0
    for q in questions:
        for exclude in (None, serial.exclusion([q])):
            a, b = read(serial, q, exclude), read(overlap, q, exclude)
            assert [c.unit for c in a.candidates] == [c.unit for c in b.candidates], q
            assert [s.unit_index for s in a.analysis.ranked] == [s.unit_index for s in b.analysis.ranked], q
            for x, y in zip(a.candidates, b.candidates):
                assert np.array_equal(x.features, y.features, equal_nan=True), q
            if a.meaning is not None:
                assert np.array_equal(a.meaning, b.meaning) and np.array_equal(a.near, b.near)
                # ... and both are the plain computation, index by index (to float32's last bits: BLAS may sum a
                # row's terms in another order when the row sits elsewhere in the matrix, as in the tables' views)
                vec = serial.vector_of(a.analysis.cleaned)
                drop = np.asarray(exclude.phrasing_rows, dtype=np.int64) if exclude else None
                near = serial._semantic_near.similarities(vec).copy()
                if exclude is not None and exclude.near_rows:
                    near[list(exclude.near_rows)] = -1.0
                assert np.allclose(a.meaning, serial._semantic.scores(vec, drop), rtol=0, atol=1e-6), q
                assert np.allclose(a.near, near, rtol=0, atol=1e-6), q
                lexical = {s.unit_index for s in a.analysis.ranked[:serial.t.candidates]}
                extras += any(int(u) not in lexical for u in np.argsort(-a.meaning)[:8])
        assert serial.ask(q) == overlap.ask(q), q
    assert extras > 10  # the units found by meaning alone, ranked after the words, were part of what was compared


def test_one_product_over_both_tables_copies_neither(engine):
    """The engine encodes the phrasings and the near misses into one array: the product's matrix is that array,
    both indexes' vectors are views into it (no copy), and the product is the plain one."""
    import numpy as np

    matrix = engine._product.matrix
    texts, near = engine._semantic.vectors, engine._semantic_near.vectors
    assert matrix.base is None and texts.base is matrix and near.base is matrix
    assert matrix.shape == (len(texts) + len(near), texts.shape[1]) and len(near) == len(engine._near_phrasings)
    q = engine.vector_of("who wrote the brief")
    assert np.array_equal(engine._product.start(q)(), matrix @ q)


def test_a_busy_worker_is_skipped_not_waited_for():
    """When the worker cannot take the product at once (busy with another question's, or its core busy), the
    product is computed in place: the caller never waits for the worker to become free."""
    import threading
    import time

    import numpy as np

    from bot.core.semantic import Product

    matrix = np.arange(12, dtype=np.float32).reshape(4, 3)
    vector = np.ones(3, dtype=np.float32)
    product = Product(matrix, background=True)
    gate = threading.Event()
    product._worker().submit(gate.wait, 30)  # the worker is busy until the gate opens
    threading.Timer(3.0, gate.set).start()  # (without the skip, start() would wait this long)
    try:
        t = time.perf_counter()
        got = product.start(vector)()
        elapsed = time.perf_counter() - t
    finally:
        gate.set()
    assert np.array_equal(got, matrix @ vector)
    assert elapsed < 1.0
    assert np.array_equal(product.start(vector)(), matrix @ vector)  # and the worker serves the next one


def test_an_index_scored_in_two_stages_gets_no_shared_product(knowledge, encoder, monkeypatch):
    """Above COARSE_ABOVE texts (100k phrasings) the full product is what the two stages avoid: no shared product,
    the cosines computed on first use, and questions still read and answered."""
    import numpy as np

    from bot.core.engine import Engine
    from bot.core.features import read

    monkeypatch.setattr("bot.core.semantic.COARSE_ABOVE", 100)
    engine = Engine(knowledge, encoder=encoder)
    assert engine._product is None and engine._semantic.coarse
    r = read(engine, "who wrote the brief")
    assert r.meaning.shape == (len(engine.index.units),) and len(r.near) == len(engine._near_phrasings)
    assert np.isfinite(r.meaning).all() and r.meaning.max() > 0.5
    answer = engine.ask("who wrote the brief")
    assert answer.answered and "Seho Jang" in answer.text
