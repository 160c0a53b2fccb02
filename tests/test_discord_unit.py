"""Unit tests: the cogs' callbacks called directly with create_autospec'd discord.Interaction parts."""

from __future__ import annotations

import asyncio
import json
from unittest.mock import AsyncMock, MagicMock, create_autospec

import discord
import pytest

from bot.core import limits
from bot.core.ratelimit import Cooldown
from bot.discord_app import components
from bot.discord_app.client import BriefBot, intents_for
from bot.discord_app.exts.ask import Ask
from bot.discord_app.exts.browse import Browse
from bot.discord_app.render import answer_reply, passage_embeds
from bot.discord_app.runner import command_payloads


def make_bot(engine, **kw) -> BriefBot:
    return BriefBot(engine, sync_on_start=False, **kw)


def make_interaction(bot, user_id: int = 42) -> MagicMock:
    interaction = create_autospec(discord.Interaction, instance=True)
    interaction.client = bot
    interaction.user = create_autospec(discord.Member, instance=True)
    interaction.user.id = user_id
    interaction.guild_id = 1
    interaction.channel_id = 2
    interaction.response = create_autospec(discord.InteractionResponse, instance=True)
    interaction.response.is_done.return_value = False
    interaction.followup = create_autospec(discord.Webhook, instance=True)
    return interaction


def sent_kwargs(interaction) -> dict:
    interaction.response.send_message.assert_awaited_once()
    return interaction.response.send_message.await_args.kwargs


async def test_ask_callback_sends_cited_embed(engine):
    bot = make_bot(engine)
    cog = Ask(bot)
    interaction = make_interaction(bot)
    await cog.ask.callback(cog, interaction, "how long is pos2", False)
    kw = sent_kwargs(interaction)
    assert kw["ephemeral"] is False
    assert "2,600" in kw["embed"].description
    assert kw["embed"].fields[0].name == "Power of Siberia 2, \u00b63"
    assert isinstance(kw["view"], discord.ui.View)


async def test_ask_callback_respects_cooldown(engine):
    bot = make_bot(engine, cooldown=Cooldown(1, 60.0))
    cog = Ask(bot)
    first, second = make_interaction(bot), make_interaction(bot)
    await cog.ask.callback(cog, first, "who wrote the brief", False)
    await cog.ask.callback(cog, second, "who wrote the brief", False)
    kw = sent_kwargs(second)
    assert kw["ephemeral"] is True
    args = second.response.send_message.await_args.args
    assert "Try again in" in args[0]
    other_user = make_interaction(bot, user_id=43)
    await cog.ask.callback(cog, other_user, "who wrote the brief", False)
    assert "embed" in sent_kwargs(other_user)


async def test_autocomplete_callback_limits(engine):
    bot = make_bot(engine)
    cog = Ask(bot)
    for text in ("", "p", "pos2", "x" * 300, "\u00e9\u00e8 \U0001f600", "power of siberia 2 length in km please"):
        choices = await cog.ask_autocomplete(make_interaction(bot), text)
        assert len(choices) <= limits.AUTOCOMPLETE_CHOICES
        assert all(1 <= len(c.name) <= 100 and 1 <= len(c.value) <= 100 for c in choices)
        assert len({c.name for c in choices}) == len(choices)


async def test_autocomplete_ranks_the_matching_question_first(engine):
    bot = make_bot(engine)
    choices = await Ask(bot).ask_autocomplete(make_interaction(bot), "peng pai")
    assert "Peng Pai" in choices[0].name


