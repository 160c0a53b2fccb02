"""The answer engine: normalisation, matching outcomes, abstention, robustness, and the labeled-set floors."""

from __future__ import annotations

import pytest

from bot.core.evaluation import evaluate, load_items
from bot.core.models import Status
from bot.core.text import clean_question, fold, normalise_for_quote, stem, words
from conftest import LABELED

# Floors pooled over the untouched sets in tests/data/untouched/ (see docs/quality.md), a little under what the
# engine measures there. A change that lowers them fails here; raise them when the engine or the knowledge gets
# better. Never fit anything to those sets: they measure only while they feed nothing.
UNTOUCHED = LABELED.parent / "untouched"
UNTOUCHED_IN_SCOPE_FLOOR = 0.90
UNTOUCHED_OOS_FLOOR = 0.97
UNTOUCHED_WRONG_CEILING = 0.02
UNTOUCHED_REACH_FLOOR = 0.97


def test_words_normalise_discord_text():
    assert words("<@123> How LONG is **PoS2**?") == ["how", "long", "is", "pos2"]
    assert words("the U.S. and the US") == ["the", "united", "states", "and", "the", "united", "states"]
    assert "us" in words("tell us")  # the pronoun stays a pronoun
    assert words("2,600 km") == ["2600", "km"]
    assert words("Putin's trip") == ["putin", "trip"]
    assert clean_question("@everyone <#55> see https://x.y/z `code`") == "see code"
    assert fold("\uff30\uff4f\uff33\uff12 \u201cquoted\u201d") == 'pos2 "quoted"'
    assert normalise_for_quote("a\u2019s  \u201cb\u201d\n c") == "a's \"b\" c"
    assert stem("negotiations") == stem("negotiation")


@pytest.mark.parametrize("question, expected_id_part", [
    ("How long is the Power of Siberia 2 pipeline?", "length"),
    ("pos2 length", "length"),
    ("how long is the pipline", "length"),  # typo
    ("PoS2 capacity bcm", "capacity"),
    ("who wrote the brief", "author"),
    ("Who is Peng Pai?", "peng-pai"),
    ("<@123456> who is peng pai", "peng-pai"),
])
def test_answers_known_questions(engine, question, expected_id_part):
    a = engine.ask(question)
    assert a.status is Status.ANSWERED, (question, a)
    assert expected_id_part in a.match.id
    assert a.citations and a.text
    assert 0 < a.confidence <= 1


@pytest.mark.parametrize("question", [
    "what time is it in Moscow",
    "how long is the TurkStream pipeline",
    "who is China's ambassador to Russia",
    "how long is Power of Siberia 1",
    "how many delegates were at the expanded meeting",
    "what's the weather in Beijing tomorrow",
    "write me a python function",
])
def test_abstains_on_what_the_brief_does_not_say(engine, question):
    a = engine.ask(question)
    assert a.status is Status.ABSTAINED, (question, a.match)
    assert a.text == "" and a.citations == ()
    assert 1 <= len(a.suggestions) <= 3


@pytest.mark.parametrize("question", ["", "   ", "\U0001f600\U0001f525", "x" * 10_000, "\x00\x07\x1b[2J",
                                      "\u0421\u0438\u043b\u0430 \u0421\u0438\u0431\u0438\u0440\u0438",
                                      "\u4e60\u8fd1\u5e73\u548c\u666e\u4eac", "?!?!", "a " * 5000,
                                      "@everyone @here <@&1> <#2>"])
def test_bad_input_never_raises_and_abstains(engine, question):
    a = engine.ask(question)
    assert a.status in (Status.ABSTAINED, Status.CLARIFY)
    assert len(a.suggestions) <= 3


def test_clarify_offers_two_or_three_distinct_candidates(engine):
    found = [engine.ask(q) for q in ("russia", "gas", "the war", "china russia", "putin")]
    clarify = [a for a in found if a.status is Status.CLARIFY]
    assert len(clarify) >= 4, "broad questions should lead to 'did you mean'"
    for a in clarify:
        assert 2 <= len(a.suggestions) <= 3
        assert len(set(a.candidates)) == len(a.candidates)
        assert a.text == "" and a.citations == ()


