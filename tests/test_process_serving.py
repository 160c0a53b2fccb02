"""The real ``python -m bot run`` serving through the local Discord stand-in: slash commands, buttons, mentions and
DMs; dropped connections, op 7 and op 9; 429s, 5xx and an expired interaction. One bot process serves the
whole module (in order), as one would serve a guild."""

from __future__ import annotations

import itertools
import re
import signal

import pytest
from fakediscord import FakeDiscord
from fakediscord import payloads as p
from fakediscord.botproc import BotProcess

pytestmark = pytest.mark.slow

QUESTION = "How long is the Power of Siberia 2 pipeline?"
_users = itertools.count(p.USER_ID + 1000)  # a new user for each question: the per-user cooldown stays out of it


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with FakeDiscord() as fake, BotProcess(fake, tmp_path_factory.mktemp("bot"), semantic=True) as bot:
        bot.wait_ready()
        yield fake, bot
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(5) == 0
        assert "Traceback" not in bot.log


def ask(fake: FakeDiscord, question: str = QUESTION) -> str:
    return fake.slash(question, user_id=next(_users))


def custom_ids(components) -> list[str]:
    return [c["custom_id"] for row in components or [] for c in row.get("components", []) if "custom_id" in c]


def answered_once(fake: FakeDiscord, *interaction_ids: str) -> None:
    """Each interaction got exactly one successful callback: none lost, none answered twice."""
    for iid in interaction_ids:
        fake.wait_callback(iid)
        ok = [r for r in fake.callbacks(iid) if 200 <= r.status < 300]
        assert len(ok) == 1, f"interaction {iid} answered {len(ok)} times"


def test_slash_ask_gets_an_embed_with_buttons_and_no_pings_well_inside_3_s(served):
    fake, _ = served
    iid = ask(fake)
    cb = fake.wait_callback(iid)
    assert cb.json["type"] == 4  # CHANNEL_MESSAGE_WITH_SOURCE
    assert cb.query.get("with_response") == "1"
    assert cb.data["allowed_mentions"]["parse"] == []
    embed = cb.data["embeds"][0]
    assert "2,600 km" in embed["description"]
    assert len(embed["description"]) <= 4096
    ids = custom_ids(cb.data["components"])
    assert any(i.startswith("bb:passage:") for i in ids)
    assert any(i.startswith("bb:fb:up:") for i in ids) and any(i.startswith("bb:fb:down:") for i in ids)
    assert not int(cb.data.get("flags") or 0) & 64  # public by default
    assert cb.at - fake.dispatched[iid] < 3.0  # Discord's deadline for the first response


def test_show_passage_answers_ephemerally(served):
    fake, _ = served
    iid = ask(fake)
    cb = fake.wait_callback(iid)
    passage = next(i for i in custom_ids(cb.data["components"]) if i.startswith("bb:passage:"))
    click = fake.click(passage, message_id=fake.response_messages[iid], user_id=next(_users))
    shown = fake.wait_callback(click)
    assert shown.json["type"] == 4
    assert int(shown.data["flags"]) & 64  # EPHEMERAL
    text = (shown.data.get("content") or "") + "".join(e.get("description", "") for e in shown.data.get("embeds", []))
    assert "2,600" in text


def test_a_mention_gets_a_reply_in_the_channel(served):
    fake, _ = served
    before = len(fake.replies_in(p.CHANNEL_ID))
    mid = fake.mention(QUESTION, user_id=next(_users))
    reply = fake.wait_for(lambda: fake.replies_in(p.CHANNEL_ID)[before:], what="the reply to the mention")[0]
    assert str(reply.json["message_reference"]["message_id"]) == mid
    assert reply.json["allowed_mentions"]["parse"] == []
    assert "2,600 km" in reply.json["embeds"][0]["description"]


def test_a_direct_message_gets_a_reply(served):
    fake, _ = served
    mid = fake.dm(QUESTION, user_id=next(_users))
    reply = fake.wait_for(lambda: fake.replies_in(p.DM_CHANNEL_ID), what="the reply to the DM")[0]
    assert str(reply.json["message_reference"]["message_id"]) == mid
    assert "2,600 km" in reply.json["embeds"][0]["description"]


