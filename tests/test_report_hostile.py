"""The curator's report under hostile input (issue 13, items 6-8 and 11; issue 12, item 8; issue 10, item 7):
people's text cannot close the code block or render a link in /report, cannot drive the curator's terminal, cannot
run in a spreadsheet; grouping is near-linear; /report looks at the last 30 days; votes for unknown entries do not
count; and the advice is safe."""

from __future__ import annotations

import csv
import io
import time
import unicodedata
from pathlib import Path

import discord
import pytest

from bot.core import report as report_mod
from bot.core.evaluation import judge, load_items
from bot.core.report import (
    BLOCK_SIZE,
    BLOCK_WORDS,
    Group,
    advise,
    build_report,
    report_csv,
    report_discord,
    report_text,
)
from bot.core.store import FeedbackRow, QuestionLog, QuestionRow, new_question_id
from discord_harness import Harness

DATA = Path(__file__).resolve().parent / "data"
T0 = time.time()
PHISH = "```\n[Verify your account](https://evil.example) @everyone <@&1> **bold**\n```"
TERMINAL = "\x1b]0;pwned\x07\x1b[2J\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\\x1b[8mhidden\u202egnp.exe\x9b"


def q(text, status="abstained", ts=T0, match=None):
    return QuestionRow(new_question_id(), ts, "slash", 1, 2, "h", text, status, "qa" if match else None, match,
                       0.5, "v", 1.0, None)


def test_discord_report_keeps_people_s_text_inside_one_code_block(engine):
    r = build_report([q(PHISH), q(PHISH), q("`` ` ``` ````")], [], engine, limit=5)
    for limit in (4096, 300):
        text = report_discord(r, limit)
        assert len(text) <= limit
        assert text.startswith("```\n") and text.endswith("\n```")
        assert text.count("`") == 6  # the two fences: nothing in between can close the block
        assert "Verify your account" in text  # shown, as plain text


async def slow_interact(h, payload, expect):
    """An interaction whose answer takes seconds (a report with its advice): wait up to 60 s for it."""
    before = len(h.recorder.calls)
    h.bot._connection.parse_interaction_create(payload)
    return (await h.recorder.wait(before + expect, timeout=60))[before:]


async def test_report_command_shows_an_attack_inert_and_only_the_last_30_days(tmp_path, engine):
    now = [time.time()]
    qlog = QuestionLog(tmp_path / "q.sqlite3", b"k" * 32, clock=lambda: now[0])
    async with Harness(engine) as h:
        h.bot.question_log = qlog
        now[0] = time.time() - 40 * 86400
        h.bot.ask("an old question about the weather on mars", source="slash", user_id=5, guild_id=1,
                  channel_id=2)
        now[0] = time.time()
        await h.interact(h.slash("ask", question=PHISH.replace("\n", " ")))
        curator = discord.Permissions(manage_guild=True)
        payload = h.slash("curator report")
        payload["member"]["permissions"] = str(curator.value)
        calls = await slow_interact(h, payload, 2)
        embed = calls[1].json["embeds"][0]
        description = embed["description"]
        assert "Verify your account" in description and description.count("`") == 6
        assert "weather on mars" not in description and "30 day" in embed["title"]
        payload = h.slash("curator report", days=60)
        payload["member"]["permissions"] = str(curator.value)
        calls = await slow_interact(h, payload, 2)
        assert "weather on mars" in calls[1].json["embeds"][0]["description"]
    qlog.close()


def test_text_report_writes_no_control_character_to_the_terminal(engine):
    votes = [FeedbackRow(T0, None, "qa", "about-author", False, "h", 1, 2)]
    r = build_report([q(TERMINAL), q("hello\nworld\r\x00", "clarify")], votes, engine)
    text = report_text(r)
    assert "click" in text and "hidden" in text
    bad = [ch for ch in text if ch != "\n" and (unicodedata.category(ch) == "Cc" or ch == "\u202e")]
    assert bad == []


@pytest.mark.parametrize("payload", ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)",
                                     "\t=1", "\r=1"])
def test_csv_cells_never_start_a_formula(engine, payload):
    r = build_report([q(payload + " pipeline"), q(payload + " pipeline")], [], engine)
    rows = list(csv.reader(io.StringIO(report_csv(r))))
    cells = [c for row in rows for c in row]
    assert any(payload.strip()[:3] in c for c in cells)
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), rows


def test_votes_for_entries_that_do_not_exist_do_not_count(engine):
    votes = [FeedbackRow(T0, None, "qa", "about-author", False, "a", 1, 2),
             FeedbackRow(T0, None, "qa", "no-such-entry", False, "b", 1, 2),
             FeedbackRow(T0, None, "fact", "no-such-fact", False, "c", 1, 2),
             FeedbackRow(T0, None, "evil", "about-author", False, "d", 1, 2)]
    r = build_report([], votes, engine)
    assert r.votes == 1 and r.disliked == [("qa", "about-author", 1, 0)]