def test_a_did_you_mean_is_for_browsing_not_for_questions_nothing_answers(engine):
    # matched word for word all over the brief, but nothing in it means this: the brief does not answer it
    for q in ("what time is it", "How do I say hello in Russian?", "what did north korea say about the summit"):
        a = engine.ask(q)
        assert a.status is Status.ABSTAINED and a.suggestions, q
    # a bare keyword, or "what about ...", is someone browsing a topic: "did you mean" stays
    for q in ("gas", "putin", "what about gas", "tell me about putin"):
        assert engine.ask(q).status is Status.CLARIFY, q


def test_related_suggestions_are_real_entries(engine):
    a = engine.ask("How long is the Power of Siberia 2 pipeline?")
    assert a.candidates and all(engine.knowledge.entry(i) for i in a.candidates)
    assert list(a.suggestions) == [engine.knowledge.entry(i).title for i in a.candidates]


def test_answer_entry_and_fact_lookups(engine):
    e = engine.knowledge.entries[0]
    a = engine.answer_entry(e.id)
    assert a.text == e.answer and a.citations == e.citations
    assert engine.answer_entry("nope") is None
    f = engine.knowledge.facts[0]
    assert engine.answer_fact(f.id).citations == (f.citation,)


def test_complete_is_bounded_and_relevant(engine):
    assert len(engine.complete("", 25)) <= 25
    assert len(engine.complete("pos", 50)) <= 25
    top = engine.complete("peng pai", 5)
    assert "Peng Pai" in top[0][1]


def test_labeled_set_shape():
    items = load_items(LABELED)
    assert len(items) >= 250
    assert sum(not i.in_scope for i in items) >= 70
    assert all(i.must_contain or i.entry for i in items if i.in_scope)
    splits = {i.split for i in items}
    assert splits == {"tune", "heldout"}


def test_untouched_floors_and_verbatim_citations(engine):
    from bot.core.evaluation import Report

    report = Report()
    for path in sorted(UNTOUCHED.glob("*.yaml")):
        evaluate(engine, load_items(path), report)
    assert len(report.outcomes) >= 1600
    assert report.citation_validity == 1.0
    assert report.in_scope_correct >= UNTOUCHED_IN_SCOPE_FLOOR, report.summary()
    assert report.oos_abstained >= UNTOUCHED_OOS_FLOOR, report.summary()
    assert report.in_scope_wrong <= UNTOUCHED_WRONG_CEILING, report.summary()
    assert report.one_click_reach >= UNTOUCHED_REACH_FLOOR, report.summary()


def engine_words(text):
    from bot.core.text import is_content

    return [w for w in words(text) if is_content(w)]


def test_framing_and_shorthand_are_read_as_people_mean_them():
    from bot.core.text import unframed_words

    assert unframed_words("which strait got closed acc to the brief") == words("which strait got closed")
    assert unframed_words("what does the author expect re NK going forward") == words("what re NK going forward")
    assert unframed_words("who is the author") == words("who is the author")  # nothing else to ask: kept
    assert words("b4 the summit, abt pos2, in a nutshell") == ["before", "the", "summit", "about", "pos2", "in",
                                                             "a", "summary"]
    assert stem("timing") != stem("time")
    # chat fillers, politeness in other languages and words in other scripts are not words the brief could lack
    assert engine_words("yo did xi sign pos2 or nah ngl") == engine_words("did xi sign pos2")
    assert engine_words("请问, did xi sign pos2, пожалуйста, por favor?") == engine_words("did xi sign pos2")


