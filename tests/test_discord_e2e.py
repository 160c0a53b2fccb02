"""End to end: gateway payloads in through discord.py's ConnectionState, the JSON the bot would send out."""

from __future__ import annotations

import re

import pytest

from bot.core import limits
from bot.core.ratelimit import Cooldown
from discord_harness import (
    BOT_ID,
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
        total += len(e.get("title", "")) + len(e.get("description", "")) + len(e.get("footer", {}).get("text", ""))
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
    (reply,) = await h.send(h.message("and how much gas would it carry per year?", reply_to_bot=True))
    assert "50" in reply.json["embeds"][0]["description"]
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


async def test_views_disable_their_buttons_when_they_time_out(h, monkeypatch):
    import sys

    # discord.py re-imports an extension each time a bot loads it: patch the module this bot actually runs
    ask_ext = sys.modules[type(h.bot.get_cog("Ask")).__module__]
    replies = []
    original = ask_ext.answer_reply

    def capture(*args, **kwargs):
        replies.append(original(*args, **kwargs))
        return replies[-1]

    monkeypatch.setattr(ask_ext, "answer_reply", capture)
    await h.send(h.message(f"<@{BOT_ID}> how long is pos2?", mentions=[BOT_ID]))
    view = replies[-1].view
    assert view.timeout and view.message is not None  # bound to the message it was sent with
    before = len(h.recorder.calls)
    await view.on_timeout()
    edit = h.recorder.calls[before]
    assert edit.method == "PATCH" and edit.path.endswith(f"/messages/{view.message.id}")
    assert all(c["disabled"] for row in edit.json["components"] for c in row["components"])


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
