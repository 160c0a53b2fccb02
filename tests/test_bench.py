"""The bench command's JSON: the documented keys, sane numbers (a small scale keeps this test quick)."""

from __future__ import annotations

import json

from bot.bench import format_bench, run_bench, synthetic_knowledge, to_json
from conftest import KNOWLEDGE, LABELED


def test_bench_json_shape_and_numbers(encoder):
    result = json.loads(to_json(run_bench(KNOWLEDGE, [LABELED], scales=(3000,), encoder=encoder,
                                          report_sizes=(2000,))))
    assert set(result) >= {"quality", "latency_us", "load_ms", "index_ms", "scale", "rss_mb"}
    assert result["semantic"] is True
    for name in ("engine", "engine_lexical", "bm25", "token_set"):
        q = result["quality"][name]
        assert {"in_scope_correct", "oos_abstained", "overall"} <= set(q)
        assert all(0 <= q[k] <= 1 for k in ("in_scope_correct", "oos_abstained", "overall"))
    best_baseline = max(result["quality"]["bm25"]["overall"], result["quality"]["token_set"]["overall"])
    assert result["quality"]["engine"]["overall"] - best_baseline >= 0.30  # the project's bar: 30 points
    assert 0 < result["latency_us"]["p50"] <= result["latency_us"]["p99"]
    (scale,) = result["scale"]
    assert set(scale) >= {"phrasings", "p50_us", "p99_us", "index_ms", "rss_mb"} and scale["phrasings"] >= 3000
    assert 0 < result["rss_mb"]["engine"] < result["rss_mb"]["bot"]
    (rep,) = result["report"]
    assert rep["questions"] == 2000 and 0 < rep["groups"] <= 1000 and 0 <= rep["grouping_s"] <= rep["report_s"] + 1
    assert "Report over 2,000 logged questions" in format_bench(result)
    assert "engine leads the better baseline" in format_bench(result) and "words alone" in format_bench(result)


def test_reading_by_meaning_beats_words_alone_on_questions_that_fed_nothing(knowledge, engine):
    """What the vector table is shipped for, measured where it means something: on the untouched sets (on a
    training set both readings are near their ceiling, and which is ahead there is noise)."""
    from bot.core.engine import Engine
    from bot.core.evaluation import evaluate, load_items

    items = [i for path in sorted((LABELED.parent / "untouched").glob("*.yaml")) for i in load_items(path)]
    assert len(items) >= 1600
    both = evaluate(engine, items)
    words = evaluate(Engine(knowledge), items)
    assert both.overall > words.overall
    assert both.in_scope_correct > words.in_scope_correct


def test_synthetic_knowledge_keeps_real_entries_and_grows(knowledge):
    big = synthetic_knowledge(knowledge, 5000)
    assert sum(len(e.questions) for e in big.entries) >= 5000
    assert big.entries[: len(knowledge.entries)] == knowledge.entries
    assert len({e.id for e in big.entries}) == len(big.entries)