def test_what_or_which_questions_need_their_head_word(engine):
    from bot.core.text import head_words

    assert head_words(words("which mongolian cities does it pass")) == ["mongolian", "cities"]
    assert head_words(words("what year was it")) == ["year"]
    assert head_words(words("what does the brief say about japan")) == []
    assert engine.ask("in which city was the treaty of good-neighborliness signed").status is Status.ABSTAINED
    a = engine.ask("which article of the treaty sets its validity period")  # answered, or its first suggestion
    assert (a.match.id if a.status is Status.ANSWERED else a.candidates[0]) in ("treaty-validity", "treaty-article-25")
    assert "Article 25" in a.text or a.status is not Status.ANSWERED
    # "how many X": the brief must count X, not just state some number ("his 25th trip")
    assert head_words(words("how many Russian ministers came")) == ["russian", "ministers"]
    assert engine.ask("How many Russian ministers came along with Putin on this trip to Beijing?").status \
        is Status.ABSTAINED
    assert engine.ask("how many cooperation documents were signed").match.id == "summitry-forty-documents"


def test_listed_near_misses_abstain_and_their_entries_still_answer(engine):
    near = dict(engine.knowledge.near_misses)
    assert len(near) >= 100
    assert engine.ask("how old is wang yi").status is Status.ABSTAINED
    assert engine.ask("Who received Putin when he arrived?").match.id == "proceedings-wang-yi"


def test_numbers_written_out_or_as_ordinals_are_numbers(engine):
    assert words("his twenty-fourth trip, the 25th visit, forty documents") == ["his", "24", "trip", "the", "25",
                                                                                 "visit", "40", "documents"]
    assert words("the two leaders first met") == ["the", "two", "leaders", "first", "met"]  # not quantities
    # a question's numbers must be in the answer, however they are written
    assert engine.ask("was this putin's twenty-fifth trip to china").match.id == "proceedings-putin-25th-trip"
    assert engine.ask("what came out of putin's twenty-second trip to china").status is Status.ABSTAINED
    assert engine.ask("when will putin make his 26th visit to china").status is Status.ABSTAINED


def test_a_number_most_units_state_frames_a_question_and_is_not_required(engine):
    """The year of the events says which summit, not what is asked: "who wrote the brief on the 2026 summit" is
    the author's entry, which states no year. Numbers few units state (a trip's rank, a count) stay required."""
    units = engine.index.units
    assert "2026" in engine.index.framing_numbers
    assert all(sum(n in u.tokens for u in units) >= 0.1 * len(units) for n in engine.index.framing_numbers)
    assert not {"2001", "25", "24", "40", "26"} & engine.index.framing_numbers
    for q in ("who wrote the brief on the 2026 summit", "who wrote the 2026 INSS brief",
              "Who is the author of the brief on the May 2026 Beijing summit?"):
        a = engine.ask(q)
        assert a.status is Status.ANSWERED and a.match.id == "about-author", (q, a.status, a.match)
    # a long one is read with the author's entry first, whatever the model then decides
    a = engine.ask("who is the author of the INSS brief on the May 2026 Beijing summit that people keep quoting?")
    assert "about-author" in (a.match.id, *a.candidates[:1]), (a.status, a.match, a.candidates)
    assert engine.ask("what came out of putin's 22nd trip to china in 2026").status is Status.ABSTAINED


def test_how_long_the_reply_should_be_is_not_a_number_the_answer_must_state(engine):
    """ "in 3~4 sentences", "5 key points on ...": the numbers say how to reply, not what is asked; read as numbers
    of the question, they made every unit inadmissible (no unit states "3" and "4" together)."""
    for q in ("Please summarize the brief's main argument in 3~4 sentences.", "3 points on what a summit normally is",
              "the summit in 5 bullet points", "sum it up in 2-3 lines", "tldr in 100 words"):
        assert not engine.read_question(q).numbers, q
    for q, numbers in (("were 40 documents signed", {"40"}), ("is the pipeline 3,000 km long", {"3000"}),
                       ("how many points are in the 4 principles", {"4"}), ("the summit in 2026", {"2026"})):
        assert engine.read_question(q).numbers == numbers, q


