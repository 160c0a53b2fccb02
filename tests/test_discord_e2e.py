"""End to end: gateway payloads in through discord.py's ConnectionState, the JSON the bot would send out."""

from __future__ import annotations

import asyncio
import logging
import re
import threading

import discord
import pytest

from bot.core import limits
from bot.core.ratelimit import Cooldown
from discord_harness import (
    APP_ID,
    BOT_ID,
    GUILD_ID,
    OTHER_BOT_ID,
    ROLE_ID,
    USER_ID,
    WATCHED_CHANNEL_ID,
    Harness,
    buttons,
    custom_ids,
)

EPHEMERAL = 1 << 6


@pytest.fixture
async def h(engine):
    async with Harness(engine) as harness:
        yield harness


def callback(calls):
    (call,) = [c for c in calls if c.path.endswith("/callback")]
    return call


def assert_within_limits(data: dict) -> None:
    assert len(data.get("content") or "") <= limits.MESSAGE
    embeds = data.get("embeds") or []
    total = 0
    for e in embeds:
        assert len(e.get("title", "")) <= limits.EMBED_TITLE
        assert len(e.get("description", "")) <= limits.EMBED_DESCRIPTION
        assert len(e.get("fields", [])) <= limits.EMBED_FIELDS
        for f in e.get("fields", []):
            assert 0 < len(f["name"]) <= limits.EMBED_FIELD_NAME
            assert 0 < len(f["value"]) <= limits.EMBED_FIELD_VALUE
        assert len(e.get("footer", {}).get("text", "")) <= limits.EMBED_FOOTER
        assert len(e.get("author", {}).get("name", "")) <= limits.EMBED_AUTHOR
        total += len(e.get("title", "")) + len(e.get("description", "")) + len(e.get("footer", {}).get("text", ""))
        total += len(e.get("author", {}).get("name", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))
    assert total <= limits.EMBED_TOTAL
    for row in data.get("components") or []:
        assert len(row["components"]) <= 5
        for c in row["components"]:
            assert len(c.get("label", "")) <= limits.BUTTON_LABEL
            assert len(c.get("custom_id", "")) <= limits.CUSTOM_ID
            for o in c.get("options", []):
                assert len(o["label"]) <= limits.SELECT_OPTION_LABEL


async def test_ask_answered_sends_embed_with_citation_buttons_and_no_mentions(h, knowledge):
    calls = await h.interact(h.slash("ask", question="How long is the Power of Siberia 2 pipeline?"))
    call = callback(calls)
    assert call.json["type"] == 4  # CHANNEL_MESSAGE_WITH_SOURCE
    data = call.data
    assert not data.get("flags", 0) & EPHEMERAL
    embed = data["embeds"][0]
    assert "2,600 km" in embed["description"]
    field = embed["fields"][0]
    assert field["name"] == "Power of Siberia 2, \u00b63"
    quote = field["value"].strip("> \u201c\u201d")
    assert quote in knowledge.paragraph("pos2.3").text
    assert "Issue Brief Vol.152 No.14, 2026" in embed["footer"]["text"]
    ids = custom_ids(data["components"])
    assert ids[0] == "bb:passage:qa:pos2-length"
    assert re.fullmatch(r"bb:fb:up:qa:pos2-length:\d+", ids[1]) and re.fullmatch(r"bb:fb:down:qa:pos2-length:\d+", ids[2])
    assert ids[1].rsplit(":", 1)[1] == ids[2].rsplit(":", 1)[1]  # both votes point at the same logged question
    related = [i for i in ids if i.startswith("bb:ask:")]
    assert 1 <= len(related) <= 3
    assert data["allowed_mentions"] == {"parse": []}
    assert_within_limits(data)


async def test_ask_private_is_ephemeral(h):
    calls = await h.interact(h.slash("ask", question="who wrote the brief", private=True))
    data = callback(calls).data
    assert data["flags"] & EPHEMERAL
    assert "Seho Jang" in data["embeds"][0]["description"]