def test_grouping_is_near_linear(engine, monkeypatch):
    compared = []
    real = report_mod.process.extractOne

    def counting(query, choices, **kwargs):
        compared.append(len(choices))
        assert kwargs["processor"] is None and kwargs["score_cutoff"] == report_mod.GROUP_CUTOFF
        return real(query, choices, **kwargs)

    monkeypatch.setattr(report_mod.process, "extractOne", counting)
    n = 6000
    # distinct questions sharing common words, the worst case for comparing each with all
    rows = [q(f"what about pipeline {i} and gas {i * 7} in mongolia") for i in range(n)]
    rows += [q("how long is turkstream"), q("How long is TurkStream?"), q("how long is the turkstream")]
    groups = report_mod._group(rows)
    assert sum(compared) <= (n + 3) * BLOCK_WORDS * BLOCK_SIZE  # not n * n / 2 = 18,000,000
    assert sum(compared) < 2 * n * BLOCK_WORDS * 8
    turk = [g for g in groups if "turkstream" in g.example.lower()]
    assert len(turk) == 1 and turk[0].count == 3  # similar questions still group


# ------------------------------------------------------------------------------------------ safe advice

def advice_for(engine, questions: list[str], status: str = "abstained") -> list[Group]:
    groups = []
    for text in questions:
        g = Group(example=text, count=1)
        g.statuses[status] += 1
        groups.append(g)
    advise(groups, engine)
    return groups


def test_the_reported_harmful_advice_is_gone(engine):
    summit, tokyo, bot = advice_for(engine, ["when was the summit", "how did tokyo react", "good bot"])
    assert summit.action != "phrasing" and tokyo.action != "phrasing"
    assert bot.action == "nothing" and "chit-chat" in bot.advice
    assert all(g.certainty in ("sure", "likely", "unsure") and f"[{g.certainty}]" in g.advice
               for g in (summit, tokyo, bot))


UNLEARNED = "What year was this INSS brief published?"  # an in-scope question the advice proposes as a phrasing
UNLEARNED_ENTRY = "about-series"


@pytest.fixture(scope="module")
def engine_without(knowledge, encoder):
    """A bot that answers only what it was taught word for word (a decision whose bars nothing else reaches), on
    the shipped knowledge without UNLEARNED as a phrasing: it misses UNLEARNED, and adding it as a phrasing of
    its entry is advice a fresh engine with the same decision confirms."""
    from dataclasses import replace

    from bot.core.decide import load_model
    from bot.core.engine import Engine

    entries = tuple(replace(e, questions=tuple(q for q in e.questions if q.lower() != UNLEARNED.lower()))
                    for e in knowledge.entries)
    strict = replace(load_model(), answer_at=1.01, clarify_at=1.01)
    engine = Engine(replace(knowledge, entries=entries), encoder=encoder, model=strict)
    assert not engine.ask(UNLEARNED).answered
    return engine


def labeled_misses(engine, path: Path):
    return [it for it in load_items(path) if not engine.ask(it.q).answered]


def test_advice_on_labeled_questions_never_adds_a_phrasing_out_of_scope_and_only_to_a_right_entry(engine_without):
    """Labeled questions the bot misses: out of scope, the advice never adds a phrasing; in scope, a phrasing it
    adds goes to an entry whose answer the labels accept."""
    engine = engine_without
    items = labeled_misses(engine, DATA / "questions.yaml")
    # an in-scope question from another set on which the advice does propose a phrasing
    items += [it for it in load_items(DATA / "dev_korea.yaml") if it.q == UNLEARNED]
    groups = advice_for(engine, [it.q for it in items])
    phrasings = 0
    for it, g in zip(items, groups):
        if g.action != "phrasing":
            continue
        assert it.in_scope, f"out of scope, yet advised as a phrasing of {g.target}: {it.q!r}"
        right = [e.id for e in engine.knowledge.entries if judge(it, engine.answer_entry(e.id, it.q))[0]]
        assert g.target in right, (it.q, g.target, right)
        phrasings += 1
    assert phrasings >= 1
    assert sum(not it.in_scope for it in items) >= 30  # the out-of-scope side was really exercised


def test_a_phrasing_is_only_advised_after_the_engine_confirms_it(engine_without, monkeypatch):
    """If the engine with the phrasing added would not answer the question with that entry, no phrasing."""
    engine, question = engine_without, UNLEARNED
    (g,) = advice_for(engine, [question])
    assert g.action == "phrasing" and g.target == UNLEARNED_ENTRY
    real_engine = report_mod.Engine

    class Refusing(real_engine):
        def ask(self, question):
            a = super().ask(question)
            return a if "INSS" not in question else type(a)(question, a.status.__class__("abstained"), "", (),
                                                                (), a.match, 0.0)

    monkeypatch.setattr(report_mod, "Engine", Refusing)
    (g,) = advice_for(engine, [question])
    assert g.action != "phrasing" and "would not be safe" in g.advice