def test_a_premise_with_a_wrong_number_may_be_answered_by_a_unit_that_states_one(engine):
    """ "Was this Putin's 15th trip to China?" is answered by the entry that says it was his 25th: a premise put to
    the bot to check (a yes/no question, a tag, a half-memory) may hold the wrong number, so a unit that states a
    number of its own stays a candidate, and the learned decision weighs the number it lacks. Asked outright
    ("what came out of putin's 22nd trip"), a number the unit lacks still rules the unit out."""
    units = {u.id: u for u in engine.index.units}
    trip = units["proceedings-putin-25th-trip"]
    assert trip.numbered and "15" not in trip.tokens
    no_number = next(u for u in engine.index.units if not u.numbered)
    for q in ("Was this Putin's 15th trip to China?", "putin's 15th trip to china, right?",
              "I think it was Putin's 15th trip to China", "so, was this putin's 15th china trip or something"):
        a = engine.read_question(q)
        assert a.checks and "15" in a.numbers, q
        assert engine.index.admissible(a, trip), q
        assert not engine.index.admissible(a, no_number), q  # a unit with no number cannot correct one
    for q in ("what came out of putin's 15th trip to china", "list putin's 15 trips to china"):
        a = engine.read_question(q)
        assert not a.checks and not engine.index.admissible(a, trip), q
    a = engine.ask("Was this Putin's 15th trip to China?")
    assert a.status is Status.ANSWERED and a.match.id == "proceedings-putin-25th-trip", (a.status, a.match)
    assert engine.ask("Did Putin bring 300 delegates?").status is Status.ABSTAINED  # no unit counts delegates


def test_a_request_for_the_items_needs_an_entry_that_lists_them(engine):
    from bot.core.text import intents

    assert "?list" in intents(words("What exactly are the four guiding principles?"))
    assert "?list" in intents(words("can you list the 40 docs they signed"))
    assert "?list" not in intents(words("what did they name the treaty"))
    assert "?list" not in intents(words("does the declaration set out guiding principles"))
    # the brief counts the principles and documents but does not list them; it does list the three themes
    assert engine.ask("What exactly are the four guiding principles in the declaration?").status is Status.ABSTAINED
    assert engine.ask("can you list the 40 cooperation documents").status is Status.ABSTAINED
    assert engine.ask("what are the three themes of the joint declaration").match.id == "docs-declaration-themes"


def test_what_comes_after_the_brief_is_not_in_it(engine):
    from bot.core.text import intents

    assert "?next" in intents(words("when is the next xi putin summit"))
    assert "?next" in intents(words("what will happen with pos2 next year"))
    assert "?next" not in intents(words("the next-generation missile defense system"))
    assert engine.ask("when is the next xi putin summit").status is Status.ABSTAINED
    assert engine.ask("what will happen with pos2 next year").status is Status.ABSTAINED
    assert engine.ask("When did the China-Russia summit take place?").match.id == "timing-date"
    assert engine.ask("What's next for China-Russia relations?").status is Status.ANSWERED


def test_questions_about_the_bot_itself_are_not_in_the_brief(engine):
    from bot.core.text import intents

    for q in ("what model are you running on", "do you think xi is a good leader", "who made you",
              "In your opinion, is Xi personally more powerful than Putin?",
              "What you think yourself, is Russia now the junior partner?"):
        assert "?you" in intents(words(q)), q
        assert engine.ask(q).status is Status.ABSTAINED, q
    # a polite request is not a question about the bot
    assert "?you" not in intents(words("can you walk me through the summit program"))
    assert engine.ask("could you tell me who wrote the brief").match.id == "about-author"


