"""Training the learned decision from the repository's own data (NumPy only, deterministic).

Examples come from three sources, each asked as if it were new (its own copy left out of the knowledge base):
the labeled sets in tests/data/ (their ``judge`` says which candidates would be a right answer), every Q&A
phrasing (its own entry is the right one) and every near miss (no candidate is right). Two gradient-boosted tree
ensembles are fitted (scikit-learn's HistGradientBoostingClassifier: log loss, fixed seed, no early stopping, so
the same data gives the same trees) and exported to ``Trees``, which run time reads with NumPy alone:

1. the ranker scores each candidate: how likely it is to be a right answer to the question;
2. the decision turns the ranker's view of the question (its best score, the runner-up, the best candidate's
   features) into the probability that answering with the best candidate is right.

Evaluation is group k-fold by source (a labeled set is never in training and evaluation at once), so the
operating points (when to answer, when to offer "did you mean") are chosen on predictions for questions the
model was not trained on.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .evaluation import Item, judge
from .features import FEATURES, read, word_pairs
from .model import (DECISION_FEATURES, RANKER_FEATURES, Model, ScopeWords, Trees, UsualMeaning, UsualWords,
                    decision_features, expand)
from .text import same_question_key



@dataclass(slots=True)
class Example:
    group: str  # the source: a labeled set's file name, "phrasings" or "near-misses"
    question: str
    in_scope: bool
    features: np.ndarray  # candidates x FEATURES
    labels: np.ndarray  # candidates: 1 if answering with it is right
    ids: list[str]  # "qa:<id>" / "fact:<id>" of the candidates
    paragraphs: list[frozenset[str]]  # the paragraphs each candidate cites
    words: frozenset[str] = frozenset()  # the question's words and intent pseudo-words, as the engine reads them
    lacks: tuple[frozenset[str], ...] = ()  # per candidate, the question's words (not intents) it lacks
    pairs: frozenset[str] = frozenset()  # its consecutive content words, paired (features.word_pairs)
    vector: np.ndarray | None = None  # its vector, when it was read by meaning


def example(engine, group: str, item: Item, leave_out: Iterable[str] = (), semantic: bool = True,
            exclude=None) -> Example:
    """One question as the model sees it, labeled by ``judge``. ``leave_out``: texts of the knowledge base left
    out while it is read (the question itself, when the curator copied it into the knowledge base); ``exclude``:
    the same as an ``Engine.exclusion`` made once (for a whole set)."""
    if exclude is None:
        exclude = engine.exclusion(leave_out)
    r = read(engine, item.q, exclude, semantic=semantic)
    feats = np.array([c.features for c in r.candidates], dtype=np.float64).reshape(-1, len(FEATURES))
    labels = np.zeros(len(r.candidates))
    if item.in_scope:
        for n, c in enumerate(r.candidates):
            labels[n] = 1.0 if judge(item, engine.answer_unit(item.q, c.unit))[0] else 0.0
    a = r.analysis
    words = frozenset(a.tokens) | a.intents
    units = [engine.index.units[c.unit] for c in r.candidates]
    lacks = tuple(frozenset(t for t in words if t[0] != "?" and not u.knows(t))
                  for u in units)
    return Example(group, item.q, item.in_scope, feats, labels, [f"{c.kind}:{c.id}" for c in r.candidates],
                   [c.paragraphs for c in r.candidates], words, lacks, word_pairs(a.tokens), r.vector)


def knowledge_examples(engine, semantic: bool = True) -> list[Example]:
    """Every phrasing (left out, its own entry is right) and every near miss (left out, nothing is right)."""
    out = []
    for e in engine.knowledge.entries:
        for q in e.questions:
            out.append(example(engine, "phrasings", Item(q, True, entry=e.id), [q], semantic))
    for _, questions in engine.knowledge.near_misses:
        for q in questions:
            out.append(example(engine, "near-misses", Item(q, False), [q], semantic))
    return out


# ------------------------------------------------------------------------------------------------- fitting


# scikit-learn's HistGradientBoostingClassifier settings; chosen by out-of-fold results on the training sets only
# (trees at most 4 deep: a question's candidates go down every tree in 4 steps at run time)
RANKER_TREES = {"max_iter": 250, "learning_rate": 0.1, "max_depth": 4, "l2_regularization": 1.0}
DECISION_TREES = {"max_iter": 300, "learning_rate": 0.05, "max_depth": 4, "l2_regularization": 1.0}


# Evidence against a candidate, given to the trees as monotonic constraints: a question word the candidate lacks,
# a word no unit knows, a name that is not the candidate's, a near miss closer than the candidate, a stronger
# rival never makes answering with it likelier. Without them the trees learned holes that no data filled ("what is
# the weather in Seoul" answered about South Korea: in training, questions with one uncovered word were mostly
# right). Evidence for a candidate is left free (constraining it too cost 1.3 points out of fold).
AGAINST = frozenset({
    "intent_miss", "uncovered", "foreign", "absent_share", "own_near_miss", "own_near_miss_lead",
    "near_miss_meaning_lead", "near_miss_words", "own_near_meaning_lead", "names_missing", "names_other",
    "unknown_words", "heads_missing", "own_near_miss_hi", "own_near_meaning_ahead",  # model.DERIVED
    "rival", "other_rivals",  # model.DECISION_FEATURES
})


def signs(names: Sequence[str]) -> list[int]:
    """scikit-learn's monotonic_cst: -1 for the evidence against (AGAINST), 0 for the rest."""
    return [-1 if n.removeprefix("best.") in AGAINST else 0 for n in names]