def test_addressed_rules(engine):
    bot = make_bot(engine, channels=[77])
    bot._connection.user = MagicMock(id=999)
    cog = Ask(bot)

    def msg(*, bot_author=False, author_id=5, dm=False, mentions=(), channel_id=1, reply_author=None):
        m = create_autospec(discord.Message, instance=True)
        m.author = MagicMock(bot=bot_author, id=author_id)
        m.channel = create_autospec(discord.DMChannel if dm else discord.TextChannel, instance=True)
        m.channel.id = channel_id
        m.raw_mentions = list(mentions)
        m.reference = None
        if reply_author is not None:
            resolved = create_autospec(discord.Message, instance=True)
            resolved.author = MagicMock(id=reply_author)
            m.reference = MagicMock(resolved=resolved)
        return m

    assert cog.addressed(msg(dm=True)) == (True, "dm")
    assert cog.addressed(msg(mentions=[999])) == (True, "mention")
    assert cog.addressed(msg(reply_author=999)) == (True, "reply")
    assert cog.addressed(msg(channel_id=77)) == (True, "channel")
    assert cog.addressed(msg()) == (False, "")
    assert cog.addressed(msg(reply_author=1234)) == (False, "")
    assert cog.addressed(msg(bot_author=True, mentions=[999])) == (False, "")


async def test_on_message_forbidden_is_logged(engine, caplog):
    bot = make_bot(engine)
    bot._connection.user = MagicMock(id=999)
    cog = Ask(bot)
    m = create_autospec(discord.Message, instance=True)
    m.author = MagicMock(bot=False, id=5)
    m.channel = create_autospec(discord.DMChannel, instance=True)
    m.content = "who wrote the brief"
    m.reply = AsyncMock(side_effect=discord.Forbidden(MagicMock(status=403, reason="Forbidden"), "Missing Access"))
    await cog.on_message(m)
    m.reply.assert_awaited_once()
    assert any("could not reply" in r.getMessage() for r in caplog.records)


async def test_fact_callback_uses_topic_and_citation(engine):
    import random

    bot = make_bot(engine)
    cog = Browse(bot, rng=random.Random(3))
    interaction = make_interaction(bot)
    await cog.fact.callback(cog, interaction, "pos2")
    embed = sent_kwargs(interaction)["embed"]
    fact_ids = {f.text for f in engine.knowledge.facts if f.topic == "pos2"}
    assert embed.description in fact_ids
    assert embed.fields and embed.footer.text.startswith("Source:")


async def test_feedback_button_callback_survives_a_broken_store(engine, caplog):
    bot = make_bot(engine)
    bot.feedback = MagicMock()
    bot.feedback.record_vote.side_effect = OSError("disk full")
    interaction = make_interaction(bot)
    button = components.FeedbackButton.make(True, "qa", "pos2-length")
    await button.callback(interaction)
    assert "Thanks" in interaction.response.send_message.await_args.args[0]
    assert any("could not record feedback" in r.getMessage() for r in caplog.records)


def test_intents_only_ask_for_message_content_with_watched_channels():
    assert intents_for([]).message_content is False
    assert intents_for([123]).message_content is True
    assert intents_for([]).guild_messages and intents_for([]).dm_messages


def test_bot_never_pings(engine):
    bot = make_bot(engine)
    am = bot.allowed_mentions
    assert am.to_dict() == {"parse": []}
    assert isinstance(bot, discord.AutoShardedClient)


def test_longest_answers_and_passages_fit_discord_limits(engine):
    k = engine.knowledge
    longest = sorted(k.entries, key=lambda e: len(e.answer) + sum(len(c.quote) for c in e.citations))[-5:]
    for e in longest:
        reply = answer_reply(engine.answer_entry(e.id, question="q" * 400), k)
        assert len(reply.embed) <= limits.EMBED_TOTAL
        assert len(reply.embed.title) <= limits.EMBED_TITLE
        for f in reply.embed.fields:
            assert len(f.value) <= limits.EMBED_FIELD_VALUE
        for item in reply.view.children:
            assert len(item.item.label) <= limits.BUTTON_LABEL
            assert len(item.item.custom_id) <= limits.CUSTOM_ID
    embeds = passage_embeds(list(k.brief.paragraphs()), k.brief.meta)
    assert sum(len(e) for e in embeds) <= limits.EMBED_TOTAL
    assert all(len(e.description) <= limits.EMBED_DESCRIPTION for e in embeds)