def test_a_message_with_a_preamble_is_read_by_its_question(engine):
    from bot.core.text import question_readings

    assert question_readings("Prepping for a debate tonight. How long is Power of Siberia 2?") == \
        ["How long is Power of Siberia 2?"]
    assert question_readings("How long is PoS2?") == []  # nothing to strip
    assert question_readings("What did the U.S. do? Thanks!") == ["What did the U.S. do?"]  # "U.S." ends nothing
    assert question_readings("The GTI came up in my reading. When was it founded?") == []  # "it" points back
    # a demonstrative before a noun names its subject
    assert question_readings("Set the scene for me. When did this summit happen?") == ["When did this summit happen?"]
    q = ("Our study group keeps arguing about this and someone brought up a podcast. "
         "How long would the Power of Siberia 2 pipeline be?")
    a = engine.ask(q)
    assert a.status is Status.ANSWERED and a.match.id == "pos2-length" and a.question == q
    assert engine.ask("The GTI came up in my reading. When was it founded?").status is not Status.ANSWERED


def test_lowercase_typing_is_read_by_its_question_sentence():
    from bot.core.text import question_readings, sentences

    # Discord typing: no capital after the full stop, no question mark
    assert question_readings("that name is fake, some propagandist wrote it. who's the author really") == \
        ["who's the author really"]
    assert sentences("the u.s. side was there. who met putin") == ["the u.s. side was there.", "who met putin"]
    # abbreviations end no sentence
    assert sentences("vol. 152 no. 14 e.g. is the one") == ["vol. 152 no. 14 e.g. is the one"]
    # a question sentence that points back is still never read alone
    assert question_readings("e.g. the pipeline. how long is it") == []


def test_they_with_nothing_before_is_the_two_sides():
    from bot.core.text import leans_on_earlier

    assert not leans_on_earlier("and what did they sign")  # China and Russia
    assert not leans_on_earlier("so they demanded tougher sanctions on north korea?")  # "so" opens many questions
    assert leans_on_earlier("and how long is it?")
    assert leans_on_earlier("what about him?")
    assert leans_on_earlier("whats the second one about")


def test_a_question_followed_by_a_remark_is_read_by_the_question(engine):
    from bot.core.text import question_readings

    # the first sentence may point at what the whole message is about: "this" brief
    assert question_readings("Who wrote this? I like to credit authors.") == ["Who wrote this?"]
    a = engine.ask("Who wrote this? I always like to give the author a shout-out on air.")
    assert a.status is Status.ANSWERED and a.match.id == "about-author"
    # a question followed by a guess at its answer is read by the question
    assert question_readings("How big a discount did China demand? Ten percent?") == [
        "How big a discount did China demand?"]
    assert engine.ask("How big a discount did China supposedly demand? Ten percent?").match.id == "bargain-discount"
    # two questions: the second may be what is really asked, so neither is read alone
    assert question_readings("Putin met Li Qiang, right? What did the two of them discuss?") == []
    assert engine.ask("Putin met Premier Li Qiang, right? What did the two of them discuss?").status \
        is not Status.ANSWERED


def test_a_question_about_money_needs_an_entry_that_talks_about_money(engine):
    # the brief gives Power of Siberia 2's length and capacity, not its cost
    assert engine.ask("how much would pos2 cost").status is Status.ABSTAINED
    assert engine.ask("How much will building Power of Siberia 2 cost in total?").status is Status.ABSTAINED
    assert engine.ask("what price is china asking for pos2 gas").status is Status.ANSWERED


@pytest.mark.parametrize("path", sorted((LABELED.parent).glob("*.yaml")), ids=lambda p: p.name)
def test_every_labeled_set_is_well_formed(path, knowledge):
    if path.name == "questions.yaml" or path.name.startswith("dev"):
        items = load_items(path)
        paragraphs = {p.id for p in knowledge.brief.paragraphs()}
        assert len(items) >= 150 and sum(not i.in_scope for i in items) >= 70
        assert len({i.q for i in items}) == len(items)  # no question twice
        for i in items:
            if i.in_scope:
                assert i.must_contain or i.entry, i.q
                assert set(i.paragraphs) <= paragraphs, (i.q, i.paragraphs)


