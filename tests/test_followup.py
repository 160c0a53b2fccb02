"""Pronoun and ordinal follow-ups (bot/core/followup.py), in `chat` and in Discord replies."""

from __future__ import annotations

import pytest

from bot.core.followup import Subject, answer_follow_up, resolve, subject_of
from bot.core.models import Status

# (previous question, follow-up, the entry that must answer it)
FOLLOW_UPS = [
    ("Who is Peng Pai?", "how old is he now", "proceedings-peng-pai-now"),
    ("What were the two documents?", "whats the second one about", None),  # any entry about the Declaration
    ("What were the two documents?", "and the first one?", None),  # any entry about the Statement
    ("How much gas could Power of Siberia 2 deliver?", "what route would it take", "pos2-route-mongolia"),
    ("Who is Peng Pai?", "when did putin first meet him", "proceedings-peng-pai-first-met"),
]


def test_subjects_come_from_the_knowledge(knowledge):
    peng = subject_of(knowledge, "proceedings-peng-pai")
    assert peng.person == "Peng Pai"
    assert subject_of(knowledge, "about-author").person == "Seho Jang"
    pos2 = subject_of(knowledge, "pos2-length")
    assert "siberia" in pos2.name.lower() or pos2.name.lower() == "pos2"
    assert not pos2.person or pos2.person != pos2.name
    docs = subject_of(knowledge, "docs-two-documents")
    assert len(docs.items) == 2
    assert "Joint Statement" in docs.items[0] and "Joint Declaration" in docs.items[1]
    assert all("hereinafter" not in i for i in docs.items)
    assert subject_of(knowledge, "no-such-entry") is None


def test_resolve_replaces_one_pronoun_or_ordinal():
    s = Subject(name="Power of Siberia 2", person="Peng Pai", items=("the Joint Statement", "the Joint Declaration"))
    assert resolve("how old is he now", s) == "how old is Peng Pai now"
    assert resolve("what is his job?", s) == "what is Peng Pai's job?"
    assert resolve("how long is it", s) == "how long is Power of Siberia 2"  # "it": the name, not the person
    assert resolve("how long is it", Subject(name="Peng Pai", person="Peng Pai")) is None  # a person is no "it"
    thing = Subject(name="Power of Siberia 2", person="", items=())
    assert resolve("how long is it", thing) == "how long is Power of Siberia 2"
    assert resolve("and its capacity?", thing) == "and Power of Siberia 2's capacity?"
    assert resolve("how old is he", thing) is None  # no person to stand for "he"
    assert resolve("whats the second one about", s) == "whats the Joint Declaration about"
    assert resolve("and the latter?", s) == "and the Joint Declaration?"
    assert resolve("the third one?", s) is None  # there are two
    assert resolve("who wrote the brief", s) is None
    assert resolve("when did putin first meet", s) is None and resolve("when was the first summit", s) is None
    assert resolve("what about the first one", s) == "what about the Joint Statement"
    assert resolve("second one pls", s) == "the Joint Declaration pls"


@pytest.mark.parametrize("before, follow, entry", FOLLOW_UPS)
def test_follow_ups_are_answered_with_the_previous_answer(engine, before, follow, entry):
    previous = engine.ask(before)
    assert previous.answered
    a = answer_follow_up(engine, follow, previous.match.id)
    assert a.status is Status.ANSWERED, a
    assert a.question == follow  # shown and logged as typed
    assert a.match.id != previous.match.id
    if entry:
        assert a.match.id == entry
    if "second one" in follow:
        assert "Declaration" in a.text
    if "first one" in follow:
        assert "Statement" in a.text


def test_peng_pai_age_follow_up_never_suggests_a_question_it_would_refuse(engine):
    previous = engine.ask("who is peng pai")
    a = answer_follow_up(engine, "how old is he now", previous.match.id)
    if a.answered:
        assert "thirty-six" in a.text or "36" in a.text
    for s in a.suggestions:
        assert engine.ask(s).answered, s


@pytest.mark.parametrize("before, follow", [
    ("Who is Peng Pai?", "is he on twitter"),
    ("Who wrote the brief?", "what is his salary"),
    ("How long is the Power of Siberia 2 pipeline?", "who paid for it"),
    ("What were the two documents?", "what about the fifth one"),
])
def test_refused_follow_ups_suggest_only_what_the_bot_answers(engine, before, follow):
    previous = engine.ask(before)
    a = answer_follow_up(engine, follow, previous.match.id)
    if not a.answered:
        assert all(engine.ask(s).answered for s in a.suggestions)
        assert len(a.candidates) in (0, len(a.suggestions))


def test_without_a_previous_answer_it_is_the_engine_alone(engine):
    for q in ("how old is he now", "who wrote the brief", "the second one"):
        assert answer_follow_up(engine, q, None) == engine.ask(q)


def test_a_full_question_is_not_rewritten(engine):
    previous = engine.ask("Who is Peng Pai?")
    q = "How long is the Power of Siberia 2 pipeline?"
    assert answer_follow_up(engine, q, previous.match.id).match.id == engine.ask(q).match.id == "pos2-length"


def test_discord_reply_resolves_the_pronoun_against_the_answer_it_replies_to(engine):
    from bot.discord_app.client import BriefBot

    bot = BriefBot(engine, sync_on_start=False)
    answer, _, _ = bot.ask("how old is he now", source="reply", user_id=1, guild_id=None, channel_id=None,
                           follow_up_to="proceedings-peng-pai")
    assert answer.answered and answer.match.id == "proceedings-peng-pai-now"
    assert answer.question == "how old is he now"
    alone, _, _ = bot.ask("how old is he now", source="mention", user_id=1, guild_id=None, channel_id=None)
    assert not alone.answered
