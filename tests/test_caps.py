"""What one message can cost, proved by counting against the caps rather than by timing (issue 13, items 9, 10
and 12): characters after NFKC, tokens, word pieces, chunks read by the tokenizer, texts encoded, words corrected,
candidates, and the bytes of the stem cache. The timings themselves are printed by `python -m bot bench`."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core import semantic, text
from bot.core.engine import Engine
from bot.core.semantic import MAX_PIECES, basic_words
from bot.core.text import MAX_CHARS, MAX_TOKENS, MAX_WORD_CHARS, clean_question, fold, nfkc, stem, words

# the inputs of the report: U+FDFA is 18 characters after NFKC, U+3389 (a "kcal" sign) 4, all one "word"
EXPANDING = "x? what " + "\ufdfa" * 1985 + "? y."
ONE_LONG_WORD = "\u3389" * 2000

any_text = (st.text(max_size=3000) | st.text(alphabet=st.characters(codec="utf-8"), max_size=2500)
            | st.lists(st.sampled_from(["\ufdfa", "\u3389", "\ufb03", "pos2", "a" * 300, " ", "?", "\u0301",
                                        "\u1100\u1161", "Putin"]), max_size=2500).map("".join))


class CountingEncoder:
    """The shipped encoder, counting what it is given and the word pieces it reads."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.texts: list[str] = []
        self.pieces: list[int] = []

    def encode(self, texts):
        self.texts.extend(texts)
        self.pieces.extend(len(self.inner.tokenizer.ids(t)) for t in texts)
        return self.inner.encode(texts)


@pytest.fixture(scope="module")
def counted(knowledge, encoder):
    enc = CountingEncoder(encoder)
    return Engine(knowledge, encoder=enc), enc


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
@example(EXPANDING)
@example(ONE_LONG_WORD)
def test_every_stage_is_bounded_by_its_cap(text):
    cleaned = clean_question(text)
    assert len(cleaned) <= MAX_CHARS and len(fold(text)) <= MAX_CHARS
    toks = words(text)
    assert len(toks) <= MAX_TOKENS
    assert all(len(w) <= MAX_WORD_CHARS for w in toks)
    assert len(basic_words(cleaned, MAX_PIECES)) <= MAX_PIECES


def test_nfkc_is_cut_again_after_it_expands_and_stops_early(monkeypatch):
    assert len(clean_question(EXPANDING)) == MAX_CHARS  # 36,000 characters after NFKC, cut back to 2,000
    calls: list[int] = []
    real = text.unicodedata.normalize

    def normalize(form, s):
        calls.append(len(s))
        return real(form, s)

    monkeypatch.setattr(text.unicodedata, "normalize", normalize)
    out = nfkc(EXPANDING)
    assert out == real("NFKC", EXPANDING)[:MAX_CHARS]
    # NFKC is applied block by block and stops once 2,000 characters are out: it reads ~120 of the 2,000 input
    # characters, not all of them
    assert sum(calls) <= 4 * 64


def test_the_tokenizer_stops_reading_at_its_cap(monkeypatch):
    read: list[str] = []
    real = semantic._CHUNK

    class Counting:
        def finditer(self, s):
            for m in real.finditer(s):
                read.append(m.group())
                yield m

    monkeypatch.setattr(semantic, "_CHUNK", Counting())
    text_ = " ".join(["word"] * 5000)
    assert len(basic_words(text_, MAX_PIECES)) == MAX_PIECES
    assert len(read) == MAX_PIECES  # the other 4,744 words are never looked at
    read.clear()
    basic_words(clean_question(EXPANDING), MAX_PIECES)
    assert len(read) <= MAX_PIECES


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(any_text)
@example(EXPANDING)
@example(ONE_LONG_WORD)
def test_one_message_costs_a_bounded_amount_of_work(counted, text_):
    engine, enc = counted
    enc.texts.clear()
    enc.pieces.clear()
    engine.ask(text_)
    # every text the semantic reading gets is cut, and it reads at most MAX_PIECES pieces of each; the message is
    # read whole once, then at most a few of its question sentences
    assert all(len(t) <= MAX_CHARS for t in enc.texts)
    assert all(n <= MAX_PIECES for n in enc.pieces)
    assert len(enc.texts) <= 6
    if hasattr(engine, "analyse"):  # the lexical reading's own caps, while the engine exposes its analysis
        from bot.core import reading as engine_module

        a = engine.analyse(text_)
        assert len(a.tokens) <= engine_module.MAX_WORDS
        assert len(a.corrected) <= engine_module.MAX_CORRECTIONS
        assert len(a.ranked) <= len(engine.knowledge.entries) + len(engine.knowledge.facts)


def test_the_stem_cache_is_bounded_by_bytes_not_entries():
    cache = text.STEMS
    for i in range(70_000):  # what NFKC makes of 2,000 x U+3389, made distinct
        stem(f"{i:06d}" + "kcal" * 2000)
    assert cache.size <= text.STEM_CACHE_BYTES
    assert all(len(w) <= MAX_WORD_CHARS for w in list(cache._stems))
    assert stem("negotiations") == "negoti"  # and it still stems