def test_a_question_about_a_reaction_needs_an_entry_that_reports_one(engine):
    assert engine.ask("How did Tokyo respond to being accused of reviving militarism?").status is Status.ABSTAINED
    assert engine.ask("how did china and russia react to us nuclear sharing").match.id == "nea-nuclear-sharing"
    assert engine.analyse("what did japan say back to china and russia").wants_reaction is True
    assert engine.analyse("what did they say about japan").wants_reaction is False
    # "responsible" is not a reaction
    assert engine.analyse("who do they hold responsible for the tensions").wants_reaction is False


def test_english_words_are_not_corrected_into_the_briefs_words(engine):
    """Typo correction fixes typos ("pipelien", "summmit"), not English words the brief does not use: "weather" is
    not "water", and a question about the weather is not about the East Sea."""
    a = engine.read_question("what is the weather in Seoul")
    assert "weather" in a.unknown and "weather" not in a.corrected
    assert engine.ask("what is the weather in Seoul").status is Status.ABSTAINED
    typo = engine.read_question("how long is the pipelien")
    assert typo.corrected.get("pipelien") == "pipeline" and not typo.unknown


def test_a_follow_up_with_nothing_to_follow_asks_which_one_is_meant(engine):
    """"and how long is it?" with no earlier answer is unclear: "did you mean" (the pipeline? the treaty?), never a
    guess. With an earlier answer it is read as the bot reads a follow-up (``answer_follow_up``, as in ``chat``
    and a Discord reply): "it" is that answer's subject, and a follow-up without a pronoun is read within its
    topic."""
    from bot.core.followup import answer_follow_up

    a = engine.ask("and how long is it")
    assert a.status is Status.CLARIFY and {"pos2-length", "treaty-validity"} <= set(a.candidates)
    first = engine.ask("how much gas could pos2 deliver")
    assert first.match.id == "pos2-capacity"
    for follow in ("and how long is it", "and the length?"):
        assert answer_follow_up(engine, follow, first.match.id).match.id == "pos2-length", follow
    assert engine.ask("who wrote it").answered  # a pronoun alone is not a follow-up: "it" is the brief
    assert not engine.ask("whats the second one about").answered  # the second of what?


def test_a_reason_asked_for_with_nothing_before_is_not_guessed(engine):
    """"why?" or "but why" as a first message has nothing to give a reason for: the model, which never saw one,
    answered a cold "why" with the symbolic ceremony's reasons; it gets "did you mean" or an abstention instead.
    A question that says what it wants the reason for is read as usual."""
    from bot.core.text import leans_on_earlier

    for q in ("why", "why?", "but why", "why tho", "and why?", "why not", "how come?"):
        assert leans_on_earlier(q), q
        assert not engine.ask(q).answered, q
    for q in ("why does it matter", "why did pos2 fail", "why the timing", "why should i care about this"):
        assert not leans_on_earlier(q), q
    assert engine.ask("why did china not sign pos2").answered


def test_names_are_the_words_the_brief_writes_with_a_capital(engine):
    """A name is a word the brief writes with a capital letter more often than not: "new", "gas", "pipeline" or
    "year" are capitalised in a title ("New Type of International Relations") but are not names where people use
    them, and a question that uses them must not count as naming someone the candidate does not know."""
    names = engine.index.names
    for w in ("putin", "china", "russia", "beijing", "peng", "trump", "mongolia", "inss", "gti", "tiananmen"):
        assert stem(w) in names, w
    for w in ("new", "gas", "pipeline", "year", "summit", "cooperation", "document", "war", "nuclear"):
        assert stem(w) not in names, w
    v = engine.judge("how much gas could Russia send China each year through the new pipeline")
    capacity = next(c for c in v.reading.candidates if c.id == "pos2-capacity")
    assert capacity.named()["names_missing"] == 0.0
    other = engine.judge("how much gas could Japan send China each year through the new pipeline")
    capacity = next(c for c in other.reading.candidates if c.id == "pos2-capacity")
    assert capacity.named()["names_missing"] == 1.0