def test_command_payloads_are_valid(engine):
    payloads = asyncio.run(command_payloads(engine))
    names = [p["name"] for p in payloads]
    assert sorted(names) == ["ask", "brief", "fact", "help", "reload", "report", "topics"]
    for curator in ("report", "reload"):
        p = next(p for p in payloads if p["name"] == curator)
        assert int(p["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    for p in payloads:
        assert 1 <= len(p["description"]) <= limits.COMMAND_DESCRIPTION
        assert p["name"] == p["name"].lower() and len(p["name"]) <= 32
        for o in p.get("options", []):
            assert 1 <= len(o["description"]) <= 100
    ask = next(p for p in payloads if p["name"] == "ask")
    q = next(o for o in ask["options"] if o["name"] == "question")
    assert q["autocomplete"] is True and q["required"] is True and q["max_length"] == 300
    private = next(o for o in ask["options"] if o["name"] == "private")
    assert private["type"] == 5 and private["required"] is False
    fact = next(p for p in payloads if p["name"] == "fact")
    assert fact["options"][0]["autocomplete"] is True
    json.dumps(payloads)


@pytest.mark.parametrize("custom_id, cls", [
    ("bb:ask:pos2-length", components.AskButton),
    ("bb:passage:fact:pos2-length-km", components.PassageButton),
    ("bb:fb:up:qa:about-author", components.FeedbackButton),
    ("bb:fb:down:fact:about-author:4503599627370496", components.FeedbackButton),
    ("bb:topics", components.TopicSelect),
    ("bb:tq:pos2", components.TopicQuestionSelect),
])
def test_custom_id_templates_round_trip(custom_id, cls):
    assert cls.__discord_ui_compiled_template__.fullmatch(custom_id)
    others = [c for c in components.ALL if c is not cls]
    assert not any(c.__discord_ui_compiled_template__.fullmatch(custom_id) for c in others)


# ------------------------------------------------------------------------------------------- start-up failures

@pytest.mark.parametrize("exc, expected", [
    (discord.LoginFailure("Improper token has been passed."), "Discord rejected the token"),
    (OSError("Network is unreachable"), "Could not reach Discord"),
])
async def test_startup_failures_become_one_sentence(engine, monkeypatch, exc, expected):
    from bot.discord_app.runner import StartupError, run_bot

    bot = make_bot(engine)

    async def login(token):
        raise exc

    monkeypatch.setattr(bot, "login", login)
    with pytest.raises(StartupError) as info:
        await run_bot(bot, "token")
    assert expected in str(info.value)


async def test_unreachable_discord_is_reported_within_the_timeout(engine, monkeypatch):
    from bot.discord_app.runner import StartupError, run_bot

    bot = make_bot(engine)

    async def login(token):
        await asyncio.sleep(60)

    monkeypatch.setattr(bot, "login", login)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(StartupError, match="within 0 seconds"):
        await run_bot(bot, "token", timeout=0.2)
    assert loop.time() - started < 5


def test_cli_run_maps_rejected_token_to_exit_2(engine, monkeypatch, tmp_path):
    import io

    from bot import cli
    from bot.discord_app import runner

    async def fake_run_bot(bot, token, timeout=30.0, **options):
        raise runner.StartupError(runner.REJECTED)

    monkeypatch.setattr(runner, "run_bot", fake_run_bot)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    err = io.StringIO()
    code = cli.main(["run"], out=io.StringIO(), err=err)
    assert code == 2 and "Discord rejected the token" in err.getvalue()


def test_readme_invite_url_asks_for_exactly_the_permissions_the_bot_needs():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    needed = discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                                 embed_links=True, read_message_history=True)
    found = {int(x) for x in re.findall(r"permissions=(\d+)", readme)}
    assert found == {needed.value}
    assert "scope=bot+applications.commands" in readme
