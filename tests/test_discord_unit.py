"""Unit tests: the cogs' callbacks called directly with create_autospec'd discord.Interaction parts."""

from __future__ import annotations

import asyncio
import json
import threading
from unittest.mock import AsyncMock, MagicMock, create_autospec

import discord
import pytest

from bot.core import limits
from bot.core.ratelimit import Cooldown
from bot.core.engine import Engine
from bot.core.limits import clip
from bot.discord_app import components, ids
from bot.discord_app.client import BriefBot, intents_for
from bot.discord_app.exts.ask import PICK, Ask
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

    def msg(*, bot_author=False, author_id=5, dm=False, mentions=(), channel_id=1, reply_author=None,
            roles=()):
        m = create_autospec(discord.Message, instance=True)
        m.author = MagicMock(bot=bot_author, id=author_id)
        m.channel = create_autospec(discord.DMChannel if dm else discord.TextChannel, instance=True)
        m.channel.id = channel_id
        m.guild = None if dm else create_autospec(discord.Guild, instance=True)
        if m.guild is not None:
            m.guild.self_role = MagicMock(id=555)  # the bot's managed role in this server
        m.raw_mentions = list(mentions)
        m.raw_role_mentions = list(roles)
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
    assert cog.addressed(msg(roles=[555])) == (True, "mention")
    assert cog.addressed(msg(roles=[556])) == (False, "")


async def test_on_message_forbidden_is_logged(engine, caplog):
    bot = make_bot(engine)
    bot._connection.user = MagicMock(id=999)
    cog = Ask(bot)
    m = create_autospec(discord.Message, instance=True)
    m.author = MagicMock(bot=False, id=5)
    m.channel = create_autospec(discord.DMChannel, instance=True)
    m.type = discord.MessageType.default
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
    button = components.FeedbackButton(True, "qa", "pos2-length", 12345)
    await button.callback(interaction)
    assert "Thanks" in interaction.response.send_message.await_args.args[0]
    assert any("could not record feedback" in r.getMessage() for r in caplog.records)


def test_intents_only_ask_for_message_content_with_watched_channels():
    assert intents_for([]).message_content is False
    assert intents_for([123]).message_content is True
    assert intents_for([]).guild_messages and intents_for([]).dm_messages


def test_intents_are_only_the_ones_the_bot_uses():
    used = discord.Intents(guilds=True, guild_messages=True, dm_messages=True)
    assert intents_for([]) == used
    assert intents_for([5]) == discord.Intents(guilds=True, guild_messages=True, dm_messages=True,
                                               message_content=True)
    for unused in ("typing", "voice_states", "invites", "reactions", "members", "presences", "guild_scheduled_events"):
        assert not getattr(intents_for([5]), unused), unused


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
            assert len(item.label) <= limits.BUTTON_LABEL
            assert len(item.custom_id) <= limits.CUSTOM_ID
    embeds = passage_embeds(list(k.brief.paragraphs()), k.brief.meta)
    assert sum(len(e) for e in embeds) <= limits.EMBED_TOTAL
    assert all(len(e.description) <= limits.EMBED_DESCRIPTION for e in embeds)