def test_a_person_named_by_a_pronoun_alone_is_not_guessed(engine):
    """"how old is he now" with no earlier answer: the brief has several people, and only one whose age it gives,
    so answering would guess who "he" is; "did you mean" offers the readings instead. A question that says who
    ("that boy", "putin") or says enough besides is read as usual."""
    from bot.core.text import unnamed_person

    names = engine.index.names
    for q in ("how old is he now", "who is she", "what's his job"):
        assert unnamed_person(q, engine.read_question(q).tokens, names), q
        assert not engine.ask(q).answered, q
    assert engine.ask("how old is he now").status is Status.CLARIFY
    for q in ("how old is that boy now and what does he do", "who received putin when he got there",
              "did his stay stretch beyond a full day?", "how old is peng pai now"):
        assert not unnamed_person(q, engine.read_question(q).tokens, names), q
    assert engine.ask("how old is that boy now and what does he do").answered
    # with the answer it replies to, the pronoun is resolved (bot/core/followup.py)
    from bot.core.followup import answer_follow_up

    first = engine.ask("Who is Peng Pai?")
    assert answer_follow_up(engine, "how old is he now", first.match.id).match.id == "proceedings-peng-pai-now"


def test_thanks_that_asks_nothing_is_chit_chat():
    from bot.core.text import is_chit_chat

    assert is_chit_chat("ok whatever, thanks i guess")
    assert is_chit_chat("thanks, that's helpful")
    assert not is_chit_chat("thanks! who wrote it")  # a question after the thanks
    assert not is_chit_chat("thanks, and how long is pos2?")
    assert not is_chit_chat("what did putin thank xi for")


def test_your_brief_is_the_brief_not_the_bot():
    from bot.core.text import intents, words

    assert "?you" not in intents(words("what does your precious brief say caused it"))
    assert "?you" not in intents(words("is your source reliable"))
    assert "?you" in intents(words("whats your opinion on pos2"))
    assert "?you" in intents(words("who made you"))


def test_a_facts_passage_is_suggested_by_its_entries_closest_in_meaning(engine):
    import numpy as np

    units = engine.index.units
    fact = next(i for i, u in enumerate(units) if u.kind == "fact" and
                sum(1 for w in units if w.kind == "qa" and w.paragraphs & u.paragraphs) >= 3)
    cite = [j for j, w in enumerate(units) if w.kind == "qa" and w.paragraphs & units[fact].paragraphs]
    meaning = np.zeros(len(units), dtype=np.float32)
    meaning[cite[-1]] = 0.9  # the last in file order is the closest to the question
    meaning[cite[1]] = 0.5
    out = engine.answers.with_passages([fact], meaning)
    assert out[0] == fact and out[1:3] == [cite[-1], cite[1]]
    assert engine.answers.with_passages([fact])[1:] == cite  # without meanings: file order


def test_with_no_candidate_left_the_suggestions_are_the_closest_in_meaning(engine):
    q = "how long would the 2019 gas pipeline through mongolia be"  # no unit has the number 2019
    v = engine.judge(q)
    assert not v.reading.candidates  # the hard constraints left nothing to answer with
    a = engine.answer_from(q, v)
    assert a.status is Status.ABSTAINED
    assert {"pos2-length", "pos2-route-mongolia"} & set(a.candidates)
    assert list(a.candidates) != engine.starter_ids()[:3]


def test_what_a_which_question_asks_for_is_evidence_not_a_wall(engine):
    # "which cities": no unit names cities, which the learned decision weighs (it used to be a hard constraint)
    a = engine.read_question("which cities does the power of siberia 2 pipeline pass through")
    route = next(u for u in engine.index.units if u.id == "pos2-route-mongolia")
    assert engine.index.heads_missing(a, route) == 1
    assert engine.ask("which cities does the power of siberia 2 pipeline pass through").status is not Status.ANSWERED
    a = engine.read_question("which country does the power of siberia 2 pipeline pass through")
    assert engine.index.heads_missing(a, route) == 0


