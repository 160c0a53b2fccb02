"""The learned decision: the shipped model, its reproducibility, its calibration, and the first questions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.core import learn
from bot.core.decide import load_model
from bot.core.evaluation import evaluate, load_items
from bot.core.features import FEATURES
from bot.core.model import Model, Trees
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


def test_trees_learn_an_interaction_and_match_scikit_learn():
    """What a linear model cannot: y = (x0 > 0) xor (x1 > 0). The exported trees give scikit-learn's log-odds."""
    pytest.importorskip("sklearn")
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 3))
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(float)
    params = {"max_iter": 60, "learning_rate": 0.2, "max_leaf_nodes": 7, "max_depth": 4}
    trees = learn.fit_trees(x, y, np.ones(len(y)), params)
    assert ((trees.probabilities(x) >= 0.5) == (y == 1)).mean() > 0.95
    clf = HistGradientBoostingClassifier(early_stopping=False, random_state=0, **params).fit(x, y)
    probe = rng.normal(size=(500, 3))
    np.testing.assert_allclose(trees.logits(probe), clf.decision_function(probe), atol=1e-9)
    assert learn.fit_trees(x, y, np.ones(len(y)), params) == trees  # deterministic
    assert Trees.from_dict(trees.to_dict()) == trees


def test_malformed_trees_are_refused():
    d = load_model().ranker.to_dict()
    d["left"] = [len(d["left"]) + 5] + d["left"][1:]
    with pytest.raises(ValueError, match="malformed"):
        Trees.from_dict(d)
    assert Model.placeholder().confidence(np.array([0.9]), np.zeros((1, len(FEATURES)))) == 0.5


def test_confidence_is_the_decision_probability(engine):
    a = engine.ask("How long is the Power of Siberia 2 pipeline?")
    v = engine.judge("How long is the Power of Siberia 2 pipeline?")
    assert a.status is Status.ANSWERED and a.confidence == round(v.confidence, 3)
    assert v.confidence >= engine.model.answer_at
    off = engine.judge("what's the weather in Beijing tomorrow")
    assert off.outcome == "abstained" and off.confidence < engine.model.clarify_at


@pytest.mark.parametrize("text", ["good bot", "hello", "thanks!", "gm", "are you an AI?", "lol ok",
                                  "thank you so much, this really helped with my slides!"])
def test_chit_chat_is_never_offered_did_you_mean(engine, text):
    v = engine.judge(text)
    assert v.outcome == "abstained", (v.outcome, v.reason)
    assert engine.ask(text).status is Status.ABSTAINED


def test_explain_names_the_candidates_and_the_reason(engine):
    text = engine.explain("how long is pos2")
    assert "outcome: answered" in text and "qa:pos2-length" in text and "p=" in text
    text = engine.explain("how long is the TurkStream pipeline")
    assert "outcome: abstained" in text and "confidence" in text


@pytest.mark.slow
def test_retraining_reproduces_the_shipped_model(knowledge, encoder):
    """scripts/train_decision.py's recipe, run again on the repository's data, gives the shipped trees, node for
    node. (The operating points come from the script's out-of-fold run, six more fits: too slow for the suite;
    it is as deterministic as this fit.)"""
    pytest.importorskip("sklearn")
    from bot.core.engine import Engine

    engine = Engine(knowledge, encoder=encoder, model=Model.placeholder())
    examples = learn.training_examples(engine, DATA)
    shipped = load_model()
    assert shipped.trained_on.endswith(learn.digest(examples)), \
        "the training data changed: run scripts/train_decision.py"
    ranker, decision = learn.fit_model(examples)
    assert ranker == shipped.ranker and decision == shipped.decision


def test_what_the_curator_wrote_down_is_taken_word_for_word(engine):
    # a phrasing is answered with its entry even where a hard constraint would drop it ("how many" and an
    # answer that states "all types" rather than a number) ...
    k = engine.knowledge
    entry = next(e for e in k.entries for q in e.questions if q == "How many types of fuel did Putin offer to supply?")
    a = engine.ask("How many types of fuel did Putin offer to supply?")
    assert a.status is Status.ANSWERED and a.match.id == entry.id
    # ... and "and which outfit published it", a phrasing, is no follow-up with nothing to follow
    assert engine.ask("and which outfit published it").match.id == "about-publisher"
    # a listed near miss is abstained on, word for word, whatever the model makes of it
    for _, questions in k.near_misses:
        for q in questions[:1]:
            assert engine.judge(q).outcome == "abstained", q
