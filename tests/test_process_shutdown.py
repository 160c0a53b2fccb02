"""SIGTERM and SIGINT stop the real ``python -m bot run`` promptly and cleanly: in the middle of a burst of
interactions, and while the gateway refuses connections (retrying with backoff, one log line per attempt)."""

from __future__ import annotations

import re
import signal
import sqlite3
import time

import pytest
from fakediscord import FakeDiscord
from fakediscord import payloads as p
from fakediscord.botproc import BotProcess

from bot.core.store import DB_NAME

pytestmark = pytest.mark.slow

SIGNALS = [signal.SIGTERM, signal.SIGINT]


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_a_signal_during_a_burst_of_200_interactions_exits_0_with_every_question_logged(tmp_path, sig):
    with FakeDiscord() as fake, BotProcess(fake, tmp_path) as bot:
        bot.wait_ready()
        fake.delay(0.3, path=r"/callback$", times=200)  # so that answers are on their way when the signal comes
        questions = {}
        for i in range(200):
            question = f"How long is the Power of Siberia 2 pipeline? ({i})"
            questions[fake.slash(question, user_id=p.USER_ID + 1 + i)] = question
        fake.wait_for(lambda: len([r for r in fake.callbacks() if r.status == 200]) >= 20, timeout=30,
                      what="the first answers of the burst")
        signalled = time.monotonic()
        bot.send_signal(sig)
        assert bot.wait(5) == 0
        assert f"{sig.name} received" in bot.log
        assert "Traceback" not in bot.log
        # the answers on their way when the signal came were let through, not cut off
        assert any(r.done_at > signalled for r in fake.callbacks() if r.status == 200)
        assert "cut short" not in bot.log
        answered = {re.search(r"/interactions/(\d+)/", r.path).group(1) for r in fake.callbacks() if r.status == 200}
        assert answered <= set(questions)
        conn = sqlite3.connect(tmp_path / "data" / DB_NAME)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            rows = [q for (q,) in conn.execute("SELECT question FROM questions")]
        finally:
            conn.close()
        assert len(rows) == len(set(rows)) <= 200  # each question logged once
        assert {questions[i] for i in answered} <= set(rows)  # every question answered is in the log
        assert len(rows) >= len(answered) >= 20


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_a_signal_while_the_gateway_refuses_connections_exits_promptly(tmp_path, sig):
    with FakeDiscord() as fake:
        fake.refuse_gateway()
        with BotProcess(fake, tmp_path) as bot:
            bot.wait_log(r"attempt 3 failed", timeout=30)  # 1 s, then 2 s between attempts
            bot.send_signal(sig)
            assert bot.wait(5) == 0
            log = bot.log
    assert "Traceback" not in log
    retries = [line for line in log.splitlines() if "cannot connect to the Discord gateway" in line]
    assert 3 <= len(retries) <= 4
    assert all("ClientConnectorError" in line and " WARNING " in line for line in retries)
    assert [re.search(r"next in (\d+) s", line).group(1) for line in retries[:3]] == ["1", "2", "4"]
    assert all(len(line) < 400 for line in retries)  # one line each, not a growing chain
    assert f"{sig.name} received" in log
    assert "stopped: the Discord connection and the question log are closed" in log
    assert not fake.identifies


def test_losing_the_gateway_while_serving_logs_one_line_per_retry_and_a_signal_still_stops_it(tmp_path):
    with FakeDiscord() as fake, BotProcess(fake, tmp_path) as bot:
        bot.wait_ready()
        fake.refuse_gateway()  # and cut the live connection
        bot.wait_log(r"Attempting a reconnect .*\n(.*\n)*.*Attempting a reconnect ", timeout=30)
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(5) == 0
        log = bot.log
    assert "Traceback" not in log
    retries = [line for line in log.splitlines() if "Attempting a reconnect" in line]
    assert len(retries) >= 2
    assert all("ClientConnectorError" in line for line in retries)