def test_a_dropped_connection_is_resumed_and_nothing_is_lost(served):
    fake, _ = served
    first = ask(fake)
    fake.wait_callback(first)
    session = fake.session.session_id
    resumes, identifies = len(fake.resumes), len(fake.identifies)
    fake.drop()  # close 1006: no close frame
    missed = ask(fake)  # sent while the bot is away: Discord replays it on resume
    fake.wait_for(lambda: len(fake.resumes) > resumes, what="RESUME (op 6)")
    assert fake.resumes[-1]["session_id"] == session
    assert fake.resumes[-1]["token"] == fake.token
    fake.wait_for(lambda: fake.sent_events("RESUMED"), what="RESUMED")
    resumed = fake.session.conn.number
    assert [f.conn for f in fake.sent_events("INTERACTION_CREATE") if f.d["id"] == missed][-1] == resumed
    after = ask(fake)
    answered_once(fake, first, missed, after)
    assert len(fake.identifies) == identifies  # resumed, not identified anew


def test_op_7_reconnect_resumes(served):
    fake, _ = served
    resumes, identifies = len(fake.resumes), len(fake.identifies)
    session = fake.session.session_id
    fake.reconnect()
    fake.wait_for(lambda: len(fake.resumes) > resumes, what="RESUME after op 7")
    assert fake.resumes[-1]["session_id"] == session
    answered_once(fake, ask(fake))
    assert len(fake.identifies) == identifies


def test_op_9_invalid_session_identifies_anew(served):
    fake, bot = served
    identifies, resumes = len(fake.identifies), len(fake.resumes)
    old = fake.session.session_id
    fake.invalidate(resumable=False)
    # discord.py waits 5 s before identifying again (Discord asks for 1 to 5 s)
    fake.wait_for(lambda: len(fake.identifies) > identifies, timeout=20, what="IDENTIFY after op 9")
    fake.wait_for(lambda: fake.session.session_id != old and fake.session.conn is not None, what="a new session")
    assert len(fake.resumes) == resumes
    answered_once(fake, ask(fake))


def test_a_429_on_the_callback_is_retried_after_retry_after(served):
    fake, _ = served
    fake.fail(429, path=r"^/interactions/\d+/[^/]+/callback$", retry_after=0.5)
    iid = ask(fake)
    answered_once(fake, iid)
    limited, ok = fake.callbacks(iid)
    assert limited.status == 429 and ok.status == 200
    assert ok.at - limited.at >= 0.5  # honoured retry_after
    assert "2,600 km" in ok.data["embeds"][0]["description"]


def test_a_global_429_is_honoured(served):
    fake, _ = served
    fake.fail(429, path=rf"^/channels/{p.CHANNEL_ID}/messages$", retry_after=0.6, is_global=True)
    before = len(fake.of(rf"^/channels/{p.CHANNEL_ID}/messages$", "POST"))
    fake.mention(QUESTION, user_id=next(_users))
    fake.wait_for(lambda: [r for r in fake.of(rf"^/channels/{p.CHANNEL_ID}/messages$", "POST")[before:]
                           if r.status == 200], what="the reply after a global 429")
    limited, ok = fake.of(rf"^/channels/{p.CHANNEL_ID}/messages$", "POST")[before:]
    assert limited.status == 429 and ok.status == 200
    assert ok.at - limited.at >= 0.6


def test_a_500_is_retried(served):
    fake, _ = served
    fake.fail(500, path=r"^/interactions/\d+/[^/]+/callback$")
    iid = ask(fake)
    answered_once(fake, iid)
    assert [r.status for r in fake.callbacks(iid)] == [500, 200]


def test_an_unknown_interaction_is_logged_once_at_warning_and_the_bot_keeps_serving(served):
    fake, bot = served
    fake.fail(404, path=r"^/interactions/\d+/[^/]+/callback$", code=10062, message="Unknown interaction")
    expired = ask(fake)
    fake.wait_for(lambda: fake.callbacks(expired), what="the callback that gets 404")
    answered_once(fake, ask(fake))  # still serving
    lines = [line for line in bot.log.splitlines() if expired in line]
    assert len(lines) == 1, lines
    assert re.search(r" WARNING bot\.discord_app\.", lines[0]), lines[0]
    assert len(fake.callbacks(expired)) == 1  # not retried: Discord has forgotten it