async def test_ask_abstains_plainly_with_suggestion_buttons(h):
    calls = await h.interact(h.slash("ask", question="How long is the TurkStream pipeline?"))
    data = callback(calls).data
    assert "doesn't cover that" in data["content"]
    assert not data.get("embeds")
    suggestions = [b for b in buttons(data["components"]) if b["custom_id"].startswith("bb:ask:")]
    assert 1 <= len(suggestions) <= 5
    assert_within_limits(data)


async def test_ask_clarify_offers_candidates_as_buttons(h, engine):
    question = "russia"
    assert engine.ask(question).status.value == "clarify"
    data = callback(await h.interact(h.slash("ask", question=question))).data
    assert data["embeds"][0]["title"].startswith("Did you mean")
    assert len([b for b in buttons(data["components"]) if b["custom_id"].startswith("bb:ask:")]) >= 2


async def test_autocomplete_returns_at_most_25_short_choices(h):
    calls = await h.interact(h.autocomplete("ask", "question", "pos2 len"))
    call = callback(calls)
    assert call.json["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    choices = call.json["data"]["choices"]
    assert 1 <= len(choices) <= limits.AUTOCOMPLETE_CHOICES
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
    assert "Power of Siberia 2" in choices[0]["name"]
    empty = callback(await h.interact(h.autocomplete("ask", "question", ""))).json["data"]["choices"]
    assert 1 <= len(empty) <= 25


async def test_related_button_answers_ephemerally_for_the_clicker(h):
    first = callback(await h.interact(h.slash("ask", question="How long is the Power of Siberia 2 pipeline?"))).data
    target = next(i for i in custom_ids(first["components"]) if i.startswith("bb:ask:"))
    calls = await h.interact(h.click(target, components=first["components"], user_id=USER_ID + 1))
    data = callback(calls).data
    assert data["flags"] & EPHEMERAL
    assert data["embeds"][0]["fields"]


async def test_show_passage_button_sends_the_whole_paragraph(h, knowledge):
    first = callback(await h.interact(h.slash("ask", question="How long is the Power of Siberia 2 pipeline?"))).data
    data = callback(await h.interact(h.click("bb:passage:qa:pos2-length", components=first["components"]))).data
    assert data["flags"] & EPHEMERAL
    assert data["embeds"][0]["description"] == knowledge.paragraph("pos2.3").text
    assert data["embeds"][0]["title"] == "Power of Siberia 2, \u00b63"
    assert_within_limits(data)


async def test_feedback_button_is_acknowledged_and_recorded(h):
    votes = []
    h.bot.feedback.record_vote = lambda vote, question_id=None: votes.append((vote, question_id))
    first = callback(await h.interact(h.slash("ask", question="How long is the Power of Siberia 2 pipeline?"))).data
    down = next(i for i in custom_ids(first["components"]) if i.startswith("bb:fb:down:"))
    data = callback(await h.interact(h.click(down, components=first["components"]))).data
    assert data["flags"] & EPHEMERAL
    assert "curator" in data["content"]
    ((vote, qid),) = votes
    assert vote.helpful is False and vote.item_id == "pos2-length" and vote.user_id == USER_ID
    assert qid == int(down.rsplit(":", 1)[1])


async def test_click_after_restart_on_a_removed_entry_says_it_expired(h):
    data = callback(await h.interact(h.click("bb:ask:no-such-entry"))).data
    assert "no longer in the knowledge base" in data["content"]
    assert data["flags"] & EPHEMERAL


async def test_topics_select_flow_answers_a_chosen_question(h, knowledge):
    menu = callback(await h.interact(h.slash("topics"))).data
    assert menu["flags"] & EPHEMERAL
    (select,) = [c for row in menu["components"] for c in row["components"] if c["type"] == 3]
    assert select["custom_id"] == "bb:topics"
    assert [o["value"] for o in select["options"]] == [t.id for t in knowledge.topics]
    questions = callback(await h.interact(h.click("bb:topics", values=["pos2"], components=menu["components"]))).data
    (qselect,) = [c for row in questions["components"] for c in row["components"] if c["type"] == 3]
    assert qselect["custom_id"] == "bb:tq:pos2"
    assert 1 <= len(qselect["options"]) <= 25
    entry_id = qselect["options"][0]["value"]
    answer = callback(await h.interact(h.click("bb:tq:pos2", values=[entry_id],
                                               components=questions["components"]))).data
    assert answer["embeds"][0]["description"] == knowledge.entry(entry_id).answer
    assert_within_limits(answer)


async def test_brief_fact_and_help(h, knowledge):
    brief = callback(await h.interact(h.slash("brief"))).data["embeds"][0]
    assert brief["title"] == knowledge.brief.meta.title
    names = {f["name"]: f["value"] for f in brief["fields"]}
    assert "Seho Jang" in names["Author"] and names["Publisher"] == "INSS"
    assert "Vol.152 No.14, 2026" in names["Series"]
    fact = callback(await h.interact(h.slash("fact", topic="pos2"))).data["embeds"][0]
    cited = fact["fields"][0]
    assert any(cited["value"].strip("> \u201c\u201d") in p.text for p in knowledge.brief.paragraphs())
    assert "Power of Siberia 2" in fact["title"] or fact["title"].startswith("Did you know")
    bad = callback(await h.interact(h.slash("fact", topic="weather"))).data
    assert bad["flags"] & EPHEMERAL
    help_ = callback(await h.interact(h.slash("help"))).data
    assert "/ask" in help_["embeds"][0]["description"]
    for d in (brief, fact):
        assert_within_limits({"embeds": [d]})


async def test_mention_is_answered_as_a_reply_without_the_mention(h):
    calls = await h.send(h.message(f"<@{BOT_ID}> how long is pos2?", mentions=[BOT_ID]))
    (call,) = calls
    assert call.path.endswith("/messages") and call.method == "POST"
    assert "message_reference" in call.json
    assert call.json["allowed_mentions"] == {"parse": [], "replied_user": False}
    embed = call.json["embeds"][0]
    assert "<@" not in embed["title"] and "2,600" in embed["description"]


async def test_reply_to_the_bot_and_dm_are_answered(h):
    (reply,) = await h.send(h.message("and how much gas would it carry per year?", reply_to_bot=True,
                                      replied_entry="pos2-length"))
    assert "50" in reply.json["embeds"][0]["description"]
    # a reply to a bot message the bot cannot place: "it" is unclear, so "did you mean", never a guess
    (cold,) = await h.send(h.message("and how much gas would it carry per year?", reply_to_bot=True))
    assert "50" not in str(cold.json) or "not sure which" in str(cold.json).lower()
    (dm,) = await h.send(h.message("who wrote the brief", guild=False))
    assert "Seho Jang" in dm.json["embeds"][0]["description"]


async def test_watched_channel_is_answered_without_mention_other_channels_ignored(h):
    assert await h.send(h.message("who is peng pai"), expect=0) == []
    (call,) = await h.send(h.message("who is peng pai", channel_id=WATCHED_CHANNEL_ID))
    assert "Peng Pai" in call.json["embeds"][0]["description"]


async def test_messages_from_bots_are_ignored(h):
    assert await h.send(h.message(f"<@{BOT_ID}> who is peng pai", author_id=OTHER_BOT_ID, author_bot=True,
                                  mentions=[BOT_ID]), expect=0) == []
    assert await h.send(h.message(f"<@{BOT_ID}> hi", author_id=BOT_ID, author_bot=True, mentions=[BOT_ID]),
                        expect=0) == []


async def test_empty_mention_gets_a_hint(h):
    (call,) = await h.send(h.message(f"<@{BOT_ID}>", mentions=[BOT_ID]))
    assert "/ask" in call.json["content"]


async def test_everyone_and_role_mentions_in_a_question_cannot_ping(h):
    text = f"<@{BOT_ID}> @everyone <@&{ROLE_ID}> <@{USER_ID}> who is peng pai"
    (call,) = await h.send(h.message(text, mentions=[BOT_ID, USER_ID]))
    assert call.json["allowed_mentions"]["parse"] == []
    rendered = str(call.json)
    assert "@everyone" not in rendered and f"<@&{ROLE_ID}>" not in rendered
    slash = callback(await h.interact(h.slash("ask", question="@everyone @here who wrote the brief?"))).data
    assert slash["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in str(slash).replace("@\u200beveryone", "")


async def test_cooldown_answers_friendly_and_ephemeral(engine):
    async with Harness(engine, cooldown=Cooldown(2, 30.0)) as h:
        for _ in range(2):
            assert "embeds" in callback(await h.interact(h.slash("ask", question="who wrote the brief"))).data
        data = callback(await h.interact(h.slash("ask", question="who wrote the brief"))).data
        assert data["flags"] & EPHEMERAL
        assert "Try again in" in data["content"]
        (msg,) = await h.send(h.message(f"<@{BOT_ID}> who wrote the brief", mentions=[BOT_ID]))
        assert "Try again in" in msg.json["content"]


async def test_send_failure_on_a_message_is_logged_not_raised(h, caplog):
    import discord

    class Resp:
        status = 403
        reason = "Forbidden"

    h.recorder.fail_with = discord.Forbidden(Resp(), {"code": 50013, "message": "Missing Permissions"})
    await h.send(h.message(f"<@{BOT_ID}> who wrote the brief", mentions=[BOT_ID]))
    assert any("could not reply" in r.getMessage() for r in caplog.records)
    (ok,) = await h.send(h.message(f"<@{BOT_ID}> who wrote the brief", mentions=[BOT_ID]))
    assert "Seho Jang" in ok.json["embeds"][0]["description"]


async def test_command_error_goes_to_the_one_handler(h, caplog, monkeypatch):
    def boom(question):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(h.bot.engine, "ask", boom)
    data = callback(await h.interact(h.slash("ask", question="anything"))).data
    assert data["flags"] & EPHEMERAL and "Something went wrong" in data["content"]
    assert any("error in /ask" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_buttons_keep_working_and_discord_py_keeps_nothing_per_message(h, engine):
    """Views are layouts only: no timeout that would need a token that expires, no per-message state."""
    store = h.bot._connection._view_store
    for n in range(20):
        await h.send(h.message(f"<@{BOT_ID}> how long is pos2? {n}", mentions=[BOT_ID]))
        callback(await h.interact(h.slash("topics")))
    assert not store._views and not store._synced_message_views and not store.persistent_views
    first = callback(await h.interact(h.slash("ask", question="How long is the Power of Siberia 2 pipeline?"))).data
    async with Harness(engine) as later:  # a restart, long after the answer was sent
        target = next(i for i in custom_ids(first["components"]) if i.startswith("bb:ask:"))
        data = callback(await later.interact(later.click(target, components=first["components"]))).data
        assert data["embeds"][0]["fields"] and data["flags"] & EPHEMERAL


async def test_a_follow_up_reply_is_read_with_the_question_it_replies_to(h):
    assert h.bot.engine.ask("and how long is it").status.value != "answered"  # "it" needs the context
    payload = h.message("and how long is it", reply_to_bot=True)
    payload["referenced_message"]["embeds"] = [{"type": "rich", "title": "How much gas could PoS2 deliver?",
                                                "description": "The brief says ... 50 billion cubic meters."}]
    payload["referenced_message"]["components"] = [{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Show passage", "custom_id": "bb:passage:qa:pos2-capacity"}]}]
    (call,) = await h.send(payload)
    embed = call.json["embeds"][0]
    assert "2,600 km" in embed["description"]
    assert not any(c["custom_id"] == "bb:passage:qa:pos2-capacity" for row in call.json["components"]
                   for c in row["components"])


async def test_a_failing_button_tells_the_clicker_and_logs(h, monkeypatch, caplog):
    def boom(entry_id, question=None):
        raise RuntimeError("knowledge exploded")

    monkeypatch.setattr(h.bot.engine, "answer_entry", boom)
    calls = await h.interact(h.click("bb:ask:pos2-length"))
    data = callback(calls).data
    assert "Something went wrong" in data["content"] and data["flags"] & EPHEMERAL
    assert any("error in component" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_watched_channel_chit_chat_gets_no_reply_but_questions_do(h):
    assert await h.send(h.message("lol same", channel_id=WATCHED_CHANNEL_ID), expect=0) == []
    (call,) = await h.send(h.message("what's the weather like", channel_id=WATCHED_CHANNEL_ID))
    assert "doesn't cover that" in call.json["content"]
    (call,) = await h.send(h.message("peng pai", channel_id=WATCHED_CHANNEL_ID))  # not a question, but answered
    assert "Peng Pai" in call.json["embeds"][0]["description"]


# --------------------------------------------------------------------------------------- the event loop (item 4)

class RecordingEngine:
    """The real engine, with a record of every question it matched and the thread it ran on; questions that
    ``block`` picks wait for ``release`` before they are answered."""

    def __init__(self, engine, block=lambda q: False):
        self._engine = engine
        self.block = block
        self.release = threading.Event()
        self.asked: list[tuple[str, int]] = []

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def _note(self, question: str) -> None:
        self.asked.append((question, threading.get_ident()))
        if self.block(question):
            assert self.release.wait(10), "never released"

    def ask(self, question):
        self._note(question)
        return self._engine.ask(question)

    def follow_up(self, question, previous_id):
        self._note(question)
        return self._engine.follow_up(question, previous_id)

    def complete(self, prefix, limit=25):
        self._note(prefix)
        return self._engine.complete(prefix, limit)


LONG = "how long is the power of siberia 2 pipeline? " + "I need it for my notes. " * 80


async def test_a_burst_of_long_mentions_does_not_hold_up_an_ask(engine):
    fake = RecordingEngine(engine, block=lambda q: q.startswith("how long is the power"))
    async with Harness(fake) as h:
        for n in range(40):
            h.bot._connection.parse_message_create(
                h.message(f"<@{BOT_ID}> {LONG[:1900]}", mentions=[BOT_ID], author_id=USER_ID + n))
        for _ in range(20):
            await asyncio.sleep(0)
        calls = await h.interact(h.slash("ask", question="who wrote the brief"))
        # the /ask got its response (or its defer) while every one of the 40 mentions is still waiting
        assert callback(calls).json["type"] in (4, 5)
        assert not [c for c in h.recorder.calls if c.path.endswith("/messages")]
        assert sum(q.startswith("how long") for q, _ in fake.asked) == 1  # one message at a time in the engine
        fake.release.set()
        await h.recorder.wait(41 + (callback(calls).json["type"] == 5), timeout=30)
        replies = [c for c in h.recorder.calls if c.path.endswith("/messages")]
        assert len(replies) == 40 and all("2,600" in c.json["embeds"][0]["description"] for c in replies)
        assert len(fake.asked) == 41  # the engine ran once per message, and once for the /ask
        assert threading.get_ident() not in {t for _, t in fake.asked}  # and never on the event loop


async def test_ask_defers_when_the_answer_is_not_ready_and_follows_up(engine):
    fake = RecordingEngine(engine, block=lambda q: True)
    async with Harness(fake, defer_after=0.0) as h:
        (deferred,) = await h.interact(h.slash("ask", question="who wrote the brief", private=True))
        assert deferred.json["type"] == 5 and deferred.json["data"]["flags"] & EPHEMERAL  # "thinking", privately
        fake.release.set()
        (follow,) = (await h.recorder.wait(2))[1:]
        assert follow.method == "POST" and "/webhooks/" in follow.path
        assert "Seho Jang" in follow.json["embeds"][0]["description"] and follow.json["flags"] & EPHEMERAL
        assert_within_limits(follow.json)
        assert threading.get_ident() not in {t for _, t in fake.asked}


async def test_autocomplete_runs_off_the_loop(engine):
    fake = RecordingEngine(engine)
    async with Harness(fake) as h:
        callback(await h.interact(h.autocomplete("ask", "question", "peng")))
        assert [q for q, _ in fake.asked] == ["peng"] and fake.asked[0][1] != threading.get_ident()


async def test_watched_channel_runs_the_engine_once_per_message_and_only_after_the_cooldown(engine):
    fake = RecordingEngine(engine)
    async with Harness(fake, cooldown=Cooldown(2, 30.0)) as h:
        assert await h.send(h.message("lol same", channel_id=WATCHED_CHANNEL_ID), expect=0) == []
        assert [q for q, _ in fake.asked] == ["lol same"]
        await h.send(h.message("peng pai", channel_id=WATCHED_CHANNEL_ID))
        assert [q for q, _ in fake.asked] == ["lol same", "peng pai"]
        await h.send(h.message("who is peng pai?", channel_id=WATCHED_CHANNEL_ID))  # over the limit: no engine
        assert len(fake.asked) == 2


# ------------------------------------------------------------------------------------ noise and silence (item 8)

async def test_watched_channel_is_silent_on_posts_without_text_and_on_system_messages(h):
    assert await h.send(h.message("", channel_id=WATCHED_CHANNEL_ID), expect=0) == []  # an image, a sticker
    for system in (6, 7, 8):  # a pin notice, a join, a boost
        assert await h.send(h.message("", channel_id=WATCHED_CHANNEL_ID, type_=system), expect=0) == []
    assert await h.send(h.message(f"<@{BOT_ID}> who is peng pai", mentions=[BOT_ID], type_=6), expect=0) == []


async def test_twenty_quick_questions_in_a_watched_channel_get_five_answers_and_one_reaction(engine):
    async with Harness(engine, cooldown=Cooldown(5, 30.0)) as h:
        for n in range(20):
            h.bot._connection.parse_message_create(h.message(f"who is peng pai? ({n})", channel_id=WATCHED_CHANNEL_ID))
        await h.recorder.wait(6, timeout=30)
        for _ in range(200):
            await asyncio.sleep(0)
        answers = [c for c in h.recorder.calls if c.method == "POST"]
        reactions = [c for c in h.recorder.calls if c.method == "PUT" and "/reactions/" in c.path]
        assert len(answers) == 5 and all("Peng Pai" in c.json["embeds"][0]["description"] for c in answers)
        assert len(reactions) == 1 and reactions[0].path.endswith("/reactions/%E2%8F%B3/@me")
        assert len(h.recorder.calls) == 6


async def test_quick_mentions_get_one_cooldown_notice_per_window(engine):
    async with Harness(engine, cooldown=Cooldown(1, 30.0)) as h:
        await h.send(h.message(f"<@{BOT_ID}> who wrote the brief", mentions=[BOT_ID]))
        (notice,) = await h.send(h.message(f"<@{BOT_ID}> who wrote the brief", mentions=[BOT_ID]))
        assert "Try again in" in notice.json["content"]
        for _ in range(5):
            assert await h.send(h.message(f"<@{BOT_ID}> who wrote the brief", mentions=[BOT_ID]), expect=0) == []


# --------------------------------------------------------------------------------- replies without a ping (item 9)

async def test_a_reply_without_the_ping_is_told_how_to_ask_when_its_text_is_hidden(engine):
    async with Harness(engine, channels=()) as h:  # no message-content intent: Discord sends such replies empty
        assert not h.bot.intents.message_content
        (call,) = await h.send(h.message("", reply_to_bot=True))
        assert "message_reference" in call.json and "mention me" in call.json["content"]
        assert "/ask" in call.json["content"]
    async with Harness(engine) as h:  # with the intent, an empty reply is an image or a sticker: no answer
        assert await h.send(h.message("", reply_to_bot=True), expect=0) == []


# ------------------------------------------------------------------------------- failures everywhere (item 10)

async def test_an_engine_error_on_a_mention_tells_the_user_and_logs_the_traceback(h, monkeypatch, caplog):
    def boom(question):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(h.bot.engine, "ask", boom)
    (call,) = await h.send(h.message(f"<@{BOT_ID}> who wrote the brief", mentions=[BOT_ID]))
    assert "Something went wrong" in call.json["content"] and "message_reference" in call.json
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "error answering message" in record.getMessage() and record.exc_info


@pytest.mark.parametrize("payload", [
    lambda h: h.slash("askk", question="who wrote the brief"),  # a command removed since Discord cached it
    lambda h: h.slash("curator"),  # a command that became a group
])
async def test_stale_commands_say_try_again_and_log_a_warning(h, caplog, payload):
    data = callback(await h.interact(payload(h))).data
    assert data["flags"] & EPHEMERAL and "changed" in data["content"] and "minute" in data["content"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r for r in caplog.records if r.levelno == logging.WARNING and "stale command" in r.getMessage()]


async def test_an_expired_click_is_logged_once_without_a_second_response(h, caplog):
    h.recorder.fail_with = discord.NotFound(type("R", (), {"status": 404, "reason": "Not Found"})(),
                                            {"code": 10062, "message": "Unknown interaction"})
    calls = await h.interact(h.click("bb:ask:pos2-length"))
    for _ in range(50):
        await asyncio.sleep(0)
    assert len(h.recorder.calls) == len(calls) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert [r for r in caplog.records if "expired" in r.getMessage()]


# ------------------------------------------------------------------------------- autocomplete picks (item 11)

@pytest.mark.parametrize("title", ["What kind of document is this?", "Which two documents did Xi and Putin sign?"])
async def test_an_autocomplete_pick_answers_exactly_that_entry(h, knowledge, title):
    entry = next(e for e in knowledge.entries if e.title == title)
    choices = callback(await h.interact(h.autocomplete("ask", "question", title))).json["data"]["choices"]
    (pick,) = [c for c in choices if c["name"] == title]
    assert pick["value"] == f"qa:{entry.id}"
    data = callback(await h.interact(h.slash("ask", question=pick["value"]))).data
    embed = data["embeds"][0]
    assert embed["title"] == title and embed["description"] == entry.answer
    assert "author" not in embed  # the user's words were the title: nothing to quote
    assert f"bb:passage:qa:{entry.id}" in custom_ids(data["components"])
    gone = callback(await h.interact(h.slash("ask", question="qa:no-such-entry"))).data
    assert gone["flags"] & EPHEMERAL and "no longer in the knowledge base" in gone["content"]


# ------------------------------------------------------------------------------------ what is echoed (item 12)

async def test_the_title_is_the_question_answered_and_the_users_words_are_quoted_small_and_inert(h, knowledge):
    raw = f"<@{BOT_ID}> \u202eHOW LONG\u200b is\x00 pos2 \u2066@everyone\u2069 **now**??"
    (call,) = await h.send(h.message(raw, mentions=[BOT_ID]))
    embed = call.json["embeds"][0]
    assert embed["title"] == knowledge.entry("pos2-length").title
    author = embed["author"]["name"]
    assert author.startswith("You asked: ") and "HOW LONG is pos2" in author  # the zero-width space is gone
    assert not set(author) & {"\u202e", "\x00", "\u2066", "\u2069"}
    assert "@\u200beveryone" in author  # made inert the way discord.py escapes mentions
    assert_within_limits(call.json)
    data = callback(await h.interact(h.slash("ask", question="x" * 280 + " how long is pos2"))).data
    assert_within_limits(data)


# ------------------------------------------------------------------------------------- clicks cool down (item 13)

async def test_answer_buttons_share_the_question_cooldown(engine):
    async with Harness(engine, cooldown=Cooldown(2, 30.0)) as h:
        logged = []
        h.bot.record_answer = lambda *a, **k: logged.append(a) or 1
        for _ in range(2):
            assert callback(await h.interact(h.click("bb:ask:pos2-length"))).data["embeds"]
        slow = callback(await h.interact(h.click("bb:ask:pos2-length"))).data
        assert "Try again in" in slow["content"] and slow["flags"] & EPHEMERAL
        slow = callback(await h.interact(h.click("bb:tq:pos2", values=["pos2-length"]))).data
        assert "Try again in" in slow["content"]
        assert len(logged) == 2


# --------------------------------------------------------------------------------- the bot's own role (item 14)

async def test_a_mention_of_the_bots_role_is_a_mention_of_the_bot(h):
    h.guild_create()
    (call,) = await h.send(h.message(f"<@&{ROLE_ID}> how long is pos2?", role_mentions=[ROLE_ID]))
    assert "2,600" in call.json["embeds"][0]["description"]
    assert f"{ROLE_ID}" not in str(call.json)
    other = ROLE_ID + 1
    assert await h.send(h.message(f"<@&{other}> how long is pos2?", role_mentions=[other]), expect=0) == []


# ----------------------------------------------------------------------------------- votes (item 7)

async def test_votes_carry_the_voter_and_the_question_and_forged_ones_are_ignored(h):
    votes = []
    h.bot.feedback.record_vote = lambda vote, question_id=None: votes.append((vote, question_id))
    first = callback(await h.interact(h.slash("ask", question="How long is the Power of Siberia 2 pipeline?"))).data
    up, down = [i for i in custom_ids(first["components"]) if i.startswith("bb:fb:")]
    qid = int(up.rsplit(":", 1)[1])
    for custom_id, user in ((up, USER_ID), (down, USER_ID), (up, USER_ID + 7)):
        data = callback(await h.interact(h.click(custom_id, components=first["components"], user_id=user))).data
        assert data["flags"] & EPHEMERAL and "replaces your vote" in data["content"]
    assert [(v.helpful, v.user_id, q) for v, q in votes] == [(True, USER_ID, qid), (False, USER_ID, qid),
                                                            (True, USER_ID + 7, qid)]
    for forged in ("bb:fb:down:qa:no-such-entry:12345", "bb:fb:down:fact:no-such-fact:12345",
                   "bb:fb:down:qa:pos2-length"):
        data = callback(await h.interact(h.click(forged))).data
        assert data["flags"] & EPHEMERAL and "Thanks" not in data["content"]
    assert len(votes) == 3


# ------------------------------------------------------------------------------ set-up mistakes (items 1 and 3)

async def test_a_refused_test_server_sync_becomes_one_sentence_with_the_invite_url(h):
    from bot.discord_app import runner
    from bot.discord_app.client import CommandsRefused

    h.recorder.fail_with = discord.Forbidden(type("R", (), {"status": 403, "reason": "Forbidden"})(),
                                             {"code": 50001, "message": "Missing Access"})
    with pytest.raises(CommandsRefused) as info:
        await h.bot.sync_guild(GUILD_ID)
    (put,) = h.recorder.of(f"/guilds/{GUILD_ID}/commands")
    assert put.method == "PUT" and put.json
    text = str(runner.commands_refused(info.value))
    assert f"server {GUILD_ID}" in text and "not in that server" in text and "applications.commands" in text
    assert f"client_id={APP_ID}&scope=bot+applications.commands&permissions=" in text
    assert text.count(". ") == 0 and len(text) <= limits.MESSAGE  # one sentence


async def test_clearing_the_test_server_removes_its_copies_of_the_commands(h):
    from bot.discord_app import runner

    await h.bot.sync_guild(GUILD_ID)
    await runner.clear_guild_commands(h.bot, GUILD_ID)
    first, second = h.recorder.of(f"/guilds/{GUILD_ID}/commands")
    assert len(first.json) == 6 and second.method == "PUT" and second.json == []


# ------------------------------------------------------------------------------ where commands work (item 15)

async def test_ask_works_in_a_dm_and_where_a_user_installed_the_app(h):
    dm = h.slash("ask", question="who wrote the brief")
    dm.update(h._interaction(2, dm["data"], guild=False))  # a DM with the bot
    data = callback(await h.interact(dm)).data
    assert "Seho Jang" in data["embeds"][0]["description"]
    # installed to the user, used in a group DM the bot is not part of (context 2): a normal reply, which
    # Discord shows ephemerally where public replies of user apps are not allowed
    elsewhere = h._interaction(2, h.slash("ask", question="who wrote the brief")["data"], guild=False)
    elsewhere["context"] = 2
    elsewhere["channel"] = {"id": elsewhere["channel_id"], "type": 3, "recipients": [h.user(), h.user(USER_ID + 1)]}
    data = callback(await h.interact(elsewhere)).data
    assert "Seho Jang" in data["embeds"][0]["description"]
    assert_within_limits(data)


async def test_the_curator_report_echoes_questions_without_hidden_characters(engine, tmp_path):
    from bot.core.store import QuestionLog

    qlog = QuestionLog(tmp_path / "q.sqlite3", b"k")
    async with Harness(engine) as h:
        h.bot.question_log = qlog
        callback(await h.interact(h.slash("ask", question="what time is it in \u202emoscow\u200b now")))
        report = h.slash("curator report")
        report["member"]["permissions"] = str(discord.Permissions(manage_guild=True).value)
        deferred, sent = await h.interact(report, 2)
        description = sent.json["embeds"][0]["description"]
        assert "what time is it in moscow now" in description
        assert "\u202e" not in description and "\u200b" not in description
        assert_within_limits(sent.json)
    qlog.close()
