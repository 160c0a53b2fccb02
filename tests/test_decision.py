"""The learned decision: the shipped model, its reproducibility, its calibration, and the first questions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.core import learn
from bot.core.decide import load_model
from bot.core.evaluation import evaluate, load_items
from bot.core.features import FEATURES
from bot.core.model import Logistic, Model
from bot.core.models import Status

DATA = Path(__file__).parent / "data"


def test_every_first_question_is_answered_right(engine):
    items = load_items(DATA / "first_questions.yaml")
    assert len(items) >= 60 and all(i.in_scope for i in items)
    report = evaluate(engine, items)
    misses = [(o.item.q, o.reason) for o in report.misses()]
    assert not misses, misses


def test_the_shipped_model_reads_and_fits_the_features():
    model = load_model()
    assert model.features == FEATURES
    assert 0.0 < model.clarify_at <= model.answer_at < 1.0
    again = Model.from_json(model.to_json())
    assert again == model


def test_a_model_for_other_features_is_refused(tmp_path):
    text = load_model().to_json().replace('"meaning"', '"meaning_renamed"', 1)
    with pytest.raises(ValueError, match="retrain"):
        Model.from_json(text)


def test_logistic_fit_recovers_a_known_rule():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 3))
    y = (x[:, 0] - 2 * x[:, 1] + rng.normal(scale=0.3, size=4000) > 0).astype(float)
    m = learn.fit_logistic(x, y, l2=0.1)
    w = np.asarray(m.weights) / np.asarray(m.scale)
    assert w[0] > 0 > w[1] and abs(w[2]) < 0.2 * abs(w[1])
    assert ((m.probabilities(x) >= 0.5) == (y == 1)).mean() > 0.95
    assert learn.fit_logistic(x, y, l2=0.1) == m  # deterministic


def test_confidence_is_the_decision_probability(engine):
    a = engine.ask("How long is the Power of Siberia 2 pipeline?")
    v = engine.judge("How long is the Power of Siberia 2 pipeline?")
    assert a.status is Status.ANSWERED and a.confidence == round(v.confidence, 3)
    assert v.confidence >= engine.model.answer_at
    off = engine.judge("what's the weather in Beijing tomorrow")
    assert off.outcome == "abstained" and off.confidence < engine.model.clarify_at


def test_explain_names_the_candidates_and_the_reason(engine):
    text = engine.explain("how long is pos2")
    assert "outcome: answered" in text and "qa:pos2-length" in text and "p=" in text
    text = engine.explain("how long is the TurkStream pipeline")
    assert "outcome: abstained" in text and "confidence" in text


@pytest.mark.slow
def test_retraining_reproduces_the_shipped_model(knowledge, encoder):
    """scripts/train_decision.py's recipe, run again on the repository's data, gives the shipped model."""
    from bot.core.engine import Engine

    engine = Engine(knowledge, encoder=encoder, model=Model.placeholder())
    examples = learn.training_examples(engine, DATA)
    model, _ = learn.train(examples)
    shipped = load_model()
    assert model.trained_on == shipped.trained_on, "the training data changed: run scripts/train_decision.py"
    for mine, theirs in ((model.ranker, shipped.ranker), (model.decision, shipped.decision)):
        assert isinstance(mine, Logistic)
        np.testing.assert_allclose(mine.weights, theirs.weights, atol=1e-5)
        assert mine.bias == pytest.approx(theirs.bias, abs=1e-5)
    assert model.answer_at == pytest.approx(shipped.answer_at, abs=1e-4)
    assert model.clarify_at == pytest.approx(shipped.clarify_at, abs=1e-4)