def test_how_loaded_questions_talk_is_not_what_they_ask(engine):
    # "admit it", "right?", "prove me wrong": words the brief never uses, which only say how the question is asked
    a = engine.read_question("admit it, obviously the pipeline was signed. right? prove me wrong")
    assert {"admit", "obvious", "right", "prove", "wrong"}.isdisjoint(a.tokens)
    assert "pipelin" in a.tokens or "pipeline" in a.tokens


def test_a_question_may_open_with_a_discourse_word():
    from bot.core.text import asked_as_question

    assert asked_as_question("so is the gas deal done or not")
    assert asked_as_question("ok but who wrote it")
    assert not asked_as_question("and what about gas")  # a topic to browse
    assert not asked_as_question("gas")


def _torn(engine, question, share):
    """The verdict on ``question`` with its probabilities rewritten: the best candidate as it was, and one that
    cites other paragraphs (a Q&A entry) at ``share`` of the best's probability; the rest far below."""
    from dataclasses import replace

    v = engine.judge(question)
    assert v.outcome == "answered"
    cands = v.reading.candidates
    best = v.order[0]
    other = next(i for i, c in enumerate(cands) if i != best and c.kind == "qa" and not c.paragraphs & cands[best].paragraphs)
    probs = [0.001] * len(cands)
    probs[best], probs[other] = 0.8, 0.8 * share
    order = (best, other) + tuple(i for i in range(len(cands)) if i not in (best, other))
    return replace(v, probabilities=tuple(probs), order=order), cands[best], cands[other]


@pytest.mark.parametrize("question", ["pos2 pipeline length in km?", "who is the author of this paper"])
def test_an_answer_offers_the_other_reading_first_when_the_model_was_torn(engine, question):
    v, best, other = _torn(engine, question, 0.9)
    a = engine.answer_from(question, v)
    assert a.status is Status.ANSWERED and a.match.id == best.id  # still the best one's answer
    assert a.candidates[0] == other.id and len(a.candidates) <= 3 and len(set(a.candidates)) == len(a.candidates)
    assert a.related[0] == engine.knowledge.entry(other.id).title and len(a.related) == len(a.candidates)
    # not torn: only the curated related questions
    v, best, other = _torn(engine, question, 0.1)
    a = engine.answer_from(question, v)
    assert other.id not in a.candidates[:1] or other.id in engine.knowledge.entry(best.id).related
    assert a.candidates == tuple(r for r in engine.knowledge.entry(best.id).related if engine.knowledge.entry(r))[:3]


def test_a_phrasing_word_for_word_offers_no_other_reading(engine):
    from dataclasses import replace

    question = "How long is the Power of Siberia 2 pipeline?"  # a phrasing of pos2-length
    v = engine.judge(question)
    probs = [0.9] * len(v.reading.candidates)  # every candidate as likely as the best
    a = engine.answer_from(question, replace(v, probabilities=tuple(probs)))
    assert a.match.id == "pos2-length"
    assert a.candidates == tuple(r for r in engine.knowledge.entry("pos2-length").related if engine.knowledge.entry(r))[:3]


def test_another_wording_of_the_same_passage_is_no_rival(engine):
    from dataclasses import replace

    from bot.core.decide import rivals

    v = engine.judge("how long is the power of siberia 2 pipeline")
    cands = v.reading.candidates
    best = v.order[0]
    same = [i for i, c in enumerate(cands) if i != best and c.paragraphs & cands[best].paragraphs]
    assert same  # pos2.3 answers several questions: its length, its capacity, its route ...
    probs = [0.001] * len(cands)
    probs[best] = 0.8
    for i in same:
        probs[i] = 0.79
    v = replace(v, probabilities=tuple(probs))
    assert rivals(v) == []