def trees_from_sklearn(clf) -> Trees:
    """A fitted binary HistGradientBoostingClassifier as ``Trees`` (its log-odds, node for node)."""
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    value: list[float] = []
    roots: list[int] = []
    depth = 0
    for per_iteration in clf._predictors:  # one tree per boosting iteration for a binary target
        (tree,) = per_iteration
        base = len(feature)
        roots.append(base)
        for k, node in enumerate(tree.nodes):
            if node["is_leaf"]:
                feature.append(0), threshold.append(np.inf), left.append(base + k), right.append(base + k)
                value.append(float(node["value"]))
                depth = max(depth, int(node["depth"]))
            else:
                if node["is_categorical"]:
                    raise ValueError("categorical splits are not supported")
                feature.append(int(node["feature_idx"])), threshold.append(float(node["num_threshold"]))
                left.append(base + int(node["left"])), right.append(base + int(node["right"])), value.append(0.0)
    return Trees(np.asarray(feature, dtype=np.int64), np.asarray(threshold, dtype=np.float64),
                 np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64),
                 np.asarray(value, dtype=np.float64), np.asarray(roots, dtype=np.int64), depth,
                 float(np.ravel(clf._baseline_prediction)[0]))


def fit_trees(x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray, params: dict,
              monotonic: Sequence[int] | None = None) -> Trees:
    """Boosted trees for P(y = 1 | x), deterministic for the same data; checked against scikit-learn's own
    predictions before it is returned."""
    from sklearn.ensemble import HistGradientBoostingClassifier  # training only: the `train` extra

    if not np.isfinite(x).all():
        raise ValueError("features must be finite")
    if len(np.unique(y)) < 2:
        return Trees.empty()
    clf = HistGradientBoostingClassifier(early_stopping=False, random_state=0, monotonic_cst=monotonic, **params)
    clf.fit(x, y, sample_weight=sample_weight)
    trees = trees_from_sklearn(clf)
    probe = x[:: max(1, len(x) // 2000)]
    if not np.allclose(trees.logits(probe), clf.decision_function(probe), atol=1e-8):
        raise RuntimeError("the exported trees disagree with scikit-learn's: this scikit-learn is not supported")
    return trees


FIRST_QUESTIONS = "first_questions"  # tests/data/first_questions.yaml: what newcomers type first
GROUP_WEIGHTS = {"phrasings": 0.5, "near-misses": 0.5, FIRST_QUESTIONS: 10.0}


def weight(group: str) -> float:
    """How much one question of a source weighs in training: a labeled question 1; a phrasing or a near miss half
    (the curator's own wordings, many per entry); a first question 10 (the questions people ask most, which must
    all be answered: at 5, "did they sign anything" fell to "did you mean" once round 10's sets brought their
    "did they sign any ai deal" and the like in as questions asked out of scope)."""
    return GROUP_WEIGHTS.get(group, 1.0)


def _stack(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [e.features for e in examples if len(e.features)]
    x = np.vstack(rows) if rows else np.zeros((0, len(FEATURES)))
    y = np.concatenate([e.labels for e in examples if len(e.features)]) if rows else np.zeros(0)
    # each question weighs the same, however many candidates it has; phrasings and near misses count half
    w = np.concatenate([np.full(len(e.labels), weight(e.group) / max(1, len(e.labels)))
                        for e in examples if len(e.features)]) if rows else np.zeros(0)
    return x, y, w * len(examples) / max(1.0, w.sum())


def fit_ranker(examples: Sequence[Example]) -> Trees:
    x, y, w = _stack(examples)
    return fit_trees(expand(x), y, w, RANKER_TREES, signs(RANKER_FEATURES))


def decision_rows(ranker: Trees, examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for e in examples:
        probs = ranker.probabilities(expand(e.features)) if len(e.features) else np.zeros(0)
        xs.append(decision_features(probs, e.features, e.paragraphs))
        ys.append(float(e.labels[int(np.argmax(probs))]) if len(probs) else 0.0)
    return np.array(xs), np.array(ys)


def fit_model(examples: Sequence[Example]) -> tuple[Trees, Trees]:
    ranker = fit_ranker(examples)
    x, y = decision_rows(ranker, examples)
    w = np.array([weight(e.group) for e in examples])
    return ranker, fit_trees(x, y, w, DECISION_TREES, signs(DECISION_FEATURES))


KNOWLEDGE_GROUPS = ("phrasings", "near-misses")
SCOPE_C = 0.5  # the logistic regression's inverse regularisation (chosen out of fold on the training sets)
_PRIOR, _LACKING = FEATURES.index("scope_prior"), FEATURES.index("lacking_weight")


def fit_scope(examples: Sequence[Example]) -> ScopeWords:
    """The words' lean (model.ScopeWords): a logistic regression, in scope or not, on the words of the labeled
    sets' questions (each question once; the knowledge base's own texts are not asked by people)."""
    from scipy.sparse import csr_matrix  # training only: the `train` extra
    from sklearn.linear_model import LogisticRegression

    seen: dict[tuple[str, str], Example] = {}
    for e in examples:
        if e.group not in KNOWLEDGE_GROUPS:
            seen.setdefault((e.group, e.question), e)
    rows = list(seen.values())
    if len({e.in_scope for e in rows}) < 2:
        return ScopeWords()
    vocab = {t: n for n, t in enumerate(sorted({t for e in rows for t in e.words}))}
    r = [n for n, e in enumerate(rows) for _ in e.words]
    c = [vocab[t] for e in rows for t in sorted(e.words)]
    x = csr_matrix((np.ones(len(r)), (r, c)), shape=(len(rows), len(vocab)))
    clf = LogisticRegression(C=SCOPE_C, max_iter=5000)
    clf.fit(x, np.array([1 if e.in_scope else 0 for e in rows]))
    names = sorted(vocab, key=vocab.get)
    return ScopeWords(float(clf.intercept_[0]), {t: float(w) for t, w in zip(names, clf.coef_[0]) if w != 0.0})


def with_scope(e: Example, scope: ScopeWords) -> Example:
    """``e`` with its two word-lean features (scope_prior, lacking_weight) as ``scope`` gives them."""
    f = e.features.copy()
    if len(f):
        f[:, _PRIOR] = scope.logit(e.words)
        f[:, _LACKING] = [scope.lacking(lack, lambda t: False) for lack in e.lacks]
    return dataclasses.replace(e, features=f)


def folds_of(examples: Sequence[Example], folds: int | None = None) -> dict[str, int]:
    """Each labeled set's fold (the knowledge base's own texts are in none: always in training)."""
    folds = folds or FOLDS
    sets = sorted({e.group for e in examples if e.group not in KNOWLEDGE_GROUPS})
    return {s: n % folds for n, s in enumerate(sets)}


def scoped(examples: Sequence[Example], folds: int | None = None) -> tuple[list[Example], ScopeWords]:
    """The examples with their word-lean features cross-fitted (a labeled question's come from a regression that
    never saw its fold; the knowledge base's texts' from the one fitted on every set) and that last regression,
    the one that ships."""
    folds = folds or FOLDS
    fold_of = folds_of(examples, folds)
    final = fit_scope(examples)
    per_fold = [fit_scope([e for e in examples if fold_of.get(e.group, -1) != k]) for k in range(folds)]
    out = [with_scope(e, per_fold[fold_of[e.group]] if e.group in fold_of else final) for e in examples]
    return out, final


_USUAL = FEATURES.index("usual")
_USUAL_MEANING = FEATURES.index("usual_meaning")
USUAL_ALPHA = 1.0  # the profile's smoothing: a unit's counts plus this many words drawn from all questions
USUAL_DECIMALS = 5
USUAL_MEANING_RIDGE = 1.0  # the profile by meaning's ridge penalty (chosen out of fold on the training sets)
USUAL_MEANING_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class _Doc:
    """One question in the units' profiles: its words, the units it is a right answer for, its source."""

    words: frozenset[str]
    units: tuple[str, ...]
    group: str
    key: str  # text.same_question_key of the question
    vector: np.ndarray | None = None  # its vector (unit length), when it was read by meaning


def usual_docs(examples: Sequence[Example]) -> list[_Doc]:
    """The questions the profiles count: every phrasing and every in-scope labeled question, once each (a labeled
    question is read twice, with and without its meaning), under the candidates that are right answers to it. A
    question's "words" here are its words, intent pseudo-words and consecutive pairs of words."""
    seen: set[tuple[str, str]] = set()
    out = []
    for e in examples:
        if not e.in_scope or e.group == "near-misses" or (e.group, e.question) in seen:
            continue
        seen.add((e.group, e.question))
        units = tuple(e.ids[int(i)] for i in np.flatnonzero(e.labels))
        if units:
            out.append(_Doc(e.words | e.pairs, units, e.group, same_question_key(e.question), e.vector))
    return out


def fit_usual(docs: Iterable[_Doc]) -> UsualWords:
    """model.UsualWords from ``docs``: for unit u and word w, log(P(w | u) / P(w)), with P(w | u) smoothed
    towards P(w) by USUAL_ALPHA words (a question right for two units counts half for each)."""
    per_unit: dict[str, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    everywhere: Counter = Counter()
    for d in docs:
        share = 1.0 / len(d.units)
        for u in d.units:
            per_unit[u].update({w: share for w in d.words})
            total[u] += share * len(d.words)
        everywhere.update(d.words)
    n_words = sum(everywhere.values()) + len(everywhere) + 1
    p = {w: (c + 1) / n_words for w, c in everywhere.items()}
    r = lambda v: round(v, USUAL_DECIMALS)  # noqa: E731
    default = {u: r(math.log(USUAL_ALPHA / (total[u] + USUAL_ALPHA))) for u in sorted(per_unit)}
    seen = {u: {w: r(math.log((c + USUAL_ALPHA * p[w]) / (total[u] + USUAL_ALPHA) / p[w]))
                for w, c in sorted(counts.items())} for u, counts in sorted(per_unit.items())}
    return UsualWords(default, seen)


def fit_usual_meaning(docs: Iterable[_Doc]) -> UsualMeaning:
    """model.UsualMeaning from the ``docs`` read by meaning: the ridge regression (penalty USUAL_MEANING_RIDGE, no
    intercept) of each unit's share of a question (1 over the number of units it is right for) on the question's
    vector, the weights rounded to USUAL_MEANING_DECIMALS."""
    docs = [d for d in docs if d.vector is not None]
    if not docs:
        return UsualMeaning()
    units = sorted({u for d in docs for u in d.units})
    column = {u: n for n, u in enumerate(units)}
    x = np.array([d.vector for d in docs], dtype=np.float64)
    y = np.zeros((len(docs), len(units)))
    for r, d in enumerate(docs):
        for u in d.units:
            y[r, column[u]] = 1.0 / len(d.units)
    w = np.linalg.solve(x.T @ x + USUAL_MEANING_RIDGE * np.eye(x.shape[1]), x.T @ y)
    return UsualMeaning(tuple(units), np.round(w.T, USUAL_MEANING_DECIMALS))


def fit_profiles(docs: Sequence[_Doc]) -> tuple[UsualWords, UsualMeaning]:
    return fit_usual(docs), fit_usual_meaning(docs)


def with_usual(e: Example, usual: UsualWords, meaning: UsualMeaning | None = None) -> Example:
    """``e`` with its three profile features (usual, usual_lead, usual_hits) as ``usual`` gives them, and its two
    profile-by-meaning features (usual_meaning, usual_meaning_lead) as ``meaning`` does, when given."""
    f = e.features.copy()
    if len(f):
        f[:, _USUAL:_USUAL + 3] = usual.features(e.words | e.pairs, e.ids)
        if meaning is not None:
            f[:, _USUAL_MEANING:_USUAL_MEANING + 2] = meaning.features(e.vector, e.ids)
    return dataclasses.replace(e, features=f)


def usual_fitted(examples: Sequence[Example], folds: int | None = None
                 ) -> tuple[list[Example], UsualWords, UsualMeaning]:
    """The examples with their profile features (by words and by meaning) cross-fitted, and the profiles that
    ship (from every question).
    A labeled question's come from profiles that never counted its fold, nor any question that is one of the
    fold's word for word (the curator copied some into the phrasings, and a few sets share a question); a
    phrasing's from profiles without a sixth of the phrasings (its own among them) and without the labeled
    questions that are it word for word; a near miss's from the shipped one."""
    folds = folds or FOLDS
    fold_of = folds_of(examples, folds)
    docs = usual_docs(examples)
    final = fit_profiles(docs)
    fold_keys = [{same_question_key(e.question) for e in examples if fold_of.get(e.group, -1) == k}
                 for k in range(folds)]
    per_fold = [fit_profiles([d for d in docs if fold_of.get(d.group, -1) != k and d.key not in fold_keys[k]])
                for k in range(folds)]

    def part(key: str) -> int:  # a phrasing's share of the phrasings: stable for its text
        return hashlib.sha256(key.encode()).digest()[0] % folds

    phrased = [{d.key for d in docs if d.group == "phrasings" and part(d.key) == k} for k in range(folds)]
    per_part = [fit_profiles([d for d in docs if d.key not in phrased[k]]) for k in range(folds)]
    out = []
    for e in examples:
        if e.group in fold_of:
            profiles = per_fold[fold_of[e.group]]
        elif e.group == "phrasings":
            profiles = per_part[part(same_question_key(e.question))]
        else:
            profiles = final
        out.append(with_usual(e, *profiles))
    return out, *final


def digest(examples: Sequence[Example]) -> str:
    """The examples as read, features included (to 6 decimals): the same on machines whose BLAS sums a product's
    terms in the same order. Another CPU's kernels (AVX-512 or not) change the cosines' last bits, and so now and
    then a feature's 6th decimal: ``data_digest`` is the one that holds everywhere."""
    h = hashlib.sha256()
    for e in examples:
        h.update(e.group.encode())
        h.update(e.question.encode())
        h.update(np.round(e.features, 6).tobytes())
        h.update(e.labels.tobytes())
    return h.hexdigest()[:16]


def data_digest(examples: Sequence[Example]) -> str:
    """The training data alone: each example's source, question and scope, in order."""
    h = hashlib.sha256()
    for e in examples:
        h.update(f"{e.group}\x00{e.question}\x00{int(e.in_scope)}\x00".encode())
    return h.hexdigest()[:16]


def stamp(examples: Sequence[Example]) -> str:
    """``Model.trained_on``: how many examples, the data's digest and the features' (``read_stamp`` reads it)."""
    return f"{len(examples)} examples, data {data_digest(examples)}, digest {digest(examples)}"


def read_stamp(trained_on: str) -> dict[str, str]:
    """``stamp``'s fields: {"examples": ..., "data": ..., "digest": ...} (those present)."""
    out: dict[str, str] = {}
    for part in trained_on.split(", "):
        value, _, name = part.partition(" ")
        if name == "examples":
            out["examples"] = value
        elif value in ("data", "digest"):
            out[value] = name
    return out


def save(model: Model, path: Path) -> None:
    path.write_text(model.to_json(), encoding="utf-8")


# ------------------------------------------------------------------------------------------------- the recipe

TRAINING_SETS = "tests/data"  # every *.yaml directly in it; tests/data/untouched/ is never read
FOLDS = 6
OOS_ANSWERED_MAX = 0.0175  # answer_at: out-of-scope questions answered, out of fold, at most this share
OOS_NOT_ABSTAINED_MAX = OOS_ANSWERED_MAX  # clarify_at: ... answered or "did you mean", at most this share
# Both keep the 97% floor with a margin, since sets nobody has seen come out below the training sets' figure: at
# 2.5% out of fold, the untouched sets gave 97.2% and 97.3% (rounds 12 and 13) and 96.8% (round 14); at 2%, 97.2%
# and 96.9% for two retrains of round 14 that differed in how the sets fell into folds and in 115 labels. The whole
# budget goes to answers: out of fold, a band between the two bars ("did you mean" from the decision's doubt) held
# 0.6% of in-scope questions for 0.5% of out-of-scope ones, and an abstention offers the same likeliest entries as
# buttons. "Did you mean" stays for a topic to browse and the named rules (decide.py).


def training_examples(engine, root: Path, log=lambda msg: None) -> list[Example]:
    """Every labeled set directly in ``root``, every phrasing and every near miss (each left out), asked with the
    semantic reading and, for a third of them, without it (an engine without the vector table uses the same
    model). A labeled question is read with every question of its set left out of the knowledge base (the
    curator's copies, and the set's questions asked out of scope): as the bot meets a question from a set it has
    never seen."""
    from .evaluation import load_items

    out: list[Example] = []
    for path in sorted(Path(root).glob("*.yaml")):
        items = load_items(path)
        exclude = engine.exclusion([item.q for item in items])
        for n, item in enumerate(items):
            out.append(example(engine, path.stem, item, exclude=exclude))
            if n % 3 == 0:
                out.append(example(engine, path.stem, item, semantic=False, exclude=exclude))
        log(f"{path.stem}: {len(out)} examples")
    for n, e in enumerate(knowledge_examples(engine)):
        out.append(e)
    log(f"phrasings and near misses: {len(out)} examples")
    return out


ASKED_HEADER = """\
# Questions people asked that the brief does not answer: every question labeled out of scope in the training sets
# (tests/data/*.yaml, never tests/data/untouched/), filed under the entry (or fact:<id>) that the engine, without
# this file, reads first for it. The engine reads them like near misses: the learned decision sees how close a
# new question comes to one. Generated by scripts/train_decision.py: do not edit by hand (curated near misses go
# in near_misses.yaml, a wrong label is fixed in its labeled set).
"""


def asked_out_of_scope(engine, root: Path) -> dict[str, list[str]]:
    """The questions labeled out of scope in the labeled sets directly in ``root`` that are not already a phrasing
    or a curated near miss, each under the key (an entry's id, or ``fact:`` and a fact's id) of the candidate the
    engine reads first for it. ``engine`` must be built without them (its knowledge's ``asked_out_of_scope``
    empty): which candidate comes first must not depend on this list."""
    from .evaluation import load_items
    from .models import FACT_PREFIX
    from .text import same_question_key as fold

    if engine.knowledge.asked_out_of_scope:
        raise ValueError("build the list with an engine that does not have it")
    taken = {fold(q) for e in engine.knowledge.entries for q in e.questions}
    taken |= {fold(q) for _, qs in engine.knowledge.near_misses for q in qs}
    out: dict[str, list[str]] = {}
    for path in sorted(Path(root).glob("*.yaml")):
        for item in load_items(path):
            if item.in_scope or fold(item.q) in taken:
                continue
            candidates = read(engine, item.q).candidates
            if not candidates:
                continue
            c = candidates[0]
            out.setdefault(c.id if c.kind == "qa" else f"{FACT_PREFIX}{c.id}", []).append(item.q)
            taken.add(fold(item.q))
    return out


def write_asked(asked: dict[str, list[str]], path: Path) -> None:
    import yaml

    body = yaml.safe_dump({"asked_out_of_scope": asked}, sort_keys=False, allow_unicode=True, width=1000)
    path.write_text(ASKED_HEADER + body, encoding="utf-8")


@dataclass(frozen=True, slots=True)
class OutOfFold:
    example: Example
    confidence: float
    probabilities: np.ndarray

    @property
    def best_right(self) -> bool:
        return bool(len(self.probabilities)) and bool(self.example.labels[int(np.argmax(self.probabilities))])


def out_of_fold(examples: Sequence[Example], folds: int = FOLDS) -> list[OutOfFold]:
    """Predictions for each labeled-set question by a model trained without its set (group k-fold by set;
    phrasings and near misses are always in training and never predicted)."""
    fold_of = folds_of(examples, folds)
    out: list[OutOfFold] = []
    for k in range(folds):
        train = [e for e in examples if fold_of.get(e.group, -1) != k]
        test = [e for e in examples if fold_of.get(e.group, -1) == k]
        ranker, decision = fit_model(train)
        for e in test:
            probs = ranker.probabilities(expand(e.features)) if len(e.features) else np.zeros(0)
            conf = float(decision.probabilities(decision_features(probs, e.features, e.paragraphs)[None, :])[0])
            out.append(OutOfFold(e, conf, probs))
    return out


def operating_points(oof: Sequence[OutOfFold]) -> tuple[float, float]:
    """answer_at and clarify_at: the lowest bars that keep out-of-scope questions (with the semantic reading,
    out of fold) answered at most OOS_ANSWERED_MAX, and answered or "did you mean" at most OOS_NOT_ABSTAINED_MAX."""
    conf = np.sort(np.array([o.confidence for o in oof if not o.example.in_scope
                             and o.example.features.shape[0] and o.example.features[0, -1] == 1.0]))[::-1]
    if not len(conf):
        return 0.5, 0.5
    answer_at = float(conf[int(len(conf) * OOS_ANSWERED_MAX)]) + 1e-6
    clarify_at = float(conf[int(len(conf) * OOS_NOT_ABSTAINED_MAX)]) + 1e-6
    return answer_at, min(answer_at, clarify_at)


def cross_fitted(examples: Sequence[Example]) -> tuple[list[Example], ScopeWords, UsualWords, UsualMeaning]:
    """The examples with the features learned from the labeled sets themselves (the words' lean, the units'
    profiles by words and by meaning) cross-fitted by fold, and the three that ship."""
    examples, scope = scoped(examples)
    examples, usual, usual_meaning = usual_fitted(examples)
    return examples, scope, usual, usual_meaning


def train(examples: Sequence[Example]) -> tuple[Model, list[OutOfFold]]:
    read_as = stamp(examples)  # of the examples as read (the test reads them again and compares)
    examples, scope, usual, usual_meaning = cross_fitted(examples)
    oof = out_of_fold(copy.deepcopy(list(examples)))
    answer_at, clarify_at = operating_points(oof)
    ranker, decision = fit_model(examples)
    return Model(ranker, decision, answer_at, clarify_at, FEATURES, read_as, scope, usual, usual_meaning), oof
