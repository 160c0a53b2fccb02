"""The real ``python -m bot run`` against the local Discord stand-in: logging in, the intents, the guild sync, and
the start-up failures that exit 2 with a sentence the operator can act on."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import discord
import pytest
from fakediscord import FakeDiscord
from fakediscord import payloads as p
from discord.gateway import DiscordWebSocket
from discord.http import Route
from fakediscord.botproc import ROOT, BotProcess

from bot.discord_app.runner import discord_endpoints
from bot.settings import Settings, SettingsError

pytestmark = pytest.mark.slow

MESSAGE_CONTENT = 1 << 15


@pytest.fixture
def fake():
    with FakeDiscord() as fake:
        yield fake


def commands_json() -> list:
    printed = subprocess.run([sys.executable, "-m", "bot", "commands", "--json"], cwd=ROOT, text=True,
                             capture_output=True, timeout=60, check=True).stdout
    return json.loads(printed)


def test_discord_api_base_is_an_http_url_or_empty():
    env = {"DISCORD_TOKEN": "t"}
    assert Settings.from_env(env).api_base is None
    assert Settings.from_env({**env, "DISCORD_API_BASE": " "}).api_base is None
    base = Settings.from_env({**env, "DISCORD_API_BASE": "http://127.0.0.1:8080/api/v10/"}).api_base
    assert base == "http://127.0.0.1:8080/api/v10"
    for bad in ("127.0.0.1:8080/api/v10", "ftp://x/api/v10", "http:///api"):
        with pytest.raises(SettingsError, match="DISCORD_API_BASE"):
            Settings.from_env({**env, "DISCORD_API_BASE": bad})


def test_discord_endpoints_point_discord_py_elsewhere_and_put_it_back():
    before = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    with discord_endpoints("http://127.0.0.1:9/api/v10"):
        assert Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"
        DiscordWebSocket.DEFAULT_GATEWAY = "ws://127.0.0.1:9/"  # as run_bot sets it from GET /gateway/bot
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == before
    with discord_endpoints(None):
        assert Route.BASE == before[0] == "https://discord.com/api/v10"


def expected_intents(message_content: bool) -> int:
    """Discord's default intents (no privileged ones), plus message content only when asked."""
    intents = discord.Intents.default()
    assert not intents.members and not intents.presences and not intents.message_content
    return intents.value | (MESSAGE_CONTENT if message_content else 0)


@pytest.mark.parametrize("channels,guild", [("", True), (str(p.CHANNEL_ID), False)])
def test_start_up_identifies_with_the_expected_intents_syncs_the_guild_and_logs_ready(fake, tmp_path, channels,
                                                                                      guild):
    with BotProcess(fake, tmp_path, channels=channels, guild=guild) as bot:
        bot.wait_ready()
        assert len(fake.identifies) == 1
        identify = fake.identifies[0]
        assert identify["token"] == fake.token
        assert identify["intents"] == expected_intents(message_content=bool(channels))
        assert bool(identify["intents"] & MESSAGE_CONTENT) == bool(channels)
        assert identify["shard"] == [0, 1]
        # the gateway address came from GET /gateway/bot on DISCORD_API_BASE, and discord.py asked for zlib-stream
        assert fake.of(r"^/gateway/bot$", "GET")
        assert fake.connections[0].query == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
        # every REST call went to the stand-in with the bot's token
        assert all(r.authorization == f"Bot {fake.token}" for r in fake.requests)
        assert not fake.of(rf"^/applications/{p.APP_ID}/commands$", "PUT")  # never global at start-up
        sync = fake.of(rf"^/applications/{p.APP_ID}/guilds/{p.GUILD_ID}/commands$", "PUT")
        if guild:
            assert len(sync) == 1
            assert sync[0].json == commands_json()
        else:
            assert not sync  # no test guild: nothing to sync
        assert "logged in as briefbot (%d) in 1 guild(s), 1 shard(s)" % p.BOT_ID in bot.log
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(5) == 0


def test_sync_global_puts_the_commands_json_payload(fake, tmp_path):
    with BotProcess(fake, tmp_path, guild=False, command=("sync", "--global")) as sync:
        assert sync.wait(60) == 0, sync.log
    (put,) = fake.of(rf"^/applications/{p.APP_ID}/commands$", "PUT")
    assert put.json == commands_json()
    assert not fake.connections  # no gateway needed to sync


def test_a_token_rest_rejects_exits_2(fake, tmp_path):
    with BotProcess(fake, tmp_path, token="not-the-token") as bot:
        assert bot.wait(30) == 2
        assert "Discord rejected the token" in bot.log
        assert "Traceback" not in bot.log
        assert [(r.method, r.path, r.status) for r in fake.requests] == [("GET", "/users/@me", 401)]
        assert not fake.connections


def test_a_token_the_gateway_rejects_4004_exits_2(tmp_path):
    with FakeDiscord(close_on_identify=4004) as fake, BotProcess(fake, tmp_path) as bot:
        assert bot.wait(30) == 2
        assert "Discord rejected the token" in bot.log
        assert "Traceback" not in bot.log
        assert len(fake.identifies) == 1  # no retry with a token that cannot work


def test_disallowed_message_content_intent_4014_exits_2_with_the_portal_paragraph(tmp_path):
    with FakeDiscord(allow_message_content=False) as fake, \
            BotProcess(fake, tmp_path, channels=str(p.CHANNEL_ID)) as bot:
        assert bot.wait(30) == 2
        assert "turn on 'Message Content Intent' in the Developer Portal" in bot.log
        assert "unset BRIEFBOT_CHANNELS" in bot.log
        assert "Traceback" not in bot.log
        assert len(fake.identifies) == 1
