"""Faults and bad input: any text, Discord-side failures, a burst of 500 interactions, SIGINT/SIGTERM."""

from __future__ import annotations

import json
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import limits
from bot.core.models import Status
from bot.core.render import answer_to_dict, answer_to_json, answer_to_text
from bot.core.store import QuestionLog, open_database
from bot.discord_app.render import answer_reply
from discord_harness import BOT_ID, Harness

ROOT = Path(__file__).resolve().parent.parent
EPHEMERAL = 64

any_text = st.text(max_size=10_000) | st.text(alphabet=st.characters(codec="utf-8"), max_size=2_000) | \
    st.lists(st.sampled_from(["pos2", "Putin", "<@1>", "@everyone", "**", "2,600", "U.S.", "\u200b", "\x00",
                              "\U0001f600", "treaty", "?", "why", "how many", "\u0421\u0438\u0431\u0438\u0440\u044c",
                              "a" * 300]), max_size=400).map(" ".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_engine_answers_any_text_validly(engine, text):
    # what one message may cost is proved by counts against the caps (tests/test_caps.py); timings are in `bench`
    a = engine.ask(text)
    assert a.status in (Status.ANSWERED, Status.CLARIFY, Status.ABSTAINED)
    assert 0.0 <= a.confidence <= 1.0
    assert len(a.suggestions) <= 3
    if a.status is Status.ANSWERED:
        assert a.text and a.citations
    else:
        assert a.text == "" and a.citations == ()
    # every rendering stays inside Discord's limits
    obj = json.loads(answer_to_json(a))
    assert obj == answer_to_dict(a)
    assert len(answer_to_text(a, engine.knowledge.brief.meta)) <= limits.MESSAGE
    reply = answer_reply(a, engine.knowledge)
    if reply.content is not None:
        assert len(reply.content) <= limits.MESSAGE
    if reply.embed is not None:
        assert len(reply.embed) <= limits.EMBED_TOTAL
        assert len(reply.embed.title or "") <= limits.EMBED_TITLE
        assert len(reply.embed.description or "") <= limits.EMBED_DESCRIPTION
        assert all(len(f.value) <= limits.EMBED_FIELD_VALUE for f in reply.embed.fields)
    for item in (reply.view.children if reply.view else []):
        assert len(item.label or "") <= limits.BUTTON_LABEL
        assert len(item.custom_id) <= limits.CUSTOM_ID


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_autocomplete_any_prefix(engine, prefix):
    out = engine.complete(prefix, 25)
    assert len(out) <= 25 and all(engine.knowledge.entry(i) for i, _ in out)


# --------------------------------------------------------------------------------------------- Discord failures

class _Resp:
    def __init__(self, status, reason):
        self.status = status
        self.reason = reason


async def test_expired_interaction_is_logged_not_crashed(engine, caplog):
    async with Harness(engine) as h:
        h.recorder.fail_with = discord.NotFound(_Resp(404, "Not Found"),
                                                {"code": 10062, "message": "Unknown interaction"})
        calls = await h.interact(h.slash("ask", question="who wrote the brief"))
        await h.recorder.wait(len(h.recorder.calls))
        assert len(calls) == 1  # no second attempt on a dead token
        assert any("expired" in r.getMessage() for r in caplog.records)
        # and the bot still answers the next one
        ok = await h.interact(h.slash("ask", question="who wrote the brief"))
        assert "Seho Jang" in ok[0].data["embeds"][0]["description"]


async def test_rate_limited_send_is_logged(engine, caplog):
    async with Harness(engine) as h:
        h.recorder.fail_with = discord.HTTPException(_Resp(429, "Too Many Requests"),
                                                     {"code": 0, "message": "You are being rate limited."})
        await h.send(h.message(f"<@{BOT_ID}> who wrote the brief", mentions=[BOT_ID]))
        assert any("could not reply" in r.getMessage() for r in caplog.records)
        h.recorder.fail_with = discord.HTTPException(_Resp(429, "Too Many Requests"),
                                                     {"code": 0, "message": "You are being rate limited."})
        calls = await h.interact(h.slash("ask", question="who wrote the brief"), 2)
        assert "Something went wrong" in calls[1].data["content"] and calls[1].data["flags"] & EPHEMERAL


# --------------------------------------------------------------------------------------------- load

async def test_500_interactions_at_once_all_answered_and_logged(engine, tmp_path, capsys):
    questions = ["how long is pos2", "who wrote the brief", "what time is it in moscow", "russia",
                 "why didn't china sign power of siberia 2", "who is peng pai", "treaty article 25"]
    qlog = QuestionLog(tmp_path / "q.sqlite3", b"k")
    async with Harness(engine) as h:
        h.bot.question_log = qlog
        payloads = [h.slash("ask", question=questions[i % len(questions)]) for i in range(500)]
        for i, p in enumerate(payloads):
            p["member"]["user"]["id"] = str(10_000 + i)  # 500 different people: no cooldown in the way
        started = {}
        for p in payloads:
            started[p["id"]] = time.perf_counter()
            h.bot._connection.parse_interaction_create(p)
        # every interaction's callback: a deferred one's follow-up can be recorded before a later callback
        await h.recorder.wait(500, timeout=60, path="/callback")
        done = time.perf_counter()
        callbacks = [c for c in h.recorder.calls if c.path.endswith("/callback")]
        assert len(callbacks) == 500
        # answered at once (4), or deferred (5) when the engine threads are busy, then answered as a follow-up
        deferred = sum(c.json["type"] == 5 for c in callbacks)
        assert all(c.json["type"] in (4, 5) for c in callbacks)
        await h.recorder.wait(500 + deferred, timeout=60)
        assert len([c for c in h.recorder.calls if c.method == "POST" and "/webhooks/" in c.path]) == deferred
        answered_ids = {c.path.split("/")[2] for c in callbacks}
        assert answered_ids == {p["id"] for p in payloads}
        latencies = [(c.at - started[c.path.split("/")[2]]) * 1000 for c in callbacks]
    qlog.close()
    conn = open_database(tmp_path / "q.sqlite3")
    assert conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == 500
    assert conn.execute("SELECT COUNT(DISTINCT user_hash) FROM questions").fetchone()[0] == 500
    conn.close()
    assert qlog.dropped == 0
    lat = sorted(latencies)
    with capsys.disabled():
        total = (done - min(started.values())) * 1000
        print(f"\n500 interactions dispatched at once: all answered in {total:.0f} ms "
              f"({total / 500:.2f} ms of event-loop time each); time from dispatch to response "
              f"p50 {statistics.median(lat):.1f} ms, p99 {lat[int(len(lat) * 0.99) - 1]:.1f} ms (queueing included)")


# --------------------------------------------------------------------------------------------- signals

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_close_discord_and_the_database_cleanly(tmp_path, sig):
    db = tmp_path / "q.sqlite3"
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "sigterm_child.py"), str(db)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "ready", proc.stderr.read()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "closed cleanly" in out
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == 50
    conn.close()
