"""The curator's loop: the report, /report and /reload, safe hot reload and --watch."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time

import discord

from bot.cli import main
from bot.core.engine import Engine
from bot.core.loader import load_knowledge
from bot.core.models import Answer, Status
from bot.core.report import build_report, report_csv
from bot.core.store import FeedbackRow, QuestionLog, QuestionRow
from conftest import ROOT
from discord_harness import Harness

DAY = 86400.0
T0 = 1_790_000_000.0  # a fixed moment, so "per day" is stable


def q(text, status, ts=T0, qid=None, match=None, reading=None):
    return QuestionRow(qid or hash((text, ts)) & 0xFFFFFFFF, ts, "slash", 1, 2, "h", text, status,
                       "qa" if match else None, match, 0.5, "v", 1.0, reading)


def vote(item, helpful, ts=T0):
    return FeedbackRow(ts, None, "qa", item, helpful, "h", 1, 2)


def test_report_groups_similar_unanswered_questions_and_advises(engine):
    rows = [q("how long is the TurkStream pipeline", "abstained"),
            q("How long is the turkstream pipeline?", "abstained", T0 + 10),
            q("how long is turkstream pipeline", "abstained", T0 + DAY),
            q("russia", "clarify", T0 + DAY),
            q("How long is the Power of Siberia 2 pipeline?", "answered", T0 + DAY, match="pos2-length",
              reading="lexical"),
            q("how do i reach the author", "answered", T0 + DAY, match="about-contact", reading="semantic"),
            q("How do I reach the author?", "answered", T0 + DAY + 5, match="about-contact", reading="semantic")]
    votes = [vote("pos2-length", False), vote("pos2-length", False), vote("pos2-length", True),
             vote("about-author", False)]
    r = build_report(rows, votes, engine)
    assert r.total == 7 and r.by_status == {"answered": 3, "clarify": 1, "abstained": 3}
    # the answers found by meaning, grouped, for the curator to confirm (a phrasing) or refute (a near miss)
    assert r.by_meaning == [("how do i reach the author", "about-contact", 2)]
    top = r.groups[0]
    assert top.count == 3 and top.statuses["abstained"] == 3
    assert "turkstream" in top.advice  # a word the knowledge base does not know
    assert top.closest_id is not None
    broad = next(g for g in r.groups if g.example == "russia")
    assert broad.action != "phrasing" and "topic" in broad.advice  # one word: never a phrasing
    assert r.disliked[0] == ("qa", "pos2-length", 2, 1)
    assert [d for d, _ in r.per_day] == [time.strftime("%Y-%m-%d", time.gmtime(T0)),
                                         time.strftime("%Y-%m-%d", time.gmtime(T0 + DAY))]
    data = r.to_dict()
    json.dumps(data)
    assert data["unanswered_groups"][0]["count"] == 3
    assert data["answered_by_meaning"] == [{"question": "how do i reach the author", "entry": "about-contact",
                                            "count": 2}]
    table = list(csv.reader(io.StringIO(report_csv(r))))
    assert table[0][:3] == ["section", "key", "count"]
    assert {row[0] for row in table[1:]} == {"unanswered", "not_helpful", "per_day", "answered_by_meaning"}


def test_report_command_reads_the_log(tmp_path, monkeypatch, engine):
    data = tmp_path / "data"
    monkeypatch.setenv("BRIEFBOT_DATA", str(data))
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    assert main(["report"], out=out, err=err) == 1 and "No question log yet" in err.getvalue()
    assert main(["ask", "--log", "-"], stdin=io.StringIO("what time is it in moscow\nwho wrote the brief\n"),
                out=io.StringIO(), err=io.StringIO()) == 0
    out = io.StringIO()
    assert main(["report", "--json"], out=out, err=io.StringIO()) == 0
    rep = json.loads(out.getvalue())
    assert rep["questions"] == 2 and rep["by_status"]["abstained"] == 1
    assert rep["unanswered_groups"][0]["example"] == "what time is it in moscow"
    out = io.StringIO()
    assert main(["report"], out=out, err=io.StringIO()) == 0
    assert "Most-asked questions the bot could not answer" in out.getvalue()


# --------------------------------------------------------------------------------------------- hot reload

async def test_reload_swaps_atomically_and_refuses_broken_knowledge(kb_copy, caplog):
    engine = Engine(load_knowledge(kb_copy))
    async with Harness(engine) as h:
        h.bot.knowledge_dir = kb_copy
        old = h.bot.engine
        f = kb_copy / "qa" / "about.yaml"
        f.write_text(f.read_text().replace("The brief was written by Seho Jang.",
                                           "The brief's author is Seho Jang."))
        ok, message = await h.bot.reload_knowledge()
        assert ok and "Reloaded" in message
        assert h.bot.engine is not old and h.bot.engine.knowledge.version != old.knowledge.version
        assert h.bot.engine.ask("who wrote the brief").text == "The brief's author is Seho Jang."
        # an answer in flight keeps the engine it started with
        assert old.ask("who wrote the brief").text == "The brief was written by Seho Jang."

        current = h.bot.engine
        f.write_text(f.read_text().replace('quote: "Seho Jang"', 'quote: "Seho Jang, PhD"'))
        ok, message = await h.bot.reload_knowledge()
        assert not ok
        assert "qa/about.yaml:" in message and "[about-author]" in message and "not verbatim" in message
        assert h.bot.engine is current  # still serving the last good knowledge
        assert any("reload refused" in r.getMessage() for r in caplog.records)


async def test_watch_reloads_when_a_file_changes(kb_copy, monkeypatch):
    from bot.discord_app import client as client_mod

    monkeypatch.setattr(client_mod, "WATCH_INTERVAL", 0.05)
    engine = Engine(load_knowledge(kb_copy))
    bot = client_mod.BriefBot(engine, sync_on_start=False, knowledge_dir=kb_copy, watch=True)
    async with bot:
        await bot.setup_hook()
        await asyncio.sleep(0.15)
        f = kb_copy / "qa" / "about.yaml"
        f.write_text(f.read_text().replace("The brief was written by Seho Jang.", "Seho Jang wrote the brief."))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if bot.engine is not engine:
                break
        assert bot.engine.ask("who wrote the brief").text == "Seho Jang wrote the brief."


# --------------------------------------------------------------------------------------------- /reload, /report

def with_permissions(payload, perms: discord.Permissions):
    payload["member"]["permissions"] = str(perms.value)
    return payload


async def test_reload_and_report_commands_for_curators_only(kb_copy, tmp_path):
    engine = Engine(load_knowledge(kb_copy))
    qlog = QuestionLog(tmp_path / "q.sqlite3", b"k")
    async with Harness(engine) as h:
        h.bot.knowledge_dir = kb_copy
        h.bot.question_log = qlog
        h.bot.owner_id = 1  # not the test user
        denied = await h.interact(h.slash("curator reload"))
        assert "can't use that command" in denied[0].data["content"]
        before = len(h.recorder.calls)  # a reload builds a new engine: on a busy machine that takes a few seconds
        h.bot._connection.parse_interaction_create(with_permissions(h.slash("curator reload"),
                                                                    discord.Permissions(manage_guild=True)))
        calls = (await h.recorder.wait(before + 2, timeout=30))[before:]
        assert calls[0].json["type"] == 5  # deferred, thinking
        assert "Reloaded" in calls[1].json["content"] and calls[1].json["flags"] & 64
        # a question goes into the log, then shows up in /report
        await h.interact(h.slash("ask", question="what time is it in moscow"))
        calls = await h.interact(with_permissions(h.slash("curator report"), discord.Permissions(manage_guild=True)), 2)
        embed = calls[1].json["embeds"][0]
        assert "what time is it in moscow" in embed["description"]
        assert len(embed["description"]) <= 4096
    qlog.close()


def test_answer_is_logged_with_source_and_timing(engine, tmp_path):
    from bot.core.store import open_database, read_rows
    from bot.discord_app.client import BriefBot

    qlog = QuestionLog(tmp_path / "q.sqlite3", b"k")
    bot = BriefBot(engine, sync_on_start=False, question_log=qlog)
    answer, qid, used = bot.ask("who wrote the brief", source="mention", user_id=9, guild_id=3, channel_id=4)
    assert isinstance(answer, Answer) and used is engine
    qlog.close()
    conn = open_database(tmp_path / "q.sqlite3")
    (row,), _ = read_rows(conn)
    conn.close()
    assert (row.id, row.source, row.guild_id, row.channel_id, row.status) == (qid, "mention", 3, 4, "answered")
    assert row.kb_version == engine.knowledge.version and row.elapsed_ms >= 0




def test_curate_from_set_proposes_phrasings_and_near_misses(engine):
    import importlib.util

    spec = importlib.util.spec_from_file_location("curate", ROOT / "scripts" / "curate_from_set.py")
    curate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(curate)
    from bot.core.evaluation import Item

    missed = "flurble zorp the wibbly mailbox"  # ("... writer's electronic mailbox" is read as the author's email)
    assert engine.ask(missed).status is not Status.ANSWERED
    items = [Item(missed, True, ("front.4",), ("sohill",)),
             Item("How long is the Power of Siberia 2 pipeline?", False),  # answered: labeled out of scope here
             Item("who wrote the brief", True, ("front.4",), ("Jang",))]  # answered right: nothing to propose
    # an out-of-scope question answered with a fact is proposed under "fact:<id>"
    by_fact = next((f, a) for f in engine.knowledge.facts
                   if (a := engine.ask(f.text)).status is Status.ANSWERED and a.match.kind == "fact")
    items.append(Item(by_fact[0].text, False))
    result = curate.propose(engine, items)
    assert result["phrasings"] == {"about-contact": [missed]}
    assert result["near_misses"] == {"pos2-length": ["How long is the Power of Siberia 2 pipeline?"],
                                     f"fact:{by_fact[1].match.id}": [by_fact[0].text]}