def test_command_payloads_are_valid(engine):
    payloads = asyncio.run(command_payloads(engine))
    names = [p["name"] for p in payloads]
    assert sorted(names) == ["ask", "brief", "curator", "fact", "help", "topics"]
    for p in payloads:
        assert 1 <= len(p["description"]) <= limits.COMMAND_DESCRIPTION
        assert p["name"] == p["name"].lower() and len(p["name"]) <= 32
        for o in p.get("options", []):
            assert 1 <= len(o["description"]) <= 100
        if p["name"] != "curator":
            # servers, DMs with the bot, and any channel once installed to a user
            assert p["contexts"] == [0, 1, 2] and p["integration_types"] == [0, 1]
            assert p.get("default_member_permissions") is None
    curator = next(p for p in payloads if p["name"] == "curator")
    assert curator["contexts"] == [0] and curator["integration_types"] == [0]  # servers only, server installs
    assert int(curator["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    assert sorted((o["name"], o["type"]) for o in curator["options"]) == [("reload", 1), ("report", 1)]
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
    ("bb:fb:up:qa:about-author:1", components.FeedbackButton),
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
    from bot.discord_app.runner import PERMISSIONS

    needed = discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                                 embed_links=True, read_message_history=True, add_reactions=True)
    assert PERMISSIONS == needed
    found = {int(x) for x in re.findall(r"permissions=(\d+)", readme)}
    assert found == {needed.value}
    assert "scope=bot+applications.commands" in readme


# ------------------------------------------------------------------------------------------- the event loop

class BlockingEngine:
    """The real engine, whose matching waits for ``release`` and notes the thread it ran on."""

    def __init__(self, engine):
        self._engine = engine
        self.release = threading.Event()
        self.threads: list[int] = []

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def ask(self, question):
        self.threads.append(threading.get_ident())
        assert self.release.wait(10)
        return self._engine.ask(question)


async def test_ask_defers_then_follows_up_when_the_engine_is_slow(engine):
    slow = BlockingEngine(engine)
    bot = make_bot(slow, defer_after=0.0)
    cog = Ask(bot)
    interaction = make_interaction(bot)

    async def deferred(**kwargs):
        interaction.response.is_done.return_value = True
        slow.release.set()  # only now may the engine finish: the defer came first

    interaction.response.defer.side_effect = deferred
    await cog.ask.callback(cog, interaction, "how long is pos2", True)
    interaction.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    interaction.response.send_message.assert_not_awaited()
    kw = interaction.followup.send.await_args.kwargs
    assert kw["ephemeral"] is True and "2,600" in kw["embed"].description
    assert slow.threads and threading.get_ident() not in slow.threads


async def test_ask_answers_directly_when_the_engine_is_quick(engine):
    bot = make_bot(engine, defer_after=30.0)
    cog = Ask(bot)
    interaction = make_interaction(bot)
    await cog.ask.callback(cog, interaction, "how long is pos2", False)
    interaction.response.defer.assert_not_awaited()
    assert "2,600" in sent_kwargs(interaction)["embed"].description


# ------------------------------------------------------------------------------------------- autocomplete picks

async def test_every_autocomplete_pick_gives_exactly_its_entry(engine):
    bot = make_bot(engine)
    cog = Ask(bot)
    for entry in engine.knowledge.entries:
        interaction = make_interaction(bot, user_id=hash(entry.id))
        await cog.ask.callback(cog, interaction, PICK + entry.id, False)
        embed = sent_kwargs(interaction)["embed"]
        assert (embed.title, embed.description) == (clip(entry.title, limits.EMBED_TITLE), entry.answer), entry.id
    choices = await cog.ask_autocomplete(make_interaction(bot), "pipeline")
    assert choices and all(c.value.startswith(PICK) and engine.knowledge.entry(c.value[len(PICK):]) for c in choices)
    assert all(clip(engine.knowledge.entry(c.value[len(PICK):]).title, 100) == c.name for c in choices)


# ------------------------------------------------------------------------------------------- custom ids

def test_every_custom_id_for_every_entry_and_fact_fits_and_routes_back(engine):
    k = engine.knowledge
    longest_question = 10 ** limits.QUESTION_ID_DIGITS - 1
    items = [("qa", e.id) for e in k.entries] + [("fact", f.id) for f in k.facts]
    items.append(("fact", "x" * limits.ITEM_ID))  # the longest id `check` lets through
    for kind, item_id in items:
        for custom_id in ids.all_for(kind, item_id, longest_question):
            assert len(custom_id) <= limits.CUSTOM_ID, custom_id
            assert sum(bool(c.__discord_ui_compiled_template__.fullmatch(custom_id)) for c in components.ALL) == 1
    for t in k.topics:
        assert len(ids.topic_questions(t.id)) <= limits.CUSTOM_ID
    # one character more and the longest (a 👎 on a fact) no longer fits: why `check` stops there
    assert max(map(len, ids.all_for("fact", "x" * (limits.ITEM_ID + 1), longest_question))) > limits.CUSTOM_ID


@pytest.mark.parametrize("length, ok", [(limits.ITEM_ID, True), (limits.ITEM_ID + 1, False), (81, False)])
def test_check_rejects_ids_too_long_for_the_buttons(kb_copy, length, ok):
    import yaml

    from bot.core.loader import KnowledgeError, load_knowledge

    facts = kb_copy / "facts.yaml"
    data = yaml.safe_load(facts.read_text())
    data["facts"][0]["id"] = "a" * length
    facts.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    if ok:
        assert load_knowledge(kb_copy).fact("a" * length) is not None
    else:
        with pytest.raises(KnowledgeError, match="too long for the Discord buttons"):
            load_knowledge(kb_copy)


# ------------------------------------------------------------------------------------------- votes

async def test_a_vote_on_an_unknown_entry_or_fact_is_not_recorded(engine):
    bot = make_bot(engine)
    bot.feedback = MagicMock()
    for kind, item in (("qa", "no-such-entry"), ("fact", "no-such-fact")):
        interaction = make_interaction(bot)
        await components.FeedbackButton(False, kind, item, 99).callback(interaction)
        assert "no longer in the knowledge base" in interaction.response.send_message.await_args.args[0]
    bot.feedback.record_vote.assert_not_called()
    interaction = make_interaction(bot, user_id=77)
    await components.FeedbackButton(False, "fact", engine.knowledge.facts[0].id, 99).callback(interaction)
    (vote, qid), _ = bot.feedback.record_vote.call_args
    assert (vote.user_id, vote.kind, vote.helpful, qid) == (77, "fact", False, 99)


# ------------------------------------------------------------------------------------------- the one guard

def test_the_tree_is_the_guarded_subclass_and_no_cog_patches_it(engine):
    from bot.discord_app.client import EXTENSIONS
    from bot.discord_app.guard import BriefTree

    bot = make_bot(engine)
    assert type(bot.tree) is BriefTree
    assert "on_error" not in vars(bot.tree)  # the class's own handler, not one set on the instance
    assert not any("errors" in ext for ext in EXTENSIONS)


async def test_a_failing_component_is_answered_once_privately(engine, caplog):
    bot = make_bot(engine)
    interaction = make_interaction(bot)
    interaction.response.send_message.side_effect = [RuntimeError("boom"), None]
    await components.AskButton("pos2-length").callback(interaction)
    assert interaction.response.send_message.await_count == 2
    assert "Something went wrong" in interaction.response.send_message.await_args.args[0]
    assert any(r.exc_info and "error in component bb:ask:pos2-length" in r.getMessage() for r in caplog.records)


def test_no_import_cycle_and_no_imports_inside_functions_in_the_adapter():
    import ast
    import subprocess
    import sys
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "bot" / "discord_app"
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not inner, f"{path.name}: import inside {fn.name}()"
    code = ("import sys, bot.discord_app.render as r; "
            "print(sorted(m for m in sys.modules if m.startswith('bot.discord_app')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "['bot.discord_app', 'bot.discord_app.ids', 'bot.discord_app.render']"


async def test_the_watch_survives_an_unexpected_error_and_keeps_watching(kb_copy, caplog):
    from bot.core.loader import load_knowledge

    bot = make_bot(Engine(load_knowledge(kb_copy)), knowledge_dir=kb_copy, watch=True, watch_interval=0.01)
    real = bot._knowledge_stamp
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk went away")
        return real()

    bot._knowledge_stamp = flaky
    async with bot:
        await bot.setup_hook()
        for _ in range(1000):
            if len(calls) >= 4:
                break
            await asyncio.sleep(0.01)
        assert len(calls) >= 4 and not bot._watch_task.done()  # still watching after the failure
    (record,) = [r for r in caplog.records if "knowledge watch failed" in r.getMessage()]
    assert record.exc_info and record.levelname == "ERROR"


# ------------------------------------------------------------------------------------------- set-up mistakes

def forbidden() -> discord.Forbidden:
    return discord.Forbidden(MagicMock(status=403, reason="Forbidden"), {"code": 50001, "message": "Missing Access"})


async def test_a_refused_guild_sync_at_login_is_one_sentence_not_a_traceback(engine, monkeypatch):
    from bot.discord_app.runner import StartupError, run_bot

    bot = make_bot(engine, guild_id=4242)
    bot.sync_on_start = True

    async def login(token):
        bot._connection.application_id = 1234
        await bot.setup_hook()

    monkeypatch.setattr(bot, "login", login)
    monkeypatch.setattr(bot.tree, "sync", AsyncMock(side_effect=forbidden()))
    with pytest.raises(StartupError) as info:
        await run_bot(bot, "token")
    text = str(info.value)
    assert "server 4242" in text and "not in that server" in text and "applications.commands" in text
    assert "client_id=1234&scope=bot+applications.commands" in text and "50001" in text


async def test_a_refused_global_sync_is_one_sentence(engine, monkeypatch):
    from bot.discord_app.runner import StartupError, sync_global

    bot = make_bot(engine)
    monkeypatch.setattr(bot, "login", AsyncMock())
    monkeypatch.setattr(bot.tree, "sync", AsyncMock(side_effect=forbidden()))
    with pytest.raises(StartupError, match="refused to register the slash commands.*applications.commands"):
        await sync_global(bot, "token")


async def test_global_sync_removes_the_test_servers_copies(engine, monkeypatch):
    from bot.discord_app.runner import sync_global

    bot = make_bot(engine)
    monkeypatch.setattr(bot, "login", AsyncMock())
    sync = AsyncMock(return_value=[1, 2, 3])
    monkeypatch.setattr(bot.tree, "sync", sync)
    assert await sync_global(bot, "token", clear_guild=4242) == 3
    assert [c.kwargs.get("guild") and c.kwargs["guild"].id for c in sync.await_args_list] == [None, 4242]
    assert bot.tree.get_commands(guild=discord.Object(4242)) == []


@pytest.mark.parametrize("argv, env, code, expected", [
    (["sync"], {}, 2, "sync --global"),
    (["sync", "--clear-guild"], {}, 2, "needs DISCORD_GUILD_ID"),
    (["sync", "--global"], {"DISCORD_GUILD_ID": "\u00b2"}, 2, "DISCORD_GUILD_ID must be"),
    (["run"], {"BRIEFBOT_CHANNELS": "12,\u00b3"}, 2, "BRIEFBOT_CHANNELS must be"),
])
def test_cli_set_up_mistakes_exit_2_with_a_sentence(monkeypatch, tmp_path, argv, env, code, expected):
    import io

    from bot import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    for k in ("DISCORD_GUILD_ID", "BRIEFBOT_CHANNELS"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    err = io.StringIO()
    assert cli.main(argv, out=io.StringIO(), err=err) == code
    assert expected in err.getvalue() and "Traceback" not in err.getvalue()


def test_cli_sync_maps_a_refused_sync_to_exit_2(monkeypatch, tmp_path):
    import io

    from bot import cli
    from bot.discord_app import runner

    async def refused(bot, token, timeout=30.0, *, clear_guild=None, **options):
        raise runner.StartupError("Discord refused to register the slash commands in server 1")

    monkeypatch.setattr(runner, "sync_global", refused)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    err = io.StringIO()
    assert cli.main(["sync", "--global"], out=io.StringIO(), err=err) == 2
    assert "refused to register" in err.getvalue()


# ------------------------------------------------------------------------------------------- pure parts

def test_cooldown_notice_once_per_window():
    now = [0.0]
    cd = Cooldown(1, 30.0, clock=lambda: now[0])
    assert cd.hit(1) == 0 and cd.hit(1) > 0
    assert cd.notice(1) is True and cd.notice(1) is False and cd.notice(2) is True
    now[0] = 29.0
    assert cd.notice(1) is False
    now[0] = 31.0
    assert cd.notice(1) is True


def test_inert_strips_what_can_disguise_echoed_text():
    assert limits.inert("a\u202eb\u2066c\u2069 \u200bd\u200d\x00e\ufeff  f\r\ng\u061c") == "abc de f g"
    assert limits.inert("na\u00efve \u4e2d\u6587 \U0001f600") == "na\u00efve \u4e2d\u6587 \U0001f600"
    assert limits.visible("one\u202e\n\ttwo\x00") == "one\n\ttwo"


def test_every_fixed_user_visible_string_fits_a_message():
    from bot.discord_app import guard
    from bot.discord_app.exts import ask
    from bot.discord_app.runner import CommandsRefused, commands_refused

    texts = [guard.SOMETHING_WRONG, guard.COMMAND_CHANGED, guard.NOT_ALLOWED, guard.cooldown_text(10 ** 9),
             ask.EMPTY_MENTION, ask.REPLY_UNREAD, components.EXPIRED, components.OLD_VOTE,
             str(commands_refused(CommandsRefused(2 ** 63, 2 ** 63, forbidden())))]
    for text in texts:
        assert 0 < len(text) <= limits.MESSAGE


def test_only_a_whole_pick_is_read_as_an_entry():
    from bot.discord_app.exts.ask import picked_entry

    assert picked_entry("qa:pos2-length") == "pos2-length"
    assert picked_entry("qa: how long is pos2?") is None and picked_entry("how long is qa:pos2") is None
