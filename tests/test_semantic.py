"""The semantic reading: the shipped vector table, BERT's word-piece tokenizer, and how the engine uses it."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from conftest import LABELED, ROOT
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.core import limits
from bot.core.engine import Engine
from bot.core.render import answer_to_dict, answer_to_text
from bot.discord_app.render import answer_embed
from bot.core.evaluation import load_items
from bot.core.models import Status
from bot.core.semantic import (
    VECTORS_FILE,
    VECTORS_SHA256,
    VOCAB_FILE,
    SemanticDataError,
    SemanticIndex,
    StaticEncoder,
    WordPiece,
    basic_words,
    load_static_encoder,
)


@pytest.fixture(scope="module")
def hf_tokenizer():
    tokenizers = pytest.importorskip("tokenizers")
    return tokenizers.BertWordPieceTokenizer(str(VOCAB_FILE), lowercase=True)  # as all-MiniLM-L6-v2 is set up


@pytest.fixture(scope="module")
def wordpiece():
    return WordPiece(VOCAB_FILE.read_text(encoding="utf-8").splitlines())


def test_shipped_table_is_the_pinned_one(encoder):
    assert hashlib.sha256(VECTORS_FILE.read_bytes()).hexdigest() == VECTORS_SHA256
    assert encoder.dim == 256
    v = encoder.encode(["Power of Siberia 2", ""])
    assert v.shape == (2, 256) and v.dtype == np.float32
    assert abs(float(np.linalg.norm(v[0])) - 1.0) < 1e-5
    assert not v[1].any()  # no word pieces: the zero vector, which is close to nothing


def test_a_damaged_table_is_refused_not_used(tmp_path):
    bad = tmp_path / "minilm_static.npz"
    bad.write_bytes(VECTORS_FILE.read_bytes()[:-10])
    with pytest.raises(SemanticDataError, match="sha256"):
        load_static_encoder(bad)
    with pytest.raises(SemanticDataError, match="cannot read"):
        load_static_encoder(tmp_path / "missing.npz")


def test_cli_without_the_table_falls_back_to_words_alone(monkeypatch, capsys):
    import io

    from bot import cli
    from bot.core import semantic

    monkeypatch.setattr(semantic, "VECTORS_SHA256", "0" * 64)
    out = io.StringIO()
    assert cli.main(["check"], stdin=io.StringIO(), out=out, err=io.StringIO()) == 0
    assert "by words alone; reading by meaning is off" in out.getvalue()
    out = io.StringIO()
    assert cli.main(["ask", "how long is pos2"], stdin=io.StringIO(), out=out, err=io.StringIO()) == 0
    assert "2,600" in out.getvalue() or "2600" in out.getvalue()


def test_meaning_not_words(encoder):
    a, b, c = encoder.encode(["who wrote this paper", "which analyst is the author of the brief",
                              "how long is the gas pipeline"])
    assert float(a @ b) > float(a @ c) + 0.1


def test_wordpiece_matches_bert_on_the_projects_own_text(wordpiece, hf_tokenizer, knowledge):
    texts = [p.text for p in knowledge.brief.paragraphs()]
    texts += [q for e in knowledge.entries for q in e.questions]
    texts += [i.q for i in load_items(LABELED)] + [i.q for i in load_items(ROOT / "tests" / "data" / "dev.yaml")]
    texts += ["Pourquoi le gazoduc n'est-il pas signé ? 天然气", "naïve café — “quotes” ①②", "a" * 150,
              "tab\there\u200bzero width\u0000nul", "emoji 🙂 and ＰｏＳ２"]
    for t in texts:
        assert wordpiece.ids(t, limit=10_000) == hf_tokenizer.encode(t, add_special_tokens=False).ids, t


# The two implementations carry different Unicode databases (Python 3.11's is version 14; the Rust crate's
# tables are older), so they disagree on a few characters whose category changed (U+166D became a symbol in
# Unicode 12) or that recent scripts added. The comparison runs over the scripts people write here.
_SCRIPTS = [(0x20, 0x52F), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2460, 0x24FF), (0x3000, 0x303F),
            (0x4E00, 0x4FFF), (0xAC00, 0xAD00), (0xFF00, 0xFFEF), (0x1F300, 0x1F64F)]
_TEXT = st.text(st.one_of([st.characters(min_codepoint=a, max_codepoint=b, exclude_categories=("Cn", "Cs"))
                           for a, b in _SCRIPTS]), max_size=80)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_wordpiece_matches_bert_on_any_text_in_common_scripts(wordpiece, hf_tokenizer, text):
    # Hugging Face reads "[CLS]", "[SEP]" ... typed in a text as its special tokens; ours reads what a person
    # typed as text, which is what it is (hypothesis found "[CLS]" and "[SEP]")
    assume(not any(tok in text for tok in ("[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]")))
    assert wordpiece.ids(text, limit=10_000) == hf_tokenizer.encode(text, add_special_tokens=False).ids


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(max_codepoint=127), max_size=60))
def test_an_ascii_chunk_is_split_as_any_chunk_is(text):
    # the shortcut for ASCII (two regular expressions) against the general reading, control characters included
    from bot.core.semantic import _ASCII_CONTROL, _ASCII_WORD, _CHUNK, _chunk_words

    for m in _CHUNK.finditer(text):
        assert _ASCII_WORD.findall(_ASCII_CONTROL.sub("", m.group()).lower()) == _chunk_words(m.group())


def test_basic_words_and_limits(wordpiece):
    assert basic_words("Xi–Putin's PoS2?") == ["xi", "–", "putin", "'", "s", "pos2", "?"]
    assert len(wordpiece.ids("word " * 1000)) == 256  # an essay is read up to a bound


class _Fake:
    """Texts containing the same first word are the same direction."""

    name = "fake"

    def encode(self, texts):
        out = np.zeros((len(texts), 4), dtype=np.float32)
        for n, t in enumerate(texts):
            out[n, hash(t.split()[0]) % 4 if t.split() else 0] = 1.0 if t.split() else 0.0
        return out


def test_index_scores_each_unit_by_its_closest_text():
    vec = StaticEncoder(np.eye(3, dtype=np.int8), np.ones(3, dtype=np.float32), ["[UNK]", "alpha", "beta"])
    index = SemanticIndex(vec, ["alpha", "beta", "alpha beta"], [0, 1, 1], n_units=3)
    s = index.scores(vec.encode(["alpha"])[0])
    assert s[0] == pytest.approx(1.0) and s[1] == pytest.approx(np.sqrt(0.5), abs=1e-5)
    assert s[2] == -1.0  # a unit with no texts is never the closest


def test_a_large_index_scores_the_closest_units_exactly_and_skips_the_rest(encoder, knowledge):
    """Above ``coarse_above`` texts, units are preselected by centroid: the units it scores get their exact
    closest-text cosine, the others -1; a left-out text is left out on that path too."""
    texts, owners = [], []
    for n, e in enumerate(knowledge.entries):
        texts += list(e.questions)
        owners += [n] * len(e.questions)
    n_units = len(knowledge.entries)
    exact = SemanticIndex(encoder, texts, owners, n_units)
    coarse = SemanticIndex(encoder, texts, owners, n_units, coarse_above=100)
    for q in ("how long is the pipeline", "who wrote the brief", "what did Japan say"):
        v = encoder.encode([q])[0]
        full, fast = exact.scores(v), coarse.scores(v)
        scored = fast > -1.0
        assert 0 < scored.sum() <= 64
        np.testing.assert_allclose(fast[scored], full[scored], atol=1e-6)
        assert int(np.argmax(fast)) == int(np.argmax(full))  # the closest unit survives the preselection
        best_text = int(np.argmax(exact.similarities(v)))
        dropped = coarse.scores(v, np.array([best_text]))
        assert dropped[owners[best_text]] <= full[owners[best_text]]
        assert dropped[owners[best_text]] == pytest.approx(
            max([float(exact.similarities(v)[i]) for i, o in enumerate(owners)
                 if o == owners[best_text] and i != best_text], default=-1.0), abs=1e-6)


def test_reading_by_meaning_answers_a_paraphrase_and_says_how_it_read_it(knowledge, engine):
    # (words alone used to refuse this one; with the words' lean they now answer it too, so only the reading by
    # meaning is checked here)
    lexical = Engine(knowledge)
    q = "How can I get in touch with the person who wrote it?"
    assert lexical.closeness_by_meaning(q) == {}
    closeness = engine.closeness_by_meaning(q)
    assert len(closeness) == len(knowledge.entries) and max(closeness, key=closeness.get) == "about-contact"
    a = engine.ask(q)
    assert a.status is Status.ANSWERED and a.match.id == "about-contact"
    assert 0.73 <= a.confidence <= 1.0 and a.citations
    # what the bot took the question for is said back, so a reader can check the reading
    title = engine.knowledge.entry("about-contact").title
    assert a.read_as == title
    assert answer_to_text(a).startswith(f"(Read as: {title})")
    embed = answer_embed(a, engine.knowledge.brief.meta)
    assert embed.description.startswith(f"*Read as: {title}*") and len(embed) <= limits.EMBED_TOTAL
    assert set(answer_to_dict(a)) == {"question", "status", "answered", "answer", "citations", "suggestions",
                                      "match", "confidence"}  # the JSON keeps exactly its documented keys
    lexical_answer = engine.ask("How long is the Power of Siberia 2 pipeline?")
    assert lexical_answer.read_as == "" and not answer_to_text(lexical_answer).startswith("(Read as")


@pytest.mark.parametrize("question", [
    "population of primorsky krai?",  # a word the knowledge base lacks, in a short question
    "does the joint statement say anything about taiwan",
    "what year was putin's first ever trip to china",  # closer in meaning to a listed near miss
    "How much will building Power of Siberia 2 cost in total?",  # what it asks about is only in the passage
])
def test_the_semantic_reading_keeps_abstaining_on_what_the_brief_does_not_say(engine, question):
    a = engine.ask(question)
    assert a.status is Status.ABSTAINED, (question, a.match)
    assert 1 <= len(a.suggestions) <= 3


def test_a_did_you_mean_is_not_overridden(engine):
    for q in ("china russia", "gas", "putin"):
        assert engine.ask(q).status is Status.CLARIFY, q


def test_a_follow_up_is_read_within_its_topic(engine):
    prev = engine.knowledge.entry("about-author")
    a = engine.follow_up("how do i reach him if i have a question", "about-author")
    assert a.status is Status.ANSWERED
    assert engine.knowledge.entry(a.match.id).topic == prev.topic and a.match.id != "about-author"
